/*
 * Table rows ordered the way SNMP walks them, and the lookups GET and
 * GETNEXT need. Pure functions over plain arrays: built on a worker thread,
 * searched by bisection on the SNMP thread, tested without an agent.
 * Sub-identifiers are uint32_t (SNMP's own limit), not net-snmp's oid:
 * mib_agent.c converts where it calls net-snmp, and the snapshot, collector
 * and alarm code never see a net-snmp header.
 */
#ifndef PMTA_MIB_INDEX_H
#define PMTA_MIB_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MIB_NAME_MAX 64		/* PmtaName: OCTET STRING (SIZE(1..64)) */
#define MIB_INDEX_MAX 80	/* sub-identifiers of one row index, after the instance */

/*
 * The index form of a name: the name itself when it fits in 64 bytes,
 * otherwise its first 55 bytes, '~' and 8 hex digits of the FNV-1a hash of
 * the whole name, so long names stay distinct and stable. Returns the length
 * written to out (0 for an empty name, which has no index form).
 */
size_t mib_name_index(const char *name, size_t len, char out[MIB_NAME_MAX]);

/* Appends a length-prefixed string index to o; returns sub-ids written. */
size_t mib_index_put_string(uint32_t *o, size_t room, const char *s, size_t len);

struct mib_row {
	const void *data;
	uint32_t off;		/* where its index starts in the rows' arena */
	uint32_t idx_len;	/* sub-ids of the row index, without the instance index */
};

/*
 * Every row's index in one arena. Most tables' indexes are names, whose
 * sub-ids are bytes: such a table keeps one byte per sub-id (narrow), a
 * quarter of the memory (with 100,000 domains, tens of MB a snapshot).
 */
struct mib_rows {
	size_t n;
	struct mib_row *row;	/* ascending by index, no duplicates */
	void *arena;		/* uint8_t[] when narrow, uint32_t[] otherwise */
	bool narrow;		/* every sub-id < 256 */
};

/*
 * key() writes the index of one element (at most MIB_INDEX_MAX sub-ids) and
 * returns how many; 0 leaves the element out. It is called twice per
 * element (to size the arena, then to fill it), so it must be pure. Sorts,
 * drops duplicate keys (the first element wins). Returns 0, or -1 on
 * allocation failure with r left empty.
 */
int mib_rows_build(struct mib_rows *r, const void *base, size_t n, size_t esz,
		   size_t (*key)(const void *elem, uint32_t *out));
void mib_rows_clear(struct mib_rows *r);

/* Row i's index into out (room for MIB_INDEX_MAX); returns its length. */
size_t mib_rows_index(const struct mib_rows *r, size_t i, uint32_t *out);

/* -1, 0, 1 as row i's index is before, equal to, after key in OID order. */
int mib_rows_cmp(const struct mib_rows *r, size_t i, const uint32_t *key, size_t key_len);

/* First row whose index is >= key (or > key when strict); r->n if none. */
size_t mib_rows_seek(const struct mib_rows *r, const uint32_t *key, size_t key_len, bool strict);

/* -1, 0, 1 as a is before, equal to, after b in OID order. */
int mib_oid_cmp(const uint32_t *a, size_t alen, const uint32_t *b, size_t blen);

#endif
