#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base.h"
#include "domain_cache.h"
#include "domain_idn.h"

#define SLOTS_MAX 65536

struct entry {
	uint32_t hash;
	uint16_t raw_len, key_len;
	char *text;		/* raw bytes, then the key and its NUL; NULL: empty */
};

struct domain_cache {
	size_t mask;
	uint64_t misses, hits;
	struct entry e[];
};

struct domain_cache *
domain_cache_new(size_t slots)
{
	struct domain_cache *c;
	size_t n = 1;

	if (!slots)
		slots = DOMAIN_CACHE_SLOTS;
	while (n < slots && n < SLOTS_MAX)
		n *= 2;
	c = calloc(1, sizeof(*c) + n * sizeof(c->e[0]));
	if (!c)
		return NULL;
	c->mask = n - 1;
	return c;
}

void
domain_cache_free(struct domain_cache *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i <= c->mask; i++)
		free(c->e[i].text);
	free(c);
}

size_t
domain_cache_key(struct domain_cache *c, const char *raw, size_t len, char *out)
{
	struct entry *e;
	uint32_t h;
	size_t n;
	char *t;

	/* Plain names and over-long ones: no libidn2 call to save, or no room to keep them. */
	if (!c || len > DOMAIN_IDN_MAX || !domain_idn_needs_idna(raw, len))
		return domain_idn_key(raw, len, out);
	h = base_fnv1a(raw, len);
	e = &c->e[h & c->mask];
	if (e->text && e->hash == h && e->raw_len == len && memcmp(e->text, raw, len) == 0) {
		c->hits++;
		memcpy(out, e->text + len, (size_t)e->key_len + 1);
		return e->key_len;
	}
	c->misses++;
	n = domain_idn_key(raw, len, out);
	t = malloc(len + n + 1);
	if (!t)
		return n;
	memcpy(t, raw, len);
	memcpy(t + len, out, n + 1);
	free(e->text);
	e->text = t;
	e->hash = h;
	e->raw_len = (uint16_t)len;
	e->key_len = (uint16_t)n;
	return n;
}

void
domain_cache_stats(const struct domain_cache *c, uint64_t *misses, uint64_t *hits)
{
	*misses = c ? c->misses : 0;
	*hits = c ? c->hits : 0;
}
