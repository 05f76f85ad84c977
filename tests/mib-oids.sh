#!/bin/sh
# agent/mib_oids.h must mirror the MIB exactly: the same names with the same
# OIDs, nothing missing on either side (as libsmi reads the MIB, and as
# net-snmp does), the same enumerated values; and the MIB must hold every
# object the foundation issue requires, spelled exactly.
set -eu
LC_ALL=C; export LC_ALL	# sort and join must agree on the order
base=$(ls -d /usr/lib/erlang/lib/snmp-*/mibs 2>/dev/null | head -1)
[ -n "$base" ] || { echo "FAIL: erlang-snmp base MIBs missing" >&2; exit 1; }
for tool in smidump snmptranslate; do
	command -v $tool >/dev/null || { echo "FAIL: $tool is missing" >&2; exit 1; }
done
. "$top_srcdir/tests/lib/snmp-env.sh"	# sets $tmp

"$top_builddir/tests/mib_oids_dump" | sort >"$tmp/header"
SMIPATH="$base:$top_srcdir/mibs" smidump -f identifiers "$top_srcdir/mibs/PMTA-MONITOR-MIB.txt" |
	awk '$1 == "PMTA-MONITOR-MIB" && $3 ~ /^(node|scalar|table|row|column|notification)$/ &&
	     $2 != "pmtaDocumentationEnterprise" && $2 != "pmtaCompliances" && $2 != "pmtaGroups" \
	     { print $2, $4 }' | sort >"$tmp/mib"
if ! diff -u "$tmp/mib" "$tmp/header"; then
	echo "FAIL: agent/mib_oids.h and the MIB differ (- MIB, + header)" >&2
	exit 1
fi

# net-snmp must read the same tree, silently: -Tz lists every node it loaded.
# MIBS is cleared (snmp-env.sh) so that only this module and its imports load.
snmp() {
	snmptranslate -M "$base:$top_srcdir/mibs" -m PMTA-MONITOR-MIB "$@"
}
snmp -Tz >"$tmp/tz" 2>"$tmp/tz.err"
if [ -n "$(snmp_complaints "$tmp/tz.err")" ]; then
	echo "FAIL: net-snmp complains while loading the MIB:" >&2
	cat "$tmp/tz.err" >&2
	exit 1
fi
tr -d '"' <"$tmp/tz" | awk 'NF == 2 { print $1, $2 }' | sort >"$tmp/netsnmp"
if ! join "$tmp/header" "$tmp/netsnmp" | awk '$2 != $3 { bad = 1; print "FAIL: net-snmp puts " $1 " at " $3 ", the header at " $2 }
	END { exit bad }' >&2; then
	exit 1
fi
if [ "$(join "$tmp/header" "$tmp/netsnmp" | wc -l)" -ne "$(wc -l <"$tmp/header")" ]; then
	echo "FAIL: net-snmp does not know these names of the header:" >&2
	join -v 1 "$tmp/header" "$tmp/netsnmp" >&2
	exit 1
fi

# Enumerated values: every INTEGER/TruthValue object of the MIB, as net-snmp
# reads it, against PMTA_MIB_ENUMS.
"$top_builddir/tests/mib_oids_dump" enums | sort >"$tmp/header.enums"
# shellcheck disable=SC2046 # one argument per object name
snmp -Td $(awk '{ print "PMTA-MONITOR-MIB::" $1 }' "$tmp/mib") 2>/dev/null |
	awk '/^PMTA-MONITOR-MIB::/ { sub(/^PMTA-MONITOR-MIB::/, ""); obj = $0; next }
	     /^  SYNTAX\t.*\{/ {
		s = $0; sub(/^[^{]*\{/, "", s); sub(/\}.*/, "", s)
		n = split(s, v, /, */)
		for (i = 1; i <= n; i++) print obj, v[i]
	     }' | sort >"$tmp/mib.enums"
if [ ! -s "$tmp/mib.enums" ] || ! diff -u "$tmp/mib.enums" "$tmp/header.enums"; then
	echo "FAIL: enumerations of the MIB and PMTA_MIB_ENUMS differ (- MIB, + header)" >&2
	exit 1
fi

required="pmtaAgentVersion pmtaAgentInstanceCount pmtaAgentAcctRecords pmtaAgentAcctMalformed
pmtaAgentStatsWindow pmtaAgentActiveAlarms pmtaInstanceTable pmtaInstanceIndex pmtaInstanceName
pmtaInstanceApiUrl pmtaInstanceApiStatus pmtaInstanceApiLastError pmtaInstanceApiLastSuccessAge
pmtaInstanceApiPolls pmtaInstanceApiFailures pmtaInstanceVersion pmtaInstanceHostName
pmtaInstanceState pmtaInstanceUptime pmtaInstanceDiscontinuityTime pmtaInstanceInRcpt
pmtaInstanceInMsg pmtaInstanceInKBytes pmtaInstanceOutRcpt pmtaInstanceOutMsg
pmtaInstanceOutKBytes pmtaInstanceLastHourInRcpt pmtaInstanceLastHourOutRcpt
pmtaInstanceLastMinInRcpt pmtaInstanceLastMinOutRcpt pmtaInstanceQueuedRcpt
pmtaInstanceQueuedDomains pmtaInstanceQueuedKBytes pmtaInstanceSpoolFilesInUse
pmtaInstanceSpoolFilesTotal pmtaInstanceSpoolRcpt pmtaInstanceSpoolMaxRcpt
pmtaInstanceResolverPending pmtaConnectionTable pmtaConnDirection pmtaConnCurrent pmtaConnMax
pmtaConnTop pmtaConnUtilization pmtaQueueTable pmtaQueueName pmtaQueueDomain pmtaQueueVmta
pmtaQueueRcpt pmtaQueueKBytes pmtaQueueConnections pmtaQueuePaused pmtaQueueMode
pmtaQueueNextRetry pmtaQueueLastError pmtaJobTable pmtaJobId pmtaJobQueuedRcpt pmtaJobDelivered
pmtaJobBounced pmtaJobHardBounced pmtaJobSoftBounced pmtaJobDeferred pmtaBounceTable
pmtaBounceCategory pmtaBounceClass pmtaBounceCount pmtaBounceWinCount pmtaDeferralTable
pmtaDeferralDomain pmtaDeferralStatus pmtaDeferralCount pmtaDeferralWinCount
pmtaDeferralLastDiag pmtaDeferralLastSeenAge pmtaLatencyTable pmtaLatencyScope pmtaLatencyName
pmtaLatencyCount pmtaLatencyWinCount pmtaLatencyWinP50 pmtaLatencyWinP90 pmtaLatencyWinP95
pmtaLatencyWinP99 pmtaLatencyWinMax pmtaAlarmTable pmtaAlarmIndex pmtaAlarmRule
pmtaAlarmInstanceName pmtaAlarmSubject pmtaAlarmSeverity pmtaAlarmValue pmtaAlarmThreshold
pmtaAlarmRaisedAge pmtaThresholdTable pmtaThresholdIndex pmtaThresholdRule pmtaThresholdMetric
pmtaThresholdScope pmtaThresholdWarn pmtaThresholdCrit pmtaThresholdWindow pmtaApiDown pmtaApiUp
pmtaQueueHigh pmtaQueueHighClear pmtaBounceRateHigh pmtaBounceRateHighClear pmtaDeferralRateHigh
pmtaDeferralRateHighClear pmtaLatencyHigh pmtaLatencyHighClear pmtaConnectionsHigh
pmtaConnectionsHighClear pmtaAcctStalled pmtaAcctStalledClear pmtaVmtaTable pmtaDomainTable"
for p in Vmta Domain; do
	for c in Name QueuedRcpt Connections Delivered Bounced HardBounced SoftBounced Deferred \
	    RemoteBounced WinDelivered WinBounced WinDeferred BounceRate DeferralRate LatencyP50 \
	    LatencyP95 LatencyP99; do
		required="$required pmta$p$c"
	done
done
missing=0
for n in $required; do
	grep -q "^$n " "$tmp/mib" || { echo "FAIL: required object $n is not in the MIB" >&2; missing=1; }
done
[ $missing -eq 0 ] || exit 1
echo "ok: $(wc -l <"$tmp/mib") names and $(wc -l <"$tmp/mib.enums") enumerated values agree between the MIB (libsmi and net-snmp) and agent/mib_oids.h"
