/* cmocka tests of the configuration syntax (agent/cfg.c). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cfg.h"

#define KEY32 "0123456789abcdef0123456789abcdef"

static int
setup(void **state)
{
	*state = cfg_new();
	return *state ? 0 : -1;
}

static int
teardown(void **state)
{
	cfg_free(*state);
	return 0;
}

static int
parse(struct cfg *c, const char *token, const char *args, char *err)
{
	return cfg_parse(c, token, args, err, CFG_ERR_MAX);
}

static void
cfg_defaults_match_documentation(void **state)
{
	struct cfg *c = *state;

	assert_int_equal(c->api_timeout, 10);
	assert_int_equal(c->poll_interval, 30);
	assert_int_equal(c->stats_window, 900);
	assert_int_equal(c->max_rows, 100000);
	assert_int_equal(c->api_max_body, 16u << 20);
	assert_int_equal(c->trap_rate_limit, 60);
	assert_true(c->queue_backoff_events);
}

static void
cfg_queue_backoff_events_turn_off_and_on(void **state)
{
	struct cfg *c = *state;
	char err[CFG_ERR_MAX];

	assert_int_equal(parse(c, "pmtaQueueBackoffEvents", "no", err), 0);
	assert_false(c->queue_backoff_events);
	assert_int_equal(parse(c, "pmtaQueueBackoffEvents", "yes", err), 0);
	assert_true(c->queue_backoff_events);
	/* The built-in rule is not a metric a threshold may name. */
	assert_int_equal(parse(c, "pmtaThreshold", "q queueBackoff queue:* warn=1 crit=2", err), -1);
	assert_string_equal(cfg_metric_name(cfg_queue_backoff_rule.metric), "queueBackoff");
}

static void
cfg_instance_keeps_order_and_strips_credentials(void **state)
{
	struct cfg *c = *state;
	char err[CFG_ERR_MAX];

	assert_int_equal(parse(c, "pmtaInstance", "mta1 http://127.0.0.1:8080", err), 0);
	assert_int_equal(parse(c, "pmtaInstance", "mta2 https://admin:s3cret@pmta2.example:8443/", err), 0);
	assert_int_equal(c->n_inst, 2);
	assert_string_equal(c->inst[0].name, "mta1");
	assert_string_equal(c->inst[0].public_url, "http://127.0.0.1:8080");
	assert_string_equal(c->inst[1].public_url, "https://pmta2.example:8443");
	assert_null(strstr(c->inst[1].public_url, "s3cret"));
	assert_true(c->has_secret);
	assert_true(c->inst[1].tls_verify);
}

static void
cfg_instance_rejects_bad_forms(void **state)
{
	static const char *const bad[] = {
		"",				/* no name */
		"mta1",				/* no URL */
		"mta1 ftp://host/",		/* scheme */
		"mta1 not a url",		/* too many words */
		"bad/name http://h:1",		/* name characters */
		"mta1 http://",			/* no host */
	};
	struct cfg *c = *state;
	char err[CFG_ERR_MAX];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(parse(c, "pmtaInstance", bad[i], err), -1);
		assert_true(strlen(err) > 0);
	}
	assert_int_equal(c->n_inst, 0);
	assert_int_equal(parse(c, "pmtaInstance", "mta1 http://h:1", err), 0);
	assert_int_equal(parse(c, "pmtaInstance", "mta1 http://h:2", err), -1);
	assert_non_null(strstr(err, "twice"));
}

static void
cfg_instance_dash_means_accounting_only(void **state)
{
	struct cfg *c = *state;
	char err[CFG_ERR_MAX];

	assert_int_equal(parse(c, "pmtaInstance", "local -", err), 0);
	assert_string_equal(c->inst[0].url, "");
	assert_int_equal(cfg_validate(c, err, sizeof(err)), -1);	/* no API, no files */
	assert_int_equal(parse(c, "pmtaAcctFiles", "local /var/log/pmta/acct-*.csv", err), 0);
	assert_int_equal(cfg_validate(c, err, sizeof(err)), 0);
}

static void
cfg_per_instance_lines_need_instance_first(void **state)
{
	struct cfg *c = *state;
	char err[CFG_ERR_MAX];

	assert_int_equal(parse(c, "pmtaApiKey", "mta1 " KEY32, err), -1);
	assert_non_null(strstr(err, "unknown instance"));
	assert_int_equal(parse(c, "pmtaInstance", "mta1 http://h:1", err), 0);
	assert_int_equal(parse(c, "pmtaApiKey", "mta1 " KEY32, err), 0);
	assert_string_equal(c->inst[0].api_key, KEY32);
	assert_true(c->has_secret);
	assert_int_equal(parse(c, "pmtaApiKey", "mta1 short", err), -1);
	assert_int_equal(parse(c, "pmtaApiCaFile", "mta1 /etc/ssl/ca.pem", err), 0);
	assert_string_equal(c->inst[0].ca_file, "/etc/ssl/ca.pem");
	assert_int_equal(parse(c, "pmtaApiTlsVerify", "mta1 no", err), 0);
	assert_false(c->inst[0].tls_verify);
	assert_int_equal(parse(c, "pmtaApiTlsVerify", "mta1 maybe", err), -1);
	assert_int_equal(parse(c, "pmtaAcctFiles", "mta1 relative/*.csv", err), -1);
}

static void
cfg_numbers_are_range_checked(void **state)
{
	static const struct {
		const char *token, *args;
		int rc;
	} cases[] = {
		{ "pmtaApiTimeout", "5", 0 },
		{ "pmtaApiTimeout", "0", -1 },
		{ "pmtaApiTimeout", "5s", -1 },
		{ "pmtaApiTimeout", "-1", -1 },
		{ "pmtaApiTimeout", "99999999999999999999", -1 },
		{ "pmtaPollInterval", "15", 0 },
		{ "pmtaPollInterval", "", -1 },
		{ "pmtaPollInterval", "15 20", -1 },
		{ "pmtaStatsWindow", "600", 0 },
		{ "pmtaStatsWindow", "3601", -1 },
		{ "pmtaMaxRows", "5000", 0 },
		{ "pmtaMaxRows", "0", -1 },
		{ "pmtaMaxPending", "2000000", 0 },
		{ "pmtaMaxPending", "0", -1 },
		{ "pmtaMaxPending", "16000001", -1 },
		{ "pmtaTrapRateLimit", "10", 0 },
		{ "pmtaApiMaxBody", "1048576", 0 },
		{ "pmtaApiMaxBody", "10", -1 },
	};
	struct cfg *c = *state;
	char err[CFG_ERR_MAX];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = parse(c, cases[i].token, cases[i].args, err);

		if (rc != cases[i].rc)
			fail_msg("%s %s: got %d, want %d", cases[i].token, cases[i].args, rc, cases[i].rc);
	}
	assert_int_equal(c->api_timeout, 5);
	assert_int_equal(c->poll_interval, 15);
	assert_int_equal(c->stats_window, 600);
	assert_int_equal(c->max_rows, 5000);
	assert_int_equal(c->trap_rate_limit, 10);
	assert_int_equal(c->api_max_body, 1048576);
}

static void
cfg_hard_categories_replace_default(void **state)
{
	struct cfg *c = *state;
	char err[CFG_ERR_MAX];

	assert_int_equal(parse(c, "pmtaHardBounceCategories", "bad-mailbox, bad-domain,spam-related", err), 0);
	assert_int_equal(c->n_hard_cats, 3);
	assert_string_equal(c->hard_cats[2], "spam-related");
	assert_int_equal(parse(c, "pmtaHardBounceCategories", "", err), -1);
	assert_int_equal(c->n_hard_cats, 3);
}

static void
cfg_threshold_seed_example_parses(void **state)
{
	struct cfg *c = *state;
	char err[CFG_ERR_MAX];
	const struct cfg_threshold *t;

	assert_int_equal(parse(c, "pmtaThreshold",
	    "gmail-bounce bounceRate domain:gmail.com warn=3% crit=5% window=600 min=100", err), 0);
	t = &c->th[0];
	assert_string_equal(t->rule, "gmail-bounce");
	assert_int_equal(t->metric, CFG_METRIC_BOUNCE_RATE);
	assert_int_equal(t->scope, CFG_SCOPE_DOMAIN);
	assert_string_equal(t->scope_name, "gmail.com");
	assert_string_equal(t->scope_text, "domain:gmail.com");
	assert_null(t->instance);
	assert_int_equal(t->warn, 300);
	assert_int_equal(t->crit, 500);
	assert_int_equal(t->window, 600);
	assert_int_equal(t->min_samples, 100);
	assert_int_equal(t->clear_pct, 90);
}

static void
cfg_threshold_scope_forms(void **state)
{
	struct cfg *c = *state;
	char err[CFG_ERR_MAX];

	assert_int_equal(parse(c, "pmtaInstance", "mta1 http://h:1", err), 0);
	assert_int_equal(parse(c, "pmtaThreshold", "q1 queuedRcpt instance warn=1000 crit=5000", err), 0);
	assert_int_equal(parse(c, "pmtaThreshold", "q2 queuedRcpt queue:* warn=100 crit=500", err), 0);
	assert_int_equal(parse(c, "pmtaThreshold", "q3 queuedRcpt queue:gmail.com/vmta1@mta1 warn=1 crit=2", err), 0);
	assert_int_equal(parse(c, "pmtaThreshold", "d1 deferralRate domain:*@mta1 warn=10% crit=20% clear=80%", err), 0);
	assert_int_equal(parse(c, "pmtaThreshold", "v1 latencyP95 vmta:vmta1 warn=300 crit=900", err), 0);
	assert_int_equal(parse(c, "pmtaThreshold", "a1 apiDown instance warn=2 crit=5", err), 0);
	assert_int_equal(parse(c, "pmtaThreshold", "h1 hardBounceRate instance warn=0.5% crit=1.5%", err), 0);
	/* Gmail's published spam-rate limit (0.3%) over the longest window there is. */
	assert_int_equal(parse(c, "pmtaThreshold", "g1 complaintRate domain:Gmail.com warn=0.1% crit=0.3% "
	    "window=3600 min=1000", err), 0);
	assert_int_equal(c->n_th, 8);
	assert_int_equal(c->th[7].metric, CFG_METRIC_COMPLAINT_RATE);
	assert_string_equal(c->th[7].scope_name, "gmail.com");
	assert_int_equal(c->th[7].warn, 10);
	assert_int_equal(c->th[7].crit, 30);
	assert_int_equal(c->th[7].window, 3600);
	assert_int_equal(c->th[7].min_samples, 1000);
	assert_true(cfg_metric_is_rate(CFG_METRIC_COMPLAINT_RATE));
	assert_string_equal(cfg_metric_name(CFG_METRIC_COMPLAINT_RATE), "complaintRate");
	assert_null(c->th[1].scope_name);
	assert_int_equal(c->th[1].scope, CFG_SCOPE_QUEUE);
	assert_string_equal(c->th[2].scope_name, "gmail.com/vmta1");
	assert_string_equal(c->th[2].instance, "mta1");
	assert_int_equal(c->th[3].clear_pct, 80);
	assert_int_equal(c->th[6].warn, 50);
	/* Every rate applies per queue; the name is keyed as the queue rows are. */
	assert_int_equal(parse(c, "pmtaThreshold", "qb bounceRate queue:B\xc3\x9c" "CHER.de/vmta-3 "
	    "warn=3% crit=5%", err), 0);
	assert_string_equal(c->th[8].scope_name, "xn--bcher-kva.de/vmta-3");
	assert_int_equal(c->th[8].scope, CFG_SCOPE_QUEUE);
	assert_int_equal(parse(c, "pmtaThreshold", "qc complaintRate queue:yahoo.rollup/vmta18 "
	    "warn=0.1% crit=0.3%", err), 0);
	assert_string_equal(c->th[9].scope_name, "yahoo.rollup/vmta18");
	assert_int_equal(c->th[6].crit, 150);
	/* Deferred recipients not resolved yet: a count, in every scope, from the accounting files. */
	assert_int_equal(parse(c, "pmtaThreshold", "p1 pendingRcpt domain:* warn=5000 crit=20000", err), 0);
	assert_int_equal(c->th[10].metric, CFG_METRIC_PENDING_RCPT);
	assert_int_equal(c->th[10].warn, 5000);
	assert_false(cfg_metric_is_rate(CFG_METRIC_PENDING_RCPT));
	assert_true(cfg_metric_is_acct(CFG_METRIC_PENDING_RCPT));
	assert_string_equal(cfg_metric_name(CFG_METRIC_PENDING_RCPT), "pendingRcpt");
}

/* The statistics keep the longest window that applies to an instance, no more. */
static void
cfg_stats_horizon_is_the_longest_window_that_applies(void **state)
{
	struct cfg *c = *state;
	char err[CFG_ERR_MAX];

	assert_int_equal(parse(c, "pmtaInstance", "mta1 http://h:1", err), 0);
	assert_int_equal(parse(c, "pmtaInstance", "mta2 http://h:2", err), 0);
	assert_int_equal(parse(c, "pmtaStatsWindow", "600", err), 0);
	assert_int_equal(cfg_stats_horizon(c, "mta1"), 600);
	assert_int_equal(parse(c, "pmtaThreshold", "a bounceRate instance warn=3% crit=5% window=300", err), 0);
	assert_int_equal(cfg_stats_horizon(c, "mta1"), 600);
	assert_int_equal(parse(c, "pmtaThreshold", "b bounceRate instance@mta2 warn=3% crit=5% window=3600", err), 0);
	assert_int_equal(cfg_stats_horizon(c, "mta1"), 600);
	assert_int_equal(cfg_stats_horizon(c, "mta2"), 3600);
	assert_int_equal(parse(c, "pmtaThreshold", "c latencyP95 domain:* warn=60 crit=600 window=1200", err), 0);
	assert_int_equal(cfg_stats_horizon(c, "mta1"), 1200);
}

static void
cfg_threshold_domain_scope_names_the_rows_key(void **state)
{
	/* Every spelling of a domain names its row: the A-label key (domain_idn.h). */
	static const struct { const char *scope, *name; } v[] = {
		{ "domain:bücher.de", "xn--bcher-kva.de" },
		{ "domain:BÜCHER.DE", "xn--bcher-kva.de" },
		{ "domain:XN--BCHER-KVA.DE@mta1", "xn--bcher-kva.de" },
		{ "domain:Gmail.COM.", "gmail.com" },
	};
	struct cfg *c = *state;
	char err[CFG_ERR_MAX], line[128];
	size_t i;

	assert_int_equal(parse(c, "pmtaInstance", "mta1 http://127.0.0.1:8080", err), 0);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(line, sizeof(line), "r%zu bounceRate %s warn=3%% crit=5%%", i, v[i].scope);
		assert_int_equal(parse(c, "pmtaThreshold", line, err), 0);
		assert_string_equal(c->th[i].scope_name, v[i].name);
	}
	/* The scope as written is what pmtaThresholdScope shows. */
	assert_string_equal(c->th[0].scope_text, "domain:bücher.de");
	assert_string_equal(c->th[2].scope_text, "domain:XN--BCHER-KVA.DE");
}

static void
cfg_threshold_rejects_mistakes(void **state)
{
	/* The message is what the operator reads: each is checked to the letter. */
	static const struct { const char *line, *err; } bad[] = {
		{ "r bounceRate domain:gmail.com warn=3 crit=5",
		  "bad value in 'warn=3' (rates are written with %, e.g. warn=3%)" },
		{ "r bounceRate domain:gmail.com warn=5% crit=3%", "warn=5% is above crit=3%" },
		{ "r bounceRate domain:gmail.com warn=3%",
		  "expected: pmtaThreshold RULE METRIC SCOPE warn=V crit=V [window=SECONDS] [min=N] "
		  "[clear=PCT%]" },
		{ "r bounceRate domain:gmail.com warn=3% min=5", "both warn= and crit= are required" },
		{ "r bounceRate domain: warn=3% crit=5%", "scope 'domain:' names nothing after ':'" },
		{ "r bounceRate domain:. warn=3% crit=5%", "scope 'domain:.' names no domain" },
		{ "r bounceRate host:x warn=3% crit=5%",
		  "bad scope 'host:x': instance, domain:NAME, domain:*, vmta:NAME, vmta:*, "
		  "queue:NAME or queue:*, optionally @INSTANCE" },
		{ "r bounceRate queue:/ warn=3% crit=5%", "scope 'queue:/' names no queue" },
		{ "r nosuch instance warn=1 crit=2",
		  "unknown metric 'nosuch': queuedRcpt, bounceRate, hardBounceRate, deferralRate, "
		  "complaintRate, latencyP95, connUtilization, apiDown, acctStalled, pendingRcpt" },
		{ "r connUtilization queue:x/y warn=80 crit=90",
		  "metric connUtilization cannot apply to scope 'queue:x/y'" },
		{ "r complaintRate instance warn=0.1 crit=0.3%",
		  "bad value in 'warn=0.1' (rates are written with %, e.g. warn=3%)" },
		{ "r apiDown domain:x warn=1 crit=2", "metric apiDown cannot apply to scope 'domain:x'" },
		{ "r bounceRate instance warn=3% crit=5% window=7200", "bad value in 'window=7200'" },
		{ "r queuedRcpt instance warn=1 crit=2 window=60",
		  "window= applies only to rate and latency metrics" },
		{ "r bounceRate instance warn=3% crit=5% speed=1",
		  "unknown option 'speed=1': warn=, crit=, window=, min=, clear=" },
		{ "r bounceRate instance@nosuch warn=3% crit=5%",
		  "unknown instance '@nosuch' (pmtaInstance must come first)" },
		{ "r bounceRate instance warn=3% crit=5% clear=0%", "bad value in 'clear=0%'" },
	};
	struct cfg *c = *state;
	char err[CFG_ERR_MAX];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (parse(c, "pmtaThreshold", bad[i].line, err) != -1)
			fail_msg("accepted: %s", bad[i].line);
		assert_string_equal(err, bad[i].err);
	}
	assert_int_equal(c->n_th, 0);
	assert_int_equal(parse(c, "pmtaThreshold", "r queuedRcpt instance warn=1 crit=2", err), 0);
	assert_int_equal(parse(c, "pmtaThreshold", "r queuedRcpt instance warn=1 crit=2", err), -1);
}

static void
cfg_directive_errors_are_worded_exactly(void **state)
{
	/* What an operator reads after "FILE: line N:", to the letter. */
	static const struct { const char *token, *args, *err; } bad[] = {
		{ "pmtaInstance", "mta1", "expected: pmtaInstance NAME URL (URL may be '-' for no API)" },
		{ "pmtaInstance", "mta1 ftp://host/", "URL scheme must be http or https" },
		{ "pmtaInstance", "bad/name http://h:1",
		  "bad instance name 'bad/name': 1 to 64 of [A-Za-z0-9._-]" },
		{ "pmtaInstance", "mta1 http://",
		  "not a URL (expected http://HOST:PORT or https://HOST:PORT)" },
		{ "pmtaInstance", "mta0 http://h:2", "instance 'mta0' defined twice" },
		{ "pmtaApiKey", "nosuch " KEY32,
		  "unknown instance 'nosuch' (pmtaInstance must come first)" },
		{ "pmtaApiKey", "mta0", "expected: pmtaApiKey NAME KEY" },
		{ "pmtaApiKey", "mta0 short", "API key must be 32 to 128 characters" },
		{ "pmtaApiTlsVerify", "mta0 maybe", "expected yes or no, not 'maybe'" },
		{ "pmtaAcctFiles", "mta0 relative/*.csv", "accounting glob must be an absolute path" },
		{ "pmtaApiTimeout", "0", "expected: pmtaApiTimeout SECONDS (1 to 300)" },
		{ "pmtaPollInterval", "x", "expected: pmtaPollInterval SECONDS (1 to 86400)" },
		{ "pmtaStatsWindow", "59", "expected: pmtaStatsWindow SECONDS (60 to 3600)" },
		{ "pmtaMaxRows", "1 2", "expected: pmtaMaxRows N (1 to 10000000)" },
		{ "pmtaTrapRateLimit", "100001", "expected: pmtaTrapRateLimit N (1 to 100000)" },
		{ "pmtaApiMaxBody", "1024", "expected: pmtaApiMaxBody BYTES (65536 to 1073741824)" },
		{ "pmtaRunAsUser", "a b", "expected: pmtaRunAsUser USER" },
		{ "pmtaQueueBackoffEvents", "off", "expected: pmtaQueueBackoffEvents yes|no" },
		{ "pmtaQueueBackoffEvents", "", "expected: pmtaQueueBackoffEvents yes|no" },
		{ "pmtaThreshold", "queueBackoff queuedRcpt instance warn=1 crit=2",
		  "rule name 'queueBackoff' is the built-in queue backoff rule's" },
		{ "pmtaHardBounceCategories", "", "expected: pmtaHardBounceCategories CAT[,CAT...]" },
		{ "pmtaHardBounceCategories", "bad cat!", "bad bounce category 'cat!'" },
		{ "pmtaPollIntervall", "30", "unknown directive 'pmtaPollIntervall'" },
	};
	struct cfg *c = *state;
	char err[CFG_ERR_MAX];
	size_t i;

	assert_int_equal(parse(c, "pmtaInstance", "mta0 http://h:1", err), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (parse(c, bad[i].token, bad[i].args, err) != -1)
			fail_msg("accepted: %s %s", bad[i].token, bad[i].args);
		assert_string_equal(err, bad[i].err);
	}
	assert_int_equal(c->n_inst, 1);
}

static void
cfg_unknown_directive_is_an_error(void **state)
{
	char err[CFG_ERR_MAX];

	assert_int_equal(parse(*state, "pmtaPollIntervall", "30", err), -1);
	assert_non_null(strstr(err, "pmtaPollIntervall"));
}

static void
cfg_validate_needs_an_instance(void **state)
{
	char err[CFG_ERR_MAX];

	assert_int_equal(cfg_validate(*state, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "pmtaInstance"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(cfg_defaults_match_documentation, setup, teardown),
		cmocka_unit_test_setup_teardown(cfg_queue_backoff_events_turn_off_and_on, setup, teardown),
		cmocka_unit_test_setup_teardown(cfg_instance_keeps_order_and_strips_credentials, setup, teardown),
		cmocka_unit_test_setup_teardown(cfg_instance_rejects_bad_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(cfg_instance_dash_means_accounting_only, setup, teardown),
		cmocka_unit_test_setup_teardown(cfg_per_instance_lines_need_instance_first, setup, teardown),
		cmocka_unit_test_setup_teardown(cfg_numbers_are_range_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(cfg_hard_categories_replace_default, setup, teardown),
		cmocka_unit_test_setup_teardown(cfg_threshold_seed_example_parses, setup, teardown),
		cmocka_unit_test_setup_teardown(cfg_threshold_scope_forms, setup, teardown),
		cmocka_unit_test_setup_teardown(cfg_threshold_domain_scope_names_the_rows_key, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(cfg_threshold_rejects_mistakes, setup, teardown),
		cmocka_unit_test_setup_teardown(cfg_directive_errors_are_worded_exactly, setup, teardown),
		cmocka_unit_test_setup_teardown(cfg_unknown_directive_is_an_error, setup, teardown),
		cmocka_unit_test_setup_teardown(cfg_validate_needs_an_instance, setup, teardown),
		cmocka_unit_test_setup_teardown(cfg_stats_horizon_is_the_longest_window_that_applies, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
