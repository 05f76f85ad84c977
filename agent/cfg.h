/*
 * The agent's configuration, and the pure parser of its directives.
 *
 * net-snmp's config API reads pmta-monitor.conf and hands each directive to
 * cfg_parse(); this module knows nothing of net-snmp, files or logging, so the
 * whole syntax is tested directly. Errors come back as one line of text that
 * the caller prefixes with file:line.
 */
#ifndef PMTA_CFG_H
#define PMTA_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CFG_MAX_INSTANCES 64
#define CFG_MAX_THRESHOLDS 256
#define CFG_MAX_HARD_CATS 64
#define CFG_ERR_MAX 256

enum cfg_metric {
	CFG_METRIC_QUEUED_RCPT = 1,
	CFG_METRIC_BOUNCE_RATE,
	CFG_METRIC_HARD_BOUNCE_RATE,
	CFG_METRIC_DEFERRAL_RATE,
	CFG_METRIC_LATENCY_P95,
	CFG_METRIC_CONN_UTILIZATION,
	CFG_METRIC_API_DOWN,
	CFG_METRIC_ACCT_STALLED,
	CFG_METRIC_COMPLAINT_RATE,	/* appended: the numbers above are kept */
	CFG_METRIC_PENDING_RCPT,	/* deferred recipients not resolved yet (a count) */
	CFG_METRIC_LAST = CFG_METRIC_PENDING_RCPT,
	/*
	 * Built in, not a pmtaThreshold metric: a queue in backoff (value 1),
	 * one alarm per queue, unless pmtaQueueBackoffEvents is no.
	 */
	CFG_METRIC_QUEUE_BACKOFF,
};

enum cfg_scope_kind {
	CFG_SCOPE_INSTANCE = 1,
	CFG_SCOPE_DOMAIN,
	CFG_SCOPE_VMTA,
	CFG_SCOPE_QUEUE,
};

struct cfg_threshold {
	char *rule;
	enum cfg_metric metric;
	enum cfg_scope_kind scope;
	char *scope_name;	/* NULL for "instance" and for the "*" forms; a domain's key (domain_idn.h) */
	char *scope_text;	/* as written, without @INSTANCE: "domain:gmail.com" */
	char *instance;		/* @INSTANCE, or NULL for every instance */
	uint32_t warn, crit;	/* in the metric's unit; rates in basis points */
	uint32_t window;	/* seconds; 0 = pmtaStatsWindow */
	uint32_t min_samples;	/* attempts needed before a rate may alarm */
	uint32_t clear_pct;	/* clear below this percent of the threshold */
};

struct cfg_instance {
	char *name;
	char *url;		/* as configured, may hold user:password: a secret */
	char *public_url;	/* url without userinfo, query or fragment */
	char *api_key;		/* secret */
	char *ca_file;
	char *acct_glob;
	bool tls_verify;
};

struct cfg {
	struct cfg_instance inst[CFG_MAX_INSTANCES];
	size_t n_inst;
	struct cfg_threshold th[CFG_MAX_THRESHOLDS];
	size_t n_th;
	char *hard_cats[CFG_MAX_HARD_CATS];
	size_t n_hard_cats;	/* 0 = the default list */
	uint32_t api_timeout;	/* seconds */
	uint32_t poll_interval;	/* seconds */
	uint32_t stats_window;	/* seconds */
	uint32_t max_rows;	/* per table per instance */
	uint32_t max_pending;	/* recipients followed to their final disposition, per instance */
	uint64_t api_max_body;	/* bytes */
	uint32_t trap_rate_limit; /* notifications per minute */
	bool queue_backoff_events;	/* pmtaQueueBackoffEvents: alarm and notify on backoff */
	char *run_as_user;
	bool has_secret;	/* an API key or URL credentials appear */
};

struct cfg *cfg_new(void);		/* defaults filled in */
void cfg_free(struct cfg *c);

/*
 * Applies one directive. token is the directive name, args the rest of the
 * line (net-snmp has already cut comments and leading blanks). Returns 0, or
 * -1 with a reason in err; on error c is unchanged.
 */
int cfg_parse(struct cfg *c, const char *token, const char *args, char *err, size_t errlen);

/* Checks what only the whole file can tell (at least one instance, ...). */
int cfg_validate(const struct cfg *c, char *err, size_t errlen);

/* The directive names cfg_parse() accepts, NULL-terminated. */
extern const char *const cfg_tokens[];

const struct cfg_instance *cfg_instance_find(const struct cfg *c, const char *name);
const char *cfg_metric_name(enum cfg_metric m);
/* The built-in rule of queue backoff (metric CFG_METRIC_QUEUE_BACKOFF, scope queue:*). */
extern const struct cfg_threshold cfg_queue_backoff_rule;
/* A rate in basis points (bounceRate, hardBounceRate, deferralRate): these
 * take min_samples= and clear below their threshold like the others. */
bool cfg_metric_is_rate(enum cfg_metric m);
/* Computed from the accounting statistics (the rates and latencyP95), by the
 * collector over the rule's own window= rather than read from a table. */
bool cfg_metric_is_acct(enum cfg_metric m);

/*
 * The longest window the accounting statistics of instance `name` must
 * answer for: pmtaStatsWindow or a longer window= of a rule that applies to
 * it. Older slices need not be kept.
 */
unsigned cfg_stats_horizon(const struct cfg *c, const char *name);

#endif
