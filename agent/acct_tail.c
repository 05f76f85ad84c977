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

#define TAIL_CHUNK (1u << 20)

struct acct_tail {
	char *pattern;
	struct acct_tail_opts o;
	bool started;		/* the start-age rule applies to the first look only */
	int glob_state;		/* last glob outcome, to log changes once */

	/* the file being read */
	int fd;
	char *path;
	dev_t dev;
	ino_t ino;
	off_t off;
	uint64_t lineno;

	char *buf;		/* partial line at the front, then new data */
	size_t have;
	bool skipping;		/* inside a line that was too long */
};

struct acct_tail *
acct_tail_new(const char *pattern, const struct acct_tail_opts *o)
{
	struct acct_tail *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->o = *o;
	if (!t->o.max_line)
		t->o.max_line = 65536;
	t->fd = -1;
	t->pattern = strdup(pattern);
	t->buf = malloc(TAIL_CHUNK + t->o.max_line + 1);
	if (!t->pattern || !t->buf) {
		acct_tail_free(t);
		return NULL;
	}
	return t;
}

static void
close_current(struct acct_tail *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	t->have = 0;
	t->skipping = false;
	t->lineno = 0;
	t->off = 0;
}

void
acct_tail_free(struct acct_tail *t)
{
	if (!t)
		return;
	close_current(t);
	free(t->path);
	free(t->pattern);
	free(t->buf);
	free(t);
}

static int
open_file(struct acct_tail *t, const char *path)
{
	struct stat sb;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		log_msg(LOG_WARNING, "accounting file %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) < 0) {
		close(fd);
		return -1;
	}
	close_current(t);
	if (!t->path || strcmp(t->path, path) != 0) {
		char *p = strdup(path);

		if (!p) {
			close(fd);
			return -1;
		}
		free(t->path);
		t->path = p;
	}
	t->fd = fd;
	t->dev = sb.st_dev;
	t->ino = sb.st_ino;
	return 0;
}

/*
 * The next file to read: the first match named after the current one; at
 * start, the first one modified within start_age. NULL if none.
 */
static char *
next_file(struct acct_tail *t)
{
	glob_t g;
	int rc = glob(t->pattern, GLOB_ERR, NULL, &g);
	char *found = NULL;
	size_t i;
	int64_t now = t->o.now ? t->o.now : (int64_t)time(NULL);

	if (rc != t->glob_state) {
		if (rc == GLOB_ABORTED)
			log_msg(LOG_WARNING, "accounting files %s: cannot read the directory", t->pattern);
		else if (rc == GLOB_NOMATCH)
			log_msg(LOG_INFO, "accounting files %s: no file yet", t->pattern);
		t->glob_state = rc;
	}
	if (rc != 0)
		return NULL;
	for (i = 0; i < g.gl_pathc && !found; i++) {	/* glob sorts by name */
		const char *p = g.gl_pathv[i];
		struct stat sb;

		if (t->path && strcmp(p, t->path) <= 0)
			continue;
		if (stat(p, &sb) < 0 || !S_ISREG(sb.st_mode))
			continue;
		if (!t->started && t->o.start_age && now - (int64_t)sb.st_mtime > (int64_t)t->o.start_age)
			continue;
		found = strdup(p);
	}
	globfree(&g);
	return found;
}

/* Hands out the complete lines in buf; keeps the partial one at the front. */
static void
split_lines(struct acct_tail *t, acct_line_fn cb, void *arg)
{
	char *p = t->buf, *end = t->buf + t->have;

	for (;;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len;

		if (!nl)
			break;
		len = (size_t)(nl - p);
		t->lineno++;
		if (t->skipping) {
			t->skipping = false;	/* the end of a line already reported */
		} else {
			if (len && p[len - 1] == '\r')
				len--;
			if (len > t->o.max_line)
				cb(arg, t->path, t->lineno, p, 0, 1);
			else
				cb(arg, t->path, t->lineno, p, len, 0);
		}
		p = nl + 1;
	}
	t->have = (size_t)(end - p);
	if (t->have > t->o.max_line && !t->skipping) {
		/* Too long with no end in sight: report it now, drop it up to its newline. */
		cb(arg, t->path, t->lineno + 1, p, 0, 1);
		t->skipping = true;
	}
	if (t->skipping) {
		t->have = 0;
		return;
	}
	memmove(t->buf, p, t->have);
}

/* The rest of a file that is being left: a last line without its newline too. */
static void
flush_partial(struct acct_tail *t, acct_line_fn cb, void *arg)
{
	if (t->have && !t->skipping) {
		t->lineno++;
		cb(arg, t->path, t->lineno, t->buf, t->have - (t->buf[t->have - 1] == '\r'), 0);
	}
	t->have = 0;
}

long
acct_tail_read(struct acct_tail *t, size_t budget, acct_line_fn cb, void *arg)
{
	long total = 0;

	for (;;) {
		struct stat sb, now;
		ssize_t n;
		char *next;

		if (t->fd < 0) {
			/* Nothing open: the next file, or the same name come back. */
			next = next_file(t);
			if (!next && t->path && stat(t->path, &now) == 0 &&
			    (now.st_ino != t->ino || now.st_dev != t->dev))
				next = strdup(t->path);
			t->started = true;
			if (!next)
				return total;
			if (open_file(t, next) < 0) {
				free(next);
				return total;
			}
			free(next);
		}
		if (fstat(t->fd, &sb) == 0 && sb.st_size < t->off) {
			/* copytruncate: the file was emptied under us; start it again. */
			log_msg(LOG_NOTICE, "accounting file %s was truncated; reading it from the start",
			    t->path);
			lseek(t->fd, 0, SEEK_SET);
			t->off = 0;
			t->lineno = 0;
			t->have = 0;
			t->skipping = false;
		}
		if ((size_t)total >= budget)
			return total;
		n = read(t->fd, t->buf + t->have, TAIL_CHUNK);
		if (n > 0) {
			t->off += n;
			t->have += (size_t)n;
			total += n;
			split_lines(t, cb, arg);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		/* End of this file for now: has the writer moved on? */
		if (stat(t->path, &now) == 0 && (now.st_ino != t->ino || now.st_dev != t->dev)) {
			/* Renamed and re-created under the same name. */
			flush_partial(t, cb, arg);
			if (open_file(t, t->path) < 0)
				return total;
			continue;
		}
		next = next_file(t);
		if (!next)
			return total;
		flush_partial(t, cb, arg);
		if (open_file(t, next) < 0) {
			free(next);
			return total;
		}
		free(next);
	}
}
