/* cmocka tests of the sliding windows (agent/stats_window.c). The clock is passed in. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "stats_window.h"

#define T0 1700000000	/* a multiple of STATS_SLICE */

static uint64_t
sum_of(const struct stats_window *w, int64_t now, unsigned window, enum stats_counter c)
{
	struct stats_window_sum s;

	stats_window_sum(w, now, window, &s, NULL);
	return s.c[c];
}

/* One event a minute for two hours; each window sees what lies within it, as time slides. */
static void
stats_window_slides_with_the_clock(void **state)
{
	struct stats_window w = { 0 };
	int64_t t;

	(void)state;
	for (t = T0; t < T0 + 7200; t += 60)
		assert_int_equal(stats_window_add(&w, t + 5, t + 5, STATS_DELIVERED, -1), 0);
	/* At T0+7200, the last 600 s hold the events at +6605 .. +7145: 10. */
	assert_int_equal(sum_of(&w, T0 + 7200, 600, STATS_DELIVERED), 10);
	assert_int_equal(sum_of(&w, T0 + 7200, 3600, STATS_DELIVERED), 60);
	/* Windows longer than STATS_WINDOW_MAX are capped. */
	assert_int_equal(sum_of(&w, T0 + 7200, 86400, STATS_DELIVERED), 60);
	/* Ten minutes on, with nothing new, the 600 s window is empty. */
	assert_int_equal(sum_of(&w, T0 + 7800, 600, STATS_DELIVERED), 0);
	assert_int_equal(sum_of(&w, T0 + 7800, 900, STATS_DELIVERED), 5);
	assert_int_equal(sum_of(&w, T0 + 7800, 900, STATS_BOUNCED), 0);
	stats_window_free(&w);
}

/* Window edges: an event exactly `window` s old counts; one a slice older does not. */
static void
stats_window_edges_are_accurate_to_a_slice(void **state)
{
	struct stats_window w = { 0 };
	int64_t now = T0 + 1000;

	(void)state;
	assert_int_equal(stats_window_add(&w, now - 900, now, STATS_BOUNCED, -1), 0);
	assert_int_equal(sum_of(&w, now, 900, STATS_BOUNCED), 1);
	assert_int_equal(sum_of(&w, now + STATS_SLICE, 900, STATS_BOUNCED), 0);
	assert_int_equal(sum_of(&w, now, 900 - STATS_SLICE, STATS_BOUNCED), 0);
	stats_window_free(&w);
}

/* Events after now count as now; events older than any window are not kept. */
static void
stats_window_future_counts_as_now_and_old_is_ignored(void **state)
{
	struct stats_window w = { 0 };
	int64_t now = T0;

	(void)state;
	assert_int_equal(stats_window_add(&w, now + 86400, now, STATS_DEFERRED, -1), 0);
	assert_int_equal(sum_of(&w, now, 10, STATS_DEFERRED), 1);
	/* Ten minutes later it is ten minutes old, not in the future. */
	assert_int_equal(sum_of(&w, now + 600, 300, STATS_DEFERRED), 0);
	assert_int_equal(stats_window_add(&w, now - STATS_WINDOW_MAX - STATS_SLICE, now,
	    STATS_DEFERRED, -1), 0);
	assert_int_equal(sum_of(&w, now, STATS_WINDOW_MAX, STATS_DEFERRED), 1);
	assert_int_equal(stats_window_slices(&w), 1);
	stats_window_free(&w);
}

/* Out-of-order events land in their own slice; the slices stay sorted. */
static void
stats_window_out_of_order_events_keep_their_slice(void **state)
{
	struct stats_window w = { 0 };
	int64_t now = T0 + 3000;

	(void)state;
	assert_int_equal(stats_window_add(&w, T0 + 2900, now, STATS_DELIVERED, -1), 0);
	assert_int_equal(stats_window_add(&w, T0 + 100, now, STATS_DELIVERED, -1), 0);
	assert_int_equal(stats_window_add(&w, T0 + 2000, now, STATS_DELIVERED, -1), 0);
	assert_int_equal(stats_window_add(&w, T0 + 2005, now, STATS_HARD_BOUNCED, -1), 0);
	assert_int_equal(stats_window_slices(&w), 3);
	assert_int_equal(sum_of(&w, now, 200, STATS_DELIVERED), 1);
	assert_int_equal(sum_of(&w, now, 1000, STATS_DELIVERED), 2);
	assert_int_equal(sum_of(&w, now, 1000, STATS_HARD_BOUNCED), 1);
	assert_int_equal(sum_of(&w, now, 3000, STATS_DELIVERED), 3);
	stats_window_free(&w);
}

/* A shorter horizon: slices that end before the one holding t go, late events included. */
static void
stats_window_drop_before_keeps_from_the_slice_of_t(void **state)
{
	struct stats_window w = { 0 };
	int64_t t, now = T0 + 600;

	(void)state;
	for (t = T0; t < T0 + 600; t += STATS_SLICE)
		assert_int_equal(stats_window_add(&w, t, now, STATS_DELIVERED, 3), 0);
	/* a late event in an old slice, still waiting to be merged */
	assert_int_equal(stats_window_add(&w, T0 + 5, now, STATS_BOUNCED, -1), 0);
	stats_window_drop_before(&w, now - 295);	/* in the slice starting at T0 + 300 */
	assert_int_equal(stats_window_slices(&w), 30);	/* T0+300 .. T0+590 */
	assert_int_equal(sum_of(&w, now, 3600, STATS_DELIVERED), 30);
	assert_int_equal(sum_of(&w, now, 3600, STATS_BOUNCED), 0);
	stats_window_drop_before(&w, now + 10);
	assert_true(stats_window_empty(&w));
	assert_null(w.packed);
	stats_window_free(&w);
}

/* Slices no window can reach are freed, by prune and by adding later events. */
static void
stats_window_prune_frees_unreachable_slices(void **state)
{
	struct stats_window w = { 0 };
	int64_t t;

	(void)state;
	for (t = T0; t < T0 + 600; t += STATS_SLICE)
		assert_int_equal(stats_window_add(&w, t, t, STATS_DELIVERED, 3), 0);
	assert_int_equal(stats_window_slices(&w), 60);
	stats_window_prune(&w, T0 + 600 + STATS_WINDOW_MAX - 300);
	assert_int_equal(stats_window_slices(&w), 30);	/* T0+300 .. T0+590 */
	assert_int_equal(sum_of(&w, T0 + 600 + STATS_WINDOW_MAX - 300, 3600, STATS_DELIVERED), 30);
	/* Adding far later drops the rest. */
	assert_int_equal(stats_window_add(&w, T0 + 20000, T0 + 20000, STATS_DELIVERED, -1), 0);
	assert_int_equal(stats_window_slices(&w), 1);
	stats_window_prune(&w, T0 + 30000);
	assert_true(stats_window_empty(&w));
	assert_null(w.packed);
	assert_null(w.open);
	assert_null(w.spare.bin);
	stats_window_free(&w);
	stats_window_free(NULL);
}

/* Latencies are merged into the histogram for exactly the slices summed. */
static void
stats_window_latencies_follow_the_window(void **state)
{
	struct stats_window w = { 0 };
	struct stats_hist *h = stats_hist_new();
	struct stats_window_sum s;
	static const unsigned p[] = { 50, 100 };
	uint32_t out[2];
	int64_t now = T0 + 2000;
	int i;

	(void)state;
	for (i = 0; i < 10; i++)
		assert_int_equal(stats_window_add(&w, T0, now, STATS_DELIVERED, 500), 0);
	for (i = 0; i < 10; i++)
		assert_int_equal(stats_window_add(&w, now - 5, now, STATS_DELIVERED, 7), 0);
	stats_window_sum(&w, now, 600, &s, h);
	assert_int_equal(s.c[STATS_DELIVERED], 10);
	assert_int_equal(stats_hist_count(h), 10);
	stats_hist_percentiles(h, p, 2, out);
	assert_int_equal(out[0], 7);
	assert_int_equal(out[1], 7);
	stats_hist_clear(h);
	stats_window_sum(&w, now, 3600, &s, h);
	assert_int_equal(stats_hist_count(h), 20);
	stats_hist_percentiles(h, p, 2, out);
	assert_int_equal(out[0], 7);
	assert_int_equal(out[1], 500);
	stats_hist_free(h);
	stats_window_free(&w);
}

/* Negative Unix times (a clock before 1970) still fall into slices that start at or before them. */
static void
stats_window_negative_times_round_down(void **state)
{
	struct stats_window w = { 0 };

	(void)state;
	assert_int_equal(stats_window_add(&w, -15, -1, STATS_DELIVERED, -1), 0);
	assert_int_equal(sum_of(&w, -1, 14, STATS_DELIVERED), 1);
	/* The slice is [-20, -10): at 15 it lies wholly before a 25 s window. */
	assert_int_equal(sum_of(&w, 15, 25, STATS_DELIVERED), 0);
	assert_int_equal(sum_of(&w, 15, 26, STATS_DELIVERED), 1);
	stats_window_free(&w);
}

/*
 * A row that has been quiet for longer than the open slices span is packed
 * whole and gives its buffers back; the sums stay the same, and a later
 * event (newer, or older than the packed ones) still counts.
 */
static void
stats_window_settle_packs_an_idle_row(void **state)
{
	struct stats_window w = { 0 };
	int64_t t, now = T0 + 600;

	(void)state;
	for (t = T0; t < T0 + 300; t += 7)
		assert_int_equal(stats_window_add(&w, t, t, STATS_DELIVERED, t % 40), 0);
	assert_non_null(w.open);
	/* Still busy at the time of the last event: left as it is. */
	stats_window_settle(&w, T0 + 300);
	assert_non_null(w.open);
	assert_int_equal(sum_of(&w, now, 900, STATS_DELIVERED), 43);
	assert_int_equal(sum_of(&w, now, 400, STATS_DELIVERED), 14);	/* +203 .. +294 */
	stats_window_settle(&w, now);
	assert_null(w.open);
	assert_int_equal(w.n_open, 0);
	assert_null(w.spare.bin);
	assert_int_equal(w.cap, w.len);
	assert_int_equal(sum_of(&w, now, 900, STATS_DELIVERED), 43);
	assert_int_equal(sum_of(&w, now, 400, STATS_DELIVERED), 14);
	/* Settling an idle row again changes nothing. */
	stats_window_settle(&w, now);
	assert_int_equal(sum_of(&w, now, 900, STATS_DELIVERED), 43);
	assert_int_equal(stats_window_add(&w, now, now, STATS_BOUNCED, 5), 0);
	assert_int_equal(stats_window_add(&w, T0 + 1, now, STATS_BOUNCED, -1), 0);
	assert_int_equal(sum_of(&w, now, 900, STATS_BOUNCED), 2);
	assert_int_equal(sum_of(&w, now, 900, STATS_DELIVERED), 43);
	stats_window_free(&w);
}

static int64_t
slice_start(int64_t t)
{
	return t - (((t % STATS_SLICE) + STATS_SLICE) % STATS_SLICE);
}

/*
 * Events in random order or jittered (open slices, late events, merges) with
 * latencies: every window's counts and percentiles equal a brute-force
 * count with the same slice rule, at several clocks as old slices go.
 */
static void
check_brute_force(bool ordered)
{
	enum { N = 3000 };
	static const unsigned windows[] = { 10, 60, 600, 900, 1800, 3600 };
	static const unsigned pct[] = { 50, 95 };
	static int64_t t[N], lat[N];
	static int kind[N];
	struct stats_window w = { 0 };
	struct stats_hist *h = stats_hist_new(), *hb = stats_hist_new();
	int64_t now = T0 + 5000, later;
	size_t i, k;

	srand(99);
	for (i = 0; i < N; i++) {
		if (ordered)	/* in time order but for up to 200 s of jitter, some far older */
			t[i] = now - 3700 + (int64_t)i * 3700 / N - rand() % (i % 97 ? 200 : 2000);
		else		/* any order, some from the future */
			t[i] = now - rand() % 3700 + (i % 50 == 0 ? 500 : 0);
		kind[i] = rand() % (STATS_COUNTERS + 1);
		lat[i] = rand() % 3 ? rand() % 100 : -1;
		assert_int_equal(stats_window_add(&w, t[i], now, (enum stats_counter)kind[i], lat[i]), 0);
		if (i % 500 == 499)	/* as the agent does at each view, between records */
			stats_window_settle(&w, now);
	}
	for (later = now; later <= now + 3700; later += 450) {
		for (k = 0; k < sizeof(windows) / sizeof(windows[0]); k++) {
			struct stats_window_sum got;
			uint64_t want[STATS_COUNTERS] = { 0 };
			uint32_t pg[2], pw[2];
			unsigned c;

			stats_hist_clear(h);
			stats_hist_clear(hb);
			for (i = 0; i < N; i++) {
				int64_t ti = t[i] > now ? now : t[i];
				struct stats_sparse one = { 0 };

				if (slice_start(ti) < slice_start(now - STATS_WINDOW_MAX))
					continue;	/* never counted */
				if (slice_start(ti) <= later - (int64_t)windows[k] - STATS_SLICE)
					continue;
				if (kind[i] < STATS_COUNTERS)
					want[kind[i]]++;
				if (lat[i] >= 0) {
					assert_int_equal(stats_sparse_add(&one, (uint64_t)lat[i]), 0);
					stats_hist_merge(hb, &one);
					stats_sparse_free(&one);
				}
			}
			stats_window_sum(&w, later, windows[k], &got, h);
			for (c = 0; c < STATS_COUNTERS; c++)
				if (got.c[c] != want[c])
					fail_msg("now+%lld window %u counter %u: %llu, want %llu",
					    (long long)(later - now), windows[k], c,
					    (unsigned long long)got.c[c], (unsigned long long)want[c]);
			assert_int_equal(stats_hist_count(h), stats_hist_count(hb));
			assert_int_equal(stats_hist_max(h), stats_hist_max(hb));
			stats_hist_percentiles(h, pct, 2, pg);
			stats_hist_percentiles(hb, pct, 2, pw);
			assert_int_equal(pg[0], pw[0]);
			assert_int_equal(pg[1], pw[1]);
		}
		stats_window_prune(&w, later);
		stats_window_settle(&w, later);
	}
	stats_hist_free(h);
	stats_hist_free(hb);
	stats_window_free(&w);
}

static void
stats_window_random_order_matches_brute_force(void **state)
{
	(void)state;
	check_brute_force(false);
}

/* Nearly in order: the open slices, late events and their merges all take part. */
static void
stats_window_jittered_order_matches_brute_force(void **state)
{
	(void)state;
	check_brute_force(true);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(stats_window_slides_with_the_clock),
		cmocka_unit_test(stats_window_edges_are_accurate_to_a_slice),
		cmocka_unit_test(stats_window_future_counts_as_now_and_old_is_ignored),
		cmocka_unit_test(stats_window_out_of_order_events_keep_their_slice),
		cmocka_unit_test(stats_window_prune_frees_unreachable_slices),
		cmocka_unit_test(stats_window_drop_before_keeps_from_the_slice_of_t),
		cmocka_unit_test(stats_window_latencies_follow_the_window),
		cmocka_unit_test(stats_window_negative_times_round_down),
		cmocka_unit_test(stats_window_settle_packs_an_idle_row),
		cmocka_unit_test(stats_window_random_order_matches_brute_force),
		cmocka_unit_test(stats_window_jittered_order_matches_brute_force),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
