"""A private Zabbix 6.0 from Debian's packages for integration tests: PostgreSQL
initialised in the test's temporary directory, the Zabbix server on it, and the
frontend's JSON-RPC API under PHP's built-in web server. Every program listens
on loopback (PostgreSQL on its socket directory only), on a free port, runs as
nobody when the test runs as root, and is stopped by the PID the test's Env
started. Debian's frontend reads its configuration from a fixed path
(/etc/zabbix/zabbix.conf.php); the test does not touch /etc: PHP loads a copy
of the class that names the path, pointed at the test's file, before the
frontend's autoloader would load the original.

    with Env("zabbix") as env:
        zbx = Zabbix(env)
        zbx.start()                       # about 20 s, mostly loading the schema
        zbx.api("template.get", {...})

Packages: zabbix-server-pgsql, zabbix-frontend-php, php-cli, php-pgsql,
php-bcmath, php-mbstring, php-gd, php-xml, postgresql (scripts/check-zabbix
installs them).
"""
import glob
import gzip
import json
import os
import random
import re
import socket
import subprocess
import urllib.request

from pmtatest import free_port, read_text, wait_for

FRONTEND = "/usr/share/zabbix"
SCHEMA_DIR = "/usr/share/zabbix-server-pgsql"
CONFIG_CLASS = os.path.join(FRONTEND, "include", "classes", "core", "CConfigFile.php")


def pg_bindir():
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not dirs:
        raise AssertionError("PostgreSQL is missing (apt-get install postgresql)")
    return os.path.dirname(dirs[-1])


def low_free_port():
    """A free TCP port under 32768: the server's ListenPort takes no other."""
    for _ in range(100):
        port = free_port("tcp")
        if 1024 <= port < 32768:
            return port
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    for port in range(random.randrange(20000, 30000), 32768):
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        s.close()
        return port
    raise AssertionError("no free TCP port under 32768")


def server_version():
    out = subprocess.run(["zabbix_server", "-V"], capture_output=True, text=True, check=True).stdout
    return re.search(r"\(Zabbix\) (\S+)", out).group(1)


class Zabbix:
    def __init__(self, env):
        self.env = env
        self.dir = env.mkdir("zabbix")
        self.pg_dir = os.path.join(self.dir, "pg")
        self.pg_port = free_port("tcp")
        self.server_port = low_free_port()
        self.web_port = free_port("tcp")
        self.trap_file = os.path.join(self.dir, "snmptraps.log")
        self.url = f"http://127.0.0.1:{self.web_port}/api_jsonrpc.php"
        self.token = None
        self.server = None
        # As root, PostgreSQL (which refuses root) and the server run as nobody.
        self.prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] \
            if os.geteuid() == 0 else []
        if self.prefix:
            os.chown(self.dir, 65534, 65534)

    # --- PostgreSQL ---
    def _psql(self, sql=None, stdin=None, db="zabbix"):
        argv = self.prefix + [os.path.join(pg_bindir(), "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
                              "-h", self.pg_dir, "-p", str(self.pg_port), "-U", "zabbix", "-d", db]
        if sql:
            argv += ["-c", sql]
        r = subprocess.run(argv, input=stdin, capture_output=True, timeout=300)
        if r.returncode != 0:
            raise AssertionError(f"psql failed: {r.stderr.decode(errors='replace')[-2000:]}")
        return r.stdout.decode()

    def sql(self, query):
        """Rows of a query as lists of strings (tab-separated, unaligned)."""
        argv = self.prefix + [os.path.join(pg_bindir(), "psql"), "-X", "-A", "-t", "-F", "\t",
                              "-h", self.pg_dir, "-p", str(self.pg_port), "-U", "zabbix", "-d", "zabbix",
                              "-c", query]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise AssertionError(f"psql failed: {r.stderr[-2000:]}")
        return [line.split("\t") for line in r.stdout.splitlines() if line]

    def start_db(self):
        os.makedirs(self.pg_dir)
        if self.prefix:
            os.chown(self.pg_dir, 65534, 65534)
        r = subprocess.run(self.prefix + [os.path.join(pg_bindir(), "initdb"), "-D", self.pg_dir, "-U", "zabbix",
                                          "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, f"initdb failed: {r.stderr}"
        log = os.path.join(self.dir, "postgres.log")
        # no TCP at all: the socket in pg_dir is the only way in
        proc = self.env.spawn("postgres", self.prefix + [
            os.path.join(pg_bindir(), "postgres"), "-D", self.pg_dir, "-k", self.pg_dir,
            "-p", str(self.pg_port), "-c", "listen_addresses=", "-c", "fsync=off",
            "-c", "synchronous_commit=off", "-c", "full_page_writes=off"], log=log)
        sock = os.path.join(self.pg_dir, f".s.PGSQL.{self.pg_port}")
        wait_for(lambda: os.path.exists(sock), 30, "PostgreSQL's socket",
                 abort=lambda: proc.exited() and f"postgres exited: {read_text(log)[-1000:]}")
        wait_for(lambda: self._psql("select 1", db="postgres") is not None, 30, "PostgreSQL to accept queries")
        self._psql("create database zabbix", db="postgres")
        for name in ("schema.sql.gz", "images.sql.gz", "data.sql.gz"):
            with gzip.open(os.path.join(SCHEMA_DIR, name)) as f:
                self._psql(stdin=f.read())

    # --- server ---
    def start_server(self):
        conf = os.path.join(self.dir, "zabbix_server.conf")
        with open(conf, "w") as f:
            f.write(f"""ListenIP=127.0.0.1
ListenPort={self.server_port}
LogFile={self.dir}/zabbix_server.log
LogFileSize=0
DebugLevel=3
PidFile={self.dir}/zabbix_server.pid
SocketDir={self.dir}
DBHost={self.pg_dir}
DBPort={self.pg_port}
DBName=zabbix
DBUser=zabbix
StartPollers=2
StartPollersUnreachable=1
StartTrappers=1
StartPingers=0
StartDiscoverers=0
StartHTTPPollers=0
StartTimers=1
StartEscalators=1
StartAlerters=1
StartLLDProcessors=2
StartPreprocessors=2
StartSNMPTrapper=1
SNMPTrapperFile={self.trap_file}
CacheUpdateFrequency=2
HousekeepingFrequency=0
UnreachablePeriod=45
UnavailableDelay=15
UnreachableDelay=5
Timeout=5
CacheSize=64M
""")
        open(self.trap_file, "a").close()
        if self.prefix:
            os.chown(self.trap_file, 65534, 65534)
        log = os.path.join(self.dir, "zabbix_server.log")
        self.server = self.env.spawn("zabbix_server", self.prefix + ["zabbix_server", "-f", "-c", conf],
                                     log=os.path.join(self.dir, "zabbix_server.out"))
        wait_for(lambda: "server #0 started" in read_text(log) or "started [" in read_text(log), 60,
                 "the Zabbix server to start",
                 abort=lambda: self.server.exited() and f"zabbix_server exited: {read_text(log)[-2000:]}")

    def server_log(self):
        return read_text(os.path.join(self.dir, "zabbix_server.log"))

    # --- frontend (API) ---
    def start_frontend(self):
        web_conf = os.path.join(self.dir, "zabbix.conf.php")
        with open(web_conf, "w") as f:
            f.write(f"""<?php
$DB['TYPE'] = ZBX_DB_POSTGRESQL;
$DB['SERVER'] = '{self.pg_dir}';
$DB['PORT'] = '{self.pg_port}';
$DB['DATABASE'] = 'zabbix';
$DB['USER'] = 'zabbix';
$DB['PASSWORD'] = '';
$DB['SCHEMA'] = '';
$DB['ENCRYPTION'] = false;
$DB['DOUBLE_IEEE754'] = true;
$ZBX_SERVER = '127.0.0.1';
$ZBX_SERVER_PORT = '{self.server_port}';
$ZBX_SERVER_NAME = 'pmta-monitor test';
$IMAGE_FORMAT_DEFAULT = IMAGE_FORMAT_PNG;
""")
        with open(CONFIG_CLASS) as f:
            cls = f.read()
        patched = cls.replace("'/etc/zabbix/zabbix.conf.php'", repr(web_conf))
        assert patched != cls, f"{CONFIG_CLASS} no longer names /etc/zabbix/zabbix.conf.php"
        prepend = os.path.join(self.dir, "config-path.php")
        with open(prepend, "w") as f:
            f.write(patched)
        self.env.spawn("php", self.prefix + ["php", "-d", f"auto_prepend_file={prepend}",
                                             "-d", "memory_limit=1G", "-d", "max_execution_time=300",
                                             "-d", "post_max_size=64M", "-d", "upload_max_filesize=64M",
                                             "-S", f"127.0.0.1:{self.web_port}", "-t", FRONTEND],
                       log=os.path.join(self.dir, "php.log"))
        wait_for(lambda: self.call("apiinfo.version", {}, auth=False), 30, "the frontend's API")
        self.token = self.call("user.login", {"username": "Admin", "password": "zabbix"}, auth=False)

    def start(self):
        self.start_db()
        self.start_server()
        self.start_frontend()
        return self

    def call(self, method, params, auth=True, timeout=300):
        body = {"jsonrpc": "2.0", "method": method, "params": params, "id": 1}
        if auth:
            body["auth"] = self.token
        req = urllib.request.Request(self.url, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json-rpc"})
        with urllib.request.urlopen(req, timeout=timeout) as r:
            answer = json.loads(r.read().decode())
        if "error" in answer:
            raise AssertionError(f"{method}: {answer['error']}")
        return answer["result"]

    api = call
