/*
 * A bounded set of recipients being followed to their final disposition:
 * those a t record deferred, until a d or b record resolves them, and those
 * a d record delivered, until an rb record reports a remote bounce. One
 * entry is 24 bytes: a 64-bit hash of what identifies the recipient, the
 * time it entered the set and three row references of the caller's
 * (domain, VirtualMTA, queue), so that what resolves or gives it up counts
 * in the rows that counted it first.
 *
 * Bounded two ways, and every entry that goes without being resolved is
 * handed to the caller's give_up callback: at most max entries (when full,
 * the entry that entered first goes to make room), and entries older than
 * horizon seconds go at acct_pending_expire(). Entries are kept in the
 * order they entered, so "the oldest first" costs nothing. With its index
 * (8 bytes a slot, at most two slots an entry) and the room compaction
 * needs, a full set of 1,000,000 costs about 40 MB.
 *
 * Pure: no I/O, no clock; owned by one thread.
 */
#ifndef PMTA_ACCT_PENDING_H
#define PMTA_ACCT_PENDING_H

#include <stddef.h>
#include <stdint.h>

#include "acct_record.h"

#define ACCT_PENDING_NONE UINT32_MAX	/* a reference to no row */
#define ACCT_PENDING_MAX 16000000u	/* the largest max accepted */

/* The caller's rows of one entry: domain, VirtualMTA, queue. */
struct acct_pending_ref {
	uint32_t row[3];
};

/* What acct_pending_take() and the give_up callback hand back. */
struct acct_pending_item {
	int64_t since;			/* when it entered (Unix s) */
	struct acct_pending_ref ref;
};

/* Called for each entry that goes unresolved (cap or horizon). */
typedef void (*acct_pending_give_up_fn)(void *arg, const struct acct_pending_item *it);

struct acct_pending;

/* max: 0 or above ACCT_PENDING_MAX gives ACCT_PENDING_MAX; NULL on no memory. */
struct acct_pending *acct_pending_new(size_t max, unsigned horizon, acct_pending_give_up_fn fn,
				      void *arg);
void acct_pending_free(struct acct_pending *p);

/*
 * The key of a deferred recipient: the fields a t record and the d or b
 * record that resolves it share (rcpt lower-cased, orig, timeQueued, envId,
 * jobId; an absent column hashes as empty).
 */
uint64_t acct_pending_key_deferred(const struct acct_record *r);

/*
 * The key of a delivered recipient: rcpt lower-cased and orig only, since
 * the rb record a remote DSN gives rise to carries neither the message's
 * timeQueued nor, in every version, its envId or jobId.
 */
uint64_t acct_pending_key_delivered(const struct acct_record *r);

/* Both keys of r at once (one pass over rcpt and orig): the statistics need both for a d record. */
void acct_pending_keys(const struct acct_record *r, uint64_t *deferred, uint64_t *delivered);

/*
 * Follows key from time since with the rows ref. 1 when added, 0 when the
 * key is already followed (its first time and rows are kept), -1 on no
 * memory (not followed). Gives up the oldest entry first when full.
 */
int acct_pending_add(struct acct_pending *p, uint64_t key, int64_t since,
		     const struct acct_pending_ref *ref);

/*
 * Asks for the cache line of key's index slot, so that a take or add a
 * little later does not wait for it: the index is tens of MB read at
 * random, and most lookups are a miss there.
 */
void acct_pending_prefetch(const struct acct_pending *p, uint64_t key);

/* Stops following key: 0 and *out filled when it was followed, -1 when not. */
int acct_pending_take(struct acct_pending *p, uint64_t key, struct acct_pending_item *out);

/* Gives up, oldest first, every entry that entered before now - horizon. */
void acct_pending_expire(struct acct_pending *p, int64_t now);

size_t acct_pending_count(const struct acct_pending *p);
uint64_t acct_pending_given_up(const struct acct_pending *p);
/* Bytes held by the set's arrays (for the closing notes on memory). */
size_t acct_pending_bytes(const struct acct_pending *p);

#endif
