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
	 * miss once each, unless two share a slot of the 16 and evict each other. */
	assert_true(misses >= 5 && misses <= 15);
	assert_int_equal(misses + hits, 15);
	domain_cache_free(c);
}

static void
domain_cache_evicts_on_collision_and_stays_bounded(void **state)
{
	struct domain_cache *c = domain_cache_new(1);	/* one slot: every new name evicts */
	char out[DOMAIN_IDN_MAX + 1];
	uint64_t misses, hits;

	(void)state;
	assert_non_null(c);
	domain_cache_key(c, "bücher.de", strlen("bücher.de"), out);
	domain_cache_key(c, "日本.jp", strlen("日本.jp"), out);
	assert_string_equal(out, "xn--wgv71a.jp");
	domain_cache_key(c, "bücher.de", strlen("bücher.de"), out);
	assert_string_equal(out, "xn--bcher-kva.de");
	domain_cache_key(c, "bücher.de", strlen("bücher.de"), out);
	domain_cache_stats(c, &misses, &hits);
	assert_int_equal(misses, 3);
	assert_int_equal(hits, 1);
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
		cmocka_unit_test(domain_cache_evicts_on_collision_and_stays_bounded),
		cmocka_unit_test(domain_cache_without_a_cache_still_makes_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
