/* cmocka tests of backoff per queue across polls (agent/queue_backoff.c). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "queue_backoff.h"

static void
queue(struct pmta_queue *q, const char *name, int mode)
{
	memset(q, 0, sizeof(*q));
	snprintf(q->name, sizeof(q->name), "%s", name);
	q->mode = (enum pmta_queue_mode)mode;
}

enum { N = PMTA_QUEUE_MODE_NORMAL, B = PMTA_QUEUE_MODE_BACKOFF, O = PMTA_QUEUE_MODE_OTHER, GONE = 0 };

/*
 * One queue through a sequence of polls, 30 s apart unless said: its mode
 * at each (GONE: not listed), and the totals expected after it.
 */
static void
queue_backoff_counts_entries_and_time_poll_by_poll(void **state)
{
	static const struct {
		int64_t at;
		int mode;
		uint64_t entries, secs;
	} polls[] = {
		{ 1000, N, 0, 0 },
		{ 1030, B, 1, 0 },	/* entered: no time before the poll that saw it */
		{ 1060, B, 1, 30 },
		{ 1090, N, 1, 60 },	/* left: the time up to this poll counts */
		{ 1120, O, 1, 60 },
		{ 1150, B, 2, 60 },
		{ 1180, GONE, 2, 60 },	/* out of the top queues */
		{ 1210, B, 2, 60 },	/* back, still in backoff: the same spell, the gap uncounted */
		{ 1240, B, 2, 90 },
	};
	struct queue_backoff *t = queue_backoff_new(10);
	struct pmta_queue q;
	size_t i;

	(void)state;
	assert_non_null(t);
	for (i = 0; i < sizeof(polls) / sizeof(polls[0]); i++) {
		if (polls[i].mode == GONE) {
			assert_int_equal(queue_backoff_update(t, NULL, 0, polls[i].at), 0);
			continue;
		}
		queue(&q, "gmail.com/vmta1", polls[i].mode);
		assert_int_equal(queue_backoff_update(t, &q, 1, polls[i].at), 0);
		assert_int_equal(q.backoff_entries, polls[i].entries);
		assert_int_equal(q.backoff_secs, polls[i].secs);
	}
	queue_backoff_free(t);
}

static void
queue_backoff_first_sighting_in_backoff_is_an_entry(void **state)
{
	struct queue_backoff *t = queue_backoff_new(10);
	struct pmta_queue q[2];

	(void)state;
	queue(&q[0], "a.com/v", B);
	queue(&q[1], "b.com/v", N);
	queue_backoff_update(t, q, 2, 50);
	assert_int_equal(q[0].backoff_entries, 1);
	assert_int_equal(q[1].backoff_entries, 0);
	assert_int_equal(queue_backoff_count(t), 2);
	queue_backoff_free(t);
}

static void
queue_backoff_full_tracker_gives_zeros_and_says_how_many(void **state)
{
	struct queue_backoff *t = queue_backoff_new(1);
	struct pmta_queue q[3];

	(void)state;
	queue(&q[0], "a.com/v", B);
	queue(&q[1], "b.com/v", B);
	queue(&q[2], "c.com/v", B);
	q[1].backoff_entries = 99;	/* whatever was there is overwritten */
	assert_int_equal(queue_backoff_update(t, q, 3, 10), 2);
	assert_int_equal(q[0].backoff_entries, 1);
	assert_int_equal(q[1].backoff_entries, 0);
	assert_int_equal(q[2].backoff_entries, 0);
	assert_int_equal(queue_backoff_count(t), 1);
	queue_backoff_free(t);
}

static void
queue_backoff_unlisted_a_day_is_forgotten(void **state)
{
	struct queue_backoff *t = queue_backoff_new(1);
	struct pmta_queue q;

	(void)state;
	queue(&q, "a.com/v", B);
	queue_backoff_update(t, &q, 1, 100);
	queue_backoff_update(t, NULL, 0, 100 + QUEUE_BACKOFF_IDLE_DROP - 1);
	assert_int_equal(queue_backoff_count(t), 1);
	queue_backoff_update(t, NULL, 0, 100 + QUEUE_BACKOFF_IDLE_DROP);
	assert_int_equal(queue_backoff_count(t), 0);
	/* Its room serves another queue now. */
	queue(&q, "b.com/v", B);
	assert_int_equal(queue_backoff_update(t, &q, 1, 200 + QUEUE_BACKOFF_IDLE_DROP), 0);
	assert_int_equal(q.backoff_entries, 1);
	queue_backoff_free(t);
}

static void
queue_backoff_new_refuses_zero_and_free_takes_null(void **state)
{
	(void)state;
	assert_null(queue_backoff_new(0));
	queue_backoff_free(NULL);
	assert_int_equal(queue_backoff_count(NULL), 0);
}

/* A queue off the page keeps its counts through queue_backoff_unlisted(); one never in backoff is not listed there. */
static void
queue_backoff_unlisted_queues_keep_their_counts(void **state)
{
	struct queue_backoff *t = queue_backoff_new(10);
	struct pmta_queue q[2], out[4];

	(void)state;
	assert_non_null(t);
	queue(&q[0], "yahoo.rollup/vmta18", B);
	queue(&q[1], "gmail.com/vmta1", N);
	queue_backoff_update(t, q, 2, 1000);
	queue(&q[0], "yahoo.rollup/vmta18", B);
	queue_backoff_update(t, q, 2, 1030);
	assert_int_equal(queue_backoff_unlisted(t, NULL, 0), 0);	/* both listed */
	queue(&q[1], "gmail.com/vmta1", N);
	queue_backoff_update(t, &q[1], 1, 1060);	/* yahoo.rollup/vmta18 drops off */
	assert_int_equal(queue_backoff_unlisted(t, NULL, 0), 1);
	assert_int_equal(queue_backoff_unlisted(t, out, 4), 1);
	assert_string_equal(out[0].name, "yahoo.rollup/vmta18");
	assert_string_equal(out[0].domain, "yahoo.rollup");
	assert_string_equal(out[0].vmta, "vmta18");
	assert_int_equal(out[0].backoff_entries, 1);
	assert_int_equal(out[0].backoff_secs, 30);
	assert_int_equal(out[0].mode, PMTA_QUEUE_MODE_OTHER);
	assert_true(out[0].unlisted);
	assert_int_equal(queue_backoff_unlisted(t, out, 0), 0);	/* no room: nothing written */
	queue_backoff_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(queue_backoff_counts_entries_and_time_poll_by_poll),
		cmocka_unit_test(queue_backoff_first_sighting_in_backoff_is_an_entry),
		cmocka_unit_test(queue_backoff_full_tracker_gives_zeros_and_says_how_many),
		cmocka_unit_test(queue_backoff_unlisted_a_day_is_forgotten),
		cmocka_unit_test(queue_backoff_new_refuses_zero_and_free_takes_null),
		cmocka_unit_test(queue_backoff_unlisted_queues_keep_their_counts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
