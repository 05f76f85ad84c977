/*
 * cmocka tests of the collector (agent/collector.c) with its real threads:
 * a reload that replaces the threshold rules while a snapshot built with the
 * old ones waits to be taken; the start-up backlog published only whole.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "cfg.h"
#include "collector.h"
#include "pmta_result.h"
#include "snapshot.h"

static int notified;

static void
on_notify(void *arg)
{
	(void)arg;
	__atomic_store_n(&notified, 1, __ATOMIC_SEQ_CST);
}

static struct cfg *
config(const char *dir, const char *rule)
{
	struct cfg *c = cfg_new();
	char err[256], args[512];

	assert_non_null(c);
	assert_int_equal(cfg_parse(c, "pmtaInstance", "mta1 -", err, sizeof(err)), 0);
	snprintf(args, sizeof(args), "mta1 %s/acct-*.csv", dir);
	assert_int_equal(cfg_parse(c, "pmtaAcctFiles", args, err, sizeof(err)), 0);
	snprintf(args, sizeof(args), "%s bounceRate instance warn=3%% crit=5%%", rule);
	assert_int_equal(cfg_parse(c, "pmtaThreshold", args, err, sizeof(err)), 0);
	return c;
}

/*
 * The snapshot keeps its own copy of the rule names: the reload frees the
 * old rules before the SNMP thread takes it (this was a use-after-free).
 */
static void
collector_snapshot_outlives_a_rule_reload(void **state)
{
	char dir[] = "/tmp/pmta-collector-XXXXXX", path[600];
	struct cfg *before, *after;
	struct collector *col;
	struct snap_instance *s;
	FILE *f;
	int i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/acct-2026-01-01-0000.csv", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "type,timeLogged,rcpt\nd,%lld,a@example.com\n", (long long)time(NULL));
	fclose(f);
	before = config(dir, "rule-before");
	after = config(dir, "rule-after");

	col = collector_new(1, before, &before->inst[0], on_notify, NULL);
	assert_non_null(col);
	assert_int_equal(collector_start(col), 0);
	for (i = 0; i < 10000 && !__atomic_load_n(&notified, __ATOMIC_SEQ_CST); i++)
		usleep(1000);
	assert_true(__atomic_load_n(&notified, __ATOMIC_SEQ_CST));
	collector_set_rules(col, after);
	s = collector_take(col);
	assert_non_null(s);
	assert_int_equal(s->n_metrics, 1);
	assert_string_equal(s->metrics[0].rule, "rule-before");
	assert_string_equal(s->metrics[0].subject, "instance");
	snapshot_free(s);

	collector_free(col);
	cfg_free(before);
	cfg_free(after);
	unlink(path);
	rmdir(dir);
}

/*
 * Three files of 4 MiB each, more than one read budget (8 MiB): the first
 * snapshot, and every one after it, holds every record, never part of the
 * backlog (a manager would read the rest arriving as traffic), and its
 * counters' start is when it was built, after the collector started.
 */
static void
collector_start_up_backlog_is_published_only_whole(void **state)
{
	char dir[] = "/tmp/pmta-collector-XXXXXX", path[3][600];
	const uint64_t per_file = 4u << 20, line_len = 32;	/* "d,%10lld,u@backlog.example\n" */
	uint64_t want = 0, seen = 0;
	int64_t t0 = wall_now_ms();
	struct cfg *c;
	struct collector *col;
	int i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (i = 0; i < 3; i++) {
		FILE *f;
		uint64_t k;

		snprintf(path[i], sizeof(path[i]), "%s/acct-2026-01-01-%04d.csv", dir, i);
		f = fopen(path[i], "w");
		assert_non_null(f);
		fprintf(f, "type,timeLogged,rcpt\n");
		for (k = 0; k < per_file / line_len; k++)
			fprintf(f, "d,%10lld,u@backlog.example\n", (long long)time(NULL));
		want += k;
		assert_int_equal(fclose(f), 0);
	}
	c = config(dir, "r");
	__atomic_store_n(&notified, 0, __ATOMIC_SEQ_CST);
	col = collector_new(1, c, &c->inst[0], on_notify, NULL);
	assert_non_null(col);
	assert_int_equal(collector_start(col), 0);
	for (i = 0; i < 30000 && seen < 2; i++) {
		struct snap_instance *s;

		if (!__atomic_exchange_n(&notified, 0, __ATOMIC_SEQ_CST)) {
			usleep(1000);
			continue;
		}
		s = collector_take(col);
		if (!s)
			continue;
		assert_int_equal(s->acct_records, want);
		assert_true(s->counters_wall_ms >= t0);
		seen++;
		snapshot_free(s);
	}
	assert_true(seen >= 1);
	collector_free(col);
	cfg_free(c);
	for (i = 0; i < 3; i++)
		unlink(path[i]);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(collector_snapshot_outlives_a_rule_reload),
		cmocka_unit_test(collector_start_up_backlog_is_published_only_whole),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
