"""contrib/nagios/check_pmta_snmp: unit tests of its range parser, string index
encoding and output parsing, then every metric and threshold outcome against
a running agent (real snmpd, the simulator, accounting files written here)."""
import importlib.machinery
import importlib.util
import math
import os
import shutil
import subprocess
import sys
import time
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from pmtatest import TOP_BUILDDIR, Env, Sim, free_port, wait_for  # noqa: E402

# written by the build from contrib/nagios/check_pmta_snmp.in (mk/nagios.am)
PLUGIN = os.path.join(TOP_BUILDDIR, "contrib", "nagios", "check_pmta_snmp")


def load_plugin():
    loader = importlib.machinery.SourceFileLoader("check_pmta_snmp", PLUGIN)
    spec = importlib.util.spec_from_loader("check_pmta_snmp", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


cp = load_plugin()


# --- unit tests -----------------------------------------------------------------

RANGES = [
    # text, values that alert, values that do not
    ("10", [-1, 10.5, 11, 1e9], [0, 5, 10]),
    ("10:", [9.99, 0, -5], [10, 11, 1e9]),
    ("~:10", [10.01, 11], [-1e9, 0, 10]),
    ("10:20", [9, 21, -1], [10, 15, 20]),
    ("@10:20", [10, 15, 20], [9, 21]),
    ("2.5", [2.51, -0.1], [0, 2.5]),
    ("@0", [0], [0.1, -0.1]),
    ("-5:-1", [0, -6], [-5, -3, -1]),
    ("@~:0", [-1, 0], [0.5]),
]


def test_range_outcomes_follow_the_plugin_guidelines():
    for text, alerting, quiet in RANGES:
        r = cp.parse_range(text)
        for v in alerting:
            assert r.alert(v), (text, v, r)
        for v in quiet:
            assert not r.alert(v), (text, v, r)


def test_range_bounds_and_infinities():
    cases = [("10", 0, 10, False), ("10:", 10, math.inf, False), ("~:10", -math.inf, 10, False),
             ("@10:20", 10, 20, True), ("~:", -math.inf, math.inf, False), (".5:1.5", 0.5, 1.5, False)]
    for text, start, end, inside in cases:
        r = cp.parse_range(text)
        assert (r.start, r.end, r.inside, r.text) == (start, end, inside, text), (text, r)


def test_range_rejects_malformed_text():
    for bad in ["", "@", ":", "@:", "abc", "10:5", "1:2:3", "~", "10%", "1e5", "@@1", "10 20", "x" * 100,
                "- 1", "~:~"]:
        try:
            r = cp.parse_range(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} parsed as {r}")


def test_evaluate_critical_wins_over_warning():
    w, c = cp.parse_range("10"), cp.parse_range("20")
    assert [cp.evaluate(v, w, c) for v in (5, 15, 25)] == [cp.OK, cp.WARNING, cp.CRITICAL]
    assert cp.evaluate(25, None, None) == cp.OK
    assert cp.evaluate(25, w, None) == cp.WARNING
    assert cp.evaluate(15, None, c) == cp.OK


def test_fnv1a_matches_published_vectors():
    # FNV-1a 32-bit vectors from the FNV reference test suite
    assert cp.fnv1a32(b"") == 0x811C9DC5
    assert cp.fnv1a32(b"a") == 0xE40C292C
    assert cp.fnv1a32(b"foobar") == 0xBF9CF968


def test_string_index_is_length_then_bytes():
    assert cp.encode_string_index("gmail.com") == [9] + [ord(c) for c in "gmail.com"]
    assert cp.oid_suffix(cp.encode_string_index("all")) == ".3.97.108.108"
    assert cp.encode_string_index("bücher.de") == [10] + list("bücher.de".encode())
    exact = "d" * 60 + ".com"                                   # 64 bytes: kept whole
    assert cp.encode_string_index(exact) == [64] + list(exact.encode())
    try:
        cp.encode_string_index("")
    except ValueError:
        pass
    else:
        raise AssertionError("an empty index was encoded")


def test_long_name_index_is_shortened_with_its_hash():
    name = "sub." * 20 + "example.com"                           # 91 bytes
    ids = cp.encode_string_index(name)
    tail = "~%08x" % cp.fnv1a32(name.encode())
    assert ids[0] == 64 and len(ids) == 65, ids
    assert bytes(ids[1:56]) == name.encode()[:55]
    assert bytes(ids[56:]).decode() == tail
    other = name[:-1] + "n"                                     # same first 55 bytes, other hash
    assert cp.encode_string_index(other)[:56] == ids[:56] and cp.encode_string_index(other) != ids


def test_domain_argument_is_normalised_like_the_agent_keys():
    assert cp.normalise_domain("GMail.COM") == "gmail.com"
    assert cp.normalise_domain("user@Yahoo.com") == "yahoo.com"
    assert cp.normalise_domain(" aol.com. ") == "aol.com"
    assert cp.normalise_domain("BÜCHER.de") == "xn--bcher-kva.de"    # the agent's key: the A-label
    assert cp.normalise_domain("user@日本.JP") == "xn--wgv71a.jp"
    assert cp.normalise_domain("XN--BCHER-KVA.DE") == "xn--bcher-kva.de"
    # -q: the queue's domain part as -d, its VirtualMTA part kept; a rollup stays itself
    assert cp.normalise_queue("BÜCHER.de/VMTA-1") == "xn--bcher-kva.de/VMTA-1"
    assert cp.normalise_queue(" Yahoo.Rollup/vmta18") == "yahoo.rollup/vmta18"
    assert cp.normalise_queue("a/b/c") == "a/b/c"
    for bad in ["/v1", "./v1"]:
        try:
            cp.normalise_queue(bad)
        except cp.PluginError:
            continue
        raise AssertionError(f"queue {bad!r} accepted")
    for bad in ["", "  ", "user@", "x" * 2000]:
        try:
            cp.normalise_domain(bad)
        except cp.PluginError:
            continue
        raise AssertionError(f"{bad!r} accepted")


def test_snmpget_output_parsing_keeps_strings_and_marks_missing_rows():
    out = ('.1.3.6.1.4.1.32473.25.1.2.1.2.1 "mta1"\n'
           '.1.3.6.1.4.1.32473.25.1.2.1.4.2 2\n'
           '.1.3.6.1.4.1.32473.25.1.2.1.5.2 "Failed to connect: \\"refused\\" ok"\n'
           '.1.3.6.1.4.1.32473.25.1.2.1.24.9 No Such Instance currently exists at this OID\n'
           '.1.3.6.1.4.1.32473.25.1.99.0 No Such Object available on this agent at this OID\n'
           '.1.3.6.1.4.1.32473.25.1.2.1.5.3 "two\nlines"\n'
           '.1.3.6.1.4.1.32473.25.1.2.1.5.4 ""\n')
    got = cp.parse_output(out)
    p = ".1.3.6.1.4.1.32473.25.1"
    assert got == {p + ".2.1.2.1": "mta1", p + ".2.1.4.2": "2", p + ".2.1.5.2": 'Failed to connect: "refused" ok',
                   p + ".2.1.24.9": None, p + ".99.0": None, p + ".2.1.5.3": "two\nlines",
                   p + ".2.1.5.4": ""}, got


def test_status_line_escapes_pipe_and_newlines():
    line = cp.format_line("PMTA API", cp.CRITICAL, "a|b\nc", ["'x'=1;;;0;"])
    assert line == "PMTA API CRITICAL - a/b c | 'x'=1;;;0;", line
    assert cp.perf_item("it's", 2.5, "%", cp.parse_range("3"), cp.parse_range("@5:6"), 0, 100) == \
        "'it''s'=2.5%;3;@5:6;0;100"
    assert cp.perf_item("age", None, "s") == "'age'=Us;;;;"


def test_conf_quote_escapes_quotes_and_backslashes_and_refuses_line_breaks():
    assert cp.conf_quote("public") == '"public"'
    assert cp.conf_quote('a "b" \\c #d') == '"a \\"b\\" \\\\c #d"'
    for bad in ("a\nb", "a\rb", "a\0b"):
        try:
            cp.conf_quote(bad)
        except cp.PluginError:
            continue
        raise AssertionError(f"{bad!r} accepted")


# --- against the running agent ----------------------------------------------------

HEADER = ("type,timeLogged,timeQueued,orig,rcpt,orcpt,dsnAction,dsnStatus,dsnDiag,dsnMta,bounceCat,"
          "srcType,srcMta,dlvType,dlvSourceIp,dlvDestinationIp,dlvEsmtpAvailable,dlvSize,vmta,jobId,envId,"
          "queue,vmtaPool\r\n")
LONG_DOMAIN = "mail." * 14 + "example.org"        # 81 bytes: published shortened with its hash

SCEN = {
    "queue": {"smtp": {"rcp": 700, "dom": 30, "kb": 2000.0}},
    "domains": [{"name": "gmail.com", "rcp": 400, "conn": 20}, {"name": "queued-only.example", "rcp": 12}],
    "queues": [{"name": "GMail.com/vmta1", "rcp": 77}],
}

# recipients per (domain, record type); gmail deliveries take 30 s, yahoo's 300 s
MAIL = {
    ("gmail.com", "d"): 100, ("gmail.com", "b"): 10, ("gmail.com", "f"): 2,
    ("yahoo.com", "d"): 40, ("yahoo.com", "t"): 10,
    (LONG_DOMAIN, "d"): 3,
}
V3_AUTH = 'auth pass "q" #x\\'                # spaces, quotes, '#' and a backslash
V3_AUTH_CONF = '"auth pass \\"q\\" #x\\\\"'       # the same, quoted for snmpd.conf
LATENCY = {"gmail.com": 30, "yahoo.com": 300, LONG_DOMAIN: 5}
# Final disposition, on a third instance (accounting only, mta3) so that mta1's
# figures stay as above: per domain, recipients a t record defers 600 s ago,
# then d and b records 60 s ago resolve some (540 s after the deferral); the
# rest stay pending. mta1's yahoo.com t records come after its d records of the
# same recipients: those 10 are pending too.
DISPOSITION = {"aol.com": {"deferred": 20, "delivered": 15, "bounced": 4},
               "verizon.net": {"deferred": 3, "delivered": 0, "bounced": 0}}
RESOLVE_AFTER = 540


def record(kind, rcpt, t, latency):
    ts = time.strftime("%Y-%m-%d %H:%M:%S+0000", time.gmtime(t))
    tq = time.strftime("%Y-%m-%d %H:%M:%S+0000", time.gmtime(t - latency))
    status, cat = {"d": ("2.0.0 (success)", ""), "b": ("5.1.1 (bad mailbox)", "bad-mailbox"),
                   "t": ("4.7.0 (try later)", ""), "f": ("", "")}[kind]
    dom = rcpt.split("@")[1]
    return (f"{kind},{ts},{tq},bounce@example.org,{rcpt},,relayed,{status},smtp;250 ok,mx (1.2.3.4),{cat},"
            f"api,src,smtp,10.0.0.1,1.2.3.4,\"8BITMIME,SIZE\",1000,vmta1,job1,,{dom}/vmta1,pool\r\n")


class World:
    def __init__(self, env):
        self.env = env


def start_world(env):
    os.makedirs(env.path("acct"))
    now = time.time()
    with open(env.path("acct/acct-2026-01-01-0000.csv"), "w") as f:
        f.write(HEADER)
        for (dom, kind), n in MAIL.items():
            for i in range(n):
                f.write(record(kind, f"u{i}@{dom}", now - 20, LATENCY[dom]))
    os.makedirs(env.path("acct3"))
    t0 = int(now) - 60 - RESOLVE_AFTER     # whole seconds: the t and d records' timeQueued must match
    disposition_records = 0
    with open(env.path("acct3/acct-2026-01-01-0000.csv"), "w") as f:
        f.write(HEADER)
        for dom, n in DISPOSITION.items():
            for i in range(n["deferred"]):
                f.write(record("t", f"a{i}@{dom}", t0, 300))
            for i in range(n["delivered"] + n["bounced"]):
                kind = "d" if i < n["delivered"] else "b"
                f.write(record(kind, f"a{i}@{dom}", t0 + RESOLVE_AFTER, RESOLVE_AFTER + 300))
            disposition_records += n["deferred"] + n["delivered"] + n["bounced"]
    v3 = (f"createUser nagios SHA {V3_AUTH_CONF} AES nagios-priv-pw\n"
          "rouser nagios priv\n")
    env.start_snmpd(v3)
    sim = Sim(env, SCEN)
    dead = free_port("tcp")
    env.start_agent(f"agentxPingInterval 1\npmtaInstance mta1 {sim.url}\npmtaInstance mta2 http://127.0.0.1:{dead}\n"
                    f"pmtaPollInterval 1\npmtaApiTimeout 1\npmtaAcctFiles mta1 {env.path('acct')}/acct-*.csv\n"
                    f"pmtaInstance mta3 -\npmtaAcctFiles mta3 {env.path('acct3')}/acct-*.csv\n")
    total = sum(MAIL.values()) + disposition_records
    wait_for(lambda: env.get("pmtaAgentAcctRecords.0") == str(total), 15, f"{total} accounting records")
    wait_for(lambda: env.get("pmtaInstanceApiStatus.1") == "1" and env.get("pmtaInstanceApiStatus.2") == "2"
             and env.get("pmtaInstanceQueuedRcpt.1") == "700"
             and env.get('pmtaDomainQueuedRcpt.1."gmail.com"') == "400"
             and env.get('pmtaDomainWinDelivered.1."gmail.com"') == "100"
             and env.get('pmtaDomainWinResolved.3."aol.com"') == str(DISPOSITION["aol.com"]["delivered"] +
                                                                     DISPOSITION["aol.com"]["bounced"]),
             15, "API and accounting data")
    w = World(env)
    w.port = env.snmp_port
    w.sim = sim
    return w


def plugin(w, *args, port=None, timeout=20, env=None):
    argv = [sys.executable, PLUGIN, "-H", "127.0.0.1", "-p", str(port or w.port)] + list(args)
    # the harness's environment (its own HOME and net-snmp directories) unless a test sets one
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env or w.env.snmp_env())
    return r.returncode, r.stdout.strip(), r.stderr.strip()


def perfdata(line):
    """{label: [value with UOM, warn, crit, min, max]} of a status line."""
    assert line.count("|") == 1, line
    out = {}
    for item in line.split("|", 1)[1].split():
        label, rest = item.split("=", 1)
        out[label.strip("'")] = (rest.split(";") + [""] * 5)[:5]
    return out


def expect(w, code, start, *args, **kw):
    rc, out, err = plugin(w, *args, **kw)
    assert rc == code and out.startswith(start), (args, rc, out, err)
    assert "\n" not in out, out          # one status line
    assert err == "", err
    return out


def test_queue_of_instance_ok_warning_critical(w):
    q = int(w.env.get("pmtaInstanceQueuedRcpt.1"))
    out = expect(w, 0, "PMTA QUEUE OK - ", "-C", "public", "-m", "queue", "-w", str(q + 1), "-c", str(q * 2))
    assert f"{q} recipients queued for mta1" in out, out
    assert perfdata(out)["queued_rcpt"] == [str(q), str(q + 1), str(q * 2), "0", ""], out
    expect(w, 1, "PMTA QUEUE WARNING - ", "-m", "queue", "-w", str(q - 1), "-c", str(q * 2))
    expect(w, 2, "PMTA QUEUE CRITICAL - ", "-m", "queue", "-w", str(q - 100), "-c", str(q - 1))
    # instance by name, and ranges in their other shapes
    expect(w, 0, "PMTA QUEUE OK - ", "-i", "mta1", "-m", "queue", "-w", f"{q}:", "-c", f"~:{q}")
    expect(w, 1, "PMTA QUEUE WARNING - ", "-i", "mta1", "-m", "queue", "-w", f"{q + 1}:")
    expect(w, 2, "PMTA QUEUE CRITICAL - ", "-m", "queue", "-c", f"@{q - 10}:{q + 10}")
    expect(w, 0, "PMTA QUEUE OK - ", "-m", "queue", "-c", f"@{q + 1}:{q + 10}")
    out = expect(w, 0, "PMTA QUEUE OK - ", "-m", "queue")               # no thresholds: always OK
    assert perfdata(out)["queued_rcpt"] == [str(q), "", "", "0", ""], out


def test_queue_of_domain(w):
    q = int(w.env.get('pmtaDomainQueuedRcpt.1."gmail.com"'))
    out = expect(w, 1, "PMTA QUEUE WARNING - ", "-i", "mta1", "-m", "queue", "-d", "GMail.com",
                 "-w", str(q - 1), "-c", str(q + 1))
    assert f"{q} recipients queued for gmail.com on mta1" in out, out
    assert perfdata(out)["queued_rcpt"][0] == str(q), out
    # a domain PowerMTA lists as queued but with no accounting records
    out = expect(w, 0, "PMTA QUEUE OK - ", "-m", "queue", "-d", "queued-only.example", "-w", "100")
    assert "12 recipients" in out, out
    # a domain known from accounting only: 0 queued
    out = expect(w, 0, "PMTA QUEUE OK - ", "-m", "queue", "-d", "yahoo.com", "-c", "1")
    assert perfdata(out)["queued_rcpt"][0] == "0", out


def test_bounce_rate_of_domain(w):
    d, b = MAIL[("gmail.com", "d")], MAIL[("gmail.com", "b")]
    bp = b * 10000 // (d + b)
    assert w.env.get('pmtaDomainBounceRate.1."gmail.com"') == str(bp)
    pct = cp.fmt_num(bp / 100.0)
    out = expect(w, 2, "PMTA BOUNCE RATE CRITICAL - ", "-m", "bounce-rate", "-d", "gmail.com", "-w", "3", "-c", "5")
    assert f"bounce rate {pct}% for gmail.com on mta1 ({b} of {d + b} bounced in the last 900 s)" in out, out
    p = perfdata(out)
    assert p["bounce_rate"] == [pct + "%", "3", "5", "0", "100"], out
    assert p["delivered"][0] == str(d) and p["bounced"][0] == str(b) and p["deferred"][0] == "0", out
    expect(w, 1, "PMTA BOUNCE RATE WARNING - ", "-m", "bounce-rate", "-d", "gmail.com", "-w", "3", "-c", "20")
    expect(w, 0, "PMTA BOUNCE RATE OK - ", "-m", "bounce-rate", "-d", "gmail.com", "-w", "10", "-c", "20")
    # decimals in thresholds: just below and just above the rate
    expect(w, 1, "PMTA BOUNCE RATE WARNING - ", "-m", "bounce-rate", "-d", "gmail.com", "-w", f"{bp / 100 - 0.01}")
    expect(w, 0, "PMTA BOUNCE RATE OK - ", "-m", "bounce-rate", "-d", "gmail.com", "-w", f"{bp / 100}")
    # -M: too few mails in the window to judge, then just enough
    gmail = ["-m", "bounce-rate", "-d", "gmail.com", "-c", "5"]
    out = expect(w, 0, "PMTA BOUNCE RATE OK - ", *gmail, "-M", str(d + b + 1))
    assert f"fewer than {d + b + 1}: thresholds not applied" in out, out
    assert perfdata(out)["bounce_rate"][0] == pct + "%", out
    expect(w, 2, "PMTA BOUNCE RATE CRITICAL - ", *gmail, "-M", str(d + b))
    # no bounces at yahoo
    out = expect(w, 0, "PMTA BOUNCE RATE OK - ", "-m", "bounce-rate", "-d", "yahoo.com", "-w", "0")
    assert perfdata(out)["bounce_rate"][0] == "0%", out


def test_deferral_rate_of_domain(w):
    d, t = MAIL[("yahoo.com", "d")], MAIL[("yahoo.com", "t")]
    bp = t * 10000 // (d + t)
    assert w.env.get('pmtaDomainDeferralRate.1."yahoo.com"') == str(bp)
    pct = cp.fmt_num(bp / 100.0)
    out = expect(w, 1, "PMTA DEFERRAL RATE WARNING - ", "-m", "deferral-rate", "-d", "yahoo.com",
                 "-w", "10", "-c", "30")
    assert f"deferral rate {pct}% for yahoo.com on mta1 ({t} of {d + t} deferred" in out, out
    assert perfdata(out)["deferral_rate"] == [pct + "%", "10", "30", "0", "100"], out
    expect(w, 2, "PMTA DEFERRAL RATE CRITICAL - ", "-m", "deferral-rate", "-d", "yahoo.com", "-w", "5", "-c", "10")
    expect(w, 0, "PMTA DEFERRAL RATE OK - ", "-m", "deferral-rate", "-d", "yahoo.com", "-w", "50", "-c", "60")


def test_complaint_rate_of_domain_and_instance(w):
    d, f = MAIL[("gmail.com", "d")], MAIL[("gmail.com", "f")]
    bp = f * 10000 // d
    assert w.env.get('pmtaDomainComplaintRate.1."gmail.com"') == str(bp)
    pct = cp.fmt_num(bp / 100.0)
    # Gmail's published limits: warn at 0.1 %, critical at 0.3 %
    out = expect(w, 2, "PMTA COMPLAINT RATE CRITICAL - ", "-m", "complaint-rate", "-d", "gmail.com",
                 "-w", "0.1", "-c", "0.3")
    assert f"complaint rate {pct}% for gmail.com on mta1 ({f} complaints on {d} delivered in the last 900 s)" in out, out
    p = perfdata(out)
    assert p["complaint_rate"] == [pct + "%", "0.1", "0.3", "0", ""], out
    assert p["complaints"][0] == str(f) and p["delivered"][0] == str(d), out
    expect(w, 1, "PMTA COMPLAINT RATE WARNING - ", "-m", "complaint-rate", "-d", "gmail.com", "-w", "1", "-c", "3")
    expect(w, 0, "PMTA COMPLAINT RATE OK - ", "-m", "complaint-rate", "-d", "gmail.com", "-w", "3")
    # -M counts deliveries
    expect(w, 0, "PMTA COMPLAINT RATE OK - ", "-m", "complaint-rate", "-d", "gmail.com", "-c", "1", "-M", str(d + 1))
    expect(w, 2, "PMTA COMPLAINT RATE CRITICAL - ", "-m", "complaint-rate", "-d", "gmail.com", "-c", "1", "-M", str(d))
    # a domain without complaints
    out = expect(w, 0, "PMTA COMPLAINT RATE OK - ", "-m", "complaint-rate", "-d", "yahoo.com", "-w", "0")
    assert "complaint rate 0% for yahoo.com" in out, out
    # the instance: summed over the VirtualMTA rows
    dall = sum(n for (_, k), n in MAIL.items() if k == "d")
    ipct = cp.fmt_num(math.floor(f * 10000 / dall) / 100)
    out = expect(w, 1, "PMTA COMPLAINT RATE WARNING - ", "-m", "complaint-rate", "-w", "1", "-c", "2")
    assert f"complaint rate {ipct}% for mta1 ({f} complaints on {dall} delivered" in out, out
    expect(w, 3, "PMTA COMPLAINT RATE UNKNOWN - ", "-m", "complaint-rate", "-d", "nosuch.example")


def test_queue_rows_by_q(w):
    """-q: one queue (domain/vmta), its rates and latency from the accounting records that name it."""
    q = ["-q", "GMAIL.com/vmta1"]
    out = expect(w, 2, "PMTA BOUNCE RATE CRITICAL - ", "-m", "bounce-rate", *q, "-w", "3", "-c", "5")
    d, b = MAIL[("gmail.com", "d")], MAIL[("gmail.com", "b")]
    pct = cp.fmt_num(b * 10000 // (d + b) / 100.0)
    assert f"bounce rate {pct}% for queue gmail.com/vmta1 on mta1 ({b} of {d + b} bounced in the last 900 s)" \
        in out, out
    expect(w, 0, "PMTA BOUNCE RATE OK - ", "-m", "bounce-rate", *q, "-c", "5", "-M", str(d + b + 1))
    out = expect(w, 2, "PMTA COMPLAINT RATE CRITICAL - ", "-m", "complaint-rate", *q, "-w", "0.1", "-c", "0.3")
    assert perfdata(out)["complaints"][0] == str(MAIL[("gmail.com", "f")]), out
    d, t = MAIL[("yahoo.com", "d")], MAIL[("yahoo.com", "t")]
    out = expect(w, 1, "PMTA DEFERRAL RATE WARNING - ", "-m", "deferral-rate", "-q", "yahoo.com/vmta1",
                 "-w", "10", "-c", "30")
    assert f"({t} of {d + t} deferred" in out, out
    out = expect(w, 1, "PMTA LATENCY WARNING - ", "-m", "latency", "-q", "yahoo.com/vmta1", "-w", "200")
    assert perfdata(out)["latency_p95"][0] == "300s", out
    # Queued recipients come from PowerMTA's /queues page, which lists its top queues only.
    out = expect(w, 1, "PMTA QUEUE WARNING - ", "-m", "queue", *q, "-w", "50")
    assert "77 recipients queued for queue gmail.com/vmta1 on mta1" in out and "not among" not in out, out
    out = expect(w, 0, "PMTA QUEUE OK - ", "-m", "queue", "-q", "yahoo.com/vmta1", "-w", "50")
    assert "0 recipients queued" in out and "not among the top queues" in out, out
    out = expect(w, 3, "PMTA BOUNCE RATE UNKNOWN - ", "-m", "bounce-rate", "-q", "gmail.com/vmta9")
    assert "no row for queue gmail.com/vmta9 on mta1" in out, out


def test_rates_of_instance_sum_the_vmta_rows(w):
    d = sum(n for (_, k), n in MAIL.items() if k == "d")
    b = sum(n for (_, k), n in MAIL.items() if k == "b")
    t = sum(n for (_, k), n in MAIL.items() if k == "t")
    bpct = cp.fmt_num(math.floor(b * 10000 / (d + b)) / 100)
    out = expect(w, 1, "PMTA BOUNCE RATE WARNING - ", "-m", "bounce-rate", "-w", "5", "-c", "10")
    assert f"bounce rate {bpct}% for mta1 ({b} of {d + b} bounced" in out, out
    dpct = cp.fmt_num(math.floor(t * 10000 / (d + t + b)) / 100)
    out = expect(w, 2, "PMTA DEFERRAL RATE CRITICAL - ", "-m", "deferral-rate", "-w", "1", "-c", "5")
    assert f"deferral rate {dpct}% for mta1 ({t} of {d + t + b} deferred" in out, out
    assert perfdata(out)["deferral_rate"][0] == dpct + "%", out


def test_latency_of_domain_and_instance(w):
    p95 = int(w.env.get('pmtaDomainLatencyP95.1."yahoo.com"'))
    assert abs(p95 - LATENCY["yahoo.com"]) <= LATENCY["yahoo.com"] * 0.05 + 1, p95
    out = expect(w, 0, "PMTA LATENCY OK - ", "-m", "latency", "-d", "yahoo.com", "-w", str(p95 + 60), "-c", "3600")
    assert f"p95 delivery latency {p95} s for yahoo.com on mta1 ({MAIL[('yahoo.com', 'd')]} deliveries" in out, out
    assert perfdata(out)["latency_p95"] == [f"{p95}s", str(p95 + 60), "3600", "0", ""], out
    expect(w, 1, "PMTA LATENCY WARNING - ", "-m", "latency", "-d", "yahoo.com", "-w", str(p95 - 1), "-c", "3600")
    expect(w, 2, "PMTA LATENCY CRITICAL - ", "-m", "latency", "-d", "yahoo.com", "-w", "10", "-c", str(p95 - 1))
    # the instance's 'all' row of pmtaLatencyTable
    all_p95 = int(w.env.get('pmtaLatencyWinP95.1.all."all"'))
    deliveries = sum(n for (_, k), n in MAIL.items() if k == "d")
    out = expect(w, 1, "PMTA LATENCY WARNING - ", "-i", "mta1", "-m", "latency", "-w", str(all_p95 - 1))
    assert f"p95 delivery latency {all_p95} s for mta1 ({deliveries} deliveries" in out, out
    assert perfdata(out)["deliveries"][0] == str(deliveries), out
    # mta2 reads no accounting files: no 'all' row
    out = expect(w, 3, "PMTA LATENCY UNKNOWN - ", "-i", "mta2", "-m", "latency")
    assert "no latency data for mta2" in out, out


def test_resolved_share_of_domain_queue_and_instance(w):
    aol = DISPOSITION["aol.com"]
    d, b = aol["delivered"], aol["bounced"]
    bp = d * 10000 // (d + b)
    assert w.env.get('pmtaDomainResolvedDeliveredShare.3."aol.com"') == str(bp)
    assert w.env.get('pmtaDomainWinResolved.3."aol.com"') == str(d + b)
    pct = cp.fmt_num(bp / 100.0)
    p50 = int(w.env.get('pmtaDomainResolveP50.3."aol.com"'))
    p95 = int(w.env.get('pmtaDomainResolveP95.3."aol.com"'))
    for v in (p50, p95):
        assert abs(v - RESOLVE_AFTER) <= RESOLVE_AFTER * 0.05 + 1, (p50, p95)
    # lower is worse: low thresholds
    aol_args = ["-i", "mta3", "-m", "resolved-share", "-d", "AOL.com"]
    out = expect(w, 1, "PMTA RESOLVED SHARE WARNING - ", *aol_args, "-w", "80:", "-c", "50:")
    assert (f"resolved-delivered share {pct}% for aol.com on mta3 ({d} of {d + b} deferred recipients resolved "
            f"in the last 900 s delivered; resolved after {p50} s p50, {p95} s p95)") in out, out
    p = perfdata(out)
    assert p["resolved_delivered_share"] == [pct + "%", "80:", "50:", "0", "100"], out
    assert p["resolved"][0] == str(d + b) and p["pending"][0] == str(aol["deferred"] - d - b), out
    assert p["resolve_p50"][0] == f"{p50}s" and p["resolve_p95"][0] == f"{p95}s", out
    expect(w, 2, "PMTA RESOLVED SHARE CRITICAL - ", *aol_args, "-w", "90:", "-c", "80:")
    expect(w, 0, "PMTA RESOLVED SHARE OK - ", *aol_args, "-w", "70:", "-c", "50:")
    expect(w, 0, "PMTA RESOLVED SHARE OK - ", *aol_args, "-w", f"{bp / 100}:")
    expect(w, 1, "PMTA RESOLVED SHARE WARNING - ", *aol_args, "-w", f"{bp / 100 + 0.01}:")
    expect(w, 2, "PMTA RESOLVED SHARE CRITICAL - ", *aol_args, "-c", "@0:80")
    # -M counts resolved recipients
    out = expect(w, 0, "PMTA RESOLVED SHARE OK - ", *aol_args, "-c", "90:", "-M", str(d + b + 1))
    assert f"fewer than {d + b + 1}: thresholds not applied" in out, out
    expect(w, 2, "PMTA RESOLVED SHARE CRITICAL - ", *aol_args, "-c", "90:", "-M", str(d + b))
    # the queue row
    out = expect(w, 1, "PMTA RESOLVED SHARE WARNING - ", "-i", "mta3", "-m", "resolved-share", "-q", "aol.com/vmta1",
                 "-w", "80:")
    assert f"share {pct}% for queue aol.com/vmta1 on mta3 ({d} of {d + b} deferred" in out, out
    # nothing resolved: no share to judge, OK whatever the thresholds
    vz = DISPOSITION["verizon.net"]
    out = expect(w, 0, "PMTA RESOLVED SHARE OK - ", "-i", "mta3", "-m", "resolved-share", "-d", "verizon.net",
                 "-w", "80:", "-c", "50:")
    assert f"no deferred recipient of verizon.net on mta3 resolved in the last 900 s ({vz['deferred']} pending)" \
        in out, out
    assert perfdata(out)["resolved_delivered_share"][0] == "U%", out
    # the instance: summed over its VirtualMTA rows (one here: vmta1)
    pend3 = sum(n["deferred"] - n["delivered"] - n["bounced"] for n in DISPOSITION.values())
    out = expect(w, 1, "PMTA RESOLVED SHARE WARNING - ", "-i", "mta3", "-m", "resolved-share", "-w", "80:")
    assert f"share {pct}% for mta3 ({d} of {d + b} deferred recipients resolved in the last 900 s delivered)" \
        in out, out
    assert perfdata(out)["pending"][0] == str(pend3) and "resolve_p50" not in perfdata(out), out
    out = expect(w, 0, "PMTA RESOLVED SHARE OK - ", "-i", "mta1", "-m", "resolved-share", "-c", "50:")
    assert f"no deferred recipient of mta1 resolved in the last 900 s ({MAIL[('yahoo.com', 't')]} pending)" \
        in out, out
    out = expect(w, 3, "PMTA RESOLVED SHARE UNKNOWN - ", "-i", "mta3", "-m", "resolved-share", "-d", "nosuch.example")
    assert "no row for domain nosuch.example on mta3" in out, out


def test_pending_of_instances_and_rows(w):
    pend1 = MAIL[("yahoo.com", "t")]
    pend3 = sum(n["deferred"] - n["delivered"] - n["bounced"] for n in DISPOSITION.values())
    assert w.env.get("pmtaAgentPendingRcpt.0") == str(pend1 + pend3)
    out = expect(w, 0, "PMTA PENDING OK - ", "-m", "pending", "-w", str(pend1), "-c", str(pend1 + 1))
    pct = f"{round(pend1 * 100.0 / 1000000, 2):.2f}".rstrip("0").rstrip(".")
    assert (f"{pend1} deferred recipients pending for mta1 ({pct}% of its pmtaMaxPending 1000000), 0 given "
            "up unresolved on mta1") in out, out
    p = perfdata(out)
    assert p["pending"] == [str(pend1), str(pend1), str(pend1 + 1), "0", "1000000"], out
    assert p["given_up"] == ["0c", "", "", "0", ""], out
    expect(w, 1, "PMTA PENDING WARNING - ", "-m", "pending", "-w", str(pend1 - 1), "-c", str(pend1 + 1))
    expect(w, 2, "PMTA PENDING CRITICAL - ", "-m", "pending", "-w", str(pend1 - 2), "-c", str(pend1 - 1))
    # each instance its own: mta3's count is not mta1's
    out = expect(w, 0, "PMTA PENDING OK - ", "-i", "mta3", "-m", "pending", "-w", str(pend3))
    assert f"{pend3} deferred recipients pending for mta3 (" in out and perfdata(out)["pending"][0] == str(pend3), out
    # one row: -d, -q
    out = expect(w, 1, "PMTA PENDING WARNING - ", "-m", "pending", "-d", "yahoo.com", "-w", "5")
    assert f"{pend1} deferred recipients pending for yahoo.com on mta1" in out, out
    aol = DISPOSITION["aol.com"]
    out = expect(w, 0, "PMTA PENDING OK - ", "-i", "mta3", "-m", "pending", "-q", "aol.com/vmta1", "-w", "1")
    assert perfdata(out)["pending"][0] == str(aol["deferred"] - aol["delivered"] - aol["bounced"]), out
    out = expect(w, 3, "PMTA PENDING UNKNOWN - ", "-m", "pending", "-d", "nosuch.example")
    assert "no row for domain nosuch.example on mta1" in out, out


def test_share_of_rows_recovers_each_rows_deliveries():
    # the agent's share is delivered * 10000 // resolved; summing rows needs each row's deliveries back
    for resolved in list(range(1, 300)) + [9999, 10000]:
        for delivered in {0, 1, resolved // 3, resolved // 2, resolved - 1, resolved}:
            share = delivered * 10000 // resolved
            assert cp.share_of_rows([resolved], [share]) == (delivered, resolved), (delivered, resolved)
    assert cp.share_of_rows([19, 0, 7], [7894, 0, 4285]) == (15 + 0 + 3, 26)
    assert cp.share_of_rows([], []) == (0, 0)


def test_long_domain_is_found_by_its_full_name(w):
    out = expect(w, 0, "PMTA LATENCY OK - ", "-m", "latency", "-d", LONG_DOMAIN.upper(), "-c", "3600")
    assert f"({MAIL[(LONG_DOMAIN, 'd')]} deliveries" in out, out
    expect(w, 0, "PMTA BOUNCE RATE OK - ", "-m", "bounce-rate", "-d", LONG_DOMAIN, "-c", "0")


def test_api_status(w):
    out = expect(w, 0, "PMTA API OK - ", "-i", "mta1", "-m", "api")
    assert "HTTP monitor of mta1: ok" in out, out
    age = int(perfdata(out)["api_last_success_age"][0].rstrip("s"))
    assert 0 <= age <= 5, out
    out = expect(w, 2, "PMTA API CRITICAL - ", "-i", "mta2", "-m", "api")
    err = w.env.get("pmtaInstanceApiLastError.2")
    assert err and f"HTTP monitor of mta2: unreachable(2), last error: {err}" in out, (out, err)
    assert "never polled successfully" in out and perfdata(out)["api_last_success_age"][0] == "Us", out
    # -w/-c on the age of the last success
    expect(w, 1, "PMTA API WARNING - ", "-i", "1", "-m", "api", "-w", "@0:3600")


def test_snmpv3_authpriv(w):
    v3 = ["-v", "3", "-u", "nagios", "-a", "SHA", "-A", V3_AUTH, "-x", "AES", "-X", "nagios-priv-pw",
          "-l", "authPriv"]
    q = w.env.get("pmtaInstanceQueuedRcpt.1")
    out = expect(w, 0, "PMTA QUEUE OK - ", *v3, "-m", "queue")
    assert perfdata(out)["queued_rcpt"][0] == q, out
    bad = [x if x != V3_AUTH else "wrong-auth-pw" for x in v3]
    out = expect(w, 3, "PMTA QUEUE UNKNOWN - ", *bad, "-m", "queue", "-t", "3")
    assert "SNMP error" in out, out


def test_secrets_stay_out_of_the_snmp_tools_argv(w):
    """A wrapper snmpget/snmpwalk first in PATH records its argv, as ps would show it."""
    bindir = w.env.mkdir("spy-bin")
    log = w.env.path("spy-argv.log")
    for tool in ("snmpget", "snmpwalk"):
        real = shutil.which(tool)
        with open(os.path.join(bindir, tool), "w") as f:
            f.write(f'#!/bin/sh\nprintf "%s\\n" "$*" >> {log}\nexec {real} "$@"\n')
        os.chmod(os.path.join(bindir, tool), 0o755)
    env = dict(w.env.snmp_env(), PATH=bindir + os.pathsep + os.environ["PATH"])
    expect(w, 0, "PMTA QUEUE OK - ", "-C", "public", "-i", "mta1", "-m", "queue", env=env)
    expect(w, 0, "PMTA API OK - ", "-v", "3", "-u", "nagios", "-A", V3_AUTH, "-X", "nagios-priv-pw",
           "-i", "mta1", "-m", "api", env=env)
    argvs = open(log).read()
    assert len(argvs.splitlines()) == 4, argvs   # a walk and a get per run
    for secret in ("public", "auth pass", "nagios-priv-pw"):
        assert secret not in argvs, (secret, argvs)


def test_queue_of_an_instance_never_polled_is_unknown(w):
    out = expect(w, 3, "PMTA QUEUE UNKNOWN - ", "-i", "mta2", "-m", "queue", "-w", "10")
    assert "HTTP monitor of mta2 has not answered yet (unreachable(2))" in out, out


def test_unknown_for_missing_rows_and_dead_agents(w):
    out = expect(w, 3, "PMTA QUEUE UNKNOWN - ", "-m", "queue", "-d", "nosuch.example")
    assert "no row for domain nosuch.example on mta1" in out, out
    for m in ("bounce-rate", "deferral-rate", "latency"):
        expect(w, 3, "PMTA ", "-m", m, "-d", "nosuch.example")
    out = expect(w, 3, "PMTA QUEUE UNKNOWN - ", "-i", "mta9", "-m", "queue")
    assert "no instance named 'mta9'" in out and "mta1, mta2" in out, out
    out = expect(w, 3, "PMTA QUEUE UNKNOWN - ", "-i", "9", "-m", "queue")
    assert "no instance 9" in out, out
    out = expect(w, 3, "PMTA API UNKNOWN - ", "-C", "wrong-community", "-m", "api", "-t", "2", "-e", "0")
    assert "Timeout" in out or "timeout" in out, out
    dead = free_port("udp")
    t0 = time.monotonic()
    out = expect(w, 3, "PMTA QUEUE UNKNOWN - ", "-m", "queue", "-t", "2", port=dead)
    assert time.monotonic() - t0 < 5, "the -t timeout was not kept"
    assert "timeout" in out.lower() and "|" not in out, out


def test_bad_arguments_are_unknown(w):
    for args in (["-m", "queue", "-w", "10:5"], ["-m", "nope"], ["-m", "queue", "-p", "0"],
                 ["-m", "queue", "-v", "3"], ["-m", "queue", "-u", "x"], ["-m", "api", "-d", "gmail.com"],
                 ["-m", "queue", "-v", "3", "-u", "x", "-l", "authPriv", "-A", "a" * 8],
                 ["-m", "queue", "-t", "0"], ["-m", "queue", "-d", ""], ["-m", "api", "-q", "a.com/v1"],
                 ["-m", "queue", "-d", "a.com", "-q", "a.com/v1"], ["-m", "queue", "-q", "/v1"],
                 # lower is worse: a range alerting at 100% is refused
                 ["-m", "resolved-share", "-w", "80"], ["-m", "resolved-share", "-c", "@50:100"],
                 ["-m", "resolved-share", "-w", "~:90"]):
        rc, out, err = plugin(w, *args)
        assert rc == 3 and "UNKNOWN" in out, (args, rc, out, err)
        if args[1] == "resolved-share":
            assert "lower is worse" in out and "80:" in out, out
    r = subprocess.run([sys.executable, PLUGIN, "-m", "queue"], capture_output=True, text=True, timeout=20)
    assert r.returncode == 3 and "-H" in r.stdout, r


def test_help_documents_every_option(w):
    r = subprocess.run([sys.executable, PLUGIN, "--help"], capture_output=True, text=True, timeout=20)
    assert r.returncode == 0, r
    for word in ["-H", "-p", "-C", "-v", "-u", "-a", "-A", "-x", "-X", "-l", "-t", "-i", "-m", "-d", "-q", "-w", "-c", "-M",
                 "queue", "bounce-rate", "deferral-rate", "complaint-rate", "latency", "resolved-share", "pending",
                 "api", "@10:20", "~:10", "-w 80: -c 50:",
                 "UNKNOWN"]:
        assert word in r.stdout, word
    assert os.access(PLUGIN, os.X_OK)


def test_stale_queue_is_unknown_with_the_last_value(w):
    """Last, as it stops mta1's HTTP monitor."""
    q = w.env.get("pmtaInstanceQueuedRcpt.1")
    w.sim.kill()
    wait_for(lambda: w.env.get("pmtaInstanceApiStatus.1") == "2", 10, "mta1's API unreachable")
    out = expect(w, 3, "PMTA QUEUE UNKNOWN - ", "-m", "queue", "-w", "1")
    assert "the HTTP monitor of mta1 is unreachable(2), last success" in out, out
    assert f"last known {q} recipients" in out and "|" not in out, out
    out = expect(w, 3, "PMTA QUEUE UNKNOWN - ", "-m", "queue", "-d", "gmail.com")
    assert "last known 400 recipients" in out, out
    # accounting-based metrics do not depend on the HTTP monitor
    expect(w, 2, "PMTA BOUNCE RATE CRITICAL - ", "-m", "bounce-rate", "-d", "gmail.com", "-c", "1")
    expect(w, 2, "PMTA API CRITICAL - ", "-m", "api")


UNIT = [test_range_outcomes_follow_the_plugin_guidelines, test_range_bounds_and_infinities,
        test_range_rejects_malformed_text, test_evaluate_critical_wins_over_warning,
        test_fnv1a_matches_published_vectors, test_string_index_is_length_then_bytes,
        test_long_name_index_is_shortened_with_its_hash, test_domain_argument_is_normalised_like_the_agent_keys,
        test_snmpget_output_parsing_keeps_strings_and_marks_missing_rows, test_status_line_escapes_pipe_and_newlines,
        test_conf_quote_escapes_quotes_and_backslashes_and_refuses_line_breaks,
        test_share_of_rows_recovers_each_rows_deliveries]
LIVE = [test_queue_of_instance_ok_warning_critical, test_queue_of_domain, test_bounce_rate_of_domain,
        test_deferral_rate_of_domain, test_complaint_rate_of_domain_and_instance, test_queue_rows_by_q,
        test_rates_of_instance_sum_the_vmta_rows, test_latency_of_domain_and_instance,
        test_resolved_share_of_domain_queue_and_instance, test_pending_of_instances_and_rows,
        test_long_domain_is_found_by_its_full_name, test_api_status, test_snmpv3_authpriv,
        test_secrets_stay_out_of_the_snmp_tools_argv, test_queue_of_an_instance_never_polled_is_unknown,
        test_unknown_for_missing_rows_and_dead_agents, test_bad_arguments_are_unknown,
        test_help_documents_every_option, test_stale_queue_is_unknown_with_the_last_value]


def run(name, fn, *args):
    t0 = time.monotonic()
    try:
        fn(*args)
        print(f"ok   {name} ({time.monotonic() - t0:.1f}s)", flush=True)
        return 0
    except Exception as e:
        traceback.print_exc()
        print(f"FAIL {name}: {e}", flush=True)
        return 1


def main():
    """Unit tests first; then one agent for every live test, since starting
    snmpd, the simulator and the agent costs more than all the checks."""
    failed = sum(run(t.__name__, t) for t in UNIT)
    with Env("nagios") as env:
        try:
            w = start_world(env)
        except Exception:
            env.failed = True
            traceback.print_exc()
            print("FAIL start_world", flush=True)
            sys.exit(1)
        live_failed = sum(run(t.__name__, t, w) for t in LIVE)
        env.failed = live_failed > 0
        failed += live_failed
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
