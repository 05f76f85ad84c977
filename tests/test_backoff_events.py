"""Queue backoff as an event (README.md, "Thresholds and notifications"): the
simulator switches queues between normal and backoff, a real snmptrapd behind
a real snmpd receives pmtaQueueBackoff and pmtaQueueBackoffClear with their
exact varbinds, pmtaAlarmTable has one row per queue in backoff, and
pmtaQueueBackoffEntries / pmtaQueueBackoffSeconds count; pmtaTrapRateLimit
holds notifications back and pmtaQueueBackoffEvents no turns the event off."""
import copy
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from pmtatest import Env, main, wait_for  # noqa: E402

ROOT = ".1.3.6.1.4.1.32473.25"
BACKOFF, CLEAR = f"{ROOT}.0.17", f"{ROOT}.0.18"
ALARM = f"{ROOT}.1.11.1"   # pmtaAlarmEntry
QUEUE = f"{ROOT}.1.4.1"    # pmtaQueueEntry
Q1, Q2 = "gmail.com/vmta1", "yahoo.com/vmta2"
ERR = "421 4.7.0 [TSS04] Messages temporarily deferred due to user complaints"


def scenario(modes):
    """Two queues; modes maps a queue name to its mode (normal when absent)."""
    return {"queues": [{"name": n, "rcp": 100, "mode": modes.get(n, "normal"),
                        "events": [{"type": "error", "text": ERR if n == Q1 else "452 too many"}]}
                       for n in (Q1, Q2)],
            "traffic": {"out": {"rcp": 10}, "in": {"rcp": 10}}}


def qidx(name):
    b = name.encode()
    return f"1.{len(b)}." + ".".join(str(c) for c in b)


def traps_of(env, oid):
    return [vbs for t, vbs in env.traps() if t == oid]


def alarm_vb(vbs, col):
    for k, v in vbs.items():
        if k.startswith(f"{ALARM}.{col}."):
            return v
    return None


def qget(env, col, name):
    return env.get(f"{QUEUE}.{col}.{qidx(name)}")


def alarm_subjects(env):
    return sorted(v for k, v in env.walk(ALARM, numeric=True) if k.startswith(f"{ALARM}.4."))


def start(env, sim_modes, extra=""):
    env.start_trapd()
    env.start_snmpd()
    sim = env.start_sim(scenario(sim_modes))
    conf = f"agentxPingInterval 1\npmtaInstance mta1 {sim.url}\npmtaPollInterval 1\n" + extra
    env.start_agent(conf)
    wait_for(lambda: qget(env, 8, Q1) is not None, 10, "the queue rows")
    return sim, conf


def test_backoff_and_back_send_both_notifications_and_count():
    with Env("backoff") as env:
        sim, _ = start(env, {})
        assert qget(env, 29, Q1) == "0" and qget(env, 30, Q1) == "0"
        assert traps_of(env, BACKOFF) == [] and alarm_subjects(env) == []

        t0 = time.monotonic()
        sim.set_scenario(scenario({Q1: "backoff"}))
        wait_for(lambda: len(traps_of(env, BACKOFF)) == 1, 10, "pmtaQueueBackoff")
        t = traps_of(env, BACKOFF)[0]
        assert (alarm_vb(t, 2), alarm_vb(t, 3), alarm_vb(t, 4), alarm_vb(t, 5)) == \
            ("queueBackoff", "mta1", f"queue:{Q1}", "1"), t
        assert t.get(f"{QUEUE}.2.1.{qidx(Q1)[2:]}") == "gmail.com", t
        assert t.get(f"{QUEUE}.3.1.{qidx(Q1)[2:]}") == "vmta1", t
        assert t.get(f"{QUEUE}.10.1.{qidx(Q1)[2:]}") == ERR, t
        assert t.get(f"{QUEUE}.29.1.{qidx(Q1)[2:]}") == "1", t
        assert alarm_subjects(env) == [f"queue:{Q1}"]
        assert env.get("pmtaAgentActiveAlarms.0") == "1"
        assert qget(env, 8, Q1) == "2" and qget(env, 29, Q1) == "1"

        # Time in backoff grows poll by poll, never past the wall time.
        sim.wait_polls("/queues", n=3)
        secs = int(qget(env, 30, Q1))
        assert 1 <= secs <= time.monotonic() - t0 + 1, secs

        # Both queues in backoff: two alarm rows, one more notification.
        sim.set_scenario(scenario({Q1: "backoff", Q2: "backoff"}))
        wait_for(lambda: len(traps_of(env, BACKOFF)) == 2, 10, "the second queue's pmtaQueueBackoff")
        assert alarm_subjects(env) == [f"queue:{Q1}", f"queue:{Q2}"]

        # Back to normal: a clear each, the rows go, the counts stay.
        sim.set_scenario(scenario({}))
        wait_for(lambda: len(traps_of(env, CLEAR)) == 2, 10, "two pmtaQueueBackoffClear")
        c = [x for x in traps_of(env, CLEAR) if alarm_vb(x, 4) == f"queue:{Q1}"][0]
        assert c.get(f"{QUEUE}.2.1.{qidx(Q1)[2:]}") == "gmail.com" and alarm_vb(c, 2) == "queueBackoff", c
        wait_for(lambda: alarm_subjects(env) == [], 5, "the alarm rows gone")
        frozen = qget(env, 30, Q1)
        sim.wait_polls("/queues", n=2)
        assert qget(env, 30, Q1) == frozen and qget(env, 29, Q1) == "1"

        # Into backoff again: the second entry.
        sim.set_scenario(scenario({Q1: "backoff"}))
        wait_for(lambda: len(traps_of(env, BACKOFF)) == 3, 10, "pmtaQueueBackoff again")
        assert qget(env, 29, Q1) == "2" and qget(env, 29, Q2) == "1"

        # Q2 drops off the page (PowerMTA lists its top queues only): its row stays, not listed,
        # and its counters do not fall back to 0; listed again, they go on from where they were.
        q2_secs = qget(env, 30, Q2)
        sim.set_scenario({"queues": [q for q in scenario({Q1: "backoff"})["queues"] if q["name"] == Q1]})
        wait_for(lambda: qget(env, 28, Q2) == "2", 10, f"{Q2} not listed")
        assert (qget(env, 29, Q2), qget(env, 30, Q2), qget(env, 8, Q2), qget(env, 4, Q2)) == \
            ("1", q2_secs, "3", "0")
        sim.set_scenario(scenario({Q1: "backoff"}))
        wait_for(lambda: qget(env, 28, Q2) == "1", 10, f"{Q2} listed again")
        assert qget(env, 29, Q2) == "1" and qget(env, 30, Q2) == q2_secs
        print(f"  3 pmtaQueueBackoff, 2 pmtaQueueBackoffClear; {Q1}: 2 entries, {frozen} s in backoff; "
              f"{Q2} kept its counts off the page")


def test_rate_limit_holds_notifications_but_every_queue_has_its_alarm():
    with Env("backoff-limit") as env:
        sim, _ = start(env, {}, "pmtaTrapRateLimit 1\n")
        sim.set_scenario(scenario({Q1: "backoff", Q2: "backoff"}))
        wait_for(lambda: len(alarm_subjects(env)) == 2, 10, "two alarm rows")
        wait_for(lambda: "held back by pmtaTrapRateLimit" in env.agent_log_text(), 5, "the held-back line")
        assert len(traps_of(env, BACKOFF)) == 1


def test_events_off_clears_and_stays_silent_while_counting():
    with Env("backoff-off") as env:
        sim, conf = start(env, {Q1: "backoff"})
        wait_for(lambda: len(traps_of(env, BACKOFF)) == 1, 10, "pmtaQueueBackoff")
        env.write_conf(conf + "pmtaQueueBackoffEvents no\n")
        env.agent.send_signal(signal.SIGHUP)
        wait_for(lambda: len(traps_of(env, CLEAR)) == 1, 10, "the clear on turning the event off")
        assert alarm_subjects(env) == []
        sim.set_scenario(scenario({}))
        wait_for(lambda: qget(env, 8, Q1) == "1", 10, "back to normal")
        sim.set_scenario(scenario({Q1: "backoff"}))
        wait_for(lambda: qget(env, 29, Q1) == "2", 10, "the second entry counted")
        sim.wait_polls("/queues", n=2)
        assert len(traps_of(env, BACKOFF)) == 1 and alarm_subjects(env) == []


if __name__ == "__main__":
    main([test_backoff_and_back_send_both_notifications_and_count,
          test_rate_limit_holds_notifications_but_every_queue_has_its_alarm,
          test_events_off_clears_and_stays_silent_while_counting])
