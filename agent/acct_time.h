/* Times of accounting records, without libc's locale- and TZ-dependent calls. */
#ifndef PMTA_ACCT_TIME_H
#define PMTA_ACCT_TIME_H

#include <stddef.h>
#include <stdint.h>

/*
 * "YYYY-MM-DD HH:MM:SS+hhmm" (any offset; also "-hhmm", "+hh:mm", "Z", a 'T'
 * separator) or a Unix time (digits, an optional fraction). Writes UTC Unix
 * seconds; -1 on anything else.
 */
int acct_time_parse(const char *p, size_t len, int64_t *out);

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
int64_t acct_days_from_civil(int y, unsigned m, unsigned d);

#endif
