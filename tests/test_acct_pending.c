/*
 * cmocka tests of the bounded set of followed recipients
 * (agent/acct_pending.c): what identifies a recipient, taking, the cap
 * (oldest given up first) and the horizon, and a long random run checked
 * against a plain model of the set.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "acct_pending.h"

/* What the give_up callback saw. */
struct gave {
	size_t n;
	int64_t since[16];
	uint32_t row0[16];
};

static void
on_give_up(void *arg, const struct acct_pending_item *it)
{
	struct gave *g = arg;

	if (g->n < 16) {
		g->since[g->n] = it->since;
		g->row0[g->n] = it->ref.row[0];
	}
	g->n++;
}

static struct acct_pending_ref
ref_of(uint32_t d)
{
	struct acct_pending_ref r = { { d, d + 1, ACCT_PENDING_NONE } };

	return r;
}

static struct acct_field
fld(const char *s)
{
	struct acct_field f = { s, strlen(s) };

	return f;
}

static struct acct_record
rec(const char *rcpt, const char *orig, int64_t queued, const char *env, const char *job)
{
	struct acct_record r;

	memset(&r, 0, sizeof(r));
	r.type = fld("t");
	r.rcpt = fld(rcpt);
	r.orig = fld(orig);
	r.time_queued = queued;
	r.env_id = fld(env);
	r.job_id = fld(job);
	return r;
}

static void
key_deferred_ignores_rcpt_case_only(void **state)
{
	struct acct_record a = rec("Bob@Example.com", "s@x.com", 1000, "e1", "j1");
	struct acct_record b = rec("bob@example.com", "s@x.com", 1000, "e1", "j1");
	struct acct_record c = rec("bob@example.com", "S@x.com", 1000, "e1", "j1");
	struct acct_record d = rec("bob@example.com", "s@x.com", 1001, "e1", "j1");
	struct acct_record e = rec("bob@example.com", "s@x.com", 1000, "e2", "j1");
	struct acct_record f = rec("bob@example.com", "s@x.com", 1000, "e1", "");

	(void)state;
	assert_int_equal(acct_pending_key_deferred(&a), acct_pending_key_deferred(&b));
	assert_int_not_equal(acct_pending_key_deferred(&b), acct_pending_key_deferred(&c));
	assert_int_not_equal(acct_pending_key_deferred(&b), acct_pending_key_deferred(&d));
	assert_int_not_equal(acct_pending_key_deferred(&b), acct_pending_key_deferred(&e));
	assert_int_not_equal(acct_pending_key_deferred(&b), acct_pending_key_deferred(&f));
}

static void
key_delivered_ignores_queued_and_ids(void **state)
{
	struct acct_record a = rec("bob@example.com", "s@x.com", 1000, "e1", "j1");
	struct acct_record b = rec("BOB@example.com", "s@x.com", 0, "", "");
	struct acct_record c = rec("bob@example.com", "t@x.com", 1000, "e1", "j1");

	uint64_t kd, kv;

	(void)state;
	assert_int_equal(acct_pending_key_delivered(&a), acct_pending_key_delivered(&b));
	assert_int_not_equal(acct_pending_key_delivered(&a), acct_pending_key_delivered(&c));
	acct_pending_keys(&a, &kd, &kv);	/* both at once: the same keys */
	assert_int_equal(kd, acct_pending_key_deferred(&a));
	assert_int_equal(kv, acct_pending_key_delivered(&a));
	/* Field boundaries count: ("ab", "c") is not ("a", "bc"). */
	a = rec("ab", "c", 0, "", "");
	b = rec("a", "bc", 0, "", "");
	assert_int_not_equal(acct_pending_key_delivered(&a), acct_pending_key_delivered(&b));
}

/*
 * Only ASCII A..Z fold, in every position of a long address (the key is hashed
 * 8 bytes at a time): '@' and '[' (just below and above the letters) and bytes
 * above 0x7f (0xc1 is 'A' with the high bit) keep their value.
 */
static void
key_case_folding_is_ascii_letters_only(void **state)
{
	struct acct_record a = rec("Some.Long.Recipient.Name+TAG@Example-Domain.COM", "s", 1, "e", "j");
	struct acct_record b = rec("some.long.recipient.name+tag@example-domain.com", "s", 1, "e", "j");
	struct acct_record c = rec("a@b", "s", 1, "e", "j");
	struct acct_record d = rec("a`b", "s", 1, "e", "j");
	struct acct_record e = rec("a[b", "s", 1, "e", "j");
	struct acct_record f = rec("a{b", "s", 1, "e", "j");
	struct acct_record g = rec("\xc1x@y", "s", 1, "e", "j");
	struct acct_record h = rec("\xe1x@y", "s", 1, "e", "j");

	(void)state;
	assert_int_equal(acct_pending_key_deferred(&a), acct_pending_key_deferred(&b));
	assert_int_equal(acct_pending_key_delivered(&a), acct_pending_key_delivered(&b));
	assert_int_not_equal(acct_pending_key_delivered(&c), acct_pending_key_delivered(&d));
	assert_int_not_equal(acct_pending_key_delivered(&e), acct_pending_key_delivered(&f));
	assert_int_not_equal(acct_pending_key_delivered(&g), acct_pending_key_delivered(&h));
	/* Trailing bytes of a field are not zero padding: "a" is not "a\0". */
	a = rec("a", "", 0, "", "");
	b = rec("a", "", 0, "", "");
	b.rcpt.len = 2;
	b.rcpt.p = "a\0";
	assert_int_not_equal(acct_pending_key_delivered(&a), acct_pending_key_delivered(&b));
}

static void
add_take_returns_first_time_and_rows(void **state)
{
	struct acct_pending *p = acct_pending_new(10, 3600, NULL, NULL);
	struct acct_pending_ref r1 = ref_of(7), r2 = ref_of(9);
	struct acct_pending_item it;

	(void)state;
	assert_non_null(p);
	assert_int_equal(acct_pending_add(p, 42, 1000, &r1), 1);
	/* A second deferral of the same recipient keeps the first one's time and rows. */
	assert_int_equal(acct_pending_add(p, 42, 1500, &r2), 0);
	assert_int_equal(acct_pending_count(p), 1);
	assert_int_equal(acct_pending_take(p, 42, &it), 0);
	assert_int_equal(it.since, 1000);
	assert_int_equal(it.ref.row[0], 7);
	assert_int_equal(it.ref.row[1], 8);
	assert_int_equal(it.ref.row[2], ACCT_PENDING_NONE);
	assert_int_equal(acct_pending_take(p, 42, &it), -1);
	assert_int_equal(acct_pending_count(p), 0);
	assert_int_equal(acct_pending_given_up(p), 0);
	acct_pending_free(p);
}

static void
cap_gives_up_oldest_first(void **state)
{
	struct gave g = { 0 };
	struct acct_pending *p = acct_pending_new(3, 86400, on_give_up, &g);
	struct acct_pending_item it;
	uint64_t k;

	(void)state;
	for (k = 1; k <= 3; k++) {
		struct acct_pending_ref r = ref_of((uint32_t)k);

		assert_int_equal(acct_pending_add(p, k, 100 * (int64_t)k, &r), 1);
	}
	/* Taking the second leaves a hole: the oldest is still the first. */
	assert_int_equal(acct_pending_take(p, 2, &it), 0);
	for (k = 4; k <= 6; k++) {
		struct acct_pending_ref r = ref_of((uint32_t)k);

		assert_int_equal(acct_pending_add(p, k, 100 * (int64_t)k, &r), 1);
	}
	/* 1, 3, 4, 5, 6 in, room for 3: 1 then 3 given up, in that order. */
	assert_int_equal(g.n, 2);
	assert_int_equal(g.since[0], 100);
	assert_int_equal(g.row0[0], 1);
	assert_int_equal(g.since[1], 300);
	assert_int_equal(g.row0[1], 3);
	assert_int_equal(acct_pending_given_up(p), 2);
	assert_int_equal(acct_pending_count(p), 3);
	assert_int_equal(acct_pending_take(p, 1, &it), -1);
	assert_int_equal(acct_pending_take(p, 3, &it), -1);
	assert_int_equal(acct_pending_take(p, 4, &it), 0);
	assert_int_equal(it.since, 400);
	acct_pending_free(p);
}

static void
horizon_gives_up_entries_older_than_it(void **state)
{
	struct gave g = { 0 };
	struct acct_pending *p = acct_pending_new(100, 150, on_give_up, &g);
	struct acct_pending_ref r = ref_of(1);
	struct acct_pending_item it;

	(void)state;
	assert_int_equal(acct_pending_add(p, 1, 100, &r), 1);
	assert_int_equal(acct_pending_add(p, 2, 200, &r), 1);
	assert_int_equal(acct_pending_add(p, 3, 300, &r), 1);
	acct_pending_expire(p, 349);	/* cutoff 199: only the first is older */
	assert_int_equal(g.n, 1);
	acct_pending_expire(p, 400);	/* cutoff 250 */
	assert_int_equal(g.n, 2);
	assert_int_equal(g.since[1], 200);
	assert_int_equal(acct_pending_count(p), 1);
	assert_int_equal(acct_pending_given_up(p), 2);
	assert_int_equal(acct_pending_take(p, 3, &it), 0);
	acct_pending_expire(p, 100000);	/* empty: nothing to give up */
	assert_int_equal(g.n, 2);
	acct_pending_free(p);
}

/*
 * A long run of adds and takes, checked against a plain array of which keys
 * are in, their times, and the order they entered: exercises compaction,
 * growth up to the cap and the index's deletions.
 */
#define RUN_KEYS 40000
#define RUN_MAX 5000
#define RUN_STEPS 400000

static void
random_run_matches_model(void **state)
{
	static int64_t in_since[RUN_KEYS];	/* 0: not in */
	static uint32_t key_at[RUN_STEPS + 2];	/* the key added at each time */
	struct gave g = { 0 };
	struct acct_pending *p = acct_pending_new(RUN_MAX, 1u << 30, on_give_up, &g);
	uint64_t x = 88172645463325252ull;
	size_t n = 0, step, given = 0;
	int64_t t = 1, oldest = 1;

	(void)state;
	memset(in_since, 0, sizeof(in_since));
	for (step = 0; step < RUN_STEPS; step++) {
		struct acct_pending_item it;
		uint32_t k;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		k = 1 + (uint32_t)(x % (RUN_KEYS - 1));
		if ((x >> 40) % 3) {
			struct acct_pending_ref r = ref_of(k);
			int rc;

			g.n = 0;
			rc = acct_pending_add(p, k, t, &r);
			assert_int_equal(rc, in_since[k] ? 0 : 1);
			if (rc != 1)
				continue;
			if (n == RUN_MAX) {
				/* The model's oldest: the first time whose key is still in at that time. */
				while (in_since[key_at[oldest]] != oldest)
					oldest++;
				assert_int_equal(g.n, 1);
				assert_int_equal(g.row0[0], key_at[oldest]);
				assert_int_equal(g.since[0], oldest);
				in_since[key_at[oldest]] = 0;
				n--;
				given++;
			} else {
				assert_int_equal(g.n, 0);
			}
			key_at[t] = k;
			in_since[k] = t++;
			n++;
		} else {
			int rc = acct_pending_take(p, k, &it);

			assert_int_equal(rc, in_since[k] ? 0 : -1);
			if (rc == 0) {
				assert_int_equal(it.since, in_since[k]);
				assert_int_equal(it.ref.row[0], k);
				in_since[k] = 0;
				n--;
			}
		}
		assert_int_equal(acct_pending_count(p), n);
	}
	assert_true(given > 0);	/* the cap was reached */
	assert_int_equal(acct_pending_given_up(p), given);
	/* The arrays never outgrow the cap: a quarter more entries, a power-of-two index. */
	assert_true(acct_pending_bytes(p) <= (RUN_MAX + RUN_MAX / 4 + 1) * 24 + 16384 * 8);
	acct_pending_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(key_deferred_ignores_rcpt_case_only),
		cmocka_unit_test(key_delivered_ignores_queued_and_ids),
		cmocka_unit_test(key_case_folding_is_ascii_letters_only),
		cmocka_unit_test(add_take_returns_first_time_and_rows),
		cmocka_unit_test(cap_gives_up_oldest_first),
		cmocka_unit_test(horizon_gives_up_entries_older_than_it),
		cmocka_unit_test(random_run_matches_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
