/*
 * cmocka tests of the snapshot builder (agent/snapshot.c): the API's lists
 * merged into the accounting rows of the same name (domains and
 * VirtualMTAs case-blind, jobs case-sensitive), new rows for names only the
 * API knows, and every table indexed in walk order.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mib_oids.h"
#include "snap_fixture.h"

static const struct snap_row *
row_named(const struct snap_table *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->row[i].name, name) == 0)
			return &t->row[i];
	return NULL;
}

/* Column c of r, a row of one of s's tables (they are packed: snap_col() reads them). */
static uint64_t
col_of(const struct snap_instance *s, const struct snap_row *r, unsigned c)
{
	int i;

	for (i = 0; i < SNAP_NTABLES; i++)
		if (r >= s->tab[i].row && r < s->tab[i].row + s->tab[i].n)
			return snap_col(&s->tab[i], r, c);
	fail_msg("row %p is in no table", (const void *)r);
	return 0;
}

/*
 * Packing keeps every value: each column takes the bytes its largest value
 * needs (none when it is 0 in every row), up to a full 64-bit counter. No
 * row, used or not, keeps a pointer to the freed 8-byte columns.
 */
static void
snap_table_pack_keeps_every_value_in_the_fewest_bytes(void **state)
{
	static const uint64_t v[][6] = {
		{ 0, 1, 255, 256, UINT32_MAX, UINT64_MAX },
		{ 0, 2, 7, 65535, 65536, (uint64_t)1 << 32 },
		{ 0, 0, 0, 1, 0, 0 },
	};
	struct snap_table t = { 0 };
	size_t i, c;

	(void)state;
	/* Room for 5, 3 used: the other two are the room kept for the API's rows. */
	assert_int_equal(snap_table_alloc(&t, 5, 6), 0);
	t.n = 3;
	for (i = 0; i < 3; i++)
		for (c = 0; c < 6; c++)
			t.row[i].col[c] = v[i][c];
	assert_int_equal(snap_table_pack(&t), 0);
	assert_non_null(t.cells);
	assert_null(t.cols);
	for (i = 0; i < 5; i++)
		assert_null(t.row[i].col);	/* none points into the freed columns */
	assert_int_equal(t.size[0], 0);
	assert_int_equal(t.size[1], 1);
	assert_int_equal(t.size[2], 1);
	assert_int_equal(t.size[3], 2);
	assert_int_equal(t.size[4], 4);
	assert_int_equal(t.size[5], 8);
	assert_int_equal(t.stride, 0 + 1 + 1 + 2 + 4 + 8);
	for (i = 0; i < 3; i++)
		for (c = 0; c < 6; c++)
			if (snap_col(&t, &t.row[i], (unsigned)c) != v[i][c])
				fail_msg("row %zu column %zu: %llu, want %llu", i, c,
				    (unsigned long long)snap_col(&t, &t.row[i], (unsigned)c),
				    (unsigned long long)v[i][c]);
	/* Packed twice: nothing changes. */
	assert_int_equal(snap_table_pack(&t), 0);
	assert_true(snap_col(&t, &t.row[0], 5) == UINT64_MAX);
	snap_table_free(&t);
}

static void
snapshot_merge_puts_api_counts_into_the_accounting_row_case_blind(void **state)
{
	static const char *const acct[] = { "gmail.com", "yahoo.com" };
	static const char *const api[] = { "GMail.COM", "new.org" };
	struct snap_instance *s = fixture_instance(1, api, 2, NULL, 0,
	    fixture_acct_domains(acct, 2));
	const struct snap_table *t;
	const struct snap_row *r;

	(void)state;
	assert_non_null(s);
	t = &s->tab[SNAP_DOMAIN];
	assert_int_equal(t->n, 3);
	/* The accounting row keeps its name and counts and gains the API's columns. */
	r = row_named(t, "gmail.com");
	assert_non_null(r);
	assert_int_equal(col_of(s, r, PMTA_ENTITY_DELIVERED), 100);
	assert_int_equal(col_of(s, r, PMTA_ENTITY_QUEUED_RCPT), 10);
	assert_int_equal(col_of(s, r, PMTA_ENTITY_CONNECTIONS), 1);
	assert_null(row_named(t, "GMail.COM"));
	/* A row only the accounting files know has no API columns ... */
	r = row_named(t, "yahoo.com");
	assert_non_null(r);
	assert_int_equal(col_of(s, r, PMTA_ENTITY_QUEUED_RCPT), 0);
	/* ... and one only the API knows has no accounting counts. */
	r = row_named(t, "new.org");
	assert_non_null(r);
	assert_int_equal(col_of(s, r, PMTA_ENTITY_QUEUED_RCPT), 20);
	assert_int_equal(col_of(s, r, PMTA_ENTITY_DELIVERED), 0);
	assert_int_equal(t->idx.n, 3);
	snapshot_free(s);
}

/* pmtaDomainUnicodeName: the U-label of an A-label key, NULL (the name itself) otherwise. */
static void
snapshot_domain_rows_carry_their_unicode_form(void **state)
{
	static const char *const acct[] = { "xn--bcher-kva.de", "gmail.com" };
	static const char *const api[] = { "xn--wgv71a.jp", "xn--zz.de" };
	struct snap_instance *s = fixture_instance(1, api, 2, NULL, 0,
	    fixture_acct_domains(acct, 2));
	const struct snap_table *t;

	(void)state;
	assert_non_null(s);
	t = &s->tab[SNAP_DOMAIN];
	assert_int_equal(t->n, 4);
	assert_string_equal(row_named(t, "xn--bcher-kva.de")->text, "b\xc3\xbc" "cher.de");
	assert_string_equal(row_named(t, "xn--wgv71a.jp")->text, "\xe6\x97\xa5\xe6\x9c\xac.jp");
	assert_null(row_named(t, "gmail.com")->text);
	/* Not decodable: shown as the key. */
	assert_string_equal(row_named(t, "xn--zz.de")->text, "xn--zz.de");
	snapshot_free(s);
}

static void
snapshot_merge_sums_two_api_spellings_of_one_domain(void **state)
{
	/* The poller keys both (domain_idn.h); should a page list one domain twice, it is one row. */
	static const char *const api[] = { "xn--bcher-kva.de", "xn--bcher-kva.de" };
	struct snap_instance *s = fixture_instance(1, api, 2, NULL, 0, NULL);
	const struct snap_table *t;

	(void)state;
	assert_non_null(s);
	t = &s->tab[SNAP_DOMAIN];
	assert_int_equal(t->n, 1);
	assert_int_equal(col_of(s, &t->row[0], PMTA_ENTITY_QUEUED_RCPT), 10 + 20);
	snapshot_free(s);
}

static void
snapshot_merge_keeps_job_ids_that_differ_in_case_apart(void **state)
{
	static const char *const jobs[] = { "Job-1", "job-1" };
	struct snap_instance *s = fixture_instance(1, NULL, 0, jobs, 2, NULL);

	(void)state;
	assert_non_null(s);
	assert_int_equal(s->tab[SNAP_JOB].n, 2);
	assert_int_equal(col_of(s, row_named(&s->tab[SNAP_JOB], "Job-1"), PMTA_JOB_QUEUED_RCPT), 10);
	assert_int_equal(col_of(s, row_named(&s->tab[SNAP_JOB], "job-1"), PMTA_JOB_QUEUED_RCPT), 20);
	snapshot_free(s);
}

/*
 * Queue rows: the accounting files' queues and the /queues page's meet on one
 * row by name; a row only one source knows is there too, and says which
 * (pmtaQueueListed).
 */
static void
snapshot_queue_rows_come_from_either_source(void **state)
{
	struct pmta_result *r = pmta_result_new();
	struct acct_view *v = calloc(1, sizeof(*v));
	struct pmta_queue *q = calloc(2, sizeof(*q));
	struct snap_source src = {
		.index = 1, .name = "mta1", .public_url = "", .now = 1700000000,
		.acct_configured = true,
	};
	struct snap_instance *s;
	const struct snap_table *t;
	const struct snap_row *row;

	(void)state;
	assert_non_null(r);
	assert_non_null(v);
	assert_non_null(q);
	v->all.name = "all";
	v->queues = calloc(2, sizeof(*v->queues));
	assert_non_null(v->queues);
	v->queues[0].e.name = "yahoo.rollup/vmta18";
	v->queues[0].domain = "yahoo.rollup";
	v->queues[0].vmta = "vmta18";
	v->queues[0].e.delivered = 7;
	v->queues[0].e.complaint_rate = 30;
	v->queues[1].e.name = "gmail.com/v1";
	v->queues[1].domain = "gmail.com";
	v->queues[1].vmta = "v1";
	v->queues[1].e.bounced = 3;
	v->n_queues = 2;
	snprintf(q[0].name, sizeof(q[0].name), "yahoo.rollup/vmta18");
	snprintf(q[0].domain, sizeof(q[0].domain), "yahoo.rollup");
	snprintf(q[0].vmta, sizeof(q[0].vmta), "vmta18");
	q[0].rcpt = 500;
	q[0].mode = PMTA_QUEUE_MODE_BACKOFF;
	q[0].paused = true;
	snprintf(q[0].last_error, sizeof(q[0].last_error), "421 try later");
	snprintf(q[1].name, sizeof(q[1].name), "hotmail.com/v2");
	snprintf(q[1].domain, sizeof(q[1].domain), "hotmail.com");
	snprintf(q[1].vmta, sizeof(q[1].vmta), "v2");
	q[1].rcpt = 9;
	q[1].mode = PMTA_QUEUE_MODE_NORMAL;
	r->list[API_QUEUES] = api_list_new(q, 2);
	r->list[API_DOMAINS] = api_list_new(NULL, 0);
	r->list[API_VMTAS] = api_list_new(NULL, 0);
	r->list[API_JOBS] = api_list_new(NULL, 0);
	src.api = r;
	src.acct = v;
	s = snapshot_build(&src);
	pmta_result_unref(r);
	assert_non_null(s);
	t = &s->tab[SNAP_QUEUE];
	assert_int_equal(t->n, 3);
	assert_int_equal(t->idx.n, 3);
	/* Both sources: the page's columns and the accounting outcomes. */
	row = row_named(t, "yahoo.rollup/vmta18");
	assert_non_null(row);
	assert_int_equal(col_of(s, row, PMTA_QUEUE_RCPT), 500);
	assert_int_equal(col_of(s, row, PMTA_QUEUE_MODE), PMTA_QUEUE_MODE_BACKOFF_V);
	assert_int_equal(col_of(s, row, PMTA_QUEUE_PAUSED), PMTA_TRUTH_TRUE);
	assert_int_equal(col_of(s, row, PMTA_QUEUE_DELIVERED), 7);
	assert_int_equal(col_of(s, row, PMTA_QUEUE_COMPLAINT_RATE), 30);
	assert_int_equal(col_of(s, row, PMTA_QUEUE_LISTED), PMTA_TRUTH_TRUE);
	assert_string_equal(row->text, "421 try later");
	assert_string_equal(row->text2, "yahoo.rollup");
	assert_string_equal(row->name2, "vmta18");
	/* Accounting only: not listed, no mode known, nothing queued. */
	row = row_named(t, "gmail.com/v1");
	assert_non_null(row);
	assert_int_equal(col_of(s, row, PMTA_QUEUE_BOUNCED), 3);
	assert_int_equal(col_of(s, row, PMTA_QUEUE_RCPT), 0);
	assert_int_equal(col_of(s, row, PMTA_QUEUE_LISTED), PMTA_TRUTH_FALSE);
	assert_int_equal(col_of(s, row, PMTA_QUEUE_MODE), PMTA_QUEUE_MODE_OTHER_V);
	assert_int_equal(col_of(s, row, PMTA_QUEUE_PAUSED), PMTA_TRUTH_FALSE);
	assert_string_equal(row->text2, "gmail.com");
	assert_string_equal(row->name2, "v1");
	assert_null(row->text);
	/* The page only: no outcomes. */
	row = row_named(t, "hotmail.com/v2");
	assert_non_null(row);
	assert_int_equal(col_of(s, row, PMTA_QUEUE_RCPT), 9);
	assert_int_equal(col_of(s, row, PMTA_QUEUE_DELIVERED), 0);
	assert_int_equal(col_of(s, row, PMTA_QUEUE_LISTED), PMTA_TRUTH_TRUE);
	snapshot_free(s);
}

static void
snapshot_indexes_ascend_in_walk_order(void **state)
{
	static const char *const api[] = { "zz.org", "b.com", "a.com", "c.com" };
	struct snap_instance *s = fixture_instance(1, api, 4, NULL, 0, NULL);
	const struct mib_rows *ix;
	size_t i;

	(void)state;
	assert_non_null(s);
	ix = &s->tab[SNAP_DOMAIN].idx;
	assert_int_equal(ix->n, 4);
	for (i = 1; i < ix->n; i++) {
		uint32_t prev[MIB_INDEX_MAX];
		size_t n = mib_rows_index(ix, i - 1, prev);

		assert_int_equal(mib_rows_cmp(ix, i, prev, n), 1);
	}
	/* The connection table: inbound (1) then outbound (2), utilisation in percent. */
	ix = &s->tab[SNAP_CONN].idx;
	assert_int_equal(ix->n, 2);
	{
		uint32_t k[MIB_INDEX_MAX];

		assert_int_equal(mib_rows_index(ix, 0, k), 1);
		assert_int_equal(k[0], PMTA_CONN_DIR_INBOUND);
	}
	assert_int_equal(col_of(s, ix->row[1].data, PMTA_CONN_UTILIZATION), 25);
	snapshot_free(s);
}

/*
 * The complaint columns were appended after each table's last column:
 * domain 19..21 (after pmtaDomainUnicodeName), VirtualMTA 18..20, job 8;
 * the complaint-type rows are indexed by their type.
 */
static void
snapshot_complaints_land_in_their_appended_columns(void **state)
{
	static const char *const dom[] = { "gmail.com" };
	static struct acct_entity_row vmta = {
		.name = "vmta1", .delivered = 7, .complaints = 5, .win_complaints = 4, .complaint_rate = 31,
	};
	static struct acct_job_row job = { .name = "job1", .complaints = 2 };
	static struct acct_complaint_row comp[] = {
		{ "not-spam", 1, 0 }, { "abuse", 9, 3 },
	};
	struct acct_view *v = fixture_acct_domains(dom, 1);
	struct snap_instance *s;
	const struct snap_row *r;
	const struct mib_rows *ix;

	(void)state;
	assert_non_null(v);
	v->domains[0].complaints = 3;
	v->domains[0].win_complaints = 2;
	v->domains[0].complaint_rate = 200;
	v->vmtas = calloc(1, sizeof(*v->vmtas));
	v->jobs = calloc(1, sizeof(*v->jobs));
	v->complaints = calloc(2, sizeof(*v->complaints));
	assert_true(v->vmtas && v->jobs && v->complaints);
	v->vmtas[0] = vmta;
	v->n_vmtas = 1;
	v->jobs[0] = job;
	v->n_jobs = 1;
	memcpy(v->complaints, comp, sizeof(comp));
	v->n_complaints = 2;
	s = fixture_instance(1, NULL, 0, NULL, 0, v);
	assert_non_null(s);
	r = row_named(&s->tab[SNAP_DOMAIN], "gmail.com");
	assert_int_equal(col_of(s, r, PMTA_DOMAIN_COMPLAINTS), 3);
	assert_int_equal(col_of(s, r, PMTA_DOMAIN_WIN_COMPLAINTS), 2);
	assert_int_equal(col_of(s, r, PMTA_DOMAIN_COMPLAINT_RATE), 200);
	r = row_named(&s->tab[SNAP_VMTA], "vmta1");
	assert_int_equal(col_of(s, r, PMTA_VMTA_COMPLAINTS), 5);
	assert_int_equal(col_of(s, r, PMTA_VMTA_WIN_COMPLAINTS), 4);
	assert_int_equal(col_of(s, r, PMTA_VMTA_COMPLAINT_RATE), 31);
	assert_int_equal(col_of(s, r, PMTA_VMTA_DELIVERED), 7);
	r = row_named(&s->tab[SNAP_JOB], "job1");
	assert_int_equal(col_of(s, r, PMTA_JOB_COMPLAINTS), 2);
	ix = &s->tab[SNAP_COMPLAINT].idx;
	assert_int_equal(ix->n, 2);
	r = ix->row[0].data;	/* "abuse" sorts first: shorter index */
	assert_string_equal(r->name, "abuse");
	assert_int_equal(col_of(s, r, PMTA_COMPLAINT_COUNT), 9);
	assert_int_equal(col_of(s, r, PMTA_COMPLAINT_WIN_COUNT), 3);
	snapshot_free(s);
}

static void
snapshot_free_accepts_null(void **state)
{
	(void)state;
	snapshot_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(snap_table_pack_keeps_every_value_in_the_fewest_bytes),
		cmocka_unit_test(snapshot_merge_puts_api_counts_into_the_accounting_row_case_blind),
		cmocka_unit_test(snapshot_domain_rows_carry_their_unicode_form),
		cmocka_unit_test(snapshot_merge_sums_two_api_spellings_of_one_domain),
		cmocka_unit_test(snapshot_merge_keeps_job_ids_that_differ_in_case_apart),
		cmocka_unit_test(snapshot_indexes_ascend_in_walk_order),
		cmocka_unit_test(snapshot_queue_rows_come_from_either_source),
		cmocka_unit_test(snapshot_complaints_land_in_their_appended_columns),
		cmocka_unit_test(snapshot_free_accepts_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
