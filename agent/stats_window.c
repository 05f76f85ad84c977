#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "stats_window.h"

/*
 * A packed slice: varint (slice number - previous slice's number), one byte
 * of flags (bit k: counter k is not 0; bit 7: latencies follow), a varint
 * per counter set, then when latencies follow: varint largest latency,
 * varint number of buckets, and (varint bucket, varint count) pairs.
 */
#define HAS_LAT 0x80
_Static_assert(STATS_COUNTERS <= 7, "one flag bit per counter, below HAS_LAT");
#define ENC_MAX(nb) (10 + 1 + 5 * STATS_COUNTERS + 5 + 5 + (size_t)(nb) * 8)

static int64_t
slice_no(int64_t t)
{
	/* Rounds down for negative times too. */
	return t / STATS_SLICE - (t % STATS_SLICE < 0);
}

/* The oldest slice a window of STATS_WINDOW_MAX ending at now overlaps. */
static int64_t
reach(int64_t now)
{
	return slice_no(now - STATS_WINDOW_MAX);
}

static size_t
put_uv(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/* The buffer is our own output: it is trusted to be well-formed. */
static uint64_t
get_uv(const uint8_t **pp)
{
	const uint8_t *p = *pp;
	uint64_t v = 0;
	unsigned shift = 0;

	while (*p & 0x80) {
		v |= (uint64_t)(*p++ & 0x7f) << shift;
		shift += 7;
	}
	v |= (uint64_t)*p++ << shift;
	*pp = p;
	return v;
}

struct dslice {
	int64_t no;
	uint32_t c[STATS_COUNTERS];
	uint32_t max;
	uint32_t nb;
	const uint8_t *body;	/* just after the delta: copied as is when only the delta changes */
	const uint8_t *bins;
	const uint8_t *next;
};

static void
slice_decode(const uint8_t *p, int64_t prev, struct dslice *d)
{
	unsigned flags, k;
	uint32_t i;

	d->no = prev + (int64_t)get_uv(&p);
	d->body = p;
	flags = *p++;
	for (k = 0; k < STATS_COUNTERS; k++)
		d->c[k] = flags & (1u << k) ? (uint32_t)get_uv(&p) : 0;
	d->max = 0;
	d->nb = 0;
	if (flags & HAS_LAT) {
		d->max = (uint32_t)get_uv(&p);
		d->nb = (uint32_t)get_uv(&p);
	}
	d->bins = p;
	for (i = 0; i < 2 * d->nb; i++)
		get_uv(&p);
	d->next = p;
}

/* Writes one slice; returns its length (at most ENC_MAX(nb)). */
static size_t
slice_encode(uint8_t *p, int64_t delta, const uint32_t *c, uint32_t max,
	     const struct stats_hbin *bin, uint32_t nb)
{
	uint8_t *start = p, *flags;
	unsigned k;
	uint32_t i;

	p += put_uv(p, (uint64_t)delta);
	flags = p++;
	*flags = nb ? HAS_LAT : 0;
	for (k = 0; k < STATS_COUNTERS; k++) {
		if (c[k]) {
			*flags |= (uint8_t)(1u << k);
			p += put_uv(p, c[k]);
		}
	}
	if (nb) {
		p += put_uv(p, max);
		p += put_uv(p, nb);
		for (i = 0; i < nb; i++) {
			p += put_uv(p, bin[i].bucket);
			p += put_uv(p, bin[i].n);
		}
	}
	return (size_t)(p - start);
}

static int
reserve(struct stats_window *w, size_t more)
{
	size_t cap = w->cap;
	uint8_t *p;

	/* The length and capacity are 32-bit: a slice list never grows past that. */
	p = base_grow(w->packed, &cap, (size_t)w->len + more, 1, 32, UINT32_MAX);
	if (!p)
		return -1;
	w->packed = p;
	w->cap = (uint32_t)cap;
	return 0;
}

/* Packs the oldest open slice after the others; its bin memory is kept for reuse. */
static int
open_pack_oldest(struct stats_window *w)
{
	struct stats_open *o = &w->open[0];

	if (reserve(w, ENC_MAX(o->lat.n)) < 0)
		return -1;
	w->len += (uint32_t)slice_encode(w->packed + w->len, o->no - w->last, o->c, o->lat.max,
	    o->lat.bin, o->lat.n);
	w->last = o->no;
	if (!w->spare.bin) {
		w->spare = o->lat;
		stats_sparse_reset(&w->spare);
	} else {
		stats_sparse_free(&o->lat);
	}
	w->n_open--;
	memmove(&w->open[0], &w->open[1], w->n_open * sizeof(w->open[0]));
	return 0;
}

/* A new open slice at position i (ascending order kept); NULL on no memory. */
static struct stats_open *
open_insert(struct stats_window *w, uint32_t i, int64_t no)
{
	struct stats_open *o;

	if (w->n_open == w->cap_open) {
		uint8_t cap = w->cap_open ? (uint8_t)(w->cap_open * 2) : 1;
		struct stats_open *p;

		if (cap > STATS_OPEN_SLICES)
			cap = STATS_OPEN_SLICES;
		p = realloc(w->open, cap * sizeof(*p));
		if (!p)
			return NULL;
		w->open = p;
		w->cap_open = cap;
	}
	memmove(&w->open[i + 1], &w->open[i], (w->n_open - i) * sizeof(w->open[0]));
	w->n_open++;
	o = &w->open[i];
	memset(o, 0, sizeof(*o));
	o->no = no;
	o->lat = w->spare;	/* bins of a packed slice: no allocation in the steady state */
	memset(&w->spare, 0, sizeof(w->spare));
	return o;
}

static int
late_cmp(const void *a, const void *b)
{
	const struct stats_late *x = a, *y = b;

	return x->no < y->no ? -1 : x->no > y->no;
}

/*
 * Writes slice `no`: the counts and buckets of d (when not NULL) plus the
 * late events e[0..n), all of that slice. Returns the length written.
 */
static size_t
slice_merge(uint8_t *out, int64_t delta, const struct dslice *d, const struct stats_late *e, size_t n)
{
	struct stats_hbin bin[STATS_HIST_BUCKETS];
	uint32_t c[STATS_COUNTERS] = { 0 }, nb = 0, max = 0, i, k;
	size_t j;

	if (d) {
		const uint8_t *q = d->bins;

		memcpy(c, d->c, sizeof(c));
		max = d->max;
		for (i = 0; i < d->nb; i++) {
			bin[nb].bucket = (uint16_t)get_uv(&q);
			bin[nb++].n = (uint32_t)get_uv(&q);
		}
	}
	for (j = 0; j < n; j++) {
		if (e[j].counter < STATS_COUNTERS)
			c[e[j].counter]++;
		if (e[j].latency >= 0) {
			unsigned b = stats_hist_bucket((uint64_t)e[j].latency);

			for (k = 0; k < nb && bin[k].bucket != b; k++)
				;
			if (k < nb) {
				bin[k].n++;
			} else {
				bin[nb].bucket = (uint16_t)b;
				bin[nb++].n = 1;
			}
			if (e[j].latency > max)
				max = base_sat32((uint64_t)e[j].latency);
		}
	}
	return slice_encode(out, delta, c, max, bin, nb);
}

/*
 * Merges the late events into the packed slices in one pass: a new string
 * where each event joins its slice (or makes one, in order); the other
 * slices are copied with their new delta only. On no memory the events
 * stay where they are.
 */
static int
late_merge(struct stats_window *w)
{
	const uint8_t *p = w->packed, *end = w->len ? w->packed + w->len : w->packed;	/* NULL + 0 is undefined */
	struct stats_late *e = w->late;
	size_t n = w->n_late, j = 0, at = 0;
	int64_t prev = w->base, nprev;
	/* An event adds at most a slice header, a counter, a bucket pair and the latency fields. */
	size_t cap = w->len + n * ENC_MAX(1) + 16;
	uint8_t *out;
	struct dslice d;

	if (!n)
		return 0;
	qsort(e, n, sizeof(*e), late_cmp);
	out = malloc(cap);
	if (!out)
		return -1;
	nprev = w->base < e[0].no - 1 ? w->base : e[0].no - 1;
	w->base = nprev;
	for (; p < end; p = d.next) {
		size_t k;

		slice_decode(p, prev, &d);
		prev = d.no;
		while (j < n && e[j].no < d.no) {
			for (k = j; k < n && e[k].no == e[j].no; k++)
				;
			at += slice_merge(out + at, e[j].no - nprev, NULL, e + j, k - j);
			nprev = e[j].no;
			j = k;
		}
		for (k = j; k < n && e[k].no == d.no; k++)
			;
		if (k > j) {
			at += slice_merge(out + at, d.no - nprev, &d, e + j, k - j);
			j = k;
		} else {
			at += put_uv(out + at, (uint64_t)(d.no - nprev));
			memcpy(out + at, d.body, (size_t)(d.next - d.body));
			at += (size_t)(d.next - d.body);
		}
		nprev = d.no;
	}
	while (j < n) {
		size_t k;

		for (k = j; k < n && e[k].no == e[j].no; k++)
			;
		at += slice_merge(out + at, e[j].no - nprev, NULL, e + j, k - j);
		nprev = e[j].no;
		j = k;
	}
	free(w->packed);
	w->packed = out;
	w->len = (uint32_t)at;
	w->cap = (uint32_t)cap;
	w->last = nprev;
	free(w->late);
	w->late = NULL;
	w->n_late = 0;
	return 0;
}

/* Holds an event older than every open slice; merges the list when it is full. */
static int
late_add(struct stats_window *w, int64_t no, enum stats_counter counter, int64_t latency)
{
	if (!w->late && !(w->late = malloc(STATS_LATE_MAX * sizeof(*w->late))))
		return -1;
	w->late[w->n_late].no = no;
	w->late[w->n_late].counter = counter;
	w->late[w->n_late].latency = latency;
	w->n_late++;
	return w->n_late == STATS_LATE_MAX ? late_merge(w) : 0;
}

void
stats_window_prune(struct stats_window *w, int64_t now)
{
	stats_window_drop_before(w, now - STATS_WINDOW_MAX);
}

void
stats_window_drop_before(struct stats_window *w, int64_t t)
{
	int64_t oldest, prev;
	const uint8_t *p, *end;
	struct dslice d;
	uint32_t k = 0, i;

	if (w->n_late && late_merge(w) < 0) {
		free(w->late);	/* no memory: the late events are lost to the windows */
		w->late = NULL;
		w->n_late = 0;
	}
	oldest = slice_no(t);
	prev = w->base;
	p = w->packed;
	end = w->len ? w->packed + w->len : w->packed;	/* NULL + 0 is undefined */
	while (p < end) {
		slice_decode(p, prev, &d);
		if (d.no >= oldest)
			break;
		prev = d.no;
		p = d.next;
	}
	if (p != w->packed) {
		w->len = (uint32_t)(end - p);
		memmove(w->packed, p, w->len);
		w->base = prev;
		if (!w->len)
			w->last = prev;
	}
	while (k < w->n_open && w->open[k].no < oldest)
		k++;
	if (k) {
		for (i = 0; i < k; i++)
			stats_sparse_free(&w->open[i].lat);
		w->n_open = (uint8_t)(w->n_open - k);
		memmove(&w->open[0], &w->open[k], w->n_open * sizeof(w->open[0]));
	}
	if (!w->len && !w->n_open) {
		/* Nothing left: an idle row holds no memory for its windows. */
		int64_t base = w->base, last = w->last;

		stats_window_free(w);
		w->base = base;
		w->last = last;
	}
}

void
stats_window_settle(struct stats_window *w, int64_t now)
{
	int64_t cutoff = slice_no(now) - STATS_OPEN_SLICES;

	/* What the next record in time order would pack anyway, packed now. */
	while (w->n_open && w->open[0].no <= cutoff)
		if (open_pack_oldest(w) < 0)
			return;
	if (w->n_open)
		return;		/* a busy row keeps its slices and buffers as they are */
	free(w->open);
	w->open = NULL;
	w->cap_open = 0;
	stats_sparse_free(&w->spare);
	if (w->n_late && late_merge(w) < 0)
		return;
	if (w->len && w->cap > w->len) {
		uint8_t *p = realloc(w->packed, w->len);

		if (p) {
			w->packed = p;
			w->cap = w->len;
		}
	}
}

bool
stats_window_empty(const struct stats_window *w)
{
	return !w->len && !w->n_open && !w->n_late;
}

uint32_t
stats_window_slices(const struct stats_window *w)
{
	const uint8_t *p = w->packed, *end = w->len ? w->packed + w->len : w->packed;
	int64_t prev = w->base;
	uint32_t n = w->n_open;
	struct dslice d;

	for (; p < end; p = d.next, n++) {
		slice_decode(p, prev, &d);
		prev = d.no;
	}
	return n;
}

int
stats_window_add(struct stats_window *w, int64_t t, int64_t now, enum stats_counter counter,
		 int64_t latency)
{
	struct stats_open *o = NULL;
	int64_t no;
	uint32_t i;

	if (t > now)
		t = now;
	no = slice_no(t);
	if (no < reach(now))
		return 0;
	if (!w->n_open || no < w->open[0].no) {
		/* Late events stay older than every open slice: while some wait, older ones join them. */
		if ((w->len && no <= w->last) || w->n_open == STATS_OPEN_SLICES || w->n_late)
			return late_add(w, no, counter, latency);
		if (!w->len && !w->n_open)
			w->base = w->last = no - 1;	/* the first slice: deltas count from here */
		o = open_insert(w, 0, no);
	} else {
		/* The newest slices first: records come nearly in time order. */
		for (i = w->n_open; i-- > 0;) {
			if (w->open[i].no == no) {
				o = &w->open[i];
				break;
			}
			if (w->open[i].no < no)
				break;
		}
		if (!o) {
			i++;	/* the position the new slice takes */
			if (i == w->n_open) {
				/* A newer slice: slices beyond the open span are packed. */
				while (w->n_open && (w->open[0].no <= no - STATS_OPEN_SLICES ||
				    w->n_open == STATS_OPEN_SLICES)) {
					if (open_pack_oldest(w) < 0)
						return -1;
				}
				i = w->n_open;
				if (w->len && w->base < reach(now) - 1)
					stats_window_prune(w, now);
			} else if (w->n_open == STATS_OPEN_SLICES) {
				if (open_pack_oldest(w) < 0)
					return -1;
				i--;
			}
			o = open_insert(w, i, no);
		}
	}
	if (!o)
		return -1;
	if (counter < STATS_COUNTERS)
		o->c[counter]++;
	if (latency >= 0 && stats_sparse_add(&o->lat, (uint64_t)latency) < 0)
		return -1;
	return 0;
}

static void
sum_one(const uint32_t *c, struct stats_window_sum *out)
{
	unsigned k;

	for (k = 0; k < STATS_COUNTERS; k++)
		out->c[k] += c[k];
}

void
stats_window_sum(const struct stats_window *w, int64_t now, unsigned window,
		 struct stats_window_sum *out, struct stats_hist *hist)
{
	const uint8_t *p = w->packed, *end = w->len ? w->packed + w->len : w->packed;
	int64_t prev = w->base, from;
	struct dslice d;
	uint32_t i;

	if (window > STATS_WINDOW_MAX)
		window = STATS_WINDOW_MAX;
	/* A slice overlaps [now - window, now] when it ends after now - window. */
	from = now - (int64_t)window - STATS_SLICE;
	memset(out, 0, sizeof(*out));
	for (; p < end; p = d.next) {
		slice_decode(p, prev, &d);
		prev = d.no;
		if (d.no * STATS_SLICE <= from)
			continue;
		sum_one(d.c, out);
		if (hist && d.nb) {
			const uint8_t *q = d.bins;

			for (i = 0; i < d.nb; i++) {
				unsigned b = (unsigned)get_uv(&q);

				stats_hist_add(hist, b, get_uv(&q));
			}
			stats_hist_see_max(hist, d.max);
		}
	}
	for (i = 0; i < w->n_late; i++) {
		const struct stats_late *e = &w->late[i];

		if (e->no * STATS_SLICE <= from)
			continue;
		if (e->counter < STATS_COUNTERS)
			out->c[e->counter]++;
		if (hist && e->latency >= 0) {
			stats_hist_add(hist, stats_hist_bucket((uint64_t)e->latency), 1);
			stats_hist_see_max(hist, base_sat32((uint64_t)e->latency));
		}
	}
	for (i = 0; i < w->n_open; i++) {
		if (w->open[i].no * STATS_SLICE <= from)
			continue;
		sum_one(w->open[i].c, out);
		if (hist)
			stats_hist_merge(hist, &w->open[i].lat);
	}
}

size_t
stats_window_bytes(const struct stats_window *w)
{
	size_t n = w->cap + (size_t)w->cap_open * sizeof(*w->open) +
	    (size_t)w->spare.cap * sizeof(*w->spare.bin);
	uint32_t i;

	for (i = 0; i < w->n_open; i++)
		n += (size_t)w->open[i].lat.cap * sizeof(*w->open[i].lat.bin);
	if (w->late)
		n += STATS_LATE_MAX * sizeof(*w->late);
	return n;
}

void
stats_window_free(struct stats_window *w)
{
	uint32_t i;

	if (!w)
		return;
	free(w->packed);
	for (i = 0; i < w->n_open; i++)
		stats_sparse_free(&w->open[i].lat);
	free(w->open);
	stats_sparse_free(&w->spare);
	free(w->late);
	memset(w, 0, sizeof(*w));
}
