#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "acct_tail.h"
#include "log.h"

#define TAIL_CHUNK (1u << 20)		/* one read(2) */
#define TAIL_BUDGET_MAX (1u << 30)
#define TAIL_LINE_DEFAULT 65536
#define TAIL_START_AGE_DEFAULT 86400
#define TAIL_DONE_MAX 8			/* finished files remembered */
#define TAIL_FAILED_MAX 64		/* files that could not be opened, remembered */
#define TAIL_MARK 64			/* bytes before the offset compared on growth */

/*
 * A file is known by its inode; size and mtime are kept too, because once a
 * finished file is deleted its inode number may be handed to a new file.
 */
struct file_id {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

struct acct_tail {
	char *pattern;
	size_t max_line;
	int64_t cutoff;		/* files last modified before this are passed over */
	int glob_state;		/* enum glob_state of the last look, to log changes once */
	/*
	 * Files that could not be opened (a mode the dropped user cannot
	 * read): passed over so the files after them are still read, and
	 * tried again once their ctime says the mode or owner changed.
	 */
	struct failed_id {
		dev_t dev;
		ino_t ino;
		struct timespec ctime;
	} failed[TAIL_FAILED_MAX];
	unsigned n_failed, next_failed;

	/* The file being read (fd >= 0), or the last one read (fd < 0). */
	int fd;
	char *path;		/* also the cursor: later files sort after it */
	dev_t dev;
	ino_t ino;
	off_t off;
	uint64_t lineno;
	bool read_error_logged;
	/*
	 * The last bytes read, up to off. copytruncate followed at once by new
	 * lines can leave the file larger than what was read before the agent
	 * looks again, so a size check alone misses it; these bytes, read
	 * again before anything new is read, show whether the content under
	 * the offset is still the one already counted.
	 */
	char mark[TAIL_MARK];
	size_t mark_len;

	struct file_id done[TAIL_DONE_MAX];	/* a ring of finished files */
	unsigned n_done, next_done;
	struct timespec open_mtime;	/* the current (or last) file's mtime when opened */
	bool older_logged;	/* an older file sorting later was reported */

	char *buf;		/* the partial line at the front, then new data */
	size_t have;
	bool skipping;		/* inside a too-long line already reported */
};

struct acct_tail *
acct_tail_new(const char *pattern, const struct acct_tail_opts *o)
{
	struct acct_tail *t = calloc(1, sizeof(*t));
	size_t max_line = o && o->max_line ? o->max_line : TAIL_LINE_DEFAULT;
	unsigned age = o ? o->start_age : TAIL_START_AGE_DEFAULT;
	int64_t now = o && o->now ? o->now : (int64_t)time(NULL);

	if (!t)
		return NULL;
	t->fd = -1;
	t->max_line = max_line;
	t->cutoff = age ? now - (int64_t)age : INT64_MIN;
	t->glob_state = -1;	/* nothing logged yet */
	t->pattern = strdup(pattern);
	/* A partial line is at most max_line + 1 (its CR) bytes: room for it and a chunk. */
	t->buf = malloc(TAIL_CHUNK + max_line + 2);
	if (!t->pattern || !t->buf) {
		acct_tail_free(t);
		return NULL;
	}
	return t;
}

void
acct_tail_free(struct acct_tail *t)
{
	if (!t)
		return;
	if (t->fd >= 0)
		close(t->fd);
	free(t->path);
	free(t->pattern);
	free(t->buf);
	free(t);
}

static bool
is_done(const struct acct_tail *t, const struct stat *sb)
{
	unsigned i;

	for (i = 0; i < t->n_done; i++) {
		const struct file_id *d = &t->done[i];

		if (d->dev == sb->st_dev && d->ino == sb->st_ino && d->size == sb->st_size &&
		    d->mtime.tv_sec == sb->st_mtim.tv_sec && d->mtime.tv_nsec == sb->st_mtim.tv_nsec)
			return true;
	}
	return false;
}

static bool
is_failed(const struct acct_tail *t, const struct stat *sb)
{
	unsigned i;

	for (i = 0; i < t->n_failed; i++) {
		const struct failed_id *f = &t->failed[i];

		if (f->dev == sb->st_dev && f->ino == sb->st_ino &&
		    f->ctime.tv_sec == sb->st_ctim.tv_sec && f->ctime.tv_nsec == sb->st_ctim.tv_nsec)
			return true;
	}
	return false;
}

static void
failed_add(struct acct_tail *t, const struct stat *sb)
{
	struct failed_id *f = &t->failed[t->next_failed];

	f->dev = sb->st_dev;
	f->ino = sb->st_ino;
	f->ctime = sb->st_ctim;
	t->next_failed = (t->next_failed + 1) % TAIL_FAILED_MAX;
	if (t->n_failed < TAIL_FAILED_MAX)
		t->n_failed++;
}

/* What glob(3) found, for logging each change once. */
enum glob_state { GS_FOUND, GS_NO_MATCH, GS_UNREADABLE, GS_NO_MEMORY };

/* glob(3)'s error callback has no argument: the first error of this thread's call. */
static _Thread_local int glob_errno;

static int
glob_error(const char *path, int err)
{
	(void)path;
	if (!glob_errno && err != ENOENT && err != ENOTDIR)
		glob_errno = err;
	return 0;	/* go on with the other directories */
}

static void
glob_state_log(struct acct_tail *t, int rc)
{
	enum glob_state s;

	if (rc == 0)
		s = GS_FOUND;
	else if (rc == GLOB_NOSPACE)
		s = GS_NO_MEMORY;
	else if (glob_errno)
		s = GS_UNREADABLE;
	else
		s = GS_NO_MATCH;
	if ((int)s == t->glob_state)
		return;
	t->glob_state = (int)s;
	switch (s) {
	case GS_FOUND:
		log_info("accounting files %s: files found", t->pattern);
		break;
	case GS_NO_MATCH:
		log_info("accounting files %s: no file matches (yet)", t->pattern);
		break;
	case GS_UNREADABLE:
		log_emit(LOG_WARNING, glob_errno, "accounting files %s: cannot read the directory",
		    t->pattern);
		break;
	case GS_NO_MEMORY:
		log_warnx("accounting files %s: out of memory listing files", t->pattern);
		break;
	}
}

static bool
mtime_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/*
 * The file to read after the current (or last) one: the first match in name
 * order that is the current name with another inode (re-created) or a later
 * name, a regular file, neither the open file nor a finished one, modified
 * since the start cutoff, not older than the current file was when it was
 * opened, and, when need_data, not empty (so the writer has moved to it).
 * Returns a malloc'd path, or NULL.
 *
 * The mtime test is for a glob that also takes in logrotate's copies of a
 * fixed name (acct.csv* with acct.csv.1): their names sort after the live
 * file's, so without it the reader would move on to them and, its name
 * cursor past the live file, never come back to it. It compares with the
 * mtime at opening, not the current one, because a writer may still add to
 * the old file after its first lines in the new one, which is then newer.
 */
static char *
successor_find(struct acct_tail *t, bool need_data)
{
	glob_t g;
	char *found = NULL;
	size_t i;
	int rc;

	glob_errno = 0;
	rc = glob(t->pattern, 0, glob_error, &g);
	glob_state_log(t, rc);
	if (rc != 0) {
		globfree(&g);	/* glibc leaves a partial list on GLOB_NOSPACE */
		return NULL;
	}
	for (i = 0; i < g.gl_pathc && !found; i++) {	/* glob(3) sorts by name */
		const char *p = g.gl_pathv[i];
		struct stat sb;

		if (t->path && strcmp(p, t->path) < 0)
			continue;
		if (stat(p, &sb) < 0 || !S_ISREG(sb.st_mode))
			continue;
		if (t->fd >= 0 && sb.st_dev == t->dev && sb.st_ino == t->ino)
			continue;
		if (is_done(t, &sb) || is_failed(t, &sb) || (int64_t)sb.st_mtime < t->cutoff)
			continue;
		if (need_data && sb.st_size == 0)
			continue;
		if (t->path && mtime_before(&sb.st_mtim, &t->open_mtime)) {
			if (!t->older_logged)
				log_warnx("accounting files %s: %s sorts after %s but is "
				    "older than it: passed over (rotated copies in the glob? name the live "
				    "file alone)", t->pattern, p, t->path);
			t->older_logged = true;
			continue;
		}
		found = strdup(p);
	}
	globfree(&g);
	return found;
}

/* The rest of a file that is being left: its last line lacks a newline but is one. */
static void
partial_flush(struct acct_tail *t, acct_tail_line_cb_t cb, void *arg)
{
	if (t->have && !t->skipping) {
		size_t len = t->have - (t->buf[t->have - 1] == '\r');

		t->lineno++;
		cb(arg, t->path, t->lineno, t->buf, len, 0);
	}
	t->have = 0;
	t->skipping = false;
}

/* Closes the current file, remembered as finished so no glob match re-reads it. */
static void
current_finish(struct acct_tail *t, acct_tail_line_cb_t cb, void *arg)
{
	struct stat sb;

	partial_flush(t, cb, arg);
	if (fstat(t->fd, &sb) == 0) {
		struct file_id *d = &t->done[t->next_done];

		d->dev = sb.st_dev;
		d->ino = sb.st_ino;
		d->size = sb.st_size;
		d->mtime = sb.st_mtim;
		t->next_done = (t->next_done + 1) % TAIL_DONE_MAX;
		if (t->n_done < TAIL_DONE_MAX)
			t->n_done++;
	}
	close(t->fd);
	t->fd = -1;
}

/*
 * Opens path from its start as the current file; -1 if it cannot be, logged
 * and remembered so that the next look passes over it.
 */
static int
current_open(struct acct_tail *t, char *path)
{
	struct stat sb;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &sb) < 0) {
		int err = errno;

		if (fd >= 0)
			close(fd);
		if (stat(path, &sb) == 0) {
			log_warnx("accounting file %s: %s; reading the files after it",
			    path, strerror(err));
			failed_add(t, &sb);
		}
		free(path);
		return -1;
	}
	log_info("accounting file %s: reading from the start", path);
	free(t->path);
	t->path = path;
	t->fd = fd;
	t->dev = sb.st_dev;
	t->ino = sb.st_ino;
	t->open_mtime = sb.st_mtim;
	t->off = 0;
	t->lineno = 0;
	t->have = 0;
	t->skipping = false;
	t->read_error_logged = false;
	t->mark_len = 0;
	return 0;
}

/*
 * Opens the next file to read. A file that cannot be opened is passed over,
 * so one bad mode never stops the reading of the files after it; the bound
 * only keeps a directory full of them from holding the thread.
 */
static int
successor_open(struct acct_tail *t, bool need_data)
{
	unsigned tries;

	for (tries = 0; tries < TAIL_FAILED_MAX; tries++) {
		char *next = successor_find(t, need_data);

		if (!next)
			return -1;
		if (current_open(t, next) == 0)
			return 0;
	}
	return -1;
}

/*
 * Hands out the complete lines in buf and keeps the partial one at the
 * front. A partial line that cannot fit max_line any more is reported as too
 * long at once and dropped up to its newline, so the buffer stays bounded.
 */
static void
lines_split(struct acct_tail *t, acct_tail_line_cb_t cb, void *arg)
{
	char *p = t->buf, *end = t->buf + t->have, *nl;
	size_t rest;

	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		size_t len = (size_t)(nl - p);

		t->lineno++;
		if (t->skipping) {
			t->skipping = false;	/* the end of a line already reported */
		} else {
			if (len && p[len - 1] == '\r')
				len--;
			if (len > t->max_line)
				cb(arg, t->path, t->lineno, p, 0, 1);
			else
				cb(arg, t->path, t->lineno, p, len, 0);
		}
		p = nl + 1;
	}
	rest = (size_t)(end - p);
	if (!t->skipping && rest > t->max_line + 1) {
		cb(arg, t->path, t->lineno + 1, p, 0, 1);
		t->skipping = true;
	}
	if (t->skipping) {
		t->have = 0;
		return;
	}
	memmove(t->buf, p, rest);
	t->have = rest;
}

/* Keeps the last TAIL_MARK bytes read: the n just read follow the older ones. */
static void
mark_update(struct acct_tail *t, const char *p, size_t n)
{
	if (n >= TAIL_MARK) {
		memcpy(t->mark, p + n - TAIL_MARK, TAIL_MARK);
		t->mark_len = TAIL_MARK;
		return;
	}
	if (t->mark_len + n > TAIL_MARK) {
		size_t drop = t->mark_len + n - TAIL_MARK;

		memmove(t->mark, t->mark + drop, t->mark_len - drop);
		t->mark_len -= drop;
	}
	memcpy(t->mark + t->mark_len, p, n);
	t->mark_len += n;
}

/* Whether the bytes just before off are still the ones read there. */
static bool
mark_holds(struct acct_tail *t)
{
	char now[TAIL_MARK];
	ssize_t n;

	if (t->mark_len == 0 || (off_t)t->mark_len > t->off)
		return true;
	do
		n = pread(t->fd, now, t->mark_len, t->off - (off_t)t->mark_len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return true;	/* the read that follows reports the error */
	return (size_t)n == t->mark_len && memcmp(now, t->mark, t->mark_len) == 0;
}

/*
 * copytruncate: the file was emptied (and maybe written again) under us.
 * Seen by its size dropping below what was read, or, when it has grown past
 * that again already, by the bytes under the offset having changed.
 */
static void
truncation_check(struct acct_tail *t)
{
	struct stat sb;

	if (fstat(t->fd, &sb) < 0 || sb.st_size == t->off)
		return;
	if (sb.st_size > t->off && mark_holds(t))
		return;
	log_notice("accounting file %s was truncated; reading it again from the start",
	    t->path);
	if (lseek(t->fd, 0, SEEK_SET) < 0)
		return;
	t->off = 0;
	t->lineno = 0;
	t->have = 0;	/* the partial line's start went with the old content */
	t->skipping = false;
	t->mark_len = 0;
}

/* One read(2) of at most max bytes into the buffer, lines handed out. */
static ssize_t
chunk_read(struct acct_tail *t, size_t max, acct_tail_line_cb_t cb, void *arg)
{
	ssize_t n;

	if (max > TAIL_CHUNK)
		max = TAIL_CHUNK;
	do
		n = read(t->fd, t->buf + t->have, max);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		mark_update(t, t->buf + t->have, (size_t)n);
		t->off += n;
		t->have += (size_t)n;
		lines_split(t, cb, arg);
	} else if (n < 0 && !t->read_error_logged) {
		log_warn("accounting file %s", t->path);
		t->read_error_logged = true;
	}
	return n;
}

int
acct_tail_read(struct acct_tail *t, size_t budget, acct_tail_line_cb_t cb, void *arg)
{
	size_t total = 0;

	if (budget == 0)
		budget = TAIL_CHUNK;
	if (budget > TAIL_BUDGET_MAX)
		budget = TAIL_BUDGET_MAX;
	for (;;) {
		ssize_t n;
		char *next;

		if (t->fd < 0 && successor_open(t, false) < 0)
			return (int)total;
		truncation_check(t);
		if (total >= budget)
			return (int)total;
		n = chunk_read(t, budget - total, cb, arg);
		if (n > 0) {
			total += (size_t)n;
			continue;
		}
		if (n < 0)
			return total ? (int)total : -1;

		/*
		 * At the end of the file for now. The writer has moved on when a
		 * successor has data: then whatever it wrote here before moving
		 * is in the file already, so read once more, and switch when
		 * that finds nothing.
		 */
		next = successor_find(t, true);
		if (!next) {
			struct stat sb;

			/* Deleted and fully read: nobody will write to it again. */
			if (fstat(t->fd, &sb) == 0 && sb.st_nlink == 0)
				current_finish(t, cb, arg);
			return (int)total;
		}
		n = chunk_read(t, budget - total, cb, arg);
		if (n != 0) {
			free(next);
			if (n < 0)
				return total ? (int)total : -1;
			total += (size_t)n;
			continue;
		}
		current_finish(t, cb, arg);
		if (current_open(t, next) < 0 && successor_open(t, false) < 0)
			return (int)total;
	}
}
