/*
 * Following PowerMTA's accounting files through every kind of rotation:
 * a glob read in name order (the older file finished before the newer),
 * a fixed name renamed and re-created (a new inode), copytruncate (the
 * size drops below what was read), a file deleted while read (finished
 * through the open descriptor). Lines are handed out whole: a partial last
 * line waits for its newline. An opaque object, in the manner of collectd's
 * utils/tail.
 */
#ifndef PMTA_ACCT_TAIL_H
#define PMTA_ACCT_TAIL_H

#include <stddef.h>
#include <stdint.h>

struct acct_tail_opts {
	size_t max_line;	/* longer lines are reported as too long (65536) */
	unsigned start_age;	/* at start, files modified longer ago are skipped (86400) */
	int64_t now;		/* wall clock for start_age; 0: time(NULL) */
};

/* file, line number (1-based, per file), the line without CR/LF. */
typedef void (*acct_line_fn)(void *arg, const char *file, uint64_t lineno, const char *line,
			     size_t len, int too_long);

struct acct_tail;

struct acct_tail *acct_tail_new(const char *glob, const struct acct_tail_opts *o);
void acct_tail_free(struct acct_tail *t);

/*
 * Reads what is there now, at most about budget bytes, calling cb for each
 * complete line. Returns the bytes consumed (0 when idle).
 */
long acct_tail_read(struct acct_tail *t, size_t budget, acct_line_fn cb, void *arg);

#endif
