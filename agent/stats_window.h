/*
 * Sliding windows of one table row: what happened in each STATS_SLICE-second
 * slice of the last STATS_WINDOW_MAX seconds, so that any window up to that
 * length can be summed at any time. Slices are kept only where something
 * happened (sorted, in one array that grows on demand), so an idle or
 * little-used row costs a few bytes; window edges are accurate to a slice.
 */
#ifndef PMTA_STATS_WINDOW_H
#define PMTA_STATS_WINDOW_H

#include <stdbool.h>
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
	STATS_COUNTERS
};

struct stats_slice {
	int64_t t;			/* start of the slice, a multiple of STATS_SLICE */
	uint32_t c[STATS_COUNTERS];
	struct stats_sparse lat;	/* latencies of the slice's deliveries */
};

/* One row's slices; zeroed is empty. */
struct stats_window {
	struct stats_slice *s;	/* ascending t */
	uint32_t n, cap;
};

/*
 * Counts one event of kind `counter` (and, when latency >= 0, one latency
 * sample) at time t, as seen at wall-clock now: a time after now counts as
 * now; a time that no window can reach any more (STATS_WINDOW_MAX before now)
 * is not counted and returns 0. Slices that fell out of reach go. -1 on no
 * memory (the event is lost to the windows only).
 */
int stats_window_add(struct stats_window *w, int64_t t, int64_t now, enum stats_counter counter,
		     int64_t latency);

/* Frees the slices no window can reach at now. */
void stats_window_prune(struct stats_window *w, int64_t now);

/* True when no slice is left. */
bool stats_window_empty(const struct stats_window *w);

struct stats_window_sum {
	uint64_t c[STATS_COUNTERS];
};

/*
 * Sums the slices that overlap the last `window` seconds before now
 * (window capped at STATS_WINDOW_MAX): an event up to one slice older than
 * the window may count. Slices after now count as now. When hist is not
 * NULL the latencies are merged into it (it is not cleared first).
 */
void stats_window_sum(const struct stats_window *w, int64_t now, unsigned window,
		      struct stats_window_sum *out, struct stats_hist *hist);

void stats_window_free(struct stats_window *w);

#endif
