/*
 * Latency histograms: log-linear buckets (values below 64 s exact, then 32
 * buckets per power of two, so a bucket's middle is within 1/64 of any value
 * in it), a sparse form small enough to keep one per time slice of every
 * row, and a dense accumulator that sums sparse ones and answers
 * nearest-rank percentiles.
 */
#ifndef PMTA_STATS_HIST_H
#define PMTA_STATS_HIST_H

#include <stddef.h>
#include <stdint.h>

#define STATS_HIST_EXACT 64	/* values below this have a bucket each */
#define STATS_HIST_SUB_BITS 5	/* 32 buckets per power of two above that */
#define STATS_HIST_BUCKETS 896	/* covers 0 .. 2^32-1 seconds */

/* The bucket of value v (values from 2^32 on share the last bucket). */
unsigned stats_hist_bucket(uint64_t v);

/* The value that stands for bucket b: the middle of its range, rounded down. */
uint32_t stats_hist_value(unsigned b);

struct stats_hbin {
	uint32_t n;
	uint16_t bucket;
};

/* A few (bucket, count) pairs, ascending by bucket; zeroed is empty. */
struct stats_sparse {
	struct stats_hbin *bin;
	uint16_t n, cap;
	uint32_t max;		/* largest value added */
};

/* Counts v once; -1 (nothing counted) on no memory. */
int stats_sparse_add(struct stats_sparse *h, uint64_t v);
/* Empties h but keeps its memory for the next use. */
void stats_sparse_reset(struct stats_sparse *h);
void stats_sparse_free(struct stats_sparse *h);

/* The dense accumulator (opaque: about 8 KiB). */
struct stats_hist;

struct stats_hist *stats_hist_new(void);
void stats_hist_free(struct stats_hist *h);

/* Empties h, in time proportional to the buckets in use. */
void stats_hist_clear(struct stats_hist *h);
void stats_hist_merge(struct stats_hist *h, const struct stats_sparse *s);
/* Adds n samples to bucket b (< STATS_HIST_BUCKETS), and a largest value seen. */
void stats_hist_add(struct stats_hist *h, unsigned b, uint64_t n);
void stats_hist_see_max(struct stats_hist *h, uint32_t max);
uint64_t stats_hist_count(const struct stats_hist *h);
uint32_t stats_hist_max(const struct stats_hist *h);

/*
 * Nearest-rank percentiles pct[i] (1..100, ascending) of what h holds, into
 * out[i]: the representative value of the bucket holding that rank, never
 * above the largest value seen. 0 for all when h is empty.
 */
void stats_hist_percentiles(struct stats_hist *h, const unsigned *pct, size_t n, uint32_t *out);

#endif
