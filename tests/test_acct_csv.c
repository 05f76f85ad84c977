/* cmocka tests of the accounting CSV header mapping and line parser (agent/acct_csv.c). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "acct_csv.h"
#include "acct_time.h"

#define DEFAULT_HEADER "type,timeLogged,timeQueued,orig,rcpt,orcpt,dsnAction,dsnStatus," \
	"dsnDiag,dsnMta,bounceCat,srcType,srcMta,dlvType,dlvSourceIp,dlvDestinationIp," \
	"dlvEsmtpAvailable,dlvSize,vmta,jobId,envId,queue,vmtaPool"

/* Compares a field view with a C string. */
#define assert_field(f, s) do {						\
		const struct acct_field f_ = (f);			\
		const char *s_ = (s);					\
		if (f_.len != strlen(s_) || (f_.len && memcmp(f_.p, s_, f_.len) != 0)) \
			fail_msg("field \"%.*s\", want \"%s\"", (int)f_.len, \
			    f_.p ? f_.p : "", s_);			\
	} while (0)

struct ctx {
	struct acct_header *h;
	struct acct_parser *p;
	struct acct_record rec;
	const char *why;
};

static struct acct_header *
header(const char *s)
{
	struct acct_header *h = acct_header_parse(s, strlen(s));

	assert_non_null(h);
	return h;
}

/* Parses line under hdr into c (header and parser kept for the caller to free). */
static int
parse(struct ctx *c, const char *hdr, const char *line)
{
	memset(c, 0, sizeof(*c));
	c->h = header(hdr);
	c->p = acct_parser_new(0);
	assert_non_null(c->p);
	return acct_parser_parse(c->p, c->h, line, strlen(line), &c->rec, &c->why);
}

static void
ctx_free(struct ctx *c)
{
	acct_parser_free(c->p);
	acct_header_free(c->h);
}

/* A fixture file's lines, LF removed (CR kept: the parser must strip it). */
struct lines {
	char *text;
	char *line[8];
	size_t len[8];
	size_t n;
};

static void
fixture_load(struct lines *l, const char *name)
{
	char path[512];
	FILE *f;
	long size;
	char *s, *nl;

	snprintf(path, sizeof(path), "%s/tests/fixtures/acct/%s", SRCDIR, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	rewind(f);
	l->text = malloc((size_t)size + 1);
	assert_non_null(l->text);
	assert_int_equal(fread(l->text, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	l->text[size] = '\0';
	l->n = 0;
	for (s = l->text; *s && l->n < 8; s = nl + 1) {
		nl = strchr(s, '\n');
		assert_non_null(nl);	/* every fixture line ends in LF */
		l->line[l->n] = s;
		l->len[l->n++] = (size_t)(nl - s);
	}
}

static void
acct_csv_real_b_record_with_header_columns_parses(void **state)
{
	struct lines l;
	struct acct_header *h;
	struct acct_parser *p = acct_parser_new(0);
	struct acct_record r;
	const char *why = NULL;

	(void)state;
	fixture_load(&l, "b-4.5-real.csv");
	assert_int_equal(l.n, 2);
	h = acct_header_parse(l.line[0], l.len[0]);
	assert_non_null(h);
	assert_int_equal(acct_header_columns(h), 26);
	assert_int_equal(acct_parser_parse(p, h, l.line[1], l.len[1], &r, &why), 0);
	assert_field(r.type, "b");
	assert_int_equal(r.time_logged, 1493932041);	/* 2017-05-04 18:07:21-0300 */
	assert_int_equal(r.time_queued, 1493932037);
	assert_field(r.rcpt, "3amygos@terra.com.br");
	assert_field(r.bounce_cat, "policy-related");
	assert_field(r.dsn_status, "5.1.1 (bad destination mailbox address)");
	assert_field(r.dsn_diag, "smtp;550 5.1.1 5.1.1 <3amygos@terra.com.br>: Recipient address rejected");
	assert_field(r.vmta, "pmta-vmta6");
	assert_field(r.job_id, "");
	assert_field(r.queue, "terra.com.br/pmta-vmta6");
	acct_parser_free(p);
	acct_header_free(h);
	free(l.text);
}

/* What the guide's sample lines must give, each under a header of its own columns. */
struct guide_case {
	const char *file;
	size_t columns;
	const char *type, *rcpt, *bounce_cat, *dsn_status, *vmta, *job_id, *queue;
	int64_t logged, queued;
};

static const struct guide_case guide_cases[] = {
	{ "guide-d-b.csv", 22, "d", "D@1181.com", "", "2.0.0 (success)", "vmta48",
	  "JoBID29546016861868", "1181.com/vmta48", 1549662845, 1549662845 },
	{ "guide-t.csv", 23, "t", "DA@yahoo.fr", "policy-related",
	  "4.7.0 (other or undefined security status)", "vmta21", "", "yahoo.rollup/vmta21",
	  1549662834, 1549662834 },
	{ "guide-tq.csv", 10, "tq", "", "", "4.4.1 (no answer from host)", "vmta29", "",
	  "b\xc3\xbc" "cher.de/vmta29", 1549662819, 0 },
	{ "guide-r.csv", 12, "r", "test@port25.com", "", "", "vmta1", "job2", "",
	  1271535597, 0 },
	{ "guide-f.csv", 9, "f", "", "", "", "", "", "", 1271086837, 0 },
};

static void
acct_csv_guide_sample_lines_parse_under_their_headers(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(guide_cases) / sizeof(guide_cases[0]); i++) {
		const struct guide_case *g = &guide_cases[i];
		struct acct_parser *p = acct_parser_new(0);
		struct acct_header *h;
		struct acct_record r;
		const char *why = NULL;
		struct lines l;

		fixture_load(&l, g->file);
		assert_true(l.n >= 2);
		assert_true(acct_line_is_header(l.line[0], l.len[0]));
		h = acct_header_parse(l.line[0], l.len[0]);
		assert_non_null(h);
		assert_int_equal(acct_header_columns(h), g->columns);
		if (acct_parser_parse(p, h, l.line[1], l.len[1], &r, &why) != 0)
			fail_msg("%s: %s", g->file, why);
		assert_field(r.type, g->type);
		assert_field(r.rcpt, g->rcpt);
		assert_field(r.bounce_cat, g->bounce_cat);
		assert_field(r.dsn_status, g->dsn_status);
		assert_field(r.vmta, g->vmta);
		assert_field(r.job_id, g->job_id);
		assert_field(r.queue, g->queue);
		assert_int_equal(r.time_logged, g->logged);
		assert_int_equal(r.time_queued, g->queued);
		acct_parser_free(p);
		acct_header_free(h);
		free(l.text);
	}
}

static void
acct_csv_guide_b_line_keeps_spam_category(void **state)
{
	struct acct_parser *p = acct_parser_new(0);
	struct acct_header *h;
	struct acct_record r;
	const char *why = NULL;
	struct lines l;

	(void)state;
	fixture_load(&l, "guide-d-b.csv");
	assert_int_equal(l.n, 3);
	h = acct_header_parse(l.line[0], l.len[0]);
	assert_int_equal(acct_parser_parse(p, h, l.line[2], l.len[2], &r, &why), 0);
	assert_field(r.type, "b");
	assert_field(r.bounce_cat, "spam-related");
	assert_field(r.dsn_diag, "smtp;554 5.7.1 Denied - Spam Suspected - "
	    "http://www.w357sfhsjhf873.net/services/spamwatch/blocked.php");
	assert_field(r.queue, "yahoo.rollup/vmta18");
	assert_field(r.job_id, "");
	acct_parser_free(p);
	acct_header_free(h);
	free(l.text);
}

/*
 * f records map by the header like every other type: feedbackType, rcpt,
 * jobId and vmta where the record has them, empty where it has not (the
 * guide's AOL line), a quoted userAgent with a comma kept whole.
 */
static void
acct_csv_f_records_give_feedback_type_rcpt_job_vmta(void **state)
{
	static const struct {
		const char *fb, *rcpt, *job, *vmta;
		int64_t logged;
	} want[] = {
		{ "abuse", "jane.doe@yahoo.com", "spring-sale-0115", "vmta18", 1705312931 },
		{ "", "", "", "", 1705313092 },
		{ "Not-Spam", "john@outlook.com", "", "vmta21", 1705313250 },
	};
	struct acct_parser *p = acct_parser_new(0);
	struct acct_header *h;
	struct lines l;
	size_t i;

	(void)state;
	fixture_load(&l, "f-arf.csv");
	assert_int_equal(l.n, 4);
	h = acct_header_parse(l.line[0], l.len[0]);
	assert_non_null(h);
	assert_int_equal(acct_header_columns(h), 12);
	for (i = 0; i < 3; i++) {
		struct acct_record r;
		const char *why = NULL;

		if (acct_parser_parse(p, h, l.line[i + 1], l.len[i + 1], &r, &why) != 0)
			fail_msg("line %zu: %s", i + 2, why);
		assert_field(r.type, "f");
		assert_field(r.feedback_type, want[i].fb);
		assert_field(r.rcpt, want[i].rcpt);
		assert_field(r.job_id, want[i].job);
		assert_field(r.vmta, want[i].vmta);
		assert_field(r.dsn_status, "");
		assert_int_equal(r.time_logged, want[i].logged);
	}
	acct_parser_free(p);
	acct_header_free(h);
	free(l.text);
}

static void
acct_csv_quoted_comma_keeps_field(void **state)
{
	struct ctx c;

	(void)state;
	assert_int_equal(parse(&c, "type,timeLogged,dsnDiag,vmta",
	    "b,1549662845,\"smtp;550 no, really, no\",vmta1"), 0);
	assert_field(c.rec.dsn_diag, "smtp;550 no, really, no");
	assert_field(c.rec.vmta, "vmta1");
	ctx_free(&c);
}

static void
acct_csv_doubled_quotes_become_one(void **state)
{
	const char *line = "b,1549662845,\"say \"\"no\"\", twice\",\"\"\"\",\"plain\"";
	struct ctx c;

	(void)state;
	assert_int_equal(parse(&c, "type,timeLogged,dsnDiag,bounceCat,vmta", line), 0);
	assert_field(c.rec.dsn_diag, "say \"no\", twice");
	assert_field(c.rec.bounce_cat, "\"");
	/* Without doubled quotes the view stays in the line: no copy. */
	assert_field(c.rec.vmta, "plain");
	assert_ptr_equal(c.rec.vmta.p, strstr(line, "plain"));
	ctx_free(&c);
}

static void
acct_csv_unneeded_quoted_columns_only_counted(void **state)
{
	struct ctx c;

	(void)state;
	assert_int_equal(parse(&c, "type,timeLogged,orig,header_From,vmta",
	    "d,1549662845,\"a,b\",\"\"\"Admin\"\" <a@b>\",v"), 0);
	assert_field(c.rec.vmta, "v");
	ctx_free(&c);
}

static void
acct_csv_quoted_empty_and_quoted_time_accepted(void **state)
{
	struct ctx c;

	(void)state;
	assert_int_equal(parse(&c, "type,timeLogged,jobId,rcpt",
	    "\"d\",\"2019-02-08 21:54:05+0000\",\"\",\"x@y\""), 0);
	assert_field(c.rec.type, "d");
	assert_int_equal(c.rec.time_logged, 1549662845);
	assert_field(c.rec.job_id, "");
	assert_field(c.rec.rcpt, "x@y");
	ctx_free(&c);
}

/* Lines that must be refused, with the reason given. */
struct bad_case {
	const char *header, *line, *why;
};

static const struct bad_case bad_cases[] = {
	{ "type,timeLogged,rcpt", "d,1549662845,\"a@b", "unterminated quote" },
	{ "type,timeLogged,rcpt", "d,1549662845,\"a@b\"\"", "unterminated quote" },
	{ "type,timeLogged,rcpt", "d,1549662845,\"", "unterminated quote" },
	{ "type,timeLogged,rcpt", "d,\"1549662845,a@b", "unterminated quote" },
	{ "type,timeLogged,rcpt", "d,1549662845,\"a@b\"x", "text after a closing quote" },
	{ "type,timeLogged,rcpt", "d,1549662845", "field count 2, header has 3" },
	{ "type,timeLogged,rcpt", "d,1549662845,a@b,", "field count 4, header has 3" },
	{ "type,timeLogged,rcpt", "d,1549662845,\"a,b,c\",x", "field count 4, header has 3" },
	{ "type,timeLogged,rcpt", ",1549662845,a@b", "empty type" },
	{ "type,timeLogged,rcpt", "\"\",1549662845,a@b", "empty type" },
	{ "type,timeLogged,rcpt", "d,,a@b", "bad timeLogged" },
	{ "type,timeLogged,rcpt", "d,yesterday,a@b", "bad timeLogged" },
	{ "type,timeLogged,rcpt", "d,2019-02-30 10:00:00+0000,a@b", "bad timeLogged" },
	{ "type,timeLogged,rcpt", "", "field count 1, header has 3" },
};

static void
acct_csv_malformed_lines_refused_with_reason(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct ctx c;
		struct acct_record untouched;

		if (parse(&c, bad_cases[i].header, bad_cases[i].line) != -1)
			fail_msg("accepted \"%s\"", bad_cases[i].line);
		assert_non_null(c.why);
		if (strcmp(c.why, bad_cases[i].why) != 0)
			fail_msg("\"%s\": reason \"%s\", want \"%s\"", bad_cases[i].line, c.why,
			    bad_cases[i].why);
		memset(&untouched, 0, sizeof(untouched));
		assert_memory_equal(&c.rec, &untouched, sizeof(untouched));
		ctx_free(&c);
	}
}

static void
acct_csv_default_header_count_mismatch_says_both_counts(void **state)
{
	/* The guide's d line has 22 fields: under the full default header it is malformed. */
	struct ctx c;
	struct lines l;
	char *line;

	(void)state;
	fixture_load(&l, "guide-d-b.csv");
	line = strndup(l.line[1], l.len[1]);
	assert_int_equal(parse(&c, DEFAULT_HEADER, line), -1);
	assert_string_equal(c.why, "field count 22, header has 23");
	ctx_free(&c);
	free(line);
	free(l.text);
}

static void
acct_csv_reordered_header_maps_by_name(void **state)
{
	struct ctx c;

	(void)state;
	assert_int_equal(parse(&c, "type,queue,vmta,rcpt,timeQueued,jobId,timeLogged,bounceCat",
	    "b,x.com/v2,v2,u@x.com,1549662800,job7,1549662845,bad-mailbox"), 0);
	assert_field(c.rec.type, "b");
	assert_int_equal(c.rec.time_logged, 1549662845);
	assert_int_equal(c.rec.time_queued, 1549662800);
	assert_field(c.rec.rcpt, "u@x.com");
	assert_field(c.rec.vmta, "v2");
	assert_field(c.rec.job_id, "job7");
	assert_field(c.rec.queue, "x.com/v2");
	assert_field(c.rec.bounce_cat, "bad-mailbox");
	assert_field(c.rec.dsn_status, "");	/* not in this header */
	assert_null(c.rec.dsn_status.p);
	ctx_free(&c);
}

static void
acct_csv_crlf_stripped_from_header_and_line(void **state)
{
	struct ctx c;

	(void)state;
	assert_int_equal(parse(&c, "type,timeLogged,queue\r", "d,1549662845,a.com/v\r"), 0);
	assert_field(c.rec.queue, "a.com/v");
	ctx_free(&c);
	assert_int_equal(parse(&c, "type,timeLogged,rcpt", "d,1549662845,\"a@b\"\r"), 0);
	assert_field(c.rec.rcpt, "a@b");
	ctx_free(&c);
}

static void
acct_csv_utf8_rcpt_kept_as_bytes(void **state)
{
	struct ctx c;

	(void)state;
	assert_int_equal(parse(&c, "type,timeLogged,rcpt",
	    "d,1549662845,J\xc3\xb6rg@B\xc3\xbc" "cher.de"), 0);
	assert_field(c.rec.rcpt, "J\xc3\xb6rg@B\xc3\xbc" "cher.de");
	ctx_free(&c);
}

static void
acct_csv_bad_time_queued_gives_zero(void **state)
{
	struct ctx c;

	(void)state;
	assert_int_equal(parse(&c, "type,timeLogged,timeQueued", "d,1549662845,soon"), 0);
	assert_int_equal(c.rec.time_queued, 0);
	ctx_free(&c);
	assert_int_equal(parse(&c, "type,timeLogged,timeQueued", "d,1549662845,"), 0);
	assert_int_equal(c.rec.time_queued, 0);
	ctx_free(&c);
}

static void
acct_csv_successive_times_each_parsed_right(void **state)
{
	/* The parser remembers the last time string: a run, a change, a bad one, and back. */
	static const struct {
		const char *line;
		int rc;
		int64_t logged, queued;
	} seq[] = {
		{ "d,2019-02-08 21:54:05+0000,1549662800", 0, 1549662845, 1549662800 },
		{ "d,2019-02-08 21:54:05+0000,1549662800", 0, 1549662845, 1549662800 },
		{ "d,2019-02-08 21:54:05+0100,1549662801", 0, 1549662845 - 3600, 1549662801 },
		{ "d,2019-02-08 21:54:05+010,1549662801", -1, 0, 0 },
		{ "d,2019-02-08 21:54:05+0100,bad", 0, 1549662845 - 3600, 0 },
		{ "d,2019-02-08 21:54:05+0000,", 0, 1549662845, 0 },
		{ "d,1549662845,1549662800", 0, 1549662845, 1549662800 },
	};
	struct acct_header *h = header("type,timeLogged,timeQueued");
	struct acct_parser *p = acct_parser_new(0);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		struct acct_record r;
		const char *why;

		assert_int_equal(acct_parser_parse(p, h, seq[i].line, strlen(seq[i].line), &r, &why),
		    seq[i].rc);
		if (seq[i].rc)
			continue;
		assert_int_equal(r.time_logged, seq[i].logged);
		assert_int_equal(r.time_queued, seq[i].queued);
	}
	acct_parser_free(p);
	acct_header_free(h);
}

/*
 * The memo reuses the day of the last time when only hh:mm:ss differ: random
 * runs of times on a few days and offsets, with bad times of day and the
 * first hour of 1970 east of UTC (before the epoch) among them, must each give
 * what acct_time_parse() gives on its own.
 */
static void
acct_csv_same_day_times_match_full_parse(void **state)
{
	static const char *days[] = { "2019-02-08 ", "2019-02-08T", "2019-02-09 ", "1970-01-01 " };
	static const char *offs[] = { "+0000", "+0100", "-0530" };
	struct acct_header *h = header("type,timeLogged,timeQueued");
	struct acct_parser *p = acct_parser_new(0);
	uint64_t x = 0x2545f4914f6cdd1dull;
	const char *day = days[0], *off = offs[0];
	int i;

	(void)state;
	for (i = 0; i < 20000; i++) {
		char t[40], line[100];
		struct acct_record r;
		const char *why;
		int64_t want;
		int rc, bad;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		if (i % 16 == 0) {	/* runs of one day and offset, as in a real file */
			day = days[(x >> 48) % 4];
			off = offs[(x >> 56) % 3];
		}
		bad = x % 50 == 0;
		snprintf(t, sizeof(t), "%s%02u:%02u:%02u%s", day,
		    (unsigned)(bad ? 24 + (x >> 12) % 3 : (x >> 12) % 24), (unsigned)((x >> 20) % 60),
		    (unsigned)((x >> 28) % (bad ? 62 : 60)), off);
		if ((x >> 44) % 97 == 0)
			t[14] = '.';	/* not a time of day at all */
		snprintf(line, sizeof(line), "d,1549662845,%s", t);
		rc = acct_parser_parse(p, h, line, strlen(line), &r, &why);
		assert_int_equal(rc, 0);
		if (acct_time_parse(t, strlen(t), &want) < 0)
			want = 0;	/* a bad timeQueued is kept as 0 */
		assert_int_equal(r.time_queued, want);
	}
	acct_parser_free(p);
	acct_header_free(h);
}

static void
acct_csv_long_line_refused_at_parser_cap(void **state)
{
	struct acct_header *h = header("type,timeLogged,rcpt");
	struct acct_parser *p = acct_parser_new(64);
	char line[128];
	struct acct_record r;
	const char *why = NULL;

	(void)state;
	memset(line, 'x', sizeof(line));
	memcpy(line, "d,1549662845,", 13);
	assert_int_equal(acct_parser_parse(p, h, line, 64, &r, &why), 0);
	assert_int_equal(r.rcpt.len, 64 - 13);
	line[64] = '\r';	/* a CR does not count against the cap */
	assert_int_equal(acct_parser_parse(p, h, line, 65, &r, &why), 0);
	assert_int_equal(acct_parser_parse(p, h, line, 66, &r, &why), -1);
	assert_string_equal(why, "line longer than 64 bytes");
	acct_parser_free(p);
	p = acct_parser_new(0);
	assert_int_equal(acct_parser_parse(p, h, line, 66, &r, &why), 0);
	acct_parser_free(p);
	acct_header_free(h);
}

static void
acct_csv_default_cap_reason_names_65536(void **state)
{
	struct acct_header *h = header("type,timeLogged,rcpt");
	struct acct_parser *p = acct_parser_new(0);
	size_t len = ACCT_LINE_MAX + 1;
	char *line = malloc(len);
	struct acct_record r;
	const char *why = NULL;

	(void)state;
	memset(line, 'x', len);
	memcpy(line, "d,1549662845,", 13);
	assert_int_equal(acct_parser_parse(p, h, line, len - 1, &r, &why), 0);
	assert_int_equal(acct_parser_parse(p, h, line, len, &r, &why), -1);
	assert_string_equal(why, "line longer than 65536 bytes");
	free(line);
	acct_parser_free(p);
	acct_header_free(h);
}

static void
acct_csv_scratch_holds_unquoted_fields_of_a_line_at_the_cap(void **state)
{
	/* Every needed column quoted with doubled quotes, the line exactly at the cap. */
	struct acct_header *h = header("type,timeLogged,rcpt,dsnDiag");
	struct acct_parser *p = acct_parser_new(200);
	char line[201], *o;
	struct acct_record r;
	const char *why = NULL;
	size_t i;

	(void)state;
	o = line + snprintf(line, sizeof(line), "\"d\",1549662845,\"\"\"\",\"");
	while (o + 3 <= line + 199) {	/* x"" repeated: each "" stands for one quote */
		memcpy(o, "x\"\"", 3);
		o += 3;
	}
	while (o < line + 199)
		*o++ = 'x';
	*o++ = '"';
	assert_int_equal(o - line, 200);
	assert_int_equal(acct_parser_parse(p, h, line, 200, &r, &why), 0);
	assert_field(r.type, "d");
	assert_field(r.rcpt, "\"");
	assert_true(r.dsn_diag.len > 80);
	for (i = 0; i < r.dsn_diag.len; i++)
		assert_true(r.dsn_diag.p[i] == 'x' || r.dsn_diag.p[i] == '"');
	acct_parser_free(p);
	acct_header_free(h);
}

static void
acct_csv_header_detection_and_refusals(void **state)
{
	static const char *const not_headers[] = {
		"", "typ", "types,timeLogged", "d,1549662845", "\"type\",timeLogged",
		" type,timeLogged",
	};
	static const char *const refused[] = {
		"type", "type,", "type,timeQueued,rcpt", "type,timelogged",
		"type,\"timeLogged", "type,\"time\"\"Logged\"",
	};
	size_t i;

	(void)state;
	assert_true(acct_line_is_header("type,timeLogged", 15));
	assert_true(acct_line_is_header("type\r", 5));
	assert_true(acct_line_is_header("type", 4));
	for (i = 0; i < sizeof(not_headers) / sizeof(not_headers[0]); i++) {
		assert_false(acct_line_is_header(not_headers[i], strlen(not_headers[i])));
		assert_null(acct_header_parse(not_headers[i], strlen(not_headers[i])));
	}
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		assert_null(acct_header_parse(refused[i], strlen(refused[i])));
	acct_header_free(NULL);
	acct_parser_free(NULL);
}

static void
acct_csv_header_trailing_comma_and_duplicates(void **state)
{
	struct ctx c;

	(void)state;
	/* PowerMTA's own header never has these; the first column of a name wins. */
	assert_int_equal(parse(&c, "type,timeLogged,vmta,vmta,", "d,1549662845,first,second,"), 0);
	assert_int_equal(acct_header_columns(c.h), 5);
	assert_field(c.rec.vmta, "first");
	ctx_free(&c);
	assert_int_equal(parse(&c, "type,timeLogged,\"vmta\"", "d,1549662845,v"), 0);
	assert_field(c.rec.vmta, "v");
	ctx_free(&c);
}

static void
acct_csv_header_keeps_no_pointer_into_its_line(void **state)
{
	char *hdr = strdup("type,timeLogged,rcpt");
	struct acct_header *h = acct_header_parse(hdr, strlen(hdr));
	struct acct_parser *p = acct_parser_new(0);
	struct acct_record r;
	const char *why;

	(void)state;
	memset(hdr, 'z', strlen(hdr));
	free(hdr);
	assert_int_equal(acct_parser_parse(p, h, "d,1549662845,a@b", 16, &r, &why), 0);
	assert_field(r.rcpt, "a@b");
	acct_parser_free(p);
	acct_header_free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(acct_csv_real_b_record_with_header_columns_parses),
		cmocka_unit_test(acct_csv_guide_sample_lines_parse_under_their_headers),
		cmocka_unit_test(acct_csv_guide_b_line_keeps_spam_category),
		cmocka_unit_test(acct_csv_f_records_give_feedback_type_rcpt_job_vmta),
		cmocka_unit_test(acct_csv_quoted_comma_keeps_field),
		cmocka_unit_test(acct_csv_doubled_quotes_become_one),
		cmocka_unit_test(acct_csv_unneeded_quoted_columns_only_counted),
		cmocka_unit_test(acct_csv_quoted_empty_and_quoted_time_accepted),
		cmocka_unit_test(acct_csv_malformed_lines_refused_with_reason),
		cmocka_unit_test(acct_csv_default_header_count_mismatch_says_both_counts),
		cmocka_unit_test(acct_csv_reordered_header_maps_by_name),
		cmocka_unit_test(acct_csv_crlf_stripped_from_header_and_line),
		cmocka_unit_test(acct_csv_utf8_rcpt_kept_as_bytes),
		cmocka_unit_test(acct_csv_bad_time_queued_gives_zero),
		cmocka_unit_test(acct_csv_successive_times_each_parsed_right),
		cmocka_unit_test(acct_csv_same_day_times_match_full_parse),
		cmocka_unit_test(acct_csv_long_line_refused_at_parser_cap),
		cmocka_unit_test(acct_csv_default_cap_reason_names_65536),
		cmocka_unit_test(acct_csv_scratch_holds_unquoted_fields_of_a_line_at_the_cap),
		cmocka_unit_test(acct_csv_header_detection_and_refusals),
		cmocka_unit_test(acct_csv_header_trailing_comma_and_duplicates),
		cmocka_unit_test(acct_csv_header_keeps_no_pointer_into_its_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
