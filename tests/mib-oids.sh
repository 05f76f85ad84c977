#!/bin/sh
# agent/mib_oids.h must mirror the MIB exactly: the same names with the same
# OIDs, nothing missing on either side; and the MIB must hold every object
# the foundation issue requires, spelled exactly.
set -eu
base=$(ls -d /usr/lib/erlang/lib/snmp-*/mibs 2>/dev/null | head -1)
[ -n "$base" ] || { echo "FAIL: erlang-snmp base MIBs missing" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$top_builddir/tests/mib_oids_dump" | sort >"$tmp/header"
SMIPATH="$base:$top_srcdir/mibs" smidump -f identifiers "$top_srcdir/mibs/PMTA-MONITOR-MIB.txt" |
	awk '$1 == "PMTA-MONITOR-MIB" && $3 ~ /^(node|scalar|table|row|column|notification)$/ &&
	     $2 != "pmtaDocumentationEnterprise" && $2 != "pmtaCompliances" && $2 != "pmtaGroups" \
	     { print $2, $4 }' | sort >"$tmp/mib"
if ! diff -u "$tmp/mib" "$tmp/header"; then
	echo "FAIL: agent/mib_oids.h and the MIB differ (- MIB, + header)" >&2
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
echo "ok: $(wc -l <"$tmp/mib") names agree between the MIB and agent/mib_oids.h"
