/* cmocka tests of the XML page parsers (agent/pmta_xml.c) on real and hostile pages. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pmta_xml.h"

static char *
slurp(const char *name, size_t *len)
{
	char path[1024];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/tests/fixtures/xml/%s", SRCDIR, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static int
status_of(const char *xml, struct pmta_status *s, char *err)
{
	return pmta_xml_parse_status(xml, strlen(xml), s, err, PMTA_XML_ERR_MAX);
}

static void
pmta_xml_status_35_real_sample_parses_exactly(void **state)
{
	struct pmta_status s;
	char err[PMTA_XML_ERR_MAX];
	size_t len;
	char *buf = slurp("status-3.5r16-real.xml", &len);

	(void)state;
	assert_int_equal(pmta_xml_parse_status(buf, len, &s, err, sizeof(err)), 0);
	assert_string_equal(s.version, "3.5r16");
	assert_string_equal(s.host_name, "mx1.myhotelpricer.com");
	assert_string_equal(s.state, "running");	/* from shuttingDown 0 */
	assert_int_equal(s.time_now - s.startup_time, 3 * 86400 + 15 * 3600 + 31 * 60 + 27);
	assert_int_equal(s.out_rcpt, 5830003);
	assert_int_equal(s.out_msg, 5830003);
	assert_int_equal(s.out_kb, 223623405);
	assert_int_equal(s.in_rcpt, 4898298);
	assert_int_equal(s.in_kb, 187930692);
	assert_int_equal(s.last_hr_out_rcpt, 1490);
	assert_int_equal(s.last_hr_in_rcpt, 1484);
	assert_int_equal(s.last_min_out_rcpt, 3);
	assert_int_equal(s.conn_in_cur, 1);
	assert_int_equal(s.conn_in_max, 200);
	assert_int_equal(s.conn_in_top, 158);
	assert_int_equal(s.conn_out_cur, 84);
	assert_int_equal(s.conn_out_max, 1200);
	assert_int_equal(s.conn_out_top, 1200);
	assert_int_equal(s.queued_rcpt, 754);
	assert_int_equal(s.queued_domains, 362);
	assert_int_equal(s.queued_kb, 27664);
	assert_int_equal(s.spool_files_in_use, 755);
	assert_int_equal(s.spool_files_total, 1716624);
	assert_int_equal(s.spool_rcpt, 0);	/* 3.5 has no totalRcp */
	assert_int_equal(s.resolver_pending, 7);
	assert_true(s.have & PMTA_HAVE_TIMES);
	free(buf);
}

static void
pmta_xml_status_50_guide_sample_parses_exactly(void **state)
{
	struct pmta_status s;
	char err[PMTA_XML_ERR_MAX];
	size_t len;
	char *buf = slurp("status-5.0r1-guide.xml", &len);

	(void)state;
	assert_int_equal(pmta_xml_parse_status(buf, len, &s, err, sizeof(err)), 0);
	assert_string_equal(s.version, "5.0r1");
	assert_string_equal(s.host_name, "hazmat.port25.com");
	assert_string_equal(s.state, "running");
	assert_int_equal(s.out_rcpt, 85402);
	assert_int_equal(s.in_msg, 100544);
	assert_int_equal(s.conn_out_max, 1000);
	assert_int_equal(s.queued_rcpt, 132);
	assert_int_equal(s.queued_domains, 92);
	assert_int_equal(s.spool_rcpt, 134);
	assert_int_equal(s.spool_max_rcpt, 2880000);
	assert_int_equal(s.spool_files_total, 12288);
	assert_int_equal(s.resolver_pending, 1);
	free(buf);
}

static void
pmta_xml_queues_parse_with_newest_event_and_modes(void **state)
{
	struct pmta_queue *q;
	size_t n, len;
	int trunc;
	char err[PMTA_XML_ERR_MAX];
	char *buf = slurp("queues.xml", &len);
	int64_t t;

	(void)state;
	assert_int_equal(pmta_xml_parse_queues(buf, len, 100, &q, &n, &trunc, err, sizeof(err)), 0);
	assert_int_equal(n, 3);	/* the entry without a name is skipped */
	assert_int_equal(trunc, 0);
	assert_string_equal(q[0].name, "aol.com/23.236.99.47");
	assert_string_equal(q[0].domain, "aol.com");
	assert_string_equal(q[0].vmta, "23.236.99.47");
	assert_int_equal(q[0].rcpt, 77);
	assert_int_equal(q[0].kb, 754);
	assert_false(q[0].paused);
	assert_int_equal(q[0].mode, PMTA_QUEUE_MODE_BACKOFF);
	assert_int_equal(pmta_xml_parse_time("2014-09-17 15:27:37", &t), 0);
	assert_int_equal(q[0].retry_time, t);
	assert_non_null(strstr(q[0].last_error, "521 5.2.1"));	/* the newer of two events */
	assert_true(q[1].paused);
	assert_int_equal(q[1].mode, PMTA_QUEUE_MODE_NORMAL);
	assert_int_equal(q[1].conn, 12);
	assert_int_equal(q[1].retry_time, 0);
	assert_string_equal(q[1].last_error, "");
	assert_string_equal(q[2].domain, "yahoo.rollup");
	assert_int_equal(q[2].mode, PMTA_QUEUE_MODE_OTHER);
	free(q);
	/* max entries: truncated */
	assert_int_equal(pmta_xml_parse_queues(buf, len, 2, &q, &n, &trunc, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_int_equal(trunc, 1);
	free(q);
	free(buf);
}

static void
pmta_xml_items_domains_vmtas_jobs(void **state)
{
	const char *xml = "<rsp><data><domain><name>gmail.com</name><rcp>10</rcp><kb>2.5</kb>"
	    "<conn>3</conn></domain><domain><name>web.de</name><rcp>1</rcp></domain></data></rsp>";
	const char *jobs = "<rsp><data><job><id>job-7</id><rcp>4</rcp></job>"
	    "<job><name>camp-1</name><rcp>2</rcp></job></data></rsp>";
	struct pmta_item *it;
	size_t n;
	char err[PMTA_XML_ERR_MAX];

	(void)state;
	assert_int_equal(pmta_xml_parse_items(xml, strlen(xml), "domain", 10, &it, &n, NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_string_equal(it[0].name, "gmail.com");
	assert_int_equal(it[0].rcpt, 10);
	assert_int_equal(it[0].kb, 2);
	assert_int_equal(it[0].conn, 3);
	free(it);
	assert_int_equal(pmta_xml_parse_items(xml, strlen(xml), "vmta", 10, &it, &n, NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 0);
	free(it);
	assert_int_equal(pmta_xml_parse_items(jobs, strlen(jobs), "job", 10, &it, &n, NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_string_equal(it[0].name, "job-7");
	assert_string_equal(it[1].name, "camp-1");
	free(it);
}

static void
pmta_xml_hostile_pages_are_refused_with_a_reason(void **state)
{
	static const struct {
		const char *xml, *why;
	} cases[] = {
		{ "", "empty" },
		{ "<rsp><data><status><traffic>", "not XML" },			/* truncated */
		{ "<html><body>500 Internal Server Error</body></html>", "<html>" },
		{ "\x01\x02garbage\xff", "not XML" },
		{ "<?xml version=\"1.0\"?><!DOCTYPE rsp [<!ENTITY a \"aaaaaaaaaa\">"
		  "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;\">]>"
		  "<rsp><data><mta><fullHostName>&c;</fullHostName></mta></data></rsp>", "DOCTYPE" },
		{ "<!DOCTYPE rsp [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
		  "<rsp><data><mta><fullHostName>&x;</fullHostName></mta></data></rsp>", "DOCTYPE" },
		{ "<rsp><data></rsp>", "not XML" },
	};
	struct pmta_status s;
	char err[PMTA_XML_ERR_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		if (status_of(cases[i].xml, &s, err) != -1)
			fail_msg("case %zu accepted", i);
		if (!strstr(err, cases[i].why))
			fail_msg("case %zu: reason '%s' lacks '%s'", i, err, cases[i].why);
		assert_null(strchr(err, '\n'));
	}
}

static void
pmta_xml_deep_nesting_is_refused(void **state)
{
	/* libxml2's default depth limit holds without XML_PARSE_HUGE. */
	size_t depth = 100000, i;
	char *xml = malloc(depth * 3 + 64), *p = xml;
	struct pmta_status s;
	char err[PMTA_XML_ERR_MAX];

	(void)state;
	p += sprintf(p, "<rsp>");
	for (i = 0; i < depth; i++)
		p += sprintf(p, "<a>");
	*p = '\0';
	assert_int_equal(status_of(xml, &s, err), -1);
	free(xml);
}

static void
pmta_xml_numbers_huge_negative_empty_and_garbage(void **state)
{
	const char *xml = "<rsp><data><status><traffic><total>"
	    "<out><rcp>99999999999999999999999</rcp><msg>-5</msg><kb></kb></out>"
	    "<in><rcp> 42 </rcp><msg>12abc</msg><kb>7.9</kb></in></total></traffic>"
	    "<conn><smtpOut><cur/></smtpOut></conn></status></data></rsp>";
	struct pmta_status s;
	char err[PMTA_XML_ERR_MAX];

	(void)state;
	assert_int_equal(status_of(xml, &s, err), 0);
	assert_true(s.out_rcpt == UINT64_MAX);
	assert_int_equal(s.out_msg, 0);
	assert_int_equal(s.out_kb, 0);
	assert_int_equal(s.in_rcpt, 42);
	assert_int_equal(s.in_msg, 0);
	assert_int_equal(s.in_kb, 7);
	assert_int_equal(s.conn_out_cur, 0);
	assert_string_equal(s.version, "");
	assert_false(s.have & PMTA_HAVE_VERSION);
}

static void
pmta_xml_right_root_without_data_is_all_zero(void **state)
{
	struct pmta_status s;
	char err[PMTA_XML_ERR_MAX];

	(void)state;
	assert_int_equal(status_of("<rsp><succ/></rsp>", &s, err), 0);
	assert_int_equal(s.have, 0);
	assert_int_equal(s.out_rcpt, 0);
}

static void
pmta_xml_long_names_cut_on_utf8_boundary_and_controls_blanked(void **state)
{
	char xml[2048], name[400];
	struct pmta_item *it;
	size_t n, i;
	char err[PMTA_XML_ERR_MAX];

	(void)state;
	/* 150 two-byte characters (300 bytes): cut below 256 bytes, on a boundary */
	for (i = 0; i < 150; i++)
		memcpy(name + 2 * i, "\xc3\xbc", 2);
	name[300] = '\0';
	snprintf(xml, sizeof(xml), "<rsp><data><domain><name>%s</name></domain>"
	    "<domain><name>a\tb\x7f" "c</name></domain></data></rsp>", name);
	assert_int_equal(pmta_xml_parse_items(xml, strlen(xml), "domain", 10, &it, &n, NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_int_equal(strlen(it[0].name), 254);
	assert_int_equal((unsigned char)it[0].name[253], 0xbc);
	assert_string_equal(it[1].name, "a b c");
	free(it);
}

static void
pmta_xml_time_parse_table(void **state)
{
	static const struct {
		const char *s;
		int rc;
		int64_t t;
	} cases[] = {
		{ "1970-01-01 00:00:00", 0, 0 },
		{ "2019-02-07 17:06:02", 0, 1549559162 },
		{ "2024-02-29 12:00:00", 0, 1709208000 },
		{ "2023-02-29 12:00:00", -1, 0 },
		{ "2019-13-01 00:00:00", -1, 0 },
		{ "2019-02-07T17:06:02", -1, 0 },
		{ "2019-02-07 17:06", -1, 0 },
		{ "2019-02-07 17:06:02 junk", -1, 0 },
		{ "", -1, 0 },
	};
	size_t i;
	int64_t t;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = pmta_xml_parse_time(cases[i].s, &t);

		if (rc != cases[i].rc || (rc == 0 && t != cases[i].t))
			fail_msg("'%s': rc %d t %lld", cases[i].s, rc, (long long)t);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pmta_xml_status_35_real_sample_parses_exactly),
		cmocka_unit_test(pmta_xml_status_50_guide_sample_parses_exactly),
		cmocka_unit_test(pmta_xml_queues_parse_with_newest_event_and_modes),
		cmocka_unit_test(pmta_xml_items_domains_vmtas_jobs),
		cmocka_unit_test(pmta_xml_hostile_pages_are_refused_with_a_reason),
		cmocka_unit_test(pmta_xml_deep_nesting_is_refused),
		cmocka_unit_test(pmta_xml_numbers_huge_negative_empty_and_garbage),
		cmocka_unit_test(pmta_xml_right_root_without_data_is_all_zero),
		cmocka_unit_test(pmta_xml_long_names_cut_on_utf8_boundary_and_controls_blanked),
		cmocka_unit_test(pmta_xml_time_parse_table),
	};

	pmta_xml_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
