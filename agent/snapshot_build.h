/*
 * Building an instance snapshot on a worker thread: the API's last result
 * and the accounting view merged into tables in SNMP walk order.
 */
#ifndef PMTA_SNAPSHOT_BUILD_H
#define PMTA_SNAPSHOT_BUILD_H

#include "snapshot.h"

struct acct_view;

struct snap_source {
	unsigned index;
	const char *name;
	const char *public_url;
	struct api_result *api;		/* borrowed: the snapshot takes its own reference */
	struct acct_view *acct;		/* taken (freed with the snapshot); may be NULL */
	bool acct_configured;
	uint64_t acct_records, acct_malformed;
	int64_t acct_last_record;
	int64_t now;			/* wall clock */
	struct snap_metric *metrics;	/* taken */
	size_t n_metrics;
};

/* NULL on allocation failure (src->acct is freed then too). */
struct snap_instance *snapshot_build(struct snap_source *src);

#endif
