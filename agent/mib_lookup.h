/*
 * Which row a GET or GETNEXT is about, in one table of the MIB: small pure
 * functions over the published snapshots (no net-snmp), so that the SNMP
 * edge is unit-tested on fixture snapshots. mib_agent.c turns requests into
 * these calls and the hits into varbinds.
 */
#ifndef PMTA_MIB_LOOKUP_H
#define PMTA_MIB_LOOKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mib_agent.h"

/* The rows of one instance's table, or of the agent's own (si == NULL). */
typedef const struct mib_rows *(*mib_rows_fn)(const struct mib_state *st,
					      const struct snap_instance *si);

struct mib_lookup_table {
	unsigned col_first, col_last;
	bool per_instance;	/* the first index is pmtaInstanceIndex */
	mib_rows_fn rows;
};

struct mib_hit {
	unsigned col;
	const struct snap_instance *si;	/* NULL in the agent's own tables */
	const struct mib_rows *rows;	/* the rows it was found in */
	const struct mib_row *row;	/* one of rows->row */
};

/*
 * GET: the row whose whole index (after the column, instance first in
 * per-instance tables) is idx, in column col. false: noSuchInstance.
 */
bool mib_lookup_get(const struct mib_state *st, const struct mib_lookup_table *t,
		    unsigned col, const uint32_t *idx, size_t len, struct mib_hit *hit);

/*
 * GETNEXT: the first (column, row) after (col, idx) in walk order: down the
 * column across instances, then the top of the next column. A column below
 * the first starts at the top. false past the table's last cell.
 */
bool mib_lookup_next(const struct mib_state *st, const struct mib_lookup_table *t,
		     unsigned col, const uint32_t *idx, size_t len, struct mib_hit *hit);

#endif
