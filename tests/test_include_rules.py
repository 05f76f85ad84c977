"""The layout's include rules (agent/README.md, "Rules the layout keeps"): net-snmp
headers only in the files that talk to net-snmp, curl only in the HTTP client, libxml2
only in the XML parser, libidn2 only in the domain normaliser. Everything else stays
plain C that the unit tests build and read without those libraries."""
import glob
import os
import re
import sys

RULES = {
    # tests/bench/walk_floor.c is no part of the agent: it is the minimal net-snmp
    # subagent scripts/bench-walk measures as the floor of the AgentX path.
    "net-snmp": ("net-snmp/", {"agent/agent.c", "agent/cfg_load.c", "agent/log.c",
                               "agent/main.c", "agent/mib_agent.c", "agent/mib_notify.c",
                               "tests/bench/walk_floor.c"}),
    "curl": ("curl/", {"agent/pmta_http.c"}),
    "libxml2": ("libxml/", {"agent/pmta_xml.c"}),
    "libidn2": ("idn2.h", {"agent/domain_idn.c"}),
}
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]', re.M)


def violations(top):
    out = []
    files = []
    for pat in ("agent/*.[ch]", "tests/*.[ch]", "tests/fuzz/*.c", "tests/bench/*.c"):
        files += glob.glob(os.path.join(top, pat))
    for path in sorted(files):
        rel = os.path.relpath(path, top)
        with open(path, encoding="utf-8", errors="replace") as f:
            heads = INCLUDE.findall(f.read())
        for what, (prefix, allowed) in RULES.items():
            if rel not in allowed and any(h.startswith(prefix) for h in heads):
                out.append(f"{rel} includes {what} headers (allowed only in: "
                           f"{', '.join(sorted(allowed))})")
    return out


def main():
    top = os.environ.get("top_srcdir") or os.path.join(os.path.dirname(__file__), "..")
    bad = violations(top)
    for line in bad:
        print("FAIL:", line, file=sys.stderr)
    if not glob.glob(os.path.join(top, "agent/*.c")):
        print("FAIL: no agent/*.c under", top, file=sys.stderr)
        return 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
