/*
 * Accounting CSV: a file's header line mapped to the columns the agent
 * uses, and one record line parsed against it (RFC 4180 quoting, one record
 * per line). Pure, no I/O, and allocation-free per line: this is the hot
 * path of ingest (over a million records a second on one core).
 */
#ifndef PMTA_ACCT_CSV_H
#define PMTA_ACCT_CSV_H

#include <stddef.h>

#include "acct_record.h"

#define ACCT_LINE_MAX 65536	/* the default cap: a longer line is malformed */

struct acct_header;
struct acct_parser;

/*
 * True when the line (no LF, a trailing CR ignored) looks like a header:
 * its first field is exactly "type". Cheap, for testing every line.
 */
int acct_line_is_header(const char *line, size_t len);

/*
 * Maps a header line's columns by name: type, timeLogged, timeQueued, rcpt,
 * bounceCat, dsnStatus, dsnDiag, vmta, jobId, queue (the first column of a
 * name wins; the others are counted, not used). NULL when the line is not
 * a header (first field "type" and a "timeLogged" column), is longer than
 * 1 MiB, or memory runs out. The header keeps no pointer into the line.
 */
struct acct_header *acct_header_parse(const char *line, size_t len);
void acct_header_free(struct acct_header *h);

/* How many columns the header has (so how many fields each record must have). */
size_t acct_header_columns(const struct acct_header *h);

/* A parser for lines of at most max_line bytes (0: ACCT_LINE_MAX). NULL on no memory. */
struct acct_parser *acct_parser_new(size_t max_line);
void acct_parser_free(struct acct_parser *p);

/*
 * Parses one line (no LF; a trailing CR is ignored) against h. On success
 * fills *rec, whose fields point into line or into p's scratch space (for
 * quoted fields holding doubled quotes) and stay valid until the next call
 * on p or until line goes away; returns 0. A line that is malformed (longer
 * than max_line, an unterminated quote, text after a closing quote, a field
 * count other than the header's, an empty type, a bad timeLogged) returns
 * -1 with *why set to a reason that stays valid until the next call on p;
 * *rec is then left alone. An unparsable or empty timeQueued gives 0.
 */
int acct_parser_parse(struct acct_parser *p, const struct acct_header *h, const char *line,
		      size_t len, struct acct_record *rec, const char **why);

#endif
