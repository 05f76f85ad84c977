#include "config.h"

#include <string.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include "base.h"
#include "pmta_result.h"
#include "log.h"
#include "mib_agent.h"
#include "mib_index.h"
#include "mib_notify.h"
#include "mib_oids.h"
#include "trap_limit.h"

static struct trap_limit limit;

int
mib_notify_init(uint32_t per_minute)
{
	return trap_limit_init(&limit, per_minute);
}

int
mib_notify_set_limit(uint32_t per_minute)
{
	struct trap_limit t;

	if (limit.limit == per_minute)
		return 0;
	/* The new limit first: a failed allocation keeps the running one whole. */
	if (trap_limit_init(&t, per_minute) < 0) {
		log_errx("pmtaTrapRateLimit %u: out of memory; keeping %u a minute", per_minute,
		    limit.limit);
		return -1;
	}
	trap_limit_clear(&limit);
	limit = t;
	return 0;
}

void
mib_notify_shutdown(void)
{
	trap_limit_clear(&limit);
}

/* The notification number for a metric: raise, and raise + 1 for the clear. */
static oid
notification_of(enum cfg_metric m)
{
	switch (m) {
	case CFG_METRIC_API_DOWN: return PMTA_NOTIF_API_DOWN;
	case CFG_METRIC_QUEUED_RCPT: return PMTA_NOTIF_QUEUE_HIGH;
	case CFG_METRIC_BOUNCE_RATE:
	case CFG_METRIC_HARD_BOUNCE_RATE: return PMTA_NOTIF_BOUNCE_RATE_HIGH;
	case CFG_METRIC_DEFERRAL_RATE: return PMTA_NOTIF_DEFERRAL_RATE_HIGH;
	case CFG_METRIC_COMPLAINT_RATE: return PMTA_NOTIF_COMPLAINT_RATE_HIGH;
	case CFG_METRIC_PENDING_RCPT: return PMTA_NOTIF_PENDING_HIGH;
	case CFG_METRIC_LATENCY_P95: return PMTA_NOTIF_LATENCY_HIGH;
	case CFG_METRIC_CONN_UTILIZATION: return PMTA_NOTIF_CONNECTIONS_HIGH;
	case CFG_METRIC_ACCT_STALLED: return PMTA_NOTIF_ACCT_STALLED;
	case CFG_METRIC_QUEUE_BACKOFF: return PMTA_NOTIF_QUEUE_BACKOFF;
	}
	return PMTA_NOTIF_QUEUE_HIGH;
}

static void
add_column(netsnmp_variable_list **vars, unsigned col, uint32_t index, u_char type,
	   const void *val, size_t len)
{
	oid o[] = { PMTA_OID_ALARM_TABLE, 1, col, index };

	snmp_varlist_add_variable(vars, o, OID_LENGTH(o), type, val, len);
}

/*
 * pmtaQueueDomain, pmtaQueueVmta, pmtaQueueLastError and
 * pmtaQueueBackoffEntries of the queue an event's subject ("queue:NAME")
 * names, indexed as its pmtaQueueTable row. A queue no longer listed gets
 * the parts of its name, an empty error and 0 entries.
 */
static void
add_queue(netsnmp_variable_list **vars, const struct mib_state *st, const struct alarm_event *ev)
{
	static const unsigned cols[] = { PMTA_QUEUE_DOMAIN, PMTA_QUEUE_VMTA, PMTA_QUEUE_LAST_ERROR,
					 PMTA_QUEUE_BACKOFF_ENTRIES };
	const char *name = strncmp(ev->subject, "queue:", 6) == 0 ? ev->subject + 6 : ev->subject;
	const char *slash = strrchr(name, '/');
	const struct snap_row *q = NULL;
	const struct snap_instance *si = NULL;
	uint64_t backoff = 0;
	char idxname[MIB_NAME_MAX], domain[PMTA_NAME_MAX];
	uint32_t key[MIB_INDEX_MAX];
	size_t i, klen, n = mib_name_index(name, strlen(name), idxname);

	klen = mib_index_put_string(key, MIB_INDEX_MAX, idxname, n);
	for (i = 0; st && i < st->n_inst && !si; i++)
		if (st->inst[i] && strcmp(st->inst[i]->name, ev->instance) == 0)
			si = st->inst[i];
	if (si) {
		const struct mib_rows *ix = &si->tab[SNAP_QUEUE].idx;
		size_t k = mib_rows_seek(ix, key, klen, false);

		if (k < ix->n && mib_rows_cmp(ix, k, key, klen) == 0) {
			q = ix->row[k].data;
			backoff = snap_col(&si->tab[SNAP_QUEUE], q, PMTA_QUEUE_BACKOFF_ENTRIES);
		}
	}
	snprintf(domain, sizeof(domain), "%.*s", slash ? (int)(slash - name) : (int)strlen(name),
	    name);
	for (i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
		oid o[MAX_OID_LEN] = { PMTA_OID_QUEUE_TABLE, 1 };
		size_t len = OID_LENGTH(((oid[]){ PMTA_OID_QUEUE_TABLE, 1 })), k;
		const char *s;
		struct counter64 c64;

		o[len++] = cols[i];
		o[len++] = si ? si->index : 0;
		for (k = 0; k < klen && len < MAX_OID_LEN; k++)
			o[len++] = key[k];
		switch (cols[i]) {
		case PMTA_QUEUE_BACKOFF_ENTRIES:
			c64.high = backoff >> 32;
			c64.low = backoff & 0xffffffffu;
			snmp_varlist_add_variable(vars, o, len, ASN_COUNTER64, &c64, sizeof(c64));
			continue;
		case PMTA_QUEUE_DOMAIN: s = q && q->text2 ? q->text2 : domain; break;
		case PMTA_QUEUE_VMTA: s = q && q->name2 ? q->name2 : slash ? slash + 1 : ""; break;
		default: s = q && q->text ? q->text : ""; break;
		}
		snmp_varlist_add_variable(vars, o, len, ASN_OCTET_STR, s, strnlen(s, 255));
	}
}

void
mib_notify_event(void *arg, const struct alarm_event *ev)
{
	static const oid trap_oid[] = { 1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0 };	/* snmpTrapOID.0 */
	oid notif[] = { PMTA_OID_NOTIFICATIONS, 0 };
	netsnmp_variable_list *vars = NULL;
	u_long value = base_sat32(ev->value);
	u_long threshold = base_sat32(ev->threshold);
	long severity = ev->level == ALARM_CRITICAL ? PMTA_SEVERITY_CRITICAL : PMTA_SEVERITY_WARNING;
	uint64_t held;

	if (!trap_limit_allow(&limit, mono_now(), &held)) {
		log_warnx("notification held back by pmtaTrapRateLimit: %s %s %s %s",
		    ev->raise ? "raise" : "clear", ev->rule, ev->instance, ev->subject);
		return;
	}
	if (held)
		log_warnx("pmtaTrapRateLimit: %llu notifications were held back in the "
		    "last minute; pmtaAlarmTable has the current alarms", (unsigned long long)held);

	notif[OID_LENGTH(notif) - 1] = notification_of(ev->metric) + (ev->raise ? 0 : 1);
	snmp_varlist_add_variable(&vars, trap_oid, OID_LENGTH(trap_oid), ASN_OBJECT_ID,
	    notif, sizeof(notif));
	add_column(&vars, PMTA_ALARM_RULE, ev->index, ASN_OCTET_STR, ev->rule, strlen(ev->rule));
	add_column(&vars, PMTA_ALARM_INSTANCE_NAME, ev->index, ASN_OCTET_STR, ev->instance,
	    strlen(ev->instance));
	add_column(&vars, PMTA_ALARM_SUBJECT, ev->index, ASN_OCTET_STR, ev->subject,
	    strlen(ev->subject));
	add_column(&vars, PMTA_ALARM_SEVERITY, ev->index, ASN_INTEGER, &severity, sizeof(severity));
	if (ev->metric == CFG_METRIC_QUEUE_BACKOFF) {
		add_queue(&vars, arg, ev);
	} else {
		add_column(&vars, PMTA_ALARM_VALUE, ev->index, ASN_UNSIGNED, &value, sizeof(value));
		add_column(&vars, PMTA_ALARM_THRESHOLD, ev->index, ASN_UNSIGNED, &threshold,
		    sizeof(threshold));
	}
	send_v2trap(vars);
	snmp_free_varbind(vars);
	log_notice("alarm %s: rule %s, instance %s, %s, %s, value %llu, threshold %llu",
	    ev->raise ? "raised" : "cleared", ev->rule, ev->instance, ev->subject,
	    ev->level == ALARM_CRITICAL ? "critical" : "warning", (unsigned long long)ev->value,
	    (unsigned long long)ev->threshold);
}
