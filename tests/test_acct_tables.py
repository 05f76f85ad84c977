"""The accounting tables end to end (README.md, "The MIB"): tests/tools/acct-gen writes realistic accounting files and the
figures they must give; the agent reads them under a real snmpd and every table
is compared with what snmpwalk returns; then lines are appended and the files
rotated while the agent runs, and everything is compared again."""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from pmtatest import SLOW, TOP_SRCDIR, Env, main, wait_for  # noqa: E402

GEN = os.path.join(TOP_SRCDIR, "tests", "tools", "acct-gen")
ROOT = ".1.3.6.1.4.1.32473.25.1"


def gen(*args):
    r = subprocess.run([sys.executable, GEN] + list(args), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return r.stdout


def index_name(name):
    """The MIB's index form of a name (PmtaName)."""
    b = name.encode()
    if len(b) <= 64:
        return b
    h = 2166136261
    for c in b:
        h = ((h ^ c) * 16777619) & 0xFFFFFFFF
    return b[:55] + b"~" + f"{h:08x}".encode()


def walk_table(env, table_no, inst=1):
    """{(index tuple): {column: value}} of one table's rows of instance inst,
    decoded from numeric OIDs."""
    prefix = f"{ROOT}.{table_no}.1."
    rows = {}
    for oid, val in env.walk(f"{ROOT}.{table_no}", numeric=True):
        sub = [int(x) for x in oid[len(prefix):].split(".")]
        col, idx = sub[0], sub[1:]
        if idx[0] != inst:
            continue
        key = []
        i = 1                       # idx[0] is the instance
        while i < len(idx):
            if table_no in (3, 10) and not key:   # connection direction, latency scope: integers
                key.append(idx[i])
                i += 1
                continue
            n = idx[i]
            key.append(bytes(idx[i + 1:i + 1 + n]))
            i += 1 + n
        rows.setdefault(tuple(key), {})[col] = val.strip('"')
    return rows


def close(got, want, tol):
    return abs(got - want) <= max(tol["absolute_s"], want * tol["relative"])


# The final-disposition columns, appended in this order to the domain (from 22), VirtualMTA (21)
# and queue (31) tables; the two percentiles within the latency tolerance.
DISPOSITION_COLS = ("deferred_delivered", "deferred_bounced", "deferred_given_up", "pending", "win_resolved",
                    "resolved_delivered_share_bp", "resolve_p50", "resolve_p95", "delivered_remote_bounced")


def check_disposition(problems, what, row, first, want, tol):
    for i, k in enumerate(DISPOSITION_COLS):
        got = row.get(first + i)
        if k in ("resolve_p50", "resolve_p95"):
            ok = got is not None and close(int(got), want[k], tol)
        else:
            ok = str(got) == str(want[k])
        if not ok:
            problems.append(f"{what} {k}: agent {got}, expected {want[k]}")


def compare(env, exp, inst=1, agent=True):
    """Differences between instance inst's tables and exp; agent: the
    agent-wide record counts are exp's too (one instance)."""
    problems = []

    def check(what, got, want):
        if str(got) != str(want):
            problems.append(f"{what}: agent {got}, expected {want}")

    if agent:
        check("pmtaAgentAcctRecords", env.get("pmtaAgentAcctRecords.0"), exp["acct_records"])
        check("pmtaAgentAcctMalformed", env.get("pmtaAgentAcctMalformed.0"), exp["acct_malformed"])
        check("pmtaAgentPendingRcpt", env.get("pmtaAgentPendingRcpt.0"), exp["pending"])
        check("pmtaAgentPendingGivenUp", env.get("pmtaAgentPendingGivenUp.0"), exp["pending_given_up"])
    # The instance's own: with several instances, each its own figures and cap.
    for col, key in (("PendingRcpt", "pending"), ("PendingGivenUp", "pending_given_up"), ("PendingMax", "max_pending")):
        check(f"pmtaInstance{col}.{inst}", env.get(f"pmtaInstance{col}.{inst}"), exp[key])
    tol = exp["latency_tolerance"]
    ent_cols = [(4, "delivered"), (5, "bounced"), (6, "hard"), (7, "soft"), (8, "deferred"),
                (9, "remote_bounced"), (10, "win_delivered"), (11, "win_bounced"), (12, "win_deferred"),
                (13, "bounce_rate_bp"), (14, "deferral_rate_bp")]
    for table_no, key in ((6, "domains"), (5, "vmtas")):
        rows = walk_table(env, table_no, inst)
        for name, want in exp[key].items():
            row = rows.get((index_name(name),))
            if row is None:
                problems.append(f"{key} {name}: no row")
                continue
            for col, k in ent_cols:
                check(f"{key} {name} {k}", row.get(col), want[k])
            for col, k in ((15, "latency_p50"), (16, "latency_p95"), (17, "latency_p99")):
                if not close(int(row.get(col, -1)), want[k], tol):
                    problems.append(f"{key} {name} {k}: agent {row.get(col)}, expected {want[k]}")
            if key == "domains":
                check(f"domains {name} pmtaDomainUnicodeName", row.get(18), exp["domain_unicode"][name])
            # The complaint columns, appended after each table's last column.
            first = 19 if key == "domains" else 18
            for col, k in ((first, "complaints"), (first + 1, "win_complaints"), (first + 2, "complaint_rate_bp")):
                check(f"{key} {name} {k}", row.get(col), want[k])
            check_disposition(problems, f"{key} {name}", row, first + 3, want, tol)
        extra = [k for k in rows if k[0].decode(errors="replace") not in
                 {index_name(n).decode(errors="replace") for n in exp[key]}]
        if extra:
            problems.append(f"{key}: rows the files do not have: {extra[:5]}")
    # Queues (domain/vmta): the same outcomes, appended as columns 11-27; no API here, so
    # every row is the accounting files' and says so (pmtaQueueListed false).
    queues = walk_table(env, 4, inst)
    q_cols = [(c + 7, k) for c, k in ent_cols] + [(25, "complaints"), (26, "win_complaints"),
                                                   (27, "complaint_rate_bp")]
    for name, want in exp["queues"].items():
        row = queues.get((index_name(name),))
        if row is None:
            problems.append(f"queue {name}: no row")
            continue
        for col, k in q_cols:
            check(f"queue {name} {k}", row.get(col), want[k])
        for col, k in ((22, "latency_p50"), (23, "latency_p95"), (24, "latency_p99")):
            if not close(int(row.get(col, -1)), want[k], tol):
                problems.append(f"queue {name} {k}: agent {row.get(col)}, expected {want[k]}")
        check(f"queue {name} domain", row.get(2), name.rpartition("/")[0])
        check(f"queue {name} vmta", row.get(3), name.rpartition("/")[2])
        check(f"queue {name} listed", row.get(28), 2)
        check_disposition(problems, f"queue {name}", row, 31, want, tol)
    check("queue rows", len(queues), len(exp["queues"]))
    jobs = walk_table(env, 7, inst)
    for name, want in exp["jobs"].items():
        row = jobs.get((index_name(name),), {})
        for col, k in ((3, "delivered"), (4, "bounced"), (5, "hard"), (6, "soft"), (7, "deferred"),
                       (8, "complaints")):
            check(f"job {name} {k}", row.get(col), want[k])
    check("job rows", len(jobs), len(exp["jobs"]))
    bounces = walk_table(env, 8, inst)
    for cat, want in exp["bounces"].items():
        row = bounces.get((index_name(cat),), {})
        check(f"bounce {cat} class", row.get(2), {"hard": "1", "soft": "2"}[want["class"]])
        check(f"bounce {cat} count", row.get(3), want["count"])
        check(f"bounce {cat} win", row.get(4), want["win_count"])
    check("bounce rows", len(bounces), len(exp["bounces"]))
    defs = walk_table(env, 9, inst)
    for want in exp["deferrals"]:
        row = defs.get((index_name(want["domain"]), want["status"].encode()), {})
        check(f"deferral {want['domain']} {want['status']} count", row.get(3), want["count"])
        check(f"deferral {want['domain']} {want['status']} win", row.get(4), want["win_count"])
        if (want["domain"], want["status"]) not in {(x["domain"], x["status"]) for x in exp.get("ambiguous_last_diag", [])}:
            check(f"deferral {want['domain']} {want['status']} diag", row.get(5), want["last_diag"])
    check("deferral rows", len(defs), len(exp["deferrals"]))
    rejs = walk_table(env, 13, inst)
    for want in exp["rejections"]:
        what = f"rejection {want['domain']} {want['status']}"
        row = rejs.get((index_name(want["domain"]), want["status"].encode()), {})
        check(f"{what} count", row.get(3), want["count"])
        check(f"{what} win", row.get(4), want["win_count"])
        if want["category"] is not None:    # null: two newest records in one second
            check(f"{what} category", row.get(5), want["category"])
            check(f"{what} class", row.get(6), {"hard": "1", "soft": "2"}[want["class"]])
            check(f"{what} diag", row.get(7), want["last_diag"])
    check("rejection rows", len(rejs), len(exp["rejections"]))
    comps = walk_table(env, 14, inst)
    for typ, want in exp["complaints"].items():
        row = comps.get((index_name(typ),), {})
        check(f"complaint {typ} count", row.get(2), want["count"])
        check(f"complaint {typ} win", row.get(3), want["win_count"])
    check("complaint rows", len(comps), len(exp["complaints"]))
    lat = walk_table(env, 10, inst)
    lat_exp = [((1, b"all"), exp["latency"]["all"])]
    lat_exp += [((2, index_name(n)), v) for n, v in exp["latency"]["domains"].items()]
    lat_exp += [((3, index_name(n)), v) for n, v in exp["latency"]["vmtas"].items()]
    for key, want in lat_exp:
        row = lat.get(key, {})
        check(f"latency {key} count", row.get(3), want["count"])
        check(f"latency {key} win", row.get(4), want["win_count"])
        check(f"latency {key} max", row.get(9), want["max"])
        for col, k in ((5, "p50"), (6, "p90"), (7, "p95"), (8, "p99")):
            if not close(int(row.get(col, -1)), want[k], tol):
                problems.append(f"latency {key} {k}: agent {row.get(col)}, expected {want[k]}")
    return problems


def settle(env, exp):
    """Waits until the agent has read everything, then compares (twice at most:
    a snapshot may land between two walks)."""
    wait_for(lambda: env.get("pmtaAgentAcctRecords.0") == str(exp["acct_records"]) and
             env.get("pmtaAgentAcctMalformed.0") == str(exp["acct_malformed"]), 30, "every record read")
    time.sleep(1.2)
    problems = compare(env, exp)
    if problems:
        time.sleep(1.5)
        problems = compare(env, exp)
    assert not problems, "\n".join(problems[:40]) + f"\n({len(problems)} differences)"


def test_every_table_matches_the_generated_files_through_append_and_rotation():
    with Env("acct-tables") as env:
        d = env.mkdir("acct")
        expf = env.path("expected.json")
        # Under valgrind the walks of every table take minutes: fewer records, so that the
        # comparison ends while the generated window figures still hold.
        k = 4 if SLOW == "valgrind" else 1
        # The window's records start 720 s after its edge (900 s window): none leaves it
        # while the test runs, even under valgrind (a record that did would change the
        # window figures between the generator's count and the agent's walk).
        gen("--out", d, "--files", "3", "--records", str(6000 // k), "--seed", "11", "--expected", expf,
            "--edge-margin", "720")
        env.start_snmpd()
        env.start_agent(f"pmtaInstance mta1 -\npmtaAcctFiles mta1 {d}/acct-*.csv\n"
                        "pmtaThreshold b bounceRate domain:* warn=50% crit=90%\n")
        exp = json.load(open(expf))
        settle(env, exp)
        print(f"  {exp['acct_records']} records, {len(exp['domains'])} domains: every table matches")
        files = sorted(f for f in os.listdir(d) if f.endswith(".csv"))
        gen("--append-to", os.path.join(d, files[-1]), "--records", str(500 // k), "--seed", "12",
            "--expected", expf, "--update")
        settle(env, json.load(open(expf)))
        for i, how in enumerate(("newfile", "rename", "copytruncate")):
            files = sorted(f for f in os.listdir(d) if f.endswith(".csv"))
            gen("--out", d, "--rotate", how, "--target", os.path.join(d, files[-1]), "--records", str(400 // k),
                "--seed", str(20 + i), "--expected", expf, "--update")
            settle(env, json.load(open(expf)))
            print(f"  after {how}: every table matches")


def test_two_instances_keep_their_own_rows():
    """Two accounting-only instances, each with its own generated files: every table of each
    matches its own figures, rejections, complaints and queues included, and the agent's
    record counts are their sums."""
    with Env("acct-two") as env:
        exps = []
        # Under valgrind every walk is ~15 times slower: fewer records, so fewer queue rows to walk.
        records = 400 if SLOW == "valgrind" else 2500
        for n, seed in ((1, 31), (2, 32)):
            d = env.mkdir(f"acct{n}")
            expf = env.path(f"expected{n}.json")
            gen("--out", d, "--files", "2", "--records", str(records), "--seed", str(seed), "--expected", expf,
                "--edge-margin", "720")
            exps.append(json.load(open(expf)))
        env.start_snmpd()
        env.start_agent(f"pmtaInstance mta1 -\npmtaAcctFiles mta1 {env.path('acct1')}/acct-*.csv\n"
                        f"pmtaInstance mta2 -\npmtaAcctFiles mta2 {env.path('acct2')}/acct-*.csv\n")
        total = sum(e["acct_records"] for e in exps)
        bad = sum(e["acct_malformed"] for e in exps)
        want = (str(total), str(bad))

        def both_counted():
            # Raised, not returned: a timeout then shows the counts the agent had.
            got = (env.get("pmtaAgentAcctRecords.0"), env.get("pmtaAgentAcctMalformed.0"))
            if got != want:
                raise AssertionError(f"records and malformed {got}, expected {want}")
            return True
        wait_for(both_counted, 30, "every record of both")
        time.sleep(1.2)
        problems = [p for i, e in enumerate(exps) for p in compare(env, e, i + 1, agent=False)]
        if problems:
            time.sleep(1.5)
            problems = [p for i, e in enumerate(exps) for p in compare(env, e, i + 1, agent=False)]
        assert not problems, "\n".join(problems[:40]) + f"\n({len(problems)} differences)"
        assert exps[0]["rejections"] != exps[1]["rejections"] and exps[0]["queues"] != exps[1]["queues"]
        print(f"  {exps[0]['acct_records']} + {exps[1]['acct_records']} records: both instances' tables "
              f"match, {len(exps[0]['queues'])} + {len(exps[1]['queues'])} queues")


# One file holding every spelling of two IDN domains, and two names that differ
# only in a non-ASCII letter; the figures are counted by hand.
IDN_HEADER = "type,timeLogged,timeQueued,rcpt,dsnStatus,dsnDiag,bounceCat,vmta,jobId,queue"
IDN_RECORDS = [
    ("d", "user@BÜCHER.DE"), ("d", "user@bücher.de"), ("d", "user@xn--bcher-kva.de"),
    ("d", "other@XN--BCHER-KVA.DE"), ("b", "user@Bücher.De"), ("t", "late@bücher.de."),
    ("d", "a@müller.de"), ("d", "b@MÜLLER.DE"), ("b", "c@möller.de"),
    ("d", "x@日本.jp"), ("d", "y@xn--wgv71a.jp"), ("rb", "late@BÜCHER.de"),
]
IDN_ROWS = {  # key: (unicode name, delivered, bounced, deferred, queued rcpt from /domains)
    "xn--bcher-kva.de": ("bücher.de", 4, 1, 1, 7 + 5),
    "xn--mller-kva.de": ("müller.de", 2, 0, 0, 0),
    "xn--mller-jua.de": ("möller.de", 0, 1, 0, 0),
    "xn--wgv71a.jp": ("日本.jp", 2, 0, 0, 3),
}


def idn_file(path, now):
    tl = time.strftime("%Y-%m-%d %H:%M:%S+0000", time.gmtime(now - 60))
    tq = time.strftime("%Y-%m-%d %H:%M:%S+0000", time.gmtime(now - 120))
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(IDN_HEADER + "\r\n")
        for typ, rcpt in IDN_RECORDS:
            st, diag, cat = {"d": ("2.0.0 (success)", "smtp;250 ok", ""),
                             "b": ("5.1.1 (bad destination mailbox address)", "smtp;550 5.1.1 unknown", "bad-mailbox"),
                             "t": ("4.4.1 (no answer from host)", "smtp;421 4.4.1 später", ""),
                             "rb": ("5.1.1 (bad destination mailbox address)", "smtp;550 5.1.1 Empfänger unbekannt",
                                    "inactive-mailbox")}[typ]
            f.write(f"{typ},{tl},{tq},{rcpt},{st},{diag},{cat},vmta1,,{rcpt.rpartition('@')[2]}/vmta1\r\n")


def test_every_spelling_of_a_domain_is_one_row_that_snmptable_walks():
    with Env("acct-idn") as env:
        d = env.mkdir("acct")
        idn_file(os.path.join(d, "acct-2026-01-01-0000.csv"), int(time.time()))
        # /domains names the same domains in other spellings: they add to the same rows.
        sim = env.start_sim({"domains": [{"name": "BÜCHER.DE", "rcp": 7}, {"name": "xn--bcher-kva.de", "rcp": 5},
                                         {"name": "日本.JP", "rcp": 3}],
                             "queues": [{"name": "Bücher.de/vmta1", "rcp": 12}]})
        env.start_snmpd()
        env.start_agent(f"pmtaInstance mta1 {sim.url}\npmtaPollInterval 1\n"
                        f"pmtaAcctFiles mta1 {d}/acct-*.csv\n"
                        "pmtaThreshold idn bounceRate domain:BÜCHER.DE warn=10% crit=20% min=1\n")
        wait_for(lambda: env.get("pmtaAgentAcctRecords.0") == str(len(IDN_RECORDS)), 30, "every record read")
        wait_for(lambda: env.get("pmtaInstanceApiStatus.1") == "1", 15, "the API polled")
        time.sleep(1.5)     # the next snapshot has both sources
        # The README's command: with the MIB loaded it used to stop at "OID not increasing".
        r = env.run(["snmptable", "-Cb", "-Ci", "-Oe", "-OU"] + env.snmp_args() + ["pmtaDomainTable"])
        assert r.returncode == 0 and "not increasing" not in r.stderr + r.stdout, r.stderr + r.stdout
        for key in IDN_ROWS:
            assert key in r.stdout, f"{key} missing from snmptable:\n{r.stdout}"
        rows = walk_table(env, 6)
        assert sorted(k[0].decode() for k in rows) == sorted(IDN_ROWS), sorted(rows)
        for key, (shown, dlv, bnc, dfr, queued) in IDN_ROWS.items():
            row = rows[(key.encode(),)]
            got = (row.get(18), int(row[4]), int(row[5]), int(row[8]), int(row[2]))
            assert got == (shown, dlv, bnc, dfr, queued), f"{key}: agent {got}, expected {(shown, dlv, bnc, dfr, queued)}"
        # The t record's trailing dot and the tq-less file: one deferral row, keyed by the A-label.
        defs = walk_table(env, 9)
        assert list(defs) == [(b"xn--bcher-kva.de", b"4.4.1")], list(defs)
        assert defs[(b"xn--bcher-kva.de", b"4.4.1")][5] == "smtp;421 4.4.1 später"
        # Rejections (b and rb) by domain key and status; the rb, read last in the same second, is the newest.
        rejs = walk_table(env, 13)
        assert sorted(rejs) == [(b"xn--bcher-kva.de", b"5.1.1"), (b"xn--mller-jua.de", b"5.1.1")], sorted(rejs)
        got = [rejs[(b"xn--bcher-kva.de", b"5.1.1")].get(c) for c in (3, 4, 5, 6, 7)]
        assert got == ["2", "2", "inactive-mailbox", "1", "smtp;550 5.1.1 Empfänger unbekannt"], got
        got = [rejs[(b"xn--mller-jua.de", b"5.1.1")].get(c) for c in (3, 4, 5, 6, 7)]
        assert got == ["1", "1", "bad-mailbox", "1", "smtp;550 5.1.1 unknown"], got
        # Queue names are keyed like domains (their domain part): the page's Bücher.de/vmta1 and
        # the records' queue column in every spelling meet on one row, with both sources' columns.
        queues = walk_table(env, 4)
        assert sorted(k[0].decode() for k in queues) == sorted(k + "/vmta1" for k in IDN_ROWS), sorted(queues)
        q = queues[(b"xn--bcher-kva.de/vmta1",)]
        got = [q.get(c) for c in (2, 3, 4, 11, 12, 15, 16, 28)]
        assert got == ["xn--bcher-kva.de", "vmta1", "12", "4", "1", "1", "1", "1"], got
        got = [queues[(b"xn--mller-jua.de/vmta1",)].get(c) for c in (4, 8, 11, 12, 28)]
        assert got == ["0", "3", "0", "1", "2"], got
        # A rule written BÜCHER.DE watches the row: 1 bounce in 5 outcomes is 20%.
        wait_for(lambda: any(r.get("pmtaAlarmSubject") == "domain:xn--bcher-kva.de"
                             for r in env.table("pmtaAlarmTable")), 15, "the rule's alarm")
        th = env.table("pmtaThresholdTable")
        assert [r.get("pmtaThresholdScope") for r in th] == ["domain:BÜCHER.DE"], th


if __name__ == "__main__":
    main([test_every_table_matches_the_generated_files_through_append_and_rotation,
          test_two_instances_keep_their_own_rows,
          test_every_spelling_of_a_domain_is_one_row_that_snmptable_walks])
