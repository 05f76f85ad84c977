/*
 * One accounting record, as the CSV parser hands it to the statistics.
 *
 * Fields are views into the caller's line buffer (not NUL-terminated) and
 * are valid only until the next line is parsed: the statistics copy what
 * they keep. A column missing from the file's header gives len == 0.
 */
#ifndef ACCT_RECORD_H
#define ACCT_RECORD_H

#include <stddef.h>
#include <stdint.h>

struct acct_field {
	const char *p;
	size_t len;
};

struct acct_record {
	struct acct_field type;		/* "d", "b", "t", "tq", "rb", ... never empty */
	int64_t time_logged;		/* Unix seconds (UTC), always valid */
	int64_t time_queued;		/* Unix seconds (UTC); 0 when absent or unparsable */
	struct acct_field rcpt;		/* recipient address */
	struct acct_field orig;		/* originator (envelope sender) */
	struct acct_field env_id;	/* envId */
	struct acct_field bounce_cat;	/* bounceCat */
	struct acct_field dsn_status;	/* "5.7.1 (delivery not authorized)" */
	struct acct_field dsn_diag;	/* "smtp;554 5.7.1 Denied ..." */
	struct acct_field vmta;		/* vmta */
	struct acct_field job_id;	/* jobId */
	struct acct_field queue;	/* "domain/vmta" */
	struct acct_field feedback_type;	/* f records: ARF Feedback-Type ("abuse", ...) */
};

#endif
