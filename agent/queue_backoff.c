#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "queue_backoff.h"

#define QB_BUCKETS 4096		/* chains stay short up to tens of thousands of queues */

struct qb_entry {
	struct qb_entry *next;
	int64_t seen;		/* monotonic seconds of the last poll that listed it */
	uint64_t poll;		/* number of that poll */
	uint64_t entries, secs;
	bool backoff;		/* its mode at that poll */
	char name[];
};

struct queue_backoff {
	struct qb_entry *bucket[QB_BUCKETS];
	size_t n, max;
	uint64_t polls;
};

struct queue_backoff *
queue_backoff_new(size_t max)
{
	struct queue_backoff *t;

	if (max == 0)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (t)
		t->max = max;
	return t;
}

void
queue_backoff_free(struct queue_backoff *t)
{
	size_t b;

	if (!t)
		return;
	for (b = 0; b < QB_BUCKETS; b++) {
		struct qb_entry *e = t->bucket[b], *next;

		for (; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(t);
}

size_t
queue_backoff_count(const struct queue_backoff *t)
{
	return t ? t->n : 0;
}

/* Forgets the queues no poll has listed for QUEUE_BACKOFF_IDLE_DROP seconds. */
static void
drop_idle(struct queue_backoff *t, int64_t now)
{
	size_t b;

	for (b = 0; b < QB_BUCKETS; b++) {
		struct qb_entry **pe = &t->bucket[b];

		while (*pe) {
			struct qb_entry *e = *pe;

			if (now - e->seen >= QUEUE_BACKOFF_IDLE_DROP) {
				*pe = e->next;
				free(e);
				t->n--;
			} else {
				pe = &e->next;
			}
		}
	}
}

/* The entry of name, made if there is room; NULL when there is none. */
static struct qb_entry *
entry_get(struct queue_backoff *t, const char *name)
{
	size_t len = strlen(name);
	struct qb_entry **pe = &t->bucket[base_fnv1a(name, len) % QB_BUCKETS], *e;

	for (e = *pe; e; e = e->next)
		if (strcmp(e->name, name) == 0)
			return e;
	if (t->n >= t->max)
		return NULL;
	e = calloc(1, sizeof(*e) + len + 1);
	if (!e)
		return NULL;
	memcpy(e->name, name, len + 1);
	e->next = *pe;
	*pe = e;
	t->n++;
	return e;
}

size_t
queue_backoff_update(struct queue_backoff *t, struct pmta_queue *q, size_t n, int64_t now)
{
	size_t i, untracked = 0;

	drop_idle(t, now);
	t->polls++;
	for (i = 0; i < n; i++) {
		bool backoff = q[i].mode == PMTA_QUEUE_MODE_BACKOFF;
		struct qb_entry *e = entry_get(t, q[i].name);

		if (!e) {
			q[i].backoff_entries = q[i].backoff_secs = 0;
			untracked++;
			continue;
		}
		/* A fresh entry has poll 0 and backoff false: its first sighting
		 * in backoff is an entry, and no time before it is counted. */
		if (e->backoff && e->poll == t->polls - 1 && now > e->seen)
			e->secs = base_add_sat(e->secs, (uint64_t)(now - e->seen));
		if (backoff && !e->backoff)
			e->entries = base_add_sat(e->entries, 1);
		e->backoff = backoff;
		e->seen = now;
		e->poll = t->polls;
		q[i].backoff_entries = e->entries;
		q[i].backoff_secs = e->secs;
	}
	return untracked;
}

size_t
queue_backoff_unlisted(const struct queue_backoff *t, struct pmta_queue *out, size_t max)
{
	size_t b, k = 0;

	for (b = 0; b < QB_BUCKETS; b++) {
		const struct qb_entry *e;

		for (e = t->bucket[b]; e; e = e->next) {
			struct pmta_queue *q;
			const char *slash;

			if (e->poll == t->polls || (!e->entries && !e->secs))
				continue;
			if (!out) {
				k++;
				continue;
			}
			if (k == max)
				return k;
			q = &out[k++];
			memset(q, 0, sizeof(*q));
			snprintf(q->name, sizeof(q->name), "%s", e->name);
			slash = strrchr(q->name, '/');
			snprintf(q->domain, sizeof(q->domain), "%.*s",
			    (int)(slash ? (size_t)(slash - q->name) : strlen(q->name)), q->name);
			snprintf(q->vmta, sizeof(q->vmta), "%s", slash ? slash + 1 : "");
			q->mode = PMTA_QUEUE_MODE_OTHER;
			q->backoff_entries = e->entries;
			q->backoff_secs = e->secs;
			q->unlisted = true;
		}
	}
	return k;
}
