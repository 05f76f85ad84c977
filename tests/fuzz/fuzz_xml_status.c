/*
 * libFuzzer target: pmta_xml_parse_status() on the whole input as a page.
 *
 * A refusal must leave the output untouched and give a NUL-terminated
 * one-line reason within the error buffer; a success must give
 * NUL-terminated strings. libxml2 is initialised once, as the agent does.
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

static void
err_check(const char *err, size_t errlen)
{
	size_t n = strnlen(err, errlen);

	if (n == 0 || n == errlen || strchr(err, '\n'))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pmta_status st, before;
	char err[PMTA_XML_ERR_MAX];

	memset(&st, 0xa5, sizeof(st));
	before = st;
	memset(err, 0, sizeof(err));
	if (pmta_xml_parse_status((const char *)data, size, &st, err, sizeof(err)) < 0) {
		if (memcmp(&st, &before, sizeof(st)) != 0)
			abort();
		err_check(err, sizeof(err));
		return 0;
	}
	if (!memchr(st.version, 0, sizeof(st.version)) ||
	    !memchr(st.host_name, 0, sizeof(st.host_name)) ||
	    !memchr(st.state, 0, sizeof(st.state)))
		abort();
	return 0;
}
