"""The HTTP side end to end (README.md, "Where the data come from"): real snmpd, the agent, the PowerMTA simulator; values
checked with net-snmp's tools by MIB name."""
import copy
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from pmtatest import AGENT, Env, Sim, main, slow, wait_for  # noqa: E402

KEY = "k" * 40

BASE = {
    "version": "5.0r3",
    "hostName": "mta1.example.net",
    "uptime": 86400,
    "traffic": {"out": {"rcp": 1000, "msg": 900, "kb": 5000.7}, "in": {"rcp": 1100, "msg": 950, "kb": 5200.2}},
    "lastHr": {"out": 300, "in": 310},
    "lastMin": {"out": 5, "in": 6},
    "conn": {"in": {"cur": 10, "max": 200, "top": 50}, "out": {"cur": 150, "max": 1000, "top": 900}},
    "queue": {"smtp": {"rcp": 700, "dom": 30, "kb": 2000.0}, "pipe": {"rcp": 5, "dom": 1, "kb": 1.5}},
    "spool": {"inUse": 710, "total": 12288, "totalRcp": 705, "maxRcp": 2880000},
    "resolverPending": 4,
    "queues": [
        {"name": "gmail.com/vmta1", "rcp": 400, "kb": 1200.5, "conn": 20},
        {"name": "yahoo.com/vmta2", "rcp": 250, "kb": 700.0, "conn": 0, "mode": "backoff", "retryIn": 600,
         "events": [{"text": "421 4.7.0 [TSS04] try later"}]},
        {"name": "aol.com/vmta1", "rcp": 50, "kb": 99.0, "paused": True},
        {"name": "x" * 80 + ".example/vmta1", "rcp": 1},
    ],
    "domains": [{"name": "gmail.com", "rcp": 400, "conn": 20}, {"name": "yahoo.com", "rcp": 250}],
    "vmtas": [{"name": "vmta1", "rcp": 451, "conn": 20}, {"name": "vmta2", "rcp": 250}],
    "jobs": [{"name": "job-42", "rcp": 77}],
}

CONF = """agentxPingInterval 2
pmtaInstance mta1 {url1}
pmtaApiKey mta1 {key}
pmtaInstance mta2 {url2}
pmtaPollInterval 1
pmtaApiTimeout 2
"""


def polls(env, idx):
    return int(env.get(f"pmtaInstanceApiPolls.{idx}") or 0)


def next_poll(env, idx=1):
    """Waits until the agent has finished one more poll of instance idx."""
    n = polls(env, idx)
    wait_for(lambda: polls(env, idx) >= n + 2, 10, f"two more polls of instance {idx}")


def start(env, scen1=BASE, scen2=None):
    env.start_snmpd()
    s1 = env.sim1 = env_sim(env, scen1, KEY)
    s2 = env.sim2 = env_sim(env, scen2 or dict(BASE, hostName="mta2.example.net", queues=[]), None)
    env.start_agent(CONF.format(url1=s1.url, url2=s2.url.replace("http://", "http://user:pw@"), key=KEY))
    wait_for(lambda: env.get("pmtaInstanceApiStatus.1") == "1" and env.get("pmtaInstanceApiStatus.2") == "1",
             15, "both instances ok")
    return s1, s2


def env_sim(env, scen, key):
    return Sim(env, scen, api_key=key)


def test_instance_table_matches_status_page():
    with Env("api-instance") as env:
        s1, s2 = start(env)
        g = env.get
        assert g("pmtaAgentInstanceCount.0") == "2"
        assert g("pmtaInstanceName.1") == "mta1" and g("pmtaInstanceName.2") == "mta2"
        assert g("pmtaInstanceApiUrl.1") == s1.url
        # credentials in the URL are never published
        assert g("pmtaInstanceApiUrl.2") == s2.url, g("pmtaInstanceApiUrl.2")
        assert g("pmtaInstanceVersion.1") == "5.0r3"
        assert g("pmtaInstanceHostName.2") == "mta2.example.net"
        assert g("pmtaInstanceState.1") == "running"
        assert 86400 <= int(g("pmtaInstanceUptime.1")) < 86400 + 60
        assert g("pmtaInstanceOutRcpt.1") == "1000" and g("pmtaInstanceOutMsg.1") == "900"
        assert g("pmtaInstanceOutKBytes.1") == "5000" and g("pmtaInstanceInKBytes.1") == "5200"
        assert g("pmtaInstanceInRcpt.1") == "1100" and g("pmtaInstanceInMsg.1") == "950"
        assert g("pmtaInstanceLastHourOutRcpt.1") == "300" and g("pmtaInstanceLastHourInRcpt.1") == "310"
        assert g("pmtaInstanceLastMinOutRcpt.1") == "5" and g("pmtaInstanceLastMinInRcpt.1") == "6"
        assert g("pmtaInstanceQueuedRcpt.1") == "705"      # smtp + pipe
        assert g("pmtaInstanceQueuedDomains.1") == "31"
        assert g("pmtaInstanceQueuedKBytes.1") == "2001"
        assert g("pmtaInstanceSpoolFilesInUse.1") == "710" and g("pmtaInstanceSpoolFilesTotal.1") == "12288"
        assert g("pmtaInstanceSpoolRcpt.1") == "705" and g("pmtaInstanceSpoolMaxRcpt.1") == "2880000"
        assert g("pmtaInstanceResolverPending.1") == "4"
        assert g("pmtaInstanceApiLastError.1") == ""
        assert int(g("pmtaInstanceApiLastSuccessAge.1")) <= 3
        assert g("pmtaInstanceApiFailures.1") == "0"
        assert g("pmtaInstanceDiscontinuityTime.1") == "0"
        # the API key never reaches SNMP or the log
        whole = env.run(["snmpwalk", "-On"] + env.snmp_args() + [".1.3.6.1.4.1.32473.25"]).stdout
        assert KEY not in whole and "user:pw" not in whole
        assert KEY not in env.agent_log_text() and "pw@" not in env.agent_log_text()


def test_connection_and_queue_tables():
    with Env("api-tables") as env:
        start(env)
        conns = env.table("pmtaConnectionTable")
        assert [(r["index"], r["pmtaConnCurrent"], r["pmtaConnMax"], r["pmtaConnTop"], r["pmtaConnUtilization"])
                for r in conns if r["index"].startswith("1.")] == [
            ("1.inbound", "10", "200", "50", "5"), ("1.outbound", "150", "1000", "900", "15")], conns
        q = {r["index"]: r for r in env.table("pmtaQueueTable")}
        g = q['1."gmail.com/vmta1"']
        assert (g["pmtaQueueDomain"], g["pmtaQueueVmta"], g["pmtaQueueRcpt"], g["pmtaQueueKBytes"],
                g["pmtaQueueConnections"], g["pmtaQueuePaused"], g["pmtaQueueMode"]) == \
            ("gmail.com", "vmta1", "400", "1200", "20", "2", "1"), g    # TruthValue false(2), normal(1)
        y = q['1."yahoo.com/vmta2"']
        # retryTime and timeNow have whole seconds, and timeNow comes from the
        # /status page fetched before /queues: up to a second over is right.
        assert y["pmtaQueueMode"] == "2" and 590 <= int(y["pmtaQueueNextRetry"]) <= 601, y
        assert "421 4.7.0" in y["pmtaQueueLastError"]
        assert q['1."aol.com/vmta1"']["pmtaQueuePaused"] == "1"
        # a name longer than 64 bytes: 55 bytes, '~', 8 hex digits
        longs = [k for k in q if "~" in k]
        assert len(longs) == 1 and len(longs[0]) == len('1.""') + 64, longs
        assert not any(k.startswith("2.") for k in q)       # mta2 has no queues
        # domain, VirtualMTA and job tables carry the API columns
        assert env.get('pmtaDomainQueuedRcpt.1."gmail.com"') == "400"
        assert env.get('pmtaDomainConnections.1."gmail.com"') == "20"
        assert env.get('pmtaDomainDelivered.1."gmail.com"') == "0"
        assert env.get('pmtaVmtaQueuedRcpt.1."vmta1"') == "451"
        assert env.get('pmtaJobQueuedRcpt.1."job-42"') == "77"
        # a whole walk is in strictly increasing order (snmpwalk checks) and answers fast
        t0 = time.monotonic()
        rows = env.walk(".1.3.6.1.4.1.32473.25", numeric=True)
        assert len(rows) > 100 and time.monotonic() - t0 < 5
        r = env.run(["snmpbulkwalk", "-On"] + env.snmp_args() + [".1.3.6.1.4.1.32473.25"])
        assert r.returncode == 0 and len(r.stdout.splitlines()) == len(rows)


def test_faults_keep_last_data_and_say_why():
    with Env("api-faults") as env:
        s1, _ = start(env)
        cases = [
            ("500", "3", "HTTP 500"),
            ("401", "5", "HTTP 401"),
            ("garbage", "4", "not XML"),
            ("truncated", "4", "not XML"),
            ("html", "4", "<html>"),
            ("entity_bomb", "4", "DOCTYPE"),
            ("xxe", "4", "DOCTYPE"),
            ("huge", "4", "larger than"),
            ("refuse", "4", "bad response"),
            ("hang", "6", "timeout"),
        ]
        for mode, status, text in cases:
            s1.set_scenario(dict(BASE, mode=mode))
            wait_for(lambda: env.get("pmtaInstanceApiStatus.1") == status, 15, f"status {status} for {mode}")
            err = env.get("pmtaInstanceApiLastError.1")
            assert text in err, (mode, err)
            # last good data kept, answers fast while PowerMTA misbehaves
            assert env.get("pmtaInstanceOutRcpt.1") == "1000", mode
            v, dt = env.answer_time("pmtaInstanceOutRcpt.1", tries=20)
            assert v == 1000 and dt < slow(0.1), (mode, v, dt)
            assert env.get('pmtaQueueRcpt.1."gmail.com/vmta1"') == "400"
            s1.set_scenario(dict(BASE))
            wait_for(lambda: env.get("pmtaInstanceApiStatus.1") == "1", 15, f"recovery after {mode}")
        assert int(env.get("pmtaInstanceApiFailures.1")) >= len(cases)
        # PowerMTA down: unreachable, then back
        s1.kill()
        wait_for(lambda: env.get("pmtaInstanceApiStatus.1") == "2", 15, "unreachable")
        assert int(env.get("pmtaInstanceApiLastSuccessAge.1")) >= 0
        s1.start()
        wait_for(lambda: env.get("pmtaInstanceApiStatus.1") == "1", 15, "back after restart")
        # the key is never in the log, the one-line reasons are
        log = env.agent_log_text()
        assert KEY not in log and "HTTP 500" in log


def test_tls_verification_and_redirects():
    """https is verified against pmtaApiCaFile (refused without it, unless
    pmtaApiTlsVerify no); a redirect is followed on the same host only (PowerMTA
    5's http -> https), never to another host nor from https down to http."""
    with Env("api-tls") as env:
        env.start_snmpd()
        tls = Sim(env, BASE, tls=True)
        plain = Sim(env, dict(BASE, hostName="plain.example.net"))
        to_tls = Sim(env, dict(BASE, mode="redirect", redirect_to=tls.url))
        to_other = Sim(env, dict(BASE, mode="redirect", redirect_to=tls.url.replace("127.0.0.1", "localhost")))
        down = Sim(env, dict(BASE, mode="redirect", redirect_to=plain.url), tls=True)
        env.start_agent(f"""pmtaPollInterval 1
pmtaApiTimeout 2
pmtaInstance verified {tls.url}
pmtaApiCaFile verified {tls.ca_file}
pmtaInstance unverified {tls.url}
pmtaInstance insecure {tls.url}
pmtaApiTlsVerify insecure no
pmtaInstance to-tls {to_tls.url}
pmtaApiCaFile to-tls {tls.ca_file}
pmtaInstance to-other {to_other.url}
pmtaApiCaFile to-other {tls.ca_file}
pmtaInstance downgrade {down.url}
pmtaApiCaFile downgrade {down.ca_file}
""")
        want = {1: "1", 2: "2", 3: "1", 4: "1", 5: "3", 6: "3"}
        wait_for(lambda: all(env.get(f"pmtaInstanceApiStatus.{i}") == v for i, v in want.items()), 15,
                 "every instance's status")
        assert "certificate" in env.get("pmtaInstanceApiLastError.2"), env.get("pmtaInstanceApiLastError.2")
        assert env.get("pmtaInstanceHostName.4") == "mta1.example.net"     # served by the https one
        assert "redirect to another host refused" in env.get("pmtaInstanceApiLastError.5")
        assert "redirect from https to http refused" in env.get("pmtaInstanceApiLastError.6")
        assert env.get("pmtaInstanceHostName.6") == ""


def test_counters_going_backwards_set_discontinuity():
    with Env("api-reset") as env:
        s1, _ = start(env)
        assert env.get("pmtaInstanceDiscontinuityTime.1") == "0"
        reset = copy.deepcopy(BASE)
        reset["traffic"]["out"]["rcp"] = 10
        s1.set_scenario(reset)
        wait_for(lambda: env.get("pmtaInstanceOutRcpt.1") == "10", 10, "reset counters")
        assert int(env.get("pmtaInstanceDiscontinuityTime.1")) > 0


def test_set_is_refused_as_not_writable():
    with Env("api-set") as env:
        start(env)
        r = env.set("pmtaAgentStatsWindow.0", "u", 5)
        assert r.returncode != 0 and "notWritable" in r.stderr, r.stderr
        r = env.set('pmtaQueueRcpt.1."gmail.com/vmta1"', "u", 5)
        assert r.returncode != 0 and "notWritable" in r.stderr, r.stderr


def test_config_check_reports_every_error_with_file_and_line():
    with Env("api-config") as env:
        good = env.write_conf("pmtaInstance a http://127.0.0.1:1\npmtaPollInterval 5\n", "good.conf")
        r = subprocess.run([AGENT, "-n", "-c", good], capture_output=True, text=True, timeout=10,
                           env=env.snmp_env())
        assert r.returncode == 0, r.stderr
        bad = env.write_conf("pmtaInstance a http://127.0.0.1:1\n"
                             "pmtaPollInterval soon\n"
                             "pmtaFrobnicate 1\n"
                             "pmtaThreshold t bounceRate domain:x warn=3 crit=5\n"
                             "pmtaApiKey nosuch " + KEY + "\n", "bad.conf")
        r = subprocess.run([AGENT, "-n", "-c", bad], capture_output=True, text=True, timeout=10,
                           env=env.snmp_env())
        assert r.returncode != 0
        for line in (2, 3, 4, 5):
            assert f"bad.conf: line {line}:" in r.stderr, (line, r.stderr)
        # a key readable by others is refused
        secret = env.write_conf(f"pmtaInstance a http://127.0.0.1:1\npmtaApiKey a {KEY}\n", "secret.conf")
        os.chmod(secret, 0o644)
        r = subprocess.run([AGENT, "-n", "-c", secret], capture_output=True, text=True, timeout=10,
                           env=env.snmp_env())
        assert r.returncode != 0 and "readable by other users" in r.stderr, r.stderr
        assert KEY not in r.stderr
        os.chmod(secret, 0o600)
        r = subprocess.run([AGENT, "-n", "-c", secret], capture_output=True, text=True, timeout=10,
                           env=env.snmp_env())
        assert r.returncode == 0, r.stderr
        r = subprocess.run([AGENT, "-V"], capture_output=True, text=True, timeout=10,
                           env=env.snmp_env())
        assert r.returncode == 0 and "pmta-monitor-agent" in r.stdout


def test_sigterm_exits_and_removes_pid_file():
    with Env("api-term") as env:
        start(env)
        assert os.path.exists(env.agent_pidfile)
        t0 = time.monotonic()
        rc = env.agent.stop(signal.SIGTERM, timeout=5)
        assert rc == 0 and time.monotonic() - t0 < slow(2.0), (rc, time.monotonic() - t0)
        assert not os.path.exists(env.agent_pidfile)


if __name__ == "__main__":
    main([test_instance_table_matches_status_page, test_connection_and_queue_tables,
          test_faults_keep_last_data_and_say_why, test_tls_verification_and_redirects,
          test_counters_going_backwards_set_discontinuity,
          test_set_is_refused_as_not_writable, test_config_check_reports_every_error_with_file_and_line,
          test_sigterm_exits_and_removes_pid_file])
