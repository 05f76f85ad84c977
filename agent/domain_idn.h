/*
 * Domain names to one canonical key, and back to Unicode for people to read.
 * Pure: no I/O, no state; the only file that calls libidn2.
 *
 * The same domain arrives in several spellings (BÜCHER.DE, bücher.de,
 * xn--bcher-kva.de, with or without a trailing dot). Every table row keyed
 * by a domain uses the key made here, so they all land on one row, and the
 * key is ASCII for every name IDNA accepts, which keeps the MIB's ASCII
 * index display hint truthful.
 */
#ifndef PMTA_DOMAIN_IDN_H
#define PMTA_DOMAIN_IDN_H

#include <stdbool.h>
#include <stddef.h>

#define DOMAIN_IDN_MAX 255	/* a key or a display name is at most this many bytes */
#define DOMAIN_IDN_IN_MAX 1024	/* longer inputs are not given to libidn2 */

/*
 * The canonical key of the domain in[0..len), written NUL-terminated to out
 * (DOMAIN_IDN_MAX + 1 bytes); returns its length (0: no name).
 *
 * The input ends at its first NUL byte, and trailing dots are dropped
 * (bücher.de. is bücher.de). What remains is mapped with UTS #46
 * (non-transitional: ß stays ß) and converted to A-labels, so case folds
 * across all of Unicode and every spelling gives xn--bcher-kva.de. A name
 * libidn2 rejects (a label over 63 bytes, a leading hyphen, bad punycode,
 * an input over DOMAIN_IDN_IN_MAX bytes), and a name with neither a
 * non-ASCII byte nor an "xn--" label, is its bytes with ASCII lower-cased,
 * cut at DOMAIN_IDN_MAX: for such ASCII names that is exactly what libidn2
 * would give, and it costs no call.
 */
size_t domain_idn_key(const char *in, size_t len, char *out);

/*
 * domain_idn_key() for an input that needs no libidn2 (see below), in one
 * pass over it: the hot path of every accounting record. Returns
 * DOMAIN_IDN_NOT_PLAIN (out's content undefined then) when it does need it.
 */
#define DOMAIN_IDN_NOT_PLAIN ((size_t)-1)
size_t domain_idn_plain_key(const char *in, size_t len, char *out);

/*
 * Whether domain_idn_key() needs libidn2 for this input: it has a byte
 * above 0x7f or a label that starts with "xn--" (any case). When false the
 * key is the lower-cased bytes, so a cache in front can skip the name.
 */
bool domain_idn_needs_idna(const char *in, size_t len);

/*
 * The Unicode form of a key made by domain_idn_key(), for people to read:
 * xn--bcher-kva.de gives bücher.de. A key without an "xn--" label, one
 * libidn2 cannot decode, or one whose Unicode form would be longer than
 * DOMAIN_IDN_MAX bytes is given as it is. out has DOMAIN_IDN_MAX + 1 bytes;
 * returns the length written.
 */
size_t domain_idn_display(const char *key, size_t len, char *out);

/*
 * A queue name's key. PowerMTA names a queue "domain/vmta"; the domain part
 * (before the last '/'; the whole name when there is none) is keyed by
 * key(arg, part, len, out), which is domain_idn_key() or a cache in front of
 * it, and the VirtualMTA part is kept as it is: so the /queues page's names
 * and the accounting records' queue column land on one row whatever the
 * domain's spelling, and the index stays ASCII. A rollup name
 * (yahoo.rollup) is plain ASCII and stays itself. out has DOMAIN_IDN_MAX + 1
 * bytes; a longer key is cut there. Returns the key's length (0: no name,
 * or an empty domain part).
 */
typedef size_t (*domain_idn_key_fn)(void *arg, const char *in, size_t len, char *out);
size_t domain_idn_queue_key(domain_idn_key_fn key, void *arg, const char *in, size_t len,
			    char *out);

/* domain_idn_queue_key() with domain_idn_key() itself. */
size_t domain_idn_queue_key_plain(const char *in, size_t len, char *out);

#endif
