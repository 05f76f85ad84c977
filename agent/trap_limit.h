/*
 * At most N notifications in any 60 seconds. Pure: the caller passes the
 * time. What is held back is counted so it can be summarised once sending
 * is allowed again.
 */
#ifndef PMTA_TRAP_LIMIT_H
#define PMTA_TRAP_LIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct trap_limit {
	uint32_t limit;
	int64_t *sent;		/* ring of the times of the last `limit` sends */
	size_t head, count;
	uint64_t held;		/* suppressed since the last summary */
	uint64_t held_total;
};

int trap_limit_init(struct trap_limit *t, uint32_t per_minute);
void trap_limit_clear(struct trap_limit *t);

/*
 * True when one more notification may go at `now`. When it may and some
 * were held back before, *held_before gets their number (else 0) and the
 * count restarts.
 */
bool trap_limit_allow(struct trap_limit *t, int64_t now, uint64_t *held_before);

#endif
