/*
 * Following PowerMTA's accounting files through every kind of rotation, in
 * the manner of collectd's utils/tail but for a glob:
 *  - files are read in name order (PowerMTA names them acct-DATE-SEQ.csv),
 *    and the older file is finished before the newer one is opened;
 *  - a fixed name renamed then re-created (a new inode under the name) and
 *    copytruncate (the size drops below what was read) are followed too;
 *  - a file deleted or renamed while read is finished through the open
 *    descriptor.
 * Lines are handed out whole: a partial last line waits for its newline.
 */
#ifndef PMTA_ACCT_TAIL_H
#define PMTA_ACCT_TAIL_H

#include <stddef.h>
#include <stdint.h>

struct acct_tail_opts {
	size_t max_line;	/* longer lines are reported as too long; 0: 65536 */
	unsigned start_age;	/* files last modified longer ago than this at start are
				 * passed over (86400); 0: no limit */
	int64_t now;		/* the wall clock at start, for start_age; 0: time(NULL) */
};

/*
 * One complete line of file (the name it was opened under), numbered from 1
 * per file, without its LF or CR. too_long: the line was longer than
 * max_line; it is reported once, with len 0, and its bytes are dropped.
 */
typedef void (*acct_tail_line_cb_t)(void *arg, const char *file, uint64_t lineno,
				    const char *line, size_t len, int too_long);

struct acct_tail;

/*
 * A tailer of the files matching glob (glob(3) syntax); o NULL gives the
 * defaults. Nothing is opened yet. NULL on no memory.
 */
struct acct_tail *acct_tail_new(const char *glob, const struct acct_tail_opts *o);
void acct_tail_free(struct acct_tail *t);

/*
 * Reads what is there now, at most budget bytes (0: 1 MiB; capped at 1 GiB),
 * calling cb for each complete line, and moves on to the next file when the
 * current one is finished (its successor has data). Returns the bytes
 * consumed (0: idle, nothing new), or -1 when reading failed before
 * anything was consumed (logged; the next call retries). A glob that matches
 * nothing or an unreadable directory is no error: it is looked at again on
 * the next call, and logged once per change.
 */
int acct_tail_read(struct acct_tail *t, size_t budget, acct_tail_line_cb_t cb, void *arg);

#endif
