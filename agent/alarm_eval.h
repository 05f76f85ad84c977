/*
 * The value of a threshold's metric for every subject it covers on one
 * instance, read from that instance's snapshot. Pure; SNMP thread.
 */
#ifndef PMTA_ALARM_EVAL_H
#define PMTA_ALARM_EVAL_H

#include "alarm.h"
#include "cfg.h"
#include "snapshot.h"

struct alarm_values {
	struct alarm_value *v;
	size_t n, cap;
	char *text;		/* subjects, one after the other */
	size_t text_len, text_cap;
};

/* Does rule th apply to the instance named `instance`? */
bool alarm_eval_applies(const struct cfg_threshold *th, const char *instance);

/*
 * Fills out (emptied first) with the values of th on si. now_wall is the
 * wall clock, start_wall when the agent
 * started (acctStalled counts from there when no record was ever read).
 * Returns -1 on allocation failure.
 */
int alarm_eval_collect(const struct cfg_threshold *th, const struct snap_instance *si,
		       int64_t now_wall, int64_t start_wall, struct alarm_values *out);
void alarm_values_clear(struct alarm_values *out);

#endif
