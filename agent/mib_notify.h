/*
 * Alarm events as SNMP notifications, sent through the AgentX master to
 * its trap sinks, under the rate limit. SNMP thread only.
 */
#ifndef PMTA_MIB_NOTIFY_H
#define PMTA_MIB_NOTIFY_H

#include <stdint.h>

#include "alarm.h"

int mib_notify_init(uint32_t per_minute);
/* A new pmtaTrapRateLimit (after SIGHUP); -1 (logged) keeps the old one. */
int mib_notify_set_limit(uint32_t per_minute);
void mib_notify_shutdown(void);

/*
 * An alarm_event_fn: sends the raise or clear notification of ev's metric.
 * arg is the struct mib_state the SNMP answers come from: a queue backoff
 * notification carries the queue's pmtaQueueTable objects from it.
 */
void mib_notify_event(void *arg, const struct alarm_event *ev);

#endif
