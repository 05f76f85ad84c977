/*
 * Times of accounting records, by arithmetic alone: strptime()/mktime() are
 * slow and depend on the locale and on TZ, and a record carries its own
 * offset anyway.
 */
#ifndef PMTA_ACCT_TIME_H
#define PMTA_ACCT_TIME_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parses exactly len bytes at p (no NUL needed) as one of:
 *   "YYYY-MM-DD HH:MM:SS+hhmm"  any offset up to 18 hours; also "-hhmm",
 *                               "+hh:mm", "Z", and 'T' instead of the blank
 *   "1700000000" / "1700000000.25"  a Unix time, digits and an optional
 *                               fraction (dropped)
 * Dates are checked strictly (month 1-12, the day within its month with
 * leap years, hour < 24, minute and second < 60, year 1970-9999) and the
 * result must not lie before 1970. Writes UTC Unix seconds to *out and
 * returns 0; returns -1 (leaving *out alone) on anything else.
 */
int acct_time_parse(const char *p, size_t len, int64_t *out);

#endif
