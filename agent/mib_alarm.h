/*
 * The rows of the agent's own tables: pmtaAlarmTable from the alarm
 * engine's active alarms, pmtaThresholdTable from the configured rules.
 * Plain C (no net-snmp): the SNMP thread calls these after each
 * evaluation and each reload, and tests call them on fixtures.
 */
#ifndef PMTA_MIB_ALARM_H
#define PMTA_MIB_ALARM_H

#include "alarm.h"
#include "cfg.h"
#include "mib_agent.h"

/*
 * Rebuilds st->alarms and st->active_alarms from e. On allocation failure
 * the table keeps its previous rows and -1 is returned.
 */
int mib_alarm_table_build(struct mib_state *st, const struct alarm_engine *e);

/*
 * Rebuilds st->thresholds from c, one row per rule in file order. The rows
 * point into c: build again before c is freed. -1 on allocation failure
 * (the table is empty then).
 */
int mib_threshold_table_build(struct mib_state *st, const struct cfg *c);

/* Frees the rows of both tables. */
void mib_alarm_tables_clear(struct mib_state *st);

#endif
