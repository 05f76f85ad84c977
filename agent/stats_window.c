#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "stats_window.h"

static int64_t
slice_start(int64_t t)
{
	/* Rounds down for negative times too. */
	return t - (((t % STATS_SLICE) + STATS_SLICE) % STATS_SLICE);
}

/* The oldest slice start a window of STATS_WINDOW_MAX before now overlaps. */
static int64_t
reach(int64_t now)
{
	return slice_start(now - STATS_WINDOW_MAX);
}

static void
drop_front(struct stats_window *w, uint32_t k)
{
	uint32_t i;

	if (!k)
		return;
	for (i = 0; i < k; i++)
		stats_sparse_free(&w->s[i].lat);
	memmove(w->s, w->s + k, (w->n - k) * sizeof(*w->s));
	w->n -= k;
}

void
stats_window_prune(struct stats_window *w, int64_t now)
{
	int64_t oldest = reach(now);
	uint32_t k = 0;

	while (k < w->n && w->s[k].t < oldest)
		k++;
	drop_front(w, k);
	if (!w->n) {
		free(w->s);
		w->s = NULL;
		w->cap = 0;
	}
}

bool
stats_window_empty(const struct stats_window *w)
{
	return w->n == 0;
}

/*
 * The slice starting at st, inserted in order when missing. Records arrive
 * nearly in time order, so the newest slice is tried first and a new one is
 * usually appended.
 */
static struct stats_slice *
slice_get(struct stats_window *w, int64_t st)
{
	uint32_t lo = 0, hi = w->n;

	if (w->n && w->s[w->n - 1].t == st)
		return &w->s[w->n - 1];
	if (w->n && w->s[w->n - 1].t < st) {
		lo = w->n;
	} else {
		while (lo < hi) {
			uint32_t mid = lo + (hi - lo) / 2;

			if (w->s[mid].t < st)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < w->n && w->s[lo].t == st)
			return &w->s[lo];
	}
	if (w->n == w->cap) {
		/* At most STATS_WINDOW_MAX / STATS_SLICE + 2 slices are ever live. */
		uint32_t cap = w->cap ? w->cap * 2 : 2;
		struct stats_slice *p = realloc(w->s, cap * sizeof(*p));

		if (!p)
			return NULL;
		w->s = p;
		w->cap = cap;
	}
	memmove(&w->s[lo + 1], &w->s[lo], (w->n - lo) * sizeof(*w->s));
	memset(&w->s[lo], 0, sizeof(w->s[lo]));
	w->s[lo].t = st;
	w->n++;
	return &w->s[lo];
}

int
stats_window_add(struct stats_window *w, int64_t t, int64_t now, enum stats_counter counter,
		 int64_t latency)
{
	struct stats_slice *s;
	int64_t st;

	if (t > now)
		t = now;
	st = slice_start(t);
	if (st < reach(now))
		return 0;
	if (w->n && w->s[0].t < reach(now) && w->s[w->n - 1].t != st)
		stats_window_prune(w, now);	/* only when a slice may be added */
	s = slice_get(w, st);
	if (!s)
		return -1;
	if (counter < STATS_COUNTERS)
		s->c[counter]++;
	if (latency >= 0 && stats_sparse_add(&s->lat, (uint64_t)latency) < 0)
		return -1;
	return 0;
}

void
stats_window_sum(const struct stats_window *w, int64_t now, unsigned window,
		 struct stats_window_sum *out, struct stats_hist *hist)
{
	int64_t from;
	uint32_t i;
	unsigned k;

	if (window > STATS_WINDOW_MAX)
		window = STATS_WINDOW_MAX;
	/* A slice overlaps (now - window, now] when it ends after now - window. */
	from = now - (int64_t)window - STATS_SLICE;
	memset(out, 0, sizeof(*out));
	for (i = w->n; i-- > 0;) {
		const struct stats_slice *s = &w->s[i];

		if (s->t <= from)
			break;
		for (k = 0; k < STATS_COUNTERS; k++)
			out->c[k] += s->c[k];
		if (hist)
			stats_hist_merge(hist, &s->lat);
	}
}

void
stats_window_free(struct stats_window *w)
{
	uint32_t i;

	if (!w)
		return;
	for (i = 0; i < w->n; i++)
		stats_sparse_free(&w->s[i].lat);
	free(w->s);
	memset(w, 0, sizeof(*w));
}
