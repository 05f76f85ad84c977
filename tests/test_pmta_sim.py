"""The PowerMTA simulator (tests/tools/pmta-sim) itself: pages match the scenario
and the shape of real PowerMTA output, the API key is enforced and never
logged, the scenario is re-read when rewritten, and every fault mode does what
the tests of the agent rely on. Needs no agent and no snmpd."""
import http.client
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from pmtatest import SIM, TOP_SRCDIR, Env, main, wait_for  # noqa: E402

KEY = "k3y-" + "x" * 40
SAMPLE = os.path.join(TOP_SRCDIR, "tests", "fixtures", "xml", "status-5.0r1-guide.xml")

SCEN = {
    "version": "5.0r7",
    "hostName": "mta&<1>.example.net",
    "uptime": 7200,
    "traffic": {"out": {"rcp": 1000, "msg": 990, "kb": 12345.6}, "in": {"rcp": 1100, "msg": 1090, "kb": 23456.7}},
    "lastHr": {"out": 300, "in": 310},
    "lastMin": {"out": {"rcp": 5, "msg": 4, "kb": 120.5}, "in": {"rcp": 6, "msg": 6, "kb": 130.0}},
    "conn": {"in": {"cur": 3, "max": 200, "top": 20}, "out": {"cur": 11, "max": 1000, "top": 76}},
    "queue": {"smtp": {"rcp": 132, "dom": 92, "kb": 7944.7}, "pipe": {"rcp": 1, "dom": 1, "kb": 0.5}},
    "spool": {"inUse": 134, "total": 12288, "totalRcp": 134, "maxRcp": 2880000},
    "resolver": {"namesCached": 81, "queriesPending": 4, "queriesActive": 1},
    "queues": [
        {"name": "gmail.com/vmta1", "rcp": 400, "kb": 1200.5, "conn": 3, "mode": "normal"},
        {"name": "yahoo.com/vmta2", "rcp": 250, "kb": 700.0, "conn": 0, "mode": "backoff", "retryIn": 600,
         "events": [{"type": "error", "time": "2026-11-28 14:00:01",
                     "text": "421 4.7.0 [TS01] <deferred> & \"throttled\"\x01"}]},
        {"name": "aol.com/vmta1", "rcp": 12, "kb": 30.0, "conn": 0, "paused": True, "mode": "normal",
         "retryTime": "2026-11-28 15:05:00"},
    ],
    "domains": [{"name": "gmail.com", "rcp": 400, "kb": 1200.5, "conn": 3},
                {"name": "b\u00fccher.de", "rcp": 7, "kb": 1.0, "conn": 1}],
    "vmtas": [{"name": "vmta1", "rcp": 412, "kb": 1230.5, "conn": 3}, {"name": "vmta2", "rcp": 250}],
    "jobs": [{"name": "job42", "rcp": 77, "kb": 99.5}, {"id": "1234", "rcp": 5}],
}


def page(sim, path, **kw):
    status, headers, body = sim.fetch(path + "?format=xml", **kw)
    assert status == 200, (path, status, body[:200])
    return ET.fromstring(body)


def text(root, path):
    n = root.find(path)
    assert n is not None, f"no {path}"
    return n.text


def tree_paths(root, prefix=""):
    here = f"{prefix}/{root.tag}"
    out = {here}
    for c in root:
        out |= tree_paths(c, here)
    return out


def test_pages_match_scenario():
    with Env("sim-pages") as env:
        sim = env.start_sim(SCEN)
        st = page(sim, "/status")
        assert st.tag == "rsp" and st.find("succ") is not None
        assert text(st, "data/mta/product/name") == "PowerMTA"
        assert text(st, "data/mta/product/version") == "5.0r7"
        assert text(st, "data/mta/fullHostName") == "mta&<1>.example.net"
        s = st.find("data/status")
        assert text(s, "traffic/total/out/rcp") == "1000" and text(s, "traffic/total/out/msg") == "990"
        assert text(s, "traffic/total/out/kb") == "12345.6" and text(s, "traffic/total/in/rcp") == "1100"
        assert text(s, "traffic/lastHr/out/rcp") == "300" and text(s, "traffic/lastHr/in/rcp") == "310"
        assert text(s, "traffic/lastMin/out/kb") == "120.5" and text(s, "traffic/lastMin/in/msg") == "6"
        assert [text(s, f"conn/smtpIn/{k}") for k in ("cur", "max", "top")] == ["3", "200", "20"]
        assert [text(s, f"conn/smtpOut/{k}") for k in ("cur", "max", "top")] == ["11", "1000", "76"]
        assert [text(s, f"queue/smtp/{k}") for k in ("rcp", "dom", "kb")] == ["132", "92", "7944.7"]
        assert text(s, "queue/pipe/kb") == "0.5" and text(s, "queue/alias/rcp") == "0"
        assert text(s, "spool/files/inUse") == "134" and text(s, "spool/files/total") == "12288"
        assert text(s, "spool/totalRcp") == "134" and text(s, "spool/maxRcp") == "2880000"
        assert text(s, "resolver/queriesPending") == "4" and text(s, "status") == "running"
        fmt = "%Y-%m-%d %H:%M:%S"
        now = time.mktime(time.strptime(text(s, "timeNow"), fmt))
        up = now - time.mktime(time.strptime(text(s, "startupTime"), fmt))
        assert abs(now - time.time()) < 3 and 7199 <= up <= 7203, (now, up)

        q = page(sim, "/queues").findall("data/queue")
        assert [text(e, "name") for e in q] == ["gmail.com/vmta1", "yahoo.com/vmta2", "aol.com/vmta1"]
        assert [text(q[0], k) for k in ("rcp", "kb", "conn", "paused", "mode")] == ["400", "1200.5", "3", "no",
                                                                                    "normal"]
        assert q[0].find("retryTime") is None and q[0].find("event") is None
        assert text(q[1], "mode") == "backoff"
        retry = time.mktime(time.strptime(text(q[1], "retryTime"), fmt)) - time.time()
        assert 595 <= retry <= 601, retry
        ev = q[1].findall("event")
        assert len(ev) == 1 and text(ev[0], "type") == "error" and text(ev[0], "time") == "2026-11-28 14:00:01"
        # escaped, and the control character (not representable in XML 1.0) replaced
        assert text(ev[0], "text") == "421 4.7.0 [TS01] <deferred> & \"throttled\"\ufffd"
        assert text(q[2], "paused") == "yes" and text(q[2], "retryTime") == "2026-11-28 15:05:00"
        # the element order of the documented shape
        assert [c.tag for c in q[1]] == ["name", "rcp", "kb", "conn", "paused", "mode", "retryTime", "event"]

        d = page(sim, "/domains").findall("data/domain")
        assert [(text(e, "name"), text(e, "rcp"), text(e, "kb"), text(e, "conn")) for e in d] == \
            [("gmail.com", "400", "1200.5", "3"), ("b\u00fccher.de", "7", "1.0", "1")]
        v = page(sim, "/vmtas").findall("data/vmta")
        assert [(text(e, "name"), text(e, "rcp"), text(e, "kb"), text(e, "conn")) for e in v] == \
            [("vmta1", "412", "1230.5", "3"), ("vmta2", "250", "0.0", "0")]
        j = page(sim, "/jobs").findall("data/job")
        assert text(j[0], "name") == "job42" and text(j[0], "rcp") == "77" and text(j[0], "kb") == "99.5"
        assert j[1].find("name") is None and text(j[1], "id") == "1234" and text(j[1], "rcp") == "5"
        # every list page is one line, <rsp><data>...</data><succ/></rsp>
        for p in ("/status", "/queues", "/domains", "/vmtas", "/jobs"):
            body = sim.fetch(p + "?format=xml")[2]
            assert body.startswith(b"<rsp><data>") and body.endswith(b"</data><succ/></rsp>") and b"\n" not in body
        empty = sim.fetch("/nothing")[0]
        assert empty == 404, empty


def test_values_sent_exactly():
    big = 2 ** 64 - 1
    scen = {"traffic": {"out": {"rcp": big, "msg": "-1", "kb": "1e99"}, "in": {"rcp": 2 ** 53 + 1}},
            "grow": {"out_rcpt_per_s": 0, "in_rcpt_per_s": 1},
            "queues": [{"name": "x/y", "rcp": "12abc", "kb": "", "conn": big}]}
    with Env("sim-exact") as env:
        sim = env.start_sim(scen)
        s = page(sim, "/status").find("data/status")
        assert text(s, "traffic/total/out/rcp") == str(big) and text(s, "traffic/total/out/msg") == "-1"
        assert text(s, "traffic/total/out/kb") == "1e99"
        assert int(text(s, "traffic/total/in/rcp")) - (2 ** 53 + 1) in range(0, 100)   # grows, stays exact
        q = page(sim, "/queues").find("data/queue")
        assert text(q, "rcp") == "12abc" and text(q, "kb") is None and text(q, "conn") == str(big)


def test_status_has_the_shape_of_the_guide_sample():
    want = tree_paths(ET.parse(SAMPLE).getroot())
    with Env("sim-shape") as env:
        sim = env.start_sim({})
        got = tree_paths(page(sim, "/status"))
        assert got == want, f"missing {sorted(want - got)}, extra {sorted(got - want)}"


def test_fixed_times_and_growing_counters():
    with Env("sim-grow") as env:
        sim = env.start_sim(dict(SCEN, timeNow="2026-11-28 14:05:00", startupTime="2026-11-20 08:00:00"))
        s = page(sim, "/status").find("data/status")
        assert text(s, "timeNow") == "2026-11-28 14:05:00" and text(s, "startupTime") == "2026-11-20 08:00:00"
        sim.set_scenario(dict(SCEN, grow={"out_rcpt_per_s": 100, "in_rcpt_per_s": 10}))
        a = page(sim, "/status").find("data/status")
        time.sleep(1.2)   # the growth under test is per second of wall time
        b = page(sim, "/status").find("data/status")
        d_out = int(text(b, "traffic/total/out/rcp")) - int(text(a, "traffic/total/out/rcp"))
        d_in = int(text(b, "traffic/total/in/rcp")) - int(text(a, "traffic/total/in/rcp"))
        assert 100 <= d_out <= 250 and 10 <= d_in <= 25, (d_out, d_in)
        assert float(text(b, "traffic/total/out/kb")) > float(text(a, "traffic/total/out/kb"))
        # startupTime stays put while counters grow
        assert text(a, "startupTime") == text(b, "startupTime")


def test_scenario_reread_on_every_rewrite():
    with Env("sim-reread") as env:
        sim = env.start_sim(dict(SCEN, version="v1"))
        assert text(page(sim, "/status"), "data/mta/product/version") == "v1"
        # two rewrites within one clock tick: the second must still be seen
        sim.set_scenario(dict(SCEN, version="v2"))
        sim.set_scenario(dict(SCEN, version="v3"))
        assert text(page(sim, "/status"), "data/mta/product/version") == "v3"
        # a broken or unknown-mode scenario keeps the previous one and says why
        with open(sim.scenario_path + ".tmp", "w") as f:
            f.write('{"version": "v4", ')
        os.replace(sim.scenario_path + ".tmp", sim.scenario_path)
        assert text(page(sim, "/status"), "data/mta/product/version") == "v3"
        sim.set_scenario(dict(SCEN, version="v5", mode="no-such-mode"))
        assert text(page(sim, "/status"), "data/mta/product/version") == "v3"
        assert "unknown mode 'no-such-mode'" in sim.log(), sim.log()
        sim.set_scenario(dict(SCEN, version="v6"))
        assert text(page(sim, "/status"), "data/mta/product/version") == "v6"


def test_api_key_required_and_never_logged():
    with Env("sim-key") as env:
        sim = env.start_sim(SCEN, api_key=KEY)
        assert sim.fetch("/status?format=xml", api_key="")[0] == 200   # the harness sends the key
        status, _, body = sim.fetch("/status?format=xml", api_key="wrong-key")
        assert status == 401 and b"<succ/>" not in body
        raw = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=5)
        raw.request("GET", "/queues?format=xml")
        assert raw.getresponse().status == 401
        raw.close()
        assert page(sim, "/queues", api_key=KEY).find("data/queue") is not None
        # the key can come from the scenario too
        sim2 = env.start_sim(dict(SCEN, api_key="scenario-key"))
        assert sim2.fetch("/jobs?format=xml", api_key="nope")[0] == 401
        assert sim2.fetch("/jobs?format=xml", api_key="scenario-key")[0] == 200
        # one line per request, path and status, never the key
        log = sim.log()
        assert "GET /status 200" in log and "GET /status 401" in log and "GET /queues 401" in log, log
        assert KEY not in log and "wrong-key" not in log
        assert "scenario-key" not in sim2.log() and "nope" not in sim2.log()


def test_stats_count_requests_per_path():
    with Env("sim-stats") as env:
        sim = env.start_sim(SCEN)
        assert sim.stats() == {}
        for _ in range(3):
            sim.fetch("/status?format=xml")
        sim.fetch("/jobs?format=xml")
        assert sim.stats() == {"/status": 3, "/jobs": 1}   # /_sim/stats itself is not counted
        sim.set_scenario(dict(SCEN, mode="hang"))
        assert sim.stats()["/status"] == 3   # stats answer whatever the mode


def test_fault_modes():
    with Env("sim-faults") as env:
        sim = env.start_sim(SCEN)
        ok_domains = sim.fetch("/domains?format=xml")[2]   # a page without clock-dependent values

        def mode(m, **extra):
            sim.set_scenario(dict(SCEN, mode=m, **extra))

        mode("slow", delay=1)
        t0 = time.monotonic()
        page(sim, "/status")
        assert time.monotonic() - t0 >= 1.0

        # hang: only /status hangs; the server keeps answering other requests meanwhile
        mode({"/status": "hang", "*": "ok"})
        t0 = time.monotonic()
        try:
            sim.fetch("/status?format=xml", timeout=1)
            raise AssertionError("a hung request was answered")
        except (socket.timeout, TimeoutError, urllib.error.URLError) as e:
            assert "timed out" in str(e), e
        assert 0.9 <= time.monotonic() - t0 < 3
        assert page(sim, "/queues").find("data/queue") is not None
        wait_for(lambda: "GET /status hang" in sim.log(), 5, "the hang to be logged")

        mode("refuse")
        try:
            sim.fetch("/status?format=xml")
            raise AssertionError("refuse answered")
        except (http.client.RemoteDisconnected, ConnectionError, urllib.error.URLError) as e:
            assert not isinstance(e, urllib.error.HTTPError), e

        for code in ("401", "500"):
            mode(code)
            status, headers, body = sim.fetch("/status?format=xml")
            assert status == int(code) and body.startswith(b"<html>"), (code, status, body)

        mode("garbage")
        status, _, body = sim.fetch("/status?format=xml")
        assert status == 200 and len(body) > 100 and not body.lstrip().startswith(b"<")
        expect_parse_error(body)

        mode("truncated")
        status, _, body = sim.fetch("/domains?format=xml")
        assert status == 200 and body == ok_domains[: len(ok_domains) // 2]
        expect_parse_error(body)

        mode("html")
        status, headers, body = sim.fetch("/status?format=xml")
        assert status == 200 and headers["Content-Type"] == "text/html" and ET.fromstring(body).tag == "html"

        mode("wrongroot")
        status, _, body = sim.fetch("/domains?format=xml")
        assert status == 200 and ET.fromstring(body).tag == "html"

        # huge: the reader caps it; the stream is chunked and would go on
        mode("huge")
        status, headers, body = sim.fetch("/status?format=xml", limit=4 * 1024 * 1024)
        assert status == 200 and headers["Transfer-Encoding"] == "chunked"
        assert len(body) == 4 * 1024 * 1024 and body.startswith(b"<rsp><data><domain>")
        # with a small cap it ends, and the chunks decode to whole elements
        mode("huge", huge_mib=1)
        body = sim.fetch("/status?format=xml")[2]
        assert len(body) >= 1024 * 1024 and body.endswith(b"</domain>")

        mode("entity_bomb")
        body = sim.fetch("/status?format=xml")[2].decode()
        assert "<!DOCTYPE rsp [" in body and body.count("<!ENTITY") == 10
        assert '<!ENTITY j "' + "&i;" * 10 + '">' in body and "<fullHostName>&j;</fullHostName>" in body

        mode("xxe")
        body = sim.fetch("/status?format=xml")[2].decode()
        assert '<!ENTITY x SYSTEM "file:///etc/passwd">' in body and "<fullHostName>&x;</fullHostName>" in body
        assert "root:" not in body   # a reference, not the file

        mode("redirect", redirect_to="https://127.0.0.1:8443/")
        status, headers, body = sim.fetch("/status?format=xml")
        assert status == 302 and headers["Location"] == "https://127.0.0.1:8443/status?format=xml", headers

        mode({"/jobs": "500"})
        assert sim.fetch("/jobs?format=xml")[0] == 500 and sim.fetch("/vmtas?format=xml")[0] == 200

        mode("ok")
        assert page(sim, "/status").find("data/status") is not None


def expect_parse_error(body):
    try:
        ET.fromstring(body)
    except ET.ParseError:
        return
    raise AssertionError(f"parsed: {body[:80]!r}")


def test_tls():
    with Env("sim-tls") as env:
        sim = env.start_sim(SCEN, api_key=KEY, tls=True)
        assert sim.url.startswith("https://127.0.0.1:") and os.path.exists(sim.ca_file)
        assert text(page(sim, "/status"), "data/mta/product/version") == "5.0r7"
        assert sim.stats() == {"/status": 1}
        # plain HTTP to the TLS port gets no page
        c = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=5)
        try:
            c.request("GET", "/status?format=xml")
            r = c.getresponse()
            assert r.status != 200, r.status
        except (http.client.HTTPException, ConnectionError):
            pass
        finally:
            c.close()
        # a client that never completes its handshake does not block the others
        idle = socket.create_connection(("127.0.0.1", sim.port))
        try:
            assert text(page(sim, "/status"), "data/mta/product/version") == "5.0r7"
        finally:
            idle.close()


def test_cli_port_file_fixed_port_and_errors():
    with Env("sim-cli") as env:
        scen = env.path("s.json")
        with open(scen, "w") as f:
            json.dump(SCEN, f)
        sim = env.start_sim(SCEN)
        port = sim.port
        sim.kill()
        # a fixed port, and the port file written once listening
        pf = env.path("port")
        p = env.spawn("sim-cli", [sys.executable, SIM, "--scenario", scen, "--port", str(port), "--port-file", pf],
                      log=env.path("cli.log"))
        assert int(wait_for(lambda: open(pf).read().strip(), 10, "the port file", abort=p.exited)) == port
        assert not [n for n in os.listdir(env.tmp) if n.startswith("port.tmp")]
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request("GET", "/vmtas?format=xml")
        assert c.getresponse().status == 200
        c.close()
        # listening on loopback only
        assert listeners(port) == ["0100007F"], listeners(port)
        p.stop()
        r = subprocess.run([sys.executable, SIM, "--scenario", scen, "--tls-cert", scen],
                           capture_output=True, text=True, timeout=10)
        assert r.returncode == 2 and "go together" in r.stderr, r


def listeners(port):
    """Local addresses (hex, as the kernel prints them) listening on TCP port, IPv4 and IPv6."""
    out = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                local, state = line.split()[1], line.split()[3]
                addr, p = local.rsplit(":", 1)
                if state == "0A" and int(p, 16) == port:
                    out.append(addr)
    return out


def test_restart_keeps_port():
    with Env("sim-restart") as env:
        sim = env.start_sim(SCEN)
        port = sim.port
        sim.kill()
        try:
            sim.fetch("/status?format=xml", timeout=2)
            raise AssertionError("answered after kill")
        except (urllib.error.URLError, ConnectionError) as e:
            assert "refused" in str(e).lower(), e
        sim.restart()
        assert sim.port == port and page(sim, "/status").find("data/status") is not None


def test_demo_scenario_is_busy():
    with open(os.path.join(TOP_SRCDIR, "tests", "tools", "scenarios", "demo.json")) as f:
        demo = json.load(f)
    with Env("sim-demo") as env:
        sim = env.start_sim(demo)
        q = page(sim, "/queues").findall("data/queue")
        assert len(q) >= 12
        doms = {text(e, "name").split("/")[0] for e in q}
        # rollup queues too, named as the accounting generator's records name them
        assert {"gmail.com", "yahoo.rollup", "hotmail.rollup", "outlook.com", "orange.fr", "web.de"} <= doms, doms
        assert any(text(e, "mode") == "backoff" and e.find("event/text") is not None for e in q)
        assert any(text(e, "paused") == "yes" for e in q)
        rcpts = [int(text(e, "rcp")) for e in q]
        assert rcpts == sorted(rcpts, reverse=True)   # PowerMTA's top list order
        assert 3 <= len(page(sim, "/vmtas").findall("data/vmta")) <= 4
        assert len(page(sim, "/jobs").findall("data/job")) >= 2
        assert demo["grow"]["out_rcpt_per_s"] > 0


if __name__ == "__main__":
    main([test_pages_match_scenario, test_values_sent_exactly, test_status_has_the_shape_of_the_guide_sample,
          test_fixed_times_and_growing_counters, test_scenario_reread_on_every_rewrite,
          test_api_key_required_and_never_logged, test_stats_count_requests_per_path, test_fault_modes,
          test_tls, test_cli_port_file_fixed_port_and_errors, test_restart_keeps_port,
          test_demo_scenario_is_busy])
