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

/*
 * A key as bytes, to compare with a narrow table's indexes by memcmp():
 * cut before its first sub-id of 256 or more (big), which is above any
 * byte a row can hold at that place.
 */
struct key8 {
	uint8_t b[MIB_INDEX_MAX];
	size_t len;
	bool big;
};

static void
key8_make(struct key8 *k, const uint32_t *key, size_t key_len)
{
	size_t i;

	k->big = false;
	for (i = 0; i < key_len && i < MIB_INDEX_MAX; i++) {
		if (key[i] > 255) {
			k->big = true;
			break;
		}
		k->b[i] = (uint8_t)key[i];
	}
	k->len = i;
	if (key_len > MIB_INDEX_MAX && !k->big)
		k->big = true;	/* longer than any row: after every row it starts with */
}

static int
cmp_narrow(const struct mib_rows *r, const struct mib_row *a, const struct key8 *k)
{
	size_t n = a->idx_len < k->len ? a->idx_len : k->len;
	int c = n ? memcmp((const uint8_t *)r->arena + a->off, k->b, n) : 0;

	if (c)
		return c < 0 ? -1 : 1;
	/* Equal so far: a key cut at a big sub-id is after the row (shorter, or a byte there). */
	if (k->big)
		return -1;
	if (a->idx_len == k->len)
		return 0;
	return a->idx_len < k->len ? -1 : 1;
}

static int
cmp_wide(const struct mib_rows *r, const struct mib_row *a, const uint32_t *key, size_t key_len)
{
	if (!a->idx_len)	/* a row with no index (pmtaInstanceTable's): no arena */
		return key_len ? -1 : 0;
	return mib_oid_cmp((const uint32_t *)r->arena + a->off, a->idx_len, key, key_len);
}

/* Two stored indexes, in OID order (bytes compare as memcmp() does). */
static int
row_cmp(const void *x, const void *y, void *arg)
{
	const struct mib_rows *r = arg;
	const struct mib_row *a = x, *b = y;
	size_t n = a->idx_len < b->idx_len ? a->idx_len : b->idx_len;
	int c;

	if (!r->narrow)
		return mib_oid_cmp((const uint32_t *)r->arena + a->off, a->idx_len,
		    (const uint32_t *)r->arena + b->off, b->idx_len);
	c = n ? memcmp((const uint8_t *)r->arena + a->off, (const uint8_t *)r->arena + b->off, n) : 0;
	if (c || a->idx_len == b->idx_len)
		return c < 0 ? -1 : c > 0;
	return a->idx_len < b->idx_len ? -1 : 1;
}

size_t
mib_rows_index(const struct mib_rows *r, size_t i, uint32_t *out)
{
	const struct mib_row *row = &r->row[i];
	uint32_t k;

	if (!row->idx_len)
		return 0;
	if (r->narrow) {
		const uint8_t *x = (const uint8_t *)r->arena + row->off;

		for (k = 0; k < row->idx_len; k++)
			out[k] = x[k];
	} else {
		memcpy(out, (const uint32_t *)r->arena + row->off, row->idx_len * sizeof(uint32_t));
	}
	return row->idx_len;
}

int
mib_rows_cmp(const struct mib_rows *r, size_t i, const uint32_t *key, size_t key_len)
{
	struct key8 k;

	if (!r->narrow)
		return cmp_wide(r, &r->row[i], key, key_len);
	key8_make(&k, key, key_len);
	return cmp_narrow(r, &r->row[i], &k);
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
	size_t i, j, used = 0, kept = 0;

	memset(r, 0, sizeof(*r));
	if (n == 0)
		return 0;
	/*
	 * The arena is sized exactly in a first pass over the keys: sized for
	 * the longest index of every row it was 32 MB with 100,000 domains,
	 * four times what they use, until it was shrunk.
	 */
	b.narrow = true;
	for (i = 0; i < n; i++) {
		size_t k = key((const char *)base + i * esz, tmp);

		if (k == 0 || k > MIB_INDEX_MAX)
			continue;
		for (j = 0; j < k && b.narrow; j++)
			b.narrow = tmp[j] < 256;
		used += k;
		kept++;
	}
	if (used > UINT32_MAX)
		return -1;	/* offsets are 32-bit: never near with pmtaMaxRows */
	b.row = calloc(kept ? kept : 1, sizeof(*b.row));
	b.arena = malloc((used ? used : 1) * (b.narrow ? 1 : sizeof(uint32_t)));
	if (!b.row || !b.arena) {
		mib_rows_clear(&b);
		return -1;
	}
	for (i = 0, used = 0, kept = 0; i < n; i++) {
		const void *e = (const char *)base + i * esz;
		size_t k = key(e, tmp);

		if (k == 0 || k > MIB_INDEX_MAX)
			continue;
		if (b.narrow)
			for (j = 0; j < k; j++)
				((uint8_t *)b.arena)[used + j] = (uint8_t)tmp[j];
		else
			memcpy((uint32_t *)b.arena + used, tmp, k * sizeof(uint32_t));
		b.row[kept].off = (uint32_t)used;
		b.row[kept].idx_len = (uint32_t)k;
		b.row[kept].data = e;
		used += k;
		kept++;
	}
	qsort_r(b.row, kept, sizeof(*b.row), row_cmp, &b);
	/* qsort is not stable: break ties by element address so the first wins. */
	for (i = 0, b.n = 0; i < kept; i++) {
		if (b.n && row_cmp(&b.row[b.n - 1], &b.row[i], &b) == 0) {
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
	struct key8 k;

	if (r->narrow)
		key8_make(&k, key, key_len);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = r->narrow ? cmp_narrow(r, &r->row[mid], &k) :
		    cmp_wide(r, &r->row[mid], key, key_len);

		if (c < 0 || (strict && c == 0))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}
