#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "trap_limit.h"

int
trap_limit_init(struct trap_limit *t, uint32_t per_minute)
{
	memset(t, 0, sizeof(*t));
	t->limit = per_minute ? per_minute : 1;
	t->sent = calloc(t->limit, sizeof(*t->sent));
	return t->sent ? 0 : -1;
}

void
trap_limit_clear(struct trap_limit *t)
{
	free(t->sent);
	memset(t, 0, sizeof(*t));
}

bool
trap_limit_allow(struct trap_limit *t, int64_t now, uint64_t *held_before)
{
	*held_before = 0;
	/* Forget sends older than a minute. */
	while (t->count && now - t->sent[t->head] >= 60) {
		t->head = (t->head + 1) % t->limit;
		t->count--;
	}
	if (t->count == t->limit) {
		t->held++;
		t->held_total++;
		return false;
	}
	t->sent[(t->head + t->count) % t->limit] = now;
	t->count++;
	*held_before = t->held;
	t->held = 0;
	return true;
}
