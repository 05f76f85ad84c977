/*
 * cmocka tests of the accounting reader (agent/acct_reader.c): tailer,
 * headers and parser together, on files in a temporary directory. time()
 * and log_emit() are wrapped at link time: the clock is the test's, and log
 * lines are counted and kept instead of written.
 */
#include "config.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "acct_reader.h"

#define HDR "type,timeLogged,timeQueued,rcpt,bounceCat,vmta,jobId,queue\n"

static time_t fake_now = 1700000000;
static unsigned log_count;	/* lines about malformed input */
static char log_last[512];

time_t __wrap_time(time_t *t);
void __wrap_log_emit(int prio, int errnum, const char *fmt, ...);

time_t
__wrap_time(time_t *t)
{
	if (t)
		*t = fake_now;
	return fake_now;
}

void
__wrap_log_emit(int prio, int errnum, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	(void)prio;
	(void)errnum;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	/* Only the reader's own lines: the tailer's notes on files opened are not counted. */
	if (!strstr(text, "malformed"))
		return;
	strcpy(log_last, text);
	log_count++;
}

/* What the record callback saw: "type rcpt". */
struct fx {
	char dir[64];
	struct acct_reader *r;
	char got[32][96];
	size_t n;
};

static void
on_record(void *arg, const struct acct_record *rec)
{
	struct fx *f = arg;

	assert_true(f->n < 32);
	snprintf(f->got[f->n++], sizeof(f->got[0]), "%.*s %.*s", (int)rec->type.len, rec->type.p,
	    (int)rec->rcpt.len, rec->rcpt.p);
}

static void
put(const struct fx *f, const char *name, const char *text, int trunc)
{
	char path[192];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	fd = open(path, O_WRONLY | O_CREAT | (trunc ? O_TRUNC : O_APPEND), 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void
reader_open(struct fx *f, const char *pattern)
{
	struct acct_tail_opts o = { .max_line = 0, .start_age = 0, .now = fake_now };
	char glob[192];

	snprintf(glob, sizeof(glob), "%s/%s", f->dir, pattern);
	f->r = acct_reader_new("inst1", glob, &o, on_record, f);
	assert_non_null(f->r);
}

/* Polls until idle. */
static void
drain(struct fx *f)
{
	int guard = 0;

	while (acct_reader_poll(f->r, 1u << 20) > 0)
		assert_true(++guard < 100);
}

static void
got_expect(struct fx *f, const char *const *want)
{
	size_t i;

	for (i = 0; want[i]; i++) {
		if (i >= f->n)
			fail_msg("record %zu: none, want \"%s\"", i, want[i]);
		assert_string_equal(f->got[i], want[i]);
	}
	assert_int_equal(f->n, i);
	f->n = 0;
}

#define EXPECT(f, ...) got_expect((f), (const char *const[]){ __VA_ARGS__, NULL })

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/test_acct_reader.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	fake_now = 1700000000;
	log_count = 0;
	log_last[0] = '\0';
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	acct_reader_free(f->r);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void
acct_reader_counts_records_and_malformed_lines(void **state)
{
	struct fx *f = *state;

	put(f, "acct-0000.csv",
	    "d,1699999990,,early@x.com,,v,,x.com/v\n"		/* before any header */
	    HDR
	    "d,1699999990,1699999900,a@x.com,,v1,j1,x.com/v1\r\n"
	    "b,2023-11-14 22:13:10+0000,,b@y.com,bad-mailbox,v1,,y.com/v1\n"
	    "\n"						/* blank: skipped, not counted */
	    "t,1699999991,,c@z.com,,v1,,z.com/v1,extra\n"	/* field count */
	    "t,1699999991,,\"c@z.com,,v1,,z.com/v1\n"		/* unterminated quote */
	    ",1699999991,,c@z.com,,v1,,z.com/v1\n"		/* empty type */
	    "t,yesterday,,c@z.com,,v1,,z.com/v1\n"		/* bad timeLogged */
	    "tq,1699999992,,,,v1,,z.com/v1\n"
	    "zz,1699999993,,\"q\"\"uote@w.com\",,v1,,w.com/v1\n", 1);
	reader_open(f, "acct-*.csv");
	drain(f);
	EXPECT(f, "d a@x.com", "b b@y.com", "tq ", "zz q\"uote@w.com");
	assert_int_equal(acct_reader_records(f->r), 4);
	assert_int_equal(acct_reader_malformed(f->r), 5);
	assert_int_equal(acct_reader_last_record_time(f->r), 1700000000);
	/* Only the first malformed line was logged: the others came within the minute. */
	assert_int_equal(log_count, 1);
	assert_non_null(strstr(log_last, "acct-0000.csv:1: malformed accounting line skipped "
	    "(record before any header line)"));
	assert_non_null(strstr(log_last, "instance inst1"));
}

static void
acct_reader_header_mid_file_remaps_columns(void **state)
{
	struct fx *f = *state;

	put(f, "acct-0000.csv", HDR "d,1700000000,,a@x.com,,v,,x.com/v\n"
	    "type,rcpt,timeLogged\n"
	    "b,b@y.com,1700000001\n"
	    HDR "d,1700000002,,c@z.com,,v,,z.com/v\n", 1);
	reader_open(f, "acct-*.csv");
	drain(f);
	EXPECT(f, "d a@x.com", "b b@y.com", "d c@z.com");
	assert_int_equal(acct_reader_records(f->r), 3);
	assert_int_equal(acct_reader_malformed(f->r), 0);
}

static void
acct_reader_each_file_needs_its_own_header(void **state)
{
	struct fx *f = *state;

	put(f, "acct-0000.csv", HDR "d,1700000000,,a@x.com,,v,,x.com/v\n", 1);
	reader_open(f, "acct-*.csv");
	drain(f);
	EXPECT(f, "d a@x.com");
	/* A new file without a header: the previous file's mapping does not apply. */
	put(f, "acct-0001.csv", "d,1700000001,,b@x.com,,v,,x.com/v\n" HDR
	    "d,1700000002,,c@x.com,,v,,x.com/v\n", 1);
	drain(f);
	EXPECT(f, "d c@x.com");
	assert_int_equal(acct_reader_malformed(f->r), 1);
	assert_non_null(strstr(log_last, "acct-0001.csv:1:"));
}

static void
acct_reader_broken_header_drops_mapping(void **state)
{
	struct fx *f = *state;

	put(f, "acct-0000.csv", HDR "d,1700000000,,a@x.com,,v,,x.com/v\n"
	    "type,rcpt\n"
	    "d,b@x.com\n", 1);
	reader_open(f, "acct-*.csv");
	drain(f);
	EXPECT(f, "d a@x.com");
	assert_int_equal(acct_reader_malformed(f->r), 2);
	assert_non_null(strstr(log_last, "acct-0000.csv:3:"));
	assert_non_null(strstr(log_last, "without a timeLogged column"));
}

static void
acct_reader_too_long_line_is_malformed_once(void **state)
{
	struct fx *f = *state;
	char *big = malloc(70001);

	memset(big, 'x', 70000);
	big[70000] = '\0';
	memcpy(big, "d,1700000000,,", 14);
	put(f, "acct-0000.csv", HDR, 1);
	put(f, "acct-0000.csv", big, 0);
	put(f, "acct-0000.csv", "\nd,1700000000,,a@x.com,,v,,x.com/v\n", 0);
	reader_open(f, "acct-*.csv");
	drain(f);
	EXPECT(f, "d a@x.com");
	assert_int_equal(acct_reader_malformed(f->r), 1);
	assert_non_null(strstr(log_last, "acct-0000.csv:2: malformed accounting line skipped "
	    "(line longer than 65536 bytes)"));
	free(big);
}

static void
acct_reader_malformed_log_at_most_once_a_minute(void **state)
{
	struct fx *f = *state;
	unsigned base;

	put(f, "acct-0000.csv", HDR, 1);
	reader_open(f, "acct-*.csv");
	drain(f);
	base = log_count;
	put(f, "acct-0000.csv", "bad1\n", 0);		/* line 2, at t0: logged */
	drain(f);
	assert_int_equal(log_count, base + 1);
	assert_non_null(strstr(log_last, ":2: malformed"));
	fake_now += 10;
	put(f, "acct-0000.csv", "bad2\n", 0);		/* held back */
	drain(f);
	fake_now += 49;
	put(f, "acct-0000.csv", "bad3\n", 0);		/* t0 + 59: held back */
	drain(f);
	assert_int_equal(log_count, base + 1);
	fake_now += 1;
	put(f, "acct-0000.csv", "bad4\n", 0);		/* t0 + 60: logged, with the count */
	drain(f);
	assert_int_equal(log_count, base + 2);
	assert_non_null(strstr(log_last, ":5: malformed"));
	assert_non_null(strstr(log_last, "2 more not logged since the last report"));
	fake_now += 30;
	put(f, "acct-0000.csv", "bad5\nbad6\nbad7\n", 0);	/* held back */
	drain(f);
	assert_int_equal(log_count, base + 2);
	fake_now += 29;
	acct_reader_poll(f->r, 0);			/* idle, still within the minute */
	assert_int_equal(log_count, base + 2);
	fake_now += 1;
	acct_reader_poll(f->r, 0);			/* idle: the held-back ones are told */
	assert_int_equal(log_count, base + 3);
	assert_non_null(strstr(log_last, "3 more malformed accounting lines skipped"));
	acct_reader_poll(f->r, 0);
	assert_int_equal(log_count, base + 3);
	assert_int_equal(acct_reader_malformed(f->r), 7);
	assert_int_equal(acct_reader_records(f->r), 0);
	assert_int_equal(acct_reader_last_record_time(f->r), 0);
}

static void
acct_reader_partial_record_waits_for_its_newline(void **state)
{
	struct fx *f = *state;

	put(f, "acct-0000.csv", HDR "d,1700000000,,a@x.co", 1);
	reader_open(f, "acct-*.csv");
	drain(f);
	assert_int_equal(f->n, 0);
	assert_int_equal(acct_reader_malformed(f->r), 0);
	fake_now += 5;
	put(f, "acct-0000.csv", "m,,v,,x.com/v\r\n", 0);
	drain(f);
	EXPECT(f, "d a@x.com");
	assert_int_equal(acct_reader_last_record_time(f->r), 1700000005);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(acct_reader_counts_records_and_malformed_lines),
		T(acct_reader_header_mid_file_remaps_columns),
		T(acct_reader_each_file_needs_its_own_header),
		T(acct_reader_broken_header_drops_mapping),
		T(acct_reader_too_long_line_is_malformed_once),
		T(acct_reader_malformed_log_at_most_once_a_minute),
		T(acct_reader_partial_record_waits_for_its_newline),
#undef T
	};

	acct_reader_free(NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
