/* cmocka tests of the alarm state machine (agent/alarm.c). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alarm.h"

struct log {
	size_t n;
	struct {
		bool raise;
		enum alarm_level level;
		char subject[64];
		uint64_t value, threshold;
	} ev[64];
};

static void
record(void *arg, const struct alarm_event *ev)
{
	struct log *l = arg;

	assert_true(l->n < 64);
	l->ev[l->n].raise = ev->raise;
	l->ev[l->n].level = ev->level;
	snprintf(l->ev[l->n].subject, sizeof(l->ev[0].subject), "%s", ev->subject);
	l->ev[l->n].value = ev->value;
	l->ev[l->n].threshold = ev->threshold;
	l->n++;
}

static struct cfg_threshold
rule(enum cfg_metric m, uint32_t warn, uint32_t crit)
{
	struct cfg_threshold t = {
		.rule = "r1", .metric = m, .scope = CFG_SCOPE_INSTANCE, .scope_text = "instance",
		.warn = warn, .crit = crit, .min_samples = 50, .clear_pct = 90,
	};

	return t;
}

static void
feed(struct alarm_engine *e, const struct cfg_threshold *t, const char *subject, uint64_t v,
     uint64_t samples, int64_t now, struct log *l)
{
	struct alarm_value val = { .subject = subject, .value = v, .samples = samples };

	alarm_engine_update(e, t, "mta1", &val, 1, now, record, l);
}

static void
alarm_level_next_table(void **state)
{
	static const struct {
		enum alarm_level cur;
		uint64_t v;
		enum alarm_level want;
	} cases[] = {
		{ ALARM_NONE, 299, ALARM_NONE },
		{ ALARM_NONE, 300, ALARM_WARNING },
		{ ALARM_NONE, 500, ALARM_CRITICAL },	/* straight to critical */
		{ ALARM_WARNING, 280, ALARM_WARNING },	/* 280 >= 90% of 300 */
		{ ALARM_WARNING, 269, ALARM_NONE },	/* below 270 */
		{ ALARM_CRITICAL, 460, ALARM_CRITICAL },	/* >= 450 */
		{ ALARM_CRITICAL, 449, ALARM_WARNING },
		{ ALARM_CRITICAL, 100, ALARM_NONE },
		{ ALARM_WARNING, 600, ALARM_CRITICAL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(alarm_level_next(cases[i].cur, cases[i].v, 300, 500, 90), cases[i].want);
}

static void
alarm_raises_once_per_level_and_clears_with_hysteresis(void **state)
{
	struct alarm_engine *e = alarm_engine_new();
	struct cfg_threshold t = rule(CFG_METRIC_QUEUED_RCPT, 1000, 5000);
	struct log l = { 0 };

	(void)state;
	feed(e, &t, "instance", 999, 0, 1, &l);
	assert_int_equal(l.n, 0);
	feed(e, &t, "instance", 1000, 0, 2, &l);
	feed(e, &t, "instance", 1200, 0, 3, &l);	/* same level: nothing new */
	assert_int_equal(l.n, 1);
	assert_true(l.ev[0].raise);
	assert_int_equal(l.ev[0].level, ALARM_WARNING);
	assert_int_equal(l.ev[0].threshold, 1000);
	feed(e, &t, "instance", 5000, 0, 4, &l);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.ev[1].level, ALARM_CRITICAL);
	feed(e, &t, "instance", 4600, 0, 5, &l);	/* above 90% of crit: stays */
	assert_int_equal(l.n, 2);
	feed(e, &t, "instance", 950, 0, 6, &l);	/* below 4500 and at 95% of warn: warning */
	assert_int_equal(l.n, 3);
	assert_true(l.ev[2].raise);
	assert_int_equal(l.ev[2].level, ALARM_WARNING);
	feed(e, &t, "instance", 901, 0, 7, &l);	/* 90.1%: holds */
	assert_int_equal(l.n, 3);
	feed(e, &t, "instance", 899, 0, 8, &l);
	assert_int_equal(l.n, 4);
	assert_false(l.ev[3].raise);
	assert_int_equal(l.ev[3].level, ALARM_WARNING);
	assert_int_equal(l.ev[3].value, 899);
	{
		const struct alarm *const *a;

		assert_int_equal(alarm_engine_list(e, &a), 0);
	}
	alarm_engine_free(e);
}

static void
alarm_rate_needs_min_samples(void **state)
{
	struct alarm_engine *e = alarm_engine_new();
	struct cfg_threshold t = rule(CFG_METRIC_BOUNCE_RATE, 300, 500);
	struct log l = { 0 };

	(void)state;
	t.min_samples = 100;
	feed(e, &t, "domain:gmail.com", 5000, 2, 1, &l);	/* 1 bounce of 2 mails */
	assert_int_equal(l.n, 0);
	feed(e, &t, "domain:gmail.com", 600, 100, 2, &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.ev[0].level, ALARM_CRITICAL);
	/* traffic stops: too few samples to hold the alarm */
	feed(e, &t, "domain:gmail.com", 600, 10, 3, &l);
	assert_int_equal(l.n, 2);
	assert_false(l.ev[1].raise);
	alarm_engine_free(e);
}

static void
alarm_every_subject_on_its_own_and_missing_ones_clear(void **state)
{
	struct alarm_engine *e = alarm_engine_new();
	struct cfg_threshold t = rule(CFG_METRIC_QUEUED_RCPT, 10, 20);
	struct log l = { 0 };
	struct alarm_value v[3] = {
		{ "queue:a/v1", 15, 0 }, { "queue:b/v1", 25, 0 }, { "queue:c/v1", 5, 0 },
	};
	const struct alarm *const *a;

	(void)state;
	t.scope = CFG_SCOPE_QUEUE;
	alarm_engine_update(e, &t, "mta1", v, 3, 1, record, &l);
	assert_int_equal(l.n, 2);
	assert_int_equal(alarm_engine_list(e, &a), 2);
	assert_string_equal(a[0]->subject, "queue:a/v1");
	assert_int_equal(a[0]->level, ALARM_WARNING);
	assert_int_equal(a[1]->level, ALARM_CRITICAL);
	assert_true(a[1]->index > a[0]->index);
	/* queue b emptied and left the list: its alarm clears */
	alarm_engine_update(e, &t, "mta1", v, 1, 2, record, &l);
	assert_int_equal(l.n, 3);
	assert_false(l.ev[2].raise);
	assert_string_equal(l.ev[2].subject, "queue:b/v1");
	/* another instance's evaluation does not touch mta1's alarms */
	alarm_engine_update(e, &t, "mta2", NULL, 0, 3, record, &l);
	assert_int_equal(alarm_engine_list(e, &a), 1);
	alarm_engine_free(e);
}

static void
alarm_prune_clears_alarms_of_removed_rules(void **state)
{
	struct alarm_engine *e = alarm_engine_new();
	struct cfg_threshold t = rule(CFG_METRIC_API_DOWN, 2, 5);
	struct cfg *c = cfg_new();
	struct log l = { 0 };
	char err[CFG_ERR_MAX];
	const struct alarm *const *a;

	(void)state;
	feed(e, &t, "instance", 3, 0, 1, &l);
	assert_int_equal(l.n, 1);
	assert_int_equal(cfg_parse(c, "pmtaInstance", "mta1 http://h:1", err, sizeof(err)), 0);
	assert_int_equal(cfg_parse(c, "pmtaThreshold", "r1 apiDown instance warn=2 crit=5", err,
	    sizeof(err)), 0);
	alarm_engine_prune(e, c, record, &l);	/* rule kept */
	assert_int_equal(l.n, 1);
	cfg_free(c);
	c = cfg_new();
	assert_int_equal(cfg_parse(c, "pmtaInstance", "mta1 http://h:1", err, sizeof(err)), 0);
	alarm_engine_prune(e, c, record, &l);	/* rule gone */
	assert_int_equal(l.n, 2);
	assert_false(l.ev[1].raise);
	assert_int_equal(alarm_engine_list(e, &a), 0);
	cfg_free(c);
	alarm_engine_free(e);
}

static void
alarm_replay_resends_the_raises_sent_before_the_mark(void **state)
{
	struct alarm_engine *e = alarm_engine_new();
	struct cfg_threshold t = rule(CFG_METRIC_CONN_UTILIZATION, 80, 95);
	struct cfg_threshold q = rule(CFG_METRIC_QUEUED_RCPT, 10, 100);
	struct log l = { 0 };
	uint64_t mark;

	(void)state;
	q.rule = "r2";
	assert_int_equal(alarm_engine_events(e), 0);
	feed(e, &t, "instance", 97, 0, 1, &l);
	mark = alarm_engine_events(e);		/* the session opens here */
	assert_int_equal(mark, 1);
	feed(e, &q, "instance", 50, 0, 1, &l);	/* went out on the new session */
	l.n = 0;
	assert_int_equal(alarm_engine_replay(e, mark, record, &l), 1);
	assert_int_equal(l.n, 1);
	assert_true(l.ev[0].raise);
	assert_int_equal(l.ev[0].value, 97);
	assert_int_equal(l.ev[0].level, ALARM_CRITICAL);
	assert_int_equal(l.ev[0].threshold, 95);
	/* a replayed alarm counts as sent now: the next mark covers both */
	l.n = 0;
	assert_int_equal(alarm_engine_replay(e, alarm_engine_events(e), record, &l), 2);
	alarm_engine_free(e);
}

/* An event counter that keeps nothing: the cap test sends thousands. */
static void
count_events(void *arg, const struct alarm_event *ev)
{
	size_t *n = arg;

	(void)ev;
	(*n)++;
}

static void
alarm_count_is_capped_and_refusals_counted(void **state)
{
	struct alarm_engine *e = alarm_engine_new();
	struct cfg_threshold t = rule(CFG_METRIC_QUEUED_RCPT, 10, 100);
	size_t n = ALARM_MAX + 500, i, events = 0;
	struct alarm_value *v = calloc(n, sizeof(*v));
	char (*names)[24] = calloc(n, sizeof(*names));
	const struct alarm *const *a;

	(void)state;
	assert_non_null(v);
	assert_non_null(names);
	for (i = 0; i < n; i++) {
		snprintf(names[i], sizeof(names[i]), "queue:d%zu/v", i);
		v[i].subject = names[i];
		v[i].value = 50;
	}
	alarm_engine_update(e, &t, "mta1", v, n, 1, count_events, &events);
	assert_int_equal(alarm_engine_list(e, &a), ALARM_MAX);
	assert_int_equal(events, ALARM_MAX);
	assert_int_equal(alarm_engine_refused(e), 500);
	/* the next round tries again, and the kept alarms are not raised twice */
	events = 0;
	alarm_engine_update(e, &t, "mta1", v, n, 2, count_events, &events);
	assert_int_equal(events, 0);
	assert_int_equal(alarm_engine_refused(e), 1000);
	/* clears make room, and the next round raises refused subjects in it */
	for (i = 0; i < 100; i++)
		v[i].value = 0;
	events = 0;
	alarm_engine_update(e, &t, "mta1", v, n, 3, count_events, &events);
	assert_int_equal(events, 100);
	assert_int_equal(alarm_engine_list(e, &a), ALARM_MAX - 100);
	events = 0;
	alarm_engine_update(e, &t, "mta1", v, n, 4, count_events, &events);
	assert_int_equal(events, 100);
	assert_int_equal(alarm_engine_list(e, &a), ALARM_MAX);
	free(names);
	free(v);
	alarm_engine_free(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(alarm_level_next_table),
		cmocka_unit_test(alarm_raises_once_per_level_and_clears_with_hysteresis),
		cmocka_unit_test(alarm_rate_needs_min_samples),
		cmocka_unit_test(alarm_every_subject_on_its_own_and_missing_ones_clear),
		cmocka_unit_test(alarm_prune_clears_alarms_of_removed_rules),
		cmocka_unit_test(alarm_replay_resends_the_raises_sent_before_the_mark),
		cmocka_unit_test(alarm_count_is_capped_and_refusals_counted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
