/*
 * Accounting CSV: a file's header line mapped to the columns the agent
 * uses, and one record line parsed against it (RFC 4180 quoting, one record
 * per line). Pure and allocation-free per line: the hot path of ingest.
 */
#ifndef PMTA_ACCT_CSV_H
#define PMTA_ACCT_CSV_H

#include <stddef.h>

#include "acct_record.h"

#define ACCT_LINE_MAX 65536	/* a longer line is malformed */

struct acct_header;
struct acct_parser;

/* True when the line is a header: its first field is "type". */
int acct_line_is_header(const char *line, size_t len);

/* NULL when the line is not a header or lacks type or timeLogged. */
struct acct_header *acct_header_parse(const char *line, size_t len);
void acct_header_free(struct acct_header *h);
size_t acct_header_columns(const struct acct_header *h);

struct acct_parser *acct_parser_new(void);
void acct_parser_free(struct acct_parser *p);

/*
 * Parses one line (no LF; a trailing CR is ignored) into rec, whose fields
 * point into line or into p's scratch space until the next call. Returns 0,
 * or -1 with a static reason in *why.
 */
int acct_parser_parse(struct acct_parser *p, const struct acct_header *h, const char *line,
		      size_t len, struct acct_record *rec, const char **why);

#endif
