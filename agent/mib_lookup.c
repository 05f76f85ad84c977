#include "config.h"

#include "mib_lookup.h"

/*
 * Finds the row a request is about: with next == false the row whose full
 * index (instance first, for per-instance tables) equals idx; with next ==
 * true the first row after it. On success hit->si and hit->row are set.
 */
static bool
table_find(const struct mib_state *st, const struct mib_lookup_table *t, const uint32_t *idx,
	   size_t len, bool next, struct mib_hit *hit)
{
	size_t i;

	if (!t->per_instance) {
		const struct mib_rows *rows = t->rows(st, NULL);
		size_t k = mib_rows_seek(rows, idx, len, next);

		if (k == rows->n || (!next && mib_rows_cmp(rows, k, idx, len) != 0))
			return false;
		hit->si = NULL;
		hit->rows = rows;
		hit->row = &rows->row[k];
		return true;
	}
	if (!next) {
		const struct snap_instance *si;
		const struct mib_rows *rows;
		size_t k;

		if (len < 1 || idx[0] < 1 || idx[0] > st->n_inst || !st->inst[idx[0] - 1])
			return false;
		si = st->inst[idx[0] - 1];
		rows = t->rows(st, si);
		k = mib_rows_seek(rows, idx + 1, len - 1, false);
		if (k == rows->n || mib_rows_cmp(rows, k, idx + 1, len - 1) != 0)
			return false;
		hit->si = si;
		hit->rows = rows;
		hit->row = &rows->row[k];
		return true;
	}
	/* GETNEXT: rest of the named instance, then the following instances. */
	for (i = len ? (idx[0] ? idx[0] - 1 : 0) : 0; i < st->n_inst; i++) {
		const struct snap_instance *si = st->inst[i];
		const struct mib_rows *rows;
		size_t k;

		if (!si)
			continue;
		rows = t->rows(st, si);
		/* Within the named instance, rows strictly after the rest of the index
		 * (a row with an empty index, as in pmtaInstanceTable, equals it). */
		k = len && idx[0] == i + 1 ? mib_rows_seek(rows, idx + 1, len - 1, true) : 0;
		if (k < rows->n) {
			hit->si = si;
			hit->rows = rows;
			hit->row = &rows->row[k];
			return true;
		}
	}
	return false;
}

bool
mib_lookup_get(const struct mib_state *st, const struct mib_lookup_table *t, unsigned col,
	       const uint32_t *idx, size_t len, struct mib_hit *hit)
{
	if (col < t->col_first || col > t->col_last ||
	    !table_find(st, t, idx, len, false, hit))
		return false;
	hit->col = col;
	return true;
}

bool
mib_lookup_next(const struct mib_state *st, const struct mib_lookup_table *t, unsigned col,
		const uint32_t *idx, size_t len, struct mib_hit *hit)
{
	if (col < t->col_first) {
		col = t->col_first;
		len = 0;
	}
	/* Down the column, then on to the top of the next one. */
	for (; col <= t->col_last; col++, len = 0) {
		if (table_find(st, t, idx, len, true, hit)) {
			hit->col = col;
			return true;
		}
	}
	return false;	/* past the table: the agent tries the next subtree */
}
