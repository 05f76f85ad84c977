#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "acct_pending.h"

#define FIRST_CAP 1024		/* entries of the first array */

/* 24 bytes: key 0 marks an entry taken or given up (a hash of 0 is stored as 1). */
struct entry {
	uint64_t key;
	uint32_t since;		/* Unix s: 32 bits last until 2106 */
	struct acct_pending_ref ref;
};

/*
 * Entries in the order they entered, in e[head..tail); taken ones stay as
 * holes until the array is compacted (when tail reaches ecap), which also
 * grows it, up to a quarter more than max so that a compaction always
 * frees at least that much. idx is an open-addressing index of positions
 * + 1 (0: empty) with the key's high half beside each, so that a probe
 * reads the entry only when that half matches: most lookups miss (a d
 * record of a recipient never deferred), and the entries are cold.
 * Linear probing, at most half full.
 */
struct islot {
	uint32_t pos;		/* position + 1; 0: empty */
	uint32_t tag;		/* the key's high 32 bits */
};

struct acct_pending {
	struct entry *e;
	size_t ecap, head, tail, n, max, ecap_max;
	struct islot *idx;
	size_t icap;
	unsigned horizon;
	uint64_t given_up;
	acct_pending_give_up_fn give_up;
	void *arg;
};

/*
 * The keys are hashed 8 bytes at a time: every accounting record computes one
 * or two of them, and a byte-wise hash of the recipient, sender and ids was
 * over a tenth of the cost of ingesting a record. The keys live only in this
 * process's memory, so their values may change from one version to the next.
 * Each step (xor, multiply by an odd constant, xor-shift) is a bijection of h
 * for a given word, and each field ends with its length, so fields that split
 * the same bytes differently ("ab","c" and "a","bc") hash apart.
 */
#define K_MUL 0x9e3779b97f4a7c15ull
#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

static uint64_t
mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * K_MUL;
	return h ^ (h >> 29);
}

/* ASCII 'A'..'Z' to lower case in all 8 bytes at once; other bytes unchanged. */
static uint64_t
lower8(uint64_t w)
{
	uint64_t low7 = w & ~HIGHS;
	uint64_t ge_a = low7 + (0x80 - 'A') * ONES;	/* high bit: byte >= 'A' */
	uint64_t gt_z = low7 + (0x80 - 'Z' - 1) * ONES;	/* high bit: byte > 'Z' */

	return w | ((ge_a & ~gt_z & ~w & HIGHS) >> 2);
}

static uint64_t
field_hash(uint64_t h, const char *p, size_t len, int lower)
{
	size_t left = len;
	uint64_t w;

	for (; left >= 8; p += 8, left -= 8) {
		memcpy(&w, p, 8);
		h = mix(h, lower ? lower8(w) : w);
	}
	if (left) {
		w = 0;
		memcpy(&w, p, left);
		h = mix(h, lower ? lower8(w) : w);
	}
	return mix(h, len);
}

/* The finaliser of MurmurHash3: every input bit reaches every output bit. */
static uint64_t
key_fix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h ? h : 1;
}

/* rcpt (ASCII lower-cased) and orig: who the recipient is, before the message's own fields. */
static uint64_t
who_hash(const struct acct_record *r)
{
	uint64_t h = 0x6a09e667f3bcc908ull;

	h = field_hash(h, r->rcpt.p, r->rcpt.len, 1);
	return field_hash(h, r->orig.p, r->orig.len, 0);
}

/* timeQueued as a number: "+0000" and "+0100" spellings of one instant agree. */
static uint64_t
message_hash(uint64_t h, const struct acct_record *r)
{
	h = mix(h, (uint64_t)r->time_queued);
	h = field_hash(h, r->env_id.p, r->env_id.len, 0);
	return field_hash(h, r->job_id.p, r->job_id.len, 0);
}

uint64_t
acct_pending_key_deferred(const struct acct_record *r)
{
	return key_fix(message_hash(who_hash(r), r));
}

uint64_t
acct_pending_key_delivered(const struct acct_record *r)
{
	return key_fix(who_hash(r));
}

void
acct_pending_keys(const struct acct_record *r, uint64_t *deferred, uint64_t *delivered)
{
	uint64_t who = who_hash(r);

	*delivered = key_fix(who);
	*deferred = key_fix(message_hash(who, r));
}

struct acct_pending *
acct_pending_new(size_t max, unsigned horizon, acct_pending_give_up_fn fn, void *arg)
{
	struct acct_pending *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	if (!max || max > ACCT_PENDING_MAX)
		max = ACCT_PENDING_MAX;
	p->max = max;
	p->ecap_max = max + max / 4 + 1;
	p->horizon = horizon;
	p->give_up = fn;
	p->arg = arg;
	return p;
}

void
acct_pending_free(struct acct_pending *p)
{
	if (!p)
		return;
	free(p->e);
	free(p->idx);
	free(p);
}

static size_t
home_of(const struct acct_pending *p, uint64_t key)
{
	return (size_t)(uint32_t)key & (p->icap - 1);
}

/* The index slot holding key, or the empty slot where it would go. */
static size_t
idx_find(const struct acct_pending *p, uint64_t key)
{
	size_t i = home_of(p, key);
	uint32_t tag = (uint32_t)(key >> 32);

	while (p->idx[i].pos && (p->idx[i].tag != tag || p->e[p->idx[i].pos - 1].key != key))
		i = (i + 1) & (p->icap - 1);
	return i;
}

static void
idx_set(struct acct_pending *p, size_t slot, size_t pos, uint64_t key)
{
	p->idx[slot].pos = (uint32_t)(pos + 1);
	p->idx[slot].tag = (uint32_t)(key >> 32);
}

/* Empties index slot i, moving later entries of its probe run back (no tombstones). */
static void
idx_remove(struct acct_pending *p, size_t i)
{
	size_t j = i, mask = p->icap - 1;

	for (;;) {
		size_t home;

		p->idx[i].pos = 0;
		for (;;) {
			j = (j + 1) & mask;
			if (!p->idx[j].pos)
				return;
			home = home_of(p, p->e[p->idx[j].pos - 1].key);
			/* j may move to i only if its home is not in (i, j]. */
			if (i <= j ? (home <= i || home > j) : (home <= i && home > j))
				break;
		}
		p->idx[i] = p->idx[j];
		i = j;
	}
}

/*
 * Moves the live entries to the front of an array of ecap entries (the
 * same one or a larger one) and rebuilds the index. -1 leaves everything
 * as it was.
 */
static int
compact(struct acct_pending *p, size_t ecap)
{
	size_t icap = 64, i, k = 0;
	struct entry *e;
	struct islot *idx;

	while (icap < 2 * (ecap < p->max ? ecap : p->max))
		icap *= 2;
	e = ecap == p->ecap ? p->e : malloc(ecap * sizeof(*e));
	idx = icap == p->icap ? p->idx : malloc(icap * sizeof(*idx));
	if (!e || !idx) {
		if (e != p->e)
			free(e);
		if (idx != p->idx)
			free(idx);
		return -1;
	}
	/* In place, k never passes i: the order the entries entered is kept. */
	for (i = p->head; i < p->tail; i++)
		if (p->e[i].key)
			e[k++] = p->e[i];
	if (e != p->e)
		free(p->e);
	if (idx != p->idx)
		free(p->idx);
	p->e = e;
	p->ecap = ecap;
	p->idx = idx;
	p->icap = icap;
	p->head = 0;
	p->tail = k;
	memset(p->idx, 0, icap * sizeof(*idx));
	for (i = 0; i < k; i++)
		idx_set(p, idx_find(p, e[i].key), i, e[i].key);
	return 0;
}

/* Takes entry e[pos] (indexed at slot) out; the head moves past holes. */
static void
entry_remove(struct acct_pending *p, size_t slot, size_t pos)
{
	idx_remove(p, slot);
	p->e[pos].key = 0;
	p->n--;
	while (p->head < p->tail && !p->e[p->head].key)
		p->head++;
	if (p->head == p->tail)
		p->head = p->tail = 0;	/* empty: start over at the front */
}

static void
item_of(const struct entry *e, struct acct_pending_item *out)
{
	out->since = e->since;
	out->ref = e->ref;
}

/* Gives up the oldest entry (the set is not empty). */
static void
give_up_oldest(struct acct_pending *p)
{
	struct acct_pending_item it;
	size_t pos = p->head;

	item_of(&p->e[pos], &it);
	entry_remove(p, idx_find(p, p->e[pos].key), pos);
	p->given_up++;
	if (p->give_up)
		p->give_up(p->arg, &it);
}

int
acct_pending_add(struct acct_pending *p, uint64_t key, int64_t since,
		 const struct acct_pending_ref *ref)
{
	struct entry *e;
	size_t slot;

	key = key_fix(key);
	if (p->icap && p->idx[idx_find(p, key)].pos)
		return 0;
	if (p->n >= p->max)
		give_up_oldest(p);
	if (p->tail == p->ecap) {
		size_t ecap = p->ecap;

		/* Grow when the live entries would fill more than 3/4 after compacting. */
		if (!ecap)
			ecap = FIRST_CAP < p->ecap_max ? FIRST_CAP : p->ecap_max;
		else if (p->n * 4 > ecap * 3)
			ecap = ecap * 2 < p->ecap_max ? ecap * 2 : p->ecap_max;
		if (compact(p, ecap) < 0)
			return -1;
	}
	slot = idx_find(p, key);
	e = &p->e[p->tail];
	e->key = key;
	e->since = since < 0 ? 0 : since > UINT32_MAX ? UINT32_MAX : (uint32_t)since;
	e->ref = *ref;
	idx_set(p, slot, p->tail, key);
	p->tail++;
	p->n++;
	return 1;
}

void
acct_pending_prefetch(const struct acct_pending *p, uint64_t key)
{
	if (p->icap)
		__builtin_prefetch(&p->idx[home_of(p, key_fix(key))]);
}

int
acct_pending_take(struct acct_pending *p, uint64_t key, struct acct_pending_item *out)
{
	size_t slot, pos;

	if (!p->n)
		return -1;
	key = key_fix(key);
	slot = idx_find(p, key);
	if (!p->idx[slot].pos)
		return -1;
	pos = p->idx[slot].pos - 1;
	item_of(&p->e[pos], out);
	entry_remove(p, slot, pos);
	return 0;
}

void
acct_pending_expire(struct acct_pending *p, int64_t now)
{
	int64_t cutoff = now - (int64_t)p->horizon;

	/* In the order they entered, which is nearly their time order: the files are read in order. */
	while (p->n && (int64_t)p->e[p->head].since < cutoff)
		give_up_oldest(p);
}

size_t
acct_pending_count(const struct acct_pending *p)
{
	return p->n;
}

uint64_t
acct_pending_given_up(const struct acct_pending *p)
{
	return p->given_up;
}

size_t
acct_pending_bytes(const struct acct_pending *p)
{
	return p->ecap * sizeof(*p->e) + p->icap * sizeof(*p->idx);
}
