#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "base.h"

#define FNV_OFFSET 2166136261u
#define FNV_PRIME 16777619u

/* 'A'-'Z' to 'a'-'z', nothing else: no locale. */
static char
base_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + ('a' - 'A')) : c;
}

uint32_t
base_fnv1a(const char *p, size_t len)
{
	uint32_t h = FNV_OFFSET;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)p[i];
		h *= FNV_PRIME;
	}
	return h;
}

uint32_t
base_fnv1a_lower(const char *p, size_t len)
{
	uint32_t h = FNV_OFFSET;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)base_lower(p[i]);
		h *= FNV_PRIME;
	}
	return h;
}

size_t
base_lower_copy(char *dst, size_t room, const char *src, size_t len)
{
	size_t i;

	if (len > room)
		len = room;
	for (i = 0; i < len; i++)
		dst[i] = base_lower(src[i]);
	return len;
}

uint32_t
base_sat32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

uint64_t
base_add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

unsigned
base_days_in_month(int y, unsigned m)
{
	static const unsigned char mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	if (m < 1 || m > 12)
		return 0;
	return mdays[m - 1] + (m == 2 && leap);
}

/*
 * The days-from-civil algorithm (H. Hinnant): eras of 400 years starting on
 * March 1st, so that February's leap day falls at the end of a year. Pure
 * arithmetic: timegm() is not in C11 and mktime() depends on TZ.
 */
int64_t
base_days_from_civil(int y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

void *
base_grow(void *p, size_t *cap, size_t need, size_t esz, size_t first, size_t max)
{
	size_t n = *cap ? *cap : (first ? first : 1);
	void *q;

	if (need <= *cap)
		return p;
	if (need > max || esz == 0 || max > SIZE_MAX / esz)
		return NULL;
	while (n < need)
		n = n > max / 2 ? max : n * 2;
	if (n > max)
		n = max;
	q = realloc(p, n * esz);
	if (q)
		*cap = n;
	return q;
}

void
base_cond_init(pthread_cond_t *c)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(c, &ca);
	pthread_condattr_destroy(&ca);
}

void
base_deadline(struct timespec *ts, unsigned long ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}
