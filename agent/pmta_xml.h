/*
 * Parsers of PowerMTA's HTTP monitor pages (?format=xml): bytes in, structs
 * out, no I/O. libxml2 runs without network access, entity substitution or
 * DTD loading, and a page carrying a DOCTYPE is refused: PowerMTA never
 * sends one, so one means something else is answering.
 */
#ifndef PMTA_XML_H
#define PMTA_XML_H

#include <stddef.h>
#include <stdint.h>

#include "pmta_model.h"

#define PMTA_XML_ERR_MAX 128

/* Once, on the main thread, before any worker parses. */
void pmta_xml_init(void);

/* Each returns 0 and fills its outputs, or -1 with a one-line reason in err
 * (never the document itself). */
int pmta_xml_parse_status(const char *buf, size_t len, struct pmta_status *out,
			  char *err, size_t errlen);

/* *items is malloc'd (free() it), at most max kept; *truncated (if not NULL)
 * tells whether entries were left out. */
int pmta_xml_parse_queues(const char *buf, size_t len, size_t max, struct pmta_queue **items,
			  size_t *n, int *truncated, char *err, size_t errlen);

/* element: "domain", "vmta" or "job": the entries rsp/data/<element>. */
int pmta_xml_parse_items(const char *buf, size_t len, const char *element, size_t max,
			 struct pmta_item **items, size_t *n, int *truncated,
			 char *err, size_t errlen);

/* "YYYY-MM-DD HH:MM:SS" (PowerMTA's local time, no zone) read as if UTC; -1 if malformed. */
int pmta_xml_parse_time(const char *s, int64_t *out);

#endif
