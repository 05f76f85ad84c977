/*
 * cmocka tests of the accounting statistics (agent/acct_stats.c): what is
 * counted (README.md, "Where the data come from"), the windows and rates, the latency
 * percentiles, and the bounds. The clock is passed in; nothing sleeps.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "acct_stats.h"

#define NOW 1764300000	/* the wall clock of most tests */

/* log_emit() is wrapped at link time (-Wl,--wrap=log_emit): the tests count and read the lines. */
static int log_lines;
static char log_last[512];

void __wrap_log_emit(int prio, int errnum, const char *fmt, ...);

void
__wrap_log_emit(int prio, int errnum, const char *fmt, ...)
{
	va_list ap;

	(void)prio;
	(void)errnum;
	va_start(ap, fmt);
	vsnprintf(log_last, sizeof(log_last), fmt, ap);
	va_end(ap);
	log_lines++;
}

static struct acct_field
fld(const char *s)
{
	struct acct_field f = { s, s ? strlen(s) : 0 };

	return f;
}

/* A record as the parser hands it; NULL or "" fields are absent. */
struct rec {
	const char *type;
	int64_t logged, queued;
	const char *rcpt, *cat, *status, *diag, *vmta, *job, *queue;
};

/* An f record's extra field: add() reads it when set. */
static const char *feedback_type;
/* Who a recipient is, with rcpt, timeQueued and jobId: add() reads them when set. */
static const char *orig_field, *env_field;

static void
add(struct acct_stats *s, const struct rec *x)
{
	/* Fields point into a scratch copy that is wiped after the call: nothing may be kept. */
	char buf[11][512];
	const char *src[11] = { x->type, x->rcpt, x->cat, x->status, x->diag, x->vmta, x->job, x->queue,
	    feedback_type, orig_field, env_field };
	struct acct_record r;
	int i;

	for (i = 0; i < 11; i++)
		snprintf(buf[i], sizeof(buf[i]), "%s", src[i] ? src[i] : "");
	r.type = fld(buf[0]);
	r.time_logged = x->logged;
	r.time_queued = x->queued;
	r.rcpt = fld(buf[1]);
	r.bounce_cat = fld(buf[2]);
	r.dsn_status = fld(buf[3]);
	r.dsn_diag = fld(buf[4]);
	r.vmta = fld(buf[5]);
	r.job_id = fld(buf[6]);
	r.queue = fld(buf[7]);
	r.feedback_type = fld(buf[8]);
	r.orig = fld(buf[9]);
	r.env_id = fld(buf[10]);
	acct_stats_add(s, &r);
	memset(buf, 'X', sizeof(buf));
}

static struct acct_stats *
stats_at(const struct acct_stats_config *c, int64_t now)
{
	static const struct acct_stats_config dflt = { 0 };
	struct acct_stats *s = acct_stats_new(c ? c : &dflt);

	assert_non_null(s);
	acct_stats_set_now(s, now);
	return s;
}

static const struct acct_entity_row *
domain_row(const struct acct_view *v, const char *name)
{
	size_t i;

	for (i = 0; i < v->n_domains; i++)
		if (strcmp(v->domains[i].name, name) == 0)
			return &v->domains[i];
	return NULL;
}

static const struct acct_entity_row *
vmta_row(const struct acct_view *v, const char *name)
{
	size_t i;

	for (i = 0; i < v->n_vmtas; i++)
		if (strcmp(v->vmtas[i].name, name) == 0)
			return &v->vmtas[i];
	return NULL;
}

static const struct acct_queue_row *
queue_row(const struct acct_view *v, const char *name)
{
	size_t i;

	for (i = 0; i < v->n_queues; i++)
		if (strcmp(v->queues[i].e.name, name) == 0)
			return &v->queues[i];
	return NULL;
}

static const struct acct_bounce_row *
bounce_row(const struct acct_view *v, const char *cat)
{
	size_t i;

	for (i = 0; i < v->n_bounces; i++)
		if (strcmp(v->bounces[i].category, cat) == 0)
			return &v->bounces[i];
	return NULL;
}

static const struct acct_deferral_row *
deferral_row(const struct acct_view *v, const char *dom, const char *status)
{
	size_t i;

	for (i = 0; i < v->n_deferrals; i++)
		if (strcmp(v->deferrals[i].domain, dom) == 0 && strcmp(v->deferrals[i].status, status) == 0)
			return &v->deferrals[i];
	return NULL;
}

static const struct acct_rejection_row *
rejection_row(const struct acct_view *v, const char *dom, const char *status)
{
	size_t i;

	for (i = 0; i < v->n_rejections; i++)
		if (strcmp(v->rejections[i].domain, dom) == 0 &&
		    strcmp(v->rejections[i].status, status) == 0)
			return &v->rejections[i];
	return NULL;
}

static const struct acct_complaint_row *
complaint_row(const struct acct_view *v, const char *type)
{
	size_t i;

	for (i = 0; i < v->n_complaints; i++)
		if (strcmp(v->complaints[i].type, type) == 0)
			return &v->complaints[i];
	return NULL;
}

static const struct acct_job_row *
job_row(const struct acct_view *v, const char *id)
{
	size_t i;

	for (i = 0; i < v->n_jobs; i++)
		if (strcmp(v->jobs[i].name, id) == 0)
			return &v->jobs[i];
	return NULL;
}

/* d, b, t, rb, f fill their columns in domain, vmta and "all" rows; tq, r, rs, unknown fill none. */
static void
acct_stats_types_fill_their_columns_only(void **state)
{
	static const struct rec recs[] = {
		{ "d", NOW, 0, "a@x.com", NULL, NULL, NULL, "v1", NULL, NULL },
		{ "d", NOW, 0, "b@x.com", NULL, NULL, NULL, "v1", NULL, NULL },
		{ "b", NOW, 0, "c@x.com", "bad-mailbox", "5.1.1", NULL, "v1", NULL, NULL },
		{ "t", NOW, 0, "d@x.com", NULL, "4.2.2", NULL, "v2", NULL, NULL },
		{ "rb", NOW, 0, "e@x.com", "bad-mailbox", NULL, NULL, "v2", NULL, NULL },
		{ "tq", NOW, 0, "f@x.com", NULL, "4.4.1", NULL, "v2", NULL, "x.com/v2" },
		{ "r", NOW, 0, "g@x.com", NULL, NULL, NULL, "v3", NULL, NULL },
		{ "f", NOW, 0, "h@x.com", NULL, NULL, NULL, "v3", NULL, NULL },
		{ "rs", NOW, 0, "i@x.com", NULL, NULL, NULL, "v3", NULL, NULL },
		{ "zz", NOW, 0, "j@y.com", NULL, NULL, NULL, "v3", NULL, NULL },
		{ "D", NOW, 0, "k@y.com", NULL, NULL, NULL, "v3", NULL, NULL },
	};
	struct acct_stats *s = stats_at(NULL, NOW);
	const struct acct_entity_row *d;
	struct acct_view *v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(recs) / sizeof(recs[0]); i++)
		add(s, &recs[i]);
	v = acct_stats_view(s, NOW);
	assert_non_null(v);
	assert_int_equal(v->n_domains, 1);	/* y.com only had types that create no row */
	d = domain_row(v, "x.com");
	assert_non_null(d);
	assert_int_equal(d->delivered, 2);
	assert_int_equal(d->bounced, 1);
	assert_int_equal(d->deferred, 1);
	assert_int_equal(d->remote_bounced, 1);
	assert_int_equal(d->complaints, 1);
	assert_int_equal(v->all.complaints, 1);
	assert_int_equal(v->all.delivered, 2);
	assert_int_equal(v->all.bounced, 1);
	assert_int_equal(v->all.deferred, 1);
	assert_int_equal(v->all.remote_bounced, 1);
	assert_string_equal(v->all.name, "all");
	assert_int_equal(v->n_vmtas, 3);	/* v3's f record made its row */
	assert_int_equal(vmta_row(v, "v3")->complaints, 1);
	assert_int_equal(vmta_row(v, "v3")->delivered, 0);
	assert_int_equal(vmta_row(v, "v1")->delivered, 2);
	assert_int_equal(vmta_row(v, "v1")->bounced, 1);
	assert_int_equal(vmta_row(v, "v2")->deferred, 1);
	assert_int_equal(vmta_row(v, "v2")->remote_bounced, 1);
	/* rb is not a b: no bounce row of its own, one for the b. */
	assert_int_equal(v->n_bounces, 1);
	assert_int_equal(bounce_row(v, "bad-mailbox")->count, 1);
	acct_view_free(v);
	acct_stats_free(s);
}

/*
 * f records count by the complaining recipient's domain, VirtualMTA and job
 * where they carry them, and by feedback type (case folded, "other" when
 * empty); a complaint rate is complaints over deliveries in the window.
 */
/*
 * Outcomes per queue (domain/vmta): every spelling of a queue's domain is one
 * row, a rollup queue keeps its name, and records without a queue column (f,
 * rb) count where their (domain, vmta) last went.
 */
static void
acct_stats_queues_by_queue_column_and_route(void **state)
{
	static const struct rec recs[] = {
		{ "d", NOW - 30, NOW - 40, "a@B\xc3\x9c" "CHER.de", NULL, NULL, NULL, "v1", NULL,
		  "B\xc3\x9c" "CHER.de/v1" },
		{ "d", NOW - 30, NOW - 50, "b@b\xc3\xbc" "cher.de", NULL, NULL, NULL, "v1", NULL,
		  "b\xc3\xbc" "cher.de/v1" },
		{ "b", NOW - 30, 0, "c@xn--bcher-kva.de", "bad-mailbox", "5.1.1", "smtp;550", "v1",
		  NULL, "xn--bcher-kva.de/v1" },
		{ "d", NOW - 20, NOW - 30, "x@yahoo.com", NULL, NULL, NULL, "vmta18", NULL,
		  "yahoo.rollup/vmta18" },
		{ "d", NOW - 20, NOW - 30, "y@yahoo.fr", NULL, NULL, NULL, "vmta18", NULL,
		  "yahoo.rollup/vmta18" },
		{ "t", NOW - 20, 0, "z@yahoo.fr", NULL, "4.7.0", "smtp;421", "vmta18", NULL,
		  "yahoo.rollup/vmta18" },
		{ "b", NOW - 20, 0, "w@yahoo.com", "spam-related", "5.7.1", "smtp;554", "vmta18",
		  NULL, "yahoo.rollup/vmta18" },
		/* rb after d, without a queue column: the route of (yahoo.com, vmta18). */
		{ "rb", NOW - 10, 0, "x@yahoo.com", "bad-mailbox", "5.1.1", "smtp;550", "vmta18",
		  NULL, NULL },
		/* An rb that names its queue counts there. */
		{ "rb", NOW - 10, 0, "a@bücher.de", "bad-mailbox", "5.1.1", "smtp;550", "v1", NULL,
		  "bücher.de/v1" },
		/* f records: by the route, so the rollup queue; none for an unseen pair. */
		{ "f", NOW - 5, 0, "x@yahoo.com", NULL, NULL, NULL, "vmta18", NULL, NULL },
		{ "f", NOW - 5, 0, "y@YAHOO.FR", NULL, NULL, NULL, "vmta18", NULL, NULL },
		{ "f", NOW - 5, 0, "q@gmail.com", NULL, NULL, NULL, "vmta18", NULL, NULL },
		{ "f", NOW - 5, 0, "x@yahoo.com", NULL, NULL, NULL, NULL, NULL, NULL },
		/* A queue column without a '/' is all domain; "/v9" names no queue. */
		{ "d", NOW - 5, 0, "m@example.org", NULL, NULL, NULL, NULL, NULL, "Example.ORG" },
		{ "d", NOW - 5, 0, "m@example.org", NULL, NULL, NULL, "v9", NULL, "/v9" },
	};
	struct acct_stats *s = stats_at(NULL, NOW);
	const struct acct_queue_row *q;
	struct acct_window w;
	struct acct_view *v;
	const char *names[8];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(recs) / sizeof(recs[0]); i++)
		add(s, &recs[i]);
	v = acct_stats_view(s, NOW);
	assert_non_null(v);
	assert_int_equal(v->n_queues, 3);
	q = queue_row(v, "xn--bcher-kva.de/v1");
	assert_non_null(q);
	assert_string_equal(q->domain, "xn--bcher-kva.de");
	assert_string_equal(q->vmta, "v1");
	assert_int_equal(q->e.delivered, 2);
	assert_int_equal(q->e.bounced, 1);
	assert_int_equal(q->e.hard_bounced, 1);
	assert_int_equal(q->e.remote_bounced, 1);
	assert_int_equal(q->e.bounce_rate, 3333);
	assert_int_equal(q->e.p50, 10);
	assert_int_equal(q->e.p99, 20);
	q = queue_row(v, "yahoo.rollup/vmta18");
	assert_non_null(q);
	assert_string_equal(q->domain, "yahoo.rollup");
	assert_string_equal(q->vmta, "vmta18");
	assert_int_equal(q->e.delivered, 2);
	assert_int_equal(q->e.bounced, 1);
	assert_int_equal(q->e.soft_bounced, 1);
	assert_int_equal(q->e.deferred, 1);
	assert_int_equal(q->e.remote_bounced, 1);
	assert_int_equal(q->e.complaints, 2);
	assert_int_equal(q->e.win_complaints, 2);
	assert_int_equal(q->e.complaint_rate, 10000);
	assert_int_equal(q->e.deferral_rate, 2500);
	q = queue_row(v, "example.org");
	assert_non_null(q);
	assert_string_equal(q->domain, "example.org");
	assert_string_equal(q->vmta, "");
	assert_int_equal(q->e.delivered, 1);
	/* The alarm engine's window and names see the same rows. */
	assert_int_equal(acct_stats_window(s, ACCT_SCOPE_QUEUE, "yahoo.rollup/vmta18", 900, NOW,
	    &w), 0);
	assert_int_equal(w.delivered, 2);
	assert_int_equal(w.complaints, 2);
	assert_int_equal(acct_window_bounce_rate(&w), 3333);
	assert_int_equal(acct_stats_window(s, ACCT_SCOPE_QUEUE, "yahoo.com/vmta18", 900, NOW, &w),
	    -1);
	assert_int_equal(acct_stats_names(s, ACCT_SCOPE_QUEUE, NULL, 0), 3);
	assert_int_equal(acct_stats_names(s, ACCT_SCOPE_QUEUE, names, 8), 3);
	/* The route table is not published: it drops nothing a manager counts. */
	assert_int_equal(v->rows_dropped, 0);
	acct_view_free(v);
	acct_stats_free(s);
}

/* A domain and VirtualMTA whose queue name passes DOMAIN_IDN_MAX: the key is cut there, never overrun. */
static void
acct_stats_long_queue_names_are_cut(void **state)
{
	char dom[201], vmta[121], rcpt[220], queue[330];
	struct acct_stats *s = stats_at(NULL, NOW);
	struct acct_view *v;
	struct rec r = { "d", NOW - 5, 0, rcpt, NULL, NULL, NULL, vmta, NULL, queue };

	(void)state;
	memset(dom, 'd', sizeof(dom) - 1);
	dom[sizeof(dom) - 1] = '\0';
	memcpy(dom + sizeof(dom) - 5, ".com", 5);
	memset(vmta, 'v', sizeof(vmta) - 1);
	vmta[sizeof(vmta) - 1] = '\0';
	snprintf(rcpt, sizeof(rcpt), "u@%s", dom);
	snprintf(queue, sizeof(queue), "%s/%s", dom, vmta);
	add(s, &r);
	r.type = "f";
	r.queue = NULL;
	add(s, &r);	/* no queue column: the route the d left, to the cut key */
	v = acct_stats_view(s, NOW);
	assert_non_null(v);
	assert_int_equal(v->n_queues, 1);
	assert_int_equal(strlen(v->queues[0].e.name), 255);
	assert_int_equal(v->queues[0].e.delivered, 1);
	assert_int_equal(v->queues[0].e.complaints, 1);
	acct_view_free(v);
	acct_stats_free(s);
}

static void
acct_stats_complaints_by_domain_vmta_job_and_type(void **state)
{
	static const struct rec recs[] = {
		{ "d", NOW - 10, 0, "a@Gmail.com", NULL, NULL, NULL, "v1", "j1", NULL },
		{ "d", NOW - 10, 0, "b@gmail.com", NULL, NULL, NULL, "v1", "j1", NULL },
		{ "d", NOW - 10, 0, "c@gmail.com", NULL, NULL, NULL, "v1", "j1", NULL },
		{ "d", NOW - 10, 0, "d@gmail.com", NULL, NULL, NULL, "v1", "j1", NULL },
		{ "f", NOW - 5, 0, "a@gmail.com", NULL, NULL, NULL, "v1", "j1", NULL },
		{ "f", NOW - 5, 0, "b@GMAIL.COM", NULL, NULL, NULL, NULL, NULL, NULL },
		{ "f", NOW - 5, 0, "c@yahoo.com", NULL, NULL, NULL, NULL, "j2", NULL },
		{ "f", NOW - 5, 0, NULL, NULL, NULL, NULL, "v2", NULL, NULL },
		/* Older than the window: totals only. */
		{ "f", NOW - 3600, 0, "e@gmail.com", NULL, NULL, NULL, "v1", NULL, NULL },
	};
	static const char *const types[] = {
		NULL, NULL, NULL, NULL, "abuse", "Abuse", "not-spam", NULL, "fraud",
	};
	struct acct_stats *s = stats_at(NULL, NOW);
	const struct acct_entity_row *g;
	struct acct_window w;
	struct acct_view *v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
		feedback_type = types[i];
		add(s, &recs[i]);
	}
	feedback_type = NULL;
	v = acct_stats_view(s, NOW);
	assert_non_null(v);
	g = domain_row(v, "gmail.com");
	assert_non_null(g);
	assert_int_equal(g->complaints, 3);
	assert_int_equal(g->win_complaints, 2);
	assert_int_equal(g->complaint_rate, 5000);	/* 2 over 4 delivered */
	assert_int_equal(domain_row(v, "yahoo.com")->complaints, 1);
	assert_int_equal(domain_row(v, "yahoo.com")->complaint_rate, 0);	/* none delivered */
	assert_int_equal(vmta_row(v, "v1")->complaints, 2);
	assert_int_equal(vmta_row(v, "v1")->win_complaints, 1);
	assert_int_equal(vmta_row(v, "v1")->complaint_rate, 2500);
	assert_int_equal(vmta_row(v, "v2")->complaints, 1);
	assert_int_equal(job_row(v, "j1")->complaints, 1);
	assert_int_equal(job_row(v, "j2")->complaints, 1);
	assert_int_equal(job_row(v, "j2")->delivered, 0);
	assert_int_equal(v->all.complaints, 5);
	assert_int_equal(v->all.win_complaints, 4);
	assert_int_equal(v->all.complaint_rate, 10000);
	assert_int_equal(v->n_complaints, 4);
	assert_int_equal(complaint_row(v, "abuse")->count, 2);
	assert_int_equal(complaint_row(v, "abuse")->win_count, 2);
	assert_int_equal(complaint_row(v, "not-spam")->count, 1);
	assert_int_equal(complaint_row(v, "other")->count, 1);
	assert_int_equal(complaint_row(v, "fraud")->count, 1);
	assert_int_equal(complaint_row(v, "fraud")->win_count, 0);
	assert_null(complaint_row(v, "Abuse"));
	/* The alarm engine's window sees the same counts and the same rate. */
	assert_int_equal(acct_stats_window(s, ACCT_SCOPE_DOMAIN, "gmail.com", 900, NOW, &w), 0);
	assert_int_equal(w.complaints, 2);
	assert_int_equal(w.delivered, 4);
	assert_int_equal(acct_window_complaint_rate(&w), 5000);
	acct_view_free(v);
	acct_stats_free(s);
}

/*
 * A feedback type longer than 32 bytes is cut, a byte outside [A-Za-z0-9-]
 * is written '_'; the table is bounded by max_rows.
 */
static void
acct_stats_complaint_types_capped_and_bounded(void **state)
{
	static const struct acct_stats_config c = { .max_rows = 3 };
	static const char *const types[] = {
		"a-feedback-type-much-longer-than-thirty-two-bytes", "Not Spam!\001", "abuse", "virus",
	};
	struct rec f = { "f", NOW, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL };
	struct acct_stats *s = stats_at(&c, NOW);
	struct acct_view *v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		feedback_type = types[i];
		add(s, &f);
	}
	feedback_type = NULL;
	v = acct_stats_view(s, NOW);
	assert_non_null(v);
	assert_int_equal(v->n_complaints, 3);
	assert_non_null(complaint_row(v, "a-feedback-type-much-longer-than"));
	assert_non_null(complaint_row(v, "not_spam__"));
	assert_null(complaint_row(v, "virus"));
	assert_int_equal(v->refused[ACCT_TAB_COMPLAINT], 1);
	assert_int_equal(v->all.complaints, 4);
	acct_view_free(v);
	acct_stats_free(s);
}

/* The domain is after the LAST '@' and keyed by domain_idn_key(): every spelling is one row; no '@', no row. */
static void
acct_stats_domain_is_after_last_at_one_row_per_spelling(void **state)
{
	static const struct rec recs[] = {
		{ "d", NOW, 0, "User@Example.COM", NULL, NULL, NULL, NULL, NULL, NULL },
		{ "d", NOW, 0, "\"odd@local\"@EXAMPLE.com", NULL, NULL, NULL, NULL, NULL, NULL },
		{ "d", NOW, 0, "x@B\xc3\x9c" "CHER.de", NULL, NULL, NULL, NULL, NULL, NULL },
		{ "d", NOW, 0, "x@b\xc3\xbc" "cher.DE", NULL, NULL, NULL, NULL, NULL, NULL },
		{ "d", NOW, 0, "x@xn--bcher-kva.de", NULL, NULL, NULL, NULL, NULL, NULL },
		{ "d", NOW, 0, "x@XN--BCHER-KVA.DE.", NULL, NULL, NULL, NULL, NULL, NULL },
		{ "d", NOW, 0, "x@-B\xc3\x9c" "CHER.de", NULL, NULL, NULL, NULL, NULL, NULL },
		{ "d", NOW, 0, "no-at-sign", NULL, NULL, NULL, NULL, NULL, NULL },
		{ "d", NOW, 0, "trailing@", NULL, NULL, NULL, NULL, NULL, NULL },
	};
	struct acct_stats *s = stats_at(NULL, NOW);
	struct acct_view *v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(recs) / sizeof(recs[0]); i++)
		add(s, &recs[i]);
	v = acct_stats_view(s, NOW);
	assert_non_null(v);
	assert_int_equal(v->n_domains, 3);
	assert_int_equal(domain_row(v, "example.com")->delivered, 2);
	/* BÜCHER.de, bücher.DE and the A-label in two cases: one row. */
	assert_int_equal(domain_row(v, "xn--bcher-kva.de")->delivered, 4);
	/* IDNA refuses a leading hyphen: kept with ASCII lower-cased, Ü (C3 9C) as it is. */
	assert_int_equal(domain_row(v, "-b\xc3\x9c" "cher.de")->delivered, 1);
	assert_int_equal(v->all.delivered, 9);	/* the instance counts every d */
	acct_view_free(v);
	acct_stats_free(s);
}

/* b splits hard/soft by the configured list; the bounce table has one row per category. */
static void
acct_stats_custom_hard_list_splits_bounces(void **state)
{
	static const char *const hard[] = { "policy-related", "quota-issues" };
	struct acct_stats_config c = { .hard_categories = hard, .n_hard = 2 };
	static const struct rec recs[] = {
		{ "b", NOW, 0, "a@x.com", "policy-related", "5.7.1", NULL, "v", "j1", NULL },
		{ "b", NOW, 0, "a@x.com", "quota-issues", "5.2.2", NULL, "v", "j1", NULL },
		{ "b", NOW, 0, "a@x.com", "bad-mailbox", "5.1.1", NULL, "v", "j1", NULL },
		{ "b", NOW, 0, "a@x.com", "", "5.0.0", NULL, "v", "j1", NULL },
		{ "b", NOW, 0, "a@x.com", NULL, "5.0.0", NULL, "v", "j1", NULL },
		{ "b", NOW, 0, "a@x.com", "Policy-Related", "5.0.0", NULL, "v", "j1", NULL },
	};
	struct acct_stats *s = stats_at(&c, NOW);
	const struct acct_entity_row *d;
	struct acct_view *v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(recs) / sizeof(recs[0]); i++)
		add(s, &recs[i]);
	v = acct_stats_view(s, NOW);
	d = domain_row(v, "x.com");
	assert_int_equal(d->bounced, 6);
	assert_int_equal(d->hard_bounced, 2);
	assert_int_equal(d->soft_bounced, 4);
	assert_int_equal(vmta_row(v, "v")->hard_bounced, 2);
	assert_int_equal(job_row(v, "j1")->hard_bounced, 2);
	assert_int_equal(job_row(v, "j1")->soft_bounced, 4);
	assert_int_equal(v->n_bounces, 5);
	assert_true(bounce_row(v, "policy-related")->hard);
	assert_true(bounce_row(v, "quota-issues")->hard);
	assert_false(bounce_row(v, "bad-mailbox")->hard);	/* not in this list */
	assert_false(bounce_row(v, "Policy-Related")->hard);	/* categories match exactly */
	/* An empty bounceCat counts as "other". */
	assert_int_equal(bounce_row(v, "other")->count, 2);
	assert_false(bounce_row(v, "other")->hard);
	assert_int_equal(bounce_row(v, "other")->win_count, 2);
	acct_view_free(v);
	acct_stats_free(s);
}

static void
acct_stats_default_hard_list_is_the_four_categories(void **state)
{
	static const char *const cats[] = {
		"bad-mailbox", "bad-domain", "inactive-mailbox", "routing-errors",
		"policy-related", "spam-related", "other",
	};
	struct acct_stats *s = stats_at(NULL, NOW);
	struct acct_view *v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cats) / sizeof(cats[0]); i++) {
		struct rec r = { "b", NOW, 0, "a@x.com", cats[i], "5.0.0", NULL, NULL, NULL, NULL };

		add(s, &r);
	}
	v = acct_stats_view(s, NOW);
	assert_int_equal(v->all.hard_bounced, 4);
	assert_int_equal(v->all.soft_bounced, 3);
	for (i = 0; i < sizeof(cats) / sizeof(cats[0]); i++)
		assert_int_equal(bounce_row(v, cats[i])->hard, i < 4);
	acct_view_free(v);
	acct_stats_free(s);
}

/*
 * Deferral rows: t by (recipient domain, first token of dsnStatus), tq by
 * (queue's domain part before the last '/', lower-cased, status); a rollup
 * queue name keys tq rows but never a t record's row.
 */
static void
acct_stats_deferrals_keyed_by_rcpt_or_queue_domain(void **state)
{
	static const struct rec recs[] = {
		{ "t", NOW, 0, "a@Yahoo.com", NULL, "4.7.0 (try later)", "d1", "v", NULL, "yahoo.rollup/v" },
		{ "t", NOW, 0, "b@yahoo.com", NULL, "4.7.0", "d2", "v", NULL, "yahoo.rollup/v" },
		{ "t", NOW, 0, "c@yahoo.com", NULL, "  4.4.1\tno answer", "d3", "v", NULL, NULL },
		{ "tq", NOW, 0, "", NULL, "4.4.1 (no answer from host)", "q1", "v", NULL, "YAHOO.rollup/v" },
		{ "tq", NOW, 0, "", NULL, "4.4.1", "q2", "v", NULL, "odd/name/v" },
		{ "tq", NOW, 0, "", NULL, "4.4.2", "q3", "v", NULL, "noslash" },
		{ "t", NOW, 0, "d@x.com", NULL, "", "no status", "v", NULL, NULL },
		{ "tq", NOW, 0, "", NULL, "4.4.1", "no queue", "v", NULL, "" },
		{ "t", NOW, 0, "e@B\xc3\x9c" "CHER.DE", NULL, "4.2.2", "idn1", "v", NULL, NULL },
		{ "tq", NOW, 0, "", NULL, "4.2.2", "idn2", "v", NULL, "b\xc3\xbc" "cher.de/v" },
	};
	struct acct_stats *s = stats_at(NULL, NOW);
	struct acct_view *v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(recs) / sizeof(recs[0]); i++)
		add(s, &recs[i]);
	v = acct_stats_view(s, NOW);
	assert_int_equal(v->n_deferrals, 6);
	/* The recipient's and the queue's spelling of one IDN domain: one row. */
	assert_int_equal(deferral_row(v, "xn--bcher-kva.de", "4.2.2")->count, 2);
	assert_int_equal(deferral_row(v, "yahoo.com", "4.7.0")->count, 2);
	assert_int_equal(deferral_row(v, "yahoo.com", "4.4.1")->count, 1);
	assert_int_equal(deferral_row(v, "yahoo.rollup", "4.4.1")->count, 1);
	assert_int_equal(deferral_row(v, "odd/name", "4.4.1")->count, 1);
	assert_int_equal(deferral_row(v, "noslash", "4.4.2")->count, 1);
	assert_null(deferral_row(v, "yahoo.rollup", "4.7.0"));
	/* tq makes no domain row and is not a Deferred; t is, with or without a status. */
	assert_null(domain_row(v, "yahoo.rollup"));
	assert_int_equal(domain_row(v, "yahoo.com")->deferred, 3);
	assert_int_equal(domain_row(v, "x.com")->deferred, 1);
	assert_int_equal(v->all.deferred, 5);
	/* The view keeps each domain name and status once, whatever rows name them. */
	assert_ptr_equal(deferral_row(v, "yahoo.com", "4.7.0")->domain, domain_row(v, "yahoo.com")->name);
	assert_ptr_equal(deferral_row(v, "yahoo.com", "4.4.1")->status,
	    deferral_row(v, "yahoo.rollup", "4.4.1")->status);
	assert_ptr_equal(deferral_row(v, "yahoo.rollup", "4.4.1")->domain,
	    queue_row(v, "yahoo.rollup/v")->domain);
	assert_ptr_not_equal(deferral_row(v, "yahoo.com", "4.4.1")->status,
	    deferral_row(v, "yahoo.com", "4.7.0")->status);
	acct_view_free(v);
	acct_stats_free(s);
}

/*
 * b and rb records by (domain key, status): count, window count, and the
 * category, class and dsnDiag of the newest record, whatever the reading order.
 */
static void
acct_stats_rejections_keyed_by_domain_and_status(void **state)
{
	static const struct rec recs[] = {
		{ "b", NOW - 10, 0, "a@Gmail.com", "bad-mailbox", "5.1.1 (bad destination)", "d1", "v", NULL, NULL },
		{ "b", NOW, 0, "c@gmail.com", "", "5.1.1", "d2", "v", NULL, NULL },
		{ "b", NOW - 5, 0, "b@gmail.com", "bad-mailbox", "5.1.1", "d-older", "v", NULL, NULL },
		{ "rb", NOW - 1, 0, "e@gmail.com", "spam-related", "5.7.1 (blocked)", "d3", "v", NULL, NULL },
		{ "b", NOW - 2000, 0, "f@gmail.com", "policy-related", "5.7.1", "old", "v", NULL, NULL },
		{ "b", NOW - 3, 0, "g@B\xc3\x9c" "CHER.DE", "bad-mailbox", "5.1.1", "\xc3\xbc diag", "v", NULL, NULL },
		{ "rb", NOW - 4, 0, "h@xn--bcher-kva.de", "inactive-mailbox", "5.1.1", "d4", "v", NULL, NULL },
		{ "b", NOW, 0, "i@gmail.com", "bad-mailbox", "", "no status", "v", NULL, NULL },
		{ "b", NOW, 0, "no-domain", "bad-mailbox", "5.1.1", "no domain", "v", NULL, NULL },
		{ "t", NOW, 0, "j@gmail.com", NULL, "4.7.0", "a deferral", "v", NULL, NULL },
		{ "d", NOW, 0, "k@gmail.com", NULL, "2.0.0", "delivered", "v", NULL, NULL },
	};
	struct acct_stats *s = stats_at(NULL, NOW);
	const struct acct_rejection_row *j;
	struct acct_view *v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(recs) / sizeof(recs[0]); i++)
		add(s, &recs[i]);
	v = acct_stats_view(s, NOW);
	assert_non_null(v);
	assert_int_equal(v->n_rejections, 3);
	j = rejection_row(v, "gmail.com", "5.1.1");
	assert_int_equal(j->count, 3);
	assert_int_equal(j->win_count, 3);
	assert_string_equal(j->category, "other");	/* the newest had no bounceCat */
	assert_false(j->hard);
	assert_string_equal(j->last_diag, "d2");
	assert_int_equal(j->last_seen, NOW);
	j = rejection_row(v, "gmail.com", "5.7.1");
	assert_int_equal(j->count, 2);
	assert_int_equal(j->win_count, 1);		/* the b of NOW - 2000 is outside 900 s */
	assert_string_equal(j->category, "spam-related");
	assert_false(j->hard);
	assert_string_equal(j->last_diag, "d3");
	j = rejection_row(v, "xn--bcher-kva.de", "5.1.1");	/* both spellings, b and rb */
	assert_int_equal(j->count, 2);
	assert_string_equal(j->category, "bad-mailbox");
	assert_true(j->hard);
	assert_string_equal(j->last_diag, "\xc3\xbc diag");
	assert_int_equal(j->last_seen, NOW - 3);
	/* The other tables count as before: a rejection row is an addition. */
	assert_int_equal(domain_row(v, "gmail.com")->bounced, 5);
	assert_int_equal(domain_row(v, "gmail.com")->remote_bounced, 1);
	acct_view_free(v);
	acct_stats_free(s);
}

/* A full rejection table refuses new keys and counts them, like every table. */
static void
acct_stats_rejection_table_is_bounded_by_max_rows(void **state)
{
	struct acct_stats_config c = { .max_rows = 2 };
	struct acct_stats *s = stats_at(&c, NOW);
	struct acct_view *v;
	char rcpt[32];
	int i;

	(void)state;
	for (i = 0; i < 5; i++) {
		struct rec r = { "b", NOW, 0, rcpt, "bad-mailbox", "5.1.1", "x", "v", NULL, NULL };

		snprintf(rcpt, sizeof(rcpt), "u@d%d.example", i);
		add(s, &r);
	}
	v = acct_stats_view(s, NOW);
	assert_non_null(v);
	assert_int_equal(v->n_rejections, 2);
	assert_int_equal(v->refused[ACCT_TAB_REJECTION], 3);
	acct_view_free(v);
	acct_stats_free(s);
}

/* LastDiag is the dsnDiag of the newest record by timeLogged, whatever the reading order. */
static void
acct_stats_last_diag_is_newest_by_time_logged(void **state)
{
	static const struct rec recs[] = {
		{ "t", NOW - 50, 0, "a@x.com", NULL, "4.7.0", "middle", NULL, NULL, NULL },
		{ "t", NOW - 10, 0, "a@x.com", NULL, "4.7.0", "newest", NULL, NULL, NULL },
		{ "t", NOW - 90, 0, "a@x.com", NULL, "4.7.0", "oldest, read last", NULL, NULL, NULL },
	};
	struct acct_stats *s = stats_at(NULL, NOW);
	const struct acct_deferral_row *d;
	struct acct_view *v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(recs) / sizeof(recs[0]); i++)
		add(s, &recs[i]);
	v = acct_stats_view(s, NOW);
	d = deferral_row(v, "x.com", "4.7.0");
	assert_non_null(d);
	assert_string_equal(d->last_diag, "newest");
	assert_int_equal(d->last_seen, NOW - 10);
	assert_int_equal(d->count, 3);
	assert_int_equal(d->win_count, 3);
	acct_view_free(v);
	acct_stats_free(s);
}

/* Job rows by jobId; no jobId, no row; rb and tq add nothing to jobs. */
static void
acct_stats_job_rows_by_job_id(void **state)
{
	static const struct rec recs[] = {
		{ "d", NOW, 0, "a@x.com", NULL, NULL, NULL, NULL, "J-1", NULL },
		{ "b", NOW, 0, "a@x.com", "bad-domain", "5.1.2", NULL, NULL, "J-1", NULL },
		{ "t", NOW, 0, "a@x.com", NULL, "4.0.0", NULL, NULL, "J-1", NULL },
		{ "d", NOW, 0, "a@x.com", NULL, NULL, NULL, NULL, "", NULL },
		{ "rb", NOW, 0, "a@x.com", NULL, NULL, NULL, NULL, "J-2", NULL },
		{ "tq", NOW, 0, "", NULL, "4.0.0", NULL, NULL, "J-3", "x.com/v" },
	};
	struct acct_stats *s = stats_at(NULL, NOW);
	const struct acct_job_row *j;
	struct acct_view *v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(recs) / sizeof(recs[0]); i++)
		add(s, &recs[i]);
	v = acct_stats_view(s, NOW);
	assert_int_equal(v->n_jobs, 1);
	j = job_row(v, "J-1");
	assert_int_equal(j->delivered, 1);
	assert_int_equal(j->bounced, 1);
	assert_int_equal(j->hard_bounced, 1);
	assert_int_equal(j->soft_bounced, 0);
	assert_int_equal(j->deferred, 1);
	acct_view_free(v);
	acct_stats_free(s);
}

/* An empty vmta column makes no vmta row; the domain row is still made. */
static void
acct_stats_empty_vmta_makes_no_vmta_row(void **state)
{
	struct rec r = { "d", NOW, NOW - 3, "a@x.com", NULL, NULL, NULL, "", NULL, NULL };
	struct acct_stats *s = stats_at(NULL, NOW);
	struct acct_view *v;

	(void)state;
	add(s, &r);
	v = acct_stats_view(s, NOW);
	assert_int_equal(v->n_vmtas, 0);
	assert_int_equal(v->n_domains, 1);
	acct_view_free(v);
	acct_stats_free(s);
}

/* Latency = timeLogged - timeQueued; negative counts as 0; no timeQueued, no sample. */
static void
acct_stats_latency_samples_only_from_d_with_time_queued(void **state)
{
	static const struct rec recs[] = {
		{ "d", NOW, NOW - 30, "a@x.com", NULL, NULL, NULL, "v", NULL, NULL },
		{ "d", NOW, NOW + 100, "a@x.com", NULL, NULL, NULL, "v", NULL, NULL },
		{ "d", NOW, 0, "a@x.com", NULL, NULL, NULL, "v", NULL, NULL },
		{ "b", NOW, NOW - 9999, "a@x.com", "other", "5.0.0", NULL, "v", NULL, NULL },
		{ "t", NOW, NOW - 9999, "a@x.com", NULL, "4.0.0", NULL, "v", NULL, NULL },
	};
	struct acct_stats *s = stats_at(NULL, NOW);
	const struct acct_entity_row *d;
	struct acct_view *v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(recs) / sizeof(recs[0]); i++)
		add(s, &recs[i]);
	v = acct_stats_view(s, NOW);
	d = domain_row(v, "x.com");
	assert_int_equal(d->latency_count, 2);
	assert_int_equal(d->latency_win_count, 2);
	assert_int_equal(d->p50, 0);
	assert_int_equal(d->p99, 30);
	assert_int_equal(d->max, 30);
	assert_int_equal(vmta_row(v, "v")->latency_count, 2);
	assert_int_equal(v->all.latency_count, 2);
	acct_view_free(v);
	acct_stats_free(s);
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static void
check_close(const char *what, uint32_t got, int64_t want)
{
	int64_t diff = got > want ? got - want : want - got;

	if (diff > 1 && diff * 100 > want * 5)
		fail_msg("%s: got %u, exact nearest rank %lld", what, got, (long long)want);
}

/* Random latencies over the window: p50/p90/p95/p99 within 5% or 1 s of the exact nearest rank. */
static void
acct_stats_latency_percentiles_match_exact_on_random_data(void **state)
{
	enum { N = 30000 };
	struct acct_stats *s = stats_at(NULL, NOW);
	int64_t *lat = malloc(N * sizeof(*lat));
	const struct acct_entity_row *d;
	struct acct_view *v;
	struct acct_window w;
	size_t i;

	(void)state;
	assert_non_null(lat);
	srand(4242);
	for (i = 0; i < N; i++) {
		/* A long tail: most within a minute, some hours late. */
		int64_t l = i % 20 ? rand() % 60 : 600 + rand() % 20000;
		struct rec r = { "d", NOW - rand() % 800, 0, "a@gmail.com", NULL, NULL, NULL, "v", NULL, NULL };

		r.queued = r.logged - l;
		lat[i] = l;
		add(s, &r);
	}
	qsort(lat, N, sizeof(*lat), cmp_i64);
	v = acct_stats_view(s, NOW);
	d = domain_row(v, "gmail.com");
	assert_int_equal(d->latency_win_count, N);
	check_close("p50", d->p50, lat[(N * 50 + 99) / 100 - 1]);
	check_close("p90", d->p90, lat[(N * 90 + 99) / 100 - 1]);
	check_close("p95", d->p95, lat[(N * 95 + 99) / 100 - 1]);
	check_close("p99", d->p99, lat[(N * 99 + 99) / 100 - 1]);
	assert_int_equal(d->max, lat[N - 1]);
	check_close("all p95", v->all.p95, lat[(N * 95 + 99) / 100 - 1]);
	assert_int_equal(acct_stats_window(s, ACCT_SCOPE_DOMAIN, "gmail.com", 900, NOW, &w), 0);
	check_close("window p95", w.p95, lat[(N * 95 + 99) / 100 - 1]);
	acct_view_free(v);
	free(lat);
	acct_stats_free(s);
}

/* Win* columns slide with the wall clock; older records count in totals only; future ones as now. */
static void
acct_stats_window_columns_slide_and_old_records_count_in_totals(void **state)
{
	struct acct_stats *s = stats_at(NULL, NOW);
	const struct acct_entity_row *d;
	struct acct_view *v;
	int i;

	(void)state;
	for (i = 0; i < 10; i++) {
		struct rec r = { "d", NOW - 100, 0, "a@x.com", NULL, NULL, NULL, NULL, NULL, NULL };

		add(s, &r);
	}
	for (i = 0; i < 4; i++) {
		struct rec r = { "b", NOW - 86000, 0, "a@x.com", "bad-mailbox", "5.1.1", NULL, NULL, NULL, NULL };

		add(s, &r);
	}
	{
		struct rec r = { "t", NOW + 5000, 0, "a@x.com", NULL, "4.0.0", NULL, NULL, NULL, NULL };

		add(s, &r);
	}
	v = acct_stats_view(s, NOW);
	d = domain_row(v, "x.com");
	assert_int_equal(d->delivered, 10);
	assert_int_equal(d->bounced, 4);
	assert_int_equal(d->win_delivered, 10);
	assert_int_equal(d->win_bounced, 0);	/* a day old: totals only */
	assert_int_equal(d->win_deferred, 1);	/* from the future: counts as now */
	acct_view_free(v);
	/* 850 s later the deliveries (then 950 s old) have left the 900 s window; the deferral has not. */
	v = acct_stats_view(s, NOW + 850);
	d = domain_row(v, "x.com");
	assert_int_equal(d->delivered, 10);
	assert_int_equal(d->win_delivered, 0);
	assert_int_equal(d->win_deferred, 1);
	acct_view_free(v);
	acct_stats_free(s);
}

/* The configured window is what the view's Win* columns cover. */
static void
acct_stats_configured_window_sets_win_columns(void **state)
{
	struct acct_stats_config c = { .window = 60 };
	struct acct_stats *s = stats_at(&c, NOW);
	struct rec a = { "d", NOW - 30, 0, "a@x.com", NULL, NULL, NULL, NULL, NULL, NULL };
	struct rec b = { "d", NOW - 300, 0, "a@x.com", NULL, NULL, NULL, NULL, NULL, NULL };
	struct acct_view *v;

	(void)state;
	add(s, &a);
	add(s, &b);
	v = acct_stats_view(s, NOW);
	assert_int_equal(v->all.win_delivered, 1);
	assert_int_equal(v->all.delivered, 2);
	acct_view_free(v);
	acct_stats_free(s);
}

/*
 * The horizon bounds what the windows keep: a record older than it counts in
 * the totals only, a rule window is capped at it, and what was kept is let
 * go once the horizon has passed over it.
 */
static void
acct_stats_horizon_bounds_what_windows_keep(void **state)
{
	struct acct_stats_config c = { .window = 300, .horizon = 900 };
	struct acct_stats *s = stats_at(&c, NOW);
	struct acct_stats_config wide = { .window = 300 };	/* horizon: ACCT_WINDOW_MAX */
	struct acct_stats *w = stats_at(&wide, NOW);
	struct rec old = { "d", NOW - 2000, NOW - 2010, "a@x.com", NULL, NULL, NULL, NULL, NULL, NULL };
	struct rec mid = { "d", NOW - 600, NOW - 700, "a@x.com", NULL, NULL, NULL, NULL, NULL, NULL };
	struct acct_window out;
	struct acct_view *v;

	(void)state;
	add(s, &old);
	add(s, &mid);
	add(w, &old);
	add(w, &mid);
	assert_int_equal(acct_stats_window(s, ACCT_SCOPE_DOMAIN, "x.com", 3600, NOW, &out), 0);
	assert_int_equal(out.delivered, 1);	/* capped at the 900 s horizon */
	assert_in_range(out.p95, 95, 105);	/* the histogram's 5% */
	assert_int_equal(acct_stats_window(w, ACCT_SCOPE_DOMAIN, "x.com", 3600, NOW, &out), 0);
	assert_int_equal(out.delivered, 2);
	v = acct_stats_view(s, NOW);
	assert_int_equal(v->all.delivered, 2);	/* the totals have both */
	assert_int_equal(v->all.win_delivered, 0);	/* the 300 s window neither */
	acct_view_free(v);
	/* 400 s on, the horizon has passed the kept record (the view's expiry drops it) */
	v = acct_stats_view(s, NOW + 400);
	acct_view_free(v);
	assert_int_equal(acct_stats_window(s, ACCT_SCOPE_DOMAIN, "x.com", 3600, NOW + 400, &out), 0);
	assert_int_equal(out.delivered, 0);
	/* a horizon below the window is raised to it */
	{
		struct acct_stats_config low = { .window = 600, .horizon = 60 };
		struct acct_stats *l = stats_at(&low, NOW);

		add(l, &mid);
		assert_int_equal(acct_stats_window(l, ACCT_SCOPE_ALL, NULL, 600, NOW, &out), 0);
		assert_int_equal(out.delivered, 1);
		acct_stats_free(l);
	}
	acct_stats_free(w);
	acct_stats_free(s);
}

/* Rates in basis points over the window, with their exact denominators; 0 when a denominator is 0. */
static void
acct_stats_rates_in_basis_points_zero_when_no_denominator(void **state)
{
	static const struct { int d, b, t; uint32_t bounce, deferral; } cases[] = {
		{ 0, 0, 0, 0, 0 },
		{ 0, 0, 5, 0, 10000 },		/* bounce rate: 0/(0+0) */
		{ 97, 3, 0, 300, 0 },
		{ 90, 5, 5, 526, 500 },		/* 5/95, 5/100 */
		{ 0, 4, 0, 10000, 0 },
		{ 2, 1, 0, 3333, 0 },
	};
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct acct_stats *s = stats_at(NULL, NOW);
		struct acct_view *v;
		int i;

		for (i = 0; i < cases[k].d; i++) {
			struct rec r = { "d", NOW - 10, 0, "a@x.com", NULL, NULL, NULL, "v", NULL, NULL };

			add(s, &r);
		}
		for (i = 0; i < cases[k].b; i++) {
			struct rec r = { "b", NOW - 10, 0, "a@x.com", "other", "5.0.0", NULL, "v", NULL, NULL };

			add(s, &r);
		}
		for (i = 0; i < cases[k].t; i++) {
			struct rec r = { "t", NOW - 10, 0, "a@x.com", NULL, "4.0.0", NULL, "v", NULL, NULL };

			add(s, &r);
		}
		/* Old records weigh nothing in the rates. */
		for (i = 0; i < 50; i++) {
			struct rec r = { "b", NOW - 5000, 0, "a@x.com", "other", "5.0.0", NULL, "v", NULL, NULL };

			add(s, &r);
		}
		v = acct_stats_view(s, NOW);
		assert_int_equal(v->all.bounce_rate, cases[k].bounce);
		assert_int_equal(v->all.deferral_rate, cases[k].deferral);
		if (cases[k].d + cases[k].b + cases[k].t) {
			assert_int_equal(domain_row(v, "x.com")->bounce_rate, cases[k].bounce);
			assert_int_equal(vmta_row(v, "v")->deferral_rate, cases[k].deferral);
		}
		acct_view_free(v);
		acct_stats_free(s);
	}
}

/* A full table refuses new keys (counted per table), keeps counting known ones. */
static void
acct_stats_max_rows_refuses_new_keys_and_counts_them(void **state)
{
	struct acct_stats_config c = { .max_rows = 3 };
	struct acct_stats *s = stats_at(&c, NOW);
	struct acct_view *v;
	char rcpt[64];
	int i;

	(void)state;
	for (i = 0; i < 10; i++) {
		struct rec r = { "d", NOW, 0, rcpt, NULL, NULL, NULL, "v", NULL, NULL };

		snprintf(rcpt, sizeof(rcpt), "u@d%d.com", i);
		add(s, &r);
	}
	{
		struct rec r = { "d", NOW, 0, "u@D0.com", NULL, NULL, NULL, "v", NULL, NULL };

		add(s, &r);
	}
	v = acct_stats_view(s, NOW);
	assert_int_equal(v->n_domains, 3);
	assert_int_equal(v->refused[ACCT_TAB_DOMAIN], 7);
	assert_int_equal(v->refused[ACCT_TAB_VMTA], 0);
	assert_int_equal(v->rows_dropped, 7);
	assert_int_equal(domain_row(v, "d0.com")->delivered, 2);
	assert_int_equal(v->all.delivered, 11);	/* the instance row is not a table row */
	acct_view_free(v);
	acct_stats_free(s);
}

/* A full table is logged at most once a minute per table, whatever the number of refusals. */
static void
acct_stats_table_full_logged_once_a_minute_per_table(void **state)
{
	struct acct_stats_config c = { .max_rows = 1 };
	struct acct_stats *s = stats_at(&c, NOW);
	char rcpt[64], vmta[16];
	int i;

	(void)state;
	log_lines = 0;
	for (i = 0; i < 100; i++) {
		struct rec r = { "d", NOW, 0, rcpt, NULL, NULL, NULL, vmta, NULL, NULL };

		snprintf(rcpt, sizeof(rcpt), "u@d%d.com", i);
		snprintf(vmta, sizeof(vmta), "v%d", i);
		acct_stats_set_now(s, NOW + i);	/* 100 s: two minutes' worth of messages */
		add(s, &r);
	}
	/* domain and VirtualMTA tables: at NOW+1 and NOW+61 each. */
	assert_int_equal(log_lines, 4);
	assert_non_null(strstr(log_last, "VirtualMTA table full"));
	assert_non_null(strstr(log_last, "(61 so far)"));
	acct_stats_free(s);
}

/*
 * acct_stats_memory() counts what each table holds: a deferral row carries
 * its texts but no counters, so it is smaller than its domain's row even
 * with a longer key and a diagnostic; dropped rows give their bytes back.
 */
static void
acct_stats_memory_by_table(void **state)
{
	static const char diag[] = "451 4.2.1 try again later";
	struct acct_stats *s = stats_at(NULL, NOW);
	struct rec t = { "t", NOW, 0, "a@ex.com", NULL, "4.2.1", diag, "v1", "j1", NULL };
	struct acct_memory m;
	struct acct_view *v;

	(void)state;
	acct_stats_memory(s, &m);
	assert_int_equal(m.rows[ACCT_TAB_DOMAIN], 0);
	assert_int_equal(m.row_bytes[ACCT_TAB_DOMAIN], 0);
	assert_int_equal(m.followed_bytes, 0);
	add(s, &t);
	acct_stats_memory(s, &m);
	assert_int_equal(m.rows[ACCT_TAB_DOMAIN], 1);
	assert_int_equal(m.rows[ACCT_TAB_VMTA], 1);
	assert_int_equal(m.rows[ACCT_TAB_JOB], 1);
	assert_int_equal(m.rows[ACCT_TAB_DEFERRAL], 1);
	assert_int_equal(m.rows[ACCT_TAB_REJECTION], 0);
	assert_true(m.row_bytes[ACCT_TAB_DEFERRAL] >= sizeof("ex.com") + sizeof("4.2.1") + sizeof(diag));
	assert_true(m.row_bytes[ACCT_TAB_DEFERRAL] < m.row_bytes[ACCT_TAB_DOMAIN]);
	assert_true(m.window_bytes[ACCT_TAB_DOMAIN] > 0);	/* one open slice */
	assert_true(m.slot_bytes[ACCT_TAB_DOMAIN] > 0);
	assert_true(m.followed_bytes > 0);	/* the deferred recipient */
	/* A week on, the recipient is given up (5 days) and every row, idle, goes. */
	v = acct_stats_view(s, NOW + 7 * 86400);
	acct_view_free(v);
	acct_stats_memory(s, &m);
	assert_int_equal(m.rows[ACCT_TAB_DOMAIN], 0);
	assert_int_equal(m.row_bytes[ACCT_TAB_DOMAIN], 0);
	assert_int_equal(m.row_bytes[ACCT_TAB_DEFERRAL], 0);
	assert_int_equal(m.window_bytes[ACCT_TAB_DOMAIN], 0);
	acct_stats_free(s);
}

/* Rows without a record for idle_drop seconds go at the next view, counted; others stay. */
static void
acct_stats_idle_rows_dropped_after_a_day(void **state)
{
	/* old.com's deferred recipient is given up after an hour: it pins the row no longer. */
	static const struct acct_stats_config c = { .pending_horizon = 3600 };
	struct acct_stats *s = stats_at(&c, NOW);
	struct rec old = { "t", NOW - 3600, 0, "a@old.com", NULL, "4.0.0", "x", "vold", "jold", NULL };
	struct rec young = { "b", NOW + 40000, 0, "a@young.com", "bad-domain", "5.1.2", NULL, "vy", "jy", NULL };
	struct acct_view *v;

	(void)state;
	add(s, &old);
	acct_stats_set_now(s, NOW + 40000);
	add(s, &young);
	v = acct_stats_view(s, NOW + 86400);	/* exactly a day since old.com's record arrived */
	assert_int_equal(v->n_domains, 2);
	assert_int_equal(v->rows_dropped, 0);
	acct_view_free(v);
	log_lines = 0;
	v = acct_stats_view(s, NOW + 86401);
	assert_int_equal(log_lines, 4);	/* one line per table that lost rows */
	assert_int_equal(v->n_domains, 1);
	assert_non_null(domain_row(v, "young.com"));
	assert_int_equal(v->n_vmtas, 1);
	assert_int_equal(v->n_jobs, 1);
	assert_int_equal(v->n_deferrals, 0);
	assert_int_equal(v->n_bounces, 1);
	assert_int_equal(v->aged[ACCT_TAB_DOMAIN], 1);
	assert_int_equal(v->aged[ACCT_TAB_VMTA], 1);
	assert_int_equal(v->aged[ACCT_TAB_JOB], 1);
	assert_int_equal(v->aged[ACCT_TAB_DEFERRAL], 1);
	assert_int_equal(v->rows_dropped, 4);
	assert_int_equal(v->all.deferred, 1);	/* totals of the instance stay */
	acct_view_free(v);
	/* A dropped key comes back as a new row from zero. */
	acct_stats_set_now(s, NOW + 90000);
	add(s, &old);
	assert_int_equal(acct_stats_window(s, ACCT_SCOPE_DOMAIN, "old.com", 60, NOW + 90000, &(struct acct_window){ 0 }), 0);
	v = acct_stats_view(s, NOW + 90000);
	assert_int_equal(domain_row(v, "old.com")->deferred, 1);
	acct_view_free(v);
	acct_stats_free(s);
}

/* The alarm engine's query: any window up to 3600 s, per instance, domain or vmta; -1 for no row. */
static void
acct_stats_window_query_up_to_an_hour(void **state)
{
	struct acct_stats *s = stats_at(NULL, NOW);
	struct acct_window w = { 99, 99, 99, 99, 99, 99, 99, 99, 99 };
	int i;

	(void)state;
	/* One delivery a minute for 2 hours, one hard bounce every 10 minutes. */
	for (i = 0; i < 120; i++) {
		struct rec d = { "d", NOW - 7200 + 60 * i + 30, NOW - 7200 + 60 * i, "a@gmail.com", NULL,
		    NULL, NULL, "v1", NULL, NULL };

		add(s, &d);
		if (i % 10 == 0) {
			struct rec b = { "b", d.logged, 0, "a@gmail.com", "bad-mailbox", "5.1.1", NULL, "v1",
			    NULL, NULL };

			add(s, &b);
		}
	}
	assert_int_equal(acct_stats_window(s, ACCT_SCOPE_DOMAIN, "gmail.com", 3600, NOW, &w), 0);
	assert_int_equal(w.delivered, 60);
	assert_int_equal(w.bounced, 6);
	assert_int_equal(w.hard_bounced, 6);
	assert_int_equal(w.deferred, 0);
	assert_int_equal(w.p95, 30);
	assert_int_equal(acct_stats_window(s, ACCT_SCOPE_VMTA, "v1", 600, NOW, &w), 0);
	assert_int_equal(w.delivered, 10);
	assert_int_equal(w.bounced, 1);
	/* Longer than an hour is capped to an hour. */
	assert_int_equal(acct_stats_window(s, ACCT_SCOPE_ALL, NULL, 7200, NOW, &w), 0);
	assert_int_equal(w.delivered, 60);
	memset(&w, 0x5a, sizeof(w));
	assert_int_equal(acct_stats_window(s, ACCT_SCOPE_DOMAIN, "nowhere.example", 600, NOW, &w), -1);
	assert_int_equal(acct_stats_window(s, ACCT_SCOPE_DOMAIN, NULL, 600, NOW, &w), -1);
	assert_int_equal(acct_stats_window(s, 7, "gmail.com", 600, NOW, &w), -1);
	assert_int_equal(w.delivered, 0x5a5a5a5a5a5a5a5aull);	/* untouched on failure */
	acct_stats_free(s);
}

/* The view owns its strings: it outlives the statistics and further records. */
static void
acct_stats_view_is_self_contained(void **state)
{
	struct acct_stats *s = stats_at(NULL, NOW);
	struct rec r = { "t", NOW, 0, "a@x.com", NULL, "4.7.0", "smtp;421 try later", "v1", "j", NULL };
	struct acct_view *v;
	const char *names[4];

	(void)state;
	add(s, &r);
	assert_int_equal(acct_stats_names(s, ACCT_SCOPE_DOMAIN, NULL, 0), 1);
	assert_int_equal(acct_stats_names(s, ACCT_SCOPE_VMTA, names, 4), 1);
	assert_string_equal(names[0], "v1");
	v = acct_stats_view(s, NOW);
	acct_stats_free(s);
	assert_string_equal(v->domains[0].name, "x.com");
	assert_string_equal(v->vmtas[0].name, "v1");
	assert_string_equal(v->jobs[0].name, "j");
	assert_string_equal(v->deferrals[0].domain, "x.com");
	assert_string_equal(v->deferrals[0].status, "4.7.0");
	assert_string_equal(v->deferrals[0].last_diag, "smtp;421 try later");
	acct_view_free(v);
	acct_view_free(NULL);
	acct_stats_free(NULL);
}

/* Hostile sizes: names are cut to ACCT_NAME_MAX, statuses to 16 bytes. */
static void
acct_stats_long_names_are_capped(void **state)
{
	char *rcpt = malloc(5000), *status = malloc(100);
	struct acct_stats *s = stats_at(NULL, NOW);
	struct acct_view *v;

	(void)state;
	memset(rcpt, 'A', 4999);
	rcpt[0] = 'u';
	rcpt[1] = '@';
	rcpt[4999] = '\0';
	memset(status, '4', 99);
	status[99] = '\0';
	{
		struct rec r = { "t", NOW, 0, rcpt, NULL, status, NULL, rcpt, rcpt, NULL };

		add(s, &r);
	}
	v = acct_stats_view(s, NOW);
	assert_int_equal(strlen(v->domains[0].name), ACCT_NAME_MAX);
	assert_int_equal(v->domains[0].name[0], 'a');
	assert_int_equal(strlen(v->vmtas[0].name), ACCT_NAME_MAX);
	assert_int_equal(strlen(v->deferrals[0].status), 16);
	acct_view_free(v);
	acct_stats_free(s);
	free(rcpt);
	free(status);
}

/*
 * Final disposition: a recipient deferred (t) is followed until a d or b
 * record with the same rcpt (any case), orig, timeQueued, envId and jobId
 * resolves it, in the rows of its first deferral; one never resolved is
 * pending; rb after d counts where the d did.
 */
static void
acct_stats_deferrals_followed_to_final_disposition(void **state)
{
	struct acct_stats *s = stats_at(NULL, NOW);
	struct rec t1 = { "t", NOW - 600, NOW - 700, "a@x.com", NULL, "4.2.1", "x", "v1", "j", "x.com/v1" };
	struct rec d1 = { "d", NOW - 300, NOW - 700, "A@X.com", NULL, "2.0.0", NULL, "v1", "j", "x.com/v1" };
	struct rec t2 = { "t", NOW - 500, NOW - 700, "b@x.com", NULL, "4.2.1", "x", "v1", "j", "x.com/v1" };
	struct rec b2 = { "b", NOW - 100, NOW - 700, "b@x.com", "message-expired", "5.4.7", NULL, "v1", "j", "x.com/v1" };
	struct rec t3 = { "t", NOW - 400, NOW - 700, "c@x.com", NULL, "4.2.1", "x", "v2", "j", "x.com/v2" };
	/* Same recipient, another message (timeQueued): not the one deferred. */
	struct rec d3 = { "d", NOW - 50, NOW - 900, "c@x.com", NULL, "2.0.0", NULL, "v2", "j", "x.com/v2" };
	struct rec rb = { "rb", NOW - 10, 0, "a@x.com", "bad-mailbox", "5.1.1", NULL, NULL, NULL, NULL };
	const struct acct_entity_row *d;
	struct acct_window w;
	struct acct_view *v;

	(void)state;
	orig_field = "s@bounce.example";
	add(s, &t1);
	add(s, &t1);	/* retried: still one recipient, first deferred at NOW - 600 */
	add(s, &t2);
	add(s, &t3);
	add(s, &d1);
	add(s, &b2);
	add(s, &d3);
	add(s, &rb);
	orig_field = NULL;
	v = acct_stats_view(s, NOW);
	d = domain_row(v, "x.com");
	assert_int_equal(d->deferred, 4);
	assert_int_equal(d->deferred_delivered, 1);
	assert_int_equal(d->deferred_bounced, 1);
	assert_int_equal(d->pending, 1);
	assert_int_equal(d->deferred_given_up, 0);
	assert_int_equal(d->delivered_remote_bounced, 1);
	assert_int_equal(d->win_resolved, 2);
	assert_int_equal(d->resolved_delivered_share, 5000);
	assert_int_equal(d->resolve_p50, 300);	/* a: 300 s, b: 400 s after the first deferral */
	assert_int_equal(d->resolve_p95, 400);
	assert_int_equal(vmta_row(v, "v1")->pending, 0);
	assert_int_equal(vmta_row(v, "v2")->pending, 1);
	assert_int_equal(queue_row(v, "x.com/v1")->e.deferred_delivered, 1);
	assert_int_equal(queue_row(v, "x.com/v1")->e.delivered_remote_bounced, 1);
	assert_int_equal(queue_row(v, "x.com/v2")->e.pending, 1);
	assert_int_equal(v->pending, 1);
	assert_int_equal(v->all.deferred_delivered, 1);
	assert_int_equal(v->all.delivered_remote_bounced, 1);
	acct_view_free(v);
	assert_int_equal(acct_stats_window(s, ACCT_SCOPE_VMTA, "v2", 900, NOW, &w), 0);
	assert_int_equal(w.pending, 1);
	assert_int_equal(acct_stats_window(s, ACCT_SCOPE_DOMAIN, "x.com", 900, NOW, &w), 0);
	assert_int_equal(w.resolved_delivered, 1);
	assert_int_equal(w.resolved_bounced, 1);
	assert_int_equal(acct_window_resolved_delivered_share(&w), 5000);
	acct_stats_free(s);
}

/* At pmtaMaxPending the oldest deferred recipient is given up, and past the horizon every older one. */
static void
acct_stats_pending_cap_and_horizon_give_up_counted(void **state)
{
	static const struct acct_stats_config c = { .max_pending = 2, .pending_horizon = 7200 };
	struct acct_stats *s = stats_at(&c, NOW);
	struct rec t = { "t", 0, NOW - 9000, NULL, NULL, "4.2.1", "x", "v1", NULL, NULL };
	static const char *const rcpt[] = { "a@y.com", "b@y.com", "c@y.com" };
	struct rec d = { "d", NOW, NOW - 9000, "a@y.com", NULL, "2.0.0", NULL, "v1", NULL, NULL };
	struct acct_view *v;
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		t.rcpt = rcpt[i];
		t.logged = NOW - 8000 + 1000 * (int64_t)i;
		add(s, &t);
	}
	add(s, &d);	/* a@y.com was given up at the cap: not resolved any more */
	v = acct_stats_view(s, NOW);	/* cutoff NOW - 7200: b@y.com (NOW - 7000) stays */
	assert_int_equal(domain_row(v, "y.com")->deferred_given_up, 1);
	assert_int_equal(domain_row(v, "y.com")->deferred_delivered, 0);
	assert_int_equal(domain_row(v, "y.com")->pending, 2);
	assert_int_equal(v->pending_given_up, 1);
	acct_view_free(v);
	v = acct_stats_view(s, NOW + 500);	/* cutoff NOW - 6700: b@y.com goes, c@y.com stays */
	assert_int_equal(domain_row(v, "y.com")->deferred_given_up, 2);
	assert_int_equal(domain_row(v, "y.com")->pending, 1);
	assert_int_equal(vmta_row(v, "v1")->pending, 1);
	assert_int_equal(v->pending, 1);
	assert_int_equal(v->pending_given_up, 2);
	assert_int_equal(v->all.deferred_given_up, 2);
	acct_view_free(v);
	acct_stats_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(acct_stats_types_fill_their_columns_only),
		cmocka_unit_test(acct_stats_complaints_by_domain_vmta_job_and_type),
		cmocka_unit_test(acct_stats_complaint_types_capped_and_bounded),
		cmocka_unit_test(acct_stats_domain_is_after_last_at_one_row_per_spelling),
		cmocka_unit_test(acct_stats_custom_hard_list_splits_bounces),
		cmocka_unit_test(acct_stats_default_hard_list_is_the_four_categories),
		cmocka_unit_test(acct_stats_deferrals_keyed_by_rcpt_or_queue_domain),
		cmocka_unit_test(acct_stats_rejections_keyed_by_domain_and_status),
		cmocka_unit_test(acct_stats_rejection_table_is_bounded_by_max_rows),
		cmocka_unit_test(acct_stats_last_diag_is_newest_by_time_logged),
		cmocka_unit_test(acct_stats_job_rows_by_job_id),
		cmocka_unit_test(acct_stats_empty_vmta_makes_no_vmta_row),
		cmocka_unit_test(acct_stats_latency_samples_only_from_d_with_time_queued),
		cmocka_unit_test(acct_stats_latency_percentiles_match_exact_on_random_data),
		cmocka_unit_test(acct_stats_window_columns_slide_and_old_records_count_in_totals),
		cmocka_unit_test(acct_stats_configured_window_sets_win_columns),
		cmocka_unit_test(acct_stats_horizon_bounds_what_windows_keep),
		cmocka_unit_test(acct_stats_rates_in_basis_points_zero_when_no_denominator),
		cmocka_unit_test(acct_stats_max_rows_refuses_new_keys_and_counts_them),
		cmocka_unit_test(acct_stats_table_full_logged_once_a_minute_per_table),
		cmocka_unit_test(acct_stats_memory_by_table),
		cmocka_unit_test(acct_stats_idle_rows_dropped_after_a_day),
		cmocka_unit_test(acct_stats_window_query_up_to_an_hour),
		cmocka_unit_test(acct_stats_view_is_self_contained),
		cmocka_unit_test(acct_stats_long_names_are_capped),
		cmocka_unit_test(acct_stats_queues_by_queue_column_and_route),
		cmocka_unit_test(acct_stats_long_queue_names_are_cut),
		cmocka_unit_test(acct_stats_deferrals_followed_to_final_disposition),
		cmocka_unit_test(acct_stats_pending_cap_and_horizon_give_up_counted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
