/* cmocka tests of the notification rate limit (agent/trap_limit.c). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "trap_limit.h"

static void
trap_limit_allows_limit_per_minute_then_holds(void **state)
{
	struct trap_limit t;
	uint64_t held;
	int i;

	(void)state;
	assert_int_equal(trap_limit_init(&t, 3), 0);
	for (i = 0; i < 3; i++)
		assert_true(trap_limit_allow(&t, 100 + i, &held));
	assert_false(trap_limit_allow(&t, 110, &held));
	assert_false(trap_limit_allow(&t, 159, &held));	/* the first send is 59 s old */
	assert_int_equal(t.held, 2);
	/* at 160 the first send is a minute old: one slot frees, the summary comes */
	assert_true(trap_limit_allow(&t, 160, &held));
	assert_int_equal(held, 2);
	assert_int_equal(t.held_total, 2);
	assert_false(trap_limit_allow(&t, 160, &held));
	assert_true(trap_limit_allow(&t, 161, &held));
	assert_int_equal(held, 1);
	trap_limit_clear(&t);
}

static void
trap_limit_storm_of_thousands_sends_only_limit(void **state)
{
	struct trap_limit t;
	uint64_t held, sent = 0;
	int i;

	(void)state;
	assert_int_equal(trap_limit_init(&t, 60), 0);
	for (i = 0; i < 5000; i++)
		sent += trap_limit_allow(&t, 1000 + i / 100, &held);	/* 100 per second for 50 s */
	assert_int_equal(sent, 60);
	assert_int_equal(t.held_total, 5000 - 60);
	trap_limit_clear(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(trap_limit_allows_limit_per_minute_then_holds),
		cmocka_unit_test(trap_limit_storm_of_thousands_sends_only_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
