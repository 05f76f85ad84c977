/*
 * What one poll of an instance's HTTP monitor produced: the state of the API
 * and the last good copy of every page. Immutable once published and
 * reference-counted, so the poller, the snapshot builder and the SNMP
 * thread can hold it without copying. Each page's list is itself shared:
 * a page that fails keeps the previous poll's list.
 */
#ifndef PMTA_RESULT_H
#define PMTA_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pmta_http.h"
#include "pmta_model.h"

struct api_list {
	int refs;
	size_t n;
	void *items;		/* struct pmta_queue[] or struct pmta_item[] */
};

enum api_page { API_QUEUES, API_DOMAINS, API_VMTAS, API_JOBS, API_NPAGES };

struct pmta_result {
	int refs;
	enum pmta_api_status status;
	char last_error[256];
	int64_t last_success;	/* monotonic seconds of the last good poll, 0 never */
	int64_t discontinuity;	/* monotonic seconds a counter went backwards, 0 never */
	int64_t reset_wall;	/* wall seconds PowerMTA's counters last started from 0, 0 unknown */
	uint64_t polls, failures;
	unsigned failed_in_row;	/* consecutive failed polls */
	bool have_status;
	struct pmta_status st;
	int64_t st_at;		/* monotonic seconds when st was fetched */
	struct api_list *list[API_NPAGES];	/* never NULL once built by the poller */
};

struct api_list *api_list_new(void *items, size_t n);	/* takes items */
struct api_list *api_list_ref(struct api_list *l);
void api_list_unref(struct api_list *l);

struct pmta_result *pmta_result_new(void);
struct pmta_result *pmta_result_ref(struct pmta_result *r);
void pmta_result_unref(struct pmta_result *r);

/* Monotonic clock in seconds: ages and retry times are measured with it. */
int64_t mono_now(void);
/* The same clock in milliseconds (CLOCK_MONOTONIC, as net-snmp's sysUpTime). */
int64_t mono_now_ms(void);
/* The wall clock in milliseconds since 1970 (DateAndTime has tenths). */
int64_t wall_now_ms(void);

#endif
