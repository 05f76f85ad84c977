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
from pmtatest import TOP_SRCDIR, Env, main, wait_for  # noqa: E402

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


def walk_table(env, table_no):
    """{(index tuple): {column: value}} of one table, decoded from numeric OIDs."""
    prefix = f"{ROOT}.{table_no}.1."
    rows = {}
    for oid, val in env.walk(f"{ROOT}.{table_no}", numeric=True):
        sub = [int(x) for x in oid[len(prefix):].split(".")]
        col, idx = sub[0], sub[1:]
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


def compare(env, exp):
    problems = []

    def check(what, got, want):
        if str(got) != str(want):
            problems.append(f"{what}: agent {got}, expected {want}")

    check("pmtaAgentAcctRecords", env.get("pmtaAgentAcctRecords.0"), exp["acct_records"])
    check("pmtaAgentAcctMalformed", env.get("pmtaAgentAcctMalformed.0"), exp["acct_malformed"])
    tol = exp["latency_tolerance"]
    ent_cols = [(4, "delivered"), (5, "bounced"), (6, "hard"), (7, "soft"), (8, "deferred"),
                (9, "remote_bounced"), (10, "win_delivered"), (11, "win_bounced"), (12, "win_deferred"),
                (13, "bounce_rate_bp"), (14, "deferral_rate_bp")]
    for table_no, key in ((6, "domains"), (5, "vmtas")):
        rows = walk_table(env, table_no)
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
        extra = [k for k in rows if k[0].decode(errors="replace") not in
                 {index_name(n).decode(errors="replace") for n in exp[key]}]
        if extra:
            problems.append(f"{key}: rows the files do not have: {extra[:5]}")
    jobs = walk_table(env, 7)
    for name, want in exp["jobs"].items():
        row = jobs.get((index_name(name),), {})
        for col, k in ((3, "delivered"), (4, "bounced"), (5, "hard"), (6, "soft"), (7, "deferred")):
            check(f"job {name} {k}", row.get(col), want[k])
    check("job rows", len(jobs), len(exp["jobs"]))
    bounces = walk_table(env, 8)
    for cat, want in exp["bounces"].items():
        row = bounces.get((index_name(cat),), {})
        check(f"bounce {cat} class", row.get(2), {"hard": "1", "soft": "2"}[want["class"]])
        check(f"bounce {cat} count", row.get(3), want["count"])
        check(f"bounce {cat} win", row.get(4), want["win_count"])
    check("bounce rows", len(bounces), len(exp["bounces"]))
    defs = walk_table(env, 9)
    for want in exp["deferrals"]:
        row = defs.get((index_name(want["domain"]), want["status"].encode()), {})
        check(f"deferral {want['domain']} {want['status']} count", row.get(3), want["count"])
        check(f"deferral {want['domain']} {want['status']} win", row.get(4), want["win_count"])
        if (want["domain"], want["status"]) not in {(x["domain"], x["status"]) for x in exp.get("ambiguous_last_diag", [])}:
            check(f"deferral {want['domain']} {want['status']} diag", row.get(5), want["last_diag"])
    check("deferral rows", len(defs), len(exp["deferrals"]))
    lat = walk_table(env, 10)
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
        gen("--out", d, "--files", "3", "--records", "6000", "--seed", "11", "--expected", expf)
        env.start_snmpd()
        env.start_agent(f"pmtaInstance mta1 -\npmtaAcctFiles mta1 {d}/acct-*.csv\n"
                        "pmtaThreshold b bounceRate domain:* warn=50% crit=90%\n")
        exp = json.load(open(expf))
        settle(env, exp)
        print(f"  {exp['acct_records']} records, {len(exp['domains'])} domains: every table matches")
        files = sorted(f for f in os.listdir(d) if f.endswith(".csv"))
        gen("--append-to", os.path.join(d, files[-1]), "--records", "500", "--seed", "12",
            "--expected", expf, "--update")
        settle(env, json.load(open(expf)))
        for i, how in enumerate(("newfile", "rename", "copytruncate")):
            files = sorted(f for f in os.listdir(d) if f.endswith(".csv"))
            gen("--out", d, "--rotate", how, "--target", os.path.join(d, files[-1]), "--records", "400",
                "--seed", str(20 + i), "--expected", expf, "--update")
            settle(env, json.load(open(expf)))
            print(f"  after {how}: every table matches")


if __name__ == "__main__":
    main([test_every_table_matches_the_generated_files_through_append_and_rotation])
