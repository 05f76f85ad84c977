/*
 * cmocka tests of the SNMP edge (agent/mib_lookup.c): which row a GET or a
 * GETNEXT answers from, across instances, columns and table ends, on
 * fixture snapshots and without an agent (lldpd's tests/check_snmp.c is the
 * model). A walk of each table must visit every cell once, in ascending order.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cfg.h"
#include "mib_alarm.h"
#include "mib_lookup.h"
#include "snap_fixture.h"

static const struct mib_rows *
rows_domain(const struct mib_state *st, const struct snap_instance *si)
{
	(void)st;
	return &si->tab[SNAP_DOMAIN].idx;
}

static const struct mib_rows *
rows_threshold(const struct mib_state *st, const struct snap_instance *si)
{
	(void)si;
	return &st->thresholds.idx;
}

/* pmtaDomainTable's shape: columns 2..17 here are any range of two or more. */
static const struct mib_lookup_table domain_tab = {
	.col_first = 2, .col_last = 4, .per_instance = true, .rows = rows_domain,
};
static const struct mib_lookup_table threshold_tab = {
	.col_first = 2, .col_last = 3, .per_instance = false, .rows = rows_threshold,
};

struct fixture {
	struct mib_state st;
	struct cfg *cfg;
};

/* Three instances: 1 with domains, 2 not published yet (NULL), 3 with one domain. */
static int
setup(void **state)
{
	static const char *const d1[] = { "zz.org", "b.com", "a.com" };
	static const char *const d3[] = { "c.net" };
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	assert_non_null(f);
	f->st.n_inst = 3;
	f->st.inst = calloc(3, sizeof(*f->st.inst));
	assert_non_null(f->st.inst);
	f->st.inst[0] = fixture_instance(1, d1, 3, NULL, 0, NULL);
	f->st.inst[2] = fixture_instance(3, d3, 1, NULL, 0, NULL);
	assert_non_null(f->st.inst[0]);
	assert_non_null(f->st.inst[2]);
	f->cfg = cfg_new();
	assert_non_null(f->cfg);
	assert_int_equal(cfg_parse(f->cfg, "pmtaInstance", "mta1 -", err, sizeof(err)), 0);
	assert_int_equal(cfg_parse(f->cfg, "pmtaThreshold", "q1 queuedRcpt instance warn=1 crit=2",
	    err, sizeof(err)), 0);
	assert_int_equal(cfg_parse(f->cfg, "pmtaThreshold", "q2 queuedRcpt instance warn=3 crit=4",
	    err, sizeof(err)), 0);
	assert_int_equal(mib_threshold_table_build(&f->st, f->cfg), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	size_t i;

	for (i = 0; i < f->st.n_inst; i++)
		snapshot_free(f->st.inst[i]);
	free(f->st.inst);
	mib_alarm_tables_clear(&f->st);
	cfg_free(f->cfg);
	free(f);
	return 0;
}

/* idx = instance, then the length-prefixed name. */
static size_t
name_index(uint32_t *idx, uint32_t inst, const char *name)
{
	size_t n = strlen(name), i;

	idx[0] = inst;
	idx[1] = (uint32_t)n;
	for (i = 0; i < n; i++)
		idx[2 + i] = (unsigned char)name[i];
	return n + 2;
}

static const char *
hit_name(const struct mib_hit *h)
{
	return ((const struct snap_row *)h->row->data)->name;
}

/*
 * One request and what must answer it. inst 0 with no name: no index at all;
 * a name of NULL: the instance sub-identifier alone. want_inst 0: no answer.
 */
struct lookup_case {
	unsigned col;
	uint32_t inst;
	const char *name;
	unsigned want_col;
	uint32_t want_inst;
	const char *want_name;
};

static size_t
case_index(const struct lookup_case *c, uint32_t *idx)
{
	if (!c->inst && !c->name)
		return 0;
	if (!c->name) {
		idx[0] = c->inst;
		return 1;
	}
	return name_index(idx, c->inst, c->name);
}

static void
check_case(const struct fixture *f, const struct lookup_case *c, bool next)
{
	uint32_t idx[80];
	size_t n = case_index(c, idx);
	struct mib_hit h;
	bool found = next ? mib_lookup_next(&f->st, &domain_tab, c->col, idx, n, &h) :
	    mib_lookup_get(&f->st, &domain_tab, c->col, idx, n, &h);

	if (!c->want_inst) {
		if (found)
			fail_msg("col %u inst %u %s: answered by %s", c->col, c->inst,
			    c->name ? c->name : "-", hit_name(&h));
		return;
	}
	if (!found)
		fail_msg("col %u inst %u %s: no answer", c->col, c->inst, c->name ? c->name : "-");
	assert_int_equal(h.col, c->want_col);
	assert_ptr_equal(h.si, f->st.inst[c->want_inst - 1]);
	assert_string_equal(hit_name(&h), c->want_name);
}

static void
mib_lookup_get_answers_only_the_exact_row(void **state)
{
	static const struct lookup_case cases[] = {
		{ 3, 1, "b.com", 3, 1, "b.com" },
		{ 2, 3, "c.net", 2, 3, "c.net" },
		{ 3, 3, "b.com", 0, 0, NULL },	/* the name under another instance */
		{ 3, 2, "a.com", 0, 0, NULL },	/* an instance not published yet */
		{ 3, 0, "a.com", 0, 0, NULL },	/* instance numbers start at 1 */
		{ 3, 4, "a.com", 0, 0, NULL },	/* past the last instance */
		{ 3, 1, NULL, 0, 0, NULL },	/* the instance alone */
		{ 3, 0, NULL, 0, 0, NULL },	/* no index */
		{ 1, 1, "a.com", 0, 0, NULL },	/* the index column is not served */
		{ 5, 1, "a.com", 0, 0, NULL },	/* past the last column */
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(*state, &cases[i], false);
}

static void
mib_lookup_get_refuses_a_cut_or_lengthened_index(void **state)
{
	struct fixture *f = *state;
	struct mib_hit h;
	uint32_t idx[80];
	size_t n = name_index(idx, 1, "b.com");

	assert_false(mib_lookup_get(&f->st, &domain_tab, 3, idx, n - 1, &h));
	idx[n] = 0;
	assert_false(mib_lookup_get(&f->st, &domain_tab, 3, idx, n + 1, &h));
}

static void
mib_lookup_next_walks_down_instances_then_across_columns(void **state)
{
	/* Instance 1 has a.com, b.com, zz.org (by length, then bytes); 2 is not
	 * published; 3 has c.net. Columns 2 to 4. */
	static const struct lookup_case cases[] = {
		{ 0, 0, NULL, 2, 1, "a.com" },		/* from the table's top */
		{ 1, 0, NULL, 2, 1, "a.com" },		/* the index column: on to the first */
		{ 2, 1, NULL, 2, 1, "a.com" },		/* the instance alone */
		{ 2, 1, "a.com", 2, 1, "b.com" },
		{ 2, 1, "aa.com", 2, 1, "zz.org" },	/* between rows */
		{ 2, 1, "zz.org", 2, 3, "c.net" },	/* on to the next instance, past 2 */
		{ 2, 2, "a.com", 2, 3, "c.net" },	/* inside the unpublished one */
		{ 2, 3, "c.net", 3, 1, "a.com" },	/* the column's end: the next column */
		{ 4, 1, "zz.org", 4, 3, "c.net" },
		{ 4, 3, "c.net", 0, 0, NULL },		/* the table's last cell */
		{ 4, 4, NULL, 0, 0, NULL },		/* past every instance */
		{ 5, 0, NULL, 0, 0, NULL },		/* past the last column */
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(*state, &cases[i], true);
}

static void
mib_lookup_global_table_is_indexed_by_number(void **state)
{
	struct fixture *f = *state;
	struct mib_hit h;
	uint32_t idx[1] = { 2 };

	assert_true(mib_lookup_get(&f->st, &threshold_tab, 2, idx, 1, &h));
	assert_null(h.si);
	assert_string_equal(hit_name(&h), "q2");
	idx[0] = 3;
	assert_false(mib_lookup_get(&f->st, &threshold_tab, 2, idx, 1, &h));
	/* Past the last row: the top of the next column; past the last column: the end. */
	assert_true(mib_lookup_next(&f->st, &threshold_tab, 2, idx, 1, &h));
	assert_int_equal(h.col, 3);
	assert_string_equal(hit_name(&h), "q1");
	assert_false(mib_lookup_next(&f->st, &threshold_tab, 3, idx, 1, &h));
}

/* The OID of a hit, after the column: what set_result_oid() writes. */
static size_t
hit_oid(const struct mib_hit *h, uint32_t *o)
{
	size_t n = 0, k;

	o[n++] = h->col;
	if (h->si)
		o[n++] = h->si->index;
	k = mib_rows_index(h->rows, (size_t)(h->row - h->rows->row), o + n);
	return n + k;
}

static void
mib_lookup_walk_visits_every_cell_once_in_ascending_order(void **state)
{
	struct fixture *f = *state;
	uint32_t prev[82], cur[82];
	size_t prev_len = 0, cur_len, cells = 0;
	struct mib_hit h;
	unsigned col = 0;

	while (mib_lookup_next(&f->st, &domain_tab, col, prev_len ? prev + 1 : NULL,
	    prev_len ? prev_len - 1 : 0, &h)) {
		cur_len = hit_oid(&h, cur);
		if (prev_len)
			assert_int_equal(mib_oid_cmp(prev, prev_len, cur, cur_len), -1);
		memcpy(prev, cur, cur_len * sizeof(cur[0]));
		prev_len = cur_len;
		col = h.col;
		cells++;
	}
	assert_int_equal(cells, 3 * (3 + 1));	/* three columns of four rows */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(mib_lookup_get_answers_only_the_exact_row),
		T(mib_lookup_get_refuses_a_cut_or_lengthened_index),
		T(mib_lookup_next_walks_down_instances_then_across_columns),
		T(mib_lookup_global_table_is_indexed_by_number),
		T(mib_lookup_walk_visits_every_cell_once_in_ascending_order),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
