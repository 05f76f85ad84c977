/* cmocka tests of name indexes and row lookup (agent/mib_index.c). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mib_index.h"

static void
mib_name_short_name_is_kept_as_is(void **state)
{
	char out[MIB_NAME_MAX];
	char name64[65];

	(void)state;
	assert_int_equal(mib_name_index("gmail.com", 9, out), 9);
	assert_memory_equal(out, "gmail.com", 9);
	memset(name64, 'a', 64);
	assert_int_equal(mib_name_index(name64, 64, out), 64);
	assert_memory_equal(out, name64, 64);
}

static void
mib_name_long_name_gets_prefix_tilde_and_hash(void **state)
{
	char a[200], b[200], oa[MIB_NAME_MAX], ob[MIB_NAME_MAX];
	size_t na, nb, i;

	(void)state;
	memset(a, 'x', sizeof(a));
	memcpy(b, a, sizeof(b));
	b[199] = 'y';	/* same 55-byte prefix, different end */
	na = mib_name_index(a, sizeof(a), oa);
	nb = mib_name_index(b, sizeof(b), ob);
	assert_int_equal(na, 64);
	assert_int_equal(nb, 64);
	assert_memory_equal(oa, a, 55);
	assert_int_equal(oa[55], '~');
	for (i = 56; i < 64; i++)
		assert_non_null(strchr("0123456789abcdef", oa[i]));
	assert_memory_not_equal(oa, ob, 64);
	/* stable: the same name always gives the same index */
	assert_int_equal(mib_name_index(a, sizeof(a), ob), 64);
	assert_memory_equal(oa, ob, 64);
	/* 65 bytes is already too long */
	assert_int_equal(mib_name_index(a, 65, oa), 64);
	assert_int_equal(oa[55], '~');
}

static void
mib_name_hash_is_fnv1a_of_whole_name(void **state)
{
	/* FNV-1a 32 of 70 'a': computed independently. */
	char a[70], out[MIB_NAME_MAX], want[9];
	uint32_t h = 2166136261u;
	size_t i;

	(void)state;
	memset(a, 'a', sizeof(a));
	for (i = 0; i < sizeof(a); i++) {
		h ^= 'a';
		h *= 16777619u;
	}
	snprintf(want, sizeof(want), "%08x", h);
	mib_name_index(a, sizeof(a), out);
	assert_memory_equal(out + 56, want, 8);
}

struct item {
	const char *name;
};

static size_t
key_item(const void *e, uint32_t *out)
{
	const struct item *it = e;

	/* as the snapshot does: a row without a name has no index */
	if (!it->name[0])
		return 0;
	return mib_index_put_string(out, MIB_INDEX_MAX, it->name, strlen(it->name));
}

static void
mib_rows_sort_by_length_then_bytes_and_drop_duplicates(void **state)
{
	const struct item items[] = {
		{ "gmail.com" }, { "aol.com" }, { "web.de" }, { "yahoo.com" }, { "aol.com" }, { "" },
	};
	struct mib_rows r;

	(void)state;
	assert_int_equal(mib_rows_build(&r, items, 6, sizeof(items[0]), key_item), 0);
	assert_int_equal(r.n, 4);	/* the empty name has no index, aol.com once */
	assert_string_equal(((const struct item *)r.row[0].data)->name, "web.de");
	assert_string_equal(((const struct item *)r.row[1].data)->name, "aol.com");
	assert_ptr_equal(r.row[1].data, &items[1]);	/* the first duplicate wins */
	assert_string_equal(((const struct item *)r.row[2].data)->name, "gmail.com");
	assert_string_equal(((const struct item *)r.row[3].data)->name, "yahoo.com");
	{
		uint32_t k[MIB_INDEX_MAX];

		assert_true(r.narrow);	/* names: one byte a sub-id */
		assert_int_equal(mib_rows_index(&r, 2, k), 10);
		assert_int_equal(k[0], 9);
		assert_int_equal(k[1], 'g');
		assert_int_equal(k[9], 'm');
	}
	mib_rows_clear(&r);
}

static void
mib_rows_seek_exact_and_next(void **state)
{
	const struct item items[] = { { "b" }, { "d" }, { "f" } };
	struct mib_rows r;
	uint32_t k[2] = { 1, 'd' };

	(void)state;
	assert_int_equal(mib_rows_build(&r, items, 3, sizeof(items[0]), key_item), 0);
	assert_int_equal(mib_rows_seek(&r, k, 2, false), 1);	/* "d" itself */
	assert_int_equal(mib_rows_seek(&r, k, 2, true), 2);	/* after "d": "f" */
	k[1] = 'c';
	assert_int_equal(mib_rows_seek(&r, k, 2, true), 1);	/* between: "d" */
	k[1] = 'f';
	assert_int_equal(mib_rows_seek(&r, k, 2, true), 3);	/* past the end */
	assert_int_equal(mib_rows_seek(&r, k, 0, true), 0);	/* empty key: first row */
	assert_int_equal(mib_rows_seek(&r, k, 1, true), 0);	/* a partial index {1} */
	mib_rows_clear(&r);
}

/* Numbered rows: a scope, then a name (the latency table's shape). */
struct numbered {
	uint32_t scope;
	const char *name;
};

static size_t
key_numbered(const void *e, uint32_t *out)
{
	const struct numbered *it = e;

	out[0] = it->scope;
	return 1 + mib_index_put_string(out + 1, MIB_INDEX_MAX - 1, it->name, strlen(it->name));
}

/*
 * One sub-id of 256 or more anywhere makes the whole table keep 32-bit
 * sub-ids; narrow or not, the order, the lookups and the index read back
 * are the same (bytes sort as unsigned: 0xe9 after 'z').
 */
static void
mib_rows_narrow_and_wide_sort_and_seek_alike(void **state)
{
	const struct numbered narrow[] = {
		{ 2, "b" }, { 1, "zz" }, { 1, "\xe9" }, { 1, "a" }, { 2, "ab" },
	};
	const struct numbered wide[] = {
		{ 2, "b" }, { 1, "zz" }, { 1, "\xe9" }, { 1, "a" }, { 2, "ab" }, { 300, "a" },
	};
	/* sorted: {1,1,a} {1,1,e9} {1,2,zz} {2,1,b} {2,2,ab} [{300,1,a}] */
	const char *const order[] = { "a", "\xe9", "zz", "b", "ab", "a" };
	const uint32_t e9[] = { 1, 1, 0xe9 }, between[] = { 1, 1, 0xff }, big[] = { 299 };
	struct mib_rows rn, rw;
	uint32_t k[MIB_INDEX_MAX];
	size_t i;

	(void)state;
	assert_int_equal(mib_rows_build(&rn, narrow, 5, sizeof(narrow[0]), key_numbered), 0);
	assert_int_equal(mib_rows_build(&rw, wide, 6, sizeof(wide[0]), key_numbered), 0);
	assert_true(rn.narrow);
	assert_false(rw.narrow);
	assert_int_equal(rn.n, 5);
	assert_int_equal(rw.n, 6);
	for (i = 0; i < rw.n; i++) {
		assert_string_equal(((const struct numbered *)rw.row[i].data)->name, order[i]);
		if (i < rn.n)
			assert_string_equal(((const struct numbered *)rn.row[i].data)->name, order[i]);
	}
	for (i = 0; i < rn.n; i++) {
		size_t n = mib_rows_index(&rn, i, k);

		assert_int_equal(mib_rows_cmp(&rn, i, k, n), 0);
		assert_int_equal(mib_rows_cmp(&rw, i, k, n), 0);
		assert_int_equal(mib_rows_seek(&rw, k, n, false), i);
		assert_int_equal(mib_rows_seek(&rn, k, n, true), i + 1);
	}
	assert_int_equal(mib_rows_index(&rw, 5, k), 3);
	assert_int_equal(k[0], 300);
	assert_int_equal(mib_rows_seek(&rn, e9, 3, false), 1);
	assert_int_equal(mib_rows_seek(&rw, between, 3, true), 2);
	assert_int_equal(mib_rows_cmp(&rn, 1, between, 3), -1);
	assert_int_equal(mib_rows_seek(&rw, big, 1, true), 5);
	assert_int_equal(mib_rows_seek(&rn, big, 1, true), 5);
	mib_rows_clear(&rn);
	mib_rows_clear(&rw);
}

static void
mib_rows_empty_input_gives_empty_rows(void **state)
{
	struct mib_rows r;
	uint32_t k[1] = { 0 };

	(void)state;
	assert_int_equal(mib_rows_build(&r, NULL, 0, sizeof(struct item), key_item), 0);
	assert_int_equal(r.n, 0);
	assert_int_equal(mib_rows_seek(&r, k, 1, false), 0);
	mib_rows_clear(&r);
}

static void
mib_oid_cmp_orders_prefix_first(void **state)
{
	const uint32_t a[] = { 1, 2 }, b[] = { 1, 2, 0 }, c[] = { 1, 3 };

	(void)state;
	assert_int_equal(mib_oid_cmp(a, 2, b, 3), -1);
	assert_int_equal(mib_oid_cmp(b, 3, c, 2), -1);
	assert_int_equal(mib_oid_cmp(a, 2, a, 2), 0);
	assert_int_equal(mib_oid_cmp(c, 2, a, 2), 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mib_name_short_name_is_kept_as_is),
		cmocka_unit_test(mib_name_long_name_gets_prefix_tilde_and_hash),
		cmocka_unit_test(mib_name_hash_is_fnv1a_of_whole_name),
		cmocka_unit_test(mib_rows_sort_by_length_then_bytes_and_drop_duplicates),
		cmocka_unit_test(mib_rows_narrow_and_wide_sort_and_seek_alike),
		cmocka_unit_test(mib_rows_seek_exact_and_next),
		cmocka_unit_test(mib_rows_empty_input_gives_empty_rows),
		cmocka_unit_test(mib_oid_cmp_orders_prefix_first),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
