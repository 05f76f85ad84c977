/* cmocka tests of DateAndTime and TimeStamp values (agent/mib_time.c). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mib_time.h"

static void
mib_time_date_and_time_encodes_utc_fields_and_tenths(void **state)
{
	/* Epoch milliseconds of each date (seconds as calendar.timegm gives them). */
	static const struct {
		int64_t wall_ms;
		uint8_t want[MIB_DATE_AND_TIME_LEN];
	} cases[] = {
		{ 0, { 0x07, 0xb2, 1, 1, 0, 0, 0, 0, '+', 0, 0 } },
		{ INT64_C(951868799999), { 0x07, 0xd0, 2, 29, 23, 59, 59, 9, '+', 0, 0 } },
		{ INT64_C(1796097600099), { 0x07, 0xea, 12, 1, 4, 0, 0, 0, '+', 0, 0 } },
		{ INT64_C(1796097600100), { 0x07, 0xea, 12, 1, 4, 0, 0, 1, '+', 0, 0 } },
		{ INT64_C(1798761599500), { 0x07, 0xea, 12, 31, 23, 59, 59, 5, '+', 0, 0 } },
		{ INT64_C(253402300799999), { 0x27, 0x0f, 12, 31, 23, 59, 59, 9, '+', 0, 0 } },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t out[MIB_DATE_AND_TIME_LEN];

		assert_int_equal(mib_time_date_and_time(cases[i].wall_ms, out), MIB_DATE_AND_TIME_LEN);
		assert_memory_equal(out, cases[i].want, MIB_DATE_AND_TIME_LEN);
	}
}

static void
mib_time_date_and_time_out_of_range_is_refused_untouched(void **state)
{
	uint8_t out[MIB_DATE_AND_TIME_LEN];

	(void)state;
	memset(out, 0xaa, sizeof(out));
	assert_int_equal(mib_time_date_and_time(-1, out), 0);
	assert_int_equal(mib_time_date_and_time(INT64_C(253402300800000), out), 0);
	assert_int_equal(out[0], 0xaa);
	assert_int_equal(out[10], 0xaa);
}

static void
mib_time_stamp_counts_hundredths_from_the_origin(void **state)
{
	(void)state;
	assert_int_equal(mib_time_stamp(5000, 1000), 400);
	assert_int_equal(mib_time_stamp(1009, 1000), 0);	/* under a hundredth */
	assert_int_equal(mib_time_stamp(1010, 1000), 1);
	assert_int_equal(mib_time_stamp(1000, 1000), 0);
}

static void
mib_time_stamp_before_the_origin_or_never_is_zero(void **state)
{
	(void)state;
	assert_int_equal(mib_time_stamp(999, 1000), 0);
	assert_int_equal(mib_time_stamp(0, -5000), 0);
}

static void
mib_time_stamp_wraps_like_timeticks(void **state)
{
	int64_t origin = 7;

	(void)state;
	/* 2^32 hundredths after the origin is 0 again, one more is 1. */
	assert_int_equal(mib_time_stamp(origin + INT64_C(42949672960), origin), 0);
	assert_int_equal(mib_time_stamp(origin + INT64_C(42949672970), origin), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mib_time_date_and_time_encodes_utc_fields_and_tenths),
		cmocka_unit_test(mib_time_date_and_time_out_of_range_is_refused_untouched),
		cmocka_unit_test(mib_time_stamp_counts_hundredths_from_the_origin),
		cmocka_unit_test(mib_time_stamp_before_the_origin_or_never_is_zero),
		cmocka_unit_test(mib_time_stamp_wraps_like_timeticks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
