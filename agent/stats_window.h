/*
 * Sliding windows of one table row: what happened in each STATS_SLICE-second
 * slice of the last STATS_WINDOW_MAX seconds, so that any window up to that
 * length can be summed at any time; window edges are accurate to a slice.
 *
 * Memory is what bounds 100,000 rows, so only the newest slices (those
 * within STATS_OPEN_SLICES of a row's newest one) are structs; older slices
 * are packed into one byte string per row (varints: slice number delta,
 * which counters are set, the counts, the latency buckets), a few bytes for
 * a quiet slice. Records up to that many slices out of time order stay on
 * the fast path; older ones wait in a short list of late events that is
 * merged into the packed string in one pass when it fills (or at prune).
 */
#ifndef PMTA_STATS_WINDOW_H
#define PMTA_STATS_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats_hist.h"

#define STATS_SLICE 10		/* seconds per slice */
#define STATS_WINDOW_MAX 3600	/* longest window that can be summed */

/* What a slice counts; a row uses the ones that mean something to it. */
enum stats_counter {
	STATS_DELIVERED,
	STATS_BOUNCED,
	STATS_HARD_BOUNCED,
	STATS_DEFERRED,
	STATS_COMPLAINED,	/* f records (feedback-loop complaints) */
	STATS_COUNTERS
};

#define STATS_OPEN_SLICES 8	/* unpacked newest slices per row (80 s) */
#define STATS_LATE_MAX 64	/* late events held before a merge into the packed slices */

/* An event older than every open slice, not yet packed. */
struct stats_late {
	int64_t no;
	int64_t latency;	/* -1: none */
	uint32_t counter;	/* enum stats_counter; STATS_COUNTERS: none */
};

/* An unpacked slice. */
struct stats_open {
	int64_t no;			/* slice number: start / STATS_SLICE */
	uint32_t c[STATS_COUNTERS];
	struct stats_sparse lat;
};

/* One row's slices; zeroed is empty. */
struct stats_window {
	uint8_t *packed;	/* closed slices, oldest first, all older than the open ones */
	uint32_t len, cap;
	int64_t base;		/* slice number the first packed delta counts from */
	int64_t last;		/* slice number of the last packed slice (base when none) */
	struct stats_open *open;	/* ascending no, at most STATS_OPEN_SLICES */
	struct stats_sparse spare;	/* a packed slice's bin memory, for the next new slice */
	struct stats_late *late;	/* allocated on the first late event, freed by the merge */
	uint32_t n_late;
	uint8_t n_open, cap_open;	/* here, not after open: no padding (one per row) */
};

/*
 * Counts one event of kind `counter` (STATS_COUNTERS: none) and, when
 * latency >= 0, one latency sample at time t, as seen at wall-clock now: a
 * time after now counts as now; a time no window can reach any more
 * (STATS_WINDOW_MAX before now) is not counted and returns 0. -1 on no
 * memory (the event is lost to the windows only).
 */
int stats_window_add(struct stats_window *w, int64_t t, int64_t now, enum stats_counter counter,
		     int64_t latency);

/* Frees the slices no window can reach at now; an emptied window holds no memory. */
void stats_window_prune(struct stats_window *w, int64_t now);

/*
 * Frees the slices that end before the one holding time t (and merges the
 * late events first): for a caller whose windows are all shorter than
 * STATS_WINDOW_MAX, t = now - its longest window.
 */
void stats_window_drop_before(struct stats_window *w, int64_t t);

/*
 * An idle row's memory, returned: the open slices that a record in time
 * order at now would pack are packed, and when none is left open the
 * open slices' array, the spare bins and the packed string's slack are
 * freed (about 130 bytes a row with 100,000 mostly quiet domains). The
 * sums do not change. A row that is still busy is left as it is.
 */
void stats_window_settle(struct stats_window *w, int64_t now);

/* True when no slice is left. */
bool stats_window_empty(const struct stats_window *w);

/* How many slices hold something, late events aside (after a prune: all of them). */
uint32_t stats_window_slices(const struct stats_window *w);

struct stats_window_sum {
	uint64_t c[STATS_COUNTERS];
};

/*
 * Sums the slices that overlap [now - window, now] (window capped at
 * STATS_WINDOW_MAX): an event up to one slice older than the window may
 * count. Slices after now count as now. When hist is not NULL the
 * latencies are merged into it (it is not cleared first).
 */
void stats_window_sum(const struct stats_window *w, int64_t now, unsigned window,
		      struct stats_window_sum *out, struct stats_hist *hist);

/* Heap bytes the window holds (capacities, not what is in use): for memory figures. */
size_t stats_window_bytes(const struct stats_window *w);

void stats_window_free(struct stats_window *w);

#endif
