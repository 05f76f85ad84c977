/*
 * The small things every stage needs, written once: a string hash, ASCII
 * lower-casing, 32-bit saturation, civil dates, growing an array under a
 * hard cap, and condition-variable waits on the monotonic clock. No
 * dependency beyond libc and pthreads, no I/O, no logging; tested by
 * tests/test_base.c. (The model is curl's lib/curlx/.)
 */
#ifndef PMTA_BASE_H
#define PMTA_BASE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* FNV-1a, 32 bits, of len bytes at p. The MIB's long-name index shows it:
 * it must not change. */
uint32_t base_fnv1a(const char *p, size_t len);
/* The same hash of the ASCII lower-cased bytes (for case-blind maps). */
uint32_t base_fnv1a_lower(const char *p, size_t len);

/* Copies min(len, room) bytes of src to dst with 'A'-'Z' lower-cased and
 * every other byte (UTF-8 too) as it is, whatever the locale; returns how
 * many. Writes no NUL. */
size_t base_lower_copy(char *dst, size_t room, const char *src, size_t len);

/* v, or UINT32_MAX when v does not fit (Gauge32, Unsigned32). */
uint32_t base_sat32(uint64_t v);
/* a + b, or UINT64_MAX when the sum does not fit. */
uint64_t base_add_sat(uint64_t a, uint64_t b);

/* Days in month m (1-12) of year y, leap years counted; 0 for a bad month. */
unsigned base_days_in_month(int y, unsigned m);
/* Days since 1970-01-01 of a proleptic Gregorian date; m 1-12, d 1-31. */
int64_t base_days_from_civil(int y, unsigned m, unsigned d);

/*
 * Makes room for at least need (>= 1) elements of esz bytes in p, which
 * holds *cap of them: the capacity doubles from first and never passes max.
 * Returns the array, perhaps moved (*cap updated), or NULL when need > max
 * or memory runs out: p is still the caller's then, and *cap unchanged.
 */
void *base_grow(void *p, size_t *cap, size_t need, size_t esz, size_t first, size_t max);

/* A condition variable whose timed waits run on CLOCK_MONOTONIC, so wall-clock
 * steps neither cut a wait short nor stretch it. */
void base_cond_init(pthread_cond_t *c);
/* The monotonic time ms milliseconds from now, for pthread_cond_timedwait(). */
void base_deadline(struct timespec *ts, unsigned long ms);

#endif
