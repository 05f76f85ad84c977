/*
 * A small bounded cache in front of domain_idn_key(), so that libidn2 runs
 * once per distinct raw spelling of a domain and not once per accounting
 * record (a libidn2 call costs several microseconds; the whole ingest of a
 * record, about one). Set-associative on the raw bytes' hash, four ways, the
 * least recently used way replaced: memory stays at most slots entries of
 * (2 x DOMAIN_IDN_MAX) bytes whatever the input. Names that need no libidn2
 * (plain ASCII) are not cached: lower-casing them is cheaper than a lookup.
 * Owned by one thread.
 */
#ifndef PMTA_DOMAIN_CACHE_H
#define PMTA_DOMAIN_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define DOMAIN_CACHE_SLOTS 16384	/* the default: distinct IDN spellings kept */

struct domain_cache;

/* slots: rounded up to a power of two, at least 4, at most 65536; 0: DOMAIN_CACHE_SLOTS. */
struct domain_cache *domain_cache_new(size_t slots);
void domain_cache_free(struct domain_cache *c);

/*
 * domain_idn_key(raw, len, out), answered from the cache when this raw
 * spelling was seen before. out has DOMAIN_IDN_MAX + 1 bytes. Out of memory,
 * the key is still made, just not kept.
 */
size_t domain_cache_key(struct domain_cache *c, const char *raw, size_t len, char *out);

/* How many keys libidn2 was asked for and how many the cache answered. */
void domain_cache_stats(const struct domain_cache *c, uint64_t *misses, uint64_t *hits);

#endif
