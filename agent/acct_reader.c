#include "config.h"

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
	struct acct_header *header;
	char *header_file;	/* the file whose header is in force */
	acct_record_fn cb;
	void *arg;
	uint64_t records, malformed;
	int64_t last_record;
	int64_t last_log;
	uint64_t unlogged;	/* malformed lines not logged since the last log line */
};

int64_t
acct_reader_clock(void)
{
	return (int64_t)time(NULL);
}

struct acct_reader *
acct_reader_new(const char *instance, const char *glob, const struct acct_tail_opts *o,
		acct_record_fn cb, void *arg)
{
	struct acct_reader *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->instance = strdup(instance);
	r->tail = acct_tail_new(glob, o);
	r->parser = acct_parser_new();
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
	free(r->header_file);
	free(r->instance);
	free(r);
}

static void
malformed(struct acct_reader *r, const char *file, uint64_t lineno, const char *why)
{
	int64_t now = acct_reader_clock();

	r->malformed++;
	if (r->last_log && now - r->last_log < MALFORMED_LOG_INTERVAL) {
		r->unlogged++;
		return;
	}
	if (r->unlogged)
		log_msg(LOG_WARNING, "instance %s: %s:%llu: malformed accounting line skipped (%s); "
		    "%llu more since the last report", r->instance, file, (unsigned long long)lineno,
		    why, (unsigned long long)r->unlogged);
	else
		log_msg(LOG_WARNING, "instance %s: %s:%llu: malformed accounting line skipped (%s)",
		    r->instance, file, (unsigned long long)lineno, why);
	r->last_log = now;
	r->unlogged = 0;
}

static void
on_line(void *arg, const char *file, uint64_t lineno, const char *line, size_t len, int too_long)
{
	struct acct_reader *r = arg;
	struct acct_record rec;
	const char *why;

	/* A new file brings its own header: the old mapping does not apply to it. */
	if (!r->header_file || strcmp(r->header_file, file) != 0 || lineno == 1) {
		char *f = strdup(file);

		if (f) {
			free(r->header_file);
			r->header_file = f;
		}
		acct_header_free(r->header);
		r->header = NULL;
	}
	if (too_long) {
		malformed(r, file, lineno, "line longer than 65536 bytes");
		return;
	}
	if (len == 0)
		return;		/* blank lines carry nothing */
	if (acct_line_is_header(line, len)) {
		struct acct_header *h = acct_header_parse(line, len);

		if (!h) {
			malformed(r, file, lineno, "header without type or timeLogged");
			return;
		}
		acct_header_free(r->header);
		r->header = h;
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
	r->last_record = acct_reader_clock();
	r->cb(r->arg, &rec);
}

long
acct_reader_poll(struct acct_reader *r, size_t budget)
{
	return acct_tail_read(r->tail, budget, on_line, r);
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
