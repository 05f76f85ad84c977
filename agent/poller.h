/*
 * One thread per instance that polls PowerMTA's HTTP monitor every
 * pmtaPollInterval seconds and publishes an api_result after each poll.
 * The thread never calls net-snmp: results go to a callback, which must be
 * thread-safe (the collector's mailbox).
 */
#ifndef PMTA_POLLER_H
#define PMTA_POLLER_H

#include <stdbool.h>

#include "api_result.h"
#include "cfg.h"

typedef void (*poller_publish_fn)(void *arg, struct api_result *r);	/* takes a reference */

struct poller;

struct poller *poller_new(const struct cfg *c, const struct cfg_instance *ci,
			  poller_publish_fn publish, void *arg);
int poller_start(struct poller *p);
/* Stops the thread (waiting at most one page timeout) and frees p. */
void poller_free(struct poller *p);

/* True when the status counters of cur are below those of prev: PowerMTA restarted or
 * `pmta reset counters` ran. */
bool poller_counters_reset(const struct pmta_status *prev, const struct pmta_status *cur);

/* One poll, on the caller's thread (the thread body calls it; tests may too). */
struct api_result *poller_poll_once(struct poller *p);

#endif
