/*
 * The alarm state machine: threshold crossings with hysteresis, one event
 * per level change. Pure: values come in, events go out through a callback,
 * time is passed in. The SNMP thread owns the engine and turns events into
 * notifications.
 */
#ifndef PMTA_ALARM_H
#define PMTA_ALARM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cfg.h"

#define ALARM_MAX 10000		/* active alarms at most: a cap like every other */

enum alarm_level { ALARM_NONE = 0, ALARM_WARNING = 1, ALARM_CRITICAL = 2 };

struct alarm_value {
	const char *subject;	/* "instance", "domain:gmail.com", "queue:a/b", ... */
	uint64_t value;		/* in the metric's unit */
	uint64_t samples;	/* attempts in the window (rates); ignored otherwise */
};

struct alarm_event {
	uint32_t index;		/* pmtaAlarmIndex of the alarm */
	bool raise;		/* false: clear */
	enum alarm_level level;	/* the new level (raise) or the level cleared */
	enum cfg_metric metric;
	const char *rule;
	const char *instance;
	const char *subject;
	uint64_t value;
	uint64_t threshold;	/* the threshold crossed (raise) or the one that cleared */
};

typedef void (*alarm_event_fn)(void *arg, const struct alarm_event *ev);

/* A row of pmtaAlarmTable as the engine keeps it. */
struct alarm {
	uint32_t index;		/* pmtaAlarmIndex: never reused while the agent runs */
	char *rule;
	char *instance;
	char *subject;
	enum cfg_metric metric;
	enum alarm_level level;
	uint64_t value;
	uint64_t threshold;
	int64_t raised_at;	/* monotonic seconds of the last level change */
	uint64_t last_event;	/* number of the last event sent for it */
	bool seen;		/* fed in the current round */
	bool fresh;		/* raised in the current round */
};

struct alarm_engine;

struct alarm_engine *alarm_engine_new(void);
void alarm_engine_free(struct alarm_engine *e);

/*
 * The level a value deserves, given the current one: up to the highest
 * threshold reached at once; down only once the value is below clear_pct
 * percent of the threshold of the level held.
 */
enum alarm_level alarm_level_next(enum alarm_level cur, uint64_t value, uint64_t warn,
				  uint64_t crit, uint32_t clear_pct);

/*
 * Feeds one evaluation of rule th on one instance: every subject that has a
 * value now. Subjects of this rule and instance that are active but absent
 * from vals are taken as value 0 (the queue emptied, the domain went quiet).
 * A rate whose samples are below th->min_samples counts as 0 too, so it can
 * neither raise nor hold an alarm on too little traffic.
 */
void alarm_engine_update(struct alarm_engine *e, const struct cfg_threshold *th,
			 const char *instance, const struct alarm_value *vals, size_t n,
			 int64_t now, alarm_event_fn cb, void *arg);

/* Clears (with events) every alarm whose rule is not in rules, or whose instance is not. */
void alarm_engine_prune(struct alarm_engine *e, const struct cfg *c, alarm_event_fn cb,
			void *arg);

/* The active alarms, ordered by index. */
size_t alarm_engine_list(const struct alarm_engine *e, const struct alarm *const **out);

/*
 * Raises refused since the engine started because ALARM_MAX alarms were
 * active (or memory ran out): no event was sent for them, so the caller logs
 * the count. Each later evaluation tries again.
 */
uint64_t alarm_engine_refused(const struct alarm_engine *e);

/* Events sent so far: mark it when the way out (snmpd) may have been lost. */
uint64_t alarm_engine_events(const struct alarm_engine *e);

/*
 * Sends a raise event again for every active alarm whose last event was
 * number upto or earlier (it may have gone nowhere while snmpd was away);
 * later ones went out on the new session already. Returns how many.
 */
size_t alarm_engine_replay(struct alarm_engine *e, uint64_t upto, alarm_event_fn cb, void *arg);

#endif
