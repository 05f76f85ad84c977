#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acct_stats.h"
#include "log.h"

#define LAT_EXACT 20		/* latencies below this many seconds have a bucket each */
#define LAT_RATIO 1.04		/* then each bucket is 4% wider: within 2% of the truth */
#define LAT_BUCKETS 256
#define NAME_MAX_BYTES 255	/* keys longer than this are cut: an input cap */
#define DROP_LOG_INTERVAL 60

static const char *const default_hard[] = {
	"bad-mailbox", "bad-domain", "inactive-mailbox", "routing-errors",
};

/* --- latency histogram buckets ----------------------------------------- */

unsigned
acct_latency_bucket(uint64_t s)
{
	double b;

	if (s < LAT_EXACT)
		return (unsigned)s;
	b = LAT_EXACT + floor(log((double)s / LAT_EXACT) / log(LAT_RATIO));
	return b >= LAT_BUCKETS - 1 ? LAT_BUCKETS - 1 : (unsigned)b;
}

uint32_t
acct_latency_value(unsigned b)
{
	double lo, hi;

	if (b < LAT_EXACT)
		return b;
	/* The geometric middle of the bucket's range. */
	lo = LAT_EXACT * pow(LAT_RATIO, b - LAT_EXACT);
	hi = lo * LAT_RATIO;
	return (uint32_t)llround(sqrt(lo * hi));
}

/* --- time slices ------------------------------------------------------- */

struct hbin {
	uint8_t bucket;
	uint32_t n;
};

/* What happened in one ACCT_SLICE-second slice of one row. */
struct slice {
	int64_t t;		/* start of the slice */
	uint32_t d, b, hb, df;	/* delivered, bounced, hard bounced, deferred (or the row's count) */
	uint32_t max;		/* longest latency */
	uint16_t nh, caph;
	struct hbin *h;		/* sparse latency histogram */
};

struct slices {
	struct slice *s;	/* ascending t */
	uint32_t n, cap;
};

static void
slices_free(struct slices *w)
{
	uint32_t i;

	for (i = 0; i < w->n; i++)
		free(w->s[i].h);
	free(w->s);
	memset(w, 0, sizeof(*w));
}

/* Drops slices that no window can reach any more. */
static void
slices_prune(struct slices *w, int64_t now)
{
	uint32_t k = 0, i;

	while (k < w->n && w->s[k].t + ACCT_SLICE <= now - ACCT_WINDOW_MAX)
		k++;
	if (!k)
		return;
	for (i = 0; i < k; i++)
		free(w->s[i].h);
	memmove(w->s, w->s + k, (w->n - k) * sizeof(*w->s));
	w->n -= k;
}

/* The slice holding time t, created if needed; NULL on no memory. */
static struct slice *
slice_at(struct slices *w, int64_t t)
{
	int64_t st = t - ((t % ACCT_SLICE) + ACCT_SLICE) % ACCT_SLICE;
	uint32_t lo = 0, hi = w->n;

	/* Records come mostly in time order: try the last slice first. */
	if (w->n && w->s[w->n - 1].t == st)
		return &w->s[w->n - 1];
	if (w->n && w->s[w->n - 1].t < st) {
		lo = w->n;
	} else {
		while (lo < hi) {
			uint32_t mid = (lo + hi) / 2;

			if (w->s[mid].t < st)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < w->n && w->s[lo].t == st)
			return &w->s[lo];
	}
	if (w->n == w->cap) {
		uint32_t cap = w->cap ? w->cap * 2 : 2;
		struct slice *p = realloc(w->s, cap * sizeof(*p));

		if (!p)
			return NULL;
		w->s = p;
		w->cap = cap;
	}
	memmove(&w->s[lo + 1], &w->s[lo], (w->n - lo) * sizeof(*w->s));
	memset(&w->s[lo], 0, sizeof(*w->s));
	w->s[lo].t = st;
	w->n++;
	return &w->s[lo];
}

static void
slice_latency(struct slice *s, uint64_t lat)
{
	unsigned b = acct_latency_bucket(lat);
	uint16_t i;

	if (lat > s->max)
		s->max = lat > UINT32_MAX ? UINT32_MAX : (uint32_t)lat;
	for (i = 0; i < s->nh; i++) {
		if (s->h[i].bucket == b) {
			s->h[i].n++;
			return;
		}
	}
	if (s->nh == s->caph) {
		uint16_t cap = s->caph ? s->caph * 2 : 2;
		struct hbin *p = realloc(s->h, cap * sizeof(*p));

		if (!p)
			return;
		s->h = p;
		s->caph = cap;
	}
	s->h[s->nh].bucket = (uint8_t)b;
	s->h[s->nh].n = 1;
	s->nh++;
}

/* Sums of the slices within the last `window` seconds before now. */
struct wsum {
	uint64_t d, b, hb, df;
	uint64_t hist[LAT_BUCKETS];
	uint64_t lat_n;
	uint32_t max;
};

static void
slices_sum(const struct slices *w, int64_t now, unsigned window, bool hist, struct wsum *out)
{
	uint32_t i;

	memset(out, 0, hist ? sizeof(*out) : offsetof(struct wsum, hist));
	for (i = w->n; i-- > 0;) {
		const struct slice *s = &w->s[i];
		uint16_t k;

		if (s->t > now)
			continue;	/* ahead of the clock: counted as now, in the newest slice */
		if (s->t + ACCT_SLICE <= now - (int64_t)window)
			break;
		out->d += s->d;
		out->b += s->b;
		out->hb += s->hb;
		out->df += s->df;
		if (!hist)
			continue;
		if (s->max > out->max)
			out->max = s->max;
		for (k = 0; k < s->nh; k++) {
			out->hist[s->h[k].bucket] += s->h[k].n;
			out->lat_n += s->h[k].n;
		}
	}
}

/* Nearest-rank percentile p (1..100) of the histogram. */
static uint32_t
percentile(const struct wsum *w, unsigned p)
{
	uint64_t rank, seen = 0;
	unsigned b;

	if (!w->lat_n)
		return 0;
	rank = (w->lat_n * p + 99) / 100;
	for (b = 0; b < LAT_BUCKETS; b++) {
		seen += w->hist[b];
		if (seen >= rank) {
			uint32_t v = acct_latency_value(b);

			/* Never above the largest value actually seen. */
			return v > w->max ? w->max : v;
		}
	}
	return w->max;
}

/* --- rows and tables --------------------------------------------------- */

enum { C_D, C_B, C_HB, C_SB, C_DF, C_RB, C_N };

struct row {
	char *key;		/* name; for deferrals "domain\0status" */
	size_t key_len;
	uint32_t hash;
	uint64_t c[C_N];
	uint64_t lat_count;
	int64_t updated;	/* newest timeLogged seen */
	struct slices win;
	char *diag;		/* deferrals: dsnDiag of the newest record */
	int64_t diag_time;
};

struct table {
	const char *what;
	struct row **slot;	/* open addressing */
	size_t cap, n;
	uint64_t dropped;
	int64_t last_drop_log;
};

static uint32_t
hash_bytes(const char *p, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--) {
		h ^= (unsigned char)*p++;
		h *= 16777619u;
	}
	return h;
}

static void
row_free(struct row *r)
{
	if (!r)
		return;
	slices_free(&r->win);
	free(r->key);
	free(r->diag);
	free(r);
}

static void
table_clear(struct table *t)
{
	size_t i;

	for (i = 0; i < t->cap; i++)
		row_free(t->slot[i]);
	free(t->slot);
	t->slot = NULL;
	t->cap = t->n = 0;
}

static int
table_grow(struct table *t)
{
	size_t cap = t->cap ? t->cap * 2 : 64, i;
	struct row **slot = calloc(cap, sizeof(*slot));

	if (!slot)
		return -1;
	for (i = 0; i < t->cap; i++) {
		struct row *r = t->slot[i];
		size_t h;

		if (!r)
			continue;
		for (h = r->hash & (cap - 1); slot[h]; h = (h + 1) & (cap - 1))
			;
		slot[h] = r;
	}
	free(t->slot);
	t->slot = slot;
	t->cap = cap;
	return 0;
}

struct acct_stats {
	struct acct_stats_config c;
	char **hard;
	size_t n_hard;
	int64_t now;
	struct table domains, vmtas, jobs, bounces, deferrals;
	struct row all;
	uint64_t aged;		/* rows dropped for idleness */
};

/* Finds or adds the row for key; NULL when the table is full (counted, logged). */
static struct row *
table_get(struct acct_stats *s, struct table *t, const char *key, size_t len)
{
	uint32_t h = hash_bytes(key, len);
	size_t i;
	struct row *r;

	if (t->cap) {
		for (i = h & (t->cap - 1); (r = t->slot[i]); i = (i + 1) & (t->cap - 1))
			if (r->hash == h && r->key_len == len && memcmp(r->key, key, len) == 0)
				return r;
	}
	if (t->n >= s->c.max_rows) {
		t->dropped++;
		if (s->now - t->last_drop_log >= DROP_LOG_INTERVAL) {
			log_msg(LOG_WARNING, "accounting: %s table full (pmtaMaxRows %zu): new keys "
			    "are not counted (%llu so far)", t->what, s->c.max_rows,
			    (unsigned long long)t->dropped);
			t->last_drop_log = s->now;
		}
		return NULL;
	}
	if ((t->n + 1) * 2 > t->cap && table_grow(t) < 0)
		return NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->key = malloc(len + 1);
	if (!r->key) {
		free(r);
		return NULL;
	}
	memcpy(r->key, key, len);
	r->key[len] = '\0';
	r->key_len = len;
	r->hash = h;
	for (i = h & (t->cap - 1); t->slot[i]; i = (i + 1) & (t->cap - 1))
		;
	t->slot[i] = r;
	t->n++;
	return r;
}

static struct row *
table_find(const struct table *t, const char *key, size_t len)
{
	uint32_t h = hash_bytes(key, len);
	struct row *r;
	size_t i;

	if (!t->cap)
		return NULL;
	for (i = h & (t->cap - 1); (r = t->slot[i]); i = (i + 1) & (t->cap - 1))
		if (r->hash == h && r->key_len == len && memcmp(r->key, key, len) == 0)
			return r;
	return NULL;
}

/* Removes rows whose newest record is older than cutoff; rebuilds the table. */
static uint64_t
table_age(struct table *t, int64_t cutoff)
{
	size_t i, cap = t->cap;
	struct row **old = t->slot;
	uint64_t gone = 0;

	if (!cap)
		return 0;
	for (i = 0; i < cap; i++)
		if (old[i] && old[i]->updated < cutoff)
			break;
	if (i == cap)
		return 0;	/* nothing to drop: the common case */
	t->slot = NULL;
	t->cap = 0;
	t->n = 0;
	while (t->cap < cap)
		if (table_grow(t) < 0)
			break;
	for (i = 0; i < cap; i++) {
		struct row *r = old[i];
		size_t h;

		if (!r)
			continue;
		if (r->updated < cutoff || !t->slot) {
			row_free(r);
			gone++;
			continue;
		}
		for (h = r->hash & (t->cap - 1); t->slot[h]; h = (h + 1) & (t->cap - 1))
			;
		t->slot[h] = r;
		t->n++;
	}
	free(old);
	return gone;
}

/* --- the statistics ---------------------------------------------------- */

struct acct_stats *
acct_stats_new(const struct acct_stats_config *c)
{
	struct acct_stats *s = calloc(1, sizeof(*s));
	const char *const *hard = c->hard_categories ? c->hard_categories : default_hard;
	size_t n = c->hard_categories ? c->n_hard : sizeof(default_hard) / sizeof(default_hard[0]);
	size_t i;

	if (!s)
		return NULL;
	s->c = *c;
	if (!s->c.window || s->c.window > ACCT_WINDOW_MAX)
		s->c.window = 900;
	if (!s->c.max_rows)
		s->c.max_rows = 100000;
	if (!s->c.idle_drop)
		s->c.idle_drop = 86400;
	s->hard = calloc(n ? n : 1, sizeof(*s->hard));
	if (!s->hard) {
		free(s);
		return NULL;
	}
	for (i = 0; i < n; i++)
		if ((s->hard[i] = strdup(hard[i])))
			s->n_hard++;
	s->domains.what = "domain";
	s->vmtas.what = "VirtualMTA";
	s->jobs.what = "job";
	s->bounces.what = "bounce category";
	s->deferrals.what = "deferral";
	s->now = (int64_t)time(NULL);
	return s;
}

void
acct_stats_free(struct acct_stats *s)
{
	size_t i;

	if (!s)
		return;
	table_clear(&s->domains);
	table_clear(&s->vmtas);
	table_clear(&s->jobs);
	table_clear(&s->bounces);
	table_clear(&s->deferrals);
	slices_free(&s->all.win);
	for (i = 0; i < s->n_hard; i++)
		free(s->hard[i]);
	free(s->hard);
	free(s);
}

void
acct_stats_set_now(struct acct_stats *s, int64_t now)
{
	s->now = now;
}

static bool
is_hard(const struct acct_stats *s, const char *cat, size_t len)
{
	size_t i;

	for (i = 0; i < s->n_hard; i++)
		if (strlen(s->hard[i]) == len && memcmp(s->hard[i], cat, len) == 0)
			return true;
	return false;
}

static bool
type_is(const struct acct_field *f, const char *t)
{
	size_t n = strlen(t);

	return f->len == n && memcmp(f->p, t, n) == 0;
}

/* Lower-cases ASCII letters only: UTF-8 bytes of IDN names stay as they are. */
static size_t
lower_copy(char *dst, const char *src, size_t len)
{
	size_t i;

	if (len > NAME_MAX_BYTES)
		len = NAME_MAX_BYTES;
	for (i = 0; i < len; i++) {
		char ch = src[i];

		dst[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
	}
	return len;
}

/* Applies one outcome to a row: totals always, the window when recent enough. */
static void
row_count(struct acct_stats *s, struct row *r, int kind, bool hard, int64_t t, int64_t lat)
{
	if (!r)
		return;
	if (t > r->updated)
		r->updated = t;
	r->c[kind]++;
	if (kind == C_B)
		r->c[hard ? C_HB : C_SB]++;
	if (lat >= 0)
		r->lat_count++;
	/* Records older than any window only count in the totals. */
	if (t + ACCT_SLICE > s->now - ACCT_WINDOW_MAX) {
		struct slice *sl = slice_at(&r->win, t > s->now ? s->now : t);

		if (!sl)
			return;
		switch (kind) {
		case C_D: sl->d++; break;
		case C_B: sl->b++; if (hard) sl->hb++; break;
		case C_DF: sl->df++; break;
		default: break;
		}
		if (lat >= 0)
			slice_latency(sl, (uint64_t)lat);
	}
}

void
acct_stats_add(struct acct_stats *s, const struct acct_record *r)
{
	char dom[NAME_MAX_BYTES + 1], key[2 * NAME_MAX_BYTES + 2];
	size_t dl = 0, sl;
	int kind;
	bool hard = false;
	int64_t lat = -1;
	const char *at;

	if (type_is(&r->type, "d"))
		kind = C_D;
	else if (type_is(&r->type, "b"))
		kind = C_B;
	else if (type_is(&r->type, "t"))
		kind = C_DF;
	else if (type_is(&r->type, "rb"))
		kind = C_RB;
	else if (type_is(&r->type, "tq"))
		kind = -1;	/* a queue-wide deferral: the deferral table only */
	else
		return;		/* r, f, rs and unknown types: counted by the reader only */

	if (kind >= 0 && r->rcpt.len) {
		at = memrchr(r->rcpt.p, '@', r->rcpt.len);
		if (at)
			dl = lower_copy(dom, at + 1, r->rcpt.len - (size_t)(at + 1 - r->rcpt.p));
	}
	if (kind == C_B)
		hard = is_hard(s, r->bounce_cat.p, r->bounce_cat.len);
	if (kind == C_D && r->time_queued)
		lat = r->time_logged > r->time_queued ? r->time_logged - r->time_queued : 0;

	if (kind >= 0) {
		row_count(s, &s->all, kind, hard, r->time_logged, lat);
		if (dl)
			row_count(s, table_get(s, &s->domains, dom, dl), kind, hard, r->time_logged, lat);
		if (r->vmta.len)
			row_count(s, table_get(s, &s->vmtas, r->vmta.p,
			    r->vmta.len > NAME_MAX_BYTES ? NAME_MAX_BYTES : r->vmta.len),
			    kind, hard, r->time_logged, lat);
		if (r->job_id.len && kind != C_RB)
			row_count(s, table_get(s, &s->jobs, r->job_id.p,
			    r->job_id.len > NAME_MAX_BYTES ? NAME_MAX_BYTES : r->job_id.len),
			    kind, hard, r->time_logged, -1);
	}
	if (kind == C_B) {
		const char *cat = r->bounce_cat.len ? r->bounce_cat.p : "other";
		size_t cl = r->bounce_cat.len ? r->bounce_cat.len : 5;

		row_count(s, table_get(s, &s->bounces, cat, cl > NAME_MAX_BYTES ? NAME_MAX_BYTES : cl),
		    C_D, false, r->time_logged, -1);
	}
	if (kind == C_DF || kind == -1) {
		struct row *row;
		const char *st = r->dsn_status.p, *sp;

		if (kind == -1) {
			/* tq: the domain part of the queue, before its last '/'. */
			const char *slash = r->queue.len ? memrchr(r->queue.p, '/', r->queue.len) : NULL;

			dl = lower_copy(dom, r->queue.p, slash ? (size_t)(slash - r->queue.p) : r->queue.len);
		}
		sl = r->dsn_status.len;
		sp = st ? memchr(st, ' ', sl) : NULL;
		if (sp)
			sl = (size_t)(sp - st);
		if (sl > 16)
			sl = 16;	/* pmtaDeferralStatus is at most 16 bytes */
		if (!dl || !sl)
			return;
		memcpy(key, dom, dl);
		key[dl] = '\0';
		memcpy(key + dl + 1, st, sl);
		row = table_get(s, &s->deferrals, key, dl + 1 + sl);
		if (!row)
			return;
		row_count(s, row, C_DF, false, r->time_logged, -1);
		if (!row->diag || r->time_logged >= row->diag_time) {
			char *d = malloc(r->dsn_diag.len + 1);

			if (d) {
				memcpy(d, r->dsn_diag.p, r->dsn_diag.len);
				d[r->dsn_diag.len] = '\0';
				free(row->diag);
				row->diag = d;
				row->diag_time = r->time_logged;
			}
		}
	}
}

/* --- views ------------------------------------------------------------- */

static uint32_t
g32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static uint32_t
rate_bp(uint64_t num, uint64_t den)
{
	return den ? (uint32_t)(num * 10000 / den) : 0;
}

struct strbuf {
	char *p;
	size_t len, cap;
};

/* Offsets first: the buffer may move while it grows. */
static size_t
str_add(struct strbuf *b, const char *s, size_t n, bool *oom)
{
	size_t at = b->len;

	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			*oom = true;
			return 0;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + at, s, n);
	b->p[at + n] = '\0';
	b->len += n + 1;
	return at;
}

static void
entity_fill(const struct acct_stats *s, const struct row *r, struct acct_entity_row *e, int64_t now)
{
	struct wsum *w = malloc(sizeof(*w));

	e->delivered = r->c[C_D];
	e->bounced = r->c[C_B];
	e->hard_bounced = r->c[C_HB];
	e->soft_bounced = r->c[C_SB];
	e->deferred = r->c[C_DF];
	e->remote_bounced = r->c[C_RB];
	e->latency_count = r->lat_count;
	if (!w)
		return;
	slices_sum(&r->win, now, s->c.window, true, w);
	e->win_delivered = g32(w->d);
	e->win_bounced = g32(w->b);
	e->win_deferred = g32(w->df);
	e->bounce_rate = rate_bp(w->b, w->d + w->b);
	e->deferral_rate = rate_bp(w->df, w->d + w->df + w->b);
	e->latency_win_count = g32(w->lat_n);
	e->p50 = percentile(w, 50);
	e->p90 = percentile(w, 90);
	e->p95 = percentile(w, 95);
	e->p99 = percentile(w, 99);
	e->max = w->max;
	free(w);
}

#define NAME_OFF(x) ((const char *)(uintptr_t)(x))

static int
entities(const struct acct_stats *s, const struct table *t, struct strbuf *sb, int64_t now,
	 struct acct_entity_row **out, size_t *n, bool *oom)
{
	size_t i, k = 0;

	*out = calloc(t->n ? t->n : 1, sizeof(**out));
	if (!*out)
		return -1;
	for (i = 0; i < t->cap; i++) {
		const struct row *r = t->slot[i];

		if (!r)
			continue;
		entity_fill(s, r, &(*out)[k], now);
		(*out)[k].name = NAME_OFF(str_add(sb, r->key, r->key_len, oom));
		k++;
	}
	*n = k;
	return 0;
}

struct acct_view *
acct_stats_view(struct acct_stats *s, int64_t now)
{
	struct acct_view *v = calloc(1, sizeof(*v));
	struct table *tabs[] = { &s->domains, &s->vmtas, &s->jobs, &s->bounces, &s->deferrals };
	struct strbuf sb = { 0 };
	bool oom = false;
	size_t i, k;
	uint64_t aged = 0;

	if (!v)
		return NULL;
	s->now = now;
	for (i = 0; i < sizeof(tabs) / sizeof(tabs[0]); i++) {
		uint64_t g = table_age(tabs[i], now - (int64_t)s->c.idle_drop);

		if (g)
			log_msg(LOG_INFO, "accounting: %llu %s rows idle for %u s dropped",
			    (unsigned long long)g, tabs[i]->what, s->c.idle_drop);
		aged += g;
	}
	s->aged += aged;
	for (i = 0; i < sizeof(tabs) / sizeof(tabs[0]); i++) {
		size_t j;

		v->rows_dropped += tabs[i]->dropped;
		for (j = 0; j < tabs[i]->cap; j++)
			if (tabs[i]->slot[j])
				slices_prune(&tabs[i]->slot[j]->win, now);
	}
	v->rows_dropped += s->aged;
	slices_prune(&s->all.win, now);

	entity_fill(s, &s->all, &v->all, now);
	if (entities(s, &s->domains, &sb, now, &v->domains, &v->n_domains, &oom) < 0 ||
	    entities(s, &s->vmtas, &sb, now, &v->vmtas, &v->n_vmtas, &oom) < 0)
		goto fail;

	v->jobs = calloc(s->jobs.n ? s->jobs.n : 1, sizeof(*v->jobs));
	v->bounces = calloc(s->bounces.n ? s->bounces.n : 1, sizeof(*v->bounces));
	v->deferrals = calloc(s->deferrals.n ? s->deferrals.n : 1, sizeof(*v->deferrals));
	if (!v->jobs || !v->bounces || !v->deferrals)
		goto fail;
	for (i = 0, k = 0; i < s->jobs.cap; i++) {
		const struct row *r = s->jobs.slot[i];

		if (!r)
			continue;
		v->jobs[k].name = NAME_OFF(str_add(&sb, r->key, r->key_len, &oom));
		v->jobs[k].delivered = r->c[C_D];
		v->jobs[k].bounced = r->c[C_B];
		v->jobs[k].hard_bounced = r->c[C_HB];
		v->jobs[k].soft_bounced = r->c[C_SB];
		v->jobs[k].deferred = r->c[C_DF];
		k++;
	}
	v->n_jobs = k;
	for (i = 0, k = 0; i < s->bounces.cap; i++) {
		const struct row *r = s->bounces.slot[i];
		struct wsum w;

		if (!r)
			continue;
		slices_sum(&r->win, now, s->c.window, false, &w);
		v->bounces[k].category = NAME_OFF(str_add(&sb, r->key, r->key_len, &oom));
		v->bounces[k].hard = is_hard(s, r->key, r->key_len);
		v->bounces[k].count = r->c[C_D];
		v->bounces[k].win_count = g32(w.d);
		k++;
	}
	v->n_bounces = k;
	for (i = 0, k = 0; i < s->deferrals.cap; i++) {
		const struct row *r = s->deferrals.slot[i];
		size_t dl;
		struct wsum w;

		if (!r)
			continue;
		dl = strlen(r->key);
		slices_sum(&r->win, now, s->c.window, false, &w);
		v->deferrals[k].domain = NAME_OFF(str_add(&sb, r->key, dl, &oom));
		v->deferrals[k].status = NAME_OFF(str_add(&sb, r->key + dl + 1, r->key_len - dl - 1, &oom));
		v->deferrals[k].last_diag = NAME_OFF(str_add(&sb, r->diag ? r->diag : "",
		    r->diag ? strlen(r->diag) : 0, &oom));
		v->deferrals[k].count = r->c[C_DF];
		v->deferrals[k].win_count = g32(w.df);
		v->deferrals[k].last_seen = r->updated;
		k++;
	}
	v->n_deferrals = k;
	if (oom)
		goto fail;

	/* Offsets into the final string buffer become pointers. */
	v->strings = sb.p;
	sb.p = NULL;
	v->all.name = "all";
	for (i = 0; i < v->n_domains; i++)
		v->domains[i].name = v->strings + (uintptr_t)v->domains[i].name;
	for (i = 0; i < v->n_vmtas; i++)
		v->vmtas[i].name = v->strings + (uintptr_t)v->vmtas[i].name;
	for (i = 0; i < v->n_jobs; i++)
		v->jobs[i].name = v->strings + (uintptr_t)v->jobs[i].name;
	for (i = 0; i < v->n_bounces; i++)
		v->bounces[i].category = v->strings + (uintptr_t)v->bounces[i].category;
	for (i = 0; i < v->n_deferrals; i++) {
		v->deferrals[i].domain = v->strings + (uintptr_t)v->deferrals[i].domain;
		v->deferrals[i].status = v->strings + (uintptr_t)v->deferrals[i].status;
		v->deferrals[i].last_diag = v->strings + (uintptr_t)v->deferrals[i].last_diag;
	}
	return v;
fail:
	free(sb.p);
	acct_view_free(v);
	return NULL;
}

void
acct_view_free(struct acct_view *v)
{
	if (!v)
		return;
	free(v->domains);
	free(v->vmtas);
	free(v->jobs);
	free(v->bounces);
	free(v->deferrals);
	free(v->strings);
	free(v);
}

int
acct_stats_window(const struct acct_stats *s, enum acct_scope scope, const char *name,
		  unsigned window, int64_t now, struct acct_window *out)
{
	const struct row *r;
	struct wsum *w;

	if (scope == ACCT_SCOPE_ALL)
		r = &s->all;
	else
		r = table_find(scope == ACCT_SCOPE_DOMAIN ? &s->domains : &s->vmtas, name, strlen(name));
	if (!r)
		return -1;
	w = malloc(sizeof(*w));
	if (!w)
		return -1;
	slices_sum(&r->win, now, window > ACCT_WINDOW_MAX ? ACCT_WINDOW_MAX : window, true, w);
	out->delivered = w->d;
	out->bounced = w->b;
	out->hard_bounced = w->hb;
	out->deferred = w->df;
	out->p95 = percentile(w, 95);
	free(w);
	return 0;
}

size_t
acct_stats_names(const struct acct_stats *s, enum acct_scope scope, const char **names, size_t max)
{
	const struct table *t = scope == ACCT_SCOPE_DOMAIN ? &s->domains : &s->vmtas;
	size_t i, n = 0;

	if (!names)
		return t->n;
	for (i = 0; i < t->cap && n < max; i++)
		if (t->slot[i])
			names[n++] = t->slot[i]->key;
	return n;
}
