/*
 * An instance's published state: everything the MIB shows for one PowerMTA
 * server, built whole on a worker thread and swapped in on the SNMP thread.
 * Immutable once published; its tables are already in SNMP walk order.
 */
#ifndef PMTA_SNAPSHOT_H
#define PMTA_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pmta_result.h"
#include "mib_index.h"
#include "mib_oids.h"

/*
 * A row of any table but the instance table. Numeric columns are kept by MIB column number, so the
 * MIB side needs no per-table struct; the strings point into data the
 * snapshot owns.
 */
struct snap_row {
	const char *name;	/* first string index ("" when none) */
	const char *name2;	/* second string index (deferral status); a
				 * queue's VirtualMTA part */
	const char *text;	/* a string column (deferral and rejection last
				 * diagnostic; a domain's Unicode form, NULL when
				 * it is its name; a queue's last error) */
	const char *text2;	/* a second one (rejection category; a queue's
				 * domain part) */
	uint32_t scope;		/* integer index (latency scope, connection direction) */
	uint64_t *col;		/* by MIB column number, the table's width of them: in
				 * the table's one block, so that a narrow table's rows
				 * do not pay for the widest table's columns */
};

/*
 * Two columns are kept as the time of an event and answered as its age, so
 * that the age grows between snapshots: their slots are named for what they
 * hold. (The MIB numbers them pmtaAlarmRaisedAge, pmtaDeferralLastSeenAge.)
 */
#define SNAP_ALARM_RAISED_AT PMTA_ALARM_RAISED_AGE		/* monotonic seconds */
#define SNAP_DEFERRAL_LAST_SEEN_AT PMTA_DEFERRAL_LAST_SEEN_AGE	/* wall-clock seconds */
#define SNAP_REJECTION_LAST_SEEN_AT PMTA_REJECTION_LAST_SEEN_AGE	/* wall-clock seconds */
/* And a queue's next retry is kept as PowerMTA's retryTime (its local clock). */
#define SNAP_QUEUE_RETRY_AT PMTA_QUEUE_NEXT_RETRY

#define SNAP_WIDTH_MAX 48	/* columns of the widest table, and room to grow */

struct snap_table {
	struct snap_row *row;
	uint64_t *cols;		/* while built: every row's columns, width each */
	/*
	 * Once packed (snap_table_pack()): every row's columns in stride
	 * bytes, column c in size[c] bytes (0: 0 in every row) at off[c], as
	 * narrow as the table's largest value of it; rows' col are NULL then.
	 */
	uint8_t *cells;
	size_t stride;
	uint16_t off[SNAP_WIDTH_MAX];
	uint8_t size[SNAP_WIDTH_MAX];
	size_t n, width;
	size_t cap;		/* rows allocated: n and the room left for the API's rows */
	struct mib_rows idx;	/* over row[], in walk order */
};

/*
 * Room for n rows (at least one) of width columns each, all zero, every
 * row's col pointing at its own; frees what t held. -1 on no memory (t
 * empty then).
 */
int snap_table_alloc(struct snap_table *t, size_t n, size_t width);
void snap_table_free(struct snap_table *t);

/*
 * Packs t's columns: with 100,000 domains, 8 bytes a column held 70 MB a
 * snapshot, mostly in small counts, truth values and zeros. Done once a
 * table's columns are all written; -1 on no memory (t stays as it was).
 */
int snap_table_pack(struct snap_table *t);

/* Column c of row r of t, packed or not. */
static inline uint64_t
snap_col(const struct snap_table *t, const struct snap_row *r, unsigned c)
{
	const uint8_t *p;
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;

	if (!t->cells)
		return r->col[c];
	p = t->cells + (size_t)(r - t->row) * t->stride + t->off[c];
	switch (t->size[c]) {
	case 1: return *p;
	case 2: memcpy(&v16, p, 2); return v16;
	case 4: memcpy(&v32, p, 4); return v32;
	case 8: memcpy(&v64, p, 8); return v64;
	}
	return 0;
}

/* Zeroes a row of a table of this width, keeping (and zeroing) its columns. */
void snap_row_clear(struct snap_row *r, size_t width);

enum snap_tab {
	SNAP_CONN, SNAP_DOMAIN, SNAP_VMTA, SNAP_JOB, SNAP_BOUNCE, SNAP_DEFERRAL,
	SNAP_LATENCY, SNAP_REJECTION, SNAP_COMPLAINT, SNAP_QUEUE, SNAP_NTABLES
};

/* Columns a row of the table holds: its MIB table's last column + 1. */
size_t snap_width(enum snap_tab tab);

/* A value of an accounting-based threshold metric, computed by the collector
 * over the rule's own window (rates, latency). */
struct snap_metric {
	const char *rule;
	char *subject;		/* owned: "instance", "domain:gmail.com", "vmta:v1",
				 * "queue:gmail.com/v1" */
	uint64_t value;
	uint64_t samples;
};

struct snap_instance {
	unsigned index;			/* pmtaInstanceIndex */
	char *name;
	char *public_url;
	struct pmta_result *api;	/* never NULL */
	struct snap_table tab[SNAP_NTABLES];
	bool acct_configured;
	uint64_t acct_records, acct_malformed;
	uint64_t rows_dropped;
	uint64_t pending, pending_given_up;	/* deferred recipients followed, given up */
	uint32_t pending_max;			/* pmtaMaxPending; 0 without accounting */
	int64_t acct_last_record;	/* wall-clock seconds of the newest record read, 0 none */
	/*
	 * When this instance's counters last jumped other than by counting:
	 * the collector's start, or the last snapshot built while the
	 * accounting files were read again after it (wall-clock and monotonic
	 * milliseconds; pmtaInstanceCounterResetTime, pmtaAgentCountersStarted).
	 */
	int64_t counters_wall_ms, counters_ms;
	int64_t built_wall;		/* wall-clock seconds when built: ages are relative to it */
	struct snap_metric *metrics;	/* accounting-based threshold values */
	size_t n_metrics;
	char *domain_text;		/* the domain rows' Unicode forms */
	void *owned;			/* strings the rows point into */
	void (*owned_free)(void *);
};

/*
 * Building a snapshot, on a worker thread: the API's last result and the
 * accounting view merged into tables in SNMP walk order.
 */
struct acct_view;

struct snap_source {
	unsigned index;
	const char *name;
	const char *public_url;
	struct pmta_result *api;	/* borrowed: the snapshot takes its own reference */
	struct acct_view *acct;		/* taken (freed with the snapshot); may be NULL */
	bool acct_configured;
	uint64_t acct_records, acct_malformed;
	int64_t acct_last_record;
	int64_t counters_wall_ms, counters_ms;	/* see snap_instance */
	int64_t now;			/* wall clock */
	struct snap_metric *metrics;	/* taken */
	size_t n_metrics;
};

/* NULL on allocation failure (src->acct is freed then too). */
struct snap_instance *snapshot_build(struct snap_source *src);
void snapshot_free(struct snap_instance *s);

/* (Re)builds t's index for rows whose whole index is the number in scope
 * (connection direction; the agent's alarm and threshold tables). */
int snap_table_index_by_scope(struct snap_table *t);

#endif
