#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "acct_csv.h"
#include "acct_time.h"

#define ACCT_MAX_COLUMNS 512

/* The record fields, in the order of struct acct_record's views after time_queued. */
enum field {
	F_TYPE, F_TIME_LOGGED, F_TIME_QUEUED, F_RCPT, F_BOUNCE_CAT, F_DSN_STATUS, F_DSN_DIAG,
	F_VMTA, F_JOB_ID, F_QUEUE, F_N
};

static const char *const field_names[F_N] = {
	"type", "timeLogged", "timeQueued", "rcpt", "bounceCat", "dsnStatus", "dsnDiag",
	"vmta", "jobId", "queue",
};

struct acct_header {
	size_t ncols;
	signed char want[ACCT_MAX_COLUMNS];	/* column -> enum field, or -1 */
};

struct acct_parser {
	char scratch[ACCT_LINE_MAX];	/* unquoted fields that held doubled quotes */
};

static size_t
strip_cr(const char *line, size_t len)
{
	return len && line[len - 1] == '\r' ? len - 1 : len;
}

int
acct_line_is_header(const char *line, size_t len)
{
	len = strip_cr(line, len);
	return (len == 4 || (len > 4 && line[4] == ',')) && memcmp(line, "type", 4) == 0;
}

struct acct_header *
acct_header_parse(const char *line, size_t len)
{
	struct acct_header *h;
	size_t start = 0, i, col = 0;
	unsigned seen = 0;

	len = strip_cr(line, len);
	if (!acct_line_is_header(line, len))
		return NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	memset(h->want, -1, sizeof(h->want));
	for (i = 0; i <= len; i++) {
		int f;

		if (i < len && line[i] != ',')
			continue;
		if (col == ACCT_MAX_COLUMNS)
			goto bad;
		for (f = 0; f < F_N; f++) {
			size_t n = strlen(field_names[f]);

			/* The first column of that name wins. */
			if (n == i - start && memcmp(line + start, field_names[f], n) == 0 &&
			    !(seen & (1u << f))) {
				h->want[col] = (signed char)f;
				seen |= 1u << f;
			}
		}
		col++;
		start = i + 1;
	}
	if (!(seen & (1u << F_TYPE)) || !(seen & (1u << F_TIME_LOGGED)))
		goto bad;
	h->ncols = col;
	return h;
bad:
	free(h);
	return NULL;
}

void
acct_header_free(struct acct_header *h)
{
	free(h);
}

size_t
acct_header_columns(const struct acct_header *h)
{
	return h->ncols;
}

struct acct_parser *
acct_parser_new(void)
{
	return malloc(sizeof(struct acct_parser));
}

void
acct_parser_free(struct acct_parser *p)
{
	free(p);
}

static struct acct_field *
view_of(struct acct_record *r, int f)
{
	switch (f) {
	case F_TYPE: return &r->type;
	case F_RCPT: return &r->rcpt;
	case F_BOUNCE_CAT: return &r->bounce_cat;
	case F_DSN_STATUS: return &r->dsn_status;
	case F_DSN_DIAG: return &r->dsn_diag;
	case F_VMTA: return &r->vmta;
	case F_JOB_ID: return &r->job_id;
	case F_QUEUE: return &r->queue;
	default: return NULL;
	}
}

int
acct_parser_parse(struct acct_parser *p, const struct acct_header *h, const char *line,
		  size_t len, struct acct_record *rec, const char **why)
{
	struct acct_record r;
	struct acct_field tl = { 0 }, tq = { 0 };
	const char *end;
	size_t col = 0, used = 0;

	len = strip_cr(line, len);
	if (len > ACCT_LINE_MAX) {
		*why = "line longer than 65536 bytes";
		return -1;
	}
	memset(&r, 0, sizeof(r));
	end = line + len;
	for (const char *s = line;; col++) {
		const char *v, *next;
		size_t vlen;
		int f = col < ACCT_MAX_COLUMNS ? h->want[col] : -1;

		if (s < end && *s == '"') {
			/* Quoted: up to the closing quote; "" stands for one quote. */
			const char *q = s + 1;
			bool doubled = false;

			for (;;) {
				q = memchr(q, '"', (size_t)(end - q));
				if (!q) {
					*why = "unterminated quote";
					return -1;
				}
				if (q + 1 < end && q[1] == '"') {
					doubled = true;
					q += 2;
					continue;
				}
				break;
			}
			v = s + 1;
			vlen = (size_t)(q - v);
			next = q + 1;
			if (next < end && *next != ',') {
				*why = "text after a closing quote";
				return -1;
			}
			if (doubled && f >= 0) {
				char *o = p->scratch + used;
				size_t i;

				for (i = 0; i < vlen; i++) {
					*o++ = v[i];
					if (v[i] == '"')
						i++;
				}
				v = p->scratch + used;
				vlen = (size_t)(o - v);
				used += vlen;
			}
		} else {
			next = memchr(s, ',', (size_t)(end - s));
			if (!next)
				next = end;
			v = s;
			vlen = (size_t)(next - s);
		}
		if (f >= 0) {
			struct acct_field *fv = view_of(&r, f);

			if (fv) {
				fv->p = v;
				fv->len = vlen;
			} else if (f == F_TIME_LOGGED) {
				tl.p = v;
				tl.len = vlen;
			} else {
				tq.p = v;
				tq.len = vlen;
			}
		}
		if (next >= end)
			break;
		s = next + 1;
		if (s == end) {
			col++;	/* a trailing comma: one more, empty, field */
			break;
		}
	}
	if (col + 1 != h->ncols) {
		*why = "field count differs from the header's";
		return -1;
	}
	if (r.type.len == 0) {
		*why = "empty type";
		return -1;
	}
	if (acct_time_parse(tl.p, tl.len, &r.time_logged) < 0) {
		*why = "bad timeLogged";
		return -1;
	}
	if (tq.len == 0 || acct_time_parse(tq.p, tq.len, &r.time_queued) < 0)
		r.time_queued = 0;
	*rec = r;
	return 0;
}
