/*
 * The PMTA-MONITOR-MIB objects: registration with the agent and the
 * handlers that answer from the published snapshots. SNMP thread only.
 */
#ifndef PMTA_MIB_AGENT_H
#define PMTA_MIB_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"

struct mib_state {
	struct snap_instance **inst;	/* by pmtaInstanceIndex - 1; an entry may be NULL */
	size_t n_inst;
	uint32_t stats_window;
	struct snap_table thresholds;	/* global tables: index in snap_row.scope */
	struct snap_table alarms;
	uint32_t active_alarms;
	uint64_t alarms_refused;	/* alarm_engine_refused(), for pmtaAgentAlarmsRefused */
	/*
	 * When the agent's own counters last started from zero (agent start,
	 * or a SIGHUP that restarted collection), before any instance's
	 * snapshot says later (snap_instance.counters_*): wall-clock
	 * milliseconds for DateAndTime, monotonic milliseconds for TimeStamp.
	 */
	int64_t counters_wall_ms;
	int64_t counters_ms;
	/*
	 * Monotonic milliseconds at which the master's sysUpTime.0 was 0, set
	 * when the AgentX session opens (net-snmp has just set the subagent's
	 * uptime from the master's Response); 0 before: TimeStamps read 0.
	 */
	int64_t master_origin_ms;
};

/* Registers every scalar and table; -1 (logged) if any registration fails,
 * which happens when another copy already serves the subtree. */
int mib_register(struct mib_state *st);
void mib_unregister(void);

#endif
