/*
 * One instance's accounting input: the tailer, the header in force for the
 * file being read, the record parser, and the counts the MIB publishes.
 * Records go to a callback (the statistics). Runs on the collector thread;
 * an acct_reader is used by one thread at a time.
 */
#ifndef PMTA_ACCT_READER_H
#define PMTA_ACCT_READER_H

#include <stddef.h>
#include <stdint.h>

#include "acct_record.h"
#include "acct_tail.h"

/* One well-formed record; its fields are valid only during the call. */
typedef void (*acct_record_cb)(void *arg, const struct acct_record *rec);

struct acct_reader;

/*
 * A reader of the files matching glob for the instance named instance (used
 * in log lines); o as for acct_tail_new(). Nothing is read yet. NULL on no
 * memory.
 */
struct acct_reader *acct_reader_new(const char *instance, const char *glob,
				    const struct acct_tail_opts *o, acct_record_cb cb, void *arg);
void acct_reader_free(struct acct_reader *r);

/*
 * Reads and parses up to about byte_budget bytes (see acct_tail_read()),
 * calling cb for each well-formed record. Header lines, at any position,
 * set the column mapping for the rest of their file; data lines before any
 * header of their file, and malformed lines, are counted and skipped, and
 * logged at most once a minute (with file, line and reason, and how many
 * were not logged since). Blank lines are skipped. Returns the bytes read
 * (0: idle), or -1 on a read error.
 */
int acct_reader_poll(struct acct_reader *r, size_t byte_budget);

uint64_t acct_reader_records(const struct acct_reader *r);	/* well-formed, every type */
uint64_t acct_reader_malformed(const struct acct_reader *r);
/* Wall clock (Unix seconds) when the last record was read; 0: none yet. */
int64_t acct_reader_last_record_time(const struct acct_reader *r);

#endif
