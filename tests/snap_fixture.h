/*
 * Fixture snapshots for the unit tests of the SNMP edge, the snapshot merge
 * and the alarm evaluation: built by the real snapshot_build() from a
 * PowerMTA result and (optionally) an accounting view made by hand.
 */
#ifndef PMTA_TEST_SNAP_FIXTURE_H
#define PMTA_TEST_SNAP_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acct_stats.h"
#include "pmta_result.h"
#include "snapshot.h"

/* A list page of items named names[0..n), queued recipients 10, 20, ... */
static inline struct api_list *
fixture_items(const char *const *names, size_t n)
{
	struct pmta_item *it = calloc(n ? n : 1, sizeof(*it));
	size_t i;

	for (i = 0; it && i < n; i++) {
		snprintf(it[i].name, sizeof(it[i].name), "%s", names[i]);
		it[i].rcpt = 10 * (i + 1);
		it[i].conn = i + 1;
	}
	return api_list_new(it, n);
}

/* An accounting view whose domain rows are names[0..n), delivered 100, 200, ... */
static inline struct acct_view *
fixture_acct_domains(const char *const *names, size_t n)
{
	struct acct_view *v = calloc(1, sizeof(*v));
	size_t i;

	if (!v)
		return NULL;
	v->all.name = "all";
	v->domains = calloc(n ? n : 1, sizeof(*v->domains));
	for (i = 0; v->domains && i < n; i++) {
		v->domains[i].name = names[i];	/* static strings: view->strings stays NULL */
		v->domains[i].delivered = 100 * (i + 1);
	}
	v->n_domains = n;
	return v;
}

/*
 * Instance `index` whose API lists these domains and jobs; acct (taken)
 * may be NULL.
 */
static inline struct snap_instance *
fixture_instance(unsigned index, const char *const *domains, size_t n_domains,
		 const char *const *jobs, size_t n_jobs, struct acct_view *acct)
{
	struct pmta_result *r = pmta_result_new();
	struct snap_instance *s;
	char name[16];
	struct snap_source src = {
		.index = index, .public_url = "", .now = 1700000000,
		.acct = acct, .acct_configured = acct != NULL,
	};

	if (!r)
		return NULL;
	snprintf(name, sizeof(name), "mta%u", index);
	src.name = name;
	r->list[API_QUEUES] = api_list_new(NULL, 0);
	r->list[API_DOMAINS] = fixture_items(domains, n_domains);
	r->list[API_VMTAS] = api_list_new(NULL, 0);
	r->list[API_JOBS] = fixture_items(jobs, n_jobs);
	r->st.conn_out_cur = 5;
	r->st.conn_out_max = 20;
	src.api = r;
	s = snapshot_build(&src);
	pmta_result_unref(r);
	return s;
}

#endif
