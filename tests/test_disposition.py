"""Final disposition end to end (README.md, "Final disposition"): recipients a t record
deferred, followed to the d or b record that resolves them, through a real snmpd, with the
exact figures of tests/tools/acct-gen's files (resolved both ways, never resolved, given up at
pmtaMaxPending), across agent restarts the same day and after midnight, and the pendingRcpt
threshold with its notification pair."""
import json
import os
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))
sys.path.insert(0, HERE)
from pmtatest import Env, main, wait_for  # noqa: E402
import test_acct_gen as recounting  # noqa: E402
import test_acct_tables as tables  # noqa: E402

ROOT = ".1.3.6.1.4.1.32473.25"
PENDING_HIGH, PENDING_CLEAR = f"{ROOT}.0.19", f"{ROOT}.0.20"
ALARM = f"{ROOT}.1.11.1"   # pmtaAlarmEntry


def conf(d, extra=""):
    return f"pmtaInstance mta1 -\npmtaAcctFiles mta1 {d}/acct-*.csv\n" + extra


def restart(env, text):
    env.agent.stop()
    env.start_agent(text, ready=lambda e: e.registered())


def disposition_problems(env, want):
    """The disposition columns and scalars against a recount (test_acct_gen.recount())."""
    problems = []
    tol = {"relative": 0.05, "absolute_s": 1}
    keys = {"pmtaAgentPendingRcpt.0": "pending", "pmtaAgentPendingGivenUp.0": "pending_given_up",
            "pmtaAgentAcctRecords.0": "acct_records", "pmtaInstancePendingRcpt.1": "pending",
            "pmtaInstancePendingGivenUp.1": "pending_given_up", "pmtaInstancePendingMax.1": "max_pending"}
    for what, k in keys.items():
        got = env.get(what)
        if str(got) != str(want[k]):
            problems.append(f"{what}: agent {got}, expected {want[k]}")
    for table_no, key, first in ((6, "domains", 22), (5, "vmtas", 21), (4, "queues", 31)):
        rows = tables.walk_table(env, table_no)
        for name, w in want[key].items():
            row = rows.get((tables.index_name(name),))
            if row is None:
                problems.append(f"{key} {name}: no row")
                continue
            tables.check_disposition(problems, f"{key} {name}", row, first, w, tol)
    return problems


def settle_recount(env, want):
    wait_for(lambda: env.get("pmtaAgentAcctRecords.0") == str(want["acct_records"]), 30, "every record read")
    time.sleep(1.2)
    problems = disposition_problems(env, want)
    if problems:
        time.sleep(1.5)     # a snapshot may land between two walks
        problems = disposition_problems(env, want)
    assert not problems, "\n".join(problems[:40]) + f"\n({len(problems)} differences)"


def test_given_up_at_the_cap_exactly():
    with Env("disp-cap") as env:
        d = env.mkdir("acct")
        expf = env.path("expected.json")
        tables.gen("--out", d, "--files", "3", "--records", "3000", "--seed", "31", "--expected", expf,
                   "--max-pending", "3")
        exp = json.load(open(expf))
        # The files must exercise the cap: more deferred recipients than it holds.
        assert exp["pending_given_up"] > 0 and exp["pending"] <= 3, (exp["pending"], exp["pending_given_up"])
        env.start_snmpd()
        env.start_agent(conf(d, "pmtaMaxPending 3\n"))
        tables.settle(env, exp)
        print(f"  {exp['all']['deferred_delivered']} deferred then delivered, {exp['all']['deferred_bounced']} "
              f"bounced, {exp['pending']} pending, {exp['pending_given_up']} given up at the cap of 3")


def test_restart_same_day_and_after_midnight():
    with Env("disp-restart") as env:
        d = env.mkdir("acct")
        expf = env.path("expected.json")
        tables.gen("--out", d, "--files", "3", "--records", "3000", "--seed", "32", "--expected", expf)
        exp = json.load(open(expf))
        files = exp["files"]
        # Today's file alone, as a fresh start after midnight reads it: counted again here.
        today = env.mkdir("today")
        shutil.copy(os.path.join(d, files[-1]), today)
        after_midnight, _ = recounting.recount(today, exp["now"], exp["window"])
        # Some of today's deliveries and bounces resolve deferrals of the earlier files.
        assert after_midnight["all"]["deferred_delivered"] + after_midnight["all"]["deferred_bounced"] < \
            exp["all"]["deferred_delivered"] + exp["all"]["deferred_bounced"]
        assert exp["pending"] > 0 and exp["all"]["deferred_bounced"] > 0
        env.start_snmpd()
        text = conf(d)
        env.start_agent(text)
        tables.settle(env, exp)
        restart(env, text)
        tables.settle(env, exp)     # the same files read again: every resolution back
        print(f"  restart the same day: {exp['all']['deferred_delivered']} + {exp['all']['deferred_bounced']} "
              f"resolved, {exp['pending']} pending again")
        # After midnight: the earlier files are more than 24 hours old and not read at start.
        old = time.time() - 25 * 3600
        for name in files[:-1]:
            os.utime(os.path.join(d, name), (old, old))
        restart(env, text)
        settle_recount(env, after_midnight)
        print(f"  restart after midnight: {after_midnight['all']['deferred_delivered']} + "
              f"{after_midnight['all']['deferred_bounced']} resolved, {after_midnight['pending']} pending")


HEADER = ("type,timeLogged,timeQueued,orig,rcpt,orcpt,dsnAction,dsnStatus,dsnDiag,dsnMta,bounceCat,"
          "srcType,srcMta,dlvType,dlvSourceIp,dlvDestinationIp,dlvEsmtpAvailable,dlvSize,vmta,jobId,envId,"
          "queue,vmtaPool\r\n")


def record(kind, rcpt, t, queued, cat="", status="2.0.0 (success)"):
    ts = time.strftime("%Y-%m-%d %H:%M:%S+0000", time.gmtime(t))
    tq = time.strftime("%Y-%m-%d %H:%M:%S+0000", time.gmtime(queued))
    return (f"{kind},{ts},{tq},bounce@example.org,{rcpt},,relayed,{status},smtp;250 ok,mx (1.2.3.4),{cat},"
            f"api,src,smtp,10.0.0.1,1.2.3.4,\"8BITMIME,SIZE\",1000,vmta1,job1,env-{rcpt.lower()},"
            f"{rcpt.split('@')[1]}/vmta1,pool\r\n")


def alarm_vb(vbs, col):
    for k, v in vbs.items():
        if k.startswith(f"{ALARM}.{col}."):
            return v
    return None


def test_pending_threshold_raises_and_clears():
    with Env("disp-alarm") as env:
        d = env.mkdir("acct")
        acct = os.path.join(d, "acct-2026-01-01-0000.csv")
        with open(acct, "w") as f:
            f.write(HEADER)
        env.start_trapd()
        env.start_snmpd()
        env.start_agent(conf(d, "pmtaThreshold late pendingRcpt domain:x.example warn=3 crit=10\n"))
        now = int(time.time())
        who = ["a@x.example", "b@x.example", "c@x.example"]
        first, delivered_at, bounced_at = now - 300, now - 100, now - 50
        with open(acct, "a") as f:
            for r in who:
                f.write(record("t", r, first, now - 400, status="4.2.1 (busy)"))
            f.write(record("t", who[0], now - 200, now - 400, status="4.2.1 (busy)"))   # deferred again
        wait_for(lambda: [v for t, v in env.traps() if t == PENDING_HIGH], 15, "pmtaPendingRcptHigh")
        raised = [v for t, v in env.traps() if t == PENDING_HIGH][0]
        assert (alarm_vb(raised, 2), alarm_vb(raised, 4), alarm_vb(raised, 5), alarm_vb(raised, 6)) == \
            ("late", "domain:x.example", "1", str(len(who))), raised
        with open(acct, "a") as f:
            f.write(record("d", "A@X.example", delivered_at, now - 400))       # rcpt in another case
        # 2 pending is below 90% of 3: the alarm clears.
        wait_for(lambda: [v for t, v in env.traps() if t == PENDING_CLEAR], 15, "pmtaPendingRcptHighClear")
        cleared = [v for t, v in env.traps() if t == PENDING_CLEAR][0]
        assert (alarm_vb(cleared, 2), alarm_vb(cleared, 6)) == ("late", str(len(who) - 1)), cleared
        with open(acct, "a") as f:
            f.write(record("b", who[1], bounced_at, now - 400, "message-expired", "5.4.7 (expired)"))
        wait_for(lambda: env.get("pmtaAgentPendingRcpt.0") == str(len(who) - 2), 15, "the bounce read")
        time.sleep(1.2)     # the domain rows of the same snapshot
        row = tables.walk_table(env, 6)[(b"x.example",)]
        # delivered, bounced, given up, pending, resolved in the window, share, p50, p95 (s), rb after d
        got = [row.get(c) for c in range(22, 31)]
        took = sorted([delivered_at - first, bounced_at - first])
        want = [1, 1, 0, len(who) - 2, 2, 10000 * 1 // 2, took[0], took[1], 0]
        tol = {"relative": 0.05, "absolute_s": 1}   # the percentiles' histogram buckets, as for latency
        assert got[:6] + got[8:] == [str(x) for x in want[:6] + want[8:]], (got, want)
        assert all(tables.close(int(got[i]), want[i], tol) for i in (6, 7)), (got, want)


if __name__ == "__main__":
    main([test_given_up_at_the_cap_exactly, test_restart_same_day_and_after_midnight,
          test_pending_threshold_raises_and_clears])
