#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acct_csv.h"
#include "acct_reader.h"
#include "log.h"

#define MALFORMED_LOG_INTERVAL 60	/* at most one line a minute per reader */

struct acct_reader {
	char *instance;
	struct acct_tail *tail;
	struct acct_parser *parser;
	struct acct_header *header;	/* of the file being read; NULL: none yet */
	size_t max_line;
	char too_long_why[48];	/* "line longer than 65536 bytes", as the parser says it */
	acct_record_cb cb;
	void *arg;
	uint64_t records, malformed;
	int64_t last_record;
	bool logged;		/* a malformed line was logged at last_log */
	int64_t last_log;
	uint64_t unlogged;	/* malformed lines not logged since then */
};

struct acct_reader *
acct_reader_new(const char *instance, const char *glob, const struct acct_tail_opts *o,
		acct_record_cb cb, void *arg)
{
	struct acct_reader *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->max_line = o && o->max_line ? o->max_line : ACCT_LINE_MAX;
	snprintf(r->too_long_why, sizeof(r->too_long_why), "line longer than %zu bytes",
	    r->max_line);
	r->instance = strdup(instance);
	r->tail = acct_tail_new(glob, o);
	r->parser = acct_parser_new(r->max_line);
	r->cb = cb;
	r->arg = arg;
	if (!r->instance || !r->tail || !r->parser) {
		acct_reader_free(r);
		return NULL;
	}
	return r;
}

void
acct_reader_free(struct acct_reader *r)
{
	if (!r)
		return;
	acct_tail_free(r->tail);
	acct_parser_free(r->parser);
	acct_header_free(r->header);
	free(r->instance);
	free(r);
}

/* Counts a malformed line; logs it unless a line was logged less than a minute ago. */
static void
malformed(struct acct_reader *r, const char *file, uint64_t lineno, const char *why)
{
	int64_t now = (int64_t)time(NULL);

	r->malformed++;
	if (r->logged && now - r->last_log < MALFORMED_LOG_INTERVAL) {
		r->unlogged++;
		return;
	}
	if (r->unlogged)
		log_warnx("instance %s: %s:%llu: malformed accounting line skipped (%s); "
		    "%llu more not logged since the last report", r->instance, file,
		    (unsigned long long)lineno, why, (unsigned long long)r->unlogged);
	else
		log_warnx("instance %s: %s:%llu: malformed accounting line skipped (%s)",
		    r->instance, file, (unsigned long long)lineno, why);
	r->logged = true;
	r->last_log = now;
	r->unlogged = 0;
}

/* Malformed lines held back at the last report, told once their minute is over. */
static void
malformed_summary(struct acct_reader *r)
{
	int64_t now;

	if (!r->unlogged)
		return;
	now = (int64_t)time(NULL);
	if (now - r->last_log < MALFORMED_LOG_INTERVAL)
		return;
	log_warnx("instance %s: %llu more malformed accounting lines skipped",
	    r->instance, (unsigned long long)r->unlogged);
	r->last_log = now;
	r->unlogged = 0;
}

static void
header_set(struct acct_reader *r, struct acct_header *h)
{
	acct_header_free(r->header);
	r->header = h;
}

static void
on_line(void *arg, const char *file, uint64_t lineno, const char *line, size_t len, int too_long)
{
	struct acct_reader *r = arg;
	struct acct_record rec;
	const char *why;

	/* Line 1 starts a file (or a truncated one again): its own header will come. */
	if (lineno == 1)
		header_set(r, NULL);
	if (too_long) {
		malformed(r, file, lineno, r->too_long_why);
		return;
	}
	if (len == 0)
		return;
	if (acct_line_is_header(line, len)) {
		struct acct_header *h = acct_header_parse(line, len);

		/* A broken header leaves the columns unknown: no mapping is better than a stale one. */
		header_set(r, h);
		if (!h)
			malformed(r, file, lineno, "header line without a timeLogged column");
		return;
	}
	if (!r->header) {
		malformed(r, file, lineno, "record before any header line");
		return;
	}
	if (acct_parser_parse(r->parser, r->header, line, len, &rec, &why) < 0) {
		malformed(r, file, lineno, why);
		return;
	}
	r->records++;
	r->cb(r->arg, &rec);
}

int
acct_reader_poll(struct acct_reader *r, size_t byte_budget)
{
	uint64_t before = r->records;
	int n = acct_tail_read(r->tail, byte_budget, on_line, r);

	if (r->records != before)
		r->last_record = (int64_t)time(NULL);
	malformed_summary(r);
	return n;
}

uint64_t
acct_reader_records(const struct acct_reader *r)
{
	return r->records;
}

uint64_t
acct_reader_malformed(const struct acct_reader *r)
{
	return r->malformed;
}

int64_t
acct_reader_last_record_time(const struct acct_reader *r)
{
	return r->last_record;
}
