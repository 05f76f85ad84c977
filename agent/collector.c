#include "config.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acct_reader.h"
#include "acct_stats.h"
#include "base.h"
#include "collector.h"
#include "log.h"
#include "pmta_poller.h"
#include "snapshot.h"

#define COLLECTOR_IDLE_MS 500		/* new accounting lines are seen within this */
#define COLLECTOR_BUILD_MIN_S 1		/* at most one snapshot a second while busy */
#define COLLECTOR_REFRESH_S 5		/* rebuild this often so windows slide */
#define COLLECTOR_READ_BUDGET (8u << 20)	/* bytes read between checks */
#define COLLECTOR_CATCHUP_HIDE_S 60	/* tables hidden at most this long at start */

struct collector {
	unsigned index;
	char *name;
	char *public_url;
	struct pmta_poller *poller;
	struct acct_reader *reader;
	struct acct_stats *stats;

	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	struct pmta_result *api_new;	/* from the poller, not yet seen (lock) */
	struct snap_instance *pending;	/* built, not yet taken (lock) */

	struct pmta_result *api;	/* the collector thread's current one */
	/*
	 * The files of the last 24 hours are read again at start. Until that
	 * backlog is read (settled) nothing is published, for at most
	 * COLLECTOR_CATCHUP_HIDE_S (from started_ms): a manager sees no counter
	 * half-way back, which it would take for traffic. A snapshot built
	 * before it settles moves the counters' start (counters_*, ms) to when
	 * it was built.
	 */
	bool settled;
	int64_t started_ms;
	int64_t counters_wall_ms, counters_ms;
	struct rule_set *rules;		/* accounting-based thresholds of this instance (lock) */
	void (*notify)(void *);
	void *notify_arg;
};

/* What the collector needs of a rate or latency threshold. */
struct rule {
	char *name;
	enum cfg_metric metric;
	enum cfg_scope_kind scope;
	char *scope_name;	/* NULL: every row */
	unsigned window;
};

/*
 * Shared between a reload on the main thread and an evaluation on the
 * collector thread: the evaluation holds a reference instead of the lock,
 * so a long domain:* pass never makes the SNMP thread wait.
 */
struct rule_set {
	unsigned refs;		/* under the collector's lock */
	size_t n;
	struct rule r[];
};

static void
rule_set_free(struct rule_set *rs)
{
	size_t i;

	if (!rs)
		return;
	for (i = 0; i < rs->n; i++) {
		free(rs->r[i].name);
		free(rs->r[i].scope_name);
	}
	free(rs);
}

static void
rule_set_unref(struct collector *col, struct rule_set *rs)
{
	bool last;

	pthread_mutex_lock(&col->lock);
	last = rs && --rs->refs == 0;
	pthread_mutex_unlock(&col->lock);
	if (last)
		rule_set_free(rs);
}

void
collector_set_rules(struct collector *col, const struct cfg *c)
{
	struct rule_set *rs = calloc(1, sizeof(*rs) + c->n_th * sizeof(rs->r[0]));
	struct rule_set *old;
	size_t i;

	if (!rs)
		return;
	rs->refs = 1;
	for (i = 0; i < c->n_th; i++) {
		const struct cfg_threshold *th = &c->th[i];

		if (!cfg_metric_is_acct(th->metric) || (th->instance && strcmp(th->instance, col->name) != 0))
			continue;
		rs->r[rs->n].name = strdup(th->rule);
		rs->r[rs->n].metric = th->metric;
		rs->r[rs->n].scope = th->scope;
		rs->r[rs->n].scope_name = th->scope_name ? strdup(th->scope_name) : NULL;
		rs->r[rs->n].window = th->window ? th->window : c->stats_window;
		if (!rs->r[rs->n].name || (th->scope_name && !rs->r[rs->n].scope_name)) {
			rs->n++;
			rule_set_free(rs);
			return;
		}
		rs->n++;
	}
	pthread_mutex_lock(&col->lock);
	old = col->rules;
	col->rules = rs;
	pthread_mutex_unlock(&col->lock);
	rule_set_unref(col, old);
}

static int
metric_push(struct snap_metric **m, size_t *n, size_t *cap, const char *rule, const char *kind,
	    const char *name, const struct acct_window *w, enum cfg_metric metric)
{
	struct snap_metric *e;
	/* A rate's samples are its denominator's events: deliveries for complaints. */
	uint64_t attempts = metric == CFG_METRIC_COMPLAINT_RATE ? w->delivered :
	    w->delivered + w->bounced + w->deferred;
	size_t len = strlen(kind) + (name ? strlen(name) + 1 : 0) + 1;
	size_t rule_len = strlen(rule) + 1;

	e = base_grow(*m, cap, *n + 1, sizeof(**m), 8, SIZE_MAX / sizeof(**m));
	if (!e)
		return -1;
	*m = e;
	e = &(*m)[*n];
	/*
	 * The snapshot outlives the rule set (a reload may free it before the
	 * main thread takes the snapshot), so it keeps its own copy of the
	 * rule name, in the subject's allocation.
	 */
	e->subject = malloc(len + rule_len);
	if (!e->subject)
		return -1;
	snprintf(e->subject, len, name ? "%s:%s" : "%s", kind, name);
	e->rule = memcpy(e->subject + len, rule, rule_len);
	e->samples = attempts;
	switch (metric) {
	case CFG_METRIC_BOUNCE_RATE:
		e->value = acct_window_bounce_rate(w);
		break;
	case CFG_METRIC_HARD_BOUNCE_RATE:
		e->value = acct_window_hard_bounce_rate(w);
		break;
	case CFG_METRIC_DEFERRAL_RATE:
		e->value = acct_window_deferral_rate(w);
		break;
	case CFG_METRIC_COMPLAINT_RATE:
		e->value = acct_window_complaint_rate(w);
		break;
	case CFG_METRIC_PENDING_RCPT:
		e->value = w->pending;	/* now, not over the window */
		break;
	default:
		e->value = w->p95;
		break;
	}
	(*n)++;
	return 0;
}

/*
 * The values of the rate and latency thresholds, over each rule's own
 * window: they need the statistics, which live on this thread.
 */
static void
metrics_compute(struct collector *col, struct snap_source *src)
{
	struct snap_metric *m = NULL;
	size_t n = 0, cap = 0, i;
	const char **names = NULL;
	size_t n_names = 0;
	struct rule_set *rs;

	pthread_mutex_lock(&col->lock);
	rs = col->rules;
	if (rs)
		rs->refs++;
	pthread_mutex_unlock(&col->lock);
	for (i = 0; rs && i < rs->n; i++) {
		const struct rule *r = &rs->r[i];
		enum acct_scope sc = r->scope == CFG_SCOPE_DOMAIN ? ACCT_SCOPE_DOMAIN :
		    r->scope == CFG_SCOPE_VMTA ? ACCT_SCOPE_VMTA :
		    r->scope == CFG_SCOPE_QUEUE ? ACCT_SCOPE_QUEUE : ACCT_SCOPE_ALL;
		const char *kind = sc == ACCT_SCOPE_DOMAIN ? "domain" :
		    sc == ACCT_SCOPE_QUEUE ? "queue" : "vmta";
		struct acct_window w;
		size_t k;

		if (sc == ACCT_SCOPE_ALL) {
			if (acct_stats_window(col->stats, sc, NULL, r->window, src->now, &w) == 0)
				metric_push(&m, &n, &cap, r->name, "instance", NULL, &w, r->metric);
		} else if (r->scope_name) {
			/* A domain's or queue's scope_name is already its row key (cfg.c). */
			if (acct_stats_window(col->stats, sc, r->scope_name, r->window, src->now,
			    &w) == 0)
				metric_push(&m, &n, &cap, r->name, kind, r->scope_name, &w, r->metric);
		} else {
			n_names = acct_stats_names(col->stats, sc, NULL, 0);
			free(names);
			names = malloc(sizeof(*names) * (n_names ? n_names : 1));
			if (!names)
				break;
			n_names = acct_stats_names(col->stats, sc, names, n_names);
			for (k = 0; k < n_names; k++)
				/* A row with recipients pending has a value even when quiet. */
				if (acct_stats_window(col->stats, sc, names[k], r->window, src->now, &w) == 0 &&
				    (w.delivered + w.bounced + w.deferred > 0 ||
				    (r->metric == CFG_METRIC_PENDING_RCPT && w.pending > 0)))
					metric_push(&m, &n, &cap, r->name, kind, names[k], &w, r->metric);
		}
	}
	rule_set_unref(col, rs);
	free(names);
	src->metrics = m;
	src->n_metrics = n;
}

static void
on_record(void *arg, const struct acct_record *r)
{
	acct_stats_add(arg, r);
}

static void
on_pmta_result(void *arg, struct pmta_result *r)
{
	struct collector *col = arg;

	pthread_mutex_lock(&col->lock);
	pmta_result_unref(col->api_new);
	col->api_new = r;
	pthread_cond_signal(&col->wake);
	pthread_mutex_unlock(&col->lock);
}

struct collector *
collector_new(unsigned index, const struct cfg *c, const struct cfg_instance *ci,
	      void (*notify)(void *), void *notify_arg)
{
	struct collector *col = calloc(1, sizeof(*col));

	if (!col)
		return NULL;
	col->index = index;
	col->counters_wall_ms = wall_now_ms();
	col->counters_ms = col->started_ms = mono_now_ms();
	col->notify = notify;
	col->notify_arg = notify_arg;
	pthread_mutex_init(&col->lock, NULL);
	base_cond_init(&col->wake);
	col->name = strdup(ci->name);
	col->public_url = strdup(ci->public_url);
	col->poller = pmta_poller_new(c, ci, on_pmta_result, col);
	if (!col->name || !col->public_url || !col->poller)
		goto fail;
	if (ci->acct_glob) {
		struct acct_stats_config sc = {
			.hard_categories = (const char *const *)c->hard_cats,
			.n_hard = c->n_hard_cats,
			.window = c->stats_window,
			.horizon = cfg_stats_horizon(c, ci->name),
			.max_rows = c->max_rows,
			.idle_drop = 86400,
			.max_pending = c->max_pending,
		};
		struct acct_tail_opts to = {
			.max_line = 65536,
			.start_age = 86400,
		};

		if (c->n_hard_cats == 0)
			sc.hard_categories = NULL;
		col->stats = acct_stats_new(&sc);
		if (!col->stats)
			goto fail;
		col->reader = acct_reader_new(ci->name, ci->acct_glob, &to, on_record, col->stats);
		if (!col->reader)
			goto fail;
	}
	collector_set_rules(col, c);
	return col;
fail:
	log_errx("instance %s: cannot set up its collector", ci->name);
	collector_free(col);
	return NULL;
}

/*
 * A snapshot built while the backlog is read moves the counters' start to
 * now: at least a tenth of a second on, so that two such snapshots never
 * share a DateAndTime (tenths) and a manager sees every jump.
 */
static void
counters_jumped(struct collector *col)
{
	int64_t wall = wall_now_ms(), mono = mono_now_ms();

	col->counters_wall_ms = wall > col->counters_wall_ms + 100 ? wall : col->counters_wall_ms + 100;
	col->counters_ms = mono > col->counters_ms + 100 ? mono : col->counters_ms + 100;
}

static void
publish(struct collector *col)
{
	struct snap_source src = {
		.index = col->index,
		.name = col->name,
		.public_url = col->public_url,
		.api = col->api,
		.acct_configured = col->reader != NULL,
		.now = (int64_t)time(NULL),
	};
	struct snap_instance *s;

	/*
	 * A snapshot the SNMP thread has not taken yet is replaced by this one
	 * anyway: freed first, so that at most two (the published one and this)
	 * are alive at once, not three.
	 */
	pthread_mutex_lock(&col->lock);
	s = col->pending;
	col->pending = NULL;
	pthread_mutex_unlock(&col->lock);
	snapshot_free(s);
	if (!col->settled)
		counters_jumped(col);
	src.counters_wall_ms = col->counters_wall_ms;
	src.counters_ms = col->counters_ms;
	/*
	 * The snapshot the SNMP thread freed last leaves its pages in glibc's
	 * arenas as free chunks (with 100,000 domains, 435 MB RSS of which
	 * 160 MB free): give them back before building the next one.
	 */
	malloc_trim(0);
	if (col->reader) {
		metrics_compute(col, &src);
		src.acct = acct_stats_view(col->stats, src.now);
		src.acct_records = acct_reader_records(col->reader);
		src.acct_malformed = acct_reader_malformed(col->reader);
		src.acct_last_record = acct_reader_last_record_time(col->reader);
	}
	s = snapshot_build(&src);
	if (!s) {
		log_errx("instance %s: out of memory building its tables", col->name);
		return;
	}
	pthread_mutex_lock(&col->lock);
	snapshot_free(col->pending);	/* none: only this thread sets it */
	col->pending = s;
	pthread_mutex_unlock(&col->lock);
	col->notify(col->notify_arg);
}

static void *
collector_run(void *arg)
{
	struct collector *col = arg;
	struct timespec last_build = { 0 };
	bool dirty = true;

	for (;;) {
		struct timespec now, until;
		long read = 0;
		bool stop;

		if (col->reader) {
			acct_stats_set_now(col->stats, (int64_t)time(NULL));
			read = acct_reader_poll(col->reader, COLLECTOR_READ_BUDGET);
			if (read > 0)
				dirty = true;
		}
		pthread_mutex_lock(&col->lock);
		if (col->api_new) {
			pmta_result_unref(col->api);
			col->api = col->api_new;
			col->api_new = NULL;
			dirty = true;
		}
		stop = col->stop;
		pthread_mutex_unlock(&col->lock);
		if (stop)
			break;

		clock_gettime(CLOCK_MONOTONIC, &now);
		if (!col->settled && read > 0 &&
		    mono_now_ms() - col->started_ms < COLLECTOR_CATCHUP_HIDE_S * 1000)
			continue;	/* the start-up backlog: publish once it is read */
		if (col->api && ((dirty && now.tv_sec - last_build.tv_sec >= COLLECTOR_BUILD_MIN_S) ||
		    now.tv_sec - last_build.tv_sec >= COLLECTOR_REFRESH_S ||
		    (dirty && read <= 0))) {
			publish(col);
			last_build = now;
			dirty = false;
		}
		if (read > 0)
			continue;	/* a backlog: keep reading */
		/* Everything read is published (or nothing was): counting from here on. */
		if (!dirty)
			col->settled = true;

		base_deadline(&until, COLLECTOR_IDLE_MS);
		pthread_mutex_lock(&col->lock);
		while (!col->stop && !col->api_new &&
		    pthread_cond_timedwait(&col->wake, &col->lock, &until) != ETIMEDOUT)
			;
		pthread_mutex_unlock(&col->lock);
	}
	return NULL;
}

int
collector_start(struct collector *col)
{
	int rc = pthread_create(&col->thread, NULL, collector_run, col);

	if (rc != 0) {
		log_emit(LOG_ERR, rc, "instance %s: cannot start collector", col->name);
		return -1;
	}
	col->started = true;
	return pmta_poller_start(col->poller);
}

void
collector_free(struct collector *col)
{
	if (!col)
		return;
	/* The poller first: it publishes into this collector. */
	pmta_poller_free(col->poller);
	if (col->started) {
		pthread_mutex_lock(&col->lock);
		col->stop = true;
		pthread_cond_signal(&col->wake);
		pthread_mutex_unlock(&col->lock);
		pthread_join(col->thread, NULL);
	}
	acct_reader_free(col->reader);
	acct_stats_free(col->stats);
	pmta_result_unref(col->api);
	pmta_result_unref(col->api_new);
	snapshot_free(col->pending);
	rule_set_free(col->rules);
	pthread_mutex_destroy(&col->lock);
	pthread_cond_destroy(&col->wake);
	free(col->name);
	free(col->public_url);
	free(col);
}

struct snap_instance *
collector_take(struct collector *col)
{
	struct snap_instance *s;

	pthread_mutex_lock(&col->lock);
	s = col->pending;
	col->pending = NULL;
	pthread_mutex_unlock(&col->lock);
	return s;
}
