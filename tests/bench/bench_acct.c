/*
 * Ingest benchmark: the agent's whole accounting path (tailer, header
 * mapping, CSV parser, statistics, one view at the end) on one core.
 *
 *   bench_acct FILE            read FILE, print records/s, MB/s and peak RSS
 *   bench_acct --make FILE N [DOMAINS]
 *                              write N realistic records (DOMAINS distinct
 *                              recipient domains, default 5000) to FILE
 *
 * A benchmark prints figures; it asserts nothing about speed.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "acct_reader.h"
#include "acct_stats.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
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
	time_t base = time(NULL) - 3000;
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
		time_t tl = base + (i * 3000) / n;
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

int
main(int argc, char **argv)
{
	struct acct_stats_config sc = { .window = 900, .max_rows = 1000000, .idle_drop = 86400 };
	struct acct_tail_opts to = { .max_line = 65536, .start_age = 0 };
	struct acct_stats *st;
	struct acct_reader *rd;
	struct acct_view *v;
	struct rusage ru;
	struct stat sb;
	char glob[4096];
	double t0, t1, t2;
	long total = 0, n;

	if (argc >= 4 && strcmp(argv[1], "--make") == 0)
		return make_file(argv[2], atol(argv[3]), argc > 4 ? atol(argv[4]) : 5000) ? 1 : 0;
	if (argc != 2 || stat(argv[1], &sb) < 0) {
		fprintf(stderr, "usage: bench_acct FILE | bench_acct --make FILE N [DOMAINS]\n");
		return 2;
	}
	/* The tailer takes a glob; a plain path is a glob matching itself. */
	snprintf(glob, sizeof(glob), "%s", argv[1]);
	st = acct_stats_new(&sc);
	rd = acct_reader_new("bench", glob, &to, on_record, st);
	if (!st || !rd)
		return 1;
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
