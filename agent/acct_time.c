#include "config.h"

#include <stdbool.h>

#include "acct_time.h"

int64_t
acct_days_from_civil(int y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

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
unix_time(const char *p, size_t len, int64_t *out)
{
	int64_t v = 0;
	size_t i = 0;

	if (len == 0 || len > 20)
		return -1;
	for (; i < len && p[i] != '.'; i++) {
		if (p[i] < '0' || p[i] > '9' || v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	if (i == 0)
		return -1;
	if (i < len)
		for (i++; i < len; i++)
			if (p[i] < '0' || p[i] > '9')
				return -1;
	*out = v;
	return 0;
}

int
acct_time_parse(const char *p, size_t len, int64_t *out)
{
	static const unsigned char mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, mo, d, h, mi, s, off = 0;
	bool leap;

	if (len < 19 || p[4] != '-')
		return unix_time(p, len, out);
	y = digits(p, 4);
	mo = digits(p + 5, 2);
	d = digits(p + 8, 2);
	h = digits(p + 11, 2);
	mi = digits(p + 14, 2);
	s = digits(p + 17, 2);
	if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0 || p[7] != '-' ||
	    (p[10] != ' ' && p[10] != 'T') || p[13] != ':' || p[16] != ':')
		return -1;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap) || h > 23 ||
	    mi > 59 || s > 60)
		return -1;
	p += 19;
	len -= 19;
	if (len == 1 && *p == 'Z') {
		len = 0;
	} else if (len == 5 || (len == 6 && p[3] == ':')) {
		int oh = digits(p + 1, 2), om = digits(p + (len == 6 ? 4 : 3), 2);

		if ((*p != '+' && *p != '-') || oh < 0 || om < 0 || oh > 18 || om > 59)
			return -1;
		off = (oh * 60 + om) * 60 * (*p == '-' ? -1 : 1);
		len = 0;
	}
	if (len != 0)
		return -1;
	*out = acct_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + s - off;
	return 0;
}
