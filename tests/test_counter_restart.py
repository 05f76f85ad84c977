"""Counters across agent restarts (README.md, "Counters after a restart"):
through a real snmpd, the agent is restarted over accounting files of two
days (tests/tools/acct-gen), then "the next day" (yesterday's file more than
24 hours old), then a SIGHUP restarts collection, then snmpd restarts, then
PowerMTA's counters go back; after
each, pmtaAgentCountersStarted, pmtaAgentCountersDiscontinuity,
pmtaInstanceCounterResetTime and pmtaInstanceDiscontinuityTime must have
changed exactly as the MIB says, on the sysUpTime.0 snmpd itself serves."""
import calendar
import copy
import json
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from pmtatest import SYS_UPTIME_OID, TOP_SRCDIR, Env, main, wait_for  # noqa: E402

GEN = os.path.join(TOP_SRCDIR, "tests", "tools", "acct-gen")
PING = 1
SIM = {"traffic": {"out": {"rcp": 5000, "msg": 4000, "kb": 9000}, "in": {"rcp": 6000, "msg": 5000, "kb": 9900}},
       "uptime": 7200}


def gen(env, d, name, now, records, seed):
    """One accounting file d/name of records ending at now (acct-gen writes
    into an empty directory, so it works in its own, then the file moves);
    returns the records acct-gen says the agent must count."""
    work = env.mkdir("gen-" + name)
    exp = os.path.join(work, "expected.json")
    r = subprocess.run([sys.executable, GEN, "--out", work, "--files", "1", "--name", name, "--now", str(now),
                        "--records", str(records), "--malformed", "0", "--seed", str(seed), "--expected", exp],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    os.rename(os.path.join(work, name), os.path.join(d, name))
    return json.load(open(exp))["acct_records"]


def date_and_time(text):
    """Seconds since 1970 of a DateAndTime as snmpget prints it (2026-12-1,4:5:6.3,+0:0)."""
    m = re.fullmatch(r"(\d+)-(\d+)-(\d+),(\d+):(\d+):(\d+)\.(\d),([+-])(\d+):(\d+)", text or "")
    assert m, f"not a DateAndTime: {text!r}"
    y, mo, d, h, mi, s, ds, sign, oh, om = m.groups()
    assert (sign, oh, om) == ("+", "0", "0"), f"not UTC: {text}"
    return calendar.timegm((int(y), int(mo), int(d), int(h), int(mi), int(s), 0, 0, 0)) + int(ds) / 10


def read(env):
    """(sysUpTime.0, pmtaAgentCountersDiscontinuity, pmtaInstanceDiscontinuityTime.1,
    pmtaAgentCountersStarted, pmtaInstanceCounterResetTime.1): the TimeStamps in
    hundredths, the dates in epoch seconds (to the tenth); sysUpTime read last, so it bounds the rest."""
    a = env.snmpget("pmtaAgentCountersDiscontinuity.0", "pmtaInstanceDiscontinuityTime.1",
                    "pmtaAgentCountersStarted.0", "pmtaInstanceCounterResetTime.1", SYS_UPTIME_OID)
    assert a.ok and None not in a.value, (a.value, a.err)
    disc, inst_disc, started, reset, up = a.value
    return int(up), int(disc), int(inst_disc), date_and_time(started), date_and_time(reset)


def uptime(env):
    return int(env.snmpget(SYS_UPTIME_OID).value[0])


def restart_agent(env, conf):
    env.agent.stop()
    env.procs.remove(env.agent)
    env.start_agent(conf, ready=lambda e: e.registered())


def records_are(env, n):
    wait_for(lambda: env.get("pmtaAgentAcctRecords.0") == str(n), 30, f"{n} records read")


def next_second(t):
    """Waits (polling the clock) until the wall clock is past second t, so that a
    DateAndTime taken now differs from one taken at t."""
    wait_for(lambda: time.time() >= t + 1, 3, "the next second")


def test_restarts_next_day_and_snmpd_restart_signal_every_discontinuity():
    with Env("counter-restart") as env:
        d = env.mkdir("acct")
        today = int(time.time()) // 86400 * 86400
        yday = time.strftime("%Y-%m-%d", time.gmtime(today - 60))
        n1 = gen(env, d, f"acct-{yday}-0000.csv", today - 60, 700, 31)       # yesterday until 23:59
        n2 = gen(env, d, time.strftime("acct-%Y-%m-%d-0000.csv", time.gmtime(today)), int(time.time()), 500, 32)
        env.start_snmpd()
        sim = env.start_sim(SIM)
        conf = (f"agentxPingInterval {PING}\npmtaInstance mta1 {sim.url}\npmtaPollInterval 1\n"
                f"pmtaAcctFiles mta1 {d}/acct-*.csv\n")

        # First start: the discontinuity is the master's sysUpTime when the agent started.
        up_before, wall_before = uptime(env), int(time.time())
        env.start_agent(conf, ready=lambda e: e.registered())
        records_are(env, n1 + n2)
        wait_for(lambda: env.get("pmtaInstanceOutRcpt.1") == "5000", 10, "the first poll")
        up0, disc0, idisc0, started0, reset0 = read(env)
        assert up_before <= disc0 <= up0, (up_before, disc0, up0)
        assert wall_before <= started0 <= time.time(), (wall_before, started0)
        assert idisc0 == 0
        # PowerMTA started 7200 s before the simulator, long before the agent.
        assert reset0 == started0, (reset0, started0)
        print(f"  start: {n1}+{n2} records, discontinuity {disc0} (sysUpTime {up_before}..{up0})")
        # Nothing changes between reads while nothing happens.
        sim.wait_polls("/status", n=2)
        assert read(env)[1:] == (disc0, idisc0, started0, reset0)

        # Same day: the files are read again, the counters come back to the same
        # totals, and both indicators move to the restart.
        next_second(started0)
        up_before, wall_before = uptime(env), int(time.time())
        restart_agent(env, conf)
        records_are(env, n1 + n2)
        up1, disc1, idisc1, started1, reset1 = read(env)
        assert up_before <= disc1 <= up1 and disc1 > disc0, (up_before, disc1, up1, disc0)
        assert wall_before <= started1 <= time.time() and started1 > started0
        assert reset1 == started1 and idisc1 == 0
        print(f"  restart: {n1 + n2} records again, discontinuity {disc0} -> {disc1}")

        # The next day: yesterday's file is now more than 24 hours old, so a
        # restart leaves it out and the counters fall to today's file alone.
        old = time.time() - 25 * 3600
        os.utime(os.path.join(d, f"acct-{yday}-0000.csv"), (old, old))
        next_second(started1)
        up_before, wall_before = uptime(env), int(time.time())
        restart_agent(env, conf)
        records_are(env, n2)
        up2, disc2, idisc2, started2, reset2 = read(env)
        assert up_before <= disc2 <= up2 and disc2 > disc1
        assert wall_before <= started2 and started2 > started1 and reset2 == started2
        print(f"  next day: {n2} records (yesterday's {n1} left out), discontinuity {disc1} -> {disc2}")

        # A SIGHUP that changes a collection setting restarts collection: the same.
        next_second(started2)
        up_before, wall_before = uptime(env), int(time.time())
        env.write_conf(conf + "pmtaStatsWindow 600\n")
        env.agent.send_signal(signal.SIGHUP)
        wait_for(lambda: "restarting collection" in env.agent_log_text(), 10, "collection restarted")
        records_are(env, n2)
        wait_for(lambda: read(env)[1] > disc2, 10, "the discontinuity to move")
        up2, disc2, idisc2, started2, reset2 = read(env)
        assert up_before <= disc2 <= up2 and wall_before <= started2 and reset2 == started2
        print(f"  SIGHUP restarting collection: {n2} records again, discontinuity -> {disc2}")

        # snmpd restarts: its sysUpTime starts again, the agent's counters do not,
        # so the TimeStamp reads 0 (before snmpd's start) and the date stays.
        env.kill_snmpd()
        env.restart_snmpd()
        wait_for(env.registered, 15, "the agent to register with the new snmpd")
        up3, disc3, idisc3, started3, reset3 = read(env)
        assert disc3 == 0 and idisc3 == 0 and up3 < up2, (disc3, idisc3, up3, up2)
        assert (started3, reset3) == (started2, reset2)
        assert env.get("pmtaAgentAcctRecords.0") == str(n2)

        # PowerMTA's counters go back (`pmta reset counters`): the instance's
        # TimeStamp is snmpd's sysUpTime at that poll, its date moves, the agent's stay.
        next_second(started3)
        up_before, wall_before = uptime(env), int(time.time())
        low = copy.deepcopy(SIM)
        low["traffic"]["out"]["rcp"] = 10
        sim.set_scenario(low)
        wait_for(lambda: env.get("pmtaInstanceOutRcpt.1") == "10", 10, "the reset counters")
        up4, disc4, idisc4, started4, reset4 = read(env)
        # The instance's TimeStamp has whole-second precision: a second of slack below.
        assert up_before - 100 <= idisc4 <= up4, (up_before, idisc4, up4)
        assert wall_before <= reset4 <= time.time() and reset4 > started4
        assert (disc4, started4) == (0, started3)
        print(f"  PowerMTA reset: pmtaInstanceDiscontinuityTime {idisc4} (sysUpTime {up_before}..{up4})")
        assert read(env)[1:] == (disc4, idisc4, started4, reset4)


if __name__ == "__main__":
    main([test_restarts_next_day_and_snmpd_restart_signal_every_discontinuity])
