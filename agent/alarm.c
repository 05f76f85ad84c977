#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "alarm.h"
#include "base.h"

struct alarm_engine {
	struct alarm **a;	/* ascending index */
	size_t n, cap;
	uint32_t next_index;
	uint64_t refused;	/* raises not kept: ALARM_MAX reached or no memory */
	uint64_t events;	/* events sent so far: numbers each alarm's last one */
};

struct alarm_engine *
alarm_engine_new(void)
{
	struct alarm_engine *e = calloc(1, sizeof(*e));

	if (e)
		e->next_index = 1;
	return e;
}

static void
alarm_free(struct alarm *a)
{
	if (!a)
		return;
	free(a->rule);
	free(a->instance);
	free(a->subject);
	free(a);
}

void
alarm_engine_free(struct alarm_engine *e)
{
	size_t i;

	if (!e)
		return;
	for (i = 0; i < e->n; i++)
		alarm_free(e->a[i]);
	free(e->a);
	free(e);
}

static uint64_t
level_threshold(enum alarm_level l, uint64_t warn, uint64_t crit)
{
	return l == ALARM_CRITICAL ? crit : warn;
}

enum alarm_level
alarm_level_next(enum alarm_level cur, uint64_t value, uint64_t warn, uint64_t crit,
		 uint32_t clear_pct)
{
	enum alarm_level up = value >= crit ? ALARM_CRITICAL :
	    value >= warn ? ALARM_WARNING : ALARM_NONE;
	enum alarm_level l = cur;

	/* Going down one level needs the value below clear_pct% of that level's threshold. */
	while (l > ALARM_NONE &&
	    (long double)value * 100 < (long double)level_threshold(l, warn, crit) * clear_pct)
		l--;
	return up > l ? up : l;
}

static void
emit(struct alarm_engine *e, struct alarm *a, bool raise, enum alarm_level level,
     uint64_t threshold, alarm_event_fn cb, void *arg)
{
	struct alarm_event ev = {
		.index = a->index,
		.raise = raise,
		.level = level,
		.metric = a->metric,
		.rule = a->rule,
		.instance = a->instance,
		.subject = a->subject,
		.value = a->value,
		.threshold = threshold,
	};

	a->last_event = ++e->events;
	cb(arg, &ev);
}

static void
remove_at(struct alarm_engine *e, size_t i)
{
	alarm_free(e->a[i]);
	memmove(&e->a[i], &e->a[i + 1], (e->n - i - 1) * sizeof(e->a[0]));
	e->n--;
}

/* Applies a value to an existing alarm; returns false when it cleared (and was removed). */
static bool
apply(struct alarm_engine *e, size_t i, const struct cfg_threshold *th, uint64_t value,
      int64_t now, alarm_event_fn cb, void *arg)
{
	struct alarm *a = e->a[i];
	enum alarm_level next = alarm_level_next(a->level, value, th->warn, th->crit, th->clear_pct);

	a->value = value;
	if (next == a->level) {
		a->threshold = level_threshold(a->level, th->warn, th->crit);
		return true;
	}
	if (next == ALARM_NONE) {
		emit(e, a, false, a->level, level_threshold(a->level, th->warn, th->crit), cb, arg);
		remove_at(e, i);
		return false;
	}
	a->level = next;
	a->threshold = level_threshold(next, th->warn, th->crit);
	a->raised_at = now;
	emit(e, a, true, next, a->threshold, cb, arg);
	return true;
}

static struct alarm *
add(struct alarm_engine *e, const struct cfg_threshold *th, const char *instance,
    const char *subject, uint64_t value, enum alarm_level level, int64_t now)
{
	struct alarm *a, **p;

	if (e->n == ALARM_MAX)
		return NULL;
	p = base_grow(e->a, &e->cap, e->n + 1, sizeof(*e->a), 16, ALARM_MAX);
	if (!p)
		return NULL;
	e->a = p;
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->rule = strdup(th->rule);
	a->instance = strdup(instance);
	a->subject = strdup(subject);
	if (!a->rule || !a->instance || !a->subject) {
		alarm_free(a);
		return NULL;
	}
	a->index = e->next_index++;
	a->metric = th->metric;
	a->level = level;
	a->value = value;
	a->threshold = level_threshold(level, th->warn, th->crit);
	a->raised_at = now;
	e->a[e->n++] = a;
	return a;
}

struct subject_map {
	size_t cap;
	size_t *slot;		/* alarm position + 1 */
};

static uint32_t
str_hash(const char *s)
{
	return base_fnv1a(s, strlen(s));
}

static bool
is_mine(const struct alarm *a, const char *rule, const char *instance)
{
	return strcmp(a->rule, rule) == 0 && strcmp(a->instance, instance) == 0;
}

/*
 * The alarms rule already holds on instance, by subject (m->slot stays NULL
 * when there are none), and every alarm marked not seen. -1 when out of memory.
 */
static int
subject_map_build(struct alarm_engine *e, const char *rule, const char *instance,
		  struct subject_map *m)
{
	size_t i, mine = 0;

	for (i = 0; i < e->n; i++) {
		e->a[i]->seen = false;
		if (is_mine(e->a[i], rule, instance))
			mine++;
	}
	if (!mine)
		return 0;
	for (m->cap = 16; m->cap < mine * 2; m->cap *= 2)
		;
	m->slot = calloc(m->cap, sizeof(*m->slot));
	if (!m->slot)
		return -1;
	for (i = 0; i < e->n; i++) {
		size_t h;

		if (!is_mine(e->a[i], rule, instance))
			continue;
		for (h = str_hash(e->a[i]->subject) & (m->cap - 1); m->slot[h]; h = (h + 1) & (m->cap - 1))
			;
		m->slot[h] = i + 1;
	}
	return 0;
}

static struct alarm *
subject_map_find(const struct alarm_engine *e, const struct subject_map *m, const char *subject)
{
	size_t h;

	if (!m->slot)
		return NULL;
	for (h = str_hash(subject) & (m->cap - 1); m->slot[h]; h = (h + 1) & (m->cap - 1))
		if (strcmp(e->a[m->slot[h] - 1]->subject, subject) == 0)
			return e->a[m->slot[h] - 1];
	return NULL;
}

void
alarm_engine_update(struct alarm_engine *e, const struct cfg_threshold *th, const char *instance,
		    const struct alarm_value *vals, size_t n, int64_t now, alarm_event_fn cb,
		    void *arg)
{
	struct subject_map m = { 0 };
	size_t i;

	if (subject_map_build(e, th->rule, instance, &m) < 0)
		return;
	for (i = 0; i < n; i++) {
		uint64_t v = vals[i].value;
		struct alarm *a = subject_map_find(e, &m, vals[i].subject);

		if (cfg_metric_is_rate(th->metric) && vals[i].samples < th->min_samples)
			v = 0;
		if (a) {
			a->seen = true;
			a->value = v;
			continue;	/* applied below, after the map is no longer needed */
		}
		if (v >= th->warn) {
			enum alarm_level l = alarm_level_next(ALARM_NONE, v, th->warn, th->crit,
			    th->clear_pct);

			a = add(e, th, instance, vals[i].subject, v, l, now);
			if (a) {
				a->fresh = true;	/* raised just now: nothing more to apply */
				emit(e, a, true, l, a->threshold, cb, arg);
			} else {
				e->refused++;
			}
		}
	}
	free(m.slot);

	/* Existing alarms: the value fed, or 0 when the subject is gone. */
	for (i = 0; i < e->n;) {
		struct alarm *a = e->a[i];

		if (a->fresh || !is_mine(a, th->rule, instance)) {
			a->fresh = false;
			i++;
			continue;
		}
		if (apply(e, i, th, a->seen ? a->value : 0, now, cb, arg))
			i++;
	}
}

void
alarm_engine_prune(struct alarm_engine *e, const struct cfg *c, alarm_event_fn cb, void *arg)
{
	size_t i, k;

	for (i = 0; i < e->n;) {
		struct alarm *a = e->a[i];
		bool keep = false;

		for (k = 0; k < c->n_th && !keep; k++)
			if (strcmp(c->th[k].rule, a->rule) == 0 && c->th[k].metric == a->metric)
				keep = cfg_instance_find(c, a->instance) != NULL;
		if (a->metric == CFG_METRIC_QUEUE_BACKOFF)
			keep = c->queue_backoff_events && cfg_instance_find(c, a->instance) != NULL;
		if (keep) {
			i++;
			continue;
		}
		emit(e, a, false, a->level, a->threshold, cb, arg);
		remove_at(e, i);
	}
}

size_t
alarm_engine_list(const struct alarm_engine *e, const struct alarm *const **out)
{
	*out = (const struct alarm *const *)e->a;
	return e->n;
}

uint64_t
alarm_engine_events(const struct alarm_engine *e)
{
	return e->events;
}

size_t
alarm_engine_replay(struct alarm_engine *e, uint64_t upto, alarm_event_fn cb, void *arg)
{
	size_t i, n = 0;

	for (i = 0; i < e->n; i++) {
		if (e->a[i]->last_event > upto)
			continue;
		emit(e, e->a[i], true, e->a[i]->level, e->a[i]->threshold, cb, arg);
		n++;
	}
	return n;
}

uint64_t
alarm_engine_refused(const struct alarm_engine *e)
{
	return e->refused;
}
