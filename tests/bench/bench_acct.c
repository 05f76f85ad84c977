/*
 * Ingest benchmark: the agent's whole accounting path (tailer, header
 * mapping, CSV parser, statistics, one view at the end) on one core.
 *
 *   bench_acct FILE            read FILE, print records/s, MB/s and peak RSS
 *   bench_acct --make FILE N [DOMAINS]
 *                              write N realistic records (DOMAINS distinct
 *                              recipient domains, default 5000) to FILE
 *   bench_acct --stats N DOMAINS
 *                              the statistics alone: N records built in
 *                              memory over the last hour, DOMAINS distinct
 *                              domains; prints records/s and the memory the
 *                              tables take (RSS after minus RSS before)
 *   bench_acct --memory FILE   read FILE, then the heap in use (glibc's
 *                              mallinfo2) after each step of a snapshot's
 *                              life in the agent: the statistics, the view,
 *                              the snapshot built from it, two alive
 *   bench_acct --pending N     N recipients deferred (t records, distinct
 *                              recipients, none resolved) into the
 *                              statistics: the RSS they cost, and the count
 *                              followed and given up (pmtaMaxPending default)
 *
 * A benchmark prints figures; it asserts nothing about speed.
 */
#include "config.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "acct_reader.h"
#include "pmta_result.h"
#include "snapshot.h"
#include "acct_stats.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Resident set size now, in KiB (peak RSS would include the record arrays). */
static long
rss_kib(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, res = 0;

	if (!f)
		return -1;
	if (fscanf(f, "%ld %ld", &pages, &res) != 2)
		res = -1;
	fclose(f);
	return res < 0 ? -1 : res * 4;
}

static struct acct_field
field_of(const char *s)
{
	struct acct_field f = { s, strlen(s) };

	return f;
}

/*
 * Feeds n records (80% d, 10% b, 10% t) over the last hour straight into
 * the statistics, recipients spread over `domains` domains, 16 VirtualMTAs
 * and 40 jobs: what acct_stats_add() costs without the reader.
 */
static int
stats_only(long n, long domains)
{
	static const char *const cats[] = { "bad-mailbox", "policy-related", "spam-related", "other" };
	/* the agent with its defaults: pmtaStatsWindow 900, no rule asking for more */
	struct acct_stats_config sc = { .window = 900, .horizon = 900, .max_rows = 1000000, .idle_drop = 86400 };
	struct acct_stats *st;
	struct acct_record *rec = calloc((size_t)n, sizeof(*rec));
	char (*rcpt)[48] = calloc((size_t)domains, sizeof(*rcpt));
	char vmta[16][16], job[40][16];
	int64_t now = (int64_t)time(NULL);
	long i, rss0;
	double t0, t1;
	struct acct_view *v;

	if (!rec || !rcpt)
		return 1;
	for (i = 0; i < domains; i++)
		snprintf(rcpt[i], sizeof(rcpt[i]), "someone@Dom%ld.Example", i);
	for (i = 0; i < 16; i++)
		snprintf(vmta[i], sizeof(vmta[i]), "vmta%ld", i);
	for (i = 0; i < 40; i++)
		snprintf(job[i], sizeof(job[i]), "job%ld", i);
	srand(1);
	for (i = 0; i < n; i++) {
		int k = rand() % 10;
		long d = rand() % domains;

		rec[i].type = field_of(k < 8 ? "d" : k < 9 ? "b" : "t");
		/* all inside the window: every record goes through the windows too */
		rec[i].time_logged = now - 850 + (850 * i) / n;
		rec[i].time_queued = rec[i].time_logged - rand() % 900;
		rec[i].rcpt = field_of(rcpt[d]);
		rec[i].bounce_cat = field_of(k == 8 ? cats[rand() % 4] : "");
		rec[i].dsn_status = field_of(k < 8 ? "2.0.0 (success)" : k < 9 ? "5.1.1 (bad mailbox)" :
		    "4.7.0 (try later)");
		rec[i].dsn_diag = field_of(k == 9 ? "smtp;421 4.7.0 try again later" : "");
		rec[i].vmta = field_of(vmta[d % 16]);
		rec[i].job_id = field_of(job[i % 40]);
		rec[i].queue = field_of("");
	}
	rss0 = rss_kib();
	st = acct_stats_new(&sc);
	if (!st)
		return 1;
	acct_stats_set_now(st, now);
	t0 = now_s();
	for (i = 0; i < n; i++)
		acct_stats_add(st, &rec[i]);
	t1 = now_s();
	v = acct_stats_view(st, now);
	printf("bench_acct --stats: %ld records, %ld domains: %.0f records/s; tables %ld MB; "
	    "view of %zu domains in %.3f s\n", n, domains, n / (t1 - t0), (rss_kib() - rss0) / 1024,
	    v ? v->n_domains : 0, now_s() - t1);
	acct_view_free(v);
	acct_stats_free(st);
	free(rec);
	free(rcpt);
	return 0;
}

/* The memory of following n deferred recipients: RSS after minus RSS before. */
static int
pending_only(long n)
{
	struct acct_stats_config sc = { .window = 900, .horizon = 900, .max_rows = 1000000, .idle_drop = 86400 };
	struct acct_stats *st = acct_stats_new(&sc);
	int64_t now = (int64_t)time(NULL);
	struct acct_record r;
	struct acct_view *v;
	char rcpt[64];
	long i, rss0, rss1;
	double t0, t1;

	if (!st)
		return 1;
	acct_stats_set_now(st, now);
	memset(&r, 0, sizeof(r));
	r.type = field_of("t");
	r.orig = field_of("bounce@sender.example");
	r.dsn_status = field_of("4.7.0 (other or undefined security status)");
	r.vmta = field_of("vmta1");
	r.queue = field_of("gmail.com/vmta1");
	rss0 = rss_kib();
	t0 = now_s();
	for (i = 0; i < n; i++) {
		r.rcpt.len = (size_t)snprintf(rcpt, sizeof(rcpt), "user%ld@gmail.com", i);
		r.rcpt.p = rcpt;
		r.time_logged = now - 3600 + (i % 3600);
		r.time_queued = r.time_logged - 60;
		acct_stats_add(st, &r);
	}
	t1 = now_s();
	rss1 = rss_kib();
	v = acct_stats_view(st, now);
	if (!v)
		return 1;
	printf("bench_acct: %ld deferred recipients in %.3f s: %llu followed, %llu given up; "
	    "RSS %+ld KiB (%.1f bytes each)\n", n, t1 - t0, (unsigned long long)v->pending,
	    (unsigned long long)v->pending_given_up, rss1 - rss0,
	    v->pending ? (rss1 - rss0) * 1024.0 / (double)v->pending : 0.0);
	acct_view_free(v);
	acct_stats_free(st);
	return 0;
}

static void
on_record(void *arg, const struct acct_record *r)
{
	acct_stats_add(arg, r);
}

static int
make_file(const char *path, long n, long domains)
{
	static const char *const cats[] = { "bad-mailbox", "policy-related", "spam-related", "quota-issues" };
	FILE *f = fopen(path, "w");
	/* The last 850 s, inside the 900 s window: every record is windowed too. */
	time_t base = time(NULL) - 850;
	long i;

	if (!f)
		return -1;
	fputs("type,timeLogged,timeQueued,orig,rcpt,orcpt,dsnAction,dsnStatus,dsnDiag,dsnMta,bounceCat,"
	    "srcType,srcMta,dlvType,dlvSourceIp,dlvDestinationIp,dlvEsmtpAvailable,dlvSize,vmta,jobId,"
	    "envId,queue,vmtaPool\r\n", f);
	srand(1);
	for (i = 0; i < n; i++) {
		long d = rand() % domains;
		int k = rand() % 20;
		time_t tl = base + (i * 850) / n;
		char tls[32], tqs[32];
		struct tm tm;

		gmtime_r(&tl, &tm);
		strftime(tls, sizeof(tls), "%Y-%m-%d %H:%M:%S+0000", &tm);
		tl -= rand() % 900;
		gmtime_r(&tl, &tm);
		strftime(tqs, sizeof(tqs), "%Y-%m-%d %H:%M:%S+0000", &tm);
		if (k < 16)
			fprintf(f, "d,%s,%s,bounce@sender.example,user%ld@dom%ld.example,,relayed,"
			    "2.0.0 (success),smtp;250 2.0.0 OK queued as %ld,mx.dom%ld.example (192.0.2.%ld),,"
			    "smtp,sender.example (127.0.0.1),smtp,203.0.113.5,192.0.2.%ld,"
			    "\"PIPELINING,8BITMIME,SIZE,STARTTLS\",%ld,vmta%ld,job%ld,,dom%ld.example/vmta%ld,pool1\r\n",
			    tls, tqs, i, d, i, d, d % 250, d % 250, 2000 + i % 50000, d % 16, i % 40, d, d % 16);
		else if (k < 18)
			fprintf(f, "b,%s,%s,bounce@sender.example,user%ld@dom%ld.example,,failed,"
			    "5.1.1 (bad destination mailbox address),\"smtp;550 5.1.1 <user%ld@dom%ld.example>: "
			    "Recipient address rejected, \"\"unknown\"\"\",mx.dom%ld.example (192.0.2.1),%s,"
			    "smtp,sender.example (127.0.0.1),smtp,203.0.113.5,192.0.2.1,\"PIPELINING,8BITMIME\",,"
			    "vmta%ld,job%ld,,dom%ld.example/vmta%ld,pool1\r\n",
			    tls, tqs, i, d, i, d, d, cats[rand() % 4], d % 16, i % 40, d, d % 16);
		else
			fprintf(f, "t,%s,%s,bounce@sender.example,user%ld@dom%ld.example,,delayed,"
			    "4.7.0 (other or undefined security status),smtp;421 4.7.0 try again later,"
			    "mx.dom%ld.example (192.0.2.1),policy-related,smtp,sender.example (127.0.0.1),smtp,"
			    "203.0.113.5,192.0.2.1,\"PIPELINING\",,vmta%ld,job%ld,,dom%ld.example/vmta%ld,pool1\r\n",
			    tls, tqs, i, d, d, d % 16, i % 40, d, d % 16);
	}
	return fclose(f);
}

/* Heap bytes in use now: small chunks plus mapped ones, free chunks left out. */
static double
heap_mb(void)
{
	struct mallinfo2 mi = mallinfo2();

	return (double)(mi.uordblks + mi.hblkhd) / 1048576.0;
}

/* A snapshot as the collector builds one: the view, taken; the API with empty lists. */
static struct snap_instance *
snapshot_of(struct acct_stats *st, struct pmta_result *api)
{
	struct snap_source src = {
		.index = 1, .name = "bench", .public_url = "", .api = api,
		.acct_configured = true, .now = (int64_t)time(NULL),
	};

	src.acct = acct_stats_view(st, src.now);
	return src.acct ? snapshot_build(&src) : NULL;
}

/* Where the statistics' heap is, by table, as acct_stats_memory() counts it. */
static void
memory_by_table(const struct acct_stats *st, double heap)
{
	static const char *const what[ACCT_TABLES] = {
		[ACCT_TAB_DOMAIN] = "domain", [ACCT_TAB_VMTA] = "VirtualMTA", [ACCT_TAB_JOB] = "job",
		[ACCT_TAB_BOUNCE] = "bounce", [ACCT_TAB_DEFERRAL] = "deferral",
		[ACCT_TAB_REJECTION] = "rejection", [ACCT_TAB_COMPLAINT] = "complaint",
		[ACCT_TAB_QUEUE] = "queue", [ACCT_TAB_ROUTE] = "route",
	};
	struct acct_memory m;
	double sum = 0, mb = 1048576.0;
	int i;

	acct_stats_memory(st, &m);
	for (i = 0; i < ACCT_TABLES; i++) {
		if (!m.rows[i])
			continue;
		printf("    %s table: %zu rows; rows %.1f MB, windows %.1f MB, slots and ids %.1f MB\n",
		    what[i], m.rows[i], m.row_bytes[i] / mb, m.window_bytes[i] / mb,
		    m.slot_bytes[i] / mb);
		sum += (double)(m.row_bytes[i] + m.window_bytes[i] + m.slot_bytes[i]);
	}
	printf("    followed recipients (final disposition): %.1f MB\n", m.followed_bytes / mb);
	sum += (double)m.followed_bytes;
	printf("    the rest (malloc's headers of every block, domain cache, ...): %.1f MB\n",
	    heap - sum / mb);
}

/* Where the agent's memory goes with the records of FILE: the figures issue 15 weighs. */
static int
memory_only(struct acct_stats *st, struct acct_reader *rd)
{
	struct pmta_result *api = pmta_result_new();
	struct snap_instance *a, *b;
	struct acct_view *v;
	double base, stats, view;
	int i;

	if (!api)
		return 1;
	for (i = 0; i < API_NPAGES; i++)
		api->list[i] = api_list_new(NULL, 0);
	base = heap_mb();
	while (acct_reader_poll(rd, 64u << 20) > 0)
		;
	stats = heap_mb();
	printf("memory: %llu records; heap in use %.0f MB before reading\n",
	    (unsigned long long)acct_reader_records(rd), base);
	printf("  statistics (tables, windows, followed recipients): %.0f MB\n", stats - base);
	v = acct_stats_view(st, (int64_t)time(NULL));
	view = heap_mb();
	printf("  a view of them (%zu domains, %zu queues, %zu deferral and %zu rejection rows): %.0f MB\n",
	    v ? v->n_domains : 0, v ? v->n_queues : 0, v ? v->n_deferrals : 0,
	    v ? v->n_rejections : 0, view - stats);
	acct_view_free(v);
	/* A view also drops what no window reaches and packs the idle rows' windows. */
	stats = heap_mb();
	printf("  statistics after that view (old slices dropped, idle windows packed): %.0f MB\n",
	    stats - base);
	memory_by_table(st, stats - base);
	a = snapshot_of(st, api);
	printf("  one snapshot as published (its rows, columns, index and strings): %.0f MB\n",
	    heap_mb() - stats);
	b = snapshot_of(st, api);
	printf("  the next one built while it is published: %.0f MB in all, statistics included\n",
	    heap_mb() - base);
	snapshot_free(a);
	snapshot_free(b);
	pmta_result_unref(api);
	return a && b ? 0 : 1;
}

int
main(int argc, char **argv)
{
	/* the agent with its defaults: pmtaStatsWindow 900, no rule asking for more */
	struct acct_stats_config sc = { .window = 900, .horizon = 900, .max_rows = 1000000, .idle_drop = 86400 };
	struct acct_tail_opts to = { .max_line = 65536, .start_age = 0 };
	struct acct_stats *st;
	struct acct_reader *rd;
	struct acct_view *v;
	struct rusage ru;
	struct stat sb;
	char glob[4096];
	double t0, t1, t2;
	long total = 0, n;
	bool memory = false;

	if (argc >= 4 && strcmp(argv[1], "--make") == 0)
		return make_file(argv[2], atol(argv[3]), argc > 4 ? atol(argv[4]) : 5000) ? 1 : 0;
	if (argc == 4 && strcmp(argv[1], "--stats") == 0 && atol(argv[2]) > 0 && atol(argv[3]) > 0)
		return stats_only(atol(argv[2]), atol(argv[3]));
	if (argc == 3 && strcmp(argv[1], "--pending") == 0 && atol(argv[2]) >= 0)
		return pending_only(atol(argv[2]));
	/*
	 * --max-pending N: pmtaMaxPending (default 1000000); 1 shows what
	 * following recipients to their final disposition costs the ingest.
	 */
	if (argc >= 4 && strcmp(argv[1], "--max-pending") == 0 && atol(argv[2]) > 0) {
		sc.max_pending = (size_t)atol(argv[2]);
		argv += 2;
		argc -= 2;
	}
	if (argc == 3 && strcmp(argv[1], "--memory") == 0) {
		argv++;
		argc--;
		memory = true;
	}
	if (argc != 2 || stat(argv[1], &sb) < 0) {
		fprintf(stderr, "usage: bench_acct [--max-pending N] [--memory] FILE | "
		    "bench_acct --make FILE N [DOMAINS] | bench_acct --stats N DOMAINS | "
		    "bench_acct --pending N\n");
		return 2;
	}
	/* The tailer takes a glob; a plain path is a glob matching itself. */
	snprintf(glob, sizeof(glob), "%s", argv[1]);
	st = acct_stats_new(&sc);
	rd = acct_reader_new("bench", glob, &to, on_record, st);
	if (!st || !rd)
		return 1;
	if (memory) {
		int rc = memory_only(st, rd);

		acct_reader_free(rd);
		acct_stats_free(st);
		return rc;
	}
	t0 = now_s();
	while ((n = acct_reader_poll(rd, 64u << 20)) > 0)
		total += n;
	t1 = now_s();
	v = acct_stats_view(st, (int64_t)time(NULL));
	t2 = now_s();
	getrusage(RUSAGE_SELF, &ru);
	printf("bench_acct: %llu records (%llu malformed), %.1f MB in %.3f s = %.0f records/s, %.0f MB/s; "
	    "view of %zu domains in %.3f s; peak RSS %ld MB\n",
	    (unsigned long long)acct_reader_records(rd), (unsigned long long)acct_reader_malformed(rd),
	    total / 1048576.0, t1 - t0, acct_reader_records(rd) / (t1 - t0), total / 1048576.0 / (t1 - t0),
	    v ? v->n_domains : 0, t2 - t1, ru.ru_maxrss / 1024);
	acct_view_free(v);
	acct_reader_free(rd);
	acct_stats_free(st);
	return 0;
}
