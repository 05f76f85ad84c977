/*
 * Parsers of PowerMTA's HTTP monitor pages (?format=xml): bytes in, structs
 * out, no I/O. libxml2 runs without network access, entity substitution or
 * DTD loading, and a page carrying a DOCTYPE is refused: PowerMTA never
 * sends one, so one means something else is answering (and it is where
 * entity bombs and external entities live).
 *
 * Pages: the root must be <rsp> with the data under rsp/data. Elements are
 * matched by name, all optional, unknown ones ignored. Numbers are decimals
 * (a fraction is dropped, a negative gives 0, an overflow UINT64_MAX, an
 * empty element or garbage 0). Strings are trimmed, control characters
 * become spaces, and long ones are cut to the field on a UTF-8 boundary.
 * libxml2 prints nothing; the first error goes into err as one line.
 */
#ifndef PMTA_XML_H
#define PMTA_XML_H

#include <stddef.h>
#include <stdint.h>

#include "pmta_model.h"

#define PMTA_XML_ERR_MAX 128

/* Initialises libxml2. Call once, on the main thread, before any thread
 * parses; the parse functions are then safe to call from worker threads. */
void pmta_xml_init(void);

/*
 * GET /status. Returns 0 and fills *out, or -1 with a one-line reason in
 * err (at most errlen bytes, never the document itself), *out untouched.
 * A right root without status data is fine: all zero, have = 0.
 */
int pmta_xml_parse_status(const char *buf, size_t len, struct pmta_status *out,
			  char *err, size_t errlen);

/*
 * GET /queues: rsp/data/queue entries in page order, those without a name
 * skipped. *items is malloc'd (free() it, also when *n is 0), at most max
 * kept; *truncated (if not NULL) is 1 when named entries were left out.
 * mode: "normal" or absent -> NORMAL (the top-queues page leaves it out for
 * ordinary queues), "backoff" -> BACKOFF, anything else -> OTHER.
 * last_error is the text of the event with the newest time (ties: the
 * first in the page). Outputs are written only on success.
 */
int pmta_xml_parse_queues(const char *buf, size_t len, size_t max, struct pmta_queue **items,
			  size_t *n, int *truncated, char *err, size_t errlen);

/* element: "domain", "vmta" or "job": the entries rsp/data/<element>, named
 * by <name> (jobs: <name>, else <id>). Otherwise as pmta_xml_parse_queues. */
int pmta_xml_parse_items(const char *buf, size_t len, const char *element, size_t max,
			 struct pmta_item **items, size_t *n, int *truncated,
			 char *err, size_t errlen);

/* "YYYY-MM-DD HH:MM:SS" (PowerMTA's local time, no zone) read as if UTC;
 * -1 if malformed (strict: exactly that shape, a real date from 1970). Pure. */
int pmta_xml_parse_time(const char *s, int64_t *out);

#endif
