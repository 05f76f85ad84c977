/*
 * What the PowerMTA HTTP monitor tells us, as plain C values.
 *
 * These structs are the contract between the XML page parsers (bytes in,
 * structs out, no I/O) and the snapshot/MIB side. Every field is optional on
 * the wire: a missing element leaves 0 or "" and clears its bit in `have`
 * where the MIB distinguishes "absent" from "zero".
 */
#ifndef PMTA_MODEL_H
#define PMTA_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PMTA_NAME_MAX 256	/* names longer than this are cut: an input cap */
#define PMTA_TEXT_MAX 256	/* free text such as the last queue error */

/* Bits of pmta_status.have */
#define PMTA_HAVE_VERSION   0x0001u
#define PMTA_HAVE_HOSTNAME  0x0002u
#define PMTA_HAVE_STATE     0x0004u
#define PMTA_HAVE_TIMES     0x0008u	/* both timeNow and startupTime */
#define PMTA_HAVE_TRAFFIC   0x0010u
#define PMTA_HAVE_CONN      0x0020u
#define PMTA_HAVE_QUEUE     0x0040u
#define PMTA_HAVE_SPOOL     0x0080u
#define PMTA_HAVE_RESOLVER  0x0100u

/* GET /status?format=xml */
struct pmta_status {
	unsigned have;
	char version[64];		/* mta/product/version, "5.0r1" */
	char host_name[PMTA_NAME_MAX];	/* mta/fullHostName */
	char state[32];			/* status/status, else derived from shuttingDown */
	/*
	 * PowerMTA prints local wall-clock times without a zone. Both are
	 * parsed as if UTC, so only their difference (uptime) and their
	 * difference to other PowerMTA times (queue retry) are meaningful.
	 */
	int64_t time_now;
	int64_t startup_time;
	/* traffic/total; kb values are decimals on the wire, truncated here */
	uint64_t in_rcpt, in_msg, in_kb;
	uint64_t out_rcpt, out_msg, out_kb;
	uint64_t last_hr_in_rcpt, last_hr_out_rcpt;
	uint64_t last_min_in_rcpt, last_min_out_rcpt;
	/* conn/smtpIn and conn/smtpOut */
	uint64_t conn_in_cur, conn_in_max, conn_in_top;
	uint64_t conn_out_cur, conn_out_max, conn_out_top;
	/* queue/<every kind>: summed over smtp, pipe, discard, file, alias, ... */
	uint64_t queued_rcpt, queued_domains, queued_kb;
	/* spool */
	uint64_t spool_files_in_use, spool_files_total;
	uint64_t spool_rcpt, spool_max_rcpt;
	/* resolver */
	uint64_t resolver_pending;
};

enum pmta_queue_mode {
	PMTA_QUEUE_MODE_NORMAL = 1,
	PMTA_QUEUE_MODE_BACKOFF = 2,
	PMTA_QUEUE_MODE_OTHER = 3,
};

/* One rsp/data/queue element of GET /queues?format=xml */
struct pmta_queue {
	char name[PMTA_NAME_MAX];	/* "domain/vmta", as PowerMTA gives it */
	char domain[PMTA_NAME_MAX];	/* part before the last '/' */
	char vmta[PMTA_NAME_MAX];	/* part after the last '/' ("" if none) */
	uint64_t rcpt, kb, conn;
	bool paused;
	enum pmta_queue_mode mode;
	int64_t retry_time;		/* PowerMTA local time as if UTC; 0 = none */
	char last_error[PMTA_TEXT_MAX];	/* text of the newest event, "" if none */
	/* Filled in by queue_backoff_update(), not parsed: */
	uint64_t backoff_entries;	/* entries into backoff seen since the agent started */
	uint64_t backoff_secs;		/* seconds in backoff, counted at each poll */
	/* Not on this poll's page: a queue the tracker still remembers, added
	 * after the listed ones so that its backoff counts stay published
	 * (queue_backoff_unlisted()); only its name and counts are current. */
	bool unlisted;
};

/* One entry of /domains (element "domain"), /vmtas ("vmta") or /jobs ("job") */
struct pmta_item {
	char name[PMTA_NAME_MAX];	/* <name>, or <id> for jobs */
	uint64_t rcpt, kb, conn;
};

#endif
