/*
 * The floor of the AgentX path, for scripts/bench-walk: a minimal net-snmp
 * subagent that serves a constant table shaped like pmtaDomainTable (rows
 * indexed by instance 1 and a length-prefixed "domN.example", columns 2..21,
 * Counter64 values) from one sorted array, with one direct handler and a
 * bisection per varbind. Whatever the agent costs above this is ours.
 *
 *   walk_floor SOCKET ROWS      table at .1.3.6.1.4.1.32473.99.1
 *
 * A benchmark program, not part of the agent: it asserts nothing.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#define COL_FIRST 2
#define COL_LAST 21
#define IDX_MAX 32

static const oid table_oid[] = { 1, 3, 6, 1, 4, 1, 32473, 99, 1 };
#define TLEN OID_LENGTH(table_oid)

struct row { oid idx[IDX_MAX]; size_t len; };
static struct row *rows;
static size_t n_rows;
static volatile sig_atomic_t stop;

static int
row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	return snmp_oid_compare(x->idx, x->len, y->idx, y->len);
}

/* First row whose index is > idx (strict) or >= idx. */
static size_t
seek(const oid *idx, size_t len, int strict)
{
	size_t lo = 0, hi = n_rows;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = snmp_oid_compare(rows[mid].idx, rows[mid].len, idx, len);

		if (c < 0 || (strict && c == 0))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
handler(netsnmp_mib_handler *h, netsnmp_handler_registration *reg,
	netsnmp_agent_request_info *ri, netsnmp_request_info *req)
{
	(void)h;
	(void)reg;
	for (; req; req = req->next) {
		netsnmp_variable_list *vb = req->requestvb;
		const oid *name = vb->name;
		size_t len = vb->name_length, k = n_rows;
		oid col = 0, o[MAX_OID_LEN];
		struct counter64 c;

		if (len > TLEN + 1 && name[TLEN] == 1)
			col = name[TLEN + 1];
		if (ri->mode == MODE_GET) {
			if (col >= COL_FIRST && col <= COL_LAST) {
				k = seek(name + TLEN + 2, len - TLEN - 2, 0);
				if (k < n_rows && snmp_oid_compare(rows[k].idx, rows[k].len,
				    name + TLEN + 2, len - TLEN - 2) != 0)
					k = n_rows;
			}
			if (k == n_rows) {
				netsnmp_set_request_error(ri, req, SNMP_NOSUCHINSTANCE);
				continue;
			}
		} else if (ri->mode == MODE_GETNEXT) {
			if (snmp_oid_compare(name, len, table_oid, TLEN) <= 0 || name[TLEN] < 1 ||
			    (name[TLEN] == 1 && col < COL_FIRST)) {
				col = COL_FIRST;
				k = 0;
			} else if (name[TLEN] > 1 || col > COL_LAST) {
				continue;
			} else {
				k = seek(name + TLEN + 2, len - TLEN - 2, 1);
				if (k == n_rows && ++col <= COL_LAST)
					k = 0;
			}
			if (k == n_rows)
				continue;
			memcpy(o, table_oid, sizeof(table_oid));
			o[TLEN] = 1;
			o[TLEN + 1] = col;
			memcpy(o + TLEN + 2, rows[k].idx, rows[k].len * sizeof(oid));
			snmp_set_var_objid(vb, o, TLEN + 2 + rows[k].len);
		} else {
			netsnmp_set_request_error(ri, req, SNMP_ERR_NOTWRITABLE);
			continue;
		}
		c.high = 0;
		c.low = (u_long)(k * 100 + col);
		snmp_set_var_typed_value(vb, ASN_COUNTER64, &c, sizeof(c));
	}
	return SNMP_ERR_NOERROR;
}

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int
main(int argc, char **argv)
{
	size_t i, j;

	if (argc != 3 || atol(argv[2]) <= 0) {
		fprintf(stderr, "usage: walk_floor AGENTX-SOCKET ROWS\n");
		return 2;
	}
	n_rows = (size_t)atol(argv[2]);
	rows = calloc(n_rows, sizeof(*rows));
	if (!rows)
		return 1;
	for (i = 0; i < n_rows; i++) {
		char name[24];
		size_t n = (size_t)snprintf(name, sizeof(name), "dom%zu.example", i);

		rows[i].idx[0] = 1;
		rows[i].idx[1] = n;
		for (j = 0; j < n; j++)
			rows[i].idx[2 + j] = (unsigned char)name[j];
		rows[i].len = n + 2;
	}
	qsort(rows, n_rows, sizeof(*rows), row_cmp);

	setenv("MIBS", "", 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
	netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET, argv[1]);
	snmp_enable_stderrlog();
	init_agent("walk-floor");
	if (netsnmp_register_handler(netsnmp_create_handler_registration("walkFloor", handler,
	    table_oid, TLEN, HANDLER_CAN_RONLY)) != MIB_REGISTERED_OK)
		return 1;
	init_snmp("walk-floor");
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	while (!stop)
		agent_check_and_process(1);
	snmp_shutdown("walk-floor");
	free(rows);
	return 0;
}
