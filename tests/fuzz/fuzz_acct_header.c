/*
 * libFuzzer target: the accounting CSV header mapper alone.
 *
 * The whole input is one header line (PowerMTA's own lines have no LF; the
 * mapper must cope with anything, including NUL bytes and quotes). The two
 * entry points must agree: a line acct_header_parse() accepts is a header.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acct_csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size ? size : 1);
	struct acct_header *h;
	int is_header;

	if (!line)
		return 0;
	memcpy(line, data, size);
	is_header = acct_line_is_header(line, size);
	h = acct_header_parse(line, size);
	if (h) {
		if (!is_header || acct_header_columns(h) < 2)
			abort();
	}
	acct_header_free(h);
	free(line);
	return 0;
}
