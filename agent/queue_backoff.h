/*
 * Backoff per queue across polls of /queues: how often each queue entered
 * backoff and how long it stayed, counted at each poll. Pure (the clock is
 * passed in); the poller owns one and runs it on every new queue list
 * before publishing it.
 */
#ifndef PMTA_QUEUE_BACKOFF_H
#define PMTA_QUEUE_BACKOFF_H

#include <stddef.h>
#include <stdint.h>

#include "pmta_model.h"

#define QUEUE_BACKOFF_IDLE_DROP 86400	/* a queue unlisted this long is forgotten */

struct queue_backoff;

/* A tracker of at most max queues (>= 1); NULL on no memory. */
struct queue_backoff *queue_backoff_new(size_t max);
void queue_backoff_free(struct queue_backoff *t);

/*
 * One poll's list of n queues at now (monotonic seconds): for each queue,
 * an entry is counted when it is in backoff and was not at the last poll
 * that listed it (or was never listed), and the time since the previous
 * poll is added when that poll listed it in backoff too. Writes the totals
 * into q[i].backoff_entries and .backoff_secs. A queue the tracker has no
 * room for gets zeros; returns how many had none. Queues unlisted for
 * QUEUE_BACKOFF_IDLE_DROP seconds are forgotten first.
 */
size_t queue_backoff_update(struct queue_backoff *t, struct pmta_queue *q, size_t n, int64_t now);

/*
 * The queues tracked with a backoff history (entries or seconds) that the
 * last update's list did not hold, written to out[0..max) with their name,
 * its domain and VirtualMTA parts, their counts, mode other and unlisted
 * set: a queue that drops off PowerMTA's top-N page keeps counters that do
 * not fall back to 0 for as long as it is tracked. With out NULL, returns
 * how many there are.
 */
size_t queue_backoff_unlisted(const struct queue_backoff *t, struct pmta_queue *out, size_t max);

/* Queues tracked now. */
size_t queue_backoff_count(const struct queue_backoff *t);

#endif
