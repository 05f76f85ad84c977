/* Prints every name of agent/mib_oids.h with its OID, one per line, for tests/mib-oids.sh. */
#include <stdio.h>

#include "mib_oids.h"

#define DUMP(name, ...) \
	do { \
		const unsigned long o[] = { __VA_ARGS__ }; \
		size_t i; \
		printf("%s ", name); \
		for (i = 0; i < sizeof(o) / sizeof(o[0]); i++) \
			printf(i ? ".%lu" : "%lu", o[i]); \
		printf("\n"); \
	} while (0);

int
main(void)
{
	PMTA_MIB_NAMES(DUMP)
	return 0;
}
