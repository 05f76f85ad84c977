/* cmocka tests of the latency histogram (agent/stats_hist.c). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "stats_hist.h"

/* The value every bucket stands for is within 1/64 of anything it holds, and buckets ascend. */
static void
stats_hist_bucket_value_within_tolerance_everywhere(void **state)
{
	static const uint64_t probes[] = {
		0, 1, 63, 64, 65, 127, 128, 1000, 3599, 3600, 86400, 432000, 1u << 20,
		(1ull << 31) + 12345, UINT32_MAX,
	};
	unsigned prev = 0;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		uint64_t v = probes[i];
		unsigned b = stats_hist_bucket(v);
		uint64_t rep = stats_hist_value(b);
		uint64_t diff = rep > v ? rep - v : v - rep;

		assert_true(b < STATS_HIST_BUCKETS);
		assert_true(b >= prev);
		prev = b;
		assert_true(diff * 64 <= v || diff == 0);
	}
	/* Exact below 64 s. */
	for (i = 0; i < 64; i++)
		assert_int_equal(stats_hist_value(stats_hist_bucket(i)), i);
	/* Every value maps to a bucket whose representative maps back to it. */
	for (i = 0; i < STATS_HIST_BUCKETS; i++)
		assert_int_equal(stats_hist_bucket(stats_hist_value((unsigned)i)), i);
}

static void
stats_hist_huge_value_goes_to_last_bucket(void **state)
{
	(void)state;
	assert_int_equal(stats_hist_bucket(UINT64_MAX), STATS_HIST_BUCKETS - 1);
	assert_int_equal(stats_hist_bucket((uint64_t)UINT32_MAX + 1), STATS_HIST_BUCKETS - 1);
}

static void
stats_hist_empty_gives_zero_percentiles(void **state)
{
	struct stats_hist *h = stats_hist_new();
	static const unsigned p[] = { 50, 99 };
	uint32_t out[2] = { 7, 7 };

	(void)state;
	assert_non_null(h);
	stats_hist_percentiles(h, p, 2, out);
	assert_int_equal(out[0], 0);
	assert_int_equal(out[1], 0);
	assert_int_equal(stats_hist_count(h), 0);
	stats_hist_free(h);
	stats_hist_free(NULL);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Exact nearest rank of sorted v[0..n). */
static uint32_t
exact_rank(const uint32_t *v, size_t n, unsigned p)
{
	size_t rank = (n * p + 99) / 100;

	return v[rank ? rank - 1 : 0];
}

/*
 * Random latencies of several shapes, spread over several sparse
 * histograms (as over window slices): every percentile is within 5% or 1 s
 * of the exact nearest-rank value.
 */
static void
stats_hist_random_percentiles_match_exact_nearest_rank(void **state)
{
	static const unsigned p[] = { 1, 50, 90, 95, 99, 100 };
	struct stats_hist *h = stats_hist_new();
	enum { N = 20000, PARTS = 7 };
	uint32_t *v = malloc(N * sizeof(*v));
	int shape;

	(void)state;
	assert_non_null(h);
	assert_non_null(v);
	srand(12345);
	for (shape = 0; shape < 4; shape++) {
		struct stats_sparse sp[PARTS] = { { 0 } };
		uint32_t got[6];
		size_t i;

		stats_hist_clear(h);
		for (i = 0; i < N; i++) {
			uint32_t x;

			switch (shape) {
			case 0: x = (uint32_t)(rand() % 30); break;		/* fast, exact range */
			case 1: x = (uint32_t)(rand() % 4000); break;		/* uniform to an hour */
			case 2: x = (uint32_t)(1u << (rand() % 20)) + (uint32_t)(rand() % 1000); break;
			default: x = i % 10 ? (uint32_t)(rand() % 5) : 100000u + (uint32_t)rand() % 300000; break;
			}
			v[i] = x;
			assert_int_equal(stats_sparse_add(&sp[i % PARTS], x), 0);
		}
		for (i = 0; i < PARTS; i++) {
			stats_hist_merge(h, &sp[i]);
			stats_sparse_free(&sp[i]);
		}
		assert_int_equal(stats_hist_count(h), N);
		qsort(v, N, sizeof(*v), cmp_u32);
		assert_int_equal(stats_hist_max(h), v[N - 1]);
		stats_hist_percentiles(h, p, 6, got);
		for (i = 0; i < 6; i++) {
			uint32_t want = exact_rank(v, N, p[i]);
			uint32_t diff = got[i] > want ? got[i] - want : want - got[i];

			if (diff > 1 && (uint64_t)diff * 100 > (uint64_t)want * 5)
				fail_msg("shape %d p%u: got %u, exact %u", shape, p[i], got[i], want);
		}
	}
	free(v);
	stats_hist_free(h);
}

/* A single sample: every percentile is it; clearing empties. */
static void
stats_hist_single_sample_is_every_percentile(void **state)
{
	static const unsigned p[] = { 50, 95, 99 };
	struct stats_hist *h = stats_hist_new();
	struct stats_sparse sp = { 0 };
	uint32_t out[3];

	(void)state;
	assert_int_equal(stats_sparse_add(&sp, 1234), 0);
	stats_hist_merge(h, &sp);
	stats_hist_percentiles(h, p, 3, out);
	/* 1234 is the max seen, so the bucket's middle is capped to it. */
	assert_true(out[0] >= 1234 - 1234 / 64 && out[0] <= 1234);
	assert_int_equal(out[0], out[2]);
	stats_hist_clear(h);
	assert_int_equal(stats_hist_count(h), 0);
	assert_int_equal(stats_hist_max(h), 0);
	stats_hist_merge(h, &sp);
	assert_int_equal(stats_hist_count(h), 1);
	stats_sparse_free(&sp);
	stats_hist_free(h);
}

/* The sparse form keeps one bin per distinct bucket, however many samples. */
static void
stats_sparse_repeated_values_share_a_bin(void **state)
{
	struct stats_sparse sp = { 0 };
	int i;

	(void)state;
	for (i = 0; i < 1000; i++)
		assert_int_equal(stats_sparse_add(&sp, (uint64_t)(i % 3)), 0);
	assert_int_equal(sp.n, 3);
	assert_int_equal(sp.max, 2);
	stats_sparse_free(&sp);
	assert_null(sp.bin);
	stats_sparse_free(NULL);
}

/*
 * Values in random order, inserted at the front, middle and end: the bins stay
 * ascending by bucket, one per bucket, and their counts are exact.
 */
static void
stats_sparse_bins_stay_sorted_and_exact(void **state)
{
	static uint32_t want[STATS_HIST_BUCKETS];
	struct stats_sparse sp = { 0 };
	uint64_t x = 88172645463325252ull, total = 0;
	unsigned i, b;

	(void)state;
	for (i = 0; i < 20000; i++) {
		uint64_t v;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		v = (i % 3 == 0) ? x % 100 : (i % 3 == 1) ? x % 100000 : x % 5000000000ull;
		want[stats_hist_bucket(v)]++;
		assert_int_equal(stats_sparse_add(&sp, v), 0);
	}
	for (i = 0; i < sp.n; i++) {
		if (i)
			assert_true(sp.bin[i - 1].bucket < sp.bin[i].bucket);
		assert_int_equal(sp.bin[i].n, want[sp.bin[i].bucket]);
		total += sp.bin[i].n;
	}
	assert_int_equal(total, 20000);
	for (b = 0, i = 0; b < STATS_HIST_BUCKETS; b++)
		i += want[b] != 0;
	assert_int_equal(sp.n, i);
	stats_sparse_free(&sp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stats_hist_bucket_value_within_tolerance_everywhere),
		cmocka_unit_test(stats_hist_huge_value_goes_to_last_bucket),
		cmocka_unit_test(stats_hist_empty_gives_zero_percentiles),
		cmocka_unit_test(stats_hist_random_percentiles_match_exact_nearest_rank),
		cmocka_unit_test(stats_hist_single_sample_is_every_percentile),
		cmocka_unit_test(stats_sparse_repeated_values_share_a_bin),
		cmocka_unit_test(stats_sparse_bins_stay_sorted_and_exact),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
