/*
 * The accounting side of a snapshot: turning an acct_view into the rows of
 * the domain, VirtualMTA, job, bounce, deferral, rejection and latency tables.
 */
#ifndef PMTA_SNAPSHOT_ACCT_H
#define PMTA_SNAPSHOT_ACCT_H

#include <stddef.h>

#include "snapshot.h"

struct acct_view;

/* Rows the view holds for the tables the API also fills. */
void snapshot_acct_counts(const struct acct_view *av, size_t *domains, size_t *vmtas,
			  size_t *jobs, size_t *queues);

/*
 * Fills the domain, VirtualMTA and job rows (their tables are allocated
 * with room for the view's rows plus the API's) and allocates, fills and
 * packs the bounce, deferral, rejection and latency tables. Rows point into av.
 */
int snapshot_acct_rows(struct snap_instance *s, const struct acct_view *av);

/*
 * Frees the view's rows once they are copied into the tables, keeping the
 * strings the tables point into: with 100,000 domains the rows are about
 * 40 MB a snapshot would otherwise hold for nothing.
 */
void snapshot_acct_rows_done(void *av);

/* acct_view_free() with the signature snap_instance.owned_free needs. */
void snapshot_acct_view_free(void *av);

#endif
