#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acct_csv.h"
#include "acct_time.h"

#define ACCT_HEADER_LINE_MAX (1u << 20)

/* The columns a record needs; NONE marks the columns nobody reads. */
enum field {
	F_TYPE, F_TIME_LOGGED, F_TIME_QUEUED, F_RCPT, F_BOUNCE_CAT, F_DSN_STATUS, F_DSN_DIAG,
	F_VMTA, F_JOB_ID, F_QUEUE, F_FEEDBACK_TYPE, F_ORIG, F_ENV_ID, F_N, F_NONE = F_N
};

static const struct {
	const char *name;
	size_t len;
} field_names[F_N] = {
#define NAME(s) { s, sizeof(s) - 1 }
	NAME("type"), NAME("timeLogged"), NAME("timeQueued"), NAME("rcpt"), NAME("bounceCat"),
	NAME("dsnStatus"), NAME("dsnDiag"), NAME("vmta"), NAME("jobId"), NAME("queue"),
	NAME("feedbackType"), NAME("orig"), NAME("envId"),
#undef NAME
};

struct acct_header {
	size_t ncols;
	unsigned char *col;	/* ncols entries: column -> enum field */
};

/* The last time string parsed and its value: records come in runs of the same second. */
struct time_memo {
	char text[32];
	size_t len;		/* 0: empty */
	int64_t value;
	int32_t tod;		/* value's hh:mm:ss in seconds, when text is a civil time */
};

struct acct_parser {
	size_t max_line;
	struct time_memo logged, queued;
	char why[96];		/* reasons that carry numbers */
	char *scratch;		/* max_line bytes: unquoted fields that held doubled quotes */
};

/* One field as it stands in the line. */
struct raw_field {
	const char *p;		/* the value, without the enclosing quotes */
	size_t len;
	bool doubled;		/* quoted and holding "" pairs: needs unquoting */
	const char *next;	/* the comma after it, or the end of the line */
};

static size_t
strip_cr(const char *line, size_t len)
{
	return len && line[len - 1] == '\r' ? len - 1 : len;
}

/*
 * The first comma in [s, end), or end. Fields are short (15 bytes on
 * average), so memchr's call overhead dominates; eight bytes at a time with
 * the classic has-zero-byte test is about twice as fast here.
 */
static inline const char *
comma_find(const char *s, const char *end)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	const uint64_t commas = ones * ',';

	while (end - s >= 8) {
		uint64_t w;

		memcpy(&w, s, 8);
		w ^= commas;
		w = (w - ones) & ~w & highs;
		if (w)
			return s + (__builtin_ctzll(w) >> 3);
		s += 8;
	}
#endif
	while (s < end && *s != ',')
		s++;
	return s;
}

/*
 * The field starting at s (s <= end). A quoted field runs to the quote not
 * followed by another; "" inside stands for one quote. -1 with *why when the
 * quote is never closed or text follows the closing quote before the comma.
 */
static inline int
field_scan(const char *s, const char *end, struct raw_field *f, const char **why)
{
	const char *q;

	if (s == end || *s != '"') {
		f->p = s;
		f->next = comma_find(s, end);
		f->len = (size_t)(f->next - s);
		f->doubled = false;
		return 0;
	}
	f->doubled = false;
	for (q = s + 1;; q += 2) {
		q = memchr(q, '"', (size_t)(end - q));
		if (!q) {
			*why = "unterminated quote";
			return -1;
		}
		if (q + 1 == end || q[1] != '"')
			break;
		f->doubled = true;
	}
	if (q + 1 != end && q[1] != ',') {
		*why = "text after a closing quote";
		return -1;
	}
	f->p = s + 1;
	f->len = (size_t)(q - f->p);
	f->next = q + 1;
	return 0;
}

int
acct_line_is_header(const char *line, size_t len)
{
	len = strip_cr(line, len);
	return len >= 4 && memcmp(line, "type", 4) == 0 && (len == 4 || line[4] == ',');
}

static enum field
field_by_name(const char *p, size_t len)
{
	int f;

	for (f = 0; f < F_N; f++)
		if (field_names[f].len == len && memcmp(p, field_names[f].name, len) == 0)
			return (enum field)f;
	return F_NONE;
}

struct acct_header *
acct_header_parse(const char *line, size_t len)
{
	struct acct_header *h = NULL;
	const char *s, *end, *why;
	size_t ncols = 1, col;
	unsigned seen = 0;

	len = strip_cr(line, len);
	if (len > ACCT_HEADER_LINE_MAX || !acct_line_is_header(line, len))
		return NULL;
	end = line + len;
	/* Column count first, so the map is allocated once at its size. */
	for (s = line; s < end; ncols++) {
		struct raw_field f;

		if (field_scan(s, end, &f, &why) < 0)
			return NULL;
		if (f.next == end)
			break;
		s = f.next + 1;
	}
	h = calloc(1, sizeof(*h));
	if (!h || !(h->col = malloc(ncols)))
		goto fail;
	h->ncols = ncols;
	for (s = line, col = 0; col < ncols; col++) {
		struct raw_field f = { 0 };
		enum field id;

		(void)field_scan(s, end, &f, &why);	/* scanned above */
		id = f.doubled ? F_NONE : field_by_name(f.p, f.len);
		if (id != F_NONE && (seen & (1u << id)))
			id = F_NONE;	/* the first column of a name wins */
		if (id != F_NONE)
			seen |= 1u << id;
		h->col[col] = (unsigned char)id;
		s = f.next + (f.next < end);
	}
	if (!(seen & (1u << F_TYPE)) || !(seen & (1u << F_TIME_LOGGED)))
		goto fail;
	return h;
fail:
	acct_header_free(h);
	return NULL;
}

void
acct_header_free(struct acct_header *h)
{
	if (!h)
		return;
	free(h->col);
	free(h);
}

size_t
acct_header_columns(const struct acct_header *h)
{
	return h->ncols;
}

struct acct_parser *
acct_parser_new(size_t max_line)
{
	struct acct_parser *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->max_line = max_line ? max_line : ACCT_LINE_MAX;
	p->scratch = malloc(p->max_line);
	if (!p->scratch) {
		free(p);
		return NULL;
	}
	return p;
}

void
acct_parser_free(struct acct_parser *p)
{
	if (!p)
		return;
	free(p->scratch);
	free(p);
}

/* "hh:mm:ss" at p (positions 11..18 of a civil time) in seconds; -1 when it is not one. */
static int32_t
tod_parse(const char *p)
{
	int32_t v[3], i;

	for (i = 0; i < 3; i++) {
		unsigned a = (unsigned char)p[3 * i] - '0', b = (unsigned char)p[3 * i + 1] - '0';

		if (a > 9 || b > 9)
			return -1;
		v[i] = (int32_t)(a * 10 + b);
	}
	if (p[2] != ':' || p[5] != ':' || v[0] > 23 || v[1] > 59 || v[2] > 59)
		return -1;
	return v[0] * 3600 + v[1] * 60 + v[2];
}

/*
 * acct_time_parse() through a one-entry memo. A civil time of the same day and
 * offset as the memo's (all but hh:mm:ss equal) takes the memo's day and only
 * parses the time of day: timeQueued changes on nearly every record, but
 * rarely its day, and a full parse was most of the time spent on times.
 */
static int
time_parse_memo(struct time_memo *m, const char *p, size_t len, int64_t *out)
{
	if (m->len && m->len == len) {
		int32_t tod;

		if (memcmp(m->text, p, len) == 0) {
			*out = m->value;
			return 0;
		}
		if (m->tod >= 0 && memcmp(m->text, p, 11) == 0 &&
		    memcmp(m->text + 19, p + 19, len - 19) == 0 && (tod = tod_parse(p + 11)) >= 0 &&
		    m->value - m->tod + tod >= 0) {
			*out = m->value - m->tod + tod;
			memcpy(m->text + 11, p + 11, 8);
			m->value = *out;
			m->tod = tod;
			return 0;
		}
	}
	if (acct_time_parse(p, len, out) < 0)
		return -1;
	if (len <= sizeof(m->text)) {
		memcpy(m->text, p, len);
		m->len = len;
		m->value = *out;
		/* acct_time_parse() took it, so a civil time is at least 20 bytes long. */
		m->tod = len >= 20 && p[4] == '-' ? tod_parse(p + 11) : -1;
	}
	return 0;
}

/* Copies a quoted field's value with each "" made one quote; returns the new length. */
static size_t
unquote(char *dst, const char *v, size_t len)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		dst[o++] = v[i];
		if (v[i] == '"')
			i++;	/* its twin */
	}
	return o;
}

/*
 * One pass over the line: each field is found with comma_find(), and only the
 * columns the header marks are kept (and unquoted, into scratch, when they
 * hold doubled quotes). Nothing is allocated.
 */
int
acct_parser_parse(struct acct_parser *p, const struct acct_header *h, const char *line,
		  size_t len, struct acct_record *rec, const char **why)
{
	struct acct_field v[F_N];
	struct acct_record r;
	const char *s, *end;
	size_t col = 0, used = 0;
	int64_t tl;

	len = strip_cr(line, len);
	if (len > p->max_line) {
		snprintf(p->why, sizeof(p->why), "line longer than %zu bytes", p->max_line);
		*why = p->why;
		return -1;
	}
	memset(v, 0, sizeof(v));
	end = line + len;
	for (s = line;;) {
		struct raw_field f;
		unsigned id;

		if (field_scan(s, end, &f, why) < 0)
			return -1;
		id = col < h->ncols ? h->col[col] : F_NONE;
		col++;
		if (id != F_NONE) {
			if (f.doubled) {
				f.len = unquote(p->scratch + used, f.p, f.len);
				f.p = p->scratch + used;
				used += f.len;
			}
			v[id].p = f.p;
			v[id].len = f.len;
		}
		if (f.next == end)
			break;
		s = f.next + 1;
		if (s == end) {
			col++;	/* a trailing comma: one more, empty, field */
			break;
		}
	}
	if (col != h->ncols) {
		snprintf(p->why, sizeof(p->why), "field count %zu, header has %zu", col, h->ncols);
		*why = p->why;
		return -1;
	}
	if (v[F_TYPE].len == 0) {
		*why = "empty type";
		return -1;
	}
	if (time_parse_memo(&p->logged, v[F_TIME_LOGGED].p, v[F_TIME_LOGGED].len, &tl) < 0) {
		*why = "bad timeLogged";
		return -1;
	}
	r.type = v[F_TYPE];
	r.time_logged = tl;
	if (v[F_TIME_QUEUED].len == 0 ||
	    time_parse_memo(&p->queued, v[F_TIME_QUEUED].p, v[F_TIME_QUEUED].len,
	    &r.time_queued) < 0)
		r.time_queued = 0;
	r.rcpt = v[F_RCPT];
	r.bounce_cat = v[F_BOUNCE_CAT];
	r.dsn_status = v[F_DSN_STATUS];
	r.dsn_diag = v[F_DSN_DIAG];
	r.vmta = v[F_VMTA];
	r.job_id = v[F_JOB_ID];
	r.queue = v[F_QUEUE];
	r.feedback_type = v[F_FEEDBACK_TYPE];
	r.orig = v[F_ORIG];
	r.env_id = v[F_ENV_ID];
	*rec = r;
	return 0;
}
