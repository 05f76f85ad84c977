"""The integration harness (tests/lib/pmtatest.py) itself, with real snmpd,
snmptrapd and the simulator but no agent: free loopback ports, the coldStart
reaching snmptrapd, SIGKILL and restart on the same port and socket, the SNMP
helpers' parsing and timing, failure reports, and every process stopped by
PID with the temporary directory removed."""
import contextlib
import io
import os
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from pmtatest import (COLD_START_OID, SNMP_TRAP_OID, SYS_UPTIME_OID, Env, find_base_mibs, free_port,  # noqa: E402
                      main, rss_kb, slow, wait_for)

SYS_DESCR = ".1.3.6.1.2.1.1.1.0"
SYS_CONTACT = ".1.3.6.1.2.1.1.4.0"
SYS_NAME = ".1.3.6.1.2.1.1.5.0"


def gone(pid):
    """True once pid no longer exists (or is only a zombie of another parent)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] == "Z"
    except FileNotFoundError:
        return True


def cold_starts(env):
    return [n for n in env.traps() if n.trap_oid == COLD_START_OID]


def test_free_ports_and_base_mibs():
    ports = {free_port("udp") for _ in range(5)} | {free_port("tcp") for _ in range(5)}
    assert all(1024 <= p <= 65535 for p in ports) and not ports & {161, 162}, ports
    base = find_base_mibs()
    assert base.startswith("/usr/lib/erlang/lib/snmp-") and os.path.exists(os.path.join(base, "SNMPv2-MIB.mib"))


def test_wait_for_bounded_and_aborts():
    assert wait_for(lambda: 42, 1, "a value") == 42
    t0 = time.monotonic()
    try:
        wait_for(lambda: False, 0.3, "the impossible")
        raise AssertionError("wait_for returned")
    except AssertionError as e:
        assert f"timed out after {slow(0.3)}s waiting for the impossible" in str(e), e
    assert slow(0.3) <= time.monotonic() - t0 < slow(0.3) + 1.2
    t0 = time.monotonic()
    try:
        wait_for(lambda: False, 30, "a dead process", abort=lambda: "it exited with status 1")
        raise AssertionError("wait_for returned")
    except AssertionError as e:
        assert "gave up waiting for a dead process: it exited with status 1" in str(e), e
    assert time.monotonic() - t0 < 1


def test_snmpd_trapd_kill_restart():
    with Env("selftest") as env:
        tmp = env.tmp
        env.start_trapd()
        env.start_snmpd()
        assert env.snmp_port != env.trap_port and not {env.snmp_port, env.trap_port} & {161, 162}
        conf = open(env.path("snmpd.conf")).read()
        for line in (f"agentaddress udp:127.0.0.1:{env.snmp_port}", "master agentx",
                     f"agentXSocket unix:{env.socket}", "agentXTimeout 1", "rocommunity public 127.0.0.1",
                     f"trap2sink udp:127.0.0.1:{env.trap_port} public"):
            assert line in conf.splitlines(), (line, conf)
        assert os.path.exists(env.socket)

        # sysUpTime.0, numeric and by name through the base MIB directory
        a = env.snmpget(SYS_UPTIME_OID, "SNMPv2-MIB::sysUpTime.0", SYS_DESCR, ".1.3.6.1.2.1.1.99.0")
        assert a.ok and 0 < a.seconds < 5, a
        up1 = int(a.value[0])
        assert up1 >= 0 and int(a.value[1]) >= up1 and a.value[2] and a.value[3] is None, a
        # snmpd's own log says it is ours
        assert "NET-SNMP version" in env.snmpd_log()

        # the coldStart snmpd sends on start reaches snmptrapd, with its varbinds
        wait_for(lambda: len(cold_starts(env)) == 1, 10, "the coldStart")
        n = cold_starts(env)[0]
        assert n.varbinds[0][0] == SYS_UPTIME_OID and n.varbinds[1] == (SNMP_TRAP_OID, COLD_START_OID), n
        oid, vbs = n
        assert oid == COLD_START_OID and vbs[SNMP_TRAP_OID] == COLD_START_OID

        # snmpwalk and snmptable
        w = env.snmpwalk(".1.3.6.1.2.1.1")
        assert w.ok and (SYS_DESCR, a.value[2]) in w.value and len(w.value) > 5, w
        t = env.snmptable("SNMPv2-MIB::sysORTable")
        assert t.ok and t.value and {"index", "sysORID", "sysORDescr"} <= set(t.value[0]), t
        assert all(r["index"].isdigit() for r in t.value)
        named = env.snmpwalk("SNMPv2-MIB::sysORDescr", numeric=False)
        assert named.ok and named.value[0][0].startswith("sysORDescr."), named

        # snmpset: a writable object, then a read-only one
        s = env.snmpset(SYS_CONTACT, "s", 'ops "night" | on-call')
        assert s.ok and s.value == ['ops "night" | on-call'], s
        assert env.snmpget(SYS_CONTACT).value == ['ops "night" | on-call']
        s = env.snmpset(SYS_UPTIME_OID, "t", 5)
        assert not s.ok and "notWritable" in s.err, s

        # snmptrapd's log is parsed whatever the strings hold
        tricky = 'a|b = c: "d" \\ e\nsecond line .1.3.6.1.2.1.1.5.0 = x'
        r = env.run(["snmptrap", "-v2c", "-c", "public", f"127.0.0.1:{env.trap_port}", "", ".1.3.6.1.4.1.32473.99",
                     SYS_NAME, "s", tricky, SYS_CONTACT, "s", ""])
        assert r.returncode == 0, r.stderr
        wait_for(lambda: [x for x in env.traps() if x.trap_oid == ".1.3.6.1.4.1.32473.99"], 10, "the test trap")
        x = [x for x in env.traps() if x.trap_oid == ".1.3.6.1.4.1.32473.99"][0]
        assert x.varbinds[2:] == [(SYS_NAME, tricky), (SYS_CONTACT, "")], x.varbinds
        assert len(env.traps()) == 2   # nothing else was taken for a notification

        # SIGKILL: snmpd is gone, its port stops answering
        old = env.snmpd.pid
        env.kill_snmpd()
        assert gone(old)
        a = env.snmpget(SYS_UPTIME_OID)
        assert not a.ok and a.value == [None] and "Timeout" in a.err, a
        # restart on the same port and socket
        port, sock = env.snmp_port, env.socket
        env.restart_snmpd()
        assert env.snmpd.pid != old and env.snmp_port == port and env.socket == sock and os.path.exists(sock)
        a = env.snmpget(SYS_UPTIME_OID)
        assert a.ok and int(a.value[0]) < up1 + 1000, a   # a new process: uptime started again
        wait_for(lambda: len(cold_starts(env)) == 2, 10, "the second coldStart")

        # a simulator beside them, down and up again
        sim = env.start_sim({"version": "5.0r1"})
        assert sim.fetch("/status?format=xml")[0] == 200
        later = threading.Timer(0.3, sim.fetch, ("/status?format=xml",))
        later.start()
        sim.wait_polls("/status", 1, timeout=5)   # sees the request made after it started waiting
        later.join()
        assert sim.stats()["/status"] == 2
        assert rss_kb(sim.pid) > 0 and env.rss_kb(sim.pid) > 0
        sim.kill()
        assert gone(sim.pid)
        sim.restart()
        assert sim.fetch("/status?format=xml")[0] == 200

        pids = [p.pid for p in env.procs if p.alive()]
        assert len(pids) == 3 and old not in pids, pids   # snmptrapd, the new snmpd, the simulator
    # everything stopped by PID, the directory removed
    assert all(gone(p) for p in pids), [(p, gone(p)) for p in pids]
    assert not os.path.exists(tmp)


def test_failure_report_and_keep_tmp():
    err = io.StringIO()
    os.environ.pop("PMTA_KEEP_TMP", None)
    try:
        with contextlib.redirect_stderr(err):
            with Env("selftest-fail") as env:
                tmp = env.tmp
                sim = env.start_sim({"version": "x"})
                sim.fetch("/status?format=xml")
                raise RuntimeError("provoked")
    except RuntimeError:
        pass
    out = err.getvalue()
    assert f"--- selftest-fail failed; logs in {tmp}" in out and "sim.log (tail)" in out, out
    assert "GET /status 200" in out and not os.path.exists(tmp) and gone(sim.pid)

    os.environ["PMTA_KEEP_TMP"] = "1"
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            with Env("selftest-keep") as env:
                tmp = env.tmp
                env.failed = True   # a test can fail without raising
        assert os.path.isdir(tmp) and f"--- selftest-keep failed; logs in {tmp}\n" in err.getvalue()
    finally:
        del os.environ["PMTA_KEEP_TMP"]
        subprocess.run(["rm", "-rf", "--", tmp], check=True)


def test_start_aborts_when_the_process_exits():
    with Env("selftest-abort") as env:
        # a snmpd that cannot start (its UDP port taken by us) fails fast, not after the timeout
        held = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        held.bind(("127.0.0.1", env.snmp_port))
        t0 = time.monotonic()
        try:
            env.start_snmpd()
            raise AssertionError("snmpd started on a taken port")
        except AssertionError as e:
            assert "gave up waiting" in str(e) and "snmpd" in str(e), e
        finally:
            held.close()
        assert time.monotonic() - t0 < 8
        assert env.snmpd.p.returncode not in (None, 0), env.snmpd.p.returncode
        assert "127.0.0.1" in env.snmpd_log(), env.snmpd_log()


if __name__ == "__main__":
    main([test_free_ports_and_base_mibs, test_wait_for_bounded_and_aborts, test_snmpd_trapd_kill_restart,
          test_failure_report_and_keep_tmp, test_start_aborts_when_the_process_exits])
