/* cmocka tests of the domain key cache (agent/domain_cache.c). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "domain_cache.h"
#include "domain_idn.h"

static void
domain_cache_key_equals_domain_idn_key_and_hits_on_repeat(void **state)
{
	static const char *const in[] = {
		"BÜCHER.DE", "bücher.de", "xn--bcher-kva.de", "日本.jp", "-Bücher.de", "gmail.com",
	};
	struct domain_cache *c = domain_cache_new(16);
	uint64_t misses, hits;
	size_t i, round;

	(void)state;
	assert_non_null(c);
	for (round = 0; round < 3; round++)
		for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
			char a[DOMAIN_IDN_MAX + 1], b[DOMAIN_IDN_MAX + 1];
			size_t n = domain_cache_key(c, in[i], strlen(in[i]), a);

			assert_int_equal(n, domain_idn_key(in[i], strlen(in[i]), b));
			assert_string_equal(a, b);
		}
	domain_cache_stats(c, &misses, &hits);
	/* gmail.com is plain ASCII: never cached, never counted. The other five
	 * miss once each: 16 slots are four sets of four ways, room for all. */
	assert_int_equal(misses, 5);
	assert_int_equal(hits, 10);
	domain_cache_free(c);
}

static void
domain_cache_replaces_the_least_recently_used_and_stays_bounded(void **state)
{
	/* One set of four ways: a fifth name replaces the way used longest ago. */
	static const char *const seq[] = {
		"a\xc3\xbc.de", "b\xc3\xbc.de", "c\xc3\xbc.de", "d\xc3\xbc.de",	/* 4 misses */
		"a\xc3\xbc.de",		/* hit: a is now the newest */
		"e\xc3\xbc.de",		/* miss: replaces b, the oldest */
		"b\xc3\xbc.de",		/* miss: replaces c */
		"a\xc3\xbc.de",		/* hit */
		"d\xc3\xbc.de",		/* hit */
	};
	struct domain_cache *c = domain_cache_new(1);	/* rounded up to one set */
	char out[DOMAIN_IDN_MAX + 1], want[DOMAIN_IDN_MAX + 1];
	uint64_t misses, hits;
	size_t i;

	(void)state;
	assert_non_null(c);
	for (i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		domain_cache_key(c, seq[i], strlen(seq[i]), out);
		domain_idn_key(seq[i], strlen(seq[i]), want);
		assert_string_equal(out, want);
	}
	domain_cache_stats(c, &misses, &hits);
	assert_int_equal(misses, 6);
	assert_int_equal(hits, 3);
	domain_cache_free(c);
}

static void
domain_cache_without_a_cache_still_makes_keys(void **state)
{
	char out[DOMAIN_IDN_MAX + 1];
	uint64_t misses = 7, hits = 7;

	(void)state;
	assert_int_equal(domain_cache_key(NULL, "BÜCHER.DE", strlen("BÜCHER.DE"), out), 16);
	assert_string_equal(out, "xn--bcher-kva.de");
	domain_cache_stats(NULL, &misses, &hits);
	assert_int_equal(misses + hits, 0);
	domain_cache_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(domain_cache_key_equals_domain_idn_key_and_hits_on_repeat),
		cmocka_unit_test(domain_cache_replaces_the_least_recently_used_and_stays_bounded),
		cmocka_unit_test(domain_cache_without_a_cache_still_makes_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
