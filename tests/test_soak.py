"""Soak (README.md, "Reliability"): accounting data and polls without pause; RSS must stop growing.
PMTA_SOAK_SECONDS sets the length (default 120 in scripts/check; run it for hours
by hand: PMTA_SOAK_SECONDS=14400 python3 tests/test_soak.py).

Under a sanitizer (PMTA_TEST_SLOW) it runs 30 s and checks the counts, not RSS:
ASan keeps up to 256 MB of freed memory in quarantine and valgrind has its own
heap, so RSS there measures the tool. Leaks are what those runs look for, and
they report them; the plain run of scripts/check asserts the RSS bound."""
import os
import random
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from pmtatest import SLOW, Env, Sim, main, rss_kb, wait_for  # noqa: E402

HEADER = "type,timeLogged,timeQueued,rcpt,dsnStatus,dsnDiag,bounceCat,vmta,jobId,queue\r\n"
KINDS = ["d"] * 8 + ["b", "t"]


def batch(n, rnd):
    now = time.time()
    out = []
    for _ in range(n):
        # Like PowerMTA: logged as it happens, a few seconds of jitter; one in ten
        # late (up to an hour), for the out-of-order and beyond-the-window paths.
        t = now - (rnd.randint(0, 3500) if rnd.random() < 0.1 else rnd.randint(0, 5))
        ts = time.strftime("%Y-%m-%d %H:%M:%S+0000", time.gmtime(t))
        tq = time.strftime("%Y-%m-%d %H:%M:%S+0000", time.gmtime(t - rnd.randint(0, 600)))
        dom = f"d{rnd.randint(0, 999)}.example"
        k = rnd.choice(KINDS)
        out.append(f"{k},{ts},{tq},u@{dom},4.2.1 (x),smtp;451 4.2.1 try later,quota-issues,"
                   f"v{rnd.randint(0, 9)},j{rnd.randint(0, 50)},{dom}/v1\r\n")
    return "".join(out)


def test_rss_stops_growing_under_load():
    secs = int(os.environ.get("PMTA_SOAK_SECONDS", "30" if SLOW else "120"))
    with Env("soak") as env:
        d = env.mkdir("acct")
        env.start_snmpd()
        sim = Sim(env, {"version": "v", "queues": [{"name": f"q{i}.example/v1", "rcp": i} for i in range(200)],
                        "domains": [{"name": f"d{i}.example", "rcp": i} for i in range(200)]})
        # The windows hold pmtaStatsWindow seconds of history (no rule asks for more):
        # 60 s here, so they are full after about a minute and RSS must level off.
        env.start_agent(f"pmtaInstance mta1 {sim.url}\npmtaPollInterval 1\npmtaAcctFiles mta1 {d}/acct-*.csv\n"
                        "pmtaStatsWindow 60\n"
                        "pmtaThreshold q queuedRcpt queue:* warn=150 crit=190\n"
                        "pmtaThreshold b bounceRate domain:* warn=5% crit=20% min=10\n")
        stop = threading.Event()
        written = [0]

        def writer():
            rnd = random.Random(7)
            seq = 0
            path = None
            started = time.monotonic()
            while not stop.is_set():
                if path is None or time.monotonic() - started > 15:
                    seq += 1
                    old, path = path, os.path.join(d, f"acct-2026-11-28-{seq:04d}.csv")
                    with open(path, "w") as f:
                        f.write(HEADER)
                    started = time.monotonic()
                    if old:
                        os.unlink(old)   # like delete-after, once the agent moved on
                with open(path, "a") as f:
                    f.write(batch(1000, rnd))
                written[0] += 1000
                stop.wait(0.1)

        def poller():
            while not stop.is_set():
                env.run(["snmpbulkwalk", "-Cr50"] + env.snmp_args() + ["pmtaDomainTable"])

        threads = [threading.Thread(target=writer), threading.Thread(target=poller)]
        for t in threads:
            t.start()
        samples = []
        t0 = time.monotonic()
        try:
            while time.monotonic() - t0 < secs:
                time.sleep(max(1, secs // 30))
                samples.append(rss_kb(env.agent.pid))
        finally:
            stop.set()
            for t in threads:
                t.join()
        wait_for(lambda: int(env.get("pmtaAgentAcctRecords.0")) == written[0], 30, "every record counted")
        third = max(1, len(samples) // 3)
        middle, last = max(samples[third:2 * third]), max(samples[2 * third:])
        print(f"  {written[0]} records in {secs}s; RSS kB first third max {max(samples[:third])}, "
              f"middle {middle}, last {last}")
        assert env.get("pmtaAgentAcctMalformed.0") == "0"
        if not SLOW:
            assert last <= middle * 1.05 + 2048, samples


if __name__ == "__main__":
    main([test_rss_stops_growing_under_load])
