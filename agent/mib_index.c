#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "mib_index.h"

#define MIB_NAME_KEEP 55	/* bytes kept of a long name, then '~' + 8 hex digits */

size_t
mib_name_index(const char *name, size_t len, char out[MIB_NAME_MAX])
{
	char tail[10];

	if (len <= MIB_NAME_MAX) {
		memcpy(out, name, len);
		return len;
	}
	memcpy(out, name, MIB_NAME_KEEP);
	snprintf(tail, sizeof(tail), "~%08x", base_fnv1a(name, len));
	memcpy(out + MIB_NAME_KEEP, tail, 9);
	return MIB_NAME_KEEP + 9;
}

size_t
mib_index_put_string(uint32_t *o, size_t room, const char *s, size_t len)
{
	size_t i;

	if (len + 1 > room)
		return 0;
	o[0] = len;
	for (i = 0; i < len; i++)
		o[i + 1] = (unsigned char)s[i];
	return len + 1;
}

int
mib_oid_cmp(const uint32_t *a, size_t alen, const uint32_t *b, size_t blen)
{
	size_t i, n = alen < blen ? alen : blen;

	for (i = 0; i < n; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	if (alen == blen)
		return 0;
	return alen < blen ? -1 : 1;
}

static int
row_cmp(const void *x, const void *y)
{
	const struct mib_row *a = x, *b = y;

	return mib_oid_cmp(a->idx, a->idx_len, b->idx, b->idx_len);
}

void
mib_rows_clear(struct mib_rows *r)
{
	free(r->row);
	free(r->arena);
	memset(r, 0, sizeof(*r));
}

int
mib_rows_build(struct mib_rows *r, const void *base, size_t n, size_t esz,
	       size_t (*key)(const void *elem, uint32_t *out))
{
	struct mib_rows b = { 0 };
	uint32_t tmp[MIB_INDEX_MAX];
	size_t i, used = 0, kept = 0;

	memset(r, 0, sizeof(*r));
	if (n == 0)
		return 0;
	b.row = calloc(n, sizeof(*b.row));
	/* One arena for every index: few allocations, freed in one go. */
	b.arena = malloc(n * MIB_INDEX_MAX * sizeof(uint32_t));
	if (!b.row || !b.arena) {
		mib_rows_clear(&b);
		return -1;
	}
	for (i = 0; i < n; i++) {
		const void *e = (const char *)base + i * esz;
		size_t k = key(e, tmp);

		if (k == 0 || k > MIB_INDEX_MAX)
			continue;
		memcpy(b.arena + used, tmp, k * sizeof(uint32_t));
		b.row[kept].idx = b.arena + used;
		b.row[kept].idx_len = (uint32_t)k;
		b.row[kept].data = e;
		used += k;
		kept++;
	}
	/*
	 * The arena was sized for the longest index of every row; names are
	 * mostly much shorter (with 100,000 domains a quarter of it was used,
	 * and the rest was 25 to 50 MB a table). Before the sort the rows
	 * still lie in the arena one after the other, so their places are
	 * found again if realloc moves it.
	 */
	if (used < n * MIB_INDEX_MAX) {
		uint32_t *shrunk = realloc(b.arena, (used ? used : 1) * sizeof(uint32_t));

		if (shrunk) {
			b.arena = shrunk;
			for (i = 0, used = 0; i < kept; used += b.row[i].idx_len, i++)
				b.row[i].idx = b.arena + used;
		}
	}
	qsort(b.row, kept, sizeof(*b.row), row_cmp);
	/* qsort is not stable: break ties by element address so the first wins. */
	for (i = 0, b.n = 0; i < kept; i++) {
		if (b.n && row_cmp(&b.row[b.n - 1], &b.row[i]) == 0) {
			if (b.row[i].data < b.row[b.n - 1].data)
				b.row[b.n - 1] = b.row[i];
			continue;
		}
		b.row[b.n++] = b.row[i];
	}
	*r = b;
	return 0;
}

size_t
mib_rows_seek(const struct mib_rows *r, const uint32_t *key, size_t key_len, bool strict)
{
	size_t lo = 0, hi = r->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = mib_oid_cmp(r->row[mid].idx, r->row[mid].idx_len, key, key_len);

		if (c < 0 || (strict && c == 0))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}
