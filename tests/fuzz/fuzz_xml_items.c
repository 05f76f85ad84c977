/*
 * libFuzzer target: pmta_xml_parse_items() for domains, vmtas and jobs.
 *
 * The first byte picks the element (its low two bits: domain, vmta, job,
 * and a name the parser has no special case for) and the row cap (its high
 * bits, 0..63); the rest is the page. Checks as for the queues target:
 * the cap holds, names are non-empty and NUL-terminated, a refusal leaves
 * the outputs untouched, and the array is freed so leaks are reported.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pmta_xml.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const elements[] = { "domain", "vmta", "job", "queue" };

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	pmta_xml_init();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pmta_item *it = (struct pmta_item *)&it;	/* sentinel: must stay */
	struct pmta_item *sentinel = it;
	size_t n = 777, max;
	int truncated = 7;
	char err[PMTA_XML_ERR_MAX] = "";
	const char *element;

	if (size < 1)
		return 0;
	element = elements[data[0] & 3];
	max = data[0] >> 2;
	if (pmta_xml_parse_items((const char *)data + 1, size - 1, element, max, &it, &n,
				 &truncated, err, sizeof(err)) < 0) {
		if (it != sentinel || n != 777 || truncated != 7 || !err[0] ||
		    !memchr(err, 0, sizeof(err)) || strchr(err, '\n'))
			abort();
		return 0;
	}
	if (n > max || (truncated != 0 && truncated != 1))
		abort();
	for (size_t i = 0; i < n; i++) {
		if (!memchr(it[i].name, 0, sizeof(it[i].name)) || !it[i].name[0])
			abort();
	}
	free(it);
	return 0;
}
