"""Thresholds end to end (README.md, "Thresholds and notifications"): thresholds raise and clear notifications that a real
snmptrapd receives from a real snmpd, with the exact varbinds."""
import copy
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from pmtatest import Env, Sim, main, wait_for  # noqa: E402

ROOT = ".1.3.6.1.4.1.32473.25"
N = {name: f"{ROOT}.0.{i}" for i, name in enumerate(
    ["pmtaApiDown", "pmtaApiUp", "pmtaQueueHigh", "pmtaQueueHighClear", "pmtaBounceRateHigh",
     "pmtaBounceRateHighClear", "pmtaDeferralRateHigh", "pmtaDeferralRateHighClear", "pmtaLatencyHigh",
     "pmtaLatencyHighClear", "pmtaConnectionsHigh", "pmtaConnectionsHighClear", "pmtaAcctStalled",
     "pmtaAcctStalledClear", "pmtaComplaintRateHigh", "pmtaComplaintRateHighClear"], start=1)}
ALARM = f"{ROOT}.1.11.1"   # pmtaAlarmEntry

SCEN = {
    "queue": {"smtp": {"rcp": 100, "dom": 3, "kb": 10.0}},
    "conn": {"in": {"cur": 1, "max": 100, "top": 5}, "out": {"cur": 10, "max": 100, "top": 50}},
    "traffic": {"out": {"rcp": 10}, "in": {"rcp": 10}},
}

HEADER = ("type,timeLogged,timeQueued,orig,rcpt,orcpt,dsnAction,dsnStatus,dsnDiag,dsnMta,bounceCat,"
          "srcType,srcMta,dlvType,dlvSourceIp,dlvDestinationIp,dlvEsmtpAvailable,dlvSize,vmta,jobId,envId,"
          "queue,vmtaPool\r\n")


def record(kind, rcpt, t, cat="", status="2.0.0 (success)"):
    ts = time.strftime("%Y-%m-%d %H:%M:%S+0000", time.gmtime(t))
    tq = time.strftime("%Y-%m-%d %H:%M:%S+0000", time.gmtime(t - 5))
    return (f"{kind},{ts},{tq},bounce@example.org,{rcpt},,relayed,{status},smtp;250 ok,mx (1.2.3.4),{cat},"
            f"api,src,smtp,10.0.0.1,1.2.3.4,\"8BITMIME,SIZE\",1000,vmta1,job1,,{rcpt.split('@')[1]}/vmta1,pool\r\n")


def conf(env, sim, extra):
    return (f"agentxPingInterval 1\npmtaInstance mta1 {sim.url}\npmtaPollInterval 1\npmtaApiTimeout 1\n"
            f"pmtaAcctFiles mta1 {env.path('acct')}/acct-*.csv\n" + extra)


def traps_of(env, oid):
    return [vbs for t, vbs in env.traps() if t == oid]


def vb(vbs, col):
    """A varbind of the alarm row by column number, whatever the alarm index."""
    for k, v in vbs.items():
        if k.startswith(f"{ALARM}.{col}."):
            return v
    return None


def setup(env, extra, scen=SCEN):
    os.makedirs(env.path("acct"))
    with open(env.path("acct/acct-2026-01-01-0000.csv"), "w") as f:
        f.write(HEADER)
    env.start_trapd()
    env.start_snmpd()
    sim = Sim(env, scen)
    env.start_agent(conf(env, sim, extra))
    wait_for(lambda: env.get("pmtaInstanceApiStatus.1") == "1", 10, "API ok")
    return sim


def test_queue_threshold_levels_hysteresis_and_varbinds():
    with Env("alarm-queue") as env:
        sim = setup(env, "pmtaThreshold qsize queuedRcpt instance warn=1000 crit=2000\n")
        assert env.get("pmtaThresholdRule.1") == "qsize" and env.get("pmtaThresholdWarn.1") == "1000"
        assert env.get("pmtaThresholdMetric.1") == "queuedRcpt" and env.get("pmtaThresholdScope.1") == "instance"

        def level(rcp):
            s = copy.deepcopy(SCEN)
            s["queue"]["smtp"]["rcp"] = rcp
            sim.set_scenario(s)
            wait_for(lambda: env.get("pmtaInstanceQueuedRcpt.1") == str(rcp), 10, f"queue at {rcp}")
            time.sleep(0.3)   # one evaluation after the snapshot lands

        level(1500)
        wait_for(lambda: len(traps_of(env, N["pmtaQueueHigh"])) == 1, 10, "warning raise")
        t = traps_of(env, N["pmtaQueueHigh"])[0]
        assert (vb(t, 2), vb(t, 3), vb(t, 4), vb(t, 5), vb(t, 6), vb(t, 7)) == \
            ("qsize", "mta1", "instance", "1", "1500", "1000"), t
        assert env.get("pmtaAgentActiveAlarms.0") == "1"
        rows = env.walk(ALARM, numeric=True)
        assert any(k.startswith(f"{ALARM}.2.") and v == "qsize" for k, v in rows), rows
        level(1600)                               # same level: nothing new
        level(2500)
        wait_for(lambda: len(traps_of(env, N["pmtaQueueHigh"])) == 2, 10, "critical raise")
        assert vb(traps_of(env, N["pmtaQueueHigh"])[1], 5) == "2"
        level(1900)                               # above 90% of 2000: still critical
        level(1700)                               # below 1800: back to warning
        wait_for(lambda: len(traps_of(env, N["pmtaQueueHigh"])) == 3, 10, "warning again")
        assert vb(traps_of(env, N["pmtaQueueHigh"])[2], 5) == "1"
        level(950)                                # above 900: holds
        assert traps_of(env, N["pmtaQueueHighClear"]) == []
        level(800)
        wait_for(lambda: len(traps_of(env, N["pmtaQueueHighClear"])) == 1, 10, "clear")
        c = traps_of(env, N["pmtaQueueHighClear"])[0]
        assert (vb(c, 2), vb(c, 4), vb(c, 6)) == ("qsize", "instance", "800"), c
        assert env.get("pmtaAgentActiveAlarms.0") == "0"
        assert len(traps_of(env, N["pmtaQueueHigh"])) == 3   # exactly three raises in all


def test_gmail_bounce_rate_seed_rule():
    with Env("alarm-bounce") as env:
        setup(env, "pmtaThreshold gmail-bounce bounceRate domain:gmail.com warn=3% crit=5% window=600 min=100\n")
        now = time.time()
        acct = env.path("acct/acct-2026-01-01-0000.csv")
        with open(acct, "a") as f:     # 1 bounce of 2 mails: too few to say anything
            f.write(record("d", "a@gmail.com", now - 30) + record("b", "b@gmail.com", now - 30, "bad-mailbox", "5.1.1 (bad)"))
        wait_for(lambda: env.get("pmtaAgentAcctRecords.0") == "2", 10, "2 records")
        time.sleep(1.5)
        assert traps_of(env, N["pmtaBounceRateHigh"]) == []
        with open(acct, "a") as f:     # 10 of 110: 9.09%
            for i in range(99):
                f.write(record("d", f"u{i}@GMail.com", now - 20))
            for i in range(9):
                f.write(record("b", f"x{i}@gmail.com", now - 20, "bad-mailbox", "5.1.1 (bad)"))
        wait_for(lambda: len(traps_of(env, N["pmtaBounceRateHigh"])) == 1, 10, "bounce rate raise")
        t = traps_of(env, N["pmtaBounceRateHigh"])[0]
        assert (vb(t, 2), vb(t, 4), vb(t, 5), vb(t, 6), vb(t, 7)) == \
            ("gmail-bounce", "domain:gmail.com", "2", "909", "500"), t
        # yahoo's bounces do not count for gmail
        with open(acct, "a") as f:
            for i in range(50):
                f.write(record("b", f"y{i}@yahoo.com", now - 10, "policy-related", "5.7.1 (denied)"))
            for i in range(300):
                f.write(record("d", f"v{i}@gmail.com", now - 10))
        wait_for(lambda: len(traps_of(env, N["pmtaBounceRateHighClear"])) == 1, 10, "bounce rate clear")
        assert vb(traps_of(env, N["pmtaBounceRateHighClear"])[0], 6) == str(10 * 10000 // 410)


def test_gmail_complaint_rate_rule():
    """Complaints (f records) per delivery, like Gmail's published spam-rate limit, with min= and the clear."""
    with Env("alarm-complaint") as env:
        setup(env, "pmtaThreshold gmail-complaints complaintRate domain:gmail.com warn=1% crit=3% min=100\n")
        now = time.time()
        acct = env.path("acct/acct-2026-01-01-0000.csv")
        with open(acct, "a") as f:     # 3 complaints on 99 deliveries: below min=100, no alarm
            f.write("".join(record("d", f"u{i}@gmail.com", now - 30) for i in range(99)))
            f.write("".join(record("f", f"u{i}@Gmail.com", now - 25, status="") for i in range(3)))
            f.write("".join(record("f", f"y{i}@yahoo.com", now - 25, status="") for i in range(40)))
        wait_for(lambda: env.get("pmtaAgentAcctRecords.0") == "142", 10, "142 records")
        time.sleep(1.5)
        assert traps_of(env, N["pmtaComplaintRateHigh"]) == []
        with open(acct, "a") as f:     # the 100th delivery: 3 / 100 = 300 basis points, critical
            f.write(record("d", "v@gmail.com", now - 20))
        wait_for(lambda: len(traps_of(env, N["pmtaComplaintRateHigh"])) >= 1, 10, "complaint rate raise")
        t = traps_of(env, N["pmtaComplaintRateHigh"])[0]
        assert (vb(t, 2), vb(t, 4), vb(t, 5), vb(t, 6), vb(t, 7)) == \
            ("gmail-complaints", "domain:gmail.com", "2", "300", "300"), t
        rows = env.table("pmtaDomainTable")
        assert any(r.get("pmtaDomainComplaints") == "3" and r.get("pmtaDomainComplaintRate") == "300"
                   for r in rows), rows
        with open(acct, "a") as f:     # 3 / 500 = 60, under 90% of warn=1%: cleared
            f.write("".join(record("d", f"w{i}@gmail.com", now - 10) for i in range(400)))
        wait_for(lambda: len(traps_of(env, N["pmtaComplaintRateHighClear"])) == 1, 10, "complaint rate clear")
        assert vb(traps_of(env, N["pmtaComplaintRateHighClear"])[0], 6) == "60"


def queue_record(kind, rcpt, t, vmta, queue, cat="", status="2.0.0 (success)"):
    """A record of one queue: rcpt's domain through vmta, queue as PowerMTA names it ("" for none)."""
    return record(kind, rcpt, t, cat, status).replace(
        f",vmta1,job1,,{rcpt.split('@')[1]}/vmta1,", f",{vmta},job1,,{queue},")


def test_queue_rate_rules_per_ip_per_isp_on_two_instances():
    """"Gmail is bouncing vmta-3": bounceRate queue:* raises for that queue alone, on the instance
    whose files say so; an accounting-only instance has queue rows too; complaints without a queue
    column count where their (domain, vmta) went, a rollup queue included."""
    with Env("alarm-queue-rate") as env:
        setup(env, "pmtaInstance mta2 -\n"
                   f"pmtaAcctFiles mta2 {env.path('acct2')}/acct-*.csv\n"
                   "pmtaThreshold isp-ip bounceRate queue:* warn=3% crit=5% min=100\n"
                   "pmtaThreshold yahoo-spam complaintRate queue:YAHOO.rollup/vmta-3@mta2 warn=1% crit=3% min=50\n")
        os.makedirs(env.path("acct2"))
        now = time.time()
        with open(env.path("acct/acct-2026-01-01-0000.csv"), "a") as f:
            f.write("".join(queue_record("d", f"u{i}@gmail.com", now - 30, "vmta-3", "gmail.com/vmta-3")
                            for i in range(90)))
            f.write("".join(queue_record("b", f"b{i}@Gmail.com", now - 30, "vmta-3", "GMAIL.COM/vmta-3",
                                         "policy-related", "5.7.1 (denied)") for i in range(10)))
            f.write("".join(queue_record("d", f"v{i}@gmail.com", now - 30, "vmta1", "gmail.com/vmta1")
                            for i in range(200)))
        with open(env.path("acct2/acct-2026-01-01-0000.csv"), "w") as f:
            f.write(HEADER)
            f.write("".join(queue_record("d", f"u{i}@gmail.com", now - 30, "vmta-3", "gmail.com/vmta-3")
                            for i in range(300)))
            f.write("".join(queue_record("d", f"y{i}@yahoo.com", now - 30, "vmta-3", "yahoo.rollup/vmta-3")
                            for i in range(40)))
            f.write("".join(queue_record("d", f"z{i}@yahoo.fr", now - 30, "vmta-3", "yahoo.rollup/vmta-3")
                            for i in range(60)))
            # Complaints carry no queue column: the route of (yahoo.com, vmta-3) is the rollup queue.
            f.write("".join(queue_record("f", f"y{i}@yahoo.com", now - 20, "vmta-3", "", status="")
                            for i in range(2)))
        wait_for(lambda: len(traps_of(env, N["pmtaBounceRateHigh"])) == 1, 15, "the queue's bounce-rate raise")
        t = traps_of(env, N["pmtaBounceRateHigh"])[0]
        assert (vb(t, 2), vb(t, 3), vb(t, 4), vb(t, 5), vb(t, 6)) == \
            ("isp-ip", "mta1", "queue:gmail.com/vmta-3", "2", "1000"), t
        wait_for(lambda: len(traps_of(env, N["pmtaComplaintRateHigh"])) == 1, 15, "the rollup's complaint raise")
        t = traps_of(env, N["pmtaComplaintRateHigh"])[0]
        assert (vb(t, 2), vb(t, 3), vb(t, 4), vb(t, 5), vb(t, 6)) == \
            ("yahoo-spam", "mta2", "queue:yahoo.rollup/vmta-3", "1", "200"), t
        time.sleep(1.5)
        assert len(traps_of(env, N["pmtaBounceRateHigh"])) == 1     # gmail.com/vmta1 and mta2's queues are fine
        # pmtaQueueListed false(2) (-Oe): the simulator lists no queues, the files name them all.
        rows = {(r["index"], r.get("pmtaQueueDomain"), r.get("pmtaQueueVmta")): r
                for r in env.table("pmtaQueueTable")}
        got = {k: (r.get("pmtaQueueDelivered"), r.get("pmtaQueueBounced"), r.get("pmtaQueueBounceRate"),
                   r.get("pmtaQueueComplaints"), r.get("pmtaQueueListed")) for k, r in rows.items()}
        assert got == {
            ('1."gmail.com/vmta-3"', "gmail.com", "vmta-3"): ("90", "10", "1000", "0", "2"),
            ('1."gmail.com/vmta1"', "gmail.com", "vmta1"): ("200", "0", "0", "0", "2"),
            ('2."gmail.com/vmta-3"', "gmail.com", "vmta-3"): ("300", "0", "0", "0", "2"),
            ('2."yahoo.rollup/vmta-3"', "yahoo.rollup", "vmta-3"): ("100", "0", "0", "2", "2"),
        }, got


def test_snmpd_restart_resends_active_alarms():
    with Env("alarm-restart") as env:
        setup(env, "pmtaThreshold conn connUtilization instance warn=5 crit=50\n")
        wait_for(lambda: len(traps_of(env, N["pmtaConnectionsHigh"])) == 1, 10, "raise")
        env.kill_snmpd()
        env.restart_snmpd()
        # reconnect within the ping interval (1 s) plus 2 s, then the raise again
        wait_for(lambda: len(traps_of(env, N["pmtaConnectionsHigh"])) == 2, 8, "re-sent raise")
        assert env.get("pmtaAgentActiveAlarms.0") == "1"
        assert env.get("pmtaInstanceApiStatus.1") == "1"


def test_api_down_and_up():
    with Env("alarm-api") as env:
        sim = setup(env, "pmtaThreshold api apiDown instance warn=2 crit=4\n")
        sim.kill()
        wait_for(lambda: len(traps_of(env, N["pmtaApiDown"])) >= 1, 10, "api down")
        sim.start()
        wait_for(lambda: len(traps_of(env, N["pmtaApiUp"])) == 1, 10, "api up")


def test_reload_keeps_clears_and_refuses_bad_config():
    with Env("alarm-reload") as env:
        sim = setup(env, "pmtaThreshold conn connUtilization instance warn=5 crit=50\n"
                         "pmtaThreshold q queuedRcpt instance warn=50 crit=5000\n")
        wait_for(lambda: len(traps_of(env, N["pmtaConnectionsHigh"])) == 1 and
                 len(traps_of(env, N["pmtaQueueHigh"])) == 1, 10, "two raises")
        good = conf(env, sim, "pmtaThreshold conn connUtilization instance warn=5 crit=50\n")
        env.write_conf(good)
        env.agent.send_signal(signal.SIGHUP)
        wait_for(lambda: len(traps_of(env, N["pmtaQueueHighClear"])) == 1, 10, "removed rule cleared")
        assert traps_of(env, N["pmtaConnectionsHighClear"]) == []
        assert env.get("pmtaAgentActiveAlarms.0") == "1"
        env.write_conf(good + "pmtaBogus 1\n")
        env.agent.send_signal(signal.SIGHUP)
        wait_for(lambda: "keeping the running configuration" in env.agent_log_text(), 10, "bad config refused")
        assert env.get("pmtaAgentActiveAlarms.0") == "1" and env.agent.alive()


def test_storm_is_rate_limited_but_table_complete():
    with Env("alarm-storm") as env:
        scen = copy.deepcopy(SCEN)
        scen["queues"] = [{"name": f"d{i}.example/vmta1", "rcp": 500} for i in range(20)]
        setup(env, "pmtaTrapRateLimit 5\npmtaThreshold qq queuedRcpt queue:* warn=100 crit=1000\n", scen)
        wait_for(lambda: env.get("pmtaAgentActiveAlarms.0") == "20", 10, "20 alarms")
        time.sleep(1)
        assert len(traps_of(env, N["pmtaQueueHigh"])) == 5
        assert "held back" in env.agent_log_text()


if __name__ == "__main__":
    main([test_queue_threshold_levels_hysteresis_and_varbinds, test_gmail_bounce_rate_seed_rule,
          test_gmail_complaint_rate_rule,
          test_queue_rate_rules_per_ip_per_isp_on_two_instances,
          test_snmpd_restart_resends_active_alarms, test_api_down_and_up,
          test_reload_keeps_clears_and_refuses_bad_config, test_storm_is_rate_limited_but_table_complete])
