"""The agent's first start on a new machine: it prints nothing on stdout that a
caller could take for data, and needs (and makes) no directory that a fresh
system lacks: its home and net-snmp's persistent directory do not exist, and
stay so. The first net-snmp program run on a new machine used to print
"Created directory: .../cert_indexes"; a test that read stdout as the answer
failed only there (README "Quick start")."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from pmtatest import AGENT, AGENT_WRAPPER, Env, Proc, main, read_text, wait_for  # noqa: E402


def fresh_env(env):
    """As on a machine where nothing net-snmp ever ran: neither the home nor the
    persistent directory exists (made by nobody, so each run is the first)."""
    e = env.snmp_env()
    e.update(HOME=env.path("fresh-home"), SNMP_PERSISTENT_DIR=env.path("fresh-persist"))
    return e


def test_first_start_prints_nothing_on_stdout_and_makes_no_directory():
    with Env("first-start") as env:
        env.start_snmpd()
        sim = env.start_sim({"version": "5.0r3", "queues": []})
        conf = env.write_conf(f"pmtaInstance mta1 {sim.url}\npmtaPollInterval 1\n")
        out, err = env.path("agent.stdout"), env.path("agent.stderr")
        # Started as the unit starts it (as root it drops to nobody itself), logging
        # to stderr as in the foreground by default; stdout and stderr kept apart.
        argv = AGENT_WRAPPER + [AGENT, "-f", "-c", conf, "-x", "unix:" + env.socket]
        agent = Proc("agent", ["sh", "-c", 'exec "$@" >"$OUT" 2>"$ERR"', "sh"] + argv,
                     env=dict(fresh_env(env), OUT=out, ERR=err)).start()
        env.procs.append(agent)
        env.agent = agent
        wait_for(lambda: (env.get("pmtaInstanceApiPolls.1") or "0") != "0", 15,
                 "the agent's first poll through snmpd", abort=agent.exited)
        assert env.get("pmtaInstanceApiStatus.1") == "1", env.get("pmtaInstanceApiStatus.1")
        agent.stop()
        assert read_text(out) == "", f"the agent wrote on stdout: {read_text(out)!r}"
        logged = read_text(err)
        if not AGENT_WRAPPER:      # scripts/check-sanitizers' wrapper keeps stderr for itself
            assert "started" in logged, logged       # stderr is where its log went
        assert "Created directory" not in logged, logged
        for d in ("fresh-home", "fresh-persist"):
            assert not os.path.exists(env.path(d)), f"the agent made {d}"


def test_config_check_prints_only_its_verdict():
    """-n: one line on stdout (the verdict), nothing else, and no directory made."""
    with Env("first-start-n") as env:
        conf = env.write_conf("pmtaInstance mta1 http://127.0.0.1:1\n")
        r = subprocess.run(AGENT_WRAPPER + [AGENT, "-n", "-c", conf], capture_output=True, text=True,
                           env=fresh_env(env), timeout=60)
        assert r.returncode == 0, r
        assert r.stdout == f"{conf}: configuration OK (1 instance, 0 thresholds)\n", r.stdout
        assert "Created directory" not in r.stderr, r.stderr
        for d in ("fresh-home", "fresh-persist"):
            assert not os.path.exists(env.path(d)), f"the agent made {d}"


if __name__ == "__main__":
    main([test_first_start_prints_nothing_on_stdout_and_makes_no_directory,
          test_config_check_prints_only_its_verdict])
