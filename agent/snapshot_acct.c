#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "acct_stats.h"
#include "mib_oids.h"
#include "snapshot_acct.h"

void
snapshot_acct_counts(const struct acct_view *av, size_t *domains, size_t *vmtas, size_t *jobs,
		     size_t *queues)
{
	*domains = av->n_domains;
	*vmtas = av->n_vmtas;
	*jobs = av->n_jobs;
	*queues = av->n_queues;
}

void
snapshot_acct_view_free(void *av)
{
	acct_view_free(av);
}

void
snapshot_acct_rows_done(void *av)
{
	if (av)
		acct_view_drop_rows(av);
}

/*
 * The final-disposition columns, appended to the domain, VirtualMTA and
 * queue tables in the same order from column first (pmtaDispositionGroup).
 */
static void
disposition_cols(struct snap_row *r, const struct acct_entity_row *e, unsigned first)
{
	const uint64_t v[] = {
		e->deferred_delivered, e->deferred_bounced, e->deferred_given_up, e->pending,
		e->win_resolved, e->resolved_delivered_share, e->resolve_p50, e->resolve_p95,
		e->delivered_remote_bounced,
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		r->col[first + i] = v[i];
}

/*
 * An accounting entity's columns: Delivered to LatencyP99 run in the same
 * order from `first` in the domain, VirtualMTA and queue tables; the
 * complaint columns were appended later, so they sit at other numbers in
 * each: the caller says where.
 */
static void
entity_row(struct snap_row *r, const struct acct_entity_row *e, unsigned first,
	   unsigned col_complaints)
{
	const uint64_t v[] = {
		e->delivered, e->bounced, e->hard_bounced, e->soft_bounced, e->deferred,
		e->remote_bounced, e->win_delivered, e->win_bounced, e->win_deferred, e->bounce_rate,
		e->deferral_rate, e->p50, e->p95, e->p99,
	};
	size_t i;

	r->name = e->name;	/* r is fresh from snap_table_alloc(): zero */
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		r->col[first + i] = v[i];
	r->col[col_complaints] = e->complaints;
	r->col[col_complaints + 1] = e->win_complaints;
	r->col[col_complaints + 2] = e->complaint_rate;
}

/* A queue row's accounting columns; the API's are merged in later (snapshot.c). */
static void
queue_row(struct snap_row *r, const struct acct_queue_row *q)
{
	entity_row(r, &q->e, PMTA_QUEUE_DELIVERED, PMTA_QUEUE_COMPLAINTS);
	r->name2 = q->vmta;
	r->text2 = q->domain;
	disposition_cols(r, &q->e, PMTA_QUEUE_DEFERRED_DELIVERED);
}

static void
latency_row(struct snap_row *r, uint32_t scope, const struct acct_entity_row *e)
{
	r->scope = scope;	/* r is fresh from snap_table_alloc(): zero */
	r->name = e->name;
	r->col[PMTA_LATENCY_COUNT] = e->latency_count;
	r->col[PMTA_LATENCY_WIN_COUNT] = e->latency_win_count;
	r->col[PMTA_LATENCY_WIN_P50] = e->p50;
	r->col[PMTA_LATENCY_WIN_P90] = e->p90;
	r->col[PMTA_LATENCY_WIN_P95] = e->p95;
	r->col[PMTA_LATENCY_WIN_P99] = e->p99;
	r->col[PMTA_LATENCY_WIN_MAX] = e->max;
}

static int
rejection_rows(struct snap_table *t, const struct acct_view *av)
{
	size_t i;

	if (snap_table_alloc(t, av->n_rejections, snap_width(SNAP_REJECTION)) < 0)
		return -1;
	for (i = 0; i < av->n_rejections; i++) {
		const struct acct_rejection_row *j = &av->rejections[i];
		struct snap_row *r = &t->row[t->n++];

		r->name = j->domain;
		r->name2 = j->status;
		r->text = j->last_diag;
		r->text2 = j->category;
		r->col[PMTA_REJECTION_COUNT] = j->count;
		r->col[PMTA_REJECTION_WIN_COUNT] = j->win_count;
		r->col[PMTA_REJECTION_CLASS] = j->hard ? PMTA_BOUNCE_CLASS_HARD : PMTA_BOUNCE_CLASS_SOFT;
		r->col[SNAP_REJECTION_LAST_SEEN_AT] = (uint64_t)j->last_seen;
	}
	return 0;
}

static int
complaint_rows(struct snap_table *t, const struct acct_view *av)
{
	size_t i;

	if (snap_table_alloc(t, av->n_complaints, snap_width(SNAP_COMPLAINT)) < 0)
		return -1;
	for (i = 0; i < av->n_complaints; i++) {
		struct snap_row *r = &t->row[t->n++];

		r->name = av->complaints[i].type;
		r->col[PMTA_COMPLAINT_COUNT] = av->complaints[i].count;
		r->col[PMTA_COMPLAINT_WIN_COUNT] = av->complaints[i].win_count;
	}
	return 0;
}

void
snapshot_acct_fill(struct snap_instance *s, struct acct_view *av, enum snap_tab tab)
{
	struct snap_table *t = &s->tab[tab];
	size_t i;

	switch (tab) {
	case SNAP_DOMAIN:
		for (i = 0; i < av->n_domains; i++) {
			entity_row(&t->row[t->n], &av->domains[i], PMTA_ENTITY_DELIVERED,
			    PMTA_DOMAIN_COMPLAINTS);
			disposition_cols(&t->row[t->n++], &av->domains[i], PMTA_DOMAIN_DEFERRED_DELIVERED);
		}
		acct_view_drop(av, ACCT_TAB_DOMAIN);
		return;
	case SNAP_VMTA:
		for (i = 0; i < av->n_vmtas; i++) {
			entity_row(&t->row[t->n], &av->vmtas[i], PMTA_ENTITY_DELIVERED, PMTA_VMTA_COMPLAINTS);
			disposition_cols(&t->row[t->n++], &av->vmtas[i], PMTA_VMTA_DEFERRED_DELIVERED);
		}
		acct_view_drop(av, ACCT_TAB_VMTA);
		return;
	case SNAP_QUEUE:
		for (i = 0; i < av->n_queues; i++)
			queue_row(&t->row[t->n++], &av->queues[i]);
		acct_view_drop(av, ACCT_TAB_QUEUE);
		return;
	case SNAP_JOB:
		for (i = 0; i < av->n_jobs; i++) {
			struct snap_row *r = &t->row[t->n++];

			r->name = av->jobs[i].name;
			r->col[PMTA_JOB_DELIVERED] = av->jobs[i].delivered;
			r->col[PMTA_JOB_BOUNCED] = av->jobs[i].bounced;
			r->col[PMTA_JOB_HARD_BOUNCED] = av->jobs[i].hard_bounced;
			r->col[PMTA_JOB_SOFT_BOUNCED] = av->jobs[i].soft_bounced;
			r->col[PMTA_JOB_DEFERRED] = av->jobs[i].deferred;
			r->col[PMTA_JOB_COMPLAINTS] = av->jobs[i].complaints;
		}
		acct_view_drop(av, ACCT_TAB_JOB);
		return;
	default:
		return;
	}
}

int
snapshot_acct_rows(struct snap_instance *s, struct acct_view *av)
{
	struct snap_table *t;
	size_t i, n;

	s->rows_dropped = av->rows_dropped;
	s->pending = av->pending;
	s->pending_given_up = av->pending_given_up;
	s->pending_max = av->pending_max;

	t = &s->tab[SNAP_BOUNCE];
	if (snap_table_alloc(t, av->n_bounces, snap_width(SNAP_BOUNCE)) < 0)
		return -1;
	for (i = 0; i < av->n_bounces; i++) {
		struct snap_row *r = &t->row[t->n++];

		r->name = av->bounces[i].category;
		r->col[PMTA_BOUNCE_CLASS] = av->bounces[i].hard ? PMTA_BOUNCE_CLASS_HARD :
		    PMTA_BOUNCE_CLASS_SOFT;
		r->col[PMTA_BOUNCE_COUNT] = av->bounces[i].count;
		r->col[PMTA_BOUNCE_WIN_COUNT] = av->bounces[i].win_count;
	}
	/*
	 * The tables only the accounting files fill are packed as soon as they
	 * are, and the view's rows they came from freed: their 8-byte columns
	 * and those rows are then never all alive together.
	 */
	if (snap_table_pack(t) < 0)
		return -1;
	acct_view_drop(av, ACCT_TAB_BOUNCE);

	t = &s->tab[SNAP_DEFERRAL];
	if (snap_table_alloc(t, av->n_deferrals, snap_width(SNAP_DEFERRAL)) < 0)
		return -1;
	for (i = 0; i < av->n_deferrals; i++) {
		struct snap_row *r = &t->row[t->n++];

		r->name = av->deferrals[i].domain;
		r->name2 = av->deferrals[i].status;
		r->text = av->deferrals[i].last_diag;
		r->col[PMTA_DEFERRAL_COUNT] = av->deferrals[i].count;
		r->col[PMTA_DEFERRAL_WIN_COUNT] = av->deferrals[i].win_count;
		r->col[SNAP_DEFERRAL_LAST_SEEN_AT] = (uint64_t)av->deferrals[i].last_seen;
	}
	if (snap_table_pack(t) < 0)
		return -1;
	acct_view_drop(av, ACCT_TAB_DEFERRAL);
	if (rejection_rows(&s->tab[SNAP_REJECTION], av) < 0 ||
	    snap_table_pack(&s->tab[SNAP_REJECTION]) < 0)
		return -1;
	acct_view_drop(av, ACCT_TAB_REJECTION);
	if (complaint_rows(&s->tab[SNAP_COMPLAINT], av) < 0 ||
	    snap_table_pack(&s->tab[SNAP_COMPLAINT]) < 0)
		return -1;
	acct_view_drop(av, ACCT_TAB_COMPLAINT);

	/* Latency: the instance, then every domain and VirtualMTA with deliveries. */
	t = &s->tab[SNAP_LATENCY];
	n = 1 + av->n_domains + av->n_vmtas;
	if (snap_table_alloc(t, n, snap_width(SNAP_LATENCY)) < 0)
		return -1;
	latency_row(&t->row[t->n++], PMTA_SCOPE_ALL, &av->all);
	for (i = 0; i < av->n_domains; i++)
		if (av->domains[i].latency_count)
			latency_row(&t->row[t->n++], PMTA_SCOPE_DOMAIN, &av->domains[i]);
	for (i = 0; i < av->n_vmtas; i++)
		if (av->vmtas[i].latency_count)
			latency_row(&t->row[t->n++], PMTA_SCOPE_VMTA, &av->vmtas[i]);
	return snap_table_pack(t);
}
