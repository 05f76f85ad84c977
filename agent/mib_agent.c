#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>
#include <net-snmp/agent/agent_callbacks.h>

#include "base.h"
#include "log.h"
#include "mib_agent.h"
#include "mib_lookup.h"
#include "mib_oids.h"
#include "mib_time.h"

/* One value, whatever its SNMP type. */
struct mib_val {
	u_char type;
	uint64_t u;
	int64_t i;
	const char *s;
	size_t len;		/* of bin, for binary strings (DateAndTime); 0: s */
	uint8_t bin[MIB_DATE_AND_TIME_LEN];
};

typedef void (*mib_value_fn)(const struct mib_state *st, const struct snap_instance *si,
			     const struct mib_row *row, unsigned col, struct mib_val *v);

struct mib_table {
	const char *name;
	oid oid[MAX_OID_LEN];
	size_t oid_len;
	struct mib_lookup_table lk;	/* columns and rows */
	mib_value_fn value;
	u_char index_types[4];
	netsnmp_handler_registration *reg;
};

static struct mib_state *state;

static void
set_u(struct mib_val *v, u_char type, uint64_t u)
{
	v->type = type;
	v->u = type == ASN_COUNTER64 ? u : base_sat32(u);
}

static void
set_s(struct mib_val *v, const char *s)
{
	v->type = ASN_OCTET_STR;
	v->s = s ? s : "";
}

/* A DateAndTime; a time it cannot encode (a clock before 1970) gives 1970-01-01. */
static void
set_date(struct mib_val *v, int64_t wall_ms)
{
	v->type = ASN_OCTET_STR;
	v->len = mib_time_date_and_time(wall_ms, v->bin);
	if (!v->len)
		v->len = mib_time_date_and_time(0, v->bin);
}

/* A TimeStamp on the master's sysUpTime of an event at event_ms (0: never). */
static void
set_stamp(const struct mib_state *st, struct mib_val *v, int64_t event_ms)
{
	v->type = ASN_TIMETICKS;
	v->u = st->master_origin_ms ? mib_time_stamp(event_ms, st->master_origin_ms) : 0;
}

/* --- rows of each table ------------------------------------------------ */

static const struct mib_rows *
rows_instance(const struct mib_state *st, const struct snap_instance *si)
{
	/* One row per instance, with no index after pmtaInstanceIndex. */
	static const struct mib_row row = { .data = NULL, .off = 0, .idx_len = 0 };
	static const struct mib_rows one = { .n = 1, .row = (struct mib_row *)&row };

	(void)st;
	(void)si;
	return &one;
}

#define ROWS_FN(fn, which) \
	static const struct mib_rows *fn(const struct mib_state *st, \
					 const struct snap_instance *si) \
	{ (void)st; return &si->tab[which].idx; }

ROWS_FN(rows_conn, SNAP_CONN)
ROWS_FN(rows_queue, SNAP_QUEUE)
ROWS_FN(rows_domain, SNAP_DOMAIN)
ROWS_FN(rows_vmta, SNAP_VMTA)
ROWS_FN(rows_job, SNAP_JOB)
ROWS_FN(rows_bounce, SNAP_BOUNCE)
ROWS_FN(rows_deferral, SNAP_DEFERRAL)
ROWS_FN(rows_rejection, SNAP_REJECTION)
ROWS_FN(rows_complaint, SNAP_COMPLAINT)
ROWS_FN(rows_latency, SNAP_LATENCY)

static const struct mib_rows *
rows_threshold(const struct mib_state *st, const struct snap_instance *si)
{
	(void)si;
	return &st->thresholds.idx;
}

static const struct mib_rows *
rows_alarm(const struct mib_state *st, const struct snap_instance *si)
{
	(void)si;
	return &st->alarms.idx;
}

/* --- values ------------------------------------------------------------ */

static uint64_t
age_since_mono(int64_t then)
{
	int64_t now = mono_now();

	return then && now > then ? (uint64_t)(now - then) : 0;
}

static void
value_instance(const struct mib_state *st, const struct snap_instance *si,
	       const struct mib_row *row, unsigned col, struct mib_val *v)
{
	const struct pmta_result *a = si->api;
	const struct pmta_status *s = &a->st;

	(void)row;
	switch (col) {
	case PMTA_INSTANCE_NAME: set_s(v, si->name); return;
	case PMTA_INSTANCE_API_URL: set_s(v, si->public_url); return;
	case PMTA_INSTANCE_API_STATUS: v->type = ASN_INTEGER; v->i = a->status; return;
	case PMTA_INSTANCE_API_LAST_ERROR: set_s(v, a->last_error); return;
	case PMTA_INSTANCE_API_LAST_SUCCESS_AGE:
		v->type = ASN_INTEGER;
		v->i = a->last_success ? (int64_t)age_since_mono(a->last_success) : -1;
		return;
	case PMTA_INSTANCE_API_POLLS: set_u(v, ASN_COUNTER64, a->polls); return;
	case PMTA_INSTANCE_API_FAILURES: set_u(v, ASN_COUNTER64, a->failures); return;
	case PMTA_INSTANCE_VERSION: set_s(v, s->version); return;
	case PMTA_INSTANCE_HOST_NAME: set_s(v, s->host_name); return;
	case PMTA_INSTANCE_STATE: set_s(v, s->state); return;
	case PMTA_INSTANCE_UPTIME:
		/* PowerMTA's own clock at the poll, plus the time since the poll. */
		set_u(v, ASN_UNSIGNED, (s->have & PMTA_HAVE_TIMES) && s->time_now > s->startup_time ?
		    (uint64_t)(s->time_now - s->startup_time) + age_since_mono(a->st_at) : 0);
		return;
	case PMTA_INSTANCE_DISCONTINUITY_TIME:
		/* Whole seconds: the same value at every read in one AgentX session. */
		set_stamp(st, v, a->discontinuity * 1000);
		return;
	case PMTA_INSTANCE_IN_RCPT: set_u(v, ASN_COUNTER64, s->in_rcpt); return;
	case PMTA_INSTANCE_IN_MSG: set_u(v, ASN_COUNTER64, s->in_msg); return;
	case PMTA_INSTANCE_IN_KBYTES: set_u(v, ASN_COUNTER64, s->in_kb); return;
	case PMTA_INSTANCE_OUT_RCPT: set_u(v, ASN_COUNTER64, s->out_rcpt); return;
	case PMTA_INSTANCE_OUT_MSG: set_u(v, ASN_COUNTER64, s->out_msg); return;
	case PMTA_INSTANCE_OUT_KBYTES: set_u(v, ASN_COUNTER64, s->out_kb); return;
	case PMTA_INSTANCE_LAST_HOUR_IN_RCPT: set_u(v, ASN_GAUGE, s->last_hr_in_rcpt); return;
	case PMTA_INSTANCE_LAST_HOUR_OUT_RCPT: set_u(v, ASN_GAUGE, s->last_hr_out_rcpt); return;
	case PMTA_INSTANCE_LAST_MIN_IN_RCPT: set_u(v, ASN_GAUGE, s->last_min_in_rcpt); return;
	case PMTA_INSTANCE_LAST_MIN_OUT_RCPT: set_u(v, ASN_GAUGE, s->last_min_out_rcpt); return;
	case PMTA_INSTANCE_QUEUED_RCPT: set_u(v, ASN_GAUGE, s->queued_rcpt); return;
	case PMTA_INSTANCE_QUEUED_DOMAINS: set_u(v, ASN_GAUGE, s->queued_domains); return;
	case PMTA_INSTANCE_QUEUED_KBYTES: set_u(v, ASN_GAUGE, s->queued_kb); return;
	case PMTA_INSTANCE_SPOOL_FILES_IN_USE: set_u(v, ASN_GAUGE, s->spool_files_in_use); return;
	case PMTA_INSTANCE_SPOOL_FILES_TOTAL: set_u(v, ASN_GAUGE, s->spool_files_total); return;
	case PMTA_INSTANCE_SPOOL_RCPT: set_u(v, ASN_GAUGE, s->spool_rcpt); return;
	case PMTA_INSTANCE_SPOOL_MAX_RCPT: set_u(v, ASN_GAUGE, s->spool_max_rcpt); return;
	case PMTA_INSTANCE_RESOLVER_PENDING: set_u(v, ASN_GAUGE, s->resolver_pending); return;
	case PMTA_INSTANCE_COUNTER_RESET_TIME: {
		/* The latest of the agent's start, this instance's and PowerMTA's. */
		int64_t t = st->counters_wall_ms;

		if (si->counters_wall_ms > t)
			t = si->counters_wall_ms;
		if (a->reset_wall * 1000 > t)
			t = a->reset_wall * 1000;
		set_date(v, t);
		return;
	}
	case PMTA_INSTANCE_PENDING_RCPT: set_u(v, ASN_GAUGE, si->pending); return;
	case PMTA_INSTANCE_PENDING_GIVEN_UP: set_u(v, ASN_COUNTER64, si->pending_given_up); return;
	case PMTA_INSTANCE_PENDING_MAX: set_u(v, ASN_GAUGE, si->pending_max); return;
	}
}

/*
 * The type of a final-disposition column, counted from the table's first
 * one (pmtaDispositionGroup: the same order in the three tables).
 */
static u_char
disposition_type(unsigned rel)
{
	switch (rel + PMTA_DOMAIN_DEFERRED_DELIVERED) {
	case PMTA_DOMAIN_DEFERRED_PENDING:
	case PMTA_DOMAIN_WIN_RESOLVED:
	case PMTA_DOMAIN_RESOLVED_DELIVERED_SHARE:
		return ASN_GAUGE;
	case PMTA_DOMAIN_RESOLVE_P50:
	case PMTA_DOMAIN_RESOLVE_P95:
		return ASN_UNSIGNED;
	}
	return ASN_COUNTER64;
}

static void
value_queue(const struct mib_state *st, const struct snap_instance *si,
	    const struct mib_row *row, unsigned col, struct mib_val *v)
{
	const struct snap_row *r = row->data;
	const struct snap_table *tq = &si->tab[SNAP_QUEUE];
	const struct pmta_result *a = si->api;

	(void)st;
	switch (col) {
	case PMTA_QUEUE_DOMAIN: set_s(v, r->text2); return;
	case PMTA_QUEUE_VMTA: set_s(v, r->name2); return;
	case PMTA_QUEUE_PAUSED:
	case PMTA_QUEUE_MODE:
	case PMTA_QUEUE_LISTED:
		v->type = ASN_INTEGER;
		v->i = (int64_t)snap_col(tq, r, col);
		return;
	case PMTA_QUEUE_NEXT_RETRY: {
		/* retryTime and timeNow are both PowerMTA's local clock. */
		int64_t pmta_now = a->st.time_now + (int64_t)age_since_mono(a->st_at);
		int64_t retry = (int64_t)snap_col(tq, r, SNAP_QUEUE_RETRY_AT);

		set_u(v, ASN_UNSIGNED, retry && (a->st.have & PMTA_HAVE_TIMES) &&
		    retry > pmta_now ? (uint64_t)(retry - pmta_now) : 0);
		return;
	}
	case PMTA_QUEUE_LAST_ERROR: set_s(v, r->text); return;
	}
	if (col >= PMTA_QUEUE_DEFERRED_DELIVERED)
		set_u(v, disposition_type(col - PMTA_QUEUE_DEFERRED_DELIVERED), snap_col(tq, r, col));
	else if (col >= PMTA_QUEUE_DELIVERED && col <= PMTA_QUEUE_REMOTE_BOUNCED)
		set_u(v, ASN_COUNTER64, snap_col(tq, r, col));
	else if (col == PMTA_QUEUE_COMPLAINTS || col == PMTA_QUEUE_BACKOFF_ENTRIES ||
	    col == PMTA_QUEUE_BACKOFF_SECONDS)
		set_u(v, ASN_COUNTER64, snap_col(tq, r, col));
	else if (col >= PMTA_QUEUE_LATENCY_P50 && col <= PMTA_QUEUE_LATENCY_P99)
		set_u(v, ASN_UNSIGNED, snap_col(tq, r, col));
	else
		set_u(v, ASN_GAUGE, snap_col(tq, r, col));	/* queued, Win*, rates */
}

/* Column types of the tables whose rows are struct snap_row. */
static u_char
numeric_type(unsigned tab, unsigned col)
{
	switch (tab) {
	case SNAP_CONN:
		return ASN_GAUGE;
	case SNAP_DOMAIN:
	case SNAP_VMTA: {
		unsigned disp = tab == SNAP_DOMAIN ? PMTA_DOMAIN_DEFERRED_DELIVERED :
		    PMTA_VMTA_DEFERRED_DELIVERED;

		if (col >= disp)
			return disposition_type(col - disp);
		if (col >= PMTA_ENTITY_DELIVERED && col <= PMTA_ENTITY_REMOTE_BOUNCED)
			return ASN_COUNTER64;
		if (col == (tab == SNAP_DOMAIN ? PMTA_DOMAIN_COMPLAINTS : PMTA_VMTA_COMPLAINTS))
			return ASN_COUNTER64;
		if (col > (tab == SNAP_DOMAIN ? PMTA_DOMAIN_COMPLAINTS : PMTA_VMTA_COMPLAINTS))
			return ASN_GAUGE;	/* WinComplaints, ComplaintRate */
		if (col >= PMTA_ENTITY_LATENCY_P50)
			return ASN_UNSIGNED;
		return ASN_GAUGE;
	}
	case SNAP_JOB:
		return col == PMTA_JOB_QUEUED_RCPT ? ASN_GAUGE : ASN_COUNTER64;
	case SNAP_BOUNCE:
		if (col == PMTA_BOUNCE_CLASS)
			return ASN_INTEGER;
		return col == PMTA_BOUNCE_COUNT ? ASN_COUNTER64 : ASN_GAUGE;
	case SNAP_DEFERRAL:
		if (col == PMTA_DEFERRAL_COUNT)
			return ASN_COUNTER64;
		return col == PMTA_DEFERRAL_WIN_COUNT ? ASN_GAUGE : ASN_UNSIGNED;
	case SNAP_REJECTION:
		if (col == PMTA_REJECTION_CLASS)
			return ASN_INTEGER;
		if (col == PMTA_REJECTION_COUNT)
			return ASN_COUNTER64;
		return col == PMTA_REJECTION_WIN_COUNT ? ASN_GAUGE : ASN_UNSIGNED;
	case SNAP_COMPLAINT:
		return col == PMTA_COMPLAINT_COUNT ? ASN_COUNTER64 : ASN_GAUGE;
	case SNAP_LATENCY:
		if (col == PMTA_LATENCY_COUNT)
			return ASN_COUNTER64;
		return col == PMTA_LATENCY_WIN_COUNT ? ASN_GAUGE : ASN_UNSIGNED;
	}
	return ASN_GAUGE;
}

static void
value_snap_row(const struct snap_instance *si, unsigned tab, const struct snap_row *r, unsigned col,
	       struct mib_val *v)
{
	const struct snap_table *table = &si->tab[tab];
	u_char t = numeric_type(tab, col);

	if (tab == SNAP_DEFERRAL && col == PMTA_DEFERRAL_LAST_DIAG) {
		set_s(v, r->text);
		return;
	}
	if (tab == SNAP_DOMAIN && col == PMTA_DOMAIN_UNICODE_NAME) {
		set_s(v, r->text ? r->text : r->name);
		return;
	}
	if (tab == SNAP_REJECTION && col == PMTA_REJECTION_LAST_DIAG) {
		set_s(v, r->text);
		return;
	}
	if (tab == SNAP_REJECTION && col == PMTA_REJECTION_CATEGORY) {
		set_s(v, r->text2);
		return;
	}
	if ((tab == SNAP_DEFERRAL && col == PMTA_DEFERRAL_LAST_SEEN_AGE) ||
	    (tab == SNAP_REJECTION && col == PMTA_REJECTION_LAST_SEEN_AGE)) {
		/* Both tables keep the time in the age's own column (snapshot.h). */
		int64_t now = (int64_t)time(NULL), seen = (int64_t)snap_col(table, r, col);

		set_u(v, ASN_UNSIGNED, seen && now > seen ? (uint64_t)(now - seen) : 0);
		return;
	}
	if (t == ASN_INTEGER) {
		v->type = t;
		v->i = (int64_t)snap_col(table, r, col);
		return;
	}
	set_u(v, t, snap_col(table, r, col));
}

#define VALUE_FN(fn, tab) \
	static void fn(const struct mib_state *st, const struct snap_instance *si, \
		       const struct mib_row *row, unsigned col, struct mib_val *v) \
	{ (void)st; value_snap_row(si, tab, row->data, col, v); }

VALUE_FN(value_conn, SNAP_CONN)
VALUE_FN(value_domain, SNAP_DOMAIN)
VALUE_FN(value_vmta, SNAP_VMTA)
VALUE_FN(value_job, SNAP_JOB)
VALUE_FN(value_bounce, SNAP_BOUNCE)
VALUE_FN(value_deferral, SNAP_DEFERRAL)
VALUE_FN(value_rejection, SNAP_REJECTION)
VALUE_FN(value_complaint, SNAP_COMPLAINT)
VALUE_FN(value_latency, SNAP_LATENCY)

static void
value_threshold(const struct mib_state *st, const struct snap_instance *si,
		const struct mib_row *row, unsigned col, struct mib_val *v)
{
	const struct snap_row *r = row->data;

	(void)st;
	(void)si;
	switch (col) {
	case PMTA_THRESHOLD_RULE: set_s(v, r->name); return;
	case PMTA_THRESHOLD_METRIC: set_s(v, r->name2); return;
	case PMTA_THRESHOLD_SCOPE: set_s(v, r->text); return;
	default: set_u(v, ASN_UNSIGNED, r->col[col]); return;
	}
}

static void
value_alarm(const struct mib_state *st, const struct snap_instance *si,
	    const struct mib_row *row, unsigned col, struct mib_val *v)
{
	const struct snap_row *r = row->data;

	(void)st;
	(void)si;
	switch (col) {
	case PMTA_ALARM_RULE: set_s(v, r->name); return;
	case PMTA_ALARM_INSTANCE_NAME: set_s(v, r->name2); return;
	case PMTA_ALARM_SUBJECT: set_s(v, r->text); return;
	case PMTA_ALARM_SEVERITY: v->type = ASN_INTEGER; v->i = (int64_t)r->col[col]; return;
	case PMTA_ALARM_RAISED_AGE:
		set_u(v, ASN_UNSIGNED, age_since_mono((int64_t)r->col[SNAP_ALARM_RAISED_AT]));
		return;
	default: set_u(v, ASN_UNSIGNED, r->col[col]); return;
	}
}

/* --- the tables -------------------------------------------------------- */

#define T(nm, oidlist, first, last, inst, rowsfn, valfn, ...) \
	{ .name = nm, .oid = { oidlist }, \
	  .oid_len = sizeof((oid[]){ oidlist }) / sizeof(oid), \
	  .lk = { .col_first = first, .col_last = last, .per_instance = inst, .rows = rowsfn }, \
	  .value = valfn, .index_types = { __VA_ARGS__ } }


static struct mib_table tables[] = {
	T("pmtaInstanceTable", PMTA_OID_INSTANCE_TABLE, PMTA_INSTANCE_COL_FIRST,
	  PMTA_INSTANCE_COL_LAST, true, rows_instance, value_instance, ASN_UNSIGNED),
	T("pmtaConnectionTable", PMTA_OID_CONNECTION_TABLE, PMTA_CONN_COL_FIRST,
	  PMTA_CONN_COL_LAST, true, rows_conn, value_conn, ASN_UNSIGNED, ASN_INTEGER),
	T("pmtaQueueTable", PMTA_OID_QUEUE_TABLE, PMTA_QUEUE_COL_FIRST, PMTA_QUEUE_COL_LAST,
	  true, rows_queue, value_queue, ASN_UNSIGNED, ASN_OCTET_STR),
	T("pmtaVmtaTable", PMTA_OID_VMTA_TABLE, PMTA_VMTA_COL_FIRST, PMTA_VMTA_COL_LAST,
	  true, rows_vmta, value_vmta, ASN_UNSIGNED, ASN_OCTET_STR),
	T("pmtaDomainTable", PMTA_OID_DOMAIN_TABLE, PMTA_DOMAIN_COL_FIRST, PMTA_DOMAIN_COL_LAST,
	  true, rows_domain, value_domain, ASN_UNSIGNED, ASN_OCTET_STR),
	T("pmtaJobTable", PMTA_OID_JOB_TABLE, PMTA_JOB_COL_FIRST, PMTA_JOB_COL_LAST,
	  true, rows_job, value_job, ASN_UNSIGNED, ASN_OCTET_STR),
	T("pmtaBounceTable", PMTA_OID_BOUNCE_TABLE, PMTA_BOUNCE_COL_FIRST, PMTA_BOUNCE_COL_LAST,
	  true, rows_bounce, value_bounce, ASN_UNSIGNED, ASN_OCTET_STR),
	T("pmtaDeferralTable", PMTA_OID_DEFERRAL_TABLE, PMTA_DEFERRAL_COL_FIRST,
	  PMTA_DEFERRAL_COL_LAST, true, rows_deferral, value_deferral,
	  ASN_UNSIGNED, ASN_OCTET_STR, ASN_OCTET_STR),
	T("pmtaLatencyTable", PMTA_OID_LATENCY_TABLE, PMTA_LATENCY_COL_FIRST,
	  PMTA_LATENCY_COL_LAST, true, rows_latency, value_latency,
	  ASN_UNSIGNED, ASN_INTEGER, ASN_OCTET_STR),
	T("pmtaAlarmTable", PMTA_OID_ALARM_TABLE, PMTA_ALARM_COL_FIRST, PMTA_ALARM_COL_LAST,
	  false, rows_alarm, value_alarm, ASN_UNSIGNED),
	T("pmtaThresholdTable", PMTA_OID_THRESHOLD_TABLE, PMTA_THRESHOLD_COL_FIRST,
	  PMTA_THRESHOLD_COL_LAST, false, rows_threshold, value_threshold, ASN_UNSIGNED),
	T("pmtaRejectionTable", PMTA_OID_REJECTION_TABLE, PMTA_REJECTION_COL_FIRST,
	  PMTA_REJECTION_COL_LAST, true, rows_rejection, value_rejection,
	  ASN_UNSIGNED, ASN_OCTET_STR, ASN_OCTET_STR),
	T("pmtaComplaintTable", PMTA_OID_COMPLAINT_TABLE, PMTA_COMPLAINT_COL_FIRST,
	  PMTA_COMPLAINT_COL_LAST, true, rows_complaint, value_complaint,
	  ASN_UNSIGNED, ASN_OCTET_STR),
};

#define N_TABLES (sizeof(tables) / sizeof(tables[0]))

/* --- lookups ----------------------------------------------------------- */

static void
answer(netsnmp_variable_list *vb, const struct mib_val *v)
{
	switch (v->type) {
	case ASN_COUNTER64: {
		struct counter64 c = { .high = v->u >> 32, .low = v->u & 0xffffffffu };

		snmp_set_var_typed_value(vb, ASN_COUNTER64, &c, sizeof(c));
		break;
	}
	case ASN_INTEGER: {
		long l = (long)v->i;

		snmp_set_var_typed_value(vb, ASN_INTEGER, &l, sizeof(l));
		break;
	}
	case ASN_OCTET_STR: {
		if (v->len) {
			snmp_set_var_typed_value(vb, ASN_OCTET_STR, v->bin, v->len);
			break;
		}
		/*
		 * DisplayString and SnmpAdminString are at most 255 bytes; a cut
		 * backs off to a character's start so that UTF-8 stays UTF-8.
		 */
		size_t n = strlen(v->s);

		if (n > 255)
			for (n = 255; n > 0 && ((unsigned char)v->s[n] & 0xc0) == 0x80; n--)
				;
		snmp_set_var_typed_value(vb, ASN_OCTET_STR, v->s, n);
		break;
	}
	default: {
		u_long u = (u_long)v->u;

		snmp_set_var_typed_value(vb, v->type, &u, sizeof(u));
		break;
	}
	}
}

/* The OID of a hit's cell into o (MAX_OID_LEN); returns its length. */
static size_t
cell_oid(const struct mib_table *t, const struct mib_hit *hit, oid *o)
{
	uint32_t idx[MIB_INDEX_MAX];
	size_t n = t->oid_len, k, len = mib_rows_index(hit->rows, (size_t)(hit->row - hit->rows->row), idx);

	memcpy(o, t->oid, n * sizeof(oid));
	o[n++] = 1;
	o[n++] = hit->col;
	if (hit->si)
		o[n++] = hit->si->index;
	/* Rows indexed by the instance alone have no idx (NULL). */
	for (k = 0; k < len && n < MAX_OID_LEN; k++)
		o[n++] = idx[k];
	return n;
}

static void
set_result_oid(const struct mib_table *t, netsnmp_variable_list *vb, const struct mib_hit *hit)
{
	oid o[MAX_OID_LEN];

	snmp_set_var_objid(vb, o, cell_oid(t, hit, o));
}

static int
table_handler(netsnmp_mib_handler *handler, netsnmp_handler_registration *reginfo,
	      netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
	const struct mib_table *t = handler->myvoid;
	netsnmp_request_info *req;

	(void)reginfo;
	for (req = requests; req; req = req->next) {
		netsnmp_table_request_info *ti = netsnmp_extract_table_info(req);
		struct mib_hit hit;
		struct mib_val v = { 0 };
		uint32_t idx[MAX_OID_LEN];
		size_t idx_len, k;

		if (req->processed || !ti)
			continue;
		/* The lookups take SNMP's 32-bit sub-identifiers, not net-snmp's
		 * oid (the decoder refuses larger ones anyway: the clamp only guards). */
		idx_len = ti->index_oid_len < MAX_OID_LEN ? ti->index_oid_len : MAX_OID_LEN;
		for (k = 0; k < idx_len; k++)
			idx[k] = base_sat32(ti->index_oid[k]);
		switch (reqinfo->mode) {
		case MODE_GET:
			if (!mib_lookup_get(state, &t->lk, ti->colnum, idx, idx_len, &hit)) {
				netsnmp_set_request_error(reqinfo, req, SNMP_NOSUCHINSTANCE);
				continue;
			}
			t->value(state, hit.si, hit.row, hit.col, &v);
			answer(req->requestvb, &v);
			break;
		case MODE_GETNEXT:
			if (!mib_lookup_next(state, &t->lk, ti->colnum, idx, idx_len, &hit))
				continue;	/* past the table: the agent tries the next subtree */
			t->value(state, hit.si, hit.row, hit.col, &v);
			set_result_oid(t, req->requestvb, &hit);
			answer(req->requestvb, &v);
			break;
		default:
			netsnmp_set_request_error(reqinfo, req, SNMP_ERR_NOTWRITABLE);
			break;
		}
	}
	return SNMP_ERR_NOERROR;
}

/* --- AgentX requests answered directly ------------------------------- */

/*
 * net-snmp's subagent passes every AgentX request to its agent core through
 * an internal callback transport (two pipe writes, two reads and two more
 * select() calls per round trip), then down the handler chain and the table
 * helper per varbind. snmpd's master turns a GETBULK into one GETNEXT round
 * trip per repetition, so that cost is paid per varbind of a walk. A GET or
 * GETNEXT whose varbinds all fall in our tables is answered here instead, on
 * the AgentX session, by the same lookups and values as table_handler();
 * anything else (the scalars, GETBULK, SET, a non-default context, pings,
 * responses, a disconnect) goes on to net-snmp's own callback.
 */
#define AGENTX_VERSION_1 193	/* RFC 2741 version 1, as net-snmp numbers it */
#define AGENTX_MSG_GET 5
#define AGENTX_MSG_GETNEXT 6
#define AGENTX_MSG_RESPONSE 18

static netsnmp_callback agentx_next;	/* net-snmp's handle_agentx_packet */

/* The table whose subtree holds name, or NULL. */
static const struct mib_table *
table_of(const oid *name, size_t len)
{
	size_t i;

	for (i = 0; i < N_TABLES; i++)
		if (len >= tables[i].oid_len &&
		    memcmp(name, tables[i].oid, tables[i].oid_len * sizeof(oid)) == 0)
			return &tables[i];
	return NULL;
}

/*
 * Where name lies in table t: -1 before its first cell, 1 after its last,
 * 0 in a column (*col, then the index in idx) of the entry.
 */
static int
cell_of(const struct mib_table *t, const oid *name, size_t len, unsigned *col,
	uint32_t *idx, size_t *idx_len)
{
	size_t n = t->oid_len, k;

	*col = 0;
	*idx_len = 0;
	if (len == n || (name[n] == 1 && len == n + 1))
		return -1;
	if (name[n] != 1)
		return name[n] < 1 ? -1 : 1;
	if (name[n + 1] > t->lk.col_last)
		return 1;
	*col = (unsigned)name[n + 1];
	*idx_len = len - n - 2;
	/* SNMP's sub-identifiers are 32-bit: the clamp only guards. */
	for (k = 0; k < *idx_len; k++)
		idx[k] = base_sat32(name[n + 2 + k]);
	return 0;
}

/* One GET or GETNEXT varbind of table t, answered in place. */
static void
agentx_answer(const struct mib_table *t, netsnmp_variable_list *vb, bool next)
{
	static const oid null_oid[] = { 0, 0 };
	uint32_t idx[MAX_OID_LEN] = { 0 };
	oid end[MAX_OID_LEN], o[MAX_OID_LEN];
	size_t idx_len, end_len = 0, n;
	struct mib_val v = { 0 };
	struct mib_hit hit;
	unsigned col;
	int where = cell_of(t, vb->name, vb->name_length, &col, idx, &idx_len);
	bool found = false;

	if (!next) {
		if (where != 0 || col < t->lk.col_first)
			snmp_set_var_typed_value(vb, SNMP_NOSUCHOBJECT, NULL, 0);
		else if (!mib_lookup_get(state, &t->lk, col, idx, idx_len, &hit))
			snmp_set_var_typed_value(vb, SNMP_NOSUCHINSTANCE, NULL, 0);
		else {
			t->value(state, hit.si, hit.row, hit.col, &v);
			answer(vb, &v);
		}
		return;
	}
	/* The search range: [name, end) or (name, end); a null end has no bound. */
	if (vb->val.objid && vb->val_len / sizeof(oid) <= MAX_OID_LEN) {
		end_len = vb->val_len / sizeof(oid);
		memcpy(end, vb->val.objid, end_len * sizeof(oid));
		if (snmp_oid_compare(end, end_len, null_oid, OID_LENGTH(null_oid)) == 0)
			end_len = 0;
	}
	if (where == 0 && vb->type == ASN_PRIV_INCL_RANGE)
		found = mib_lookup_get(state, &t->lk, col, idx, idx_len, &hit);
	if (!found && where <= 0)
		found = mib_lookup_next(state, &t->lk, col, idx, idx_len, &hit);
	if (found) {
		n = cell_oid(t, &hit, o);
		found = end_len == 0 || snmp_oid_compare(o, n, end, end_len) < 0;
	}
	if (!found) {
		/* RFC 2741 7.2.3.2: the starting OID, with endOfMibView. */
		snmp_set_var_typed_value(vb, SNMP_ENDOFMIBVIEW, NULL, 0);
		return;
	}
	snmp_set_var_objid(vb, o, n);
	t->value(state, hit.si, hit.row, hit.col, &v);
	answer(vb, &v);
}

/* The AgentX session's callback: see the comment above AGENTX_VERSION_1. */
static int
agentx_packet(int op, netsnmp_session *sess, int reqid, netsnmp_pdu *pdu, void *magic)
{
	netsnmp_variable_list *vb, *vars;
	netsnmp_pdu *r;

	if (op != NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE || !pdu || !state ||
	    (pdu->command != AGENTX_MSG_GET && pdu->command != AGENTX_MSG_GETNEXT) ||
	    pdu->contextNameLen != 0)
		return agentx_next(op, sess, reqid, pdu, magic);
	for (vb = pdu->variables; vb; vb = vb->next_variable)
		if (!table_of(vb->name, vb->name_length))
			return agentx_next(op, sess, reqid, pdu, magic);
	/* The response is the request's header with its own varbinds, answered. */
	vars = pdu->variables;
	pdu->variables = NULL;
	r = snmp_clone_pdu(pdu);
	pdu->variables = vars;
	if (!r)
		return agentx_next(op, sess, reqid, pdu, magic);
	r->variables = vars;
	pdu->variables = NULL;
	/* As net-snmp's callback does: a request shows the master is alive. */
	if (sess->securityModel != SNMP_DEFAULT_SECMODEL)
		snmp_alarm_reset((unsigned)sess->securityModel);
	for (vb = r->variables; vb; vb = vb->next_variable)
		agentx_answer(table_of(vb->name, vb->name_length), vb,
		    pdu->command == AGENTX_MSG_GETNEXT);
	r->command = AGENTX_MSG_RESPONSE;
	r->version = sess->version;
	r->errstat = SNMP_ERR_NOERROR;
	r->errindex = 0;
	if (!snmp_send(sess, r))
		snmp_free_pdu(r);
	return 1;
}

/*
 * net-snmp's Unix-socket receive calls getsockname() and allocates a copy
 * of the address at every read, though a connected stream's peer cannot
 * change and its send ignores the address: one more syscall per round trip.
 * This reads the same bytes without either.
 */
static int
agentx_unix_recv(netsnmp_transport *t, void *buf, int size, void **opaque, int *olength)
{
	ssize_t rc;

	*opaque = NULL;
	*olength = 0;
	do
		rc = recv(t->sock, buf, (size_t)size, MSG_DONTWAIT);
	while (rc < 0 && errno == EINTR);
	return (int)rc;
}

/* Each new AgentX session (the first and every reconnection) gets agentx_packet. */
static int
agentx_hook(int major, int minor, void *server_arg, void *client_arg)
{
	static const oid unix_domain[] = { 1, 3, 6, 1, 2, 1, 100, 1, 13 };	/* transportDomainLocal */
	netsnmp_session *sess = server_arg;
	netsnmp_transport *t;

	(void)major;
	(void)minor;
	(void)client_arg;
	if (!sess || sess->version != AGENTX_VERSION_1)
		return 0;
	if (sess->callback && sess->callback != agentx_packet) {
		agentx_next = sess->callback;
		sess->callback = agentx_packet;
	}
	t = snmp_sess_transport(snmp_sess_pointer(sess));
	if (t && (t->flags & NETSNMP_TRANSPORT_FLAG_STREAM) &&
	    snmp_oid_compare(t->domain, t->domain_length, unix_domain, OID_LENGTH(unix_domain)) == 0)
		t->f_recv = agentx_unix_recv;
	return 0;
}

/* --- scalars ----------------------------------------------------------- */

static int
scalar_handler(netsnmp_mib_handler *handler, netsnmp_handler_registration *reginfo,
	       netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
	netsnmp_request_info *req;

	(void)handler;
	(void)reginfo;
	for (req = requests; req; req = req->next) {
		struct mib_val v = { 0 };
		oid sub = req->requestvb->name[req->requestvb->name_length - 2];
		uint64_t recs = 0, bad = 0, dropped = 0, pending = 0, given_up = 0;
		int64_t started_wall = state->counters_wall_ms, started_ms = state->counters_ms;
		bool waiting = false;	/* an instance has published nothing yet */
		size_t i;

		if (reqinfo->mode != MODE_GET) {
			netsnmp_set_request_error(reqinfo, req, SNMP_ERR_NOTWRITABLE);
			continue;
		}
		for (i = 0; i < state->n_inst; i++) {
			waiting |= !state->inst[i];
			if (state->inst[i]) {
				recs += state->inst[i]->acct_records;
				bad += state->inst[i]->acct_malformed;
				dropped += state->inst[i]->rows_dropped;
				pending += state->inst[i]->pending;
				given_up += state->inst[i]->pending_given_up;
				/* The sums jump when any instance's counters do. */
				if (state->inst[i]->counters_wall_ms > started_wall)
					started_wall = state->inst[i]->counters_wall_ms;
				if (state->inst[i]->counters_ms > started_ms)
					started_ms = state->inst[i]->counters_ms;
			}
		}
		/*
		 * The sums are absent until every instance has published its first
		 * tables (its start-up backlog read): a partial sum would read as a
		 * drop, and the rest of the backlog as traffic.
		 */
		if (waiting && (sub == PMTA_AGENT_ACCT_RECORDS || sub == PMTA_AGENT_ACCT_MALFORMED ||
		    sub == PMTA_AGENT_ACCT_ROWS_DROPPED || sub == PMTA_AGENT_PENDING_RCPT ||
		    sub == PMTA_AGENT_PENDING_GIVEN_UP)) {
			netsnmp_set_request_error(reqinfo, req, SNMP_NOSUCHINSTANCE);
			continue;
		}
		switch (sub) {
		case PMTA_AGENT_VERSION: set_s(&v, PACKAGE_VERSION); break;
		case PMTA_AGENT_INSTANCE_COUNT: set_u(&v, ASN_GAUGE, state->n_inst); break;
		case PMTA_AGENT_ACCT_RECORDS: set_u(&v, ASN_COUNTER64, recs); break;
		case PMTA_AGENT_ACCT_MALFORMED: set_u(&v, ASN_COUNTER64, bad); break;
		case PMTA_AGENT_STATS_WINDOW: set_u(&v, ASN_UNSIGNED, state->stats_window); break;
		case PMTA_AGENT_ACTIVE_ALARMS: set_u(&v, ASN_GAUGE, state->active_alarms); break;
		case PMTA_AGENT_ACCT_ROWS_DROPPED: set_u(&v, ASN_COUNTER64, dropped); break;
		case PMTA_AGENT_PENDING_RCPT: set_u(&v, ASN_GAUGE, pending); break;
		case PMTA_AGENT_PENDING_GIVEN_UP: set_u(&v, ASN_COUNTER64, given_up); break;
		case PMTA_AGENT_ALARMS_REFUSED: set_u(&v, ASN_COUNTER64, state->alarms_refused); break;
		case PMTA_AGENT_COUNTERS_STARTED: set_date(&v, started_wall); break;
		case PMTA_AGENT_COUNTERS_DISCONTINUITY: set_stamp(state, &v, started_ms); break;
		default:
			netsnmp_set_request_error(reqinfo, req, SNMP_NOSUCHOBJECT);
			continue;
		}
		answer(req->requestvb, &v);
	}
	return SNMP_ERR_NOERROR;
}

static netsnmp_handler_registration *scalar_reg;

int
mib_register(struct mib_state *st)
{
	static const oid agent_oid[] = { PMTA_OID_AGENT };
	size_t i, k;

	state = st;
	snmp_register_callback(SNMP_CALLBACK_APPLICATION, SNMPD_CALLBACK_INDEX_START,
	    agentx_hook, NULL);
	scalar_reg = netsnmp_create_handler_registration("pmtaAgent", scalar_handler, agent_oid,
	    OID_LENGTH(agent_oid), HANDLER_CAN_RONLY);
	if (!scalar_reg || netsnmp_register_scalar_group(scalar_reg, PMTA_AGENT_VERSION,
	    PMTA_AGENT_LAST) != MIB_REGISTERED_OK) {
		log_errx("cannot register pmtaAgent scalars: is another copy running?");
		scalar_reg = NULL;
		return -1;
	}
	for (i = 0; i < N_TABLES; i++) {
		struct mib_table *t = &tables[i];
		netsnmp_table_registration_info *ti = SNMP_MALLOC_TYPEDEF(netsnmp_table_registration_info);
		netsnmp_mib_handler *h = netsnmp_create_handler(t->name, table_handler);
		netsnmp_mib_handler *th;

		if (!ti || !h)
			return -1;
		h->myvoid = t;
		t->reg = netsnmp_handler_registration_create(t->name, h, t->oid, t->oid_len,
		    HANDLER_CAN_RONLY);
		for (k = 0; k < sizeof(t->index_types) && t->index_types[k]; k++)
			netsnmp_table_helper_add_index(ti, t->index_types[k]);
		ti->min_column = t->lk.col_first;
		ti->max_column = t->lk.col_last;
		if (!t->reg || netsnmp_register_table(t->reg, ti) != MIB_REGISTERED_OK) {
			log_errx("cannot register %s: is another copy running?", t->name);
			t->reg = NULL;
			return -1;
		}
		/* The table handler is to free ti and its index list when the
		 * registration goes away (without this they leak at every exit).
		 * It is found by name: registering put other helpers before it. */
		th = netsnmp_find_handler_by_name(t->reg, TABLE_HANDLER_NAME);
		if (th)
			netsnmp_handler_owns_table_info(th);
	}
	return 0;
}

void
mib_unregister(void)
{
	size_t i;

	for (i = 0; i < N_TABLES; i++) {
		if (tables[i].reg)
			netsnmp_unregister_handler(tables[i].reg);
		tables[i].reg = NULL;
	}
	if (scalar_reg)
		netsnmp_unregister_handler(scalar_reg);
	scalar_reg = NULL;
	snmp_unregister_callback(SNMP_CALLBACK_APPLICATION, SNMPD_CALLBACK_INDEX_START,
	    agentx_hook, NULL, 1);
}
