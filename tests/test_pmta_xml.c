/* cmocka tests of the XML page parsers (agent/pmta_xml.c) on real and hostile pages. */
#include "config.h"

#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "pmta_xml.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

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
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
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

/* True when every byte of s is printable ASCII or part of a UTF-8 sequence
 * that starts and ends inside s. */
static bool
clean_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		int more = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2 :
		    (*p & 0xF8) == 0xF0 ? 3 : -1;

		if (more < 0 || *p < 0x20 || *p == 0x7f)
			return false;
		for (p++; more > 0; more--, p++)
			if ((*p & 0xC0) != 0x80)
				return false;
	}
	return true;
}

/* --- /status ------------------------------------------------------------ */

static void
pmta_xml_status_35_real_sample_parses_exactly(void **state)
{
	struct pmta_status s;
	char err[PMTA_XML_ERR_MAX];
	size_t len;
	char *buf = slurp("status-3.5r16-real.xml", &len);

	(void)state;
	assert_int_equal(pmta_xml_parse_status(buf, len, &s, err, sizeof(err)), 0);
	assert_int_equal(s.have, PMTA_HAVE_VERSION | PMTA_HAVE_HOSTNAME | PMTA_HAVE_STATE |
	    PMTA_HAVE_TIMES | PMTA_HAVE_TRAFFIC | PMTA_HAVE_CONN | PMTA_HAVE_QUEUE |
	    PMTA_HAVE_SPOOL | PMTA_HAVE_RESOLVER);
	assert_string_equal(s.version, "3.5r16");
	assert_string_equal(s.host_name, "mx1.myhotelpricer.com");
	assert_string_equal(s.state, "running");	/* from shuttingDown 0 */
	assert_int_equal(s.time_now, 1375776217);	/* 2013-08-06 08:03:37 */
	assert_int_equal(s.startup_time, 1375461130);	/* 2013-08-02 16:32:10 */
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
	assert_int_equal(s.spool_max_rcpt, 0);
	assert_int_equal(s.resolver_pending, 7);
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
	assert_string_equal(s.state, "running");	/* from <status>running</status> */
	assert_int_equal(s.time_now, 1549559162);
	assert_int_equal(s.startup_time, 1548902886);
	assert_int_equal(s.out_rcpt, 85402);
	assert_int_equal(s.out_msg, 85402);
	assert_int_equal(s.out_kb, 2736957);
	assert_int_equal(s.in_rcpt, 100640);
	assert_int_equal(s.in_msg, 100544);
	assert_int_equal(s.in_kb, 2177515);
	assert_int_equal(s.last_hr_out_rcpt, 3545);
	assert_int_equal(s.last_hr_in_rcpt, 3595);
	assert_int_equal(s.last_min_out_rcpt, 61);
	assert_int_equal(s.last_min_in_rcpt, 60);
	assert_int_equal(s.conn_in_cur, 3);
	assert_int_equal(s.conn_in_max, 200);
	assert_int_equal(s.conn_in_top, 20);
	assert_int_equal(s.conn_out_cur, 11);
	assert_int_equal(s.conn_out_max, 1000);
	assert_int_equal(s.conn_out_top, 76);
	assert_int_equal(s.queued_rcpt, 132);
	assert_int_equal(s.queued_domains, 92);
	assert_int_equal(s.queued_kb, 7944);
	assert_int_equal(s.spool_files_in_use, 134);
	assert_int_equal(s.spool_files_total, 12288);
	assert_int_equal(s.spool_rcpt, 134);
	assert_int_equal(s.spool_max_rcpt, 2880000);
	assert_int_equal(s.resolver_pending, 1);
	free(buf);
}

static void
pmta_xml_status_state_from_status_or_shutting_down(void **state)
{
	static const struct {
		const char *status;	/* children of rsp/data/status */
		const char *state;
		bool have;
	} cases[] = {
		{ "<status>running</status><shuttingDown>1</shuttingDown>", "running", true },
		{ "<status> stopping\n</status>", "stopping", true },
		{ "<shuttingDown>1</shuttingDown>", "shuttingDown", true },
		{ "<shuttingDown> 0 </shuttingDown>", "running", true },
		{ "<status/><shuttingDown>1</shuttingDown>", "shuttingDown", true },
		{ "<shuttingDown/>", "running", true },
		{ "<timeNow>2019-02-07 17:06:02</timeNow>", "", false },
	};
	char xml[512], err[PMTA_XML_ERR_MAX];
	struct pmta_status s;
	size_t i;

	(void)state;
	for (i = 0; i < N_OF(cases); i++) {
		snprintf(xml, sizeof(xml), "<rsp><data><status>%s</status></data></rsp>",
		    cases[i].status);
		assert_int_equal(status_of(xml, &s, err), 0);
		if (strcmp(s.state, cases[i].state) != 0 ||
		    !!(s.have & PMTA_HAVE_STATE) != cases[i].have)
			fail_msg("case %zu: state '%s' have %u", i, s.state, s.have);
	}
}

static void
pmta_xml_status_queue_kinds_summed_and_saturating(void **state)
{
	const char *xml = "<rsp><data><status><queue>"
	    "<smtp><rcp>10</rcp><dom>3</dom><kb>1.9</kb></smtp>"
	    "<pipe><rcp>5</rcp><dom>1</dom><kb>2.9</kb></pipe>"
	    "<somethingNew><rcp>18446744073709551610</rcp><dom>x</dom></somethingNew>"
	    "<alias><rcp>100</rcp></alias>"
	    "</queue></status></data></rsp>";
	struct pmta_status s;
	char err[PMTA_XML_ERR_MAX];

	(void)state;
	assert_int_equal(status_of(xml, &s, err), 0);
	assert_true(s.have & PMTA_HAVE_QUEUE);
	assert_true(s.queued_rcpt == UINT64_MAX);	/* 10+5+...610+100 saturates */
	assert_int_equal(s.queued_domains, 4);
	assert_int_equal(s.queued_kb, 3);	/* each kind truncated: 1 + 2 */
}

static void
pmta_xml_status_times_only_when_both_parse(void **state)
{
	const char *one = "<rsp><data><status><timeNow>2019-02-07 17:06:02</timeNow>"
	    "<startupTime>yesterday</startupTime></status></data></rsp>";
	const char *both = "<rsp><data><status><startupTime>\n\t2019-01-31 02:48:06\n\t"
	    "</startupTime><timeNow>2019-02-07 17:06:02</timeNow></status></data></rsp>";
	struct pmta_status s;
	char err[PMTA_XML_ERR_MAX];

	(void)state;
	assert_int_equal(status_of(one, &s, err), 0);
	assert_false(s.have & PMTA_HAVE_TIMES);
	assert_int_equal(s.time_now, 0);
	assert_int_equal(status_of(both, &s, err), 0);
	assert_true(s.have & PMTA_HAVE_TIMES);
	assert_int_equal(s.time_now - s.startup_time, 7 * 86400 + 14 * 3600 + 17 * 60 + 56);
}

static void
pmta_xml_status_right_root_without_data_is_all_zero(void **state)
{
	static const char *pages[] = {
		"<rsp><succ/></rsp>",
		"<rsp><data/></rsp>",
		"<?xml version=\"1.0\"?>\n<rsp>\n\t<data>\n\t\t<other>1</other>\n\t</data>\n</rsp>\n",
	};
	struct pmta_status s, zero;
	char err[PMTA_XML_ERR_MAX];
	size_t i;

	(void)state;
	memset(&zero, 0, sizeof(zero));
	for (i = 0; i < N_OF(pages); i++) {
		memset(&s, 0xAA, sizeof(s));
		assert_int_equal(status_of(pages[i], &s, err), 0);
		assert_memory_equal(&s, &zero, sizeof(s));
	}
}

static void
pmta_xml_status_numbers_huge_negative_empty_and_garbage_are_clamped(void **state)
{
	static const struct {
		const char *text;
		uint64_t want;
	} cases[] = {
		{ "42", 42 },
		{ " \n\t42\t\n ", 42 },
		{ "223623405.4", 223623405 },
		{ "7.9", 7 },
		{ "+3", 3 },
		{ "18446744073709551615", UINT64_MAX },
		{ "18446744073709551616", UINT64_MAX },
		{ "99999999999999999999999999999999999999", UINT64_MAX },
		{ "-5", 0 },
		{ "-99999999999999999999999", 0 },
		{ "", 0 },
		{ "   ", 0 },
		{ "12abc", 0 },
		{ "abc", 0 },
		{ "1e6", 0 },
		{ "0x10", 0 },
		{ "1 2", 0 },
		{ "4<!-- split by a comment -->2", 42 },
		{ "&#52;&#50;", 42 },
	};
	char xml[512], err[PMTA_XML_ERR_MAX];
	struct pmta_status s;
	size_t i;

	(void)state;
	for (i = 0; i < N_OF(cases); i++) {
		snprintf(xml, sizeof(xml), "<rsp><data><status><traffic><total><out><rcp>%s</rcp>"
		    "</out></total></traffic></status></data></rsp>", cases[i].text);
		assert_int_equal(status_of(xml, &s, err), 0);
		if (s.out_rcpt != cases[i].want)
			fail_msg("'%s' gave %llu", cases[i].text, (unsigned long long)s.out_rcpt);
	}
	/* an empty element written as <x/> */
	assert_int_equal(status_of("<rsp><data><status><conn><smtpOut><cur/></smtpOut></conn>"
	    "</status></data></rsp>", &s, err), 0);
	assert_true(s.have & PMTA_HAVE_CONN);
	assert_int_equal(s.conn_out_cur, 0);
}

/* --- hostile pages ------------------------------------------------------- */

static void
pmta_xml_hostile_pages_are_refused_with_a_one_line_reason(void **state)
{
	static const struct {
		const char *xml, *why;
	} cases[] = {
		{ "", "empty" },
		{ "<rsp><data><status><traffic>", "not XML" },			/* truncated */
		{ "<rsp><data><mta><fullHostName>mx1.exa", "not XML" },	/* cut mid-text */
		{ "<rsp><data></rsp>", "not XML" },
		{ "<html><body>500 Internal Server Error</body></html>", "root element is <html>" },
		{ "<!DOCTYPE html><html><body>Unauthorized</body></html>", "DOCTYPE" },
		{ "<status><timeNow>2019-02-07 17:06:02</timeNow></status>", "root element is <status>" },
		{ "HTTP/1.1 500 oops", "not XML" },
		{ "\x01\x02garbage\xff", "not XML" },
		{ "<rsp><data><mta><fullHostName>a\x01b</fullHostName></mta></data></rsp>", "not XML" },
		{ "{\"data\":{}}", "not XML" },
		{ "<rsp><data>&undefined;</data></rsp>", "not XML" },
		{ "<rsp><data><mta><fullHostName>\xff\xfe</fullHostName></mta></data></rsp>", "not XML" },
		/* billion laughs */
		{ "<?xml version=\"1.0\"?><!DOCTYPE rsp [<!ENTITY a \"aaaaaaaaaa\">"
		  "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;\">"
		  "<!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\"><!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;\">]>"
		  "<rsp><data><mta><fullHostName>&e;</fullHostName></mta></data></rsp>", "DOCTYPE" },
		/* external entities */
		{ "<!DOCTYPE rsp [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
		  "<rsp><data><mta><fullHostName>&x;</fullHostName></mta></data></rsp>", "DOCTYPE" },
		{ "<?xml version=\"1.0\"?>\n<!DOCTYPE rsp SYSTEM \"http://127.0.0.1:1/evil.dtd\">\n"
		  "<rsp><data/></rsp>", "DOCTYPE" },
		{ "<rsp><data/></rsp><rsp/>", "not XML" },
	};
	struct pmta_status s, before;
	char err[PMTA_XML_ERR_MAX];
	size_t i;

	(void)state;
	memset(&before, 0x5A, sizeof(before));
	for (i = 0; i < N_OF(cases); i++) {
		s = before;
		memset(err, 0, sizeof(err));
		if (status_of(cases[i].xml, &s, err) != -1)
			fail_msg("case %zu accepted", i);
		if (!strstr(err, cases[i].why))
			fail_msg("case %zu: reason '%s' lacks '%s'", i, err, cases[i].why);
		if (!clean_utf8(err))
			fail_msg("case %zu: reason '%s' is not one clean line", i, err);
		assert_memory_equal(&s, &before, sizeof(s));	/* out untouched on failure */
	}
}

static void
pmta_xml_refusal_reason_is_capped_and_never_quotes_the_page(void **state)
{
	const char *html = "<html><body><p>secret-token-1234 Internal Server Error</body></html>";
	char err[16], big[PMTA_XML_ERR_MAX];
	struct pmta_status s;

	(void)state;
	memset(err, '#', sizeof(err));
	assert_int_equal(pmta_xml_parse_status(html, strlen(html), &s, err, 10), -1);
	assert_int_equal(strlen(err), 9);
	assert_int_equal(err[10], '#');
	assert_int_equal(status_of(html, &s, big), -1);
	assert_null(strstr(big, "secret"));
	/* errlen 0 and a NULL err buffer are tolerated */
	assert_int_equal(pmta_xml_parse_status(html, strlen(html), &s, NULL, 0), -1);
}

static void
pmta_xml_libxml2_prints_nothing_on_stderr(void **state)
{
	static const char *pages[] = {
		"<rsp><data>", "<html><p>x</html>", "\xff", "<rsp>&nope;</rsp>",
		"<!DOCTYPE rsp [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><rsp>&x;</rsp>",
	};
	char path[] = "/tmp/test_pmta_xml_stderr.XXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	struct pmta_status s;
	char err[PMTA_XML_ERR_MAX];
	struct stat st;
	size_t i;

	(void)state;
	assert_true(fd >= 0 && saved >= 0);
	fflush(stderr);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	for (i = 0; i < N_OF(pages); i++)
		(void)status_of(pages[i], &s, err);
	fflush(stderr);
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	assert_int_equal(fstat(fd, &st), 0);
	close(fd);
	unlink(path);
	assert_int_equal(st.st_size, 0);
}

/*
 * A UTF-16 page hides "<!DOCTYPE" from a byte scan, so libxml2 would read
 * its internal subset; PowerMTA writes UTF-8, so every page with a NUL byte
 * is refused before libxml2 sees it, and /etc/passwd is never read.
 */
static void
pmta_xml_utf16_page_is_refused_before_parsing(void **state)
{
	static const struct {
		const char *xml, *why;
	} cases[] = {
		{ "<?xml version=\"1.0\" encoding=\"UTF-16\"?><!DOCTYPE rsp [<!ENTITY x SYSTEM "
		  "\"file:///etc/passwd\">]><rsp><data><mta><fullHostName>&x;</fullHostName></mta>"
		  "</data></rsp>", "not UTF-8" },
		{ "<?xml version=\"1.0\" encoding=\"UTF-16\"?><!DOCTYPE rsp [<!ENTITY a \"aaaaaaaa\">"
		  "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">"
		  "<!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\"><!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">"
		  "<!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\"><!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\">]>"
		  "<rsp><data><mta><fullHostName>&g;</fullHostName></mta></data></rsp>", "not UTF-8" },
		{ "<?xml version=\"1.0\" encoding=\"UTF-16\"?><rsp><data><mta><fullHostName>u16"
		  "</fullHostName></mta></data></rsp>", "not UTF-8" },
	};
	struct pmta_status s;
	char err[PMTA_XML_ERR_MAX], buf[2048];
	size_t i, j, n;

	(void)state;
	for (i = 0; i < N_OF(cases); i++) {
		n = 0;
		buf[n++] = (char)0xFF;	/* little-endian byte order mark */
		buf[n++] = (char)0xFE;
		for (j = 0; cases[i].xml[j]; j++) {
			buf[n++] = cases[i].xml[j];
			buf[n++] = '\0';
		}
		assert_null(memmem(buf, n, "<!DOCTYPE", 9));
		err[0] = '\0';
		if (pmta_xml_parse_status(buf, n, &s, err, sizeof(err)) != -1)
			fail_msg("case %zu accepted", i);
		if (err[0] == '\0' || !strstr(err, cases[i].why))
			fail_msg("case %zu: reason '%s'", i, err);
	}
}

/* Builds <rsp><data> + depth x <g> ... </g> + </data></rsp>, closed properly. */
static char *
nested(size_t depth)
{
	char *xml = malloc(depth * 7 + 64), *p = xml;
	size_t i;

	assert_non_null(xml);
	p += sprintf(p, "<rsp><data>");
	for (i = 0; i < depth; i++)
		p += sprintf(p, "<g>");
	for (i = 0; i < depth; i++)
		p += sprintf(p, "</g>");
	sprintf(p, "</data></rsp>");
	return xml;
}

static void
pmta_xml_deep_nesting_is_refused_and_moderate_garbage_ignored(void **state)
{
	struct pmta_status s;
	char err[PMTA_XML_ERR_MAX];
	char *xml;

	(void)state;
	/* Well-formed but 100000 deep: libxml2's depth limit (no XML_PARSE_HUGE) refuses it. */
	xml = nested(100000);
	assert_int_equal(status_of(xml, &s, err), -1);
	assert_non_null(strstr(err, "not XML"));
	free(xml);
	/* 200 levels of unknown elements under data are just ignored. */
	xml = nested(200);
	assert_int_equal(status_of(xml, &s, err), 0);
	assert_int_equal(s.have, 0);
	free(xml);
}

/* --- /queues ------------------------------------------------------------- */

static void
pmta_xml_queues_fixture_parses_exactly(void **state)
{
	struct pmta_queue *q;
	size_t n, len;
	int trunc = -1;
	char err[PMTA_XML_ERR_MAX];
	char *buf = slurp("queues.xml", &len);

	(void)state;
	assert_int_equal(pmta_xml_parse_queues(buf, len, 100, &q, &n, &trunc, err, sizeof(err)), 0);
	assert_int_equal(n, 3);	/* the entry without a name is skipped */
	assert_int_equal(trunc, 0);

	assert_string_equal(q[0].name, "aol.com/23.236.99.47");
	assert_string_equal(q[0].domain, "aol.com");
	assert_string_equal(q[0].vmta, "23.236.99.47");
	assert_int_equal(q[0].rcpt, 77);
	assert_int_equal(q[0].kb, 754);
	assert_int_equal(q[0].conn, 0);
	assert_false(q[0].paused);
	assert_int_equal(q[0].mode, PMTA_QUEUE_MODE_BACKOFF);
	assert_int_equal(q[0].retry_time, 1410967657);	/* 2014-09-17 15:27:37 */
	/* three events share the newest time: the first of them wins */
	assert_string_equal(q[0].last_error,
	    "message rate limit reached (based on queue's backoff-max-msg-rate in configuration)");

	assert_string_equal(q[1].name, "gmail.com/vmta1");
	assert_string_equal(q[1].domain, "gmail.com");
	assert_string_equal(q[1].vmta, "vmta1");
	assert_int_equal(q[1].rcpt, 1200);
	assert_int_equal(q[1].kb, 33000);
	assert_int_equal(q[1].conn, 12);
	assert_true(q[1].paused);
	assert_int_equal(q[1].mode, PMTA_QUEUE_MODE_NORMAL);	/* absent */
	assert_int_equal(q[1].retry_time, 0);			/* empty */
	/* the newer event comes second in the page; its text is trimmed */
	assert_string_equal(q[1].last_error,
	    "450 4.2.1 The user you are trying to contact is receiving mail too quickly");

	assert_string_equal(q[2].name, "yahoo.rollup/vmta18");
	assert_string_equal(q[2].domain, "yahoo.rollup");
	assert_string_equal(q[2].vmta, "vmta18");
	assert_int_equal(q[2].rcpt, 5);
	assert_int_equal(q[2].kb, 1);
	assert_int_equal(q[2].conn, 1);
	assert_false(q[2].paused);
	assert_int_equal(q[2].mode, PMTA_QUEUE_MODE_OTHER);	/* "suspended" */
	assert_int_equal(q[2].retry_time, 0);
	assert_string_equal(q[2].last_error, "");
	free(q);
	free(buf);
}

static void
pmta_xml_queues_over_max_are_cut_and_flagged(void **state)
{
	static const struct {
		size_t max, n;
		int trunc;
	} cases[] = {
		{ 100, 3, 0 },
		{ 3, 3, 0 },	/* only the nameless entry is past the cap */
		{ 2, 2, 1 },
		{ 1, 1, 1 },
		{ 0, 0, 1 },
	};
	struct pmta_queue *q;
	size_t n, len, i;
	int trunc;
	char err[PMTA_XML_ERR_MAX];
	char *buf = slurp("queues.xml", &len);

	(void)state;
	for (i = 0; i < N_OF(cases); i++) {
		assert_int_equal(pmta_xml_parse_queues(buf, len, cases[i].max, &q, &n, &trunc, err,
		    sizeof(err)), 0);
		if (n != cases[i].n || trunc != cases[i].trunc)
			fail_msg("max %zu: n %zu truncated %d", cases[i].max, n, trunc);
		if (n)
			assert_string_equal(q[0].name, "aol.com/23.236.99.47");
		free(q);
		/* truncated may be NULL */
		assert_int_equal(pmta_xml_parse_queues(buf, len, cases[i].max, &q, &n, NULL, err,
		    sizeof(err)), 0);
		assert_int_equal(n, cases[i].n);
		free(q);
	}
	free(buf);
}

static void
pmta_xml_queue_name_splits_at_last_slash_and_flags_parse(void **state)
{
	static const struct {
		const char *inner, *domain, *vmta;
		bool paused;
		enum pmta_queue_mode mode;
	} cases[] = {
		{ "<name>example.com/vmta-a</name>", "example.com", "vmta-a", false,
		  PMTA_QUEUE_MODE_NORMAL },
		{ "<name>a/b/c</name><paused>true</paused>", "a/b", "c", true,
		  PMTA_QUEUE_MODE_NORMAL },
		{ "<name>nodomain</name><paused>1</paused><mode>Backoff</mode>", "nodomain", "", true,
		  PMTA_QUEUE_MODE_BACKOFF },
		{ "<name>x.org/</name><paused>YES</paused><mode> normal </mode>", "x.org", "", true,
		  PMTA_QUEUE_MODE_NORMAL },
		{ "<name>  spaced.net/v  </name><paused>no</paused><mode>backoffish</mode>", "spaced.net",
		  "v", false, PMTA_QUEUE_MODE_OTHER },
		{ "<name>q.com/v</name><paused>maybe</paused><mode/>", "q.com", "v", false,
		  PMTA_QUEUE_MODE_NORMAL },
	};
	char xml[512], err[PMTA_XML_ERR_MAX];
	struct pmta_queue *q;
	size_t n, i;

	(void)state;
	for (i = 0; i < N_OF(cases); i++) {
		snprintf(xml, sizeof(xml), "<rsp><data><queue>%s</queue></data></rsp>", cases[i].inner);
		assert_int_equal(pmta_xml_parse_queues(xml, strlen(xml), 10, &q, &n, NULL, err,
		    sizeof(err)), 0);
		assert_int_equal(n, 1);
		if (strcmp(q[0].domain, cases[i].domain) != 0 || strcmp(q[0].vmta, cases[i].vmta) != 0 ||
		    q[0].paused != cases[i].paused || q[0].mode != cases[i].mode)
			fail_msg("case %zu: '%s' '%s' paused %d mode %d", i, q[0].domain, q[0].vmta,
			    q[0].paused, q[0].mode);
		free(q);
	}
}

static void
pmta_xml_queue_events_without_time_lose_to_timed_ones(void **state)
{
	const char *xml = "<rsp><data><queue><name>d/v</name>"
	    "<event><text>no time</text></event>"
	    "<event><time>bad</time><text>bad time</text></event>"
	    "<event><time>2014-09-17 14:41:39</time><text>timed</text></event>"
	    "<event><text>also no time</text></event>"
	    "</queue><queue><name>e/v</name><event><text>only untimed</text></event>"
	    "<retryTime>2014-13-01 00:00:00</retryTime></queue></data></rsp>";
	char err[PMTA_XML_ERR_MAX];
	struct pmta_queue *q;
	size_t n;

	(void)state;
	assert_int_equal(pmta_xml_parse_queues(xml, strlen(xml), 10, &q, &n, NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_string_equal(q[0].last_error, "timed");
	assert_string_equal(q[1].last_error, "only untimed");
	assert_int_equal(q[1].retry_time, 0);	/* malformed: none */
	free(q);
}

static void
pmta_xml_queues_refuse_a_wrong_page_and_leave_outputs(void **state)
{
	const char *html = "<html><body>401 Unauthorized</body></html>";
	struct pmta_queue *q = (struct pmta_queue *)&q;	/* a sentinel, must stay */
	size_t n = 77;
	int trunc = 77;
	char err[PMTA_XML_ERR_MAX];

	(void)state;
	assert_int_equal(pmta_xml_parse_queues(html, strlen(html), 10, &q, &n, &trunc, err,
	    sizeof(err)), -1);
	assert_ptr_equal(q, (struct pmta_queue *)&q);
	assert_int_equal(n, 77);
	assert_int_equal(trunc, 77);
	assert_string_equal(err, "root element is <html>, expected <rsp>");
}

/* --- /domains, /vmtas, /jobs ---------------------------------------------- */

static void
pmta_xml_items_domains_vmtas_jobs_parse(void **state)
{
	const char *domains = "<rsp>\n\t<data>\n\t\t<domain>\n\t\t\t<name>gmail.com</name>\n"
	    "\t\t\t<rcp>10</rcp>\n\t\t\t<kb>2.5</kb>\n\t\t\t<conn>3</conn>\n\t\t</domain>\n"
	    "\t\t<vmta><name>not-a-domain</name></vmta>\n"
	    "\t\t<domain><name>web.de</name><rcp>1</rcp><extra/></domain>\n"
	    "\t\t<domain><rcp>5</rcp></domain>\n\t</data>\n</rsp>\n";
	const char *vmtas = "<rsp><data><vmta><name>vmta1</name><rcp>7</rcp><conn>2</conn></vmta>"
	    "</data></rsp>";
	const char *jobs = "<rsp><data><job><id>job-7</id><rcp>4</rcp></job>"
	    "<job><name>camp-1</name><id>ignored</id><rcp>2</rcp></job>"
	    "<job><name/><id> 99 </id></job><job><rcp>3</rcp></job></data></rsp>";
	struct pmta_item *it;
	size_t n;
	int trunc;
	char err[PMTA_XML_ERR_MAX];

	(void)state;
	assert_int_equal(pmta_xml_parse_items(domains, strlen(domains), "domain", 10, &it, &n,
	    &trunc, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_int_equal(trunc, 0);
	assert_string_equal(it[0].name, "gmail.com");
	assert_int_equal(it[0].rcpt, 10);
	assert_int_equal(it[0].kb, 2);
	assert_int_equal(it[0].conn, 3);
	assert_string_equal(it[1].name, "web.de");
	assert_int_equal(it[1].rcpt, 1);
	assert_int_equal(it[1].kb, 0);
	free(it);

	assert_int_equal(pmta_xml_parse_items(domains, strlen(domains), "domain", 1, &it, &n,
	    &trunc, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_int_equal(trunc, 1);
	free(it);

	assert_int_equal(pmta_xml_parse_items(vmtas, strlen(vmtas), "vmta", 10, &it, &n, NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_string_equal(it[0].name, "vmta1");
	assert_int_equal(it[0].rcpt, 7);
	assert_int_equal(it[0].conn, 2);
	free(it);

	/* a "domain" page asked for "vmta": nothing, not an error */
	assert_int_equal(pmta_xml_parse_items(domains, strlen(domains), "job", 10, &it, &n, &trunc,
	    err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	assert_int_equal(trunc, 0);
	free(it);

	assert_int_equal(pmta_xml_parse_items(jobs, strlen(jobs), "job", 10, &it, &n, NULL, err,
	    sizeof(err)), 0);
	assert_int_equal(n, 3);
	assert_string_equal(it[0].name, "job-7");
	assert_string_equal(it[1].name, "camp-1");
	assert_string_equal(it[2].name, "99");
	free(it);
}

/* --- strings ------------------------------------------------------------- */

static void
pmta_xml_long_names_cut_on_utf8_boundary_and_controls_blanked(void **state)
{
	static const struct {
		const char *unit;	/* repeated to 300 bytes or more */
		size_t want;		/* bytes kept of PMTA_NAME_MAX - 1 = 255 */
	} cases[] = {
		{ "a", 255 },
		{ "\xc3\xbc", 254 },		/* u-umlaut, 2 bytes */
		{ "\xe2\x82\xac", 255 },	/* euro sign, 3 bytes: 85 fit exactly */
		{ "a\xe2\x82\xac", 253 },	/* 4-byte units, the 64th does not fit */
		{ "\xf0\x9f\x93\xa7", 252 },	/* e-mail emoji, 4 bytes */
	};
	char xml[2048], name[400];
	struct pmta_item *it;
	size_t n, i, u;
	char err[PMTA_XML_ERR_MAX];

	(void)state;
	for (i = 0; i < N_OF(cases); i++) {
		size_t ul = strlen(cases[i].unit);

		for (u = 0; u + ul <= 300; u += ul)
			memcpy(name + u, cases[i].unit, ul);
		name[u] = '\0';
		snprintf(xml, sizeof(xml), "<rsp><data><domain><name>%s</name></domain></data></rsp>",
		    name);
		assert_int_equal(pmta_xml_parse_items(xml, strlen(xml), "domain", 10, &it, &n, NULL,
		    err, sizeof(err)), 0);
		assert_int_equal(n, 1);
		if (strlen(it[0].name) != cases[i].want || !clean_utf8(it[0].name) ||
		    strncmp(it[0].name, name, cases[i].want) != 0)
			fail_msg("case %zu: kept %zu bytes", i, strlen(it[0].name));
		free(it);
	}
}

static void
pmta_xml_control_characters_become_spaces_and_ends_are_trimmed(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "a\tb\x7f" "c", "a b c" },
		{ "\n\t  mx1.example.com \r\n", "mx1.example.com" },
		{ "&#9;x&#13;&#10;y&#127;", "x  y" },
		{ "\x7f\t z \r", "z" },
		{ "a &amp; b &lt;c&gt;", "a & b <c>" },
		{ "<![CDATA[cd\x7f[31m\nata]]>", "cd [31m ata" },
	};
	char xml[512], err[PMTA_XML_ERR_MAX];
	struct pmta_status s;
	size_t i;

	(void)state;
	for (i = 0; i < N_OF(cases); i++) {
		snprintf(xml, sizeof(xml), "<rsp><data><mta><fullHostName>%s</fullHostName></mta>"
		    "</data></rsp>", cases[i].in);
		if (status_of(xml, &s, err) != 0)
			fail_msg("case %zu refused: %s", i, err);
		if (strcmp(s.host_name, cases[i].want) != 0)
			fail_msg("case %zu: '%s'", i, s.host_name);
	}
}

/* --- time ---------------------------------------------------------------- */

static void
pmta_xml_time_parse_is_strict_and_utc(void **state)
{
	static const struct {
		const char *s;
		int rc;
		int64_t t;
	} cases[] = {
		{ "1970-01-01 00:00:00", 0, 0 },
		{ "2019-02-07 17:06:02", 0, 1549559162 },
		{ "2024-02-29 12:00:00", 0, 1709208000 },
		{ "2000-02-29 23:59:59", 0, 951868799 },
		{ "2100-03-01 00:00:00", 0, 4107542400 },
		{ "2038-01-19 03:14:08", 0, 2147483648 },
		{ "2023-02-29 12:00:00", -1, 0 },
		{ "2100-02-29 12:00:00", -1, 0 },
		{ "2019-13-01 00:00:00", -1, 0 },
		{ "2019-00-01 00:00:00", -1, 0 },
		{ "2019-04-31 00:00:00", -1, 0 },
		{ "2019-02-07 24:00:00", -1, 0 },
		{ "2019-02-07 23:60:00", -1, 0 },
		{ "1969-12-31 23:59:59", -1, 0 },
		{ "2019-02-07 -1:06:02", -1, 0 },
		{ "2019-+2-07 17:06:02", -1, 0 },
		{ " 2019-02-07 17:06:0", -1, 0 },
		{ "2019-02-07T17:06:02", -1, 0 },
		{ "2019/02/07 17:06:02", -1, 0 },
		{ "2019-02-07 17:06", -1, 0 },
		{ "2019-02-07 17:06:02 ", -1, 0 },
		{ "2019-02-07 17:06:02 junk", -1, 0 },
		{ "", -1, 0 },
		{ NULL, -1, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < N_OF(cases); i++) {
		int64_t t = -7;
		int rc = pmta_xml_parse_time(cases[i].s, &t);

		if (rc != cases[i].rc || (rc == 0 && t != cases[i].t) || (rc != 0 && t != -7))
			fail_msg("'%s': rc %d t %lld", cases[i].s ? cases[i].s : "(null)", rc,
			    (long long)t);
	}
}

/* --- threads ------------------------------------------------------------- */

struct worker {
	const char *buf;
	size_t len;
	int bad;
};

static void *
worker_run(void *arg)
{
	struct worker *w = arg;
	const char *hostile = "<!DOCTYPE x [<!ENTITY e \"e\">]><rsp/>";
	struct pmta_status s;
	char err[PMTA_XML_ERR_MAX];
	int i;

	for (i = 0; i < 200; i++) {
		if (pmta_xml_parse_status(w->buf, w->len, &s, err, sizeof(err)) != 0 ||
		    s.out_rcpt != 5830003)
			w->bad++;
		if (status_of("<rsp><data>", &s, err) != -1 || !strstr(err, "not XML"))
			w->bad++;
		if (status_of(hostile, &s, err) != -1)
			w->bad++;
	}
	return NULL;
}

static void
pmta_xml_parsers_run_concurrently_after_init(void **state)
{
	struct worker w[4];
	pthread_t t[4];
	size_t len, i;
	char *buf = slurp("status-3.5r16-real.xml", &len);

	(void)state;
	for (i = 0; i < N_OF(w); i++) {
		w[i] = (struct worker){ buf, len, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
	}
	for (i = 0; i < N_OF(w); i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(w[i].bad, 0);
	}
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pmta_xml_status_35_real_sample_parses_exactly),
		cmocka_unit_test(pmta_xml_status_50_guide_sample_parses_exactly),
		cmocka_unit_test(pmta_xml_status_state_from_status_or_shutting_down),
		cmocka_unit_test(pmta_xml_status_queue_kinds_summed_and_saturating),
		cmocka_unit_test(pmta_xml_status_times_only_when_both_parse),
		cmocka_unit_test(pmta_xml_status_right_root_without_data_is_all_zero),
		cmocka_unit_test(pmta_xml_status_numbers_huge_negative_empty_and_garbage_are_clamped),
		cmocka_unit_test(pmta_xml_hostile_pages_are_refused_with_a_one_line_reason),
		cmocka_unit_test(pmta_xml_refusal_reason_is_capped_and_never_quotes_the_page),
		cmocka_unit_test(pmta_xml_libxml2_prints_nothing_on_stderr),
		cmocka_unit_test(pmta_xml_utf16_page_is_refused_before_parsing),
		cmocka_unit_test(pmta_xml_deep_nesting_is_refused_and_moderate_garbage_ignored),
		cmocka_unit_test(pmta_xml_queues_fixture_parses_exactly),
		cmocka_unit_test(pmta_xml_queues_over_max_are_cut_and_flagged),
		cmocka_unit_test(pmta_xml_queue_name_splits_at_last_slash_and_flags_parse),
		cmocka_unit_test(pmta_xml_queue_events_without_time_lose_to_timed_ones),
		cmocka_unit_test(pmta_xml_queues_refuse_a_wrong_page_and_leave_outputs),
		cmocka_unit_test(pmta_xml_items_domains_vmtas_jobs_parse),
		cmocka_unit_test(pmta_xml_long_names_cut_on_utf8_boundary_and_controls_blanked),
		cmocka_unit_test(pmta_xml_control_characters_become_spaces_and_ends_are_trimmed),
		cmocka_unit_test(pmta_xml_time_parse_is_strict_and_utc),
		cmocka_unit_test(pmta_xml_parsers_run_concurrently_after_init),
	};

	pmta_xml_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
