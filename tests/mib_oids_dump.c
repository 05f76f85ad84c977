/*
 * Prints every name of agent/mib_oids.h with its OID, one per line, or with
 * the argument "enums" every enumerated value as "object label(value)", for
 * tests/mib-oids.sh to compare with the MIB.
 *
 * It also ties the enumerations the parsers publish unchanged (the HTTP
 * status, the queue mode) to the MIB's values at compile time: mib_agent.c
 * copies them into pmtaInstanceApiStatus and pmtaQueueMode as they are, so a
 * renumbering on either side must stop the build, not skew the published value.
 */
#include <stdio.h>
#include <string.h>

#include "mib_oids.h"
#include "pmta_http.h"
#include "pmta_model.h"

/* Two enum types compared: cast so -Wenum-compare sees plain ints. */
#define SAME_VALUE(a, b) _Static_assert((int)(a) == (int)(b), #a " differs from " #b)

SAME_VALUE(PMTA_API_OK, PMTA_API_STATUS_OK);
SAME_VALUE(PMTA_API_UNREACHABLE, PMTA_API_STATUS_UNREACHABLE);
SAME_VALUE(PMTA_API_HTTP_ERROR, PMTA_API_STATUS_HTTP_ERROR);
SAME_VALUE(PMTA_API_BAD_RESPONSE, PMTA_API_STATUS_BAD_RESPONSE);
SAME_VALUE(PMTA_API_UNAUTHORIZED, PMTA_API_STATUS_UNAUTHORIZED);
SAME_VALUE(PMTA_API_TIMEOUT, PMTA_API_STATUS_TIMEOUT);
SAME_VALUE(PMTA_API_NOT_CONFIGURED, PMTA_API_STATUS_NOT_CONFIGURED);
SAME_VALUE(PMTA_QUEUE_MODE_NORMAL, PMTA_QUEUE_MODE_NORMAL_V);
SAME_VALUE(PMTA_QUEUE_MODE_BACKOFF, PMTA_QUEUE_MODE_BACKOFF_V);
SAME_VALUE(PMTA_QUEUE_MODE_OTHER, PMTA_QUEUE_MODE_OTHER_V);

#define DUMP(name, ...) \
	do { \
		const unsigned long o[] = { __VA_ARGS__ }; \
		size_t i; \
		printf("%s ", name); \
		for (i = 0; i < sizeof(o) / sizeof(o[0]); i++) \
			printf(i ? ".%lu" : "%lu", o[i]); \
		printf("\n"); \
	} while (0);

#define DUMP_ENUM(object, label, value) printf("%s %s(%d)\n", object, label, (int)(value));

int
main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "enums") == 0) {
		PMTA_MIB_ENUMS(DUMP_ENUM)
	} else if (argc == 1) {
		PMTA_MIB_NAMES(DUMP)
	} else {
		fprintf(stderr, "usage: %s [enums]\n", argv[0]);
		return 2;
	}
	return 0;
}
