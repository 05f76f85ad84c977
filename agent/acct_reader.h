/*
 * One instance's accounting input: the tailer, the header of the file being
 * read, the record parser, and the counts the MIB publishes. Records go to
 * a callback (the statistics). Runs on the collector thread.
 */
#ifndef PMTA_ACCT_READER_H
#define PMTA_ACCT_READER_H

#include <stddef.h>
#include <stdint.h>

#include "acct_record.h"
#include "acct_tail.h"

typedef void (*acct_record_fn)(void *arg, const struct acct_record *r);

struct acct_reader;

struct acct_reader *acct_reader_new(const char *instance, const char *glob,
				    const struct acct_tail_opts *o, acct_record_fn cb, void *arg);
void acct_reader_free(struct acct_reader *r);

/* Reads up to about budget bytes; returns the bytes read (0 when idle). */
long acct_reader_poll(struct acct_reader *r, size_t budget);

uint64_t acct_reader_records(const struct acct_reader *r);	/* well-formed, every type */
uint64_t acct_reader_malformed(const struct acct_reader *r);
int64_t acct_reader_last_record_time(const struct acct_reader *r);	/* wall clock of the last read, 0 none */

/* The clock used to rate-limit the malformed-line log (tests replace it). */
int64_t acct_reader_clock(void);

#endif
