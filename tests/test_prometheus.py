"""Prometheus end to end (README.md, "Integrations: Prometheus and Grafana").

conf/prometheus/snmp.yml must be what conf/prometheus/regen writes from
generator.yml and the MIB today. Then Debian's prometheus-snmp-exporter, run
with that file against a private snmpd, the agent and the PowerMTA simulator,
must publish every value snmpwalk returns, under labels decoded from the same
row index (and the looked-up instance name, Unicode domain name, queue domain
and VirtualMTA), including an IDN domain, a rollup queue and a Counter64 above
2^32; the free-text columns must not be there. Last, Prometheus itself scrapes
the exporter with the project's rules loaded, and a query and a recording rule
give the same figures. Every program is started by this test on loopback, on
free ports, in its temporary directory, and stopped by its PID. A missing
program fails the test (scripts/deps installs them).
"""
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

import yaml

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from pmtatest import MIB_FILE, TOP_SRCDIR, Env, free_port, main, slow, wait_for  # noqa: E402
from test_acct_tables import idn_file  # noqa: E402

PROM_DIR = os.path.join(TOP_SRCDIR, "conf", "prometheus")
SNMP_YML = os.path.join(PROM_DIR, "snmp.yml")
RULES = os.path.join(PROM_DIR, "pmta-monitor.rules.yml")
EXPORTER = "prometheus-snmp-exporter"
BIG = 2 ** 32 + 4242          # a Counter64 that 32 bits cannot hold
FREE_TEXT = ("pmtaInstanceApiLastError", "pmtaQueueLastError", "pmtaDeferralLastDiag", "pmtaRejectionLastDiag")


def need(prog):
    path = shutil.which(prog)
    assert path, f"{prog} is missing: scripts/deps installs it"
    return path


def http_get(url, timeout=30):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.status, r.read().decode("utf-8")


# ------------------------------------------------------------ exposition format

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?')


def unescape(v):
    return re.sub(r'\\(.)', lambda m: "\n" if m.group(1) == "n" else m.group(1), v)


def parse_metrics(text):
    """[(name, {label: value}, float)] of the Prometheus text format."""
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, f"not an exposition line: {line!r}"
        labels = {}
        if m.group(2):
            pos = 0
            while pos < len(m.group(2)):
                lm = LABEL.match(m.group(2), pos)
                assert lm, f"bad labels in {line!r}"
                labels[lm.group(1)] = unescape(lm.group(2))
                pos = lm.end()
        out.append((m.group(1), labels, float(m.group(3))))
    return out


# ------------------------------------------------------- what snmp.yml implies

def decode_index(subids, indexes):
    """{label: value} of a row's index sub-identifiers, as the module's indexes say."""
    labels = {}
    i = 0
    for ix in indexes:
        if ix["type"] == "DisplayString":
            n = subids[i]
            labels[ix["labelname"]] = bytes(subids[i + 1:i + 1 + n]).decode("utf-8")
            i += 1 + n
        else:
            # exporter 0.21 prints an integer index as its number even where
            # the generator wrote its enum_values (pmtaConnDirection,
            # pmtaLatencyScope); the recording rules add the names.
            labels[ix["labelname"]] = str(subids[i])
            i += 1
    assert i == len(subids), f"index {subids} longer than {indexes}"
    return labels


def expected_series(module, walk, strings):
    """{(name, frozenset(labels)): value} the exporter should publish for one
    walk ({numeric oid: value}); strings: {oid: text} for the lookups."""
    want = {}
    for m in module["metrics"]:
        prefix = m["oid"] + "."
        for oid, val in walk.items():
            if not oid.startswith(prefix):
                continue
            sub = [int(x) for x in oid[len(prefix):].split(".")]
            labels = decode_index(sub, m.get("indexes", [])) if m.get("indexes") else {}
            for lk in m.get("lookups", []):
                # the lookup's row is the same row, keyed by the listed index labels
                if [ix["labelname"] for ix in m["indexes"]][:len(lk["labels"])] != lk["labels"]:
                    raise AssertionError(f"{m['name']}: a lookup on a partial index not handled here")
                parts = sub_for(sub, m["indexes"], len(lk["labels"]))
                v = strings.get(lk["oid"] + "." + parts)
                if v is not None:
                    labels[lk["labelname"]] = v
            typ = m["type"]
            if typ in ("gauge", "counter"):
                want[(m["name"], frozenset(labels.items()))] = float(val)
            elif typ == "DisplayString":
                labels[m["name"]] = val
                want[(m["name"], frozenset(labels.items()))] = 1.0
            elif typ == "EnumAsInfo":
                labels[m["name"]] = m["enum_values"][int(val)]
                want[(m["name"] + "_info", frozenset(labels.items()))] = 1.0
            elif typ == "DateAndTime":
                want[(m["name"], frozenset(labels.items()))] = date_and_time(val)
            elif typ == "EnumAsStateSet":
                for k, state in m["enum_values"].items():
                    want[(m["name"], frozenset(list(labels.items()) + [(m["name"], state)]))] = \
                        1.0 if int(val) == k else 0.0
            else:
                raise AssertionError(f"{m['name']}: type {typ} not handled by this test")
    return want


def date_and_time(val):
    """A DateAndTime (RFC 2579) as the Unix time the exporter publishes for it,
    to the second: snmpwalk prints it by its display hint, 2026-12-1,4:23:16.0,+0:0
    (local time, then the offset from UTC)."""
    m = re.fullmatch(r"(\d+)-(\d+)-(\d+),(\d+):(\d+):(\d+)\.(\d)(?:,([+-])(\d+):(\d+))?", val)
    assert m, f"DateAndTime {val!r}"
    y, mo, d, h, mi, sec = (int(x) for x in m.group(1, 2, 3, 4, 5, 6))
    t = datetime.datetime(y, mo, d, h, mi, sec, tzinfo=datetime.timezone.utc)
    if m.group(8):
        off = datetime.timedelta(hours=int(m.group(9)), minutes=int(m.group(10)))
        t = t - off if m.group(8) == "+" else t + off
    return float(int(t.timestamp()))


def sub_for(sub, indexes, n):
    """The index sub-identifiers of the first n index parts, dotted."""
    i = 0
    for ix in indexes[:n]:
        i += 1 + sub[i] if ix["type"] == "DisplayString" else 1
    return ".".join(str(x) for x in sub[:i])


def walk_numeric(env, root):
    """{numeric oid without the leading dot: value} of a subtree; strings
    (printed in hex, -Ox) as UTF-8 text, numbers as their decimal text."""
    r = env.run(["snmpwalk", "-Cc", "-On", "-Oe", "-OU", "-Ot", "-Ox"] + env.snmp_args() + [root])
    assert r.returncode == 0, r.stderr
    lines = []
    for line in r.stdout.splitlines():
        if line.startswith("."):
            lines.append(line)
        else:               # a long Hex-STRING goes on over more lines
            assert lines and re.fullmatch(r"[0-9A-F ]*", line), f"unexpected snmpwalk line {line!r}"
            lines[-1] += " " + line
    out = {}
    for line in lines:
        m = re.fullmatch(r"(\.[0-9.]+) = (?:([A-Za-z0-9-]+): ?(.*)|(.*))", line)
        assert m, f"unexpected snmpwalk line {line!r}"
        typ, v = m.group(2), m.group(3)
        if typ is None:     # -Ot: Timeticks as a bare number; "" an empty string
            v = "" if m.group(4) == '""' else m.group(4)
        elif typ == "Hex-STRING":
            v = bytes.fromhex(v.replace(" ", "")).decode("utf-8")
        elif typ == "STRING":
            v = v.strip('"')
        out[m.group(1).lstrip(".")] = v
    return out


def test_snmp_yml_is_what_the_generator_writes():
    need("prometheus-snmp-generator")
    tmp = tempfile.mkdtemp(prefix="pmta-regen-")
    try:
        out = os.path.join(tmp, "snmp.yml")
        r = subprocess.run([os.path.join(PROM_DIR, "regen"), out], capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        with open(out) as f:
            fresh = f.read()
        with open(SNMP_YML) as f:
            committed = f.read()
        assert fresh == committed, \
            "conf/prometheus/snmp.yml is stale: run conf/prometheus/regen and commit it"
        mod = yaml.safe_load(fresh)
        assert "pmta_monitor" in mod and mod["pmta_monitor"]["walk"] == ["1.3.6.1.4.1.32473.25.1"], mod.keys()
        names = {m["name"] for m in mod["pmta_monitor"]["metrics"]}
        for text in FREE_TEXT:
            assert text not in names, f"{text} is published"
        # An index object is never answered: a metric of its own would stay empty.
        with open(MIB_FILE) as f:
            mib = f.read()
        hidden = set(re.findall(r"^(\w+) OBJECT-TYPE\s+SYNTAX[^\n]*\n\s+MAX-ACCESS\s+not-accessible", mib, re.M))
        assert "pmtaDomainName" in hidden and "pmtaInstanceIndex" in hidden, sorted(hidden)
        for module, body in mod.items():
            bad = sorted({m["name"] for m in body["metrics"]} & hidden)
            assert not bad, f"{module}: not-accessible objects as metrics (ignore them in generator.yml): {bad}"
        print(f"  snmp.yml regenerated identically: {len(mod)} modules, "
              f"{len(mod['pmta_monitor']['metrics'])} objects in pmta_monitor")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


SCENARIO = {
    "traffic": {"out": {"rcp": BIG, "msg": BIG - 10, "kb": 123456}, "in": {"rcp": 5000, "msg": 4990, "kb": 1000}},
    "conn": {"in": {"cur": 3, "max": 100, "top": 9}, "out": {"cur": 40, "max": 200, "top": 77}},
    "queues": [{"name": "yahoo.rollup/vmta18", "rcp": 2500, "kb": 800, "conn": 4, "mode": "backoff"},
               {"name": "Bücher.de/vmta1", "rcp": 12, "kb": 40, "conn": 1, "paused": True},
               {"name": "gmail.com/vmta1", "rcp": 300, "kb": 90, "conn": 7}],
    "domains": [{"name": "BÜCHER.DE", "rcp": 7}, {"name": "gmail.com", "rcp": 300},
                {"name": "yahoo.rollup", "rcp": 2500}],
    "vmtas": [{"name": "vmta1", "rcp": 312, "conn": 8}, {"name": "vmta18", "rcp": 2500, "conn": 4}],
    "jobs": [{"name": "job-7", "rcp": 12}],
}


def start_world(env):
    d = env.mkdir("acct")
    idn_file(os.path.join(d, "acct-2026-01-01-0000.csv"), int(time.time()))
    sim = env.start_sim(SCENARIO)
    env.start_snmpd()
    # A long poll interval: the values stay put between the walk and the scrape.
    env.start_agent(f"pmtaInstance mta1 {sim.url}\npmtaPollInterval 60\n"
                    f"pmtaAcctFiles mta1 {d}/acct-*.csv\n"
                    "pmtaThreshold idn bounceRate domain:BÜCHER.DE warn=10% crit=20% min=1\n")
    wait_for(lambda: env.get("pmtaInstanceOutRcpt.1") == str(BIG), 20, "the API's totals")
    wait_for(lambda: env.get("pmtaAgentAcctRecords.0") == "12", 20, "every accounting record")
    wait_for(lambda: env.table("pmtaAlarmTable"), 20, "the bounce-rate alarm")
    return sim


def start_exporter(env, config=SNMP_YML):
    need(EXPORTER)
    port = free_port("tcp")
    proc = env.spawn("exporter", [EXPORTER, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{port}"],
                     log=env.path("exporter.log"))
    wait_for(lambda: http_get(f"http://127.0.0.1:{port}/metrics", 2)[0] == 200, 15, "the exporter to listen",
             abort=proc.exited)
    return port


def scrape(env, port, module):
    url = f"http://127.0.0.1:{port}/snmp?module={module}&target=127.0.0.1:{env.snmp_port}"
    t0 = time.monotonic()
    status, body = http_get(url, slow(30))
    dt = time.monotonic() - t0
    assert status == 200, body
    samples = parse_metrics(body)
    ours = [s for s in samples if s[0].startswith("pmta")]
    up = [s for s in samples if s[0] == "snmp_scrape_pdus_returned"]
    return ours, dt, up


def compare_scrape(env, port, module_name, mod):
    """Walk, scrape, walk: every series matches the walks' rows (a value
    between the two walks' values), and no series is extra or missing."""
    strings_root = "1.3.6.1.4.1.32473.25.1"
    w1 = walk_numeric(env, "." + strings_root)
    got, dt, _ = scrape(env, port, module_name)
    w2 = walk_numeric(env, "." + strings_root)
    assert set(w1) == set(w2), "rows changed between the walks"
    want1 = expected_series(mod, w1, w1)
    want2 = expected_series(mod, w2, w2)
    got_map = {(n, frozenset(lb.items())): v for n, lb, v in got}
    problems = []
    for key, v in got_map.items():
        if key not in want1 and key not in want2:
            problems.append(f"extra series {key[0]}{dict(key[1])} = {v}")
            continue
        lo = min(want1.get(key, v), want2.get(key, v))
        hi = max(want1.get(key, v), want2.get(key, v))
        if not lo <= v <= hi:
            problems.append(f"{key[0]}{dict(key[1])}: exporter {v}, snmpwalk {lo}..{hi}")
    for key in set(want1) & set(want2):
        if key not in got_map:
            problems.append(f"missing series {key[0]}{dict(key[1])}")
    assert not problems, "\n".join(problems[:30]) + f"\n({len(problems)} problems)"
    return got, got_map, dt


def series(got, name, **labels):
    return [(lb, v) for n, lb, v in got if n == name and all(lb.get(k) == x for k, x in labels.items())]


def test_exporter_publishes_what_snmpwalk_returns():
    with open(SNMP_YML) as f:
        conf = yaml.safe_load(f)
    with Env("prometheus") as env:
        start_world(env)
        port = start_exporter(env)
        got, got_map, dt = compare_scrape(env, port, "pmta_monitor", conf["pmta_monitor"])
        print(f"  pmta_monitor: {len(got)} series in {dt:.3f}s, each equal to snmpwalk's row")
        names = {n for n, _, _ in got}
        for text in FREE_TEXT:
            assert not [n for n in names if n.startswith(text)], f"{text} published"
            assert not [lb for _, lb, _ in got if text in lb], f"{text} used as a label"

        # The same rows read one by one with snmpget, by name.
        a = env.snmpget("pmtaInstanceName.1", "pmtaInstanceOutRcpt.1", "pmtaInstanceOutMsg.1")
        assert a.ok and int(a.value[1]) == BIG, a
        out = series(got, "pmtaInstanceOutRcpt", pmtaInstanceIndex="1")
        assert len(out) == 1 and out[0][0]["pmtaInstanceName"] == a.value[0] == "mta1", out
        assert out[0][1] == float(BIG) > 2 ** 32, out
        assert series(got, "pmtaInstanceOutMsg", pmtaInstanceName="mta1")[0][1] == float(a.value[2])
        # A counter is typed counter.
        _, body = http_get(f"http://127.0.0.1:{port}/snmp?module=pmta_monitor&target=127.0.0.1:{env.snmp_port}",
                           slow(30))
        assert "# TYPE pmtaInstanceOutRcpt counter" in body and "# TYPE pmtaDomainDelivered counter" in body
        assert "# TYPE pmtaInstanceQueuedRcpt gauge" in body

        # The IDN domain: the A-label indexes the row, the Unicode name is a label.
        idn = "xn--bcher-kva.de"
        oid_idx = f"1.{len(idn)}." + ".".join(str(b) for b in idn.encode())
        a = env.snmpget(f".1.3.6.1.4.1.32473.25.1.6.1.18.{oid_idx}", f".1.3.6.1.4.1.32473.25.1.6.1.4.{oid_idx}",
                        f".1.3.6.1.4.1.32473.25.1.6.1.2.{oid_idx}")
        assert a.ok and a.value[0] == "bücher.de", a
        row = series(got, "pmtaDomainDelivered", pmtaDomainName=idn)
        assert len(row) == 1, row
        assert row[0][0]["pmtaDomainUnicodeName"] == "bücher.de" and row[0][0]["pmtaInstanceName"] == "mta1", row
        assert row[0][1] == float(a.value[1]) == 4.0, (row, a)
        assert series(got, "pmtaDomainQueuedRcpt", pmtaDomainName=idn)[0][1] == float(a.value[2])
        # Its deferral and rejection rows, by A-label and DSN status.
        assert series(got, "pmtaDeferralCount", pmtaDeferralDomain=idn, pmtaDeferralStatus="4.4.1")[0][1] == 1.0
        assert series(got, "pmtaRejectionCount", pmtaRejectionDomain=idn, pmtaRejectionStatus="5.1.1")[0][1] == 2.0
        assert series(got, "pmtaLatencyWinCount", pmtaLatencyScope="2", pmtaLatencyName=idn)

        # The rollup queue: its domain and VirtualMTA as the agent gives them.
        q = "yahoo.rollup/vmta18"
        q_idx = f"1.{len(q)}." + ".".join(str(b) for b in q.encode())
        a = env.snmpget(*[f".1.3.6.1.4.1.32473.25.1.4.1.{c}.{q_idx}" for c in (2, 3, 4, 8)])
        assert a.ok and a.value[1] == "vmta18" and a.value[2] == "2500", a
        row = series(got, "pmtaQueueRcpt", pmtaQueueName=q)
        assert len(row) == 1 and row[0][1] == 2500.0, row
        assert row[0][0]["pmtaQueueDomain"] == a.value[0] and row[0][0]["pmtaQueueVmta"] == "vmta18", row
        assert a.value[3] == "2" and series(got, "pmtaQueueMode_info", pmtaQueueName=q, pmtaQueueMode="backoff")
        # The page's Bücher.de/vmta1 is keyed as the agent keys queues (its domain part's A-label).
        assert series(got, "pmtaQueuePaused_info", pmtaQueueName="xn--bcher-kva.de/vmta1", pmtaQueuePaused="true")
        assert series(got, "pmtaQueueListed_info", pmtaQueueName=q, pmtaQueueListed="true")

        # The API status as a state set, the alarm with its rule, subject and severity.
        assert series(got, "pmtaInstanceApiStatus", pmtaInstanceName="mta1", pmtaInstanceApiStatus="ok")[0][1] == 1
        assert series(got, "pmtaInstanceApiStatus", pmtaInstanceName="mta1", pmtaInstanceApiStatus="timeout")[0][1] == 0
        alarm = series(got, "pmtaAlarmSeverity_info", pmtaAlarmRule="idn", pmtaAlarmSubject=f"domain:{idn}")
        assert len(alarm) == 1 and alarm[0][0]["pmtaAlarmSeverity"] == "critical", alarm
        assert series(got, "pmtaAlarmValue", pmtaAlarmRule="idn")[0][1] == float(env.get("pmtaAlarmValue.1"))
        th = series(got, "pmtaThresholdWarn", pmtaThresholdRule="idn")
        assert th and th[0][0]["pmtaThresholdScope"] == "domain:BÜCHER.DE" and th[0][1] == 1000.0, th

        # Each per-table module publishes its own metrics only, as pmta_monitor
        # labels them; together they publish every series pmta_monitor does.
        union = set()
        for module, body in conf.items():
            if module == "pmta_monitor":
                continue
            own = {m["name"] for m in body["metrics"]} | {m["name"] + "_info" for m in body["metrics"]}
            part, dt, _ = scrape(env, port, module)
            keys = {(n, frozenset(lb.items())) for n, lb, _ in part}
            assert {n for n, _ in keys} <= own, (module, {n for n, _ in keys} - own)
            assert keys <= set(got_map), (module, sorted(keys - set(got_map))[:5])
            union |= keys
            print(f"  {module}: {len(part)} series in {dt:.3f}s, each also in pmta_monitor")
        assert union == set(got_map), sorted(set(got_map) ^ union)[:5]


PROM_CONF = """global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [{rules}]
scrape_configs:
  - job_name: pmta
    metrics_path: /snmp
    params: {{module: [pmta_monitor]}}
    static_configs:
      - targets: ['127.0.0.1:{snmp_port}']
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [__param_target]
        target_label: instance
      - target_label: __address__
        replacement: 127.0.0.1:{exporter_port}
"""


def prom_query(port, q):
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": q})
    _, body = http_get(url, 5)
    doc = json.loads(body)
    assert doc["status"] == "success", doc
    return doc["data"]["result"]


def test_prometheus_scrapes_the_exporter_and_evaluates_the_rules():
    need("prometheus")
    with Env("prometheus-server") as env:
        start_world(env)
        exporter_port = start_exporter(env)
        port = free_port("tcp")
        conf = env.path("prometheus.yml")
        with open(conf, "w") as f:
            f.write(PROM_CONF.format(rules=json.dumps(RULES), snmp_port=env.snmp_port, exporter_port=exporter_port))
        proc = env.spawn("prometheus", ["prometheus", f"--config.file={conf}",
                                        f"--storage.tsdb.path={env.mkdir('tsdb')}",
                                        f"--web.listen-address=127.0.0.1:{port}"],
                         log=env.path("prometheus.log"))
        wait_for(lambda: http_get(f"http://127.0.0.1:{port}/-/ready", 2)[0] == 200, 30, "Prometheus to be ready",
                 abort=proc.exited)
        res = wait_for(lambda: prom_query(port, 'pmtaInstanceOutRcpt{pmtaInstanceName="mta1"}'), 30,
                       "a scrape of the exporter", abort=proc.exited)
        assert float(res[0]["value"][1]) == float(BIG) and res[0]["metric"]["job"] == "pmta", res
        res = prom_query(port, 'pmtaDomainDelivered{pmtaDomainUnicodeName="bücher.de"}')
        assert [r["metric"]["pmtaDomainName"] for r in res] == ["xn--bcher-kva.de"], res
        assert float(res[0]["value"][1]) == float(env.get("pmtaDomainDelivered.1.\"xn--bcher-kva.de\"")), res
        # The rules file loaded, and a recording rule over the domain table.
        _, body = http_get(f"http://127.0.0.1:{port}/api/v1/rules", 5)
        groups = json.loads(body)["data"]["groups"]
        assert groups and all(r["health"] != "err" for g in groups for r in g["rules"]), groups
        queued = float(env.get("pmtaInstanceQueuedRcpt.1"))
        res = wait_for(lambda: prom_query(port, 'pmta:instance_queued_rcpt{pmtaInstanceName="mta1"}'), 30,
                       "the recording rule", abort=proc.exited)
        assert float(res[0]["value"][1]) == queued, res
        # The agent's alarm through the alert rule.
        res = wait_for(lambda: prom_query(port, 'ALERTS{alertname="PmtaAgentAlarm"}'), 30,
                       "the PmtaAgentAlarm alert", abort=proc.exited)
        assert res[0]["metric"]["pmtaAlarmRule"] == "idn", res
        print(f"  Prometheus: scraped {float(BIG):.0f} for pmtaInstanceOutRcpt, "
              f"{len(groups)} rule groups healthy, the agent's alarm is an alert")


if __name__ == "__main__":
    main([test_snmp_yml_is_what_the_generator_writes, test_exporter_publishes_what_snmpwalk_returns,
          test_prometheus_scrapes_the_exporter_and_evaluates_the_rules])
