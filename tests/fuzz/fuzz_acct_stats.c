/*
 * libFuzzer target: parsed accounting records counted by the statistics.
 *
 * Input: the first LF-terminated line is the header (PowerMTA's d,b header
 * plus feedbackType when the mapper refuses it); every further line that
 * parses is counted by acct_stats_add() into tables of at most 8 rows, then
 * a view is taken and every string of it read. This is the path of the
 * f (feedback-loop) records: their feedbackType is lower-cased and cut into
 * the complaint table's key, their rcpt, vmta and jobId name rows. The
 * clock is fixed so that runs repeat. The statistics log through
 * log_emit(), which this file replaces: no net-snmp here.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acct_csv.h"
#include "acct_stats.h"
#include "log.h"

#define FUZZ_MAX_LINES 64
#define FUZZ_NOW 1705313250	/* 2024-01-15 10:07:30 UTC, the f fixture's last record */

static const char default_header[] =
	"type,timeLogged,timeQueued,rcpt,bounceCat,dsnStatus,dsnDiag,vmta,jobId,queue,feedbackType";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

volatile unsigned fuzz_sink;

void
log_emit(int prio, int errnum, const char *fmt, ...)
{
	(void)prio;
	(void)errnum;
	(void)fmt;
}

static void
str_touch(const char *s)
{
	if (!s)
		abort();
	fuzz_sink += (unsigned)strlen(s);
}

static void
view_check(const struct acct_view *v)
{
	size_t i;

	for (i = 0; i < v->n_domains; i++)
		str_touch(v->domains[i].name);
	for (i = 0; i < v->n_vmtas; i++)
		str_touch(v->vmtas[i].name);
	for (i = 0; i < v->n_jobs; i++)
		str_touch(v->jobs[i].name);
	for (i = 0; i < v->n_complaints; i++) {
		size_t n = strlen(v->complaints[i].type);

		/* The key is 1..32 bytes of [a-z0-9_-]. */
		if (n == 0 || n > 32)
			abort();
		for (size_t k = 0; k < n; k++) {
			char c = v->complaints[i].type[k];

			if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
				abort();
		}
		if (v->complaints[i].win_count > v->complaints[i].count)
			abort();
	}
	if (v->all.win_complaints > v->all.complaints)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct acct_stats_config c = { .max_rows = 8 };
	const uint8_t *end = data + size;
	const uint8_t *nl = memchr(data, '\n', size);
	size_t hlen = nl ? (size_t)(nl - data) : size;
	char *hline = malloc(hlen ? hlen : 1);
	struct acct_header *h = NULL;
	struct acct_parser *p = acct_parser_new(0);
	struct acct_stats *s = acct_stats_new(&c);
	struct acct_view *v;
	const uint8_t *cur;
	int lines = 0;

	if (!hline || !p || !s)
		goto out;
	memcpy(hline, data, hlen);
	h = acct_header_parse(hline, hlen);
	if (!h)
		h = acct_header_parse(default_header, sizeof(default_header) - 1);
	if (!h)
		abort();
	acct_stats_set_now(s, FUZZ_NOW);
	cur = nl ? nl + 1 : end;
	while (cur < end && lines++ < FUZZ_MAX_LINES) {
		const uint8_t *e = memchr(cur, '\n', (size_t)(end - cur));
		size_t len = e ? (size_t)(e - cur) : (size_t)(end - cur);
		char *line = malloc(len ? len : 1);
		struct acct_record r;
		const char *why;

		if (!line)
			break;
		memcpy(line, cur, len);
		if (acct_parser_parse(p, h, line, len, &r, &why) == 0)
			acct_stats_add(s, &r);
		free(line);	/* the statistics must have copied what they keep */
		cur = e ? e + 1 : end;
	}
	v = acct_stats_view(s, FUZZ_NOW);
	if (v)
		view_check(v);
	acct_view_free(v);
out:
	free(hline);
	acct_header_free(h);
	acct_parser_free(p);
	acct_stats_free(s);
	return 0;
}
