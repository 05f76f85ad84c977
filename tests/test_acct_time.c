/* cmocka tests of the accounting time parser (agent/acct_time.c). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "acct_time.h"

struct good {
	const char *in;
	int64_t want;
};

/* Expected values worked out independently with `date -u -d ... +%s`. */
static const struct good goods[] = {
	{ "2019-02-08 21:54:05+0000", 1549662845 },
	{ "2019-02-08T21:54:05+0000", 1549662845 },
	{ "2019-02-08 21:54:05Z", 1549662845 },
	{ "2017-05-04 18:07:21-0300", 1493932041 },	/* the real b record */
	{ "2017-05-04 18:07:21-03:00", 1493932041 },
	{ "2017-05-04 21:07:21+0000", 1493932041 },
	{ "2017-05-05 02:37:21+0530", 1493932041 },	/* India, half-hour offset */
	{ "2017-05-05 02:52:21+05:45", 1493932041 },	/* Nepal */
	{ "2017-05-05 11:07:21+1400", 1493932041 },	/* Kiribati, the date line */
	{ "2024-02-29 12:00:00+0000", 1709208000 },	/* leap day */
	{ "2000-02-29 00:00:00+0000", 951782400 },	/* divisible by 400: leap */
	{ "2023-12-31 23:59:59+0000", 1704067199 },
	{ "2024-01-01 00:30:00+0100", 1704065400 },	/* the offset crosses the year */
	{ "1970-01-01 00:00:00+0000", 0 },
	{ "9999-12-31 23:59:59+0000", 253402300799 },
	{ "1549662845", 1549662845 },
	{ "1549662845.123", 1549662845 },
	{ "0", 0 },
};

static void
acct_time_valid_inputs_give_utc_seconds(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		int64_t t = -42;

		if (acct_time_parse(goods[i].in, strlen(goods[i].in), &t) != 0)
			fail_msg("refused %s", goods[i].in);
		if (t != goods[i].want)
			fail_msg("%s gave %lld, want %lld", goods[i].in, (long long)t,
			    (long long)goods[i].want);
	}
}

static const char *const bads[] = {
	"",
	" ",
	"2019-02-08 21:54:05",		/* no offset */
	"2019-02-08 21:54:05+000",
	"2019-02-08 21:54:05+00000",
	"2019-02-08 21:54:05 +0000",
	"2019-02-08 21:54:05+1900",	/* offset over 18 hours */
	"2019-02-08 21:54:05+0060",
	"2019-02-08 21:54:05*0000",
	"2019-02-08 21:54:05+00:0",
	"2019-02-08 21:54:05+0000 ",
	"2019-02-08_21:54:05+0000",
	"2019/02/08 21:54:05+0000",
	"2019-2-08 21:54:05+0000",
	"2019-00-08 21:54:05+0000",	/* month 0 */
	"2019-13-08 21:54:05+0000",
	"2019-02-00 21:54:05+0000",	/* day 0 */
	"2019-02-29 21:54:05+0000",	/* not a leap year */
	"1900-02-29 21:54:05+0000",	/* divisible by 100, not 400 */
	"2019-04-31 21:54:05+0000",
	"2019-02-08 24:00:00+0000",
	"2019-02-08 21:60:05+0000",
	"2019-02-08 21:54:60+0000",
	"1969-12-31 23:59:59+0000",	/* before the epoch */
	"1970-01-01 00:30:00+0100",	/* before the epoch once the offset is applied */
	"abcd-02-08 21:54:05+0000",
	"2019-02-08 2l:54:05+0000",
	"-1549662845",
	"+1549662845",
	"1549662845.",
	".5",
	"1549662845.1.2",
	"1549662845x",
	"1549662845 ",
	"1234567890123",		/* 13 digits: not a plausible time */
	"1549662845.1234567890",	/* more than nanoseconds */
	"99999999999999999999999",
};

static void
acct_time_bad_inputs_are_refused_and_leave_out_alone(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		int64_t t = -42;

		if (acct_time_parse(bads[i], strlen(bads[i]), &t) != -1)
			fail_msg("accepted \"%s\" as %lld", bads[i], (long long)t);
		assert_int_equal(t, -42);
	}
}

static void
acct_time_reads_exactly_len_bytes(void **state)
{
	/* A field view inside a line: what follows must not be read. */
	const char *line = "2019-02-08 21:54:05+0000,2019-02-08 21:54:06+0000";
	int64_t t;

	(void)state;
	assert_int_equal(acct_time_parse(line, 24, &t), 0);
	assert_int_equal(t, 1549662845);
	assert_int_equal(acct_time_parse("15496628459", 10, &t), 0);
	assert_int_equal(t, 1549662845);
	assert_int_equal(acct_time_parse(line, 23, &t), -1);	/* offset cut short */
	assert_int_equal(acct_time_parse(NULL, 0, &t), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(acct_time_valid_inputs_give_utc_seconds),
		cmocka_unit_test(acct_time_bad_inputs_are_refused_and_leave_out_alone),
		cmocka_unit_test(acct_time_reads_exactly_len_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
