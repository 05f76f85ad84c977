/*
 * One collector per instance: a worker thread that reads the accounting
 * files, keeps the statistics, takes the poller's results and builds a new
 * snapshot whenever something changed (at most about once a second while
 * catching up, and every few seconds so windows and ages slide). The SNMP
 * thread is told through notify() and takes the snapshot with
 * collector_take(); nothing here calls net-snmp.
 */
#ifndef PMTA_COLLECTOR_H
#define PMTA_COLLECTOR_H

#include "cfg.h"
#include "snapshot.h"

struct collector;

struct collector *collector_new(unsigned index, const struct cfg *c,
				const struct cfg_instance *ci, void (*notify)(void *),
				void *notify_arg);
int collector_start(struct collector *col);
/* Stops both threads within about a second and frees everything. */
void collector_free(struct collector *col);

/* Takes the rate and latency thresholds that apply to this instance (after a reload too). */
void collector_set_rules(struct collector *col, const struct cfg *c);

/* The newest snapshot not taken yet, or NULL. The caller owns it. */
struct snap_instance *collector_take(struct collector *col);

#endif
