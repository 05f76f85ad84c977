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
	struct snap_row *rows = calloc(n ? n : 1, sizeof(*rows));

	if (!rows)
		return -1;
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
	free(t->row);
	t->row = rows;
	t->n = n;
	st->active_alarms = (uint32_t)n;
	return snap_table_index_by_scope(t);
}

int
mib_threshold_table_build(struct mib_state *st, const struct cfg *c)
{
	struct snap_table *t = &st->thresholds;
	size_t i;

	mib_rows_clear(&t->idx);
	free(t->row);
	t->n = 0;
	t->row = calloc(c->n_th ? c->n_th : 1, sizeof(*t->row));
	if (!t->row)
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
	free(st->alarms.row);
	mib_rows_clear(&st->alarms.idx);
	st->alarms.row = NULL;
	st->alarms.n = 0;
	free(st->thresholds.row);
	mib_rows_clear(&st->thresholds.idx);
	st->thresholds.row = NULL;
	st->thresholds.n = 0;
}
