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
 * The instance's accounting totals, and the bounce, deferral, rejection,
 * complaint and latency tables: each allocated, filled and packed, and the
 * view's rows it came from freed (but the domain and VirtualMTA rows, which
 * snapshot_acct_fill() still needs). Rows point into av's strings.
 */
int snapshot_acct_rows(struct snap_instance *s, struct acct_view *av);

/*
 * The domain, VirtualMTA, job or queue rows of av into s's table of that
 * kind (allocated with room for them: snapshot_acct_counts()), then those
 * view rows freed. Called one table at a time, each packed before the
 * next, so that with 100,000 domains one table's 8-byte columns and the
 * view's rows of the next are never all alive together.
 */
void snapshot_acct_fill(struct snap_instance *s, struct acct_view *av, enum snap_tab tab);

/*
 * Frees the view's rows once they are copied into the tables, keeping the
 * strings the tables point into: with 100,000 domains the rows are about
 * 40 MB a snapshot would otherwise hold for nothing.
 */
void snapshot_acct_rows_done(void *av);

/* acct_view_free() with the signature snap_instance.owned_free needs. */
void snapshot_acct_view_free(void *av);

#endif
