"""tests/tools/acct-gen is self-consistent: its files parse with Python's csv
module by each file's own header, hold the variety the accounting tables need (README.md, "Where the data come
from"), and its
expected figures equal a second count made here from the files alone (with
csv, datetime and different code), also after appends and every rotation."""
import collections
import csv
import datetime
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest

TOP = os.environ.get("top_srcdir") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
GEN = os.path.join(TOP, "tests", "tools", "acct-gen")
BENCH = os.path.join(TOP, "scripts", "bench-acct-py")
NOW = 1_760_000_000
HARD = {"bad-mailbox", "bad-domain", "inactive-mailbox", "routing-errors"}
FIGURES = ("acct_records", "acct_malformed", "all", "domains", "domain_unicode", "vmtas", "jobs",
           "bounces", "deferrals", "rejections", "complaints", "latency", "queues", "pending",
           "pending_given_up")


def key_of(name):
    """A domain's row key, computed another way than the generator's (which uses
    Python's "idna" codec): label by label, a non-ASCII label lower-cased and
    punycoded by hand. Right for the names the generator writes (no ß, ς or
    joiners, where lower-casing is not UTS #46 mapping)."""
    name = name.rstrip(".")
    return ".".join(lab.lower() if lab.isascii() else "xn--" + lab.lower().encode("punycode").decode()
                    for lab in name.split("."))


def queue_of(queue):
    """A queue's key another way: split at the last '/', the domain part keyed by key_of()."""
    if "/" not in queue:
        return key_of(queue)
    i = queue.rindex("/")
    return key_of(queue[:i]) + queue[i:] if queue[:i] else ""


def unicode_of(key):
    return ".".join(lab[4:].encode().decode("punycode") if lab.startswith("xn--") else lab
                    for lab in key.split("."))


def gen(*args, check=True):
    p = subprocess.run([sys.executable, GEN] + [str(a) for a in args], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError("acct-gen %s failed: %s" % (" ".join(map(str, args)), p.stderr))
    return p


def when(s):
    """timeLogged as Unix seconds, by datetime (the generator uses its own regex)."""
    if re.fullmatch(r"[0-9]+", s):
        return int(s)
    try:
        return int(datetime.datetime.strptime(s, "%Y-%m-%d %H:%M:%S%z").timestamp())
    except ValueError:
        return None


def read_lines(path):
    """(line number, raw bytes without the line end) of every complete line."""
    with open(path, "rb") as fh:
        data = fh.read()
    assert data.endswith(b"\n"), "%s ends in a partial line" % path
    for no, raw in enumerate(data[:-1].split(b"\n"), 1):
        yield no, raw[:-1] if raw.endswith(b"\r") else raw


def classify(header, raw):
    """('ok', record dict) or ('bad', kind) for one line, by the csv module."""
    if len(raw) > 65536:
        return "bad", "long_line"
    try:
        rows = list(csv.reader([raw.decode("utf-8")], strict=True))
    except csv.Error:
        return "bad", "open_quote"
    if len(rows) != 1 or len(rows[0]) != len(header):
        return "bad", "field_count"
    rec = dict(zip(header, rows[0]))
    if not rec["type"]:
        return "bad", "empty_type"
    if when(rec["timeLogged"]) is None:
        return "bad", "bad_time"
    return "ok", rec


def scan(d):
    """Every line acct-gen wrote in d (rotated copies too): records and malformed."""
    recs, bad = [], []
    def written(name):
        """The order lines were written in: a rotated copy (NAME.csv.1, .2, ...) before NAME.csv."""
        base, dot, n = name.partition(".csv")
        n = n.lstrip(".")
        return (base, 0 if n else 1, int(n) if n.isdigit() else 0)

    for name in sorted(os.listdir(d), key=written):
        if not re.fullmatch(r"acct.*\.csv(\.[0-9]+)?", name):
            continue
        lines = read_lines(os.path.join(d, name))
        _, head = next(lines)
        header = next(csv.reader([head.decode("utf-8")]))
        for no, raw in lines:
            what, v = classify(header, raw)
            if what == "ok":
                v["_file"] = name
                recs.append(v)
            else:
                bad.append({"kind": v, "file": name, "line": no})
    return recs, bad


def pct(xs, p):
    return xs[math.ceil(p * len(xs) / 100) - 1] if xs else 0


def recount(d, now, window=900, hard=HARD, max_pending=1000000):
    """The tables' definitions (README.md, "The MIB") again, from the files alone."""
    recs, bad = scan(d)
    # Final disposition: who each followed recipient is, in the order they were first deferred.
    followed = collections.OrderedDict()     # identity -> (first deferral, [row keys])
    sent = collections.OrderedDict()         # (rcpt, orig) of a delivery -> [row keys]
    disp = collections.defaultdict(collections.Counter)
    resolve_times = collections.defaultdict(list)
    gave_up = 0
    cnt = {k: collections.defaultdict(collections.Counter) for k in ("dom", "vmta", "job", "queue")}
    last_queue = {}
    allc = collections.Counter()
    lat_all = collections.defaultdict(list)      # (kind, name) -> window latencies
    lat_n = collections.Counter()
    bounces = collections.defaultdict(collections.Counter)
    defer = collections.defaultdict(collections.Counter)
    newest = {}
    rej = collections.defaultdict(collections.Counter)
    rej_newest, rej_tie = {}, set()
    comp = collections.defaultdict(collections.Counter)
    for r in recs:
        t, tl = r["type"], when(r["timeLogged"])
        inwin = tl > now - window and tl <= now
        dom = key_of(r.get("rcpt", "").rpartition("@")[2]) if "@" in r.get("rcpt", "") else ""
        q = queue_of(r["queue"]) if r.get("queue") else ""
        own = dom + "/" + r.get("vmta", "") if dom and r.get("vmta") else ""
        if own and t in ("d", "b", "t") and q:
            if q == own:
                last_queue.pop(own, None)
            else:
                last_queue[own] = q
        elif own and t in ("rb", "f") and not q:
            q = last_queue.get(own, own if own in cnt["queue"] else "")
        qt = [cnt["queue"][q]] if q and t in ("d", "b", "t", "rb", "f") else []
        if t in ("t", "d", "b", "rb"):
            keys = ([("dom", dom)] if dom else []) + ([("vmta", r["vmta"])] if r.get("vmta") else []) + \
                ([("queue", q)] if q else [])
            who = r.get("rcpt", "").encode().lower().decode()
            ident = (who, r.get("orig", ""), when(r.get("timeQueued", "")) or 0, r.get("envId", ""),
                     r.get("jobId", ""))
            if t == "t" and ident not in followed:
                if len(followed) == max_pending:
                    _, (_, lost) = followed.popitem(last=False)
                    gave_up += 1
                    for k in lost + [("all", "")]:
                        disp[k]["deferred_given_up"] += 1
                followed[ident] = (tl, keys)
            elif t in ("d", "b") and ident in followed:
                first, where = followed.pop(ident)
                for k in where + [("all", "")]:
                    disp[k]["deferred_delivered" if t == "d" else "deferred_bounced"] += 1
                    if inwin:
                        resolve_times[k].append((max(0, tl - first), t))
            if t == "d" and (who, r.get("orig", "")) not in sent:
                if len(sent) == max_pending:
                    sent.popitem(last=False)
                sent[(who, r.get("orig", ""))] = keys
            elif t == "rb" and (who, r.get("orig", "")) in sent:
                for k in sent.pop((who, r.get("orig", ""))) + [("all", "")]:
                    disp[k]["delivered_remote_bounced"] += 1
        if t in ("d", "b", "t", "rb"):
            name = {"d": "delivered", "b": "bounced", "t": "deferred", "rb": "remote_bounced"}[t]
            targets = [allc] + ([cnt["dom"][dom]] if dom else []) + ([cnt["vmta"][r["vmta"]]] if r.get("vmta") else [])
            if t != "rb" and r.get("jobId"):
                targets.append(cnt["job"][r["jobId"]])
            targets += qt
            cat = r.get("bounceCat") or "other"
            for c in targets:
                c[name] += 1
                if t == "b":
                    c["hard" if cat in hard else "soft"] += 1
                if inwin and t != "rb":
                    c["win_" + name] += 1
            if t == "b":
                bounces[cat]["count"] += 1
                bounces[cat]["win_count"] += inwin
            if t == "d":
                lat = max(0, tl - when(r["timeQueued"]))
                for key in [("all", "")] + ([("domains", dom)] if dom else []) + \
                        ([("vmtas", r["vmta"])] if r.get("vmta") else []) + ([("queues", q)] if q else []):
                    lat_n[key] += 1
                    if inwin:
                        lat_all[key].append(lat)
        if t == "f":
            targets = [allc] + ([cnt["dom"][dom]] if dom else []) + ([cnt["vmta"][r["vmta"]]] if r.get("vmta") else [])
            if r.get("jobId"):
                targets.append(cnt["job"][r["jobId"]])
            for c in targets + qt:
                c["complaints"] += 1
                c["win_complaints"] += inwin
            fb = r.get("feedbackType", "").lower()[:32] or "other"
            comp[fb]["count"] += 1
            comp[fb]["win_count"] += inwin
        if t in ("b", "rb") and dom and r.get("dsnStatus", "").split(" ")[0]:
            k = (dom, r["dsnStatus"].split(" ")[0])
            rej[k]["count"] += 1
            rej[k]["win_count"] += inwin
            last = (tl, r["dsnDiag"], r.get("bounceCat") or "other")
            if k not in rej_newest or tl > rej_newest[k][0]:
                rej_newest[k] = last
                rej_tie.discard(k)
            elif tl == rej_newest[k][0] and last != rej_newest[k]:
                rej_tie.add(k)
        if t in ("t", "tq"):
            kd = dom if t == "t" else key_of(r["queue"].rpartition("/")[0])
            st = r["dsnStatus"].split(" ")[0]
            if kd and st:
                defer[(kd, st)]["count"] += 1
                defer[(kd, st)]["win_count"] += inwin
                if (kd, st) not in newest or tl >= newest[(kd, st)][0]:
                    newest[(kd, st)] = (tl, r["dsnDiag"])

    def latency(key):
        xs = sorted(lat_all.get(key, []))
        return {"count": lat_n[key], "win_count": len(xs), "p50": pct(xs, 50), "p90": pct(xs, 90),
                "p95": pct(xs, 95), "p99": pct(xs, 99), "max": max(xs) if xs else 0}

    for _, where in followed.values():
        for k in where:
            disp[k]["pending"] += 1

    def disposition(key):
        c, ts = disp[key], sorted(x for x, _ in resolve_times[key])
        won = sum(1 for _, t in resolve_times[key] if t == "d")
        return {"deferred_delivered": c["deferred_delivered"], "deferred_bounced": c["deferred_bounced"],
                "deferred_given_up": c["deferred_given_up"], "pending": c["pending"],
                "delivered_remote_bounced": c["delivered_remote_bounced"], "win_resolved": len(ts),
                "resolved_delivered_share_bp": 10000 * won // len(ts) if ts else 0,
                "resolve_p50": pct(ts, 50), "resolve_p95": pct(ts, 95)}

    def entity(c, key):
        wd, wb, wt = c["win_delivered"], c["win_bounced"], c["win_deferred"]
        e = {k: c[k] for k in ("delivered", "bounced", "hard", "soft", "deferred", "remote_bounced",
                               "win_delivered", "win_bounced", "win_deferred", "complaints", "win_complaints")}
        e["bounce_rate_bp"] = 10000 * wb // (wd + wb) if wd + wb else 0
        e["deferral_rate_bp"] = 10000 * wt // (wd + wt + wb) if wd + wt + wb else 0
        e["complaint_rate_bp"] = 10000 * c["win_complaints"] // wd if wd else 0
        e.update({"latency_" + k: v for k, v in latency(key).items()})
        kind = {"domains": "dom", "vmtas": "vmta", "queues": "queue"}.get(key[0], "all")
        e.update(disposition((kind, key[1])))
        return e

    return {
        "acct_records": len(recs), "acct_malformed": len(bad), "malformed_found": bad,
        "all": entity(allc, ("all", "")),
        "domains": {k: entity(v, ("domains", k)) for k, v in sorted(cnt["dom"].items())},
        "domain_unicode": {k: unicode_of(k) for k in sorted(cnt["dom"])},
        "vmtas": {k: entity(v, ("vmtas", k)) for k, v in sorted(cnt["vmta"].items())},
        "queues": {k: entity(v, ("queues", k)) for k, v in sorted(cnt["queue"].items())},
        "jobs": {k: {n: v[n] for n in ("delivered", "bounced", "hard", "soft", "deferred", "complaints")}
                 for k, v in sorted(cnt["job"].items())},
        "bounces": {k: {"class": "hard" if k in hard else "soft", "count": v["count"],
                        "win_count": v["win_count"]} for k, v in sorted(bounces.items())},
        "deferrals": [{"domain": k[0], "status": k[1], "count": v["count"], "win_count": v["win_count"],
                       "last_diag": newest[k][1]} for k, v in sorted(defer.items())],
        "rejections": [{"domain": k[0], "status": k[1], "count": v["count"], "win_count": v["win_count"],
                        "category": None if k in rej_tie else rej_newest[k][2],
                        "class": None if k in rej_tie else "hard" if rej_newest[k][2] in hard else "soft",
                        "last_diag": None if k in rej_tie else rej_newest[k][1]} for k, v in sorted(rej.items())],
        "complaints": {k: {"count": v["count"], "win_count": v["win_count"]} for k, v in sorted(comp.items())},
        "pending": len(followed), "pending_given_up": gave_up, "max_pending": max_pending,
        "latency": {"all": latency(("all", "")),
                    "domains": {k[1]: latency(k) for k in sorted(lat_n) if k[0] == "domains"},
                    "vmtas": {k[1]: latency(k) for k in sorted(lat_n) if k[0] == "vmtas"}},
    }, recs


class Case(unittest.TestCase):
    maxDiff = 4000

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="acctgen-")
        self.d = os.path.join(self.tmp.name, "acct")
        self.exp = os.path.join(self.tmp.name, "expected.json")

    def tearDown(self):
        self.tmp.cleanup()

    def load(self):
        with open(self.exp, encoding="utf-8") as fh:
            return json.load(fh)

    def assert_matches_recount(self, now, window=900, hard=HARD):
        exp = self.load()
        got, recs = recount(self.d, now, window, hard)
        for k in FIGURES:
            self.assertEqual(exp[k], got[k], "expected[%r] differs from the recount" % k)
        self.assertEqual(sorted((m["file"], m["line"], m["kind"]) for m in exp["malformed"]),
                         sorted((m["file"], m["line"], m["kind"]) for m in got["malformed_found"]))
        self.assertEqual(exp["ambiguous_last_diag"], [])
        return exp, recs


class FreshFiles(Case):
    def setUp(self):
        super().setUp()
        gen("--out", self.d, "--records", 3000, "--seed", 7, "--now", NOW, "--expected", self.exp)

    def test_expected_equals_recount_from_files(self):
        exp, _ = self.assert_matches_recount(NOW)
        self.assertEqual(exp["acct_records"], 3000)
        self.assertGreater(len(exp["domains"]), 20)
        self.assertGreater(len(exp["deferrals"]), 5)

    def test_queues_rollups_spellings_and_records_without_a_queue(self):
        exp, recs = self.assert_matches_recount(NOW)
        q = exp["queues"]
        # Rollup queues keep their name; every spelling of a queue's domain is one key.
        self.assertTrue(any(k.startswith("yahoo.rollup/") for k in q))
        self.assertFalse([k for k in q if k.startswith("yahoo.com/") or k.startswith("yahoo.fr/")])
        self.assertTrue(any(k.startswith("xn--bcher-kva.de/") for k in q))
        self.assertFalse([k for k in q if not k.isascii() or k.split("/")[0] != k.split("/")[0].lower()])
        raw = {r["queue"].rpartition("/")[0] for r in recs if r.get("queue")}
        self.assertTrue({"BÜCHER.DE", "bücher.de", "xn--bcher-kva.de", "YAHOO.ROLLUP"} <= raw, raw)
        # rb records without a queue column, and f records, count by their (domain, vmta) route.
        self.assertTrue([r for r in recs if r["type"] == "rb" and not r.get("queue")])
        rb_total = sum(v["remote_bounced"] for v in exp["domains"].values())
        rb_queued = sum(v["remote_bounced"] for v in q.values())
        self.assertGreater(rb_queued, rb_total // 2)
        self.assertGreater(sum(v["complaints"] for v in q.values()), 0)
        self.assertLess(sum(v["complaints"] for v in q.values()), exp["all"]["complaints"])
        self.assertTrue(any(v["latency_p95"] for v in q.values()))

    def test_deferrals_resolved_both_ways_pending_and_rb_after_d(self):
        exp, recs = self.assert_matches_recount(NOW)
        a = exp["all"]
        self.assertGreater(a["deferred_delivered"], 20)
        self.assertGreater(a["deferred_bounced"], 5)
        self.assertGreater(exp["pending"], 5)
        self.assertGreater(a["delivered_remote_bounced"], 3)
        self.assertGreater(a["win_resolved"], 5)
        self.assertEqual(exp["pending_given_up"], 0)
        self.assertEqual(sum(v["pending"] for v in exp["domains"].values()), exp["pending"])
        # A recipient deferred more than once: the same identity in several t records.
        ids = collections.Counter((r["rcpt"].lower(), r.get("orig"), r.get("timeQueued"), r.get("envId"),
                                   r.get("jobId")) for r in recs if r["type"] == "t")
        self.assertTrue(any(n > 1 for n in ids.values()))
        # A message-expired bounce resolves some deferral somewhere.
        self.assertTrue(any(r["type"] == "b" and r.get("bounceCat") == "message-expired" for r in recs))

    def test_max_pending_gives_up_the_oldest(self):
        d2, exp2 = os.path.join(self.tmp.name, "p"), os.path.join(self.tmp.name, "p.json")
        gen("--out", d2, "--records", 3000, "--seed", 7, "--now", NOW, "--expected", exp2, "--max-pending", 5)
        with open(exp2) as fh:
            e = json.load(fh)
        got, _ = recount(d2, NOW, max_pending=5)
        self.assertGreater(e["pending_given_up"], 5)
        self.assertEqual(e["pending"], 5)
        for k in ("all", "domains", "vmtas", "queues", "pending", "pending_given_up"):
            self.assertEqual(e[k], got[k], k)

    def test_f_records_with_and_without_rcpt_job_vmta_and_every_feedback_type(self):
        exp, recs = self.assert_matches_recount(NOW)
        fs = [r for r in recs if r["type"] == "f"]
        shapes = {(bool(r.get("rcpt")), bool(r.get("vmta")), bool(r.get("jobId"))) for r in fs}
        self.assertLessEqual({(False, False, False), (True, False, False), (True, True, False),
                              (True, True, True)}, shapes)
        self.assertIn("Abuse", {r.get("feedbackType") for r in fs})
        self.assertIn("", {r.get("feedbackType") for r in fs})
        self.assertEqual(sum(v["count"] for v in exp["complaints"].values()), len(fs))
        self.assertEqual(exp["all"]["complaints"], len(fs))
        self.assertNotIn("Abuse", exp["complaints"])
        self.assertTrue(any(v["complaints"] for v in exp["jobs"].values()))
        self.assertTrue(any(v["complaint_rate_bp"] for v in exp["domains"].values()))

    def test_every_malformed_kind_present_and_next_line_read(self):
        _, bad = scan(self.d)
        kinds = {b["kind"] for b in bad}
        self.assertEqual(kinds, {"field_count", "open_quote", "empty_type", "bad_time", "long_line"})
        self.assertEqual(len({b["file"] for b in bad}), 5, "malformed lines spread over files")
        for b in bad:
            if b["kind"] == "open_quote":
                lines = dict(read_lines(os.path.join(self.d, b["file"])))
                header = next(csv.reader([lines[1].decode()]))
                self.assertEqual(classify(header, lines[b["line"] + 1])[0], "ok")

    def test_hard_categories_option_changes_classes(self):
        d2, exp2 = os.path.join(self.tmp.name, "h"), os.path.join(self.tmp.name, "h.json")
        gen("--out", d2, "--records", 3000, "--seed", 7, "--now", NOW, "--expected", exp2,
            "--hard-categories", "policy-related,spam-related")
        with open(exp2) as fh:
            e = json.load(fh)
        self.assertEqual(e["bounces"]["policy-related"]["class"], "hard")
        self.assertEqual(e["bounces"]["bad-mailbox"]["class"], "soft")
        got, _ = recount(d2, NOW, hard={"policy-related", "spam-related"})
        self.assertEqual(e["all"], got["all"])

    def test_every_spelling_of_a_domain_is_one_key(self):
        e = self.load()
        for key, shown in (("xn--bcher-kva.de", "bücher.de"), ("xn--wgv71a.jp", "日本.jp"),
                           ("xn--mller-kva.de", "müller.de"), ("xn--mller-jua.de", "möller.de"),
                           ("gmail.com", "gmail.com")):
            self.assertIn(key, e["domains"])
            self.assertEqual(e["domain_unicode"][key], shown)
        self.assertFalse([k for k in e["domains"] if not k.isascii() or k != k.lower()],
                         "every key is lower-case ASCII")
        rcpts = {r.get("rcpt", "").rpartition("@")[2] for r in scan(self.d)[0] if r["type"] == "d"}
        spellings = {x for x in rcpts if key_of(x) == "xn--bcher-kva.de"}
        self.assertTrue({"bücher.de", "BÜCHER.DE", "xn--bcher-kva.de"} <= spellings, spellings)

    def test_files_hold_the_variety_the_tables_need(self):
        recs, _ = scan(self.d)
        names = sorted(n for n in os.listdir(self.d) if n.endswith(".csv"))
        heads, eols, offsets = [], set(), set()
        for n in names:
            with open(os.path.join(self.d, n), "rb") as fh:
                first = fh.readline()
            eols.add(first.endswith(b"\r\n"))
            heads.append(first.rstrip(b"\r\n").decode().split(","))
        self.assertEqual(eols, {True, False}, "CRLF and LF files")
        self.assertEqual(len({tuple(h) for h in heads}), len(heads), "every file has its own column order")
        sets = {len(h) for h in heads}
        self.assertGreaterEqual(len(sets), 3, "different column sets")
        self.assertTrue(all(h[0] == "type" for h in heads), "type first: it marks a header line")
        self.assertTrue(any(h[1] != "timeLogged" for h in heads), "the other columns move")
        allcols = set().union(*heads)
        for c in ("header_Message-Id", "totalSecondsQueued", "dlvTlsProtocol"):
            self.assertIn(c, allcols)
        self.assertEqual({r["type"] for r in recs}, {"d", "b", "t", "tq", "rb", "r", "f", "rs", "zz"})
        types = collections.defaultdict(set)
        for r in recs:
            types[r["_file"]].add(r["type"])
        width = dict(zip(names, map(len, heads)))
        db = [width[n] for n in names if types[n] <= {"d", "b"}]
        every = [width[n] for n in names if "tq" in types[n]]
        self.assertTrue(db and every and max(db) < min(every), "d,b files have fewer columns")
        tl = [r["timeLogged"] for r in recs]
        self.assertTrue(any(t.isdigit() for t in tl), "Unix times")
        for off in ("+0000", "-0300", "+0530", "+1345"):
            self.assertTrue(any(t.endswith(off) for t in tl), off)
        rcpts = [r.get("rcpt", "") for r in recs]
        for want in ("bücher.de", "BÜCHER.DE", "日本.jp", "xn--bcher-kva.de", "xn--wgv71a.jp", "müller.de",
                     "möller.de"):
            self.assertTrue(any(x.endswith("@" + want) for x in rcpts), want)
        self.assertTrue(any(re.search(r"@[^@]*[A-Z]", x) for x in rcpts), "upper-case domains")
        self.assertTrue(any(x.count("@") > 1 for x in rcpts), "several @")
        self.assertTrue(any('"' in x for x in rcpts), "doubled quotes")
        self.assertTrue(any("," in v for r in recs for v in r.values()), "quoted commas")
        self.assertTrue(any(r["type"] == "d" and not r.get("jobId") for r in recs), "empty jobId")
        self.assertTrue(any(r["type"] == "b" and not r.get("bounceCat") for r in recs), "empty bounceCat")
        self.assertTrue(any(r.get("queue", "").startswith("yahoo.rollup/") for r in recs), "rollup queues")
        lat = [when(r["timeLogged"]) - when(r["timeQueued"]) for r in recs if r["type"] == "d"]
        self.assertGreaterEqual(min(lat), 0)
        self.assertLessEqual(min(lat), 5)
        self.assertGreater(max(lat), 3600, "a long tail to hours")

    def test_times_spread_and_clear_of_the_window_edge(self):
        recs, _ = scan(self.d)
        ts = [when(r["timeLogged"]) for r in recs]
        edge = NOW - 900
        self.assertGreaterEqual(min(abs(t - edge) for t in ts), 120)
        self.assertLessEqual(max(ts), NOW - 60)
        self.assertGreaterEqual(min(ts), NOW - 21 * 3600)
        self.assertLess(min(ts), NOW - 15 * 3600)
        share = sum(t > edge for t in ts) / len(ts)
        self.assertGreater(share, 0.25)
        self.assertGreaterEqual(self.load()["window_edge_margin_s"], 120)
        real = time.time()
        for n in os.listdir(self.d):
            if n.endswith(".csv"):
                self.assertGreater(os.stat(os.path.join(self.d, n)).st_mtime, real - 24 * 3600)

    def test_same_seed_same_bytes_other_seed_differs(self):
        d2, exp2 = os.path.join(self.tmp.name, "again"), os.path.join(self.tmp.name, "again.json")
        gen("--out", d2, "--records", 3000, "--seed", 7, "--now", NOW, "--expected", exp2)
        names = sorted(os.listdir(self.d))
        self.assertEqual(names, sorted(os.listdir(d2)))
        self.assertIn(".acct-gen-ledger.jsonl", names)
        names.remove(".acct-gen-ledger.jsonl")
        for n in names:
            with open(os.path.join(self.d, n), "rb") as a, open(os.path.join(d2, n), "rb") as b:
                self.assertEqual(a.read(), b.read(), n)
        with open(exp2) as fh:
            e2 = json.load(fh)
        e1 = self.load()
        e1.pop("dir"), e2.pop("dir")
        self.assertEqual(e1, e2)
        d3 = os.path.join(self.tmp.name, "other")
        gen("--out", d3, "--records", 3000, "--seed", 8, "--now", NOW)
        with open(os.path.join(self.d, names[0]), "rb") as a, open(os.path.join(d3, names[0]), "rb") as b:
            self.assertNotEqual(a.read(), b.read())

    def test_refuses_a_directory_already_holding_files(self):
        p = gen("--out", self.d, "--records", 10, "--now", NOW, check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("already holds", p.stderr)


class Changes(Case):
    """Appends and rotations while an agent would run: expected stays exact."""

    def setUp(self):
        super().setUp()
        gen("--out", self.d, "--files", 3, "--records", 1500, "--seed", 3, "--now", NOW,
            "--expected", self.exp)

    def last_file(self):
        return os.path.join(self.d, sorted(n for n in os.listdir(self.d) if n.endswith(".csv"))[-1])

    def test_append_with_split_last_line_keeps_totals(self):
        before = self.load()
        target = self.last_file()
        gen("--append-to", target, "--records", 200, "--malformed", 2, "--split-last", 0.2,
            "--now", NOW + 30, "--expected", self.exp, "--update")
        exp, recs = self.assert_matches_recount(NOW + 30)
        self.assertEqual(exp["acct_records"], before["acct_records"] + 200)
        self.assertEqual(exp["acct_malformed"], before["acct_malformed"] + 2)
        self.assertGreater(exp["all"]["win_delivered"], before["all"]["win_delivered"])
        # Appended lines keep the file's own line ends.
        with open(target, "rb") as fh:
            data = fh.read()
        crlf = data.split(b"\n", 1)[0].endswith(b"\r")
        self.assertEqual(data.count(b"\r\n"), data.count(b"\n") if crlf else 0)

    def test_append_before_the_last_record_is_refused(self):
        p = gen("--append-to", self.last_file(), "--records", 5, "--now", NOW - 3600, check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("later --now", p.stderr)

    def test_rotate_rename_moves_old_inode_and_creates_new(self):
        target = self.last_file()
        ino = os.stat(target).st_ino
        before = self.load()
        gen("--rotate", "rename", "--out", self.d, "--pre", 20, "--records", 50, "--now", NOW + 20,
            "--expected", self.exp, "--update")
        self.assertEqual(os.stat(target + ".1").st_ino, ino)
        self.assertNotEqual(os.stat(target).st_ino, ino)
        exp, _ = self.assert_matches_recount(NOW + 20)
        self.assertEqual(exp["acct_records"], before["acct_records"] + 70)
        self.assertIn(os.path.basename(target) + ".1", exp["rotated"])

    def test_rotate_copytruncate_keeps_inode_and_copies_content(self):
        target = self.last_file()
        ino, size = os.stat(target).st_ino, os.stat(target).st_size
        before = self.load()
        gen("--rotate", "copytruncate", "--out", self.d, "--records", 30, "--now", NOW + 20,
            "--expected", self.exp, "--update")
        self.assertEqual(os.stat(target).st_ino, ino)
        self.assertLess(os.stat(target).st_size, size)
        self.assertEqual(os.stat(target + ".1").st_size, size)
        exp, _ = self.assert_matches_recount(NOW + 20)
        self.assertEqual(exp["acct_records"], before["acct_records"] + 30)
        p = gen("--rotate", "copytruncate", "--out", self.d, "--pre", 3, "--now", NOW + 40, check=False)
        self.assertNotEqual(p.returncode, 0)

    def test_rotate_newfile_then_append_to_it(self):
        before = self.load()
        old = self.last_file()
        gen("--rotate", "newfile", "--out", self.d, "--pre", 10, "--records", 40, "--now", NOW + 20,
            "--expected", self.exp, "--update")
        new = self.last_file()
        self.assertGreater(os.path.basename(new), os.path.basename(old))
        gen("--append-to", new, "--records", 25, "--now", NOW + 50, "--expected", self.exp, "--update")
        exp, _ = self.assert_matches_recount(NOW + 50)
        self.assertEqual(exp["acct_records"], before["acct_records"] + 75)
        self.assertEqual(exp["rotated"], [])
        self.assertEqual(exp["files"], sorted(n for n in os.listdir(self.d) if n.endswith(".csv")))

    def test_update_keeps_the_window_and_categories_of_the_expected_file(self):
        d2, exp2 = os.path.join(self.tmp.name, "w"), os.path.join(self.tmp.name, "w.json")
        gen("--out", d2, "--files", 2, "--records", 800, "--now", NOW, "--window", 1800,
            "--hard-categories", "quota-issues", "--expected", exp2)
        gen("--append-to", os.path.join(d2, sorted(os.listdir(d2))[-1]), "--records", 10,
            "--now", NOW + 10, "--expected", exp2, "--update")
        with open(exp2) as fh:
            e = json.load(fh)
        self.assertEqual((e["window"], e["hard_categories"]), (1800, ["quota-issues"]))
        got, _ = recount(d2, NOW + 10, 1800, {"quota-issues"})
        for k in FIGURES:
            self.assertEqual(e[k], got[k], k)


class Bench(unittest.TestCase):
    def test_python_reader_counts_a_generated_file(self):
        with tempfile.TemporaryDirectory(prefix="acctbench-") as t:
            gen("--out", t, "--files", 1, "--records", 2000, "--malformed", 0, "--fast", 300)
            f = os.path.join(t, os.listdir(t)[0])
            p = subprocess.run([sys.executable, BENCH, f], capture_output=True, text=True, check=True)
            m = re.match(r"python-csv: (\d+) records in [\d.]+ s = \d+ records/s, [\d.]+ MB/s", p.stdout)
            self.assertTrue(m, p.stdout)
            self.assertEqual(int(m.group(1)), 2000)

    def test_driver_says_when_the_c_benchmark_is_missing(self):
        with tempfile.TemporaryDirectory(prefix="acctbench-") as t:
            p = subprocess.run([sys.executable, BENCH, "--compare", "--records", "3000", "--dir", t,
                                "--bench", os.path.join(t, "no-such-bench")],
                               capture_output=True, text=True)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("not built", p.stdout)
            self.assertRegex(p.stdout, r"wc -l\s+\|?\s*3001")
            self.assertRegex(p.stdout, r"python-csv\s+\|?\s*3000")


if __name__ == "__main__":
    unittest.main(verbosity=2)
