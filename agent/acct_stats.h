/*
 * What the accounting records add up to, per instance: counters since
 * start, counts and latency percentiles over sliding windows, per domain,
 * VirtualMTA, job, bounce category, and (domain, DSN status) of deferrals
 * (t, tq) and of rejections (b, rb), and complaints (f records) by
 * feedback type. Bounded: at
 * most max_rows keys per table, and keys idle for idle_drop seconds go.
 * Owned by one thread (the collector); acct_stats_view() copies out what
 * the SNMP side needs.
 *
 * Windows: a record counts in Win* columns and rates while its timeLogged
 * (a future one counts as the wall clock when it was added) lies in
 * [now - window, now], edges accurate to ACCT_SLICE seconds (stats_window.h).
 * "Idle" is wall-clock time since a record last touched the row, so rows
 * read from a day's backlog at start are kept a day, not dropped at once.
 * Keys longer than ACCT_NAME_MAX bytes are cut; deferral and rejection rows
 * need a domain and a status (1..16 bytes, as PmtaDsnStatus). Domains are
 * keyed by domain_idn_key() (A-labels, through a small cache), so every
 * spelling of one domain counts in one row.
 */
#ifndef PMTA_ACCT_STATS_H
#define PMTA_ACCT_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acct_record.h"
#include "stats_window.h"

#define ACCT_WINDOW_MAX STATS_WINDOW_MAX	/* longest window a query may ask for */
#define ACCT_SLICE STATS_SLICE		/* window edges are this accurate (seconds) */
#define ACCT_NAME_MAX 255		/* longer names are cut to this many bytes */

struct acct_stats_config {
	const char *const *hard_categories;	/* NULL: bad-mailbox, bad-domain, inactive-mailbox, routing-errors */
	size_t n_hard;
	unsigned window;	/* pmtaStatsWindow; 0: 900, capped at ACCT_WINDOW_MAX */
	/*
	 * The longest window any query asks for (pmtaStatsWindow and every
	 * rule's window): older records count in the totals but are not kept
	 * in the windows, which is what bounds their memory. 0, or above
	 * ACCT_WINDOW_MAX: ACCT_WINDOW_MAX; never below window.
	 */
	unsigned horizon;
	size_t max_rows;	/* per table; 0: 100000 */
	unsigned idle_drop;	/* rows no record touched for this long (wall clock) go; 0: 86400 */
	/*
	 * pmtaMaxPending: deferred recipients followed to their final
	 * disposition at most (0: 1,000,000), and as many delivered ones
	 * followed for a remote bounce; each given up after pending_horizon
	 * seconds (0: ACCT_PENDING_HORIZON) at the latest.
	 */
	size_t max_pending;
	unsigned pending_horizon;
};

/*
 * Five days: longer than PowerMTA's default retry horizon (bounce-after,
 * days), so that a deferral is given up only after PowerMTA has given up
 * on it itself and should have written its b record.
 */
#define ACCT_PENDING_HORIZON (5 * 86400)

enum acct_table {
	ACCT_TAB_DOMAIN,
	ACCT_TAB_VMTA,
	ACCT_TAB_JOB,
	ACCT_TAB_BOUNCE,
	ACCT_TAB_DEFERRAL,
	ACCT_TAB_REJECTION,
	ACCT_TAB_COMPLAINT,
	ACCT_TAB_QUEUE,
	/*
	 * Not published: the (domain, VirtualMTA) pairs whose mail went through
	 * a queue of another name (a rollup: yahoo.rollup/vmta18), learnt from
	 * d, b and t records, so that an f or rb record without a queue column
	 * still counts in its queue's row.
	 */
	ACCT_TAB_ROUTE,
	ACCT_TABLES
};

/* A domain or VirtualMTA, with its latency. */
struct acct_entity_row {
	const char *name;
	uint64_t delivered, bounced, hard_bounced, soft_bounced, deferred, remote_bounced;
	uint64_t complaints;			/* f records */
	uint32_t win_delivered, win_bounced, win_deferred, win_complaints;
	uint32_t bounce_rate, deferral_rate, complaint_rate;	/* basis points */
	uint64_t latency_count;
	uint32_t latency_win_count;
	uint32_t p50, p90, p95, p99, max;	/* seconds, over the window */
	/* Final disposition of deferred recipients (acct_pending.h); none for "all". */
	uint64_t deferred_delivered, deferred_bounced, deferred_given_up;
	uint64_t delivered_remote_bounced;	/* rb after d */
	uint32_t pending;			/* deferred, not resolved yet */
	uint32_t win_resolved;			/* resolved in the window, either way */
	uint32_t resolved_delivered_share;	/* basis points of those that were delivered */
	uint32_t resolve_p50, resolve_p95;	/* seconds from first deferral, over the window */
};

struct acct_job_row {
	const char *name;
	uint64_t delivered, bounced, hard_bounced, soft_bounced, deferred, complaints;
};

/* f records by Feedback-Type (lower-cased, [a-z0-9-] kept and other bytes "_", at most 32 bytes; "other" when empty). */
struct acct_complaint_row {
	const char *type;
	uint64_t count;
	uint32_t win_count;
};

struct acct_bounce_row {
	const char *category;
	bool hard;
	uint64_t count;
	uint32_t win_count;
};

struct acct_deferral_row {
	const char *domain;
	const char *status;
	uint64_t count;
	uint32_t win_count;
	const char *last_diag;
	int64_t last_seen;	/* timeLogged of the newest record */
};

/* A queue (domain/vmta, its domain part keyed as a domain's row is). */
struct acct_queue_row {
	struct acct_entity_row e;	/* e.name: the queue's key */
	const char *domain, *vmta;	/* its parts: before and after the last '/' */
};

/* b and rb records by (domain, status): why a domain rejects mail. */
struct acct_rejection_row {
	const char *domain;
	const char *status;
	const char *category;	/* bounceCat of the newest record ("other" when empty) */
	bool hard;		/* category's class, by the hard list */
	uint64_t count;
	uint32_t win_count;
	const char *last_diag;
	int64_t last_seen;	/* timeLogged of the newest record */
};

struct acct_view {
	struct acct_entity_row all;	/* the whole instance (latency row "all") */
	struct acct_entity_row *domains, *vmtas;
	size_t n_domains, n_vmtas;
	struct acct_job_row *jobs;
	size_t n_jobs;
	struct acct_queue_row *queues;
	size_t n_queues;
	struct acct_bounce_row *bounces;
	size_t n_bounces;
	struct acct_deferral_row *deferrals;
	size_t n_deferrals;
	struct acct_rejection_row *rejections;
	size_t n_rejections;
	struct acct_complaint_row *complaints;
	size_t n_complaints;
	uint64_t rows_dropped;		/* keys of published tables refused (table full) or aged out, ever */
	uint64_t pending;		/* deferred recipients followed now */
	uint64_t pending_given_up;	/* deferred recipients given up (cap or horizon), ever */
	uint32_t pending_max;		/* the cap: acct_stats_config.max_pending */
	uint64_t refused[ACCT_TABLES];	/* records whose new key found its table full */
	uint64_t aged[ACCT_TABLES];	/* rows dropped for idleness */
	char *strings;			/* every name above points in here */
};

/* Counts over one window, for the alarm engine. */
struct acct_window {
	uint64_t delivered, bounced, hard_bounced, deferred;
	uint32_t p95;
	uint64_t complaints;	/* f records */
	/* Deferred recipients: followed now, and resolved in the window (counts 0 for the instance). */
	uint64_t pending;
	uint64_t resolved_delivered, resolved_bounced;
};

/* Basis points of the deferrals resolved in the window that ended delivered; 0 when none. */
uint32_t acct_window_resolved_delivered_share(const struct acct_window *w);

/*
 * The rates in basis points, defined once so that a table column
 * (pmtaDomainBounceRate, ...) and a threshold (bounceRate=, ...) always
 * mean the same: bounces over final outcomes (delivered + bounced; a
 * deferral is not final), deferrals over every attempt, complaints (f
 * records) over deliveries, as mailbox providers state their spam-rate
 * limits. 0 when nothing was attempted (delivered).
 */
uint32_t acct_window_bounce_rate(const struct acct_window *w);
uint32_t acct_window_hard_bounce_rate(const struct acct_window *w);
uint32_t acct_window_deferral_rate(const struct acct_window *w);
uint32_t acct_window_complaint_rate(const struct acct_window *w);

enum acct_scope {
	ACCT_SCOPE_ALL = 1, ACCT_SCOPE_DOMAIN = 2, ACCT_SCOPE_VMTA = 3, ACCT_SCOPE_QUEUE = 4
};

struct acct_stats;

struct acct_stats *acct_stats_new(const struct acct_stats_config *c);
void acct_stats_free(struct acct_stats *s);

/*
 * The wall clock (Unix s) that acct_stats_add() measures windows and
 * idleness against; the collector sets it before each batch of reads.
 */
void acct_stats_set_now(struct acct_stats *s, int64_t now);

/*
 * Counts one well-formed record into every table it belongs to (what counts
 * where: README.md, "Where the data come from" and "The MIB"). Copies what
 * it keeps. No allocation once its keys exist.
 */
void acct_stats_add(struct acct_stats *s, const struct acct_record *r);

/*
 * An immutable, self-contained copy of every table at wall clock now, rows
 * in no order; drops rows idle for idle_drop seconds first (counted and
 * logged). NULL on no memory.
 */
struct acct_view *acct_stats_view(struct acct_stats *s, int64_t now);
void acct_view_free(struct acct_view *v);

/*
 * Frees v's rows and keeps its strings and totals: for a holder that has
 * copied the rows out and only points into the strings (a snapshot).
 */
void acct_view_drop_rows(struct acct_view *v);

/* The same for one table's rows (n 0 after), as soon as they are copied. */
void acct_view_drop(struct acct_view *v, enum acct_table which);

/* Heap bytes the statistics hold, by table and kind: for the memory figures of benchmarks. */
struct acct_memory {
	size_t rows[ACCT_TABLES];	/* row counts */
	size_t row_bytes[ACCT_TABLES];	/* the rows themselves, keys and texts included */
	size_t window_bytes[ACCT_TABLES];	/* their windows' slices and bins */
	size_t slot_bytes[ACCT_TABLES];	/* hash slots and id arrays */
	size_t followed_bytes;	/* the deferred and delivered recipients followed */
};

void acct_stats_memory(const struct acct_stats *s, struct acct_memory *out);

/*
 * Counts and latency p95 over the last `window` seconds (capped at the
 * horizon) of the instance (name ignored), one domain (its key,
 * domain_idn_key()), one VirtualMTA or one queue (its key,
 * domain_idn_queue_key()). 0, or -1 when the subject has no row (out untouched).
 */
int acct_stats_window(struct acct_stats *s, enum acct_scope scope, const char *name,
		      unsigned window, int64_t now, struct acct_window *out);

/*
 * Enumerates the names of the domain, VirtualMTA or queue rows (for "domain:*"
 * rules); with names NULL, returns how many there are. The names stay valid
 * until the next acct_stats_add() or acct_stats_view().
 */
size_t acct_stats_names(const struct acct_stats *s, enum acct_scope scope,
			const char **names, size_t max);

#endif
