#include "config.h"

#include <stdbool.h>

#include "acct_time.h"
#include "base.h"

#define UNIX_INT_DIGITS_MAX 12	/* up to year 33658: more is not a timestamp */
#define UNIX_FRAC_DIGITS_MAX 9	/* nanoseconds */
#define OFFSET_HOURS_MAX 18

/* n digits at p as a number; -1 if any is not a digit. */
static int
digits(const char *p, int n)
{
	int v = 0;

	while (n--) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p++ - '0');
	}
	return v;
}

static int
unix_time_parse(const char *p, size_t len, int64_t *out)
{
	int64_t v = 0;
	size_t i, frac;

	/* Stops one digit past the cap: more digits would overflow v. */
	for (i = 0; i < len && i <= UNIX_INT_DIGITS_MAX && p[i] >= '0' && p[i] <= '9'; i++)
		v = v * 10 + (p[i] - '0');
	if (i == 0 || i > UNIX_INT_DIGITS_MAX)
		return -1;
	if (i < len) {
		if (p[i] != '.')
			return -1;
		/* A dot must be followed by digits, and only by digits. */
		for (frac = ++i; i < len; i++)
			if (p[i] < '0' || p[i] > '9')
				return -1;
		if (i == frac || i - frac > UNIX_FRAC_DIGITS_MAX)
			return -1;
	}
	*out = v;
	return 0;
}

/* "+hhmm", "-hhmm", "+hh:mm", "Z" to seconds east of UTC; -1 on anything else. */
static int
offset_parse(const char *p, size_t len, int *east)
{
	int oh, om;

	if (len == 1 && *p == 'Z') {
		*east = 0;
		return 0;
	}
	if ((len != 5 && !(len == 6 && p[3] == ':')) || (*p != '+' && *p != '-'))
		return -1;
	oh = digits(p + 1, 2);
	om = digits(p + len - 2, 2);
	if (oh < 0 || om < 0 || oh > OFFSET_HOURS_MAX || om > 59)
		return -1;
	*east = (oh * 60 + om) * 60 * (*p == '-' ? -1 : 1);
	return 0;
}

int
acct_time_parse(const char *p, size_t len, int64_t *out)
{
	int y, mo, d, h, mi, s, east;
	int64_t t;

	if (!p)
		return -1;
	/* A civil time has its dash after four digits; a Unix time never does. */
	if (len < 5 || p[4] != '-')
		return unix_time_parse(p, len, out);
	if (len < 20)
		return -1;
	y = digits(p, 4);
	mo = digits(p + 5, 2);
	d = digits(p + 8, 2);
	h = digits(p + 11, 2);
	mi = digits(p + 14, 2);
	s = digits(p + 17, 2);
	if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0 || p[7] != '-' ||
	    (p[10] != ' ' && p[10] != 'T') || p[13] != ':' || p[16] != ':')
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59)
		return -1;
	if ((unsigned)d > base_days_in_month(y, (unsigned)mo))
		return -1;
	if (offset_parse(p + 19, len - 19, &east) < 0)
		return -1;
	t = base_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + s -
	    east;
	if (t < 0)
		return -1;	/* 1970-01-01 00:30+0100: before the epoch */
	*out = t;
	return 0;
}
