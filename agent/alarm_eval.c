#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alarm_eval.h"
#include "base.h"
#include "mib_oids.h"

bool
alarm_eval_applies(const struct cfg_threshold *th, const char *instance)
{
	return !th->instance || strcmp(th->instance, instance) == 0;
}

void
alarm_values_clear(struct alarm_values *out)
{
	free(out->v);
	free(out->text);
	memset(out, 0, sizeof(*out));
}

/*
 * Subjects are stored as offsets while the text buffer may still move, and
 * turned into pointers at the end.
 */
static int
push(struct alarm_values *o, const char *kind, const char *name, uint64_t value, uint64_t samples)
{
	size_t need = strlen(kind) + (name ? strlen(name) + 1 : 0) + 1;
	struct alarm_value *v = base_grow(o->v, &o->cap, o->n + 1, sizeof(*o->v), 16,
	    SIZE_MAX / sizeof(*o->v));
	char *text;

	if (!v)
		return -1;
	o->v = v;
	text = base_grow(o->text, &o->text_cap, o->text_len + need, 1, 256, SIZE_MAX);
	if (!text)
		return -1;
	o->text = text;
	snprintf(o->text + o->text_len, need, name ? "%s:%s" : "%s", kind, name);
	o->v[o->n].subject = (const char *)(uintptr_t)o->text_len;
	o->v[o->n].value = value;
	o->v[o->n].samples = samples;
	o->text_len += need;
	o->n++;
	return 0;
}

static void
finish(struct alarm_values *o)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		o->v[i].subject = o->text + (uintptr_t)o->v[i].subject;
}

static const char *
scope_kind(enum cfg_scope_kind s)
{
	switch (s) {
	case CFG_SCOPE_DOMAIN: return "domain";
	case CFG_SCOPE_VMTA: return "vmta";
	case CFG_SCOPE_QUEUE: return "queue";
	default: return "instance";
	}
}

/* Queued recipients of the named subject, or of every row for the '*' form. */
static int
collect_queued(const struct cfg_threshold *th, const struct snap_instance *si,
	       struct alarm_values *o)
{
	size_t i;

	switch (th->scope) {
	case CFG_SCOPE_INSTANCE:
		return push(o, "instance", NULL, si->api->st.queued_rcpt, 0);
	case CFG_SCOPE_QUEUE: {
		/* The queues the page lists: an unlisted row's queued count is unknown. */
		const struct snap_table *t = &si->tab[SNAP_QUEUE];

		for (i = 0; i < t->n; i++) {
			const struct snap_row *r = &t->row[i];

			if (snap_col(t, r, PMTA_QUEUE_LISTED) == PMTA_TRUTH_TRUE &&
			    (!th->scope_name || strcmp(th->scope_name, r->name) == 0) &&
			    push(o, "queue", r->name, snap_col(t, r, PMTA_QUEUE_RCPT), 0) < 0)
				return -1;
		}
		return 0;
	}
	case CFG_SCOPE_DOMAIN:
	case CFG_SCOPE_VMTA: {
		const struct snap_table *t = &si->tab[th->scope == CFG_SCOPE_DOMAIN ? SNAP_DOMAIN : SNAP_VMTA];

		for (i = 0; i < t->n; i++) {
			const struct snap_row *r = &t->row[i];

			if ((!th->scope_name || strcasecmp(th->scope_name, r->name) == 0) &&
			    push(o, scope_kind(th->scope), r->name,
			    snap_col(t, r, PMTA_ENTITY_QUEUED_RCPT), 0) < 0)
				return -1;
		}
		return 0;
	}
	}
	return 0;
}

int
alarm_eval_collect(const struct cfg_threshold *th, const struct snap_instance *si,
		   int64_t now_wall, int64_t start_wall, struct alarm_values *o)
{
	const struct pmta_result *a = si->api;
	int rc = 0;
	size_t i;

	o->n = 0;
	o->text_len = 0;
	switch (th->metric) {
	case CFG_METRIC_QUEUED_RCPT:
		rc = collect_queued(th, si, o);
		break;
	case CFG_METRIC_CONN_UTILIZATION: {
		/* The busier direction is the one that runs out. */
		const struct snap_table *t = &si->tab[SNAP_CONN];
		uint64_t u = 0;

		for (i = 0; i < t->n; i++)
			if (snap_col(t, &t->row[i], PMTA_CONN_UTILIZATION) > u)
				u = snap_col(t, &t->row[i], PMTA_CONN_UTILIZATION);
		rc = push(o, "instance", NULL, u, 0);
		break;
	}
	case CFG_METRIC_QUEUE_BACKOFF: {
		/* Only the queues in backoff: the others clear by being absent. */
		const struct api_list *l = a->list[API_QUEUES];
		const struct pmta_queue *q = l->items;

		for (i = 0; i < l->n && rc == 0; i++)
			if (q[i].mode == PMTA_QUEUE_MODE_BACKOFF)
				rc = push(o, "queue", q[i].name, 1, 0);
		break;
	}
	case CFG_METRIC_API_DOWN:
		if (a->status != PMTA_API_NOT_CONFIGURED)
			rc = push(o, "instance", NULL, a->failed_in_row, 0);
		break;
	case CFG_METRIC_ACCT_STALLED: {
		/* Silence only matters while mail is waiting to go. */
		int64_t last = si->acct_last_record > start_wall ? si->acct_last_record : start_wall;

		if (!si->acct_configured)
			break;
		rc = push(o, "instance", NULL, a->have_status && a->st.queued_rcpt > 0 &&
		    now_wall > last ? (uint64_t)(now_wall - last) : 0, 0);
		break;
	}
	default:
		/* Rates and latency: the collector computed them over the rule's window. */
		for (i = 0; i < si->n_metrics && rc == 0; i++)
			if (strcmp(si->metrics[i].rule, th->rule) == 0)
				rc = push(o, si->metrics[i].subject, NULL, si->metrics[i].value,
				    si->metrics[i].samples);
		break;
	}
	finish(o);
	return rc;
}
