#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "stats_hist.h"

#define SUB (1u << STATS_HIST_SUB_BITS)
#define EXACT_BITS 6		/* log2(STATS_HIST_EXACT) */
#define SPARSE_MAX STATS_HIST_BUCKETS

unsigned
stats_hist_bucket(uint64_t v)
{
	unsigned k;

	if (v < STATS_HIST_EXACT)
		return (unsigned)v;
	if (v > UINT32_MAX)
		return STATS_HIST_BUCKETS - 1;
	k = 31u - (unsigned)__builtin_clz((uint32_t)v);	/* v lies in [2^k, 2^(k+1)) */
	return STATS_HIST_EXACT + (k - EXACT_BITS) * SUB +
	    (unsigned)((v >> (k - STATS_HIST_SUB_BITS)) & (SUB - 1));
}

uint32_t
stats_hist_value(unsigned b)
{
	unsigned k, sub;
	uint32_t width;

	if (b < STATS_HIST_EXACT)
		return b;
	if (b >= STATS_HIST_BUCKETS)
		b = STATS_HIST_BUCKETS - 1;
	k = EXACT_BITS + (b - STATS_HIST_EXACT) / SUB;
	sub = (b - STATS_HIST_EXACT) % SUB;
	width = (uint32_t)1 << (k - STATS_HIST_SUB_BITS);
	return (uint32_t)(SUB + sub) * width + width / 2;
}

/*
 * The bins are kept sorted by bucket and found by binary search: a slice of a
 * busy row holds tens of buckets, and a linear scan of them was the largest
 * single cost of ingesting a delivery record. A new bucket is inserted in
 * place (a short memmove: at most a few hundred bytes).
 */
int
stats_sparse_add(struct stats_sparse *h, uint64_t v)
{
	unsigned b = stats_hist_bucket(v);
	uint16_t lo = 0, hi = h->n;

	while (lo < hi) {
		uint16_t mid = (uint16_t)((lo + hi) / 2);

		if (h->bin[mid].bucket < b)
			lo = (uint16_t)(mid + 1);
		else
			hi = mid;
	}
	if (lo < h->n && h->bin[lo].bucket == b) {
		h->bin[lo].n++;
		goto counted;
	}
	if (h->n == h->cap) {
		uint16_t cap = h->cap ? (uint16_t)(h->cap * 2) : 2;
		struct stats_hbin *p;

		if (cap > SPARSE_MAX)
			cap = SPARSE_MAX;	/* never reached: n <= buckets */
		p = realloc(h->bin, cap * sizeof(*p));
		if (!p)
			return -1;
		h->bin = p;
		h->cap = cap;
	}
	memmove(&h->bin[lo + 1], &h->bin[lo], (size_t)(h->n - lo) * sizeof(h->bin[0]));
	h->bin[lo].bucket = (uint16_t)b;
	h->bin[lo].n = 1;
	h->n++;
counted:
	if (v > h->max)
		h->max = base_sat32(v);
	return 0;
}

void
stats_sparse_reset(struct stats_sparse *h)
{
	h->n = 0;
	h->max = 0;
}

void
stats_sparse_free(struct stats_sparse *h)
{
	if (!h)
		return;
	free(h->bin);
	memset(h, 0, sizeof(*h));
}

struct stats_hist {
	uint64_t total;
	uint32_t max;
	unsigned n_used;
	uint16_t used[STATS_HIST_BUCKETS];	/* buckets with a count, in no order */
	uint64_t c[STATS_HIST_BUCKETS];
};

struct stats_hist *
stats_hist_new(void)
{
	return calloc(1, sizeof(struct stats_hist));
}

void
stats_hist_free(struct stats_hist *h)
{
	free(h);
}

void
stats_hist_clear(struct stats_hist *h)
{
	unsigned i;

	for (i = 0; i < h->n_used; i++)
		h->c[h->used[i]] = 0;
	h->n_used = 0;
	h->total = 0;
	h->max = 0;
}

void
stats_hist_merge(struct stats_hist *h, const struct stats_sparse *s)
{
	uint16_t i;

	for (i = 0; i < s->n; i++)
		stats_hist_add(h, s->bin[i].bucket, s->bin[i].n);
	stats_hist_see_max(h, s->max);
}

void
stats_hist_add(struct stats_hist *h, unsigned b, uint64_t n)
{
	if (b >= STATS_HIST_BUCKETS || !n)
		return;
	if (!h->c[b])
		h->used[h->n_used++] = (uint16_t)b;
	h->c[b] += n;
	h->total += n;
}

void
stats_hist_see_max(struct stats_hist *h, uint32_t max)
{
	if (max > h->max)
		h->max = max;
}

uint64_t
stats_hist_count(const struct stats_hist *h)
{
	return h->total;
}

uint32_t
stats_hist_max(const struct stats_hist *h)
{
	return h->max;
}

static int
cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

void
stats_hist_percentiles(struct stats_hist *h, const unsigned *pct, size_t n, uint32_t *out)
{
	uint64_t seen = 0;
	unsigned i = 0;
	size_t k;

	if (!h->total) {
		for (k = 0; k < n; k++)
			out[k] = 0;
		return;
	}
	qsort(h->used, h->n_used, sizeof(h->used[0]), cmp_u16);
	for (k = 0; k < n; k++) {
		/* Nearest rank: the smallest value with at least pct% of the samples at or below it. */
		uint64_t rank = (h->total * (pct[k] > 100 ? 100 : pct[k]) + 99) / 100;
		uint32_t v;

		if (!rank)
			rank = 1;
		while (i < h->n_used && seen + h->c[h->used[i]] < rank)
			seen += h->c[h->used[i++]];
		v = i < h->n_used ? stats_hist_value(h->used[i]) : h->max;
		out[k] = v > h->max ? h->max : v;
	}
}
