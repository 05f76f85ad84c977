/* cmocka tests of the shared building blocks (agent/base.c), table-driven. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base.h"

static void
base_fnv1a_matches_published_vectors(void **state)
{
	/* The FNV-1a 32-bit test vectors; the MIB's long-name index relies on them. */
	static const struct { const char *in; uint32_t h; } v[] = {
		{ "", 0x811c9dc5u },
		{ "a", 0xe40c292cu },
		{ "foobar", 0xbf9cf968u },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_int_equal(base_fnv1a(v[i].in, strlen(v[i].in)), v[i].h);
}

static void
base_fnv1a_lower_ignores_ascii_case_only(void **state)
{
	(void)state;
	assert_int_equal(base_fnv1a_lower("GMail.COM", 9), base_fnv1a("gmail.com", 9));
	/* UTF-8 bytes are not folded: "\xc3\x89" (E acute) stays what it is. */
	assert_int_equal(base_fnv1a_lower("\xc3\x89", 2), base_fnv1a("\xc3\x89", 2));
}

static void
base_lower_copy_caps_at_room_and_keeps_other_bytes(void **state)
{
	static const struct { const char *in; size_t room; const char *out; } v[] = {
		{ "Example.COM", 64, "example.com" },
		{ "ABCDEF", 3, "abc" },
		{ "a-Z@[`{", 64, "a-z@[`{" },	/* the bytes around 'A'-'Z' stay */
		{ "\xc3\x89t\xc3\xa9", 64, "\xc3\x89t\xc3\xa9" },
		{ "", 8, "" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char out[64];
		size_t n = base_lower_copy(out, v[i].room, v[i].in, strlen(v[i].in));

		assert_int_equal(n, strlen(v[i].out));
		assert_memory_equal(out, v[i].out, n);
	}
}

static void
base_sat32_saturates_above_uint32_max(void **state)
{
	(void)state;
	assert_int_equal(base_sat32(0), 0);
	assert_int_equal(base_sat32(UINT32_MAX), UINT32_MAX);
	assert_int_equal(base_sat32((uint64_t)UINT32_MAX + 1), UINT32_MAX);
	assert_int_equal(base_sat32(UINT64_MAX), UINT32_MAX);
}

static void
base_add_sat_stops_at_uint64_max(void **state)
{
	(void)state;
	assert_true(base_add_sat(1, 2) == 3);
	assert_true(base_add_sat(UINT64_MAX - 1, 1) == UINT64_MAX);
	assert_true(base_add_sat(UINT64_MAX - 1, 2) == UINT64_MAX);
	assert_true(base_add_sat(UINT64_MAX, UINT64_MAX) == UINT64_MAX);
}

static void
base_days_in_month_counts_leap_years(void **state)
{
	static const struct { int y; unsigned m, days; } v[] = {
		{ 2023, 2, 28 }, { 2024, 2, 29 }, { 1900, 2, 28 }, { 2000, 2, 29 },
		{ 2024, 1, 31 }, { 2024, 4, 30 }, { 2024, 12, 31 }, { 2024, 0, 0 }, { 2024, 13, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_int_equal(base_days_in_month(v[i].y, v[i].m), v[i].days);
}

static void
base_days_from_civil_every_day_of_four_centuries_round_trips(void **state)
{
	/* Consecutive dates must give consecutive day numbers, across every leap rule. */
	int64_t expect = 0;
	int y;

	(void)state;
	for (y = 1970; y < 2370; y++) {
		unsigned m, d;

		for (m = 1; m <= 12; m++)
			for (d = 1; d <= base_days_in_month(y, m); d++)
				assert_int_equal(base_days_from_civil(y, m, d), expect++);
	}
	assert_int_equal(base_days_from_civil(1969, 12, 31), -1);
}

static void
base_grow_doubles_and_stops_at_the_cap(void **state)
{
	/* need, then the capacity after (0: refused, the array and capacity stay) */
	static const struct { size_t need, cap; } steps[] = {
		{ 1, 16 }, { 16, 16 }, { 17, 32 }, { 70, 100 },	/* 128 would pass the cap */
		{ 100, 100 }, { 101, 0 },
	};
	char *p = NULL;
	size_t cap = 0, i;

	(void)state;
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		size_t before = cap;
		char *q = base_grow(p, &cap, steps[i].need, 1, 16, 100);

		if (steps[i].cap == 0) {
			assert_null(q);
			assert_int_equal(cap, before);
			continue;
		}
		assert_non_null(q);
		assert_int_equal(cap, steps[i].cap);
		memset(q, 'x', cap);	/* the room is there (ASan, valgrind) */
		p = q;
	}
	free(p);
}

static void
base_grow_refuses_sizes_that_overflow(void **state)
{
	size_t cap = 0;

	(void)state;
	assert_null(base_grow(NULL, &cap, 2, sizeof(uint64_t), 1, SIZE_MAX));
	assert_int_equal(cap, 0);
}

static void
base_deadline_carries_nanoseconds_into_seconds(void **state)
{
	struct timespec a, b;

	(void)state;
	base_deadline(&a, 0);
	base_deadline(&b, 1999);
	assert_true(b.tv_nsec >= 0 && b.tv_nsec < 1000000000L);
	assert_true(b.tv_sec - a.tv_sec >= 1 && b.tv_sec - a.tv_sec <= 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(base_fnv1a_matches_published_vectors),
		cmocka_unit_test(base_fnv1a_lower_ignores_ascii_case_only),
		cmocka_unit_test(base_lower_copy_caps_at_room_and_keeps_other_bytes),
		cmocka_unit_test(base_sat32_saturates_above_uint32_max),
		cmocka_unit_test(base_add_sat_stops_at_uint64_max),
		cmocka_unit_test(base_days_in_month_counts_leap_years),
		cmocka_unit_test(base_days_from_civil_every_day_of_four_centuries_round_trips),
		cmocka_unit_test(base_grow_doubles_and_stops_at_the_cap),
		cmocka_unit_test(base_grow_refuses_sizes_that_overflow),
		cmocka_unit_test(base_deadline_carries_nanoseconds_into_seconds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
