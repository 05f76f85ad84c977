/*
 * cmocka tests of the collector (agent/collector.c) with its real threads:
 * a reload that replaces the threshold rules while a snapshot built with the
 * old ones waits to be taken.
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(collector_snapshot_outlives_a_rule_reload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
