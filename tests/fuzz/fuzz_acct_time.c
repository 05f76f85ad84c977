/*
 * libFuzzer target: acct_time_parse() on the whole input.
 *
 * The input is copied into a buffer of exactly its length so that any read
 * past len is an AddressSanitizer report: the parser takes (pointer, length)
 * and must never look for a NUL. A success must give a time that a 64-bit
 * civil date can round-trip (no wrapped arithmetic, UBSan sees overflow).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acct_time.h"

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
	}
	free(p);
	return 0;
}
