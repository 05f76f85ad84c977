"""conf/grafana/pmta-monitor.json (Grafana is not in Debian, so it is checked
here without Grafana) must be valid JSON with unique panel ids, and every
query it makes, every template variable and every legend must use only the
metrics conf/prometheus/snmp.yml makes the exporter publish or the recording
rules of conf/prometheus/pmta-monitor.rules.yml define, with labels those
metrics carry. The rules' own expressions are held to the same check. The
checker is tried on broken queries first, so it cannot pass by seeing nothing.
"""
import json
import os
import re
import sys

import yaml

TOP = os.environ.get("top_srcdir") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from pmtatest import main  # noqa: E402

DASHBOARD = os.path.join(TOP, "conf", "grafana", "pmta-monitor.json")
SNMP_YML = os.path.join(TOP, "conf", "prometheus", "snmp.yml")
RULES = os.path.join(TOP, "conf", "prometheus", "pmta-monitor.rules.yml")
# Labels Prometheus adds to every scraped series.
TARGET_LABELS = {"instance", "job"}
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool",
            "offset", "inf", "nan"}
GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\(([^()]*)\)")
TOKEN = re.compile(r"([A-Za-z_:][A-Za-z0-9_:]*)\s*(\{[^{}]*\})?\s*(\()?")
MATCHER = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*\"(?:[^\"\\]|\\.)*\"\s*,?")


def exporter_metrics():
    """{metric name: label names} of every module of snmp.yml, as exporter 0.21 publishes them."""
    with open(SNMP_YML) as f:
        conf = yaml.safe_load(f)
    out = {}
    for module in conf.values():
        for m in module["metrics"]:
            labels = set(TARGET_LABELS)
            labels |= {ix["labelname"] for ix in m.get("indexes", [])}
            labels |= {lk["labelname"] for lk in m.get("lookups", [])}
            name = m["name"]
            if m["type"] == "EnumAsInfo":
                name += "_info"
                labels.add(m["name"])
            elif m["type"] not in ("gauge", "counter"):      # strings, state sets: the value as a label
                labels.add(m["name"])
            out.setdefault(name, set()).update(labels)
    return out


def parse_promql(expr):
    """([(metric, {matcher label names})], {grouping label names}, {labels
    label_replace writes}) of a PromQL expression; Grafana's $variables are
    inside strings or ranges, which are dropped first."""
    written = set(re.findall(r"label_replace\s*\(.*?,\s*\"([A-Za-z_][A-Za-z0-9_]*)\"", expr, re.S))
    s = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    s = re.sub(r"\[[^\]]*\]", "", s)
    grouping = set()
    for m in GROUPING.finditer(s):
        grouping |= {x.strip() for x in m.group(2).split(",") if x.strip()}
    s = GROUPING.sub(" ", s)
    # restore the matchers' strings: TOKEN only needs their label names
    s_full = re.sub(r"\[[^\]]*\]", "", expr)
    s_full = GROUPING.sub(" ", s_full)
    selectors = []
    for m in TOKEN.finditer(s_full):
        name, sel, call = m.group(1), m.group(2), m.group(3)
        if call and not sel:
            continue            # a function
        if name in KEYWORDS or name.startswith("$"):
            continue
        if s_full[max(0, m.start() - 1)] in "$\"":
            continue
        labels = set()
        if sel:
            body = sel[1:-1]
            pos = 0
            while pos < len(body.strip()):
                mm = MATCHER.match(body, pos)
                if not mm:
                    raise AssertionError(f"cannot read the selector {sel} in {expr!r}")
                labels.add(mm.group(1))
                pos = mm.end()
        selectors.append((name, labels))
    return selectors, grouping, written


def check_expr(expr, known, where):
    """Problems of one expression: unknown metrics, labels a metric does not carry."""
    problems = []
    selectors, grouping, written = parse_promql(expr)
    if not selectors:
        problems.append(f"{where}: no metric in {expr!r}")
    available = set(written)
    for name, labels in selectors:
        if name not in known:
            problems.append(f"{where}: unknown metric {name}")
            continue
        available |= known[name]
        for lb in labels - known[name]:
            problems.append(f"{where}: {name} has no label {lb}")
    for lb in grouping - available:
        problems.append(f"{where}: grouping by {lb}, which none of its metrics carry")
    return problems, available


def known_metrics():
    """The exporter's metrics plus each recording rule, with the labels of the
    metrics it is computed from and those its label_replace writes."""
    known = exporter_metrics()
    known["up"] = set(TARGET_LABELS)     # Prometheus's own, per target
    with open(RULES) as f:
        rules = yaml.safe_load(f)
    problems = []
    for g in rules["groups"]:
        for r in g["rules"]:
            where = f"rule {r.get('record') or r.get('alert')}"
            p, labels = check_expr(r["expr"], known, where)
            problems += p
            if "record" in r:
                known[r["record"]] = labels
    return known, problems


def all_panels(dash):
    out = []
    for p in dash["panels"]:
        out.append(p)
        out += p.get("panels", [])
    return out


def check_dashboard(dash, known):
    problems = []
    panels = all_panels(dash)
    ids = [p.get("id") for p in panels]
    if len(ids) != len(set(ids)) or None in ids:
        problems.append(f"panel ids not unique: {ids}")
    for p in panels:
        if p["type"] == "row":
            continue
        if not p.get("targets"):
            problems.append(f"panel {p['title']!r}: no query")
        for t in p.get("targets", []):
            where = f"panel {p['title']!r} {t.get('refId')}"
            pr, labels = check_expr(t.get("expr", ""), known, where)
            problems += pr
            for lb in re.findall(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}", t.get("legendFormat", "")):
                if lb not in labels:
                    problems.append(f"{where}: legend uses {lb}, which its metrics do not carry")
    names = set()
    for v in dash["templating"]["list"]:
        names.add(v["name"])
        if v["type"] == "datasource":
            if v.get("query") != "prometheus":
                problems.append(f"variable {v['name']}: not a Prometheus data source")
            continue
        if v["type"] != "query":
            problems.append(f"variable {v['name']}: type {v['type']} not checked")
            continue
        q = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
        m = re.fullmatch(r"label_values\((.*),\s*([A-Za-z_][A-Za-z0-9_]*)\)", q.strip(), re.S)
        if not m:
            problems.append(f"variable {v['name']}: {q!r} is not label_values(metric, label)")
            continue
        pr, labels = check_expr(m.group(1), known, f"variable {v['name']}")
        problems += pr
        if m.group(2) not in labels:
            problems.append(f"variable {v['name']}: label {m.group(2)} not on {m.group(1)}")
    # Every $variable a query uses is defined.
    text = json.dumps(dash["panels"]) + json.dumps(dash["templating"])
    for used in set(re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", text)):
        if used not in names and not used.startswith("__") and used != "DS_PROMETHEUS":
            problems.append(f"${used} is used but not a template variable")
    return problems


def test_checker_rejects_broken_queries():
    known, _ = known_metrics()
    assert check_expr("pmtaDomainDelivered", known, "x")[0] == []
    assert check_expr("rate(pmtaDomainBogus[5m])", known, "x")[0], "an unknown metric passed"
    assert check_expr('pmtaVmtaDelivered{pmtaDomainName="a"}', known, "x")[0], "a label the metric lacks passed"
    assert check_expr("sum by (pmtaQueueVmta) (pmtaDomainQueuedRcpt)", known, "x")[0], "a bad grouping passed"
    assert check_expr("pmtaInstanceApiLastError", known, "x")[0], "free text is published"
    dash = {"panels": [{"id": 1, "type": "stat", "title": "a", "targets": [
        {"refId": "A", "expr": "pmtaDomainQueuedRcpt", "legendFormat": "{{pmtaVmtaName}}"}]},
        {"id": 1, "type": "row", "title": "r", "panels": []}],
        "templating": {"list": [{"name": "d", "type": "query", "query": "label_values(pmtaJobDelivered, pmtaDomainName)"}]}}
    problems = check_dashboard(dash, known)
    assert any("not unique" in p for p in problems), problems
    assert any("legend uses pmtaVmtaName" in p for p in problems), problems
    assert any("label pmtaDomainName not on" in p for p in problems), problems


def test_rules_use_only_published_metrics():
    known, problems = known_metrics()
    assert not problems, "\n".join(problems)
    records = [n for n in known if n.startswith("pmta:")]
    assert len(records) >= 10, records
    print(f"  {len(known) - len(records)} exporter metrics, {len(records)} recording rules, every rule checked")


def test_dashboard_queries_and_variables_resolve():
    with open(DASHBOARD, encoding="utf-8") as f:
        dash = json.load(f)
    known, _ = known_metrics()
    problems = check_dashboard(dash, known)
    assert not problems, "\n".join(problems)
    panels = [p for p in all_panels(dash) if p["type"] != "row"]
    queries = sum(len(p["targets"]) for p in panels)
    vars_ = {v["name"] for v in dash["templating"]["list"]}
    assert {"instance", "domain", "vmta"} <= vars_, vars_
    print(f"  {len(panels)} panels, {queries} queries, {len(vars_)} variables: every name resolves")


if __name__ == "__main__":
    main([test_checker_rejects_broken_queries, test_rules_use_only_published_metrics,
          test_dashboard_queries_and_variables_resolve])
