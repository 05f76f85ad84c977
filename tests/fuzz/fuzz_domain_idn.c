/*
 * libFuzzer target: domain_idn_key(), domain_idn_display() and the cache in
 * front of them, on the whole input as one raw domain; and the same input as
 * a queue name (domain_idn_queue_key()).
 *
 * The input is copied into a buffer of exactly its length: the functions
 * take (pointer, length) and must never read past it. Every key fits
 * DOMAIN_IDN_MAX bytes and is NUL-terminated at its length; the cache gives
 * the same key as the module, twice (miss, then hit), and so does the
 * plain path when it does not decline; a key not cut at
 * DOMAIN_IDN_MAX is its own key (one row per domain however often it is
 * normalised); a display name fits too. (A cut key may lose the part
 * libidn2 refused, so its own key can differ: that is allowed.)
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "domain_cache.h"
#include "domain_idn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct domain_cache *cache;

static size_t
cached(void *c, const char *in, size_t len, char *out)
{
	return domain_cache_key(c, in, len, out);
}

/*
 * Queue keys: bounded and terminated; the cache and libidn2 give the same;
 * a key that was not cut is its own key, and its part after the last '/' is
 * the input's VirtualMTA part as it was.
 */
static void
queue_keys(const char *p, size_t size)
{
	char key[DOMAIN_IDN_MAX + 1], again[DOMAIN_IDN_MAX + 1];
	const char *nul = memchr(p, '\0', size), *slash, *kslash;
	size_t n, m, len = nul ? (size_t)(nul - p) : size;

	n = domain_idn_queue_key_plain(p, size, key);
	if (n > DOMAIN_IDN_MAX || strlen(key) != n)
		abort();
	m = domain_idn_queue_key(cached, cache, p, size, again);
	if (m != n || memcmp(key, again, n + 1) != 0)
		abort();
	if (n == 0 || n >= DOMAIN_IDN_MAX - 1 || len > DOMAIN_IDN_IN_MAX)
		return;
	m = domain_idn_queue_key_plain(key, n, again);
	if (m != n || memcmp(key, again, n + 1) != 0)
		abort();
	slash = len ? memrchr(p, '/', len) : NULL;
	kslash = strrchr(key, '/');
	if (slash && (!kslash || strlen(kslash + 1) != len - (size_t)(slash + 1 - p) ||
	    memcmp(kslash + 1, slash + 1, strlen(kslash + 1)) != 0))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char key[DOMAIN_IDN_MAX + 1], again[DOMAIN_IDN_MAX + 1], shown[DOMAIN_IDN_MAX + 1];
	char *p = malloc(size ? size : 1);
	size_t n, m, k;

	if (!p)
		return 0;
	if (!cache)
		cache = domain_cache_new(64);
	memcpy(p, data, size);
	n = domain_idn_key(p, size, key);
	if (n > DOMAIN_IDN_MAX || strlen(key) != n)
		abort();
	/* The one-pass plain path gives the same key, or declines. */
	m = domain_idn_plain_key(p, size, again);
	if (m != DOMAIN_IDN_NOT_PLAIN && (m != n || memcmp(key, again, n + 1) != 0))
		abort();
	for (k = 0; k < 2; k++) {
		m = domain_cache_key(cache, p, size, again);
		if (m != n || memcmp(key, again, n + 1) != 0)
			abort();
	}
	if (n < DOMAIN_IDN_MAX && size <= DOMAIN_IDN_IN_MAX) {
		m = domain_idn_key(key, n, again);
		if (m != n || memcmp(key, again, n + 1) != 0)
			abort();
	}
	m = domain_idn_display(key, n, shown);
	if (m > DOMAIN_IDN_MAX || strlen(shown) != m)
		abort();
	queue_keys(p, size);
	free(p);
	return 0;
}
