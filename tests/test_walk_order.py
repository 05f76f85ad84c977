"""Walk order while the tables change under the walk (issue 15): rows appear
and vanish between two GETNEXTs, and a walk must still go strictly up, never
repeat an OID and end. Real snmpd, the agent and the simulator; the requests
are raw SNMPv2c GETNEXTs from this process (paced: the scenario flips between
steps, and the test waits for the agent to publish it), then snmpbulkwalk
while the scenario keeps flipping."""
import os
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from pmtatest import (Env, _ber_int, _ber_oid, _ber_read, _tlv, main, slow,  # noqa: E402
                      snmp_get_raw, wait_for)

KEY = "k" * 40
OBJECTS = (1, 3, 6, 1, 4, 1, 32473, 25, 1)
QUEUE, VMTA, DOMAIN = OBJECTS + (4,), OBJECTS + (5,), OBJECTS + (6,)
REGION = (QUEUE, VMTA, DOMAIN)      # three tables in a row, walked as one
FLIP_EVERY = 40                     # GETNEXT steps between two scenario flips
MAX_STEPS = 5000


def scenario(parity, marker):
    """Domains d00.example .. d29.example of one parity (so every row of the
    other scenario vanishes) and a marker domain that only this one has."""
    names = [f"d{i:02d}.example" for i in range(30) if i % 2 == parity] + [marker]
    return {"hostName": "mta1.example.net",
            "queues": [{"name": f"{n}/vmta{k % 2}", "rcp": k + 1} for k, n in enumerate(names)],
            "domains": [{"name": n, "rcp": k + 1} for k, n in enumerate(names)],
            "vmtas": [{"name": f"vmta{parity}", "rcp": 5}]}


SCEN = [scenario(0, "even-only.example"), scenario(1, "odd-only.example")]
MARKERS = ["even-only.example", "odd-only.example"]


def oid_str(o):
    return "." + ".".join(map(str, o))


def oid_decode(b):
    arcs = [b[0] // 40, b[0] % 40]
    v = 0
    for c in b[1:]:
        v = (v << 7) | (c & 0x7F)
        if not c & 0x80:
            arcs.append(v)
            v = 0
    return tuple(arcs)


class Client:
    def __init__(self, port):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.settimeout(slow(5))
        self.s.connect(("127.0.0.1", port))
        self.rid = 0

    def getnext(self, o):
        """(next OID, value tag) after o."""
        self.rid += 1
        pdu = _tlv(0xA1, _ber_int(self.rid) + _ber_int(0) + _ber_int(0) +
                   _tlv(0x30, _tlv(0x30, _ber_oid(oid_str(o)) + b"\x05\x00")))
        self.s.send(_tlv(0x30, _ber_int(1) + _tlv(0x04, b"public") + pdu))
        while True:
            _, body, _ = _ber_read(self.s.recv(65535), 0)
            p = _ber_read(body, 0)[2]
            p = _ber_read(body, p)[2]
            _, resp, _ = _ber_read(body, p)
            _, rid, q = _ber_read(resp, 0)
            if int.from_bytes(rid, "big") == self.rid:
                break
        _, es, q = _ber_read(resp, q)
        assert int.from_bytes(es, "big") == 0, f"error-status {es!r} after {oid_str(o)}"
        q = _ber_read(resp, q)[2]
        _, vbl, _ = _ber_read(resp, q)
        _, vb, _ = _ber_read(vbl, 0)
        _, name, r = _ber_read(vb, 0)
        return oid_decode(name), vb[r]


def in_region(o):
    return any(o[:len(t)] == t for t in REGION)


def row_name(o):
    """The domain part of a queue or domain row's index (after the instance)."""
    for t in (QUEUE, DOMAIN):
        if o[:len(t)] == t:
            idx = o[len(t) + 3:]
            return bytes(idx[1:1 + idx[0]]).decode().split("/")[0]
    return None


def start(env):
    env.start_snmpd()
    sim = env.start_sim(SCEN[0], api_key=KEY)
    env.start_agent(f"pmtaInstance mta1 {sim.url}\npmtaApiKey mta1 {KEY}\npmtaPollInterval 1\n")
    return sim


def marker_oid(name):
    b = name.encode()
    return oid_str(DOMAIN + (1, 2, 1, len(b)) + tuple(b))     # pmtaDomainQueuedRcpt


def published(env, k):
    """True once the agent answers from scenario k: its marker row is there, the other's is gone."""
    return snmp_get_raw(env.snmp_port, marker_oid(MARKERS[k]))[0] is not None and \
        snmp_get_raw(env.snmp_port, marker_oid(MARKERS[1 - k]))[0] is None


def test_getnext_walk_stays_increasing_while_rows_appear_and_vanish():
    with Env("walk-order") as env:
        sim = start(env)
        wait_for(lambda: published(env, 0), 15, "the first scenario")
        c = Client(env.snmp_port)
        cur, k, flips, steps, seen = QUEUE, 0, 0, 0, set()
        while True:
            nxt, tag = c.getnext(cur)
            assert nxt > cur, f"step {steps}: {oid_str(nxt)} is not after {oid_str(cur)}"
            if not in_region(nxt) or tag == 0x82:
                break
            seen.add(row_name(nxt))
            cur = nxt
            steps += 1
            assert steps < MAX_STEPS, "the walk does not end"
            if steps % FLIP_EVERY == 0:
                # Between this GETNEXT and the next, every row of the table flips.
                k = 1 - k
                sim.set_scenario(SCEN[k])
                wait_for(lambda: published(env, k), 15, f"scenario {k} published")
                flips += 1
        # The walk crossed rows of both scenarios, so the tables did change under it.
        assert flips >= 5, (flips, steps)
        assert {"even-only.example", "odd-only.example"} <= seen, sorted(x for x in seen if x)


def test_bulkwalk_stays_increasing_while_the_scenario_keeps_flipping():
    with Env("walk-order-bulk") as env:
        sim = start(env)
        wait_for(lambda: published(env, 0), 15, "the first scenario")
        stop = threading.Event()

        def flipper():
            k = 0
            while not stop.wait(0.3):
                k = 1 - k
                sim.set_scenario(SCEN[k])
        th = threading.Thread(target=flipper)
        th.start()
        seen, walks, reps = {m: 0 for m in MARKERS}, 0, (1, 3, 10, 50)
        end = time.monotonic() + slow(90)
        try:
            # Until the walks have met each scenario three times (the agent
            # publishes a poll a second, the simulator flips thrice as often).
            while min(seen.values()) < 3 or walks < 8:
                assert time.monotonic() < end, f"walks saw {seen} in {walks} walks"
                r = subprocess.run(["snmpbulkwalk", f"-Cr{reps[walks % len(reps)]}", "-On", "-OQ"] +
                                   env.snmp_args() + [oid_str(OBJECTS)], capture_output=True, text=True,
                                   timeout=slow(60), env=env.snmp_env())
                walks += 1
                assert r.returncode == 0 and "not increasing" not in r.stderr, r.stderr
                oids = [tuple(int(x) for x in ln.split(" = ")[0].strip(".").split("."))
                        for ln in r.stdout.splitlines() if ln.startswith(".")]
                assert len(oids) > 100
                assert all(a < b for a, b in zip(oids, oids[1:])), "walk not strictly increasing"
                for m in MARKERS:
                    seen[m] += any(row_name(o) == m for o in oids)
        finally:
            stop.set()
            th.join()


if __name__ == "__main__":
    main([test_getnext_walk_stays_increasing_while_rows_appear_and_vanish,
          test_bulkwalk_stays_increasing_while_the_scenario_keeps_flipping])
