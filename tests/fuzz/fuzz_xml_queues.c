/*
 * libFuzzer target: pmta_xml_parse_queues() on the input as a page.
 *
 * The first byte picks the row cap (0..15, so truncation is reached), the
 * rest is the page. A success must respect the cap, give NUL-terminated
 * strings and a known mode; the array is always freed (also when n is 0),
 * so LeakSanitizer sees any libxml2 document or node the parser keeps.
 * A refusal must leave every output untouched.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pmta_xml.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	pmta_xml_init();
	return 0;
}

static int
str_ok(const char *s, size_t cap)
{
	return memchr(s, 0, cap) != NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pmta_queue *q = (struct pmta_queue *)&q;	/* sentinel: must stay */
	struct pmta_queue *sentinel = q;
	size_t n = 777, max;
	int truncated = 7;
	char err[PMTA_XML_ERR_MAX] = "";

	if (size < 1)
		return 0;
	max = data[0] & 0x0f;
	if (pmta_xml_parse_queues((const char *)data + 1, size - 1, max, &q, &n, &truncated,
				  err, sizeof(err)) < 0) {
		if (q != sentinel || n != 777 || truncated != 7 || !err[0] ||
		    !str_ok(err, sizeof(err)) || strchr(err, '\n'))
			abort();
		return 0;
	}
	if (n > max || (truncated != 0 && truncated != 1))
		abort();
	for (size_t i = 0; i < n; i++) {
		if (!str_ok(q[i].name, sizeof(q[i].name)) || !q[i].name[0] ||
		    !str_ok(q[i].domain, sizeof(q[i].domain)) ||
		    !str_ok(q[i].vmta, sizeof(q[i].vmta)) ||
		    !str_ok(q[i].last_error, sizeof(q[i].last_error)))
			abort();
		if (q[i].mode != PMTA_QUEUE_MODE_NORMAL && q[i].mode != PMTA_QUEUE_MODE_BACKOFF &&
		    q[i].mode != PMTA_QUEUE_MODE_OTHER)
			abort();
	}
	free(q);
	return 0;
}
