/*
 * cmocka tests of the poller (agent/pmta_poller.c) without a network: the
 * HTTP fetch is replaced at link time (-Wl,--wrap=pmta_http_get) by pages
 * the test chooses, and polls run on the test's thread through
 * pmta_poller_poll_once(). Logging is wrapped too, to read what was said.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cfg.h"
#include "log.h"
#include "pmta_poller.h"
#include "pmta_xml.h"

/* --- the fake HTTP side ------------------------------------------------ */

static const char *status_ok;	/* the /status page served, read from the fixture */
static char status_low[4096];	/* the same with lower counters: a restart */
static enum pmta_api_status fail_with;	/* PMTA_API_OK: serve pages */
static bool vmtas_missing;	/* /vmtas answers 404 */
static bool use_low;
static unsigned fetches;

static const char domains_xml[] =
	"<rsp><data><domain><name>gmail.com</name><rcp>7</rcp><conn>2</conn></domain>"
	"<domain><name>B\xc3\x9c" "CHER.DE</name><rcp>1</rcp></domain></data></rsp>";
static const char vmtas_xml[] = "<rsp><data><vmta><name>v1</name><rcp>3</rcp></vmta></data></rsp>";
static const char jobs_xml[] = "<rsp><data><job><id>j1</id><rcp>4</rcp></job></data></rsp>";
static const char queues_xml[] =
	"<rsp><data><queue><name>B\xc3\xbc" "cher.de/v1</name><rcp>1</rcp></queue></data></rsp>";

enum pmta_api_status __wrap_pmta_http_get(struct pmta_http *h, const char *path,
					  const char **body, size_t *len, long *http_code,
					  char *err, size_t errlen);

enum pmta_api_status
__wrap_pmta_http_get(struct pmta_http *h, const char *path, const char **body, size_t *len,
		     long *http_code, char *err, size_t errlen)
{
	(void)h;
	fetches++;
	*http_code = 200;
	if (fail_with != PMTA_API_OK) {
		snprintf(err, errlen, "connection refused");
		*http_code = 0;
		return fail_with;
	}
	if (strncmp(path, "/status", 7) == 0)
		*body = use_low ? status_low : status_ok;
	else if (strncmp(path, "/domains", 8) == 0)
		*body = domains_xml;
	else if (strncmp(path, "/vmtas", 6) == 0 && vmtas_missing) {
		*http_code = 404;
		snprintf(err, errlen, "HTTP 404");
		return PMTA_API_HTTP_ERROR;
	} else if (strncmp(path, "/vmtas", 6) == 0)
		*body = vmtas_xml;
	else if (strncmp(path, "/jobs", 5) == 0)
		*body = jobs_xml;
	else
		*body = queues_xml;
	*len = strlen(*body);
	return PMTA_API_OK;
}

static unsigned warnings;
static char last_line[512];

void __wrap_log_emit(int prio, int errnum, const char *fmt, ...);

void
__wrap_log_emit(int prio, int errnum, const char *fmt, ...)
{
	va_list ap;

	(void)errnum;
	va_start(ap, fmt);
	vsnprintf(last_line, sizeof(last_line), fmt, ap);
	va_end(ap);
	if (prio <= LOG_WARNING)
		warnings++;
}

/* --- fixtures ---------------------------------------------------------- */

static char *
slurp(const char *name)
{
	char path[512];
	FILE *f;
	char *buf = calloc(1, 1 << 16);
	size_t n;

	snprintf(path, sizeof(path), "%s/tests/fixtures/xml/%s", SRCDIR, name);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(buf);
	n = fread(buf, 1, (1 << 16) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

struct fixture {
	struct cfg *cfg;
	struct pmta_poller *p;
};

static void
on_publish(void *arg, struct pmta_result *r)
{
	(void)arg;
	pmta_result_unref(r);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];
	char *at;

	assert_non_null(f);
	fail_with = PMTA_API_OK;
	vmtas_missing = use_low = false;
	fetches = warnings = 0;
	/* The restart: out/rcp 85402 becomes 5402. */
	snprintf(status_low, sizeof(status_low), "%s", status_ok);
	at = strstr(status_low, "<out><rcp>85402</rcp>");
	assert_non_null(at);
	memmove(at + 10, at + 11, strlen(at + 11) + 1);
	f->cfg = cfg_new();
	assert_non_null(f->cfg);
	assert_int_equal(cfg_parse(f->cfg, "pmtaInstance", "mta1 http://127.0.0.1:1/", err,
	    sizeof(err)), 0);
	f->p = pmta_poller_new(f->cfg, &f->cfg->inst[0], on_publish, NULL);
	assert_non_null(f->p);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	pmta_poller_free(f->p);
	cfg_free(f->cfg);
	free(f);
	return 0;
}

/* --- tests ------------------------------------------------------------- */

static void
pmta_poller_good_poll_publishes_every_page(void **state)
{
	struct fixture *f = *state;
	struct pmta_result *r = pmta_poller_poll_once(f->p);

	assert_non_null(r);
	assert_int_equal(r->status, PMTA_API_OK);
	assert_int_equal(r->polls, 1);
	assert_int_equal(r->failures, 0);
	assert_true(r->have_status);
	assert_int_equal(r->st.out_rcpt, 85402);
	assert_true(r->last_success > 0);
	assert_int_equal(r->list[API_DOMAINS]->n, 2);
	assert_int_equal(r->list[API_VMTAS]->n, 1);
	assert_int_equal(r->list[API_JOBS]->n, 1);
	assert_int_equal(r->list[API_QUEUES]->n, 1);
	assert_int_equal(fetches, 1 + API_NPAGES);
	pmta_result_unref(r);
}

/* The API's domains key their rows as the accounting records do (domain_idn.h). */
static void
pmta_poller_domain_names_become_their_keys(void **state)
{
	struct fixture *f = *state;
	struct pmta_result *r = pmta_poller_poll_once(f->p);
	const struct pmta_item *d;
	const struct pmta_queue *q;

	assert_non_null(r);
	d = r->list[API_DOMAINS]->items;
	assert_string_equal(d[0].name, "gmail.com");
	assert_string_equal(d[1].name, "xn--bcher-kva.de");
	/* A queue's domain part is keyed too, its VirtualMTA part kept. */
	q = r->list[API_QUEUES]->items;
	assert_string_equal(q[0].name, "xn--bcher-kva.de/v1");
	assert_string_equal(q[0].domain, "xn--bcher-kva.de");
	assert_string_equal(q[0].vmta, "v1");
	/* VirtualMTAs and jobs are not domains: untouched. */
	assert_string_equal(((const struct pmta_item *)r->list[API_JOBS]->items)[0].name, "j1");
	pmta_result_unref(r);
}

static void
pmta_poller_missing_page_is_an_empty_list_not_an_error(void **state)
{
	struct fixture *f = *state;
	struct pmta_result *r;

	vmtas_missing = true;
	r = pmta_poller_poll_once(f->p);
	assert_non_null(r);
	assert_int_equal(r->status, PMTA_API_OK);
	assert_int_equal(r->list[API_VMTAS]->n, 0);
	assert_int_equal(r->list[API_DOMAINS]->n, 2);
	pmta_result_unref(r);
}

static void
pmta_poller_failed_poll_keeps_the_last_good_lists_and_logs_once(void **state)
{
	struct fixture *f = *state;
	struct pmta_result *good = pmta_poller_poll_once(f->p), *bad, *bad2, *again;

	assert_non_null(good);
	fail_with = PMTA_API_UNREACHABLE;
	bad = pmta_poller_poll_once(f->p);
	assert_non_null(bad);
	assert_int_equal(bad->status, PMTA_API_UNREACHABLE);
	assert_string_equal(bad->last_error, "connection refused");
	assert_int_equal(bad->failures, 1);
	assert_int_equal(bad->failed_in_row, 1);
	assert_int_equal(bad->last_success, good->last_success);
	assert_ptr_equal(bad->list[API_DOMAINS], good->list[API_DOMAINS]);
	assert_int_equal(warnings, 1);
	assert_string_equal(last_line, "instance mta1: API poll failed: connection refused");
	/* The same failure again: counted, not logged again. */
	bad2 = pmta_poller_poll_once(f->p);
	assert_int_equal(bad2->failed_in_row, 2);
	assert_int_equal(warnings, 1);
	/* Back: the streak ends and the recovery is said once. */
	fail_with = PMTA_API_OK;
	again = pmta_poller_poll_once(f->p);
	assert_int_equal(again->status, PMTA_API_OK);
	assert_int_equal(again->failed_in_row, 0);
	assert_int_equal(again->failures, 2);
	assert_int_equal(again->polls, 4);
	assert_string_equal(last_line, "instance mta1: API answers again");
	pmta_result_unref(good);
	pmta_result_unref(bad);
	pmta_result_unref(bad2);
	pmta_result_unref(again);
}

static void
pmta_poller_counters_going_back_mark_a_discontinuity(void **state)
{
	struct fixture *f = *state;
	struct pmta_result *a = pmta_poller_poll_once(f->p), *b;

	assert_non_null(a);
	assert_int_equal(a->discontinuity, 0);
	assert_true(a->reset_wall > 0);
	use_low = true;
	b = pmta_poller_poll_once(f->p);
	assert_non_null(b);
	assert_int_equal(b->st.out_rcpt, 5402);
	assert_true(b->discontinuity > 0);
	pmta_result_unref(a);
	pmta_result_unref(b);
}

static void
pmta_poller_counters_reset_needs_traffic_on_both_sides(void **state)
{
	struct pmta_status prev = { .have = PMTA_HAVE_TRAFFIC, .in_rcpt = 10, .out_rcpt = 10 };
	struct pmta_status cur = prev;

	(void)state;
	assert_false(pmta_poller_counters_reset(&prev, &cur));
	cur.out_rcpt = 9;
	assert_true(pmta_poller_counters_reset(&prev, &cur));
	cur.have = 0;
	assert_false(pmta_poller_counters_reset(&prev, &cur));
	/* A later start-up time is a restart even when the counters grew meanwhile. */
	prev.have = cur.have = PMTA_HAVE_TRAFFIC | PMTA_HAVE_TIMES;
	cur.out_rcpt = 20;
	prev.startup_time = 1000;
	cur.startup_time = 1001;	/* a second of slack */
	assert_false(pmta_poller_counters_reset(&prev, &cur));
	cur.startup_time = 1002;
	assert_true(pmta_poller_counters_reset(&prev, &cur));
}

static void
pmta_poller_reset_wall_is_the_start_or_the_poll_of_a_reset(void **state)
{
	/* PowerMTA's clock runs 3600 s ahead of this host's: only differences count. */
	struct pmta_status prev = { .have = PMTA_HAVE_TRAFFIC | PMTA_HAVE_TIMES,
				    .startup_time = 100000, .time_now = 103600 };
	struct pmta_status cur = prev;

	(void)state;
	/* First status: PowerMTA started 3600 s before the poll. */
	assert_int_equal(pmta_poller_reset_wall(NULL, &cur, 50000), 50000 - 3600);
	/* Same start-up time: a `reset counters` while it ran, at the poll. */
	cur.time_now = 104000;
	assert_int_equal(pmta_poller_reset_wall(&prev, &cur, 50400), 50400);
	/* Started again 10 s before the poll. */
	cur.startup_time = 103990;
	assert_int_equal(pmta_poller_reset_wall(&prev, &cur, 50400), 50390);
	/* No times, or a start after PowerMTA's own now: the poll is all there is. */
	cur.have = PMTA_HAVE_TRAFFIC;
	assert_int_equal(pmta_poller_reset_wall(NULL, &cur, 50400), 50400);
	cur.have |= PMTA_HAVE_TIMES;
	cur.startup_time = cur.time_now + 5;
	assert_int_equal(pmta_poller_reset_wall(NULL, &cur, 50400), 50400);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(pmta_poller_good_poll_publishes_every_page),
		T(pmta_poller_domain_names_become_their_keys),
		T(pmta_poller_missing_page_is_an_empty_list_not_an_error),
		T(pmta_poller_failed_poll_keeps_the_last_good_lists_and_logs_once),
		T(pmta_poller_counters_going_back_mark_a_discontinuity),
		cmocka_unit_test(pmta_poller_counters_reset_needs_traffic_on_both_sides),
		cmocka_unit_test(pmta_poller_reset_wall_is_the_start_or_the_poll_of_a_reset),
#undef T
	};
	int rc;

	pmta_xml_init();
	status_ok = slurp("status-5.0r1-guide.xml");
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	free((char *)status_ok);
	return rc;
}
