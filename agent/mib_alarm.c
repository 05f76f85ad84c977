#include "config.h"

#include <stdlib.h>

#include "mib_alarm.h"
#include "mib_oids.h"

int
mib_alarm_table_build(struct mib_state *st, const struct alarm_engine *e)
{
	const struct alarm *const *a;
	size_t n = alarm_engine_list(e, &a), i;
	struct snap_table *t = &st->alarms;
	struct snap_table fresh = { 0 };
	struct snap_row *rows;

	if (snap_table_alloc(&fresh, n, PMTA_ALARM_COL_LAST + 1) < 0)
		return -1;
	rows = fresh.row;
	for (i = 0; i < n; i++) {
		rows[i].scope = a[i]->index;
		rows[i].name = a[i]->rule;
		rows[i].name2 = a[i]->instance;
		rows[i].text = a[i]->subject;
		rows[i].col[PMTA_ALARM_SEVERITY] = a[i]->level == ALARM_CRITICAL ?
		    PMTA_SEVERITY_CRITICAL : PMTA_SEVERITY_WARNING;
		rows[i].col[PMTA_ALARM_VALUE] = a[i]->value;
		rows[i].col[PMTA_ALARM_THRESHOLD] = a[i]->threshold;
		rows[i].col[SNAP_ALARM_RAISED_AT] = (uint64_t)a[i]->raised_at;
	}
	snap_table_free(t);
	*t = fresh;
	t->n = n;
	st->active_alarms = (uint32_t)n;
	return snap_table_index_by_scope(t);
}

int
mib_threshold_table_build(struct mib_state *st, const struct cfg *c)
{
	struct snap_table *t = &st->thresholds;
	size_t i;

	if (snap_table_alloc(t, c->n_th, PMTA_THRESHOLD_COL_LAST + 1) < 0)
		return -1;
	for (i = 0; i < c->n_th; i++) {
		const struct cfg_threshold *th = &c->th[i];
		struct snap_row *r = &t->row[i];

		r->scope = (uint32_t)(i + 1);
		r->name = th->rule;
		r->name2 = cfg_metric_name(th->metric);
		r->text = th->scope_text;
		r->col[PMTA_THRESHOLD_WARN] = th->warn;
		r->col[PMTA_THRESHOLD_CRIT] = th->crit;
		r->col[PMTA_THRESHOLD_WINDOW] = th->window ? th->window : c->stats_window;
	}
	t->n = c->n_th;
	return snap_table_index_by_scope(t);
}

void
mib_alarm_tables_clear(struct mib_state *st)
{
	snap_table_free(&st->alarms);
	snap_table_free(&st->thresholds);
}
