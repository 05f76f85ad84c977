#!/usr/bin/env python3
"""The pass_persist baseline of scripts/bench-walk: a table shaped like
pmtaDomainTable (instance 1, a length-prefixed "domN.example", columns 2..21,
Counter64 values) answered by snmpd's pass_persist protocol from one sorted
list searched with bisect. A fair script of the kind users write instead of a
subagent.

    pass_persist .1.3.6.1.4.1.32473.98.1 walk_passpersist.py ROWS
"""
import bisect
import sys

BASE = (1, 3, 6, 1, 4, 1, 32473, 98, 1)
COLS = range(2, 22)


def main():
    n = int(sys.argv[1])
    idx = []
    for i in range(n):
        name = f"dom{i}.example".encode()
        idx.append((1, len(name)) + tuple(name))
    idx.sort()
    cells = [BASE + (1, c) + x for c in COLS for x in idx]   # walk order
    text = ["." + ".".join(map(str, o)) for o in cells]
    pos = {o: k for k, o in enumerate(cells)}
    out, inp = sys.stdout, sys.stdin
    while True:
        cmd = inp.readline()
        if not cmd:
            return
        cmd = cmd.strip()
        if cmd == "PING":
            out.write("PONG\n")
        elif cmd in ("get", "getnext"):
            req = inp.readline().strip()
            o = tuple(int(x) for x in req.strip(".").split(".") if x)
            if cmd == "get":
                k = pos.get(o)
            else:
                k = bisect.bisect_right(cells, o)
                k = k if k < len(cells) else None
            if k is None:
                out.write("NONE\n")
            else:
                out.write(f"{text[k]}\ncounter64\n{k}\n")
        elif cmd == "set":
            inp.readline()
            inp.readline()
            out.write("not-writable\n")
        elif cmd == "":
            return
        out.flush()


if __name__ == "__main__":
    main()
