#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "domain_cache.h"
#include "domain_idn.h"

#define SLOTS_MAX 65536
#define WAYS 4		/* a set's entries: two hot names sharing a set do not evict each other */

struct entry {
	uint32_t hash;
	uint16_t raw_len, key_len;
	uint64_t used;		/* the lookup that last used it: the oldest is replaced */
	char *text;		/* raw bytes, then the key and its NUL; NULL: empty */
};

struct domain_cache {
	size_t set_mask;
	uint64_t clock;
	uint64_t misses, hits;
	struct entry e[];	/* set s is e[s * WAYS .. s * WAYS + WAYS) */
};

struct domain_cache *
domain_cache_new(size_t slots)
{
	struct domain_cache *c;
	size_t n = WAYS;

	if (!slots)
		slots = DOMAIN_CACHE_SLOTS;
	while (n < slots && n < SLOTS_MAX)
		n *= 2;
	c = calloc(1, sizeof(*c) + n * sizeof(c->e[0]));
	if (!c)
		return NULL;
	c->set_mask = n / WAYS - 1;
	return c;
}

void
domain_cache_free(struct domain_cache *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < (c->set_mask + 1) * WAYS; i++)
		free(c->e[i].text);
	free(c);
}

size_t
domain_cache_key(struct domain_cache *c, const char *raw, size_t len, char *out)
{
	struct entry *set, *e, *victim;
	uint32_t h;
	size_t n, w;
	char *t;

	/* Plain names: no libidn2 call to save. Over-long ones: no room to keep them. */
	n = domain_idn_plain_key(raw, len, out);
	if (n != DOMAIN_IDN_NOT_PLAIN)
		return n;
	if (!c || len > DOMAIN_IDN_MAX)
		return domain_idn_key(raw, len, out);
	h = base_fnv1a(raw, len);
	set = &c->e[(h & c->set_mask) * WAYS];
	victim = &set[0];
	c->clock++;
	for (w = 0; w < WAYS; w++) {
		e = &set[w];
		if (e->text && e->hash == h && e->raw_len == len && memcmp(e->text, raw, len) == 0) {
			c->hits++;
			e->used = c->clock;
			memcpy(out, e->text + len, (size_t)e->key_len + 1);
			return e->key_len;
		}
		if (!e->text ? victim->text != NULL : victim->text && e->used < victim->used)
			victim = e;
	}
	c->misses++;
	n = domain_idn_key(raw, len, out);
	t = malloc(len + n + 1);
	if (!t)
		return n;
	memcpy(t, raw, len);
	memcpy(t + len, out, n + 1);
	free(victim->text);
	victim->text = t;
	victim->hash = h;
	victim->raw_len = (uint16_t)len;
	victim->key_len = (uint16_t)n;
	victim->used = c->clock;
	return n;
}

void
domain_cache_stats(const struct domain_cache *c, uint64_t *misses, uint64_t *hits)
{
	*misses = c ? c->misses : 0;
	*hits = c ? c->hits : 0;
}
