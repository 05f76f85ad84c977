/*
 * cmocka tests of the alarm evaluation (agent/alarm_eval.c) on fixture
 * snapshots: which subjects a rule's scope covers and the value of each,
 * then through the engine (agent/alarm.c) into pmtaAlarmTable's rows
 * (agent/mib_alarm.c), as the SNMP thread does after each snapshot.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alarm_eval.h"
#include "cfg.h"
#include "mib_alarm.h"
#include "mib_oids.h"
#include "snap_fixture.h"

static struct cfg *
config(const char *const *rules, size_t n)
{
	struct cfg *c = cfg_new();
	char err[256];
	size_t i;

	assert_non_null(c);
	assert_int_equal(cfg_parse(c, "pmtaInstance", "mta1 -", err, sizeof(err)), 0);
	for (i = 0; i < n; i++)
		if (cfg_parse(c, "pmtaThreshold", rules[i], err, sizeof(err)) < 0)
			fail_msg("%s: %s", rules[i], err);
	return c;
}

static const struct alarm_value *
value_of(const struct alarm_values *v, const char *subject)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (strcmp(v->v[i].subject, subject) == 0)
			return &v->v[i];
	return NULL;
}

static void
alarm_eval_domain_scopes_cover_one_name_case_blind_or_every_row(void **state)
{
	static const char *const rules[] = {
		"one queuedRcpt domain:GMAIL.com warn=5 crit=15",
		"all queuedRcpt domain:* warn=5 crit=15",
		"conn connUtilization instance warn=50 crit=90",
	};
	static const char *const doms[] = { "gmail.com", "yahoo.com" };
	struct cfg *c = config(rules, 3);
	struct snap_instance *s = fixture_instance(1, doms, 2, NULL, 0, NULL);
	struct alarm_values v = { 0 };

	(void)state;
	assert_non_null(s);
	assert_true(alarm_eval_applies(&c->th[0], "mta1"));
	assert_int_equal(alarm_eval_collect(&c->th[0], s, 0, 0, &v), 0);
	assert_int_equal(v.n, 1);
	assert_string_equal(v.v[0].subject, "domain:gmail.com");
	assert_int_equal(v.v[0].value, 10);
	assert_int_equal(alarm_eval_collect(&c->th[1], s, 0, 0, &v), 0);
	assert_int_equal(v.n, 2);
	assert_int_equal(value_of(&v, "domain:yahoo.com")->value, 20);
	/* The busier direction: outbound 5 of 20. */
	assert_int_equal(alarm_eval_collect(&c->th[2], s, 0, 0, &v), 0);
	assert_int_equal(v.n, 1);
	assert_string_equal(v.v[0].subject, "instance");
	assert_int_equal(v.v[0].value, 25);
	alarm_values_clear(&v);
	snapshot_free(s);
	cfg_free(c);
}

static void
alarm_eval_rule_for_another_instance_does_not_apply(void **state)
{
	static const char *const rules[] = { "r queuedRcpt instance@mta1 warn=1 crit=2" };
	struct cfg *c = config(rules, 1);

	(void)state;
	assert_true(alarm_eval_applies(&c->th[0], "mta1"));
	assert_false(alarm_eval_applies(&c->th[0], "mta2"));
	cfg_free(c);
}

static void
alarm_eval_api_down_has_no_value_without_an_api(void **state)
{
	static const char *const rules[] = { "down apiDown instance warn=1 crit=3" };
	struct cfg *c = config(rules, 1);
	struct snap_instance *s = fixture_instance(1, NULL, 0, NULL, 0, NULL);
	struct alarm_values v = { 0 };

	(void)state;
	assert_non_null(s);
	s->api->status = PMTA_API_NOT_CONFIGURED;
	assert_int_equal(alarm_eval_collect(&c->th[0], s, 0, 0, &v), 0);
	assert_int_equal(v.n, 0);
	s->api->status = PMTA_API_UNREACHABLE;
	s->api->failed_in_row = 4;
	assert_int_equal(alarm_eval_collect(&c->th[0], s, 0, 0, &v), 0);
	assert_int_equal(v.n, 1);
	assert_int_equal(v.v[0].value, 4);
	alarm_values_clear(&v);
	snapshot_free(s);
	cfg_free(c);
}

struct events {
	size_t raises, clears;
};

static void
count_event(void *arg, const struct alarm_event *ev)
{
	struct events *e = arg;

	if (ev->raise)
		e->raises++;
	else
		e->clears++;
}

static void
alarm_eval_crossing_raises_an_alarm_and_fills_the_alarm_table(void **state)
{
	static const char *const rules[] = { "all queuedRcpt domain:* warn=15 crit=100" };
	static const char *const doms[] = { "gmail.com", "yahoo.com" };
	struct cfg *c = config(rules, 1);
	struct snap_instance *s = fixture_instance(1, doms, 2, NULL, 0, NULL);
	struct alarm_engine *e = alarm_engine_new();
	struct alarm_values v = { 0 };
	struct mib_state st = { 0 };
	struct events ev = { 0 };
	const struct snap_row *r;

	(void)state;
	assert_non_null(s);
	assert_non_null(e);
	assert_int_equal(alarm_eval_collect(&c->th[0], s, 0, 0, &v), 0);
	alarm_engine_update(e, &c->th[0], "mta1", v.v, v.n, 1000, count_event, &ev);
	assert_int_equal(ev.raises, 1);		/* yahoo.com: 20 >= 15; gmail.com: 10 */
	assert_int_equal(mib_alarm_table_build(&st, e), 0);
	assert_int_equal(st.active_alarms, 1);
	assert_int_equal(st.alarms.idx.n, 1);
	r = st.alarms.idx.row[0].data;
	assert_string_equal(r->name, "all");
	assert_string_equal(r->name2, "mta1");
	assert_string_equal(r->text, "domain:yahoo.com");
	assert_int_equal(r->col[PMTA_ALARM_SEVERITY], PMTA_SEVERITY_WARNING);
	assert_int_equal(r->col[PMTA_ALARM_VALUE], 20);
	assert_int_equal(r->col[PMTA_ALARM_THRESHOLD], 15);
	assert_int_equal(r->col[SNAP_ALARM_RAISED_AT], 1000);
	/* The domain leaves the API's list: value 0, the alarm clears, the table empties. */
	v.n = 0;
	alarm_engine_update(e, &c->th[0], "mta1", v.v, v.n, 1010, count_event, &ev);
	assert_int_equal(ev.clears, 1);
	assert_int_equal(mib_alarm_table_build(&st, e), 0);
	assert_int_equal(st.active_alarms, 0);
	assert_int_equal(st.alarms.idx.n, 0);
	mib_alarm_tables_clear(&st);
	alarm_values_clear(&v);
	alarm_engine_free(e);
	snapshot_free(s);
	cfg_free(c);
}

/* Queues a.com/v1 (normal), b.com/v1 and c.com/v2 (backoff when back is set). */
static void
set_queues(struct snap_instance *s, bool back)
{
	static const char *const names[] = { "a.com/v1", "b.com/v1", "c.com/v2" };
	struct pmta_queue *q = calloc(3, sizeof(*q));
	size_t i;

	assert_non_null(q);
	for (i = 0; i < 3; i++) {
		snprintf(q[i].name, sizeof(q[i].name), "%s", names[i]);
		q[i].mode = i > 0 && back ? PMTA_QUEUE_MODE_BACKOFF : PMTA_QUEUE_MODE_NORMAL;
	}
	api_list_unref(s->api->list[API_QUEUES]);
	s->api->list[API_QUEUES] = api_list_new(q, 3);
	assert_non_null(s->api->list[API_QUEUES]);
}

static void
alarm_eval_queue_backoff_is_one_alarm_per_queue_in_backoff(void **state)
{
	struct snap_instance *s = fixture_instance(1, NULL, 0, NULL, 0, NULL);
	struct alarm_engine *e = alarm_engine_new();
	struct alarm_values v = { 0 };
	struct events ev = { 0 };
	const struct alarm *const *list;

	(void)state;
	assert_non_null(s);
	assert_non_null(e);
	set_queues(s, true);
	assert_int_equal(alarm_eval_collect(&cfg_queue_backoff_rule, s, 0, 0, &v), 0);
	assert_int_equal(v.n, 2);
	assert_string_equal(v.v[0].subject, "queue:b.com/v1");
	assert_string_equal(v.v[1].subject, "queue:c.com/v2");
	assert_int_equal(v.v[0].value, 1);
	alarm_engine_update(e, &cfg_queue_backoff_rule, "mta1", v.v, v.n, 10, count_event, &ev);
	assert_int_equal(ev.raises, 2);
	assert_int_equal(alarm_engine_list(e, &list), 2);
	assert_int_equal(list[0]->level, ALARM_WARNING);
	/* Still in backoff: no new event. Back to normal: both clear. */
	alarm_engine_update(e, &cfg_queue_backoff_rule, "mta1", v.v, v.n, 20, count_event, &ev);
	assert_int_equal(ev.raises, 2);
	set_queues(s, false);
	assert_int_equal(alarm_eval_collect(&cfg_queue_backoff_rule, s, 0, 0, &v), 0);
	assert_int_equal(v.n, 0);
	alarm_engine_update(e, &cfg_queue_backoff_rule, "mta1", v.v, v.n, 30, count_event, &ev);
	assert_int_equal(ev.clears, 2);
	assert_int_equal(alarm_engine_list(e, &list), 0);
	alarm_values_clear(&v);
	alarm_engine_free(e);
	snapshot_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(alarm_eval_queue_backoff_is_one_alarm_per_queue_in_backoff),
		cmocka_unit_test(alarm_eval_domain_scopes_cover_one_name_case_blind_or_every_row),
		cmocka_unit_test(alarm_eval_rule_for_another_instance_does_not_apply),
		cmocka_unit_test(alarm_eval_api_down_has_no_value_without_an_api),
		cmocka_unit_test(alarm_eval_crossing_raises_an_alarm_and_fills_the_alarm_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
