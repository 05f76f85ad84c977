/*
 * One thread per instance that polls PowerMTA's HTTP monitor every
 * pmtaPollInterval seconds and publishes an pmta_result after each poll.
 * The thread never calls net-snmp: results go to a callback, which must be
 * thread-safe (the collector's mailbox).
 */
#ifndef PMTA_POLLER_H
#define PMTA_POLLER_H

#include <stdbool.h>

#include "pmta_result.h"
#include "cfg.h"

typedef void (*pmta_poller_publish_fn)(void *arg, struct pmta_result *r);	/* takes a reference */

struct pmta_poller;

struct pmta_poller *pmta_poller_new(const struct cfg *c, const struct cfg_instance *ci,
			  pmta_poller_publish_fn publish, void *arg);
int pmta_poller_start(struct pmta_poller *p);
/* Stops the thread (waiting at most one page timeout) and frees p. */
void pmta_poller_free(struct pmta_poller *p);

/* True when the status counters of cur are below those of prev: PowerMTA restarted or
 * `pmta reset counters` ran. */
bool pmta_poller_counters_reset(const struct pmta_status *prev, const struct pmta_status *cur);

/*
 * When PowerMTA's counters in cur started from zero, on this host's wall
 * clock (now_wall is it at the poll that fetched cur): PowerMTA's start
 * (startupTime, moved onto this clock by timeNow, so that the two clocks
 * may differ) unless prev shows the same start, in which case the counters
 * were reset while it ran (`pmta reset counters`) and now_wall is the best
 * bound. prev is NULL for the first status seen. Called once per event, so
 * that the value stays put between polls.
 */
int64_t pmta_poller_reset_wall(const struct pmta_status *prev, const struct pmta_status *cur,
			       int64_t now_wall);

/*
 * One poll, on the caller's thread (the thread body calls it; tests do
 * too): the new result becomes the poller's current one, the start of the
 * next poll, and a new reference to it is returned. NULL when memory ran
 * out (the current result stays).
 */
struct pmta_result *pmta_poller_poll_once(struct pmta_poller *p);

#endif
