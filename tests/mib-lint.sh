#!/bin/sh
# The MIB must pass smilint at level 6 with no output at all (smilint exits 0
# even when it reports errors, so the gate is its output).
set -eu
. "$top_srcdir/tests/lib/snmp-env.sh"
base=$(ls -d /usr/lib/erlang/lib/snmp-*/mibs 2>/dev/null | head -1)
if [ -z "$base" ] || ! command -v smilint >/dev/null; then
	echo "FAIL: smilint (smitools) or the base MIBs (erlang-snmp) are missing" >&2
	exit 1
fi
out=$(SMIPATH="$base:$top_srcdir/mibs" smilint -l 6 -s "$top_srcdir/mibs/PMTA-MONITOR-MIB.txt" 2>&1)
if [ -n "$out" ]; then
	printf 'FAIL: smilint -l 6 reports:\n%s\n' "$out" >&2
	exit 1
fi
# net-snmp must load it too (snmptranslate is lenient, so look at the answer:
# stdout alone; its notices and complaints go to stderr, shown on failure).
oid=$(snmptranslate -M "+$base:$top_srcdir/mibs" -m PMTA-MONITOR-MIB -On \
	PMTA-MONITOR-MIB::pmtaLatencyWinP99 2>"$tmp/err") || true
if [ "$oid" != ".1.3.6.1.4.1.32473.25.1.10.1.8" ]; then
	echo "FAIL: net-snmp resolves pmtaLatencyWinP99 to '$oid'" >&2
	cat "$tmp/err" >&2
	exit 1
fi
echo "ok: smilint -l 6 silent, net-snmp loads the MIB"
