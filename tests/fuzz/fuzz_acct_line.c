/*
 * libFuzzer target: accounting records parsed against a fuzzed header.
 *
 * Input: the first LF-terminated line is the header; every further line is
 * a record parsed against it, as the reader does for one file, by two
 * parsers: one with the default line cap and one with a small cap, so that
 * the too-long path is taken too. A header the mapper refuses falls back to
 * PowerMTA's default d,b header so that the record parser is still
 * exercised. Every line is copied to a buffer of its exact length (no NUL
 * after it), and every field the parser hands back is read byte by byte, so
 * a view pointing outside the line or the parser's scratch space is an
 * AddressSanitizer report. A refused line must leave the record alone.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acct_csv.h"

#define FUZZ_MAX_LINES 64	/* more lines add time, not coverage */
#define FUZZ_SMALL_CAP 80	/* shorter than most records of the seeds */

static const char default_header[] =
	"type,timeLogged,timeQueued,orig,rcpt,orcpt,dsnAction,dsnStatus,dsnDiag,dsnMta,"
	"bounceCat,srcType,srcMta,dlvType,dlvSourceIp,dlvDestinationIp,dlvEsmtpAvailable,"
	"dlvSize,vmta,jobId,envId,queue,vmtaPool";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Sum of every byte read from the fields: keeps the reads from being elided. */
volatile unsigned fuzz_sink;

/* Touches every byte of a field; the sum keeps the reads from being elided. */
static unsigned
field_touch(const struct acct_field *f)
{
	unsigned sum = 0;

	if (f->len > 0 && !f->p)
		abort();
	for (size_t i = 0; i < f->len; i++)
		sum += (unsigned char)f->p[i];
	return sum;
}

static void
record_check(const struct acct_record *r)
{
	/* The record promises a type, a valid timeLogged, and a timeQueued
	 * that is a valid time or 0. */
	if (r->type.len == 0 || r->time_logged < 0 || r->time_queued < 0)
		abort();
	fuzz_sink += field_touch(&r->type) + field_touch(&r->rcpt) + field_touch(&r->bounce_cat) +
	    field_touch(&r->dsn_status) + field_touch(&r->dsn_diag) + field_touch(&r->vmta) +
	    field_touch(&r->job_id) + field_touch(&r->queue) + field_touch(&r->feedback_type);
}

/* Parses one line; a refusal must say why and leave the record untouched. */
static void
line_parse(struct acct_parser *p, const struct acct_header *h, const char *line, size_t len)
{
	struct acct_record rec, before;
	const char *why = NULL;

	memset(&rec, 0xa5, sizeof(rec));
	before = rec;
	if (acct_parser_parse(p, h, line, len, &rec, &why) == 0) {
		record_check(&rec);
		return;
	}
	if (!why || !*why || memcmp(&rec, &before, sizeof(rec)) != 0)
		abort();
}

/* Copies data[0..len) to a fresh buffer of exactly len bytes (caller frees). */
static char *
dup_exact(const uint8_t *data, size_t len)
{
	char *p = malloc(len ? len : 1);

	if (p)
		memcpy(p, data, len);
	return p;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *end = data + size;
	const uint8_t *nl = memchr(data, '\n', size);
	size_t hlen = nl ? (size_t)(nl - data) : size;
	char *hline = dup_exact(data, hlen);
	struct acct_header *h;
	struct acct_parser *p, *small;
	const uint8_t *cur;
	int lines = 0;

	if (!hline)
		return 0;
	h = acct_header_parse(hline, hlen);
	free(hline);	/* the header must not keep pointers into its line */
	if (!h)
		h = acct_header_parse(default_header, sizeof(default_header) - 1);
	if (!h)
		abort();
	p = acct_parser_new(0);
	small = acct_parser_new(FUZZ_SMALL_CAP);
	if (!p || !small) {
		acct_parser_free(p);
		acct_parser_free(small);
		acct_header_free(h);
		return 0;
	}
	cur = nl ? nl + 1 : end;
	while (cur < end && lines++ < FUZZ_MAX_LINES) {
		const uint8_t *e = memchr(cur, '\n', (size_t)(end - cur));
		size_t len = e ? (size_t)(e - cur) : (size_t)(end - cur);
		char *line = dup_exact(cur, len);

		if (!line)
			break;
		line_parse(p, h, line, len);
		line_parse(small, h, line, len);
		free(line);
		cur = e ? e + 1 : end;
	}
	acct_parser_free(p);
	acct_parser_free(small);
	acct_header_free(h);
	return 0;
}
