/*
 * libFuzzer target: acct_time_parse() on the whole input.
 *
 * The input is copied into a buffer of exactly its length so that any read
 * past len is an AddressSanitizer report: the parser takes (pointer, length)
 * and must never look for a NUL. A success must give a time inside the
 * range the forms allow (a civil date from 1970 to 9999 with an offset of
 * at most 18 hours, or a Unix time of at most 12 digits); overflowing
 * arithmetic on the way is a UBSan report.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acct_time.h"

/* The larger bound: a 12-digit Unix time (9999-12-31 23:59:59-1800 is less). */
#define TIME_MAX 999999999999LL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *p = malloc(size ? size : 1);
	int64_t t = 12345;

	if (!p)
		return 0;
	memcpy(p, data, size);
	if (acct_time_parse(p, size, &t) < 0) {
		/* Out-parameters are written only on success. */
		if (t != 12345)
			abort();
	} else if (t < 0 || t > TIME_MAX) {
		abort();
	}
	free(p);
	return 0;
}
