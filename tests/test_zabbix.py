"""Zabbix end to end (README.md, "Integrations"): conf/zabbix/pmta-monitor.yaml in a
real Zabbix 6.0 from Debian's packages (tests/lib/zabbixtest.py: PostgreSQL, the
server and the frontend's API, all started here) against a private snmpd, the
agent and the PowerMTA simulator.

A user's path: import the template (and import it again: nothing may change or
fail), add a host with an SNMP interface, and wait. Every discovery rule must
find its rows, named by the instance's name; the top-N defaults must keep a
sender with many domains to a bounded number of items; every SNMP item must get
a value; no trigger may be left UNKNOWN (a rate trigger whose items had no
value yet, depending on a trigger in problem, used to stay so); the bounce
rate triggers must fire. Then the agent's own traps, written the way
zabbix_trap_receiver.pl writes them, must open problems named after the
instance and subject and close them by rule, instance and subject, even when
the clear carries another alarm number (an agent restart). Last, a queue that
leaves PowerMTA's /queues page and is known to no accounting file loses its
row: its items must not turn "not supported".

Not part of `make check` (about 2 minutes): scripts/check-zabbix installs
Zabbix's packages and runs it. Every process is started here, on loopback and
free ports, in a temporary directory, and stopped by its PID.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from pmtatest import SNMP_TRAP_OID, TOP_SRCDIR, Env, main, slow, wait_for  # noqa: E402
from zabbixtest import Zabbix, server_version  # noqa: E402

TEMPLATE = os.path.join(TOP_SRCDIR, "conf", "zabbix", "pmta-monitor.yaml")
T = "PowerMTA by SNMP"
N_DOMAINS = 40          # more than {$PMTA.DOMAIN.TOP} (20)
HEADER = "type,timeLogged,timeQueued,rcpt,dsnStatus,dsnDiag,bounceCat,vmta,jobId,queue"
TRAP_ROOT = ".1.3.6.1.4.1.32473.25"
RULES = {k: {"createMissing": True, "updateExisting": True}
         for k in ("templates", "items", "triggers", "discoveryRules", "valueMaps", "graphs",
                   "templateDashboards")}
RULES.update(groups={"createMissing": True}, templateLinkage={"createMissing": True})


def domain(i):
    return f"d{i:02d}.example"


# how the three deferred recipients of bounce.example end
LATE = ("b", "b", "d")


def accounting(path, now):
    """Deliveries to N_DOMAINS domains through two VirtualMTAs, d{i} getting
    i+1 of them (so the busiest are known); bounce.example, among the 20
    busiest, bounces half its mail (its rate triggers fire); dead.example only
    bounces. Three recipients of bounce.example are deferred through vmta1
    first and resolved at the end, two bounced and one delivered: vmta1's
    deferrals mostly end bounced (its trigger fires), vmta2 resolves none (a
    share of 0 over nothing, which must not fire)."""
    tl = time.strftime("%Y-%m-%d %H:%M:%S+0000", time.gmtime(now - 30))
    tl_deferred = time.strftime("%Y-%m-%d %H:%M:%S+0000", time.gmtime(now - 60))
    tq = time.strftime("%Y-%m-%d %H:%M:%S+0000", time.gmtime(now - 90))
    ok = "2.0.0 (success),smtp;250 ok,"
    late = "4.4.1 (no answer from host),smtp;421 4.4.1 try later,"
    bad = "5.1.1 (bad destination mailbox address),smtp;550 5.1.1 unknown,bad-mailbox"
    n = 0
    with open(path, "w", newline="") as f:
        f.write(HEADER + "\r\n")
        for k in range(len(LATE)):
            f.write(f"t,{tl_deferred},{tq},late{k}@bounce.example,{late},vmta1,job-0,bounce.example/vmta1\r\n")
            n += 1
        for i in range(N_DOMAINS):
            for k in range(i + 1):
                vmta = f"vmta{k % 2 + 1}"
                f.write(f"d,{tl},{tq},u{k}@{domain(i)},{ok},{vmta},job-{i % 3},{domain(i)}/{vmta}\r\n")
                n += 1
        for k in range(100):
            typ, st = ("b", bad) if k % 2 else ("d", ok)
            f.write(f"{typ},{tl},{tq},u{k}@bounce.example,{st},vmta1,job-0,bounce.example/vmta1\r\n")
            n += 1
        for k in range(5):     # a domain that only bounces
            f.write(f"b,{tl},{tq},u{k}@dead.example,{bad},vmta1,job-1,dead.example/vmta1\r\n")
            n += 1
        for k, typ in enumerate(LATE):
            f.write(f"{typ},{tl},{tq},late{k}@bounce.example,{bad if typ == 'b' else ok},vmta1,job-0,"
                    "bounce.example/vmta1\r\n")
            n += 1
    return n


SCENARIO = {
    "traffic": {"out": {"rcp": 90000, "msg": 89000, "kb": 12345}, "in": {"rcp": 95000, "msg": 94000, "kb": 23456}},
    "conn": {"in": {"cur": 3, "max": 100, "top": 9}, "out": {"cur": 40, "max": 200, "top": 77}},
    "queues": [{"name": "gmail.com/vmta1", "rcp": 300, "kb": 90, "conn": 7},
               {"name": "page-only.example/vmta2", "rcp": 50, "kb": 10, "conn": 1}],
    "domains": [{"name": "gmail.com", "rcp": 300}, {"name": "page-only.example", "rcp": 50}],
    "vmtas": [{"name": "vmta1", "rcp": 300, "conn": 8}, {"name": "vmta2", "rcp": 50, "conn": 1}],
    "jobs": [{"name": "job-0", "rcp": 12}],
}


def trap_record(notification):
    """One notification as zabbix_trap_receiver.pl writes it (numeric OIDs)."""
    lines = ["ZBXTRAP 127.0.0.1", "PDU INFO:", "  version 1", "VARBINDS:"]
    for oid, value in notification.varbinds:
        v = value[1] if isinstance(value, tuple) else value
        kind = value[0] if isinstance(value, tuple) else ""
        if oid == ".1.3.6.1.6.3.1.1.4.1.0":
            lines.append(f"  {oid} type=6 value=OID: {v}")
        elif kind.upper().startswith(("INTEGER", "GAUGE", "UNSIGNED", "COUNTER", "TIMETICKS")):
            lines.append(f"  {oid} type=2 value=INTEGER: {v}")
        else:
            lines.append(f'  {oid} type=4 value=STRING: "{v}"')
    return time.strftime("%Y-%m-%dT%H:%M:%S ") + "\n".join(lines) + "\n"


class Trap:
    def __init__(self, varbinds):
        self.varbinds = varbinds


def check_now(zbx, itemids):
    for i in range(0, len(itemids), 500):
        zbx.api("task.create", [{"type": 6, "request": {"itemid": x}} for x in itemids[i:i + 500]])


class World:
    def __init__(self, env):
        self.env = env
        d = env.mkdir("acct")
        self.records = accounting(os.path.join(d, "acct-2026-01-01-0000.csv"), int(time.time()))
        env.start_trapd()
        env.start_snmpd()
        self.sim = env.start_sim(SCENARIO)
        env.start_agent(f"pmtaInstance mta1 {self.sim.url}\npmtaPollInterval 1\n"
                        f"pmtaAcctFiles mta1 {d}/acct-*.csv\n"
                        "pmtaThreshold conns connUtilization instance warn=10 crit=90\n"
                        "pmtaThreshold bounces bounceRate domain:bounce.example warn=10% crit=20% min=1\n")
        wait_for(lambda: env.get("pmtaAgentAcctRecords.0") == str(self.records), 30, "every accounting record")
        wait_for(lambda: env.get("pmtaInstanceApiStatus.1") == "1", 20, "the API polled")
        self.zbx = Zabbix(env).start()

    def items(self, **kw):
        return self.zbx.api("item.get", dict(hostids=[self.hostid], webitems=False,
                                             output=["itemid", "key_", "name", "lastclock", "state", "error",
                                                     "type", "status", "flags"], **kw))


def import_and_host(w):
    zbx = w.zbx
    with open(TEMPLATE, encoding="utf-8") as f:
        src = f.read()
    assert zbx.api("configuration.import", {"format": "yaml", "source": src, "rules": RULES}) is True
    tpl = zbx.api("template.get", {"filter": {"host": [T]}, "output": ["templateid"]})
    assert len(tpl) == 1, tpl
    before = zbx.api("configuration.export", {"format": "yaml", "options": {"templates": [tpl[0]["templateid"]]}})
    # Importing again (an update) is clean and changes nothing.
    assert zbx.api("configuration.import", {"format": "yaml", "source": src, "rules": RULES}) is True
    after = zbx.api("configuration.export", {"format": "yaml", "options": {"templates": [tpl[0]["templateid"]]}})
    strip = lambda y: "\n".join(l for l in y.splitlines() if not l.startswith("  date:"))  # noqa: E731
    assert strip(before) == strip(after), "a second import changed the template"
    w.templateid = tpl[0]["templateid"]
    group = zbx.api("hostgroup.get", {"filter": {"name": ["Templates/Applications"]}})[0]["groupid"]
    w.hostid = zbx.api("host.create", {
        "host": "mail1", "groups": [{"groupid": group}], "templates": [{"templateid": tpl[0]["templateid"]}],
        "interfaces": [{"type": 2, "main": 1, "useip": 1, "ip": "127.0.0.1", "dns": "",
                        "port": str(w.env.snmp_port), "details": {"version": 2, "community": "{$SNMP_COMMUNITY}"}}],
        "macros": [{"macro": "{$SNMP_COMMUNITY}", "value": "public"},
                   # the rate triggers judge a 1-minute stretch of a handful of mails
                   {"macro": "{$PMTA.RATE.TIME}", "value": "1m"},
                   {"macro": "{$PMTA.RATE.MIN.RCPT}", "value": "1"},
                   {"macro": "{$PMTA.RESOLVED.TIME}", "value": "1m"},
                   {"macro": "{$PMTA.RESOLVED.MIN.RCPT}", "value": "1"}]})["hostids"][0]


def discover(w):
    rules = w.zbx.api("discoveryrule.get", {"hostids": [w.hostid], "output": ["itemid", "key_", "status"],
                                            "filter": {"status": 0}})
    keys = {r["key_"] for r in rules}
    assert "pmta.job.discovery" in keys and "pmta.alarm.discovery" not in keys, keys
    ids = [r["itemid"] for r in rules]

    expect = {"instance", "queue", "vmta", "domain", "bounce", "deferral", "rejection", "latency", "job"}

    def done():
        check_now(w.zbx, ids)
        got = w.zbx.api("discoveryrule.get", {"itemids": ids, "output": ["key_", "error", "state"]})
        bad = [(r["key_"], r["error"]) for r in got if r["error"] or r["state"] != "0"]
        assert not bad, f"discovery rules failed: {bad}"
        found = {i["key_"].split(".")[1] for i in w.items(filter={"flags": 4})}
        return found >= expect or None
    wait_for(done, 120, "rows of every discovery rule", interval=3)


def test_template_in_a_real_zabbix():
    t0 = time.monotonic()
    with Env("zabbix") as env:
        w = World(env)
        print(f"# Zabbix {server_version()}: up in {time.monotonic() - t0:.0f}s", flush=True)
        import_and_host(w)
        discover(w)
        items = w.items()
        names = {i["key_"].split("[")[0] for i in items}
        for k in ("pmta.domain.delivered", "pmta.queue.rcpt", "pmta.vmta.delivered", "pmta.job.delivered",
                  "pmta.deferral.count", "pmta.instance.out.rcpt"):
            assert k in names, f"no {k} item discovered"
        # Row items are named by the instance's name, never its number.
        rows = [i for i in items if i["flags"] == "4" and not i["key_"].startswith("pmta.instance.")]
        assert rows and all("(mta1)" in i["name"] for i in rows), [i["name"] for i in rows if "(mta1)" not in i["name"]][:5]
        # Top-N: 42 domains with mail, 20 discovered by deliveries (bounce.example's
        # 50 and d21 to d39), those that bounce (dead.example's 5 bounces and no
        # delivery too), those with mail queued on the /domains page.
        doms = {i["name"].split(" (")[0][len("Domain "):] for i in items if i["key_"].startswith("pmta.domain.delivered[")}
        want = {domain(i) for i in range(N_DOMAINS - 19, N_DOMAINS)} | {"bounce.example", "dead.example", "gmail.com",
                                                          "page-only.example"}
        assert doms == want, f"domains discovered: {sorted(doms)}"
        per_domain = sum(1 for i in items if i["key_"].startswith("pmta.domain.")) // len(doms)
        print(f"# {len(items)} items for {N_DOMAINS + 2} accounting domains ({len(doms)} discovered, "
              f"{per_domain} items each), {len([i for i in items if i['key_'].startswith('pmta.queue.')])} queue items",
              flush=True)

        # Graphs of the rows discovered; the template's dashboard shows graph
        # prototypes of the template.
        want_graphs = {"Instance mta1: recipients per second", "Domain bounce.example (mta1): outcomes per second",
                       "Queue bounce.example/vmta1 (mta1): delivery latency",
                       "Queue gmail.com/vmta1 (mta1): recipients queued",
                       "VirtualMTA vmta1 (mta1): bounce, deferral and complaint rates",
                       "Job job-0 (mta1): outcomes per second"}

        def graphs_made():   # the LLD worker makes a row's graphs after its items
            got = {g["name"] for g in w.zbx.api("graph.get", {"hostids": [w.hostid], "output": ["name"]})}
            return want_graphs <= got
        wait_for(graphs_made, 60, f"the graphs {sorted(want_graphs)}", interval=2)
        protos = {g["graphid"] for g in w.zbx.api("graphprototype.get", {"templateids": [w.templateid],
                                                                          "output": ["graphid"]})}
        dash = w.zbx.api("templatedashboard.get", {"templateids": [w.templateid], "selectPages": "extend",
                                                   "output": ["name"]})
        assert [d["name"] for d in dash] == ["PowerMTA overview"], dash
        shown = [f["value"] for p in dash[0]["pages"] for wd in p["widgets"] for f in wd["fields"]
                 if f["name"] == "graphid"]
        assert len(dash[0]["pages"]) == 4 and shown and set(shown) <= protos, (len(dash[0]["pages"]), shown)

        # Every SNMP item gets a value (rates need two polls), none is unsupported.
        snmp = [i["itemid"] for i in items if i["type"] == "20" and i["status"] == "0"]

        def all_values():
            got = w.items(itemids=snmp)
            bad = [(i["key_"], i["error"]) for i in got if i["state"] == "1"]
            assert not bad, f"items not supported: {bad[:10]}"
            missing = [i for i in got if int(i["lastclock"]) == 0]
            if missing:
                check_now(w.zbx, [i["itemid"] for i in missing])
            return not missing or None
        wait_for(all_values, 180, "a value for every SNMP item", interval=5)

        # Final disposition per VirtualMTA (and the domain and queue items it
        # mirrors): vmta1 resolved 3 deferred recipients, 1 delivered.
        resolved, delivered = len(LATE), LATE.count("d")
        share = f"{delivered * 10000 // resolved / 100:.2f}"
        want = {"VirtualMTA vmta1 (mta1): deferrals resolved in the window": str(resolved),
                "VirtualMTA vmta1 (mta1): deferrals resolved delivered": share,
                "VirtualMTA vmta1 (mta1): deferred recipients pending": "0",
                "VirtualMTA vmta2 (mta1): deferrals resolved in the window": "0",
                "VirtualMTA vmta2 (mta1): deferrals resolved delivered": "0",
                "VirtualMTA vmta2 (mta1): deferred recipients pending": "0",
                "Domain bounce.example (mta1): deferrals resolved delivered": share,
                "Queue bounce.example/vmta1 (mta1): deferrals resolved delivered": share,
                "Deferred recipients pending": "0", "Deferred recipients given up": "0"}
        got = {i["name"]: i["lastvalue"] for i in w.zbx.api("item.get", {
            "hostids": [w.hostid], "output": ["name", "lastvalue"], "filter": {"name": list(want)}})}
        got = {k: round(float(v), 2) for k, v in got.items()}
        assert got == {k: float(v) for k, v in want.items()}, f"disposition items: {got}"
        print(f"# disposition: vmta1 {resolved} resolved, {share}% delivered; vmta2 none", flush=True)

        # No trigger is left UNKNOWN; bounce.example's bounce rate is very high,
        # and the "high" trigger that depends on it is evaluated, not frozen.
        def triggers():
            check_now(w.zbx, snmp)
            got = w.zbx.api("trigger.get", {"hostids": [w.hostid], "output": ["description", "state", "value", "error"],
                                            "expandDescription": True})
            unknown = [(t["description"], t["error"]) for t in got if t["state"] == "1"]
            assert not unknown, f"triggers UNKNOWN: {unknown[:10]}"
            fired = {t["description"] for t in got if t["value"] == "1"}
            # vmta2 resolved nothing: its share of 0 is no share
            assert "VirtualMTA vmta2 (mta1): deferrals mostly end bounced" not in fired, fired
            return fired if {"Domain bounce.example (mta1): bounce rate is very high",
                             "VirtualMTA vmta1 (mta1): deferrals mostly end bounced"} <= fired else None
        fired = wait_for(triggers, 180, "the bounce rate trigger of bounce.example and vmta1's disposition trigger",
                         interval=10)
        print(f"# triggers in problem: {sorted(fired)}", flush=True)

        # Traps: the agent's own notifications, as zabbix_trap_receiver.pl writes them.
        # An instance-scope alarm: outbound connections at 20% of the maximum.
        raised = wait_for(lambda: [n for n in env.traps() if n.trap_oid == TRAP_ROOT + ".0.11"], 30,
                          "pmtaConnectionsHigh from the agent")
        with open(w.zbx.trap_file, "a") as f:
            f.write(trap_record(raised[0]))

        def problem(name_part):
            ps = w.zbx.api("problem.get", {"hostids": [w.hostid], "output": ["name", "r_eventid"], "selectTags": "extend"})
            return [p for p in ps if name_part in p["name"]]
        p = wait_for(lambda: problem("connections high"), 60, "the connections-high problem", interval=1)
        assert p[0]["name"] == "PowerMTA alarm: connections high on mta1: instance (rule conns)", p[0]["name"]
        tags = {t["tag"]: t["value"] for t in p[0]["tags"]}
        assert tags.get("pmta_alarm") == "mta1 conns instance" and tags.get("pmta_instance") == "mta1", tags
        # The clear after an agent restart: another alarm number, same rule,
        # instance and subject. A clear of another subject comes first: it must
        # not close this problem.
        def clear_of(subject=None):
            out = []
            for oid, v in raised[0].varbinds:
                if oid == SNMP_TRAP_OID:
                    v = TRAP_ROOT + ".0.12"
                if oid.startswith(TRAP_ROOT + ".1.11.1."):
                    oid = oid.rsplit(".", 1)[0] + ".999"
                    if subject and oid.startswith(TRAP_ROOT + ".1.11.1.4."):
                        v = subject
                out.append((oid, v))
            return Trap(out)
        with open(w.zbx.trap_file, "a") as f:
            f.write(trap_record(clear_of("queue:gmail.com/vmta1")))
        time.sleep(slow(3))     # the trapper reads the file every second: give it the chance to be wrong
        assert problem("connections high"), "the clear of another subject closed the problem"
        with open(w.zbx.trap_file, "a") as f:
            f.write(trap_record(clear_of()))
        wait_for(lambda: not problem("connections high"), 60, "the connections-high problem to close", interval=1)

        # A queue known only from the /queues page leaves it: its row goes, its
        # items keep their last value instead of turning "not supported".
        q = [i for i in w.items() if i["key_"].startswith("pmta.queue.") and "page-only.example" in i["name"]]
        assert q, "page-only.example/vmta2 was not discovered"
        w.sim.set_scenario(dict(SCENARIO, queues=SCENARIO["queues"][:1]))
        wait_for(lambda: not [r for r in env.table("pmtaQueueTable") if "page-only" in str(r)], 20,
                 "the queue's row to go", interval=0.5)
        ids = [i["itemid"] for i in q]
        before = {i["itemid"]: int(i["lastclock"]) for i in w.items(itemids=ids)}
        # Checked now with an item of the same host that always gets a value:
        # once that one has a new value, the poll of the same request is done.
        witness = [i for i in w.items() if i["key_"].startswith("pmta.instance.api.success.age[")][0]["itemid"]
        asked = int(time.time())
        check_now(w.zbx, ids + [witness])
        wait_for(lambda: int(w.items(itemids=[witness])[0]["lastclock"]) >= asked, 60,
                 "the poll asked for", interval=1)
        time.sleep(slow(3))
        got = w.items(itemids=ids)
        bad = [(i["key_"], i["error"]) for i in got if i["state"] == "1"]
        assert not bad, f"items of a queue that went turned not supported: {bad}"
        assert all(int(i["lastclock"]) == before[i["itemid"]] for i in got), "a gone queue's items got values"
        print(f"# done in {time.monotonic() - t0:.0f}s", flush=True)


if __name__ == "__main__":
    main([test_template_in_a_real_zabbix])
