/*
 * cmocka tests of the accounting tailer (agent/acct_tail.c), on real files
 * in a temporary directory. No sleeps: every step is an explicit
 * acct_tail_read(). log_emit is wrapped at link time to count log lines.
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
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "acct_tail.h"

#define SEEN_MAX 256

/* log_emit replaced: the messages are counted and kept, nothing is written. */
static unsigned log_count;
static char log_last[512];
static char log_warning[512];	/* the last one at LOG_WARNING or worse */

void __wrap_log_emit(int prio, int errnum, const char *fmt, ...);

void
__wrap_log_emit(int prio, int errnum, const char *fmt, ...)
{
	va_list ap;

	size_t n;

	va_start(ap, fmt);
	vsnprintf(log_last, sizeof(log_last), fmt, ap);
	va_end(ap);
	/* As log_emit() does: the errno text after the message. */
	n = strlen(log_last);
	if (errnum)
		snprintf(log_last + n, sizeof(log_last) - n, ": %s", strerror(errnum));
	if (prio <= LOG_WARNING)
		strcpy(log_warning, log_last);
	log_count++;
}

/*
 * What the callback saw: "name:lineno:text", or "name:lineno:TOO LONG". In
 * counting mode (for big files) only the count and the last line are kept,
 * and each line number must follow the previous one.
 */
struct seen {
	char *line[SEEN_MAX];
	size_t n;
	int counting;
	uint64_t count, last_lineno;
	char last[256];
};

struct fx {
	char dir[64];
	char glob[128];
	struct seen seen;
	struct acct_tail *t;
};

static void
on_line(void *arg, const char *file, uint64_t lineno, const char *line, size_t len, int too_long)
{
	struct seen *s = arg;
	const char *base = strrchr(file, '/');
	char buf[256];

	if (too_long)
		snprintf(buf, sizeof(buf), "%s:%llu:TOO LONG", base + 1, (unsigned long long)lineno);
	else
		snprintf(buf, sizeof(buf), "%s:%llu:%.*s", base + 1, (unsigned long long)lineno,
		    (int)len, line);
	if (s->counting) {
		assert_int_equal(lineno, s->last_lineno + 1);
		s->last_lineno = lineno;
		s->count++;
		strcpy(s->last, buf);
		return;
	}
	assert_true(s->n < SEEN_MAX);
	s->line[s->n] = strdup(buf);
	assert_non_null(s->line[s->n]);
	s->n++;
}

static void
seen_clear(struct seen *s)
{
	while (s->n)
		free(s->line[--s->n]);
}

/* The lines seen since the last check must be exactly want (NULL-terminated). */
static void
seen_expect(struct seen *s, const char *const *want)
{
	size_t i;

	for (i = 0; want[i]; i++) {
		if (i >= s->n)
			fail_msg("line %zu: nothing, want \"%s\"", i, want[i]);
		if (strcmp(s->line[i], want[i]) != 0)
			fail_msg("line %zu: \"%s\", want \"%s\"", i, s->line[i], want[i]);
	}
	if (s->n != i)
		fail_msg("%zu lines, want %zu; the first extra is \"%s\"", s->n, i, s->line[i]);
	seen_clear(s);
}

#define EXPECT(fx, ...) seen_expect(&(fx)->seen, (const char *const[]){ __VA_ARGS__, NULL })
#define EXPECT_NONE(fx) seen_expect(&(fx)->seen, (const char *const[]){ NULL })

static void
path_of(const struct fx *f, const char *name, char *out, size_t size)
{
	snprintf(out, size, "%s/%s", f->dir, name);
}

/* Appends (or, with trunc, writes anew) text to dir/name. */
static void
put(const struct fx *f, const char *name, const char *text, int trunc)
{
	char path[192];
	int fd;

	path_of(f, name, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | (trunc ? O_TRUNC : O_APPEND), 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void
age(const struct fx *f, const char *name, time_t seconds_ago)
{
	char path[192];
	struct timespec ts[2];

	path_of(f, name, path, sizeof(path));
	ts[0].tv_sec = ts[1].tv_sec = time(NULL) - seconds_ago;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static void
move(const struct fx *f, const char *from, const char *to)
{
	char a[192], b[192];

	path_of(f, from, a, sizeof(a));
	path_of(f, to, b, sizeof(b));
	assert_int_equal(rename(a, b), 0);
}

static void
del(const struct fx *f, const char *name)
{
	char path[192];

	path_of(f, name, path, sizeof(path));
	assert_int_equal(unlink(path), 0);
}

/* Opens the tailer on dir/pattern. */
static void
tail_open(struct fx *f, const char *pattern, size_t max_line, unsigned start_age)
{
	struct acct_tail_opts o = { .max_line = max_line, .start_age = start_age };

	snprintf(f->glob, sizeof(f->glob), "%s/%s", f->dir, pattern);
	f->t = acct_tail_new(f->glob, &o);
	assert_non_null(f->t);
}

static int
rd(struct fx *f)
{
	return acct_tail_read(f->t, 0, on_line, &f->seen);
}

/*
 * Mode bits stop only an unprivileged reader (as the agent is once it has
 * dropped root); as root, the rest of the test runs with nobody's effective
 * ids, and teardown takes root back.
 */
static void
unprivileged(const struct fx *f)
{
	if (geteuid() != 0)
		return;
	assert_int_equal(chown(f->dir, 65534, 65534), 0);
	assert_int_equal(setegid(65534), 0);
	assert_int_equal(seteuid(65534), 0);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/test_acct_tail.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	log_count = 0;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[256];

	if (getuid() == 0 && geteuid() != 0 && (seteuid(0) < 0 || setegid(0) < 0))
		return -1;
	acct_tail_free(f->t);
	seen_clear(&f->seen);
	snprintf(cmd, sizeof(cmd), "chmod -R u+rwx %s; rm -rf %s", f->dir, f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void
acct_tail_reads_glob_in_name_order_then_follows(void **state)
{
	struct fx *f = *state;

	put(f, "acct-0001.csv", "b1\n", 1);
	put(f, "acct-0000.csv", "a1\r\na2\n", 1);
	put(f, "other.txt", "not matched\n", 1);
	/*
	 * Created second, but the names decide. Its mtime is set back so the
	 * times agree with the names: a later name older than the file being
	 * read is passed over (acct_tail_older_rotated_copies_...), and without
	 * this the test depended on both writes landing in one clock tick.
	 */
	age(f, "acct-0000.csv", 60);
	tail_open(f, "acct-*.csv", 0, 0);
	assert_int_equal(rd(f), 10);
	EXPECT(f, "acct-0000.csv:1:a1", "acct-0000.csv:2:a2", "acct-0001.csv:1:b1");
	assert_int_equal(rd(f), 0);
	put(f, "acct-0001.csv", "b2\n", 0);
	assert_int_equal(rd(f), 3);
	EXPECT(f, "acct-0001.csv:2:b2");
	put(f, "acct-0002.csv", "c1\n", 1);
	assert_int_equal(rd(f), 3);
	EXPECT(f, "acct-0002.csv:1:c1");
	assert_int_equal(rd(f), 0);
	EXPECT_NONE(f);
}

static void
acct_tail_finishes_older_file_before_newer(void **state)
{
	struct fx *f = *state;

	put(f, "acct-0000.csv", "a1\n", 1);
	tail_open(f, "acct-*.csv", 0, 0);
	assert_int_equal(rd(f), 3);
	/* An empty newer file: the writer has not moved yet, so the old one is still read. */
	put(f, "acct-0001.csv", "", 1);
	put(f, "acct-0000.csv", "a2\n", 0);
	assert_int_equal(rd(f), 3);
	EXPECT(f, "acct-0000.csv:1:a1", "acct-0000.csv:2:a2");
	/* The last lines of the old file land just before the new one gets data. */
	put(f, "acct-0000.csv", "a3\n", 0);
	put(f, "acct-0001.csv", "b1\n", 0);
	assert_int_equal(rd(f), 6);
	EXPECT(f, "acct-0000.csv:3:a3", "acct-0001.csv:1:b1");
	/* Written to the old file after the switch: gone by design, never re-read. */
	put(f, "acct-0000.csv", "late\n", 0);
	assert_int_equal(rd(f), 0);
	EXPECT_NONE(f);
}

static void
acct_tail_partial_line_held_until_newline(void **state)
{
	struct fx *f = *state;

	put(f, "acct.csv", "abc", 1);
	tail_open(f, "acct.csv", 0, 0);
	assert_int_equal(rd(f), 3);
	EXPECT_NONE(f);
	put(f, "acct.csv", "def\r", 0);
	assert_int_equal(rd(f), 4);
	EXPECT_NONE(f);
	put(f, "acct.csv", "\nxy", 0);
	assert_int_equal(rd(f), 3);
	EXPECT(f, "acct.csv:1:abcdef");
	put(f, "acct.csv", "z\n\n", 0);
	assert_int_equal(rd(f), 3);
	EXPECT(f, "acct.csv:2:xyz", "acct.csv:3:");
}

static void
acct_tail_rename_then_create_finishes_old_inode(void **state)
{
	struct fx *f = *state;

	put(f, "acct.csv", "l1\nl2 part", 1);
	tail_open(f, "acct.csv", 0, 0);
	rd(f);
	EXPECT(f, "acct.csv:1:l1");
	move(f, "acct.csv", "acct.csv.1");
	/* The writer still has the old file open; the new one is empty: no switch yet. */
	put(f, "acct.csv", "", 1);
	put(f, "acct.csv.1", "ial\nl3\n", 0);
	rd(f);
	EXPECT(f, "acct.csv:2:l2 partial", "acct.csv:3:l3");
	put(f, "acct.csv.1", "l4\n", 0);
	put(f, "acct.csv", "n1\n", 0);
	rd(f);
	EXPECT(f, "acct.csv:4:l4", "acct.csv:1:n1");
	put(f, "acct.csv", "n2\n", 0);
	rd(f);
	EXPECT(f, "acct.csv:2:n2");
}

static void
acct_tail_rotated_name_matching_glob_not_read_twice(void **state)
{
	struct fx *f = *state;

	put(f, "acct.csv", "a1\na2\n", 1);
	tail_open(f, "acct.csv*", 0, 0);
	rd(f);
	EXPECT(f, "acct.csv:1:a1", "acct.csv:2:a2");
	move(f, "acct.csv", "acct.csv.1");
	put(f, "acct.csv", "b1\n", 1);
	rd(f);
	EXPECT(f, "acct.csv:1:b1");
	move(f, "acct.csv.1", "acct.csv.2");
	move(f, "acct.csv", "acct.csv.1");
	put(f, "acct.csv", "c1\n", 1);
	rd(f);
	EXPECT(f, "acct.csv:1:c1");
	assert_int_equal(rd(f), 0);
}

/*
 * A glob that takes in logrotate's copies (acct.csv* with acct.csv.1 and .2
 * already there at start): the copies sort after the live file but are
 * older. Read after it, they would leave the name cursor past the live file,
 * whose new lines would then never be read.
 */
static void
acct_tail_older_rotated_copies_do_not_stall_the_live_file(void **state)
{
	struct fx *f = *state;

	put(f, "acct.csv.2", "old2\n", 1);
	put(f, "acct.csv.1", "old1\n", 1);
	put(f, "acct.csv", "c1\n", 1);
	age(f, "acct.csv.2", 300);
	age(f, "acct.csv.1", 200);
	log_warning[0] = '\0';
	tail_open(f, "acct.csv*", 0, 0);
	rd(f);
	EXPECT(f, "acct.csv:1:c1");
	assert_non_null(strstr(log_warning, "acct.csv.1 sorts after"));
	put(f, "acct.csv", "c2\n", 0);
	assert_int_equal(rd(f), 3);
	EXPECT(f, "acct.csv:2:c2");
	/* rotated again: the live file's rest, then the new live file */
	move(f, "acct.csv.1", "acct.csv.2");
	move(f, "acct.csv", "acct.csv.1");
	put(f, "acct.csv.1", "c3\n", 0);
	put(f, "acct.csv", "d1\n", 1);
	rd(f);
	EXPECT(f, "acct.csv:3:c3", "acct.csv:1:d1");
	put(f, "acct.csv", "d2\n", 0);
	assert_int_equal(rd(f), 3);
	EXPECT(f, "acct.csv:2:d2");
}

/*
 * More rotations under a wide glob than the ring of finished files holds:
 * a copy that has left the ring is still older than the live file was when
 * it was opened, so it is not read again. Each file gets its own minute.
 */
static void
acct_tail_copies_beyond_the_finished_ring_not_read_again(void **state)
{
	struct fx *f = *state;
	char from[32], to[32], line[32], want[32];
	int i, j;

	put(f, "acct.csv", "r0\n", 1);
	age(f, "acct.csv", 1000);
	tail_open(f, "acct.csv*", 0, 0);
	rd(f);
	EXPECT(f, "acct.csv:1:r0");
	for (i = 1; i <= 12; i++) {
		for (j = i - 1; j >= 1; j--) {
			snprintf(from, sizeof(from), "acct.csv.%d", j);
			snprintf(to, sizeof(to), "acct.csv.%d", j + 1);
			move(f, from, to);
		}
		move(f, "acct.csv", "acct.csv.1");
		snprintf(line, sizeof(line), "r%d\n", i);
		put(f, "acct.csv", line, 1);
		age(f, "acct.csv", 1000 - 60 * i);
		rd(f);
		snprintf(want, sizeof(want), "acct.csv:1:r%d", i);
		EXPECT(f, want);
		assert_int_equal(rd(f), 0);
	}
}

static void
acct_tail_copytruncate_restarts_from_zero(void **state)
{
	struct fx *f = *state;

	put(f, "acct.csv", "l1\nl2\npart", 1);
	tail_open(f, "acct.csv", 0, 0);
	rd(f);
	EXPECT(f, "acct.csv:1:l1", "acct.csv:2:l2");
	/* logrotate copied it away and emptied it; the writer appends again. */
	put(f, "acct.csv", "m1\n", 1);
	assert_int_equal(rd(f), 3);
	EXPECT(f, "acct.csv:1:m1");
	assert_true(log_count > 0);
	assert_non_null(strstr(log_last, "truncated"));
	put(f, "acct.csv", "m2\n", 0);
	rd(f);
	EXPECT(f, "acct.csv:2:m2");
}

/* Emptied and written past the old size before the next look: the size never drops. */
static void
acct_tail_copytruncate_outgrown_before_next_read(void **state)
{
	struct fx *f = *state;

	put(f, "acct.csv", "h\nr1\nr2\n", 1);
	tail_open(f, "acct.csv", 0, 0);
	rd(f);
	EXPECT(f, "acct.csv:1:h", "acct.csv:2:r1", "acct.csv:3:r2");
	put(f, "acct.csv", "h\ns1\ns2\ns3\n", 1);
	rd(f);
	EXPECT(f, "acct.csv:1:h", "acct.csv:2:s1", "acct.csv:3:s2", "acct.csv:4:s3");
	assert_non_null(strstr(log_last, "truncated"));
	/* Plain growth is still read on from the offset. */
	put(f, "acct.csv", "s4\n", 0);
	rd(f);
	EXPECT(f, "acct.csv:5:s4");
	assert_int_equal(rd(f), 0);
}

static void
acct_tail_deleted_file_finished_through_open_fd(void **state)
{
	struct fx *f = *state;
	char *big = malloc(3u << 20), *p = big, want[128];
	int n = 0, got;
	size_t total;

	/* 3 MiB of numbered lines: more than one read, so the deletion comes mid-file. */
	assert_non_null(big);
	while (p - big < (3 << 20) - 64)
		p += sprintf(p, "line %07d xxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n", ++n);
	*p = '\0';
	put(f, "acct-0000.csv", big, 1);
	tail_open(f, "acct-*.csv", 0, 0);
	f->seen.counting = 1;
	got = acct_tail_read(f->t, 1u << 20, on_line, &f->seen);
	assert_int_equal(got, 1 << 20);
	total = (size_t)got;
	del(f, "acct-0000.csv");
	while ((got = acct_tail_read(f->t, 100000, on_line, &f->seen)) > 0)
		total += (size_t)got;
	assert_int_equal(got, 0);
	assert_int_equal(total, (size_t)(p - big));
	assert_int_equal(f->seen.count, n);
	snprintf(want, sizeof(want), "acct-0000.csv:%d:line %07d xxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	    n, n);
	assert_string_equal(f->seen.last, want);
	f->seen.counting = 0;
	/* The name comes back: a new file, read from its start. */
	put(f, "acct-0000.csv", "again\n", 1);
	rd(f);
	EXPECT(f, "acct-0000.csv:1:again");
	free(big);
}

static void
acct_tail_file_that_disappears_and_comes_back(void **state)
{
	struct fx *f = *state;

	put(f, "acct.csv", "one\n", 1);
	tail_open(f, "acct.csv", 0, 0);
	rd(f);
	EXPECT(f, "acct.csv:1:one");
	move(f, "acct.csv", "away");
	put(f, "away", "two\n", 0);		/* still written through the old name's inode */
	rd(f);
	EXPECT(f, "acct.csv:2:two");
	move(f, "away", "acct.csv");		/* back, same inode: same file, no re-read */
	put(f, "acct.csv", "three\n", 0);
	rd(f);
	EXPECT(f, "acct.csv:3:three");
	del(f, "acct.csv");
	assert_int_equal(rd(f), 0);
	put(f, "acct.csv", "fresh one\n", 1);	/* another size: a new file, not the old inode */
	rd(f);
	EXPECT(f, "acct.csv:1:fresh one");
}

static void
acct_tail_no_match_then_directory_appears_logged_once(void **state)
{
	struct fx *f = *state;
	char sub[192];
	unsigned logs;

	tail_open(f, "sub/acct-*.csv", 0, 0);
	assert_int_equal(rd(f), 0);
	logs = log_count;
	assert_int_equal(logs, 1);
	assert_non_null(strstr(log_last, "no file matches"));
	assert_int_equal(rd(f), 0);
	assert_int_equal(rd(f), 0);
	assert_int_equal(log_count, logs);	/* the same state: no more lines */
	path_of(f, "sub", sub, sizeof(sub));
	assert_int_equal(mkdir(sub, 0755), 0);
	put(f, "sub/acct-0000.csv", "x1\n", 1);
	assert_int_equal(rd(f), 3);
	EXPECT(f, "acct-0000.csv:1:x1");
	assert_true(log_count > logs);
}

static void
acct_tail_unreadable_directory_is_retried(void **state)
{
	struct fx *f = *state;
	char sub[192];

	unprivileged(f);
	path_of(f, "sub", sub, sizeof(sub));
	assert_int_equal(mkdir(sub, 0755), 0);
	put(f, "sub/acct-0000.csv", "x1\n", 1);
	assert_int_equal(chmod(sub, 0), 0);
	tail_open(f, "sub/acct-*.csv", 0, 0);
	assert_int_equal(rd(f), 0);
	assert_non_null(strstr(log_last, "cannot read the directory"));
	assert_int_equal(chmod(sub, 0755), 0);
	assert_int_equal(rd(f), 3);
	EXPECT(f, "acct-0000.csv:1:x1");
}

/*
 * A file the reader may not open is passed over, logged once, so the files
 * after it are still read; once its mode changes it is tried again.
 */
static void
acct_tail_unreadable_file_is_passed_over(void **state)
{
	struct fx *f = *state;
	char path[192];
	unsigned logs;

	unprivileged(f);
	put(f, "acct-0000.csv", "a1\n", 1);
	put(f, "acct-0001.csv", "b1\n", 1);
	put(f, "acct-0002.csv", "c1\n", 1);
	path_of(f, "acct-0001.csv", path, sizeof(path));
	assert_int_equal(chmod(path, 0), 0);
	tail_open(f, "acct-*.csv", 0, 0);
	rd(f);
	EXPECT(f, "acct-0000.csv:1:a1", "acct-0002.csv:1:c1");
	assert_non_null(strstr(log_warning, "acct-0001.csv: Permission denied"));
	logs = log_count;
	assert_int_equal(rd(f), 0);
	put(f, "acct-0002.csv", "c2\n", 0);
	assert_int_equal(rd(f), 3);
	EXPECT(f, "acct-0002.csv:2:c2");
	assert_int_equal(log_count, logs);	/* tried and logged once */

	/* The newest file unreadable: nothing read until its mode is fixed. */
	put(f, "acct-0003.csv", "d1\n", 1);
	path_of(f, "acct-0003.csv", path, sizeof(path));
	assert_int_equal(chmod(path, 0), 0);
	assert_int_equal(rd(f), 0);
	assert_non_null(strstr(log_warning, "acct-0003.csv: Permission denied"));
	assert_int_equal(rd(f), 0);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(rd(f), 3);
	EXPECT(f, "acct-0003.csv:1:d1");
}

static void
acct_tail_too_long_line_reported_once(void **state)
{
	struct fx *f = *state;

	/* 16 bytes is the cap; with its CR a 16-byte line still fits. */
	put(f, "acct.csv", "short\n0123456789abcdef\r\n0123456789abcdefg\nafter\n", 1);
	tail_open(f, "acct.csv", 16, 0);
	rd(f);
	EXPECT(f, "acct.csv:1:short", "acct.csv:2:0123456789abcdef", "acct.csv:3:TOO LONG",
	    "acct.csv:4:after");
	/* A long line still growing: reported at once, its end dropped when it comes. */
	put(f, "acct.csv", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 0);
	rd(f);
	EXPECT(f, "acct.csv:5:TOO LONG");
	put(f, "acct.csv", "xxxxxxxxxxxxxxxxxxxxxx", 0);
	rd(f);
	EXPECT_NONE(f);
	put(f, "acct.csv", "xxx\nnext\n", 0);
	rd(f);
	EXPECT(f, "acct.csv:6:next");
}

static void
acct_tail_start_age_skips_old_files(void **state)
{
	struct fx *f = *state;

	put(f, "acct-0000.csv", "old\n", 1);
	put(f, "acct-0001.csv", "recent-a\n", 1);
	put(f, "acct-0002.csv", "old too\n", 1);
	put(f, "acct-0003.csv", "recent-b\n", 1);
	age(f, "acct-0000.csv", 2 * 86400);
	age(f, "acct-0001.csv", 86400 - 600);
	age(f, "acct-0002.csv", 86400 + 600);
	tail_open(f, "acct-*.csv", 0, 86400);
	rd(f);
	EXPECT(f, "acct-0001.csv:1:recent-a", "acct-0003.csv:1:recent-b");
	put(f, "acct-0004.csv", "new\n", 1);
	rd(f);
	EXPECT(f, "acct-0004.csv:1:new");
}

static void
acct_tail_budget_bounds_each_call(void **state)
{
	struct fx *f = *state;
	char text[1001];
	int got;

	memset(text, 'y', sizeof(text));
	for (int i = 9; i < 1000; i += 10)
		text[i] = '\n';
	text[1000] = '\0';
	put(f, "acct.csv", text, 1);
	tail_open(f, "acct.csv", 0, 0);
	got = acct_tail_read(f->t, 250, on_line, &f->seen);
	assert_int_equal(got, 250);
	assert_int_equal(f->seen.n, 25);
	seen_clear(&f->seen);
	got = acct_tail_read(f->t, 745, on_line, &f->seen);
	assert_int_equal(got, 745);
	assert_int_equal(f->seen.n, 74);	/* line 100 still lacks 5 bytes */
	seen_clear(&f->seen);
	got = acct_tail_read(f->t, 745, on_line, &f->seen);
	assert_int_equal(got, 5);
	EXPECT(f, "acct.csv:100:yyyyyyyyy");
}

static void
acct_tail_small_budgets_finish_old_file_before_new(void **state)
{
	struct fx *f = *state;

	put(f, "acct-0000.csv", "a1\n", 1);
	tail_open(f, "acct-*.csv", 0, 0);
	assert_int_equal(acct_tail_read(f->t, 3, on_line, &f->seen), 3);
	EXPECT(f, "acct-0000.csv:1:a1");
	/* The writer adds lines and moves on; each call's budget ends at a line's end. */
	put(f, "acct-0000.csv", "a2\n", 0);
	put(f, "acct-0001.csv", "b1\n", 1);
	assert_int_equal(acct_tail_read(f->t, 3, on_line, &f->seen), 3);
	EXPECT(f, "acct-0000.csv:2:a2");
	put(f, "acct-0000.csv", "a3\n", 0);
	assert_int_equal(acct_tail_read(f->t, 3, on_line, &f->seen), 3);
	EXPECT(f, "acct-0000.csv:3:a3");
	assert_int_equal(acct_tail_read(f->t, 3, on_line, &f->seen), 3);
	EXPECT(f, "acct-0001.csv:1:b1");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(acct_tail_reads_glob_in_name_order_then_follows),
		T(acct_tail_finishes_older_file_before_newer),
		T(acct_tail_partial_line_held_until_newline),
		T(acct_tail_rename_then_create_finishes_old_inode),
		T(acct_tail_rotated_name_matching_glob_not_read_twice),
		T(acct_tail_older_rotated_copies_do_not_stall_the_live_file),
		T(acct_tail_copies_beyond_the_finished_ring_not_read_again),
		T(acct_tail_copytruncate_restarts_from_zero),
		T(acct_tail_copytruncate_outgrown_before_next_read),
		T(acct_tail_deleted_file_finished_through_open_fd),
		T(acct_tail_file_that_disappears_and_comes_back),
		T(acct_tail_no_match_then_directory_appears_logged_once),
		T(acct_tail_unreadable_directory_is_retried),
		T(acct_tail_unreadable_file_is_passed_over),
		T(acct_tail_too_long_line_reported_once),
		T(acct_tail_start_age_skips_old_files),
		T(acct_tail_budget_bounds_each_call),
		T(acct_tail_small_budgets_finish_old_file_before_new),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
