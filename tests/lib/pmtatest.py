"""Integration-test harness: a private snmpd (AgentX master), snmptrapd, the
PowerMTA simulator and the agent, on loopback, free ports, a temporary
directory, every process stopped by the PID this harness started, every wait
bounded and polled instead of slept.

    with Env("queues") as env:          # tmpdir; removed at the end unless PMTA_KEEP_TMP=1
        env.start_trapd()               # before snmpd, so snmpd gets a trap2sink line
        env.start_snmpd()
        sim = env.start_sim({"queues": [...]}, api_key="k" * 32)
        env.start_agent(f"pmtaInstance mta1 {sim.url}\npmtaApiKey mta1 {'k' * 32}\n"
                        "pmtaPollInterval 1\n")
        sim.set_scenario({... "mode": "500"})
        sim.wait_polls("/status")       # the agent polled again
        a = env.snmpget("pmtaInstanceApiStatus.1")
        assert a.value == ["3"] and a.seconds < 0.1
        assert [n for n in env.traps() if n.trap_oid == TRAP_OID]

"PowerMTA down" is sim.kill() (SIGKILL, the port closes); sim.restart() brings
it back on the same port. snmpd the same: kill_snmpd(), restart_snmpd().
On failure (an exception leaving the with block, or env.failed = True) the
tmpdir and the tail of every log in it are printed on stderr.
A missing tool or MIB directory is a failure, never a skip.
"""
import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

TOP_SRCDIR = os.environ.get("top_srcdir") or os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
TOP_BUILDDIR = os.environ.get("top_builddir") or os.path.join(TOP_SRCDIR, "build")
AGENT = os.path.join(TOP_BUILDDIR, "agent", "pmta-monitor-agent")
# A command the agent runs under, e.g. "valgrind --error-exitcode=99 ..." (scripts/check-sanitizers).
AGENT_WRAPPER = os.environ.get("PMTA_AGENT_WRAPPER", "").split()
SIM = os.path.join(TOP_SRCDIR, "tests", "tools", "pmta-sim")
MIB_FILE = os.path.join(TOP_SRCDIR, "mibs", "PMTA-MONITOR-MIB.txt")


def snmp_tool_env(tmp):
    """The environment for a net-snmp program run outside an Env (see
    Env.snmp_env): home, persistent directory and configuration path under tmp,
    no default MIB list."""
    os.makedirs(os.path.join(tmp, "snmpconf"), exist_ok=True)
    return dict(os.environ, MIBS="", HOME=tmp, SNMP_PERSISTENT_DIR=os.path.join(tmp, "persist"),
                SNMPCONFPATH=os.path.join(tmp, "snmpconf"))


def snmp_complaints(stderr, env):
    """A net-snmp program's stderr less its notices about making the persistent
    directory (the first run in a new one prints "Created directory: ...")."""
    persist = env.get("SNMP_PERSISTENT_DIR", "")
    return "\n".join(line for line in stderr.splitlines()
                     if not (persist and line.startswith("Created directory: " + persist))).strip()


def find_base_mibs():
    dirs = sorted(glob.glob("/usr/lib/erlang/lib/snmp-*/mibs"))
    if not dirs:
        raise RuntimeError("the IETF base MIBs of Debian's erlang-snmp are missing (apt-get install erlang-snmp)")
    return dirs[-1]


def free_port(kind="udp"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if kind == "udp" else socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# scripts/check-sanitizers sets PMTA_TEST_SLOW=asan or =valgrind: the agent then
# runs a few (ASan) or tens of (valgrind) times slower. Every time bound widens
# by SLOW_FACTOR (wait_for does it itself, tests use slow() for the rest);
# nothing is skipped. The plain run of scripts/check keeps the real bounds.
SLOW = os.environ.get("PMTA_TEST_SLOW", "")
SLOW_FACTOR = {"": 1, "asan": 3, "valgrind": 15}.get(SLOW, 3)


def slow(seconds):
    return seconds * SLOW_FACTOR


def wait_for(pred, timeout, what, interval=0.05, abort=None):
    """Polls pred() until it returns a true value, and returns that value.
    Fails after timeout seconds (times SLOW_FACTOR), or at once when abort()
    returns a message (e.g. the process being waited for has exited)."""
    timeout = slow(timeout)
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        if abort:
            why = abort()
            if why:
                raise AssertionError(f"gave up waiting for {what}: {why}")
        try:
            last = pred()
            if last:
                return last
        except Exception as e:  # a failing probe is "not yet"
            last = e
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def read_text(path):
    """A file's text, "" when it does not exist (yet)."""
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


class Answer:
    """What one net-snmp command gave: value (parsed: a list for snmpget/snmpset,
    [(oid, value)] for snmpwalk, [dict] for snmptable), seconds (wall time of the
    command, process start included), ok (exit status 0) and err (its stderr)."""

    def __init__(self, value, seconds, ok, err):
        self.value = value
        self.seconds = seconds
        self.ok = ok
        self.err = err

    def __repr__(self):
        return f"Answer(value={self.value!r}, seconds={self.seconds:.3f}, ok={self.ok}, err={self.err!r})"


class Notification(tuple):
    """(trap_oid, {oid: value}), so `for oid, vbs in env.traps()` works, plus
    .trap_oid and .varbinds: [(oid, value)] in the order received."""

    def __new__(cls, varbinds):
        trap_oid = dict(varbinds).get(SNMP_TRAP_OID)
        self = super().__new__(cls, (trap_oid, dict(varbinds)))
        self.trap_oid = trap_oid
        self.varbinds = list(varbinds)
        return self


SNMP_TRAP_OID = ".1.3.6.1.6.3.1.1.4.1.0"
SYS_UPTIME_OID = ".1.3.6.1.2.1.1.3.0"
COLD_START_OID = ".1.3.6.1.6.3.1.1.5.1"
NUMERIC_KEY = re.compile(r"(\.\d+(?:\.\d+)*) = ")
# A symbolic name with an index that may hold quoted strings (spaces, '=' inside).
NAMED_KEY = re.compile(r'((?:[^\s"=]|"(?:[^"\\]|\\.)*")+) = ')
VALUE_TYPE = re.compile(r"([A-Za-z][A-Za-z0-9-]*): ")


def scan_value(text, p, stops):
    """Reads one value as net-snmp prints it, starting at p: a quoted string
    (backslash escapes, may span lines) or everything up to the first of stops.
    Returns (value, end)."""
    if text.startswith('"', p):
        out = []
        i = p + 1
        while i < len(text):
            c = text[i]
            if c == "\\" and i + 1 < len(text):
                out.append(text[i + 1])
                i += 2
            elif c == '"':
                return "".join(out), i + 1
            else:
                out.append(c)
                i += 1
        return "".join(out), len(text)
    ends = [e for e in (text.find(x, p) for x in stops) if e != -1]
    e = min(ends) if ends else len(text)
    return text[p:e].strip(), e


def parse_varbinds(text, key=NUMERIC_KEY, sep="\n", typed=False, p=0):
    """[(oid, value)] from "OID = [TYPE: ]value" items separated by sep (one per
    line for snmpget/snmpwalk, '|' in the trap log); values lose their type
    prefix and quotes. Returns (varbinds, end)."""
    vbs = []
    while True:
        m = key.match(text, p)
        if not m:
            break
        p = m.end()
        if typed:
            t = VALUE_TYPE.match(text, p)
            if t:
                p = t.end()
        v, p = scan_value(text, p, (sep, "\n"))
        vbs.append((m.group(1), v))
        if text.startswith(sep, p):
            p += len(sep)
        elif sep != "\n" or p >= len(text):
            break
    return vbs, p


def parse_trap_log(text):
    """Notifications from snmptrapd's log written with format2 "TRAP %B %P %V|%v\\n"
    and -On: lines starting with "TRAP " only (the log also has start-up lines)."""
    out = []
    for m in re.finditer(r"^TRAP [^\n]*?(?= \.\d+(?:\.\d+)* = )", text, re.M):
        vbs, _ = parse_varbinds(text, sep="|", typed=True, p=m.end() + 1)
        out.append(Notification(vbs))
    return out


class Proc:
    def __init__(self, name, argv, env=None, log=None):
        self.name = name
        self.argv = argv
        self.env = env
        self.log = log
        self.p = None

    def start(self):
        out = open(self.log, "ab") if self.log else subprocess.DEVNULL
        self.p = subprocess.Popen(self.argv, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                  start_new_session=True)
        if self.log:
            out.close()
        return self

    @property
    def pid(self):
        return self.p.pid

    def alive(self):
        return self.p is not None and self.p.poll() is None

    def send_signal(self, sig):
        if self.alive():
            os.kill(self.p.pid, sig)

    def exited(self):
        """None while running, else a message saying how it ended (for wait_for's abort)."""
        if self.p is None or self.p.poll() is None:
            return None
        return f"{self.name} (pid {self.p.pid}) exited with status {self.p.returncode}"

    def stop(self, sig=signal.SIGTERM, timeout=5):
        if not self.alive():
            return self.p.returncode if self.p else None
        os.kill(self.p.pid, sig)
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            os.kill(self.p.pid, signal.SIGKILL)
            return self.p.wait(5)


class Sim:
    def __init__(self, env, scenario, api_key=None, tls=False):
        self.env = env
        env.n_sims = getattr(env, "n_sims", 0) + 1
        self.dir = env.mkdir(f"sim{env.n_sims}")
        self.scenario_path = os.path.join(self.dir, "scenario.json")
        self.port_file = os.path.join(self.dir, "port")
        self.api_key = api_key
        self.tls = tls
        self.port = 0
        self.set_scenario(scenario)
        if tls:
            self.cert = os.path.join(self.dir, "cert.pem")
            self.key = os.path.join(self.dir, "key.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                            "-keyout", self.key, "-out", self.cert], check=True, capture_output=True)
            self.ca_file = self.cert
        self.start()

    @property
    def url(self):
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def start(self):
        if os.path.exists(self.port_file):
            os.unlink(self.port_file)
        argv = [sys.executable, SIM, "--scenario", self.scenario_path, "--port", str(self.port),
                "--port-file", self.port_file]
        if self.api_key:
            argv += ["--api-key", self.api_key]
        if self.tls:
            argv += ["--tls-cert", self.cert, "--tls-key", self.key]
        self.proc = self.env.spawn("sim", argv, log=os.path.join(self.dir, "sim.log"))
        self.port = int(wait_for(lambda: open(self.port_file).read().strip(), 10, "the simulator's port",
                                 abort=self.proc.exited))

    def set_scenario(self, scenario):
        tmp = self.scenario_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(scenario, f)
        os.replace(tmp, self.scenario_path)

    @property
    def pid(self):
        return self.proc.pid

    def ssl_context(self):
        """A client context trusting this simulator's certificate (None without TLS)."""
        if not self.tls:
            return None
        import ssl
        return ssl.create_default_context(cafile=self.ca_file)

    def fetch(self, path, api_key=None, timeout=5, limit=None):
        """GET url+path without following redirects: (status, headers, body bytes).
        HTTP error statuses are returned, not raised; limit caps the bytes read."""
        import urllib.error
        import urllib.request

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        handlers = [NoRedirect()]
        if self.tls:
            handlers.append(urllib.request.HTTPSHandler(context=self.ssl_context()))
        opener = urllib.request.build_opener(*handlers)
        req = urllib.request.Request(self.url + path)
        if api_key or self.api_key:
            req.add_header("X-API-Key", api_key or self.api_key)
        try:
            r = opener.open(req, timeout=timeout)
        except urllib.error.HTTPError as e:
            r = e
        with r:
            return r.status, r.headers, r.read() if limit is None else r.read(limit)

    def stats(self):
        """Requests served per path, e.g. {"/status": 3}."""
        import urllib.request
        with urllib.request.urlopen(self.url + "/_sim/stats", timeout=5, context=self.ssl_context()) as r:
            return json.load(r)

    def wait_polls(self, path="/status", n=1, timeout=15):
        """Waits until path has been requested n more times than now (the agent polled again)."""
        base = self.stats().get(path, 0)
        wait_for(lambda: self.stats().get(path, 0) >= base + n, timeout, f"{n} more request(s) of {path}",
                 abort=self.proc.exited)

    def log(self):
        return read_text(os.path.join(self.dir, "sim.log"))

    def kill(self):
        """PowerMTA down: SIGKILL, so the port stops answering at once."""
        self.proc.stop(signal.SIGKILL)

    def restart(self):
        """Back up on the same port."""
        self.kill()
        self.start()


class Env:
    """One test's world. Use as a context manager."""

    def __init__(self, name="test"):
        self.name = name
        self.tmp = tempfile.mkdtemp(prefix=f"pmta-{name}-")
        os.chmod(self.tmp, 0o755)
        # As root, the agent runs as nobody (as it would drop to anyway): it
        # must be able to write its log and pid file here and read its config.
        self.as_nobody = os.geteuid() == 0
        if self.as_nobody:
            os.chown(self.tmp, 65534, 65534)
        self.procs = []
        self.sims = []
        self.base_mibs = find_base_mibs()
        # The project's MIB when it is there (the self-test does not need it).
        self.mibs = "SNMPv2-MIB" + (":PMTA-MONITOR-MIB" if os.path.exists(MIB_FILE) else "")
        self.traplog = self.path("traps.log")
        self.agent_log_path = self.path("agent.log")
        self.agent_pidfile = self.path("agent.pid")
        self.snmp_port = free_port("udp")
        self.trap_port = None
        self.snmpd = None
        self.trapd = None
        self.agent = None
        self.socket = os.path.join(self.tmp, "agentx.sock")
        self.failed = False

    def __enter__(self):
        return self

    def __exit__(self, et, ev, tb):
        # the agent first: snmpd restarted by a test comes later in procs, and the
        # agent should not see its master go while it may be registering
        agent = getattr(self, "agent", None)
        for p in sorted(reversed(self.procs), key=lambda p: p is not agent):
            try:
                p.stop()
            except Exception as e:  # still stop the others
                print(f"--- stopping {p.name} (pid {p.pid}): {e!r}", file=sys.stderr)
        if et is not None or self.failed:
            keep = os.environ.get("PMTA_KEEP_TMP") == "1"
            print(f"--- {self.name} failed; logs in {self.tmp}" +
                  ("" if keep else " (removed: PMTA_KEEP_TMP=1 keeps it)"), file=sys.stderr)
            for f in sorted(glob.glob(os.path.join(self.tmp, "**", "*.log"), recursive=True)):
                print(f"--- {f} (tail)", file=sys.stderr)
                with open(f, errors="replace") as fh:
                    print("".join(fh.readlines()[-30:]), file=sys.stderr)
        if os.environ.get("PMTA_KEEP_TMP") != "1":
            shutil.rmtree(self.tmp, ignore_errors=True)
        return False

    def mkdir(self, name):
        d = os.path.join(self.tmp, name)
        os.makedirs(d, exist_ok=True)
        return d

    def path(self, name):
        return os.path.join(self.tmp, name)

    def spawn(self, name, argv, env=None, log=None):
        p = Proc(name, argv, env=env, log=log).start()
        self.procs.append(p)
        return p

    def start_sim(self, scenario, api_key=None, tls=False):
        """The PowerMTA simulator on a free port, serving scenario (a dict); see tests/tools/pmta-sim."""
        sim = Sim(self, scenario, api_key=api_key, tls=tls)
        self.sims.append(sim)
        return sim

    def snmp_env(self):
        """The environment of every net-snmp program a test starts (snmpd, snmptrapd,
        the tools, the agent): this test's own home, persistent directory and
        (empty) configuration path, and no default MIB list (each tool gets -m).
        So neither ~/.snmp, /var/lib/snmp nor /etc/snmp/snmp.conf changes what a
        run sees: the first run on a new machine and the hundredth on an old one
        are the same. net-snmp's notices ("Created directory: ...") go to stderr,
        which no parser reads as the answer."""
        e = dict(os.environ)
        e.update(MIBS="", HOME=self.tmp, SNMP_PERSISTENT_DIR=self.path("persist"),
                 SNMPCONFPATH=self.mkdir("snmpconf"))
        return e

    # --- snmpd and snmptrapd ---
    def start_trapd(self):
        self.trap_port = free_port("udp")
        conf = self.path("snmptrapd.conf")
        with open(conf, "w") as f:
            f.write(f"snmpTrapdAddr udp:127.0.0.1:{self.trap_port}\ndisableAuthorization yes\n"
                    "format2 TRAP %B %P %V|%v\\n\n")
        os.makedirs(self.path("persist"), exist_ok=True)
        # -X: never register with an AgentX master (the system's snmpd, if any).
        self.trapd = self.spawn("snmptrapd", ["snmptrapd", "-f", "-C", "-c", conf, "-n", "-X", "-On",
                                              "-Lf", self.traplog], env=self.snmp_env())
        wait_for(lambda: "NET-SNMP version" in read_text(self.traplog), 10, "snmptrapd to start",
                 abort=self.trapd.exited)

    def start_snmpd(self, extra=""):
        conf = self.path("snmpd.conf")
        with open(conf, "w") as f:
            f.write(f"agentaddress udp:127.0.0.1:{self.snmp_port}\nmaster agentx\n"
                    f"agentXSocket unix:{self.socket}\nagentXPerms 0666 0755\nagentXTimeout 1\n"
                    "rocommunity public 127.0.0.1\nrwcommunity private 127.0.0.1\n")
            if self.trap_port:
                f.write(f"trap2sink udp:127.0.0.1:{self.trap_port} public\n")
            f.write(extra)
        os.makedirs(self.path("persist"), exist_ok=True)
        if os.path.exists(self.socket):
            os.unlink(self.socket)
        self.snmpd = self.spawn("snmpd", ["snmpd", "-f", "-C", "-c", conf, "-I", "-smux,mta_sendmail",
                                          "-Lf", self.path("snmpd.log")], env=self.snmp_env())
        wait_for(lambda: os.path.exists(self.socket), 10, "snmpd's AgentX socket", abort=self.snmpd.exited)
        wait_for(lambda: self.run(["snmpget", "-Oqv"] + self.snmp_args() + [SYS_UPTIME_OID]).returncode == 0,
                 10, "snmpd to answer", abort=self.snmpd.exited)

    def kill_snmpd(self):
        self.snmpd.stop(signal.SIGKILL)

    def restart_snmpd(self, extra=""):
        """snmpd again on the same UDP port and AgentX socket (after kill_snmpd() or not)."""
        if self.snmpd.alive():
            self.kill_snmpd()
        self.procs.remove(self.snmpd)
        self.start_snmpd(extra)

    def traps(self):
        """Notifications received so far, coldStart included: [Notification], each
        (trap_oid, {oid: value}) with .varbinds [(oid, value)]; numeric OIDs."""
        return parse_trap_log(read_text(self.traplog))

    # --- the agent ---
    def write_conf(self, text, name="pmta-monitor.conf"):
        conf = self.path(name)
        with open(conf, "w") as f:
            f.write(text)
        os.chmod(conf, 0o600)
        if self.as_nobody:
            os.chown(conf, 65534, 65534)
        return conf

    def start_agent(self, conf_text, extra_args=(), wait=True, as_root=False, ready=None):
        """Writes conf_text to TMP/pmta-monitor.conf (0600) and starts the agent in the
        foreground on snmpd's socket. With wait, returns once ready(env) is true
        (default: pmtaAgentVersion.0 answers through snmpd); fails at once if it exits."""
        conf = self.write_conf(conf_text)
        prefix = []
        if self.as_nobody and not as_root:
            prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        self.agent = self.spawn("agent", prefix + AGENT_WRAPPER + [AGENT, "-f", "-c", conf, "-x", "unix:" + self.socket,
                                                   "-Lf", self.agent_log_path, "-p", self.agent_pidfile] +
                                list(extra_args), env=self.snmp_env())
        if wait:
            ready = ready or (lambda env: env.get("pmtaAgentVersion.0") is not None)
            wait_for(lambda: ready(self), 15, "the agent to be ready", abort=self.agent.exited)
        return self.agent

    # (entry, first readable column) of every table the agent registers
    TABLE_ENTRIES = [("pmtaInstanceEntry", 2), ("pmtaConnectionEntry", 2), ("pmtaQueueEntry", 2),
                     ("pmtaVmtaEntry", 2), ("pmtaDomainEntry", 2), ("pmtaJobEntry", 2),
                     ("pmtaBounceEntry", 2), ("pmtaDeferralEntry", 3), ("pmtaLatencyEntry", 3),
                     ("pmtaAlarmEntry", 2), ("pmtaThresholdEntry", 2)]

    def registered(self):
        """True once snmpd knows every region of the agent: the scalars and each table
        answer (a value or noSuchInstance), none says noSuchObject. The agent registers
        region by region after it connects, so one object answering does not mean the
        registration is over (snmpd killed in the middle of it is another test)."""
        names = ["PMTA-MONITOR-MIB::pmtaAgentVersion.0"] + \
                [f"PMTA-MONITOR-MIB::{e}.{c}.1" for e, c in self.TABLE_ENTRIES]
        r = self.run(["snmpget", "-OQ"] + self.snmp_args() + names)
        return r.returncode == 0 and r.stdout.count(" = ") == len(names) and "No Such Object" not in r.stdout

    def agent_log(self):
        return read_text(self.agent_log_path)

    agent_log_text = agent_log

    def snmpd_log(self):
        return read_text(self.path("snmpd.log"))

    def trapd_log(self):
        return read_text(self.traplog)

    def rss_kb(self, pid=None):
        """Resident size of pid (default: the agent) in KiB."""
        return rss_kb(pid or self.agent.pid)

    # --- net-snmp's tools ---
    def snmp_args(self, community="public"):
        return ["-v2c", "-c", community, "-t", "2", "-r", "1", "-M", f"+{self.base_mibs}:{TOP_SRCDIR}/mibs",
                "-m", self.mibs, f"127.0.0.1:{self.snmp_port}"]

    def run(self, argv, timeout=30):
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=self.snmp_env())

    def get(self, name, timed=False):
        """The value of one object (as snmpget -Oqv prints it), None if absent."""
        t0 = time.monotonic()
        r = self.run(["snmpget", "-Oqv", "-Oe", "-OU", "-Ot"] + self.snmp_args() + [name])
        dt = time.monotonic() - t0
        v = r.stdout.strip() if r.returncode == 0 else None
        if v is not None and (v.startswith("No Such") or v.startswith("No more")):
            v = None
        if v is not None and v.startswith('"') and v.endswith('"'):
            v = v[1:-1]
        return (v, dt) if timed else v

    def answer_time(self, name, tries=1):
        """(value, seconds of the slowest answer) of one object over tries GETs
        sent from this process: snmpd, AgentX and the agent, no process start."""
        if not hasattr(self, "_oids"):
            self._oids = {}
        if name not in self._oids:
            r = self.run(["snmptranslate", "-IR", "-On", "-M", f"+{self.base_mibs}:{TOP_SRCDIR}/mibs",
                          "-m", self.mibs, name])
            if r.returncode != 0:
                raise AssertionError(f"snmptranslate {name}: {r.stderr.strip()}")
            self._oids[name] = r.stdout.strip()
        worst, v = 0.0, None
        for i in range(tries):
            v, dt = snmp_get_raw(self.snmp_port, self._oids[name], request_id=i + 1)
            worst = max(worst, dt)
        return v, worst

    def walk(self, name, numeric=False):
        """[(oid-or-name, value)] of a subtree."""
        opts = ["-OQ", "-Oe", "-OU"] + (["-On"] if numeric else ["-Os"])
        # A table of thousands of cells is many round trips: bounded, but wider than one GET.
        r = self.run(["snmpwalk", "-Cc"] + opts + self.snmp_args() + [name], timeout=slow(60))
        if r.returncode != 0:
            raise AssertionError(f"snmpwalk {name}: {r.stderr.strip()}")
        rows = []
        for line in r.stdout.splitlines():
            if " = " in line:
                k, v = line.split(" = ", 1)
                rows.append((k.strip(), v.strip().strip('"')))
        return rows

    def table(self, name):
        """snmptable as a list of dicts keyed by column name, with the index under 'index'."""
        r = self.run(["snmptable", "-Cf", "\t", "-Ci", "-CH", "-Oe", "-OU", "-Ot"] + self.snmp_args() + [name])
        if r.returncode != 0:
            raise AssertionError(f"snmptable {name}: {r.stderr.strip()}")
        hdr = self.run(["snmptable", "-Cf", "\t", "-Ci", "-Ch", "-Oe", "-OU"] + self.snmp_args() + [name])
        cols = hdr.stdout.splitlines()[0].split("\t") if hdr.stdout.strip() else []
        rows = []
        for line in r.stdout.splitlines():
            if not line.strip():
                continue
            vals = [v[1:-1] if len(v) > 1 and v[0] == '"' and v[-1] == '"' else v
                    for v in line.split("\t")]
            rows.append(dict(zip(cols, vals)))
        return rows

    def set(self, name, typ, value):
        return self.run(["snmpset"] + self.snmp_args("private") + [name, typ, str(value)])

    def _timed(self, argv):
        t0 = time.monotonic()
        r = self.run(argv)
        return r, time.monotonic() - t0

    @staticmethod
    def _absent(v):
        return None if v.startswith(("No Such Object", "No Such Instance", "No more variables")) else v

    def snmpget(self, *names, community="public"):
        """One snmpget of names: .value is [value or None (no such object/instance)], in order."""
        r, dt = self._timed(["snmpget", "-On", "-OQ", "-Oe", "-OU", "-Ot"] + self.snmp_args(community) +
                            list(names))
        vbs, _ = parse_varbinds(r.stdout)
        values = [self._absent(v) for _, v in vbs] if r.returncode == 0 else []
        values += [None] * (len(names) - len(values))
        return Answer(values, dt, r.returncode == 0, r.stderr.strip())

    def snmpwalk(self, name, numeric=True, community="public"):
        """snmpwalk of a subtree: .value is [(oid, value)], numeric OIDs or -Os names."""
        r, dt = self._timed(["snmpwalk", "-Cc", "-OQ", "-Oe", "-OU", "-Ot", "-On" if numeric else "-Os"] +
                            self.snmp_args(community) + [name])
        vbs, _ = parse_varbinds(r.stdout, NUMERIC_KEY if numeric else NAMED_KEY)
        return Answer([(k, v) for k, v in vbs if self._absent(v) is not None], dt, r.returncode == 0,
                      r.stderr.strip())

    def snmptable(self, name, community="public"):
        """snmptable: .value is [{column: value}] with the row index under "index"."""
        r, dt = self._timed(["snmptable", "-Cf", "\t", "-Ci", "-Oe", "-OU", "-Ot"] +
                            self.snmp_args(community) + [name])
        rows = []
        lines = r.stdout.splitlines()
        # "SNMP table: NAME", a blank line, the column names, then one line per row.
        if r.returncode == 0 and lines and lines[0].startswith("SNMP table:"):
            body = [line for line in lines[1:] if line.strip()]
            cols = body[0].split("\t") if body else []
            for line in body[1:]:
                vals = [v[1:-1] if len(v) > 1 and v[0] == '"' and v[-1] == '"' else v for v in line.split("\t")]
                rows.append(dict(zip(cols, vals)))
        return Answer(rows, dt, r.returncode == 0, r.stderr.strip())

    def snmpset(self, name, typ, value, *more, community="private"):
        """snmpset of (name, type, value) triples: .ok, .err (e.g. notWritable), .value as set."""
        args = [name, typ, str(value)] + [str(x) for x in more]
        r, dt = self._timed(["snmpset", "-On", "-OQ", "-Oe", "-OU", "-Ot"] + self.snmp_args(community) + args)
        vbs, _ = parse_varbinds(r.stdout)
        return Answer([v for _, v in vbs], dt, r.returncode == 0, r.stderr.strip())


# A minimal SNMPv2c GET over one UDP socket, for measuring answer times
# without a process start in them (snmpget's start and MIB load are most of
# its time). Values are still checked with net-snmp's tools elsewhere.
def _ber_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def _tlv(tag, body):
    return bytes([tag]) + _ber_len(len(body)) + body


def _ber_int(v):
    return _tlv(0x02, v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big", signed=True))


def _ber_oid(oid):
    arcs = [int(a) for a in oid.strip(".").split(".")]
    out = bytearray([40 * arcs[0] + arcs[1]])
    for a in arcs[2:]:
        chunk = [a & 0x7F]
        a >>= 7
        while a:
            chunk.append(0x80 | (a & 0x7F))
            a >>= 7
        out += bytes(reversed(chunk))
    return _tlv(0x06, bytes(out))


def _ber_read(buf, p):
    """(tag, body, next position) of the TLV at p."""
    tag, n = buf[p], buf[p + 1]
    p += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(buf[p:p + k], "big")
        p += k
    return tag, buf[p:p + n], p + n


def snmp_get_raw(port, oid, community="public", timeout=5.0, request_id=1):
    """(value, seconds) of one numeric OID: an int for the integer types, text
    for OCTET STRING, None for noSuchObject/noSuchInstance."""
    pdu = _tlv(0xA0, _ber_int(request_id) + _ber_int(0) + _ber_int(0) +
               _tlv(0x30, _tlv(0x30, _ber_oid(oid) + b"\x05\x00")))
    msg = _tlv(0x30, _ber_int(1) + _tlv(0x04, community.encode()) + pdu)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        t0 = time.monotonic()
        s.sendto(msg, ("127.0.0.1", port))
        while True:
            data = s.recv(65535)
            _, body, _ = _ber_read(data, 0)
            p = _ber_read(body, 0)[2]              # version
            p = _ber_read(body, p)[2]              # community
            _, resp, _ = _ber_read(body, p)        # Response-PDU
            _, rid, q = _ber_read(resp, 0)
            if int.from_bytes(rid, "big", signed=True) == request_id:
                break
        dt = time.monotonic() - t0
    q = _ber_read(resp, q)[2]                      # error-status
    q = _ber_read(resp, q)[2]                      # error-index
    _, vbl, _ = _ber_read(resp, q)
    _, vb, _ = _ber_read(vbl, 0)
    _, _, r = _ber_read(vb, 0)                     # the OID
    tag, val, _ = _ber_read(vb, r)
    if tag in (0x02, 0x41, 0x42, 0x43, 0x46):
        return int.from_bytes(val, "big", signed=(tag == 0x02)), dt
    if tag == 0x04:
        return val.decode("utf-8", "replace"), dt
    return None, dt


def uid_of(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("Uid:"):
            return [int(x) for x in line.split()[1:]]
    return []


def rss_kb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main(tests):
    """Runs test functions in order; exits non-zero if any failed.
    PMTA_TEST_ONLY=NAME runs only the tests whose name contains NAME (for iterating)."""
    failed = 0
    only = os.environ.get("PMTA_TEST_ONLY")
    for t in tests:
        if only and only not in t.__name__:
            continue
        t0 = time.monotonic()
        try:
            t()
            print(f"ok   {t.__name__} ({time.monotonic() - t0:.1f}s)", flush=True)
        except Exception as e:
            failed += 1
            import traceback
            traceback.print_exc()
            print(f"FAIL {t.__name__}: {e}", flush=True)
    sys.exit(1 if failed else 0)
