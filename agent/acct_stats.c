#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acct_pending.h"
#include "acct_stats.h"
#include "base.h"
#include "domain_cache.h"
#include "domain_idn.h"
#include "log.h"

#define STATUS_MAX 16		/* pmtaDeferralStatus is 1..16 bytes */
#define DIAG_MAX 1024		/* LastDiag kept to this many bytes */
#define DROP_LOG_INTERVAL 60	/* seconds between "table full" messages per table */
#define FEEDBACK_TYPE_MAX 32	/* pmtaComplaintType is 1..32 bytes */

static const char *const default_hard[] = {
	"bad-mailbox", "bad-domain", "inactive-mailbox", "routing-errors",
};

static const char *const table_what[ACCT_TABLES] = {
	"domain", "VirtualMTA", "job", "bounce category", "deferral", "rejection",
	"complaint type", "queue", "queue route",
};

/*
 * Totals of a row since start; which ones a row uses depends on its table.
 * C_DD, C_DB, C_GU: deferred recipients delivered, bounced, given up at
 * last; C_RBD: delivered recipients an rb record bounced later.
 */
enum { C_D, C_B, C_HB, C_SB, C_DF, C_RB, C_CP, C_DD, C_DB, C_GU, C_RBD, C_N };

/* The kinds of record that count somewhere. */
enum kind { K_NONE = -1, K_D = C_D, K_B = C_B, K_T = C_DF, K_RB = C_RB, K_F = C_CP, K_TQ = C_N };

/*
 * A row is one block: an extension, then struct row, then the key. Counted
 * rows (the instance's, domains, VirtualMTAs, queues, jobs, bounce
 * categories, complaint types) have struct row_counts before struct row;
 * the deferral and rejection rows, keyed by domain and status, and the
 * route rows have only struct row_text. They never use the counters, the
 * latency count, the resolution window or the followed counts, and with
 * 100,000 domains there are 126,000 of them: the 11 counters alone cost
 * them 11 MB. The extension comes first so that the key stays at a fixed
 * offset from the row pointer, where a lookup reads it.
 */
struct row {
	int64_t touched;	/* wall clock of the last record: idle drop */
	int64_t newest;		/* newest timeLogged */
	struct stats_window win;
	uint32_t hash;
	uint32_t key_len;
	char key[];		/* NUL-terminated; deferrals, rejections: "domain\0status" */
};

struct row_counts {
	uint64_t c[C_N];
	uint64_t lat_count;	/* deliveries with a latency */
	/* Deferrals resolved, by the time they took (delivered, bounced); allocated on the first. */
	struct stats_window *res;
	uint32_t id;		/* the row's number in its table's by_id: what acct_pending keeps */
	uint32_t pending;	/* followed deferred recipients counted here: pins the row */
	uint32_t followed;	/* followed delivered recipients counted here: pins it too */
};

struct row_text {
	uint64_t count;		/* deferrals (t, tq) or rejections (b, rb) */
	char *diag;		/* dsnDiag of the newest record; a route row: its queue */
	char *cat;		/* rejections: bounceCat of the newest record */
};

/* struct row follows its extension in one malloc'd block: it must stay aligned. */
_Static_assert(sizeof(struct row_counts) % _Alignof(struct row) == 0, "row_counts misaligns");
_Static_assert(sizeof(struct row_text) % _Alignof(struct row) == 0, "row_text misaligns");

/* The extension before a counted row. */
static struct row_counts *
cnt(struct row *r)
{
	return (struct row_counts *)(void *)((char *)r - sizeof(struct row_counts));
}

static const struct row_counts *
cnt_ro(const struct row *r)
{
	return (const struct row_counts *)(const void *)((const char *)r -
	    sizeof(struct row_counts));
}

/* The extension before a deferral, rejection or route row. */
static struct row_text *
txt(struct row *r)
{
	return (struct row_text *)(void *)((char *)r - sizeof(struct row_text));
}

static const struct row_text *
txt_ro(const struct row *r)
{
	return (const struct row_text *)(const void *)((const char *)r - sizeof(struct row_text));
}

struct slot {
	uint32_t hash;		/* compared before the row is touched: fewer cache misses */
	struct row *r;
};

/* Open addressing, linear probing, at most half full. */
struct table {
	struct slot *slot;
	size_t cap, n;
	/* Rows by id, so that a 4-byte reference finds its row; freed ids are reused. */
	struct row **by_id;
	uint32_t *free_id;
	size_t n_id, cap_id, n_free, cap_free;
	uint64_t refused, aged;
	int64_t last_log;
	bool text;		/* rows with struct row_text, not struct row_counts */
};

struct acct_stats {
	struct acct_stats_config c;
	char **hard;
	size_t *hard_len;
	size_t n_hard;
	int64_t now;
	struct table tab[ACCT_TABLES];
	struct row *all;
	struct stats_hist *hist;	/* scratch for percentiles */
	struct domain_cache *domains;	/* raw recipient domains to their keys */
	struct acct_pending *deferred;	/* recipients a t record deferred, until resolved */
	struct acct_pending *delivered;	/* recipients a d record delivered, for rb after d */
};

/* The row a pending reference names, NULL when none. */
static struct row *
row_by_id(struct acct_stats *s, enum acct_table which, uint32_t id)
{
	const struct table *t = &s->tab[which];

	return id < t->n_id ? t->by_id[id] : NULL;
}

static int
id_take(struct table *t, struct row *r)
{
	if (t->n_free) {
		cnt(r)->id = t->free_id[--t->n_free];
	} else {
		struct row **p = base_grow(t->by_id, &t->cap_id, t->n_id + 1, sizeof(*p), 64,
		    UINT32_MAX - 1);

		if (!p)
			return -1;
		t->by_id = p;
		cnt(r)->id = (uint32_t)t->n_id++;
	}
	t->by_id[cnt(r)->id] = r;
	return 0;
}

/* Frees r's id for reuse; on no memory the id is only lost (never reused). */
static void
id_release(struct table *t, const struct row *r)
{
	uint32_t *p;

	t->by_id[cnt_ro(r)->id] = NULL;
	p = base_grow(t->free_id, &t->cap_free, t->n_free + 1, sizeof(*p), 64, UINT32_MAX);
	if (!p)
		return;
	t->free_id = p;
	t->free_id[t->n_free++] = cnt_ro(r)->id;
}

static void
row_free(struct row *r, bool text)
{
	if (!r)
		return;
	stats_window_free(&r->win);
	if (text) {
		free(txt(r)->diag);
		free(txt(r)->cat);
		free(txt(r));
	} else {
		if (cnt(r)->res)
			stats_window_free(cnt(r)->res);
		free(cnt(r)->res);
		free(cnt(r));
	}
}

static struct row *
row_new(const char *key, size_t len, uint32_t hash, bool text)
{
	size_t ext = text ? sizeof(struct row_text) : sizeof(struct row_counts);
	char *block = calloc(1, ext + offsetof(struct row, key) + len + 1);
	struct row *r;

	if (!block)
		return NULL;
	r = (struct row *)(void *)(block + ext);
	memcpy(r->key, key, len);
	r->key[len] = '\0';
	r->key_len = (uint32_t)len;
	r->hash = hash;
	return r;
}

static void
table_clear(struct table *t)
{
	size_t i;

	for (i = 0; i < t->cap; i++)
		row_free(t->slot[i].r, t->text);
	free(t->slot);
	t->slot = NULL;
	t->cap = t->n = 0;
	free(t->by_id);
	free(t->free_id);
	t->by_id = NULL;
	t->free_id = NULL;
	t->n_id = t->cap_id = t->n_free = t->cap_free = 0;
}

static void
slot_put(struct slot *slot, size_t cap, struct row *r)
{
	size_t i;

	for (i = r->hash & (cap - 1); slot[i].r; i = (i + 1) & (cap - 1))
		;
	slot[i].hash = r->hash;
	slot[i].r = r;
}

/* Rehashes into cap slots (a power of two); -1 leaves the table as it was. */
static int
table_resize(struct table *t, size_t cap)
{
	struct slot *slot = calloc(cap, sizeof(*slot));
	size_t i;

	if (!slot)
		return -1;
	for (i = 0; i < t->cap; i++)
		if (t->slot[i].r)
			slot_put(slot, cap, t->slot[i].r);
	free(t->slot);
	t->slot = slot;
	t->cap = cap;
	return 0;
}

static struct row *
table_find(const struct table *t, const char *key, size_t len, uint32_t h)
{
	size_t i;

	if (!t->cap)
		return NULL;
	for (i = h & (t->cap - 1); t->slot[i].r; i = (i + 1) & (t->cap - 1)) {
		const struct row *r = t->slot[i].r;

		if (t->slot[i].hash == h && r->key_len == len && memcmp(r->key, key, len) == 0)
			return t->slot[i].r;
	}
	return NULL;
}

/* key's hash, its slot's cache line asked for: lookups in several tables overlap their misses. */
static uint32_t
table_prefetch(const struct acct_stats *s, enum acct_table which, const char *key, size_t len)
{
	const struct table *t = &s->tab[which];
	uint32_t h = base_fnv1a(key, len);

	if (t->cap)
		__builtin_prefetch(&t->slot[h & (t->cap - 1)]);
	return h;
}

/*
 * The row for key (h: its base_fnv1a()), added when missing. NULL when the
 * table already holds max_rows keys (counted, and logged at most once a
 * minute) or on no memory.
 */
static struct row *
table_get_hashed(struct acct_stats *s, enum acct_table which, const char *key, size_t len,
		 uint32_t h)
{
	struct table *t = &s->tab[which];
	struct row *r = table_find(t, key, len, h);

	if (r)
		return r;
	if (t->n >= s->c.max_rows) {
		t->refused++;
		if (s->now - t->last_log >= DROP_LOG_INTERVAL) {
			log_warnx("accounting: %s table full (pmtaMaxRows %zu): records "
			    "with new keys are not counted in it (%llu so far)", table_what[which],
			    s->c.max_rows, (unsigned long long)t->refused);
			t->last_log = s->now;
		}
		return NULL;
	}
	if ((t->n + 1) * 2 > t->cap && table_resize(t, t->cap ? t->cap * 2 : 64) < 0)
		return NULL;
	r = row_new(key, len, h, t->text);
	if (!r)
		return NULL;
	/* Only counted rows are named by followed recipients: only they have ids. */
	if (!t->text && id_take(t, r) < 0) {
		row_free(r, false);
		return NULL;
	}
	slot_put(t->slot, t->cap, r);
	t->n++;
	return r;
}

static struct row *
table_get(struct acct_stats *s, enum acct_table which, const char *key, size_t len)
{
	return table_get_hashed(s, which, key, len, base_fnv1a(key, len));
}

/* A row followed recipients still count in is kept, however idle: they will resolve there. */
static bool
row_idle(const struct table *t, const struct row *r, int64_t cutoff)
{
	return r->touched < cutoff && (t->text || (!cnt_ro(r)->pending && !cnt_ro(r)->followed));
}

/* Drops the rows no record touched since cutoff; returns how many went. */
static uint64_t
table_age(struct table *t, int64_t cutoff)
{
	struct slot *old = t->slot;
	size_t i, cap = t->cap;
	uint64_t gone = 0;

	for (i = 0; i < cap; i++)
		if (old[i].r && row_idle(t, old[i].r, cutoff))
			break;
	if (i == cap)
		return 0;	/* the common case: nothing to rebuild */
	/* Linear probing cannot simply empty a slot: rebuild from the survivors. */
	t->slot = calloc(cap, sizeof(*t->slot));
	if (!t->slot) {
		t->slot = old;
		return 0;	/* try again at the next view */
	}
	t->n = 0;
	for (i = 0; i < cap; i++) {
		struct row *r = old[i].r;

		if (!r)
			continue;
		if (row_idle(t, r, cutoff)) {
			if (!t->text)
				id_release(t, r);
			row_free(r, t->text);
			gone++;
		} else {
			slot_put(t->slot, cap, r);
			t->n++;
		}
	}
	free(old);
	t->aged += gone;
	return gone;
}

/* The tables a pending reference's rows are in, in acct_pending_ref order. */
static const enum acct_table ref_table[3] = { ACCT_TAB_DOMAIN, ACCT_TAB_VMTA, ACCT_TAB_QUEUE };

/* A deferred recipient followed too long or pushed out at the cap: counted as given up. */
static void
deferred_give_up(void *arg, const struct acct_pending_item *it)
{
	struct acct_stats *s = arg;
	size_t i;

	for (i = 0; i < 3; i++) {
		struct row *r = row_by_id(s, ref_table[i], it->ref.row[i]);

		if (r) {
			cnt(r)->pending--;
			cnt(r)->c[C_GU]++;
		}
	}
	cnt(s->all)->c[C_GU]++;
}

/* A delivered recipient no rb record named in time: simply no longer followed. */
static void
delivered_forget(void *arg, const struct acct_pending_item *it)
{
	struct acct_stats *s = arg;
	size_t i;

	for (i = 0; i < 3; i++) {
		struct row *r = row_by_id(s, ref_table[i], it->ref.row[i]);

		if (r)
			cnt(r)->followed--;
	}
}

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
	s->c.hard_categories = NULL;	/* copied below: the caller's may go */
	if (!s->c.window)
		s->c.window = 900;
	if (s->c.window > ACCT_WINDOW_MAX)
		s->c.window = ACCT_WINDOW_MAX;
	if (!s->c.horizon || s->c.horizon > ACCT_WINDOW_MAX)
		s->c.horizon = ACCT_WINDOW_MAX;
	if (s->c.horizon < s->c.window)
		s->c.horizon = s->c.window;
	if (!s->c.max_rows)
		s->c.max_rows = 100000;
	if (!s->c.idle_drop)
		s->c.idle_drop = 86400;
	s->hard = calloc(n ? n : 1, sizeof(*s->hard));
	s->hard_len = calloc(n ? n : 1, sizeof(*s->hard_len));
	s->all = row_new("all", 3, 0, false);
	s->hist = stats_hist_new();
	s->domains = domain_cache_new(0);
	if (!s->c.max_pending || s->c.max_pending > ACCT_PENDING_MAX)
		s->c.max_pending = 1000000;
	if (!s->c.pending_horizon)
		s->c.pending_horizon = ACCT_PENDING_HORIZON;
	s->deferred = acct_pending_new(s->c.max_pending, s->c.pending_horizon, deferred_give_up, s);
	/*
	 * A delivered recipient is followed for idle_drop at most: long enough
	 * for most remote DSNs, and short enough that it never keeps a row
	 * that would otherwise go.
	 */
	s->delivered = acct_pending_new(s->c.max_pending, s->c.idle_drop, delivered_forget, s);
	if (!s->hard || !s->hard_len || !s->all || !s->hist || !s->domains || !s->deferred ||
	    !s->delivered)
		goto fail;
	for (i = 0; i < n; i++) {
		if (!(s->hard[i] = strdup(hard[i])))
			goto fail;
		s->hard_len[i] = strlen(hard[i]);
		s->n_hard++;
	}
	for (i = 0; i < ACCT_TABLES; i++)
		s->tab[i].last_log = INT64_MIN / 2;
	s->tab[ACCT_TAB_DEFERRAL].text = true;
	s->tab[ACCT_TAB_REJECTION].text = true;
	s->tab[ACCT_TAB_ROUTE].text = true;
	s->now = (int64_t)time(NULL);
	return s;
fail:
	acct_stats_free(s);
	return NULL;
}

void
acct_stats_free(struct acct_stats *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < ACCT_TABLES; i++)
		table_clear(&s->tab[i]);
	row_free(s->all, false);
	for (i = 0; i < s->n_hard; i++)
		free(s->hard[i]);
	free(s->hard);
	free(s->hard_len);
	stats_hist_free(s->hist);
	domain_cache_free(s->domains);
	acct_pending_free(s->deferred);
	acct_pending_free(s->delivered);
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
		if (s->hard_len[i] == len && memcmp(s->hard[i], cat, len) == 0)
			return true;
	return false;
}

static enum kind
record_kind(const struct acct_field *f)
{
	if (f->len == 1) {
		switch (f->p[0]) {
		case 'd': return K_D;
		case 'b': return K_B;
		case 't': return K_T;
		case 'f': return K_F;
		default: return K_NONE;
		}
	}
	if (f->len == 2 && f->p[0] == 'r' && f->p[1] == 'b')
		return K_RB;
	if (f->len == 2 && f->p[0] == 't' && f->p[1] == 'q')
		return K_TQ;
	return K_NONE;	/* r, rs and unknown types count in no table */
}

/* A domain's row key (domain_idn.h): every spelling of one domain gives one key. */
static size_t
domain_key(struct acct_stats *s, char *dst, const char *src, size_t len)
{
	return domain_cache_key(s->domains, src, len, dst);
}

static size_t
cache_key(void *cache, const char *in, size_t len, char *out)
{
	return domain_cache_key(cache, in, len, out);
}

static size_t
cap_name(size_t len)
{
	return len > ACCT_NAME_MAX ? ACCT_NAME_MAX : len;
}

/* A record seen at time t in r: its age and, when recent enough, its windows. */
static void
row_window(struct acct_stats *s, struct row *r, enum stats_counter win, bool hard, int64_t t,
	   int64_t lat)
{
	r->touched = s->now;
	if (t > r->newest)
		r->newest = t;
	if (win == STATS_COUNTERS && lat < 0)
		return;		/* nothing windowed (remote bounces) */
	/* Beyond every window: kept, it would only cost memory until the next expiry. */
	if (t < s->now - (int64_t)s->c.horizon - STATS_SLICE)
		return;
	stats_window_add(&r->win, t, s->now, win, lat);
	if (win == STATS_BOUNCED && hard)
		stats_window_add(&r->win, t, s->now, STATS_HARD_BOUNCED, -1);
}

/* Counts one record into a counted row's totals and, when recent enough, its windows. */
static void
row_count(struct acct_stats *s, struct row *r, int total, enum stats_counter win,
	  bool hard, int64_t t, int64_t lat)
{
	struct row_counts *c;

	if (!r)
		return;
	c = cnt(r);
	c->c[total]++;
	if (total == C_B)
		c->c[hard ? C_HB : C_SB]++;
	if (lat >= 0)
		c->lat_count++;
	row_window(s, r, win, hard, t, lat);
}

/* The first whitespace-separated token of dsnStatus, capped at STATUS_MAX bytes. */
static size_t
status_token(const struct acct_field *f, const char **start)
{
	const char *p = f->p, *end;
	size_t n = 0;

	if (!f->len) {		/* a missing column may have no pointer: NULL + 0 is undefined */
		*start = p;
		return 0;
	}
	end = f->p + f->len;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	while (p + n < end && p[n] != ' ' && p[n] != '\t')
		n++;
	*start = p;
	return n > STATUS_MAX ? STATUS_MAX : n;
}

/* Replaces *dst with a copy of at most max bytes of p[0..len); kept as it was on no memory. */
static void
text_set(char **dst, const char *p, size_t len, size_t max)
{
	size_t n = len > max ? max : len;
	char *d = realloc(*dst, n + 1);

	if (!d)
		return;
	if (n)
		memcpy(d, p, n);	/* p may be NULL when n is 0 */
	d[n] = '\0';
	*dst = d;
}

/*
 * A record's row in a table keyed "domain\0status": t and tq in the
 * deferral table, b and rb in the rejection table. The row keeps the
 * dsnDiag (and, for rejections, the bounceCat) of its newest record.
 */
static void
status_count(struct acct_stats *s, enum acct_table tab, const struct acct_record *r,
	     const char *dom, size_t dl)
{
	char key[ACCT_NAME_MAX + 1 + STATUS_MAX];
	const char *st;
	size_t sl = status_token(&r->dsn_status, &st);
	struct row *row;
	struct row_text *x;

	if (!dl || !sl)
		return;		/* the table's index needs both */
	memcpy(key, dom, dl);
	key[dl] = '\0';
	memcpy(key + dl + 1, st, sl);
	row = table_get(s, tab, key, dl + 1 + sl);
	if (!row)
		return;
	x = txt(row);
	/* Ties go to the record read last: it is the newer line of the file. */
	if (!x->count || r->time_logged >= row->newest) {
		text_set(&x->diag, r->dsn_diag.p, r->dsn_diag.len, DIAG_MAX);
		if (tab == ACCT_TAB_REJECTION) {
			const char *cat = r->bounce_cat.len ? r->bounce_cat.p : "other";
			size_t cl = r->bounce_cat.len ? cap_name(r->bounce_cat.len) : 5;

			/* Mostly the same category again: no copy then. */
			if (!x->cat || strlen(x->cat) != cl || memcmp(x->cat, cat, cl) != 0)
				text_set(&x->cat, cat, cl, ACCT_NAME_MAX);
		}
	}
	x->count++;
	/* Remote bounces count in a rejection row's window too: it is the row's only window. */
	row_window(s, row, tab == ACCT_TAB_DEFERRAL ? STATS_DEFERRED : STATS_BOUNCED, false,
	    r->time_logged, -1);
}

/*
 * An f record in the complaint-type table. Feedback-Type tokens are
 * case-insensitive (RFC 5965): lower-cased so "Abuse" and "abuse" are one
 * row; a record without one counts as "other", as RFC 5965 names the rest.
 * A token is ASCII letters, digits and '-': any other byte becomes '_', so
 * that no NUL or control byte reaches the table's string index.
 */
static void
complaint_count(struct acct_stats *s, const struct acct_record *r)
{
	char key[FEEDBACK_TYPE_MAX];
	size_t i, n = r->feedback_type.len > FEEDBACK_TYPE_MAX ? FEEDBACK_TYPE_MAX :
	    r->feedback_type.len;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)r->feedback_type.p[i];

		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			c = '_';
		key[i] = (char)c;
	}
	if (!n) {
		memcpy(key, "other", 5);
		n = 5;
	}
	row_count(s, table_get(s, ACCT_TAB_COMPLAINT, key, n), C_CP, STATS_COMPLAINED, false,
	    r->time_logged, -1);
}

/*
 * The record's queue key into out (DOMAIN_IDN_MAX + 1 bytes), 0 when it has
 * none. A record with a queue column names it. A record without one (f
 * records, rb records as some versions write them) takes the queue its
 * (domain, vmta) last went through: "domain/vmta" itself when that queue has
 * a row, unless a d, b or t record showed the pair going through another
 * queue (a rollup: yahoo.com via yahoo.rollup/vmta18), which the route table
 * remembers. Only such pairs have a route row, so the common record costs
 * one comparison, not a lookup.
 */
static size_t
queue_key(struct acct_stats *s, const struct acct_record *r, enum kind k, const char *dom,
	  size_t dl, char *out)
{
	char key[DOMAIN_IDN_MAX + 1 + ACCT_NAME_MAX];
	size_t ql = 0, vl = cap_name(r->vmta.len);
	bool own;
	struct row *route;

	if (dl && vl) {
		/* The pair's own queue name, "domain/vmta", is also the route table's key. */
		memcpy(key, dom, dl);
		key[dl] = '/';
		memcpy(key + dl + 1, r->vmta.p, vl);
	}
	if (dl && vl && dl + 1 + vl <= DOMAIN_IDN_MAX && r->queue.len == dl + 1 + vl &&
	    memcmp(r->queue.p, key, dl + 1 + vl) == 0) {
		/* Written as its key already (PowerMTA writes lower-case names): no keying. */
		ql = dl + 1 + vl;
		memcpy(out, key, ql);
		out[ql] = '\0';
	} else if (r->queue.len) {
		ql = domain_idn_queue_key(cache_key, s->domains, r->queue.p, r->queue.len, out);
	}
	if (!dl || !vl || (ql && k != K_D && k != K_B && k != K_T))
		return ql;
	own = ql == dl + 1 + vl && memcmp(out, key, ql) == 0;
	route = own && !s->tab[ACCT_TAB_ROUTE].n ? NULL :
	    table_find(&s->tab[ACCT_TAB_ROUTE], key, dl + 1 + vl, base_fnv1a(key, dl + 1 + vl));
	if (!ql) {
		if (route && txt(route)->diag) {
			route->touched = s->now;
			ql = strlen(txt(route)->diag);
			memcpy(out, txt(route)->diag, ql + 1);
			return ql;
		}
		/* out holds DOMAIN_IDN_MAX bytes, as every queue key does. */
		if (dl + 1 + vl > DOMAIN_IDN_MAX ||
		    !table_find(&s->tab[ACCT_TAB_QUEUE], key, dl + 1 + vl, base_fnv1a(key, dl + 1 + vl)))
			return 0;
		memcpy(out, key, dl + 1 + vl);
		out[dl + 1 + vl] = '\0';
		return dl + 1 + vl;
	}
	if (own) {
		/* Back on its own queue: a route learnt before no longer holds. */
		if (route && txt(route)->diag) {
			free(txt(route)->diag);
			txt(route)->diag = NULL;
		}
		return ql;
	}
	if (!route)
		route = table_get(s, ACCT_TAB_ROUTE, key, dl + 1 + vl);
	if (route) {
		route->touched = s->now;
		/* Mostly the same queue again: no copy then. */
		if (!txt(route)->diag || strcmp(txt(route)->diag, out) != 0)
			text_set(&txt(route)->diag, out, ql, DOMAIN_IDN_MAX);
	}
	return ql;
}

/*
 * Follows a recipient to its final disposition (README.md, "Final
 * disposition"): a t record starts following it in the rows that counted
 * the record, a d or b record resolves it there, with the time since its
 * first deferral; a d record starts following it for an rb record.
 */
static void
disposition_count(struct acct_stats *s, const struct acct_record *r, enum kind k,
		  struct row *const rows[3], uint64_t deferred, uint64_t delivered)
{
	struct acct_pending_ref ref;
	struct acct_pending_item it;
	size_t i;

	for (i = 0; i < 3; i++)
		ref.row[i] = rows[i] ? cnt(rows[i])->id : ACCT_PENDING_NONE;
	if (k == K_T) {
		if (acct_pending_add(s->deferred, deferred, r->time_logged, &ref) == 1)
			for (i = 0; i < 3; i++)
				if (rows[i])
					cnt(rows[i])->pending++;
		return;
	}
	if (k == K_RB) {
		if (acct_pending_take(s->delivered, delivered, &it) < 0)
			return;
		for (i = 0; i < 3; i++) {
			struct row *row = row_by_id(s, ref_table[i], it.ref.row[i]);

			if (row) {
				cnt(row)->followed--;
				cnt(row)->c[C_RBD]++;
				row->touched = s->now;
			}
		}
		cnt(s->all)->c[C_RBD]++;
		return;
	}
	if (acct_pending_take(s->deferred, deferred, &it) == 0) {
		int64_t took = r->time_logged > it.since ? r->time_logged - it.since : 0;
		bool fresh = r->time_logged >= s->now - (int64_t)s->c.horizon - STATS_SLICE;

		for (i = 0; i < 4; i++) {
			/* The instance's row (i == 3) counts every resolution too. */
			struct row *row = i < 3 ? row_by_id(s, ref_table[i], it.ref.row[i]) : s->all;
			struct row_counts *c;

			if (!row)
				continue;
			c = cnt(row);
			if (i < 3)
				c->pending--;
			c->c[k == K_D ? C_DD : C_DB]++;
			row->touched = s->now;
			if (fresh && !c->res)
				c->res = calloc(1, sizeof(*c->res));
			if (fresh && c->res)
				stats_window_add(c->res, r->time_logged, s->now, k == K_D ?
				    STATS_DELIVERED : STATS_BOUNCED, took);
		}
	}
	if (k == K_D && acct_pending_add(s->delivered, delivered, r->time_logged, &ref) == 1)
		for (i = 0; i < 3; i++)
			if (rows[i])
				cnt(rows[i])->followed++;
}

void
acct_stats_add(struct acct_stats *s, const struct acct_record *r)
{
	static const enum stats_counter win_of[] = {
		[C_D] = STATS_DELIVERED, [C_B] = STATS_BOUNCED, [C_DF] = STATS_DEFERRED,
		[C_RB] = STATS_COUNTERS, [C_CP] = STATS_COMPLAINED,
	};
	char dom[DOMAIN_IDN_MAX + 1], queue[DOMAIN_IDN_MAX + 1];
	struct row *rows[3] = { NULL, NULL, NULL };	/* domain, VirtualMTA, queue */
	size_t dl = 0, ql;
	enum kind k = record_kind(&r->type);
	enum stats_counter win;
	bool hard = false;
	int64_t lat = -1;
	const char *at;
	uint32_t hd = 0, hv = 0, hq = 0;
	uint64_t deferred = 0, delivered = 0;

	if (k == K_NONE)
		return;
	if (k == K_TQ) {
		/* A whole queue deferred: its domain is the queue's, before the last '/'. */
		const char *slash = r->queue.len ? memrchr(r->queue.p, '/', r->queue.len) : NULL;

		dl = domain_key(s, dom, r->queue.p, slash ? (size_t)(slash - r->queue.p) : r->queue.len);
		status_count(s, ACCT_TAB_DEFERRAL, r, dom, dl);
		return;
	}
	win = win_of[k];
	at = r->rcpt.len ? memrchr(r->rcpt.p, '@', r->rcpt.len) : NULL;
	if (at)
		dl = domain_key(s, dom, at + 1, r->rcpt.len - (size_t)(at + 1 - r->rcpt.p));
	if (k == K_B)
		hard = is_hard(s, r->bounce_cat.p, r->bounce_cat.len);
	if (k == K_D && r->time_queued)
		lat = r->time_logged > r->time_queued ? r->time_logged - r->time_queued : 0;

	if (k != K_F) {
		/* The followed recipients' index slots, asked for before the rows' work. */
		acct_pending_keys(r, &deferred, &delivered);
		if (k != K_RB)
			acct_pending_prefetch(s->deferred, deferred);
		if (k == K_RB || k == K_D)
			acct_pending_prefetch(s->delivered, delivered);
	}
	if (dl)
		hd = table_prefetch(s, ACCT_TAB_DOMAIN, dom, dl);
	if (r->vmta.len)
		hv = table_prefetch(s, ACCT_TAB_VMTA, r->vmta.p, cap_name(r->vmta.len));
	ql = queue_key(s, r, k, dom, dl, queue);
	if (ql)
		hq = table_prefetch(s, ACCT_TAB_QUEUE, queue, ql);
	row_count(s, s->all, k, win, hard, r->time_logged, lat);
	if (dl)
		rows[0] = table_get_hashed(s, ACCT_TAB_DOMAIN, dom, dl, hd);
	if (r->vmta.len)
		rows[1] = table_get_hashed(s, ACCT_TAB_VMTA, r->vmta.p, cap_name(r->vmta.len), hv);
	if (ql)
		rows[2] = table_get_hashed(s, ACCT_TAB_QUEUE, queue, ql, hq);
	row_count(s, rows[0], k, win, hard, r->time_logged, lat);
	row_count(s, rows[1], k, win, hard, r->time_logged, lat);
	row_count(s, rows[2], k, win, hard, r->time_logged, lat);
	if (k != K_F)
		disposition_count(s, r, k, rows, deferred, delivered);
	/* Job rows have no remote-bounce column: an rb record adds nothing there. */
	if (r->job_id.len && k != K_RB)
		row_count(s, table_get(s, ACCT_TAB_JOB, r->job_id.p, cap_name(r->job_id.len)), k,
		    STATS_COUNTERS, hard, r->time_logged, -1);
	if (k == K_B) {
		const char *cat = r->bounce_cat.len ? r->bounce_cat.p : "other";
		size_t cl = r->bounce_cat.len ? cap_name(r->bounce_cat.len) : 5;

		row_count(s, table_get(s, ACCT_TAB_BOUNCE, cat, cl), C_B, STATS_BOUNCED, false,
		    r->time_logged, -1);
	}
	if (k == K_T)
		status_count(s, ACCT_TAB_DEFERRAL, r, dom, dl);
	if (k == K_B || k == K_RB)
		status_count(s, ACCT_TAB_REJECTION, r, dom, dl);
	if (k == K_F)
		complaint_count(s, r);
}

/* --- views ------------------------------------------------------------- */

/* num / den in basis points; 0 when den is 0. */
static uint32_t
rate_bp(uint64_t num, uint64_t den)
{
	return den ? base_sat32(num * 10000 / den) : 0;
}

uint32_t
acct_window_bounce_rate(const struct acct_window *w)
{
	return rate_bp(w->bounced, w->delivered + w->bounced);
}

uint32_t
acct_window_hard_bounce_rate(const struct acct_window *w)
{
	return rate_bp(w->hard_bounced, w->delivered + w->bounced);
}

uint32_t
acct_window_deferral_rate(const struct acct_window *w)
{
	return rate_bp(w->deferred, w->delivered + w->bounced + w->deferred);
}

uint32_t
acct_window_complaint_rate(const struct acct_window *w)
{
	return rate_bp(w->complaints, w->delivered);
}

uint32_t
acct_window_resolved_delivered_share(const struct acct_window *w)
{
	return rate_bp(w->resolved_delivered, w->resolved_delivered + w->resolved_bounced);
}

/* Every string of a view in one buffer; offsets are turned into pointers at the end. */
struct strbuf {
	char *p;
	size_t len, cap;
	bool oom;
	uint32_t *set;		/* str_intern()'s strings: offset + 1, open addressing; 0 empty */
	size_t set_n, set_cap;
};

static size_t
str_add(struct strbuf *b, const char *s, size_t n)
{
	size_t at = b->len;
	char *p;

	if (b->oom)
		return 0;
	p = base_grow(b->p, &b->cap, b->len + n + 1, 1, 4096, SIZE_MAX);
	if (!p) {
		b->oom = true;
		return 0;
	}
	b->p = p;
	memcpy(b->p + at, s, n);
	b->p[at + n] = '\0';
	b->len += n + 1;
	return at;
}

/* Puts offset at (+1) into a set of set_cap slots (a power of two) by the hash of its string. */
static void
set_put(uint32_t *set, size_t cap, const char *buf, uint32_t at)
{
	const char *q = buf + at;
	size_t i = base_fnv1a(q, strlen(q)) & (cap - 1);

	while (set[i])
		i = (i + 1) & (cap - 1);
	set[i] = at + 1;
}

/*
 * str_add(), but a string str_intern() added before is not copied again:
 * a view's domain names come back in its queue, deferral and rejection
 * rows, and statuses, categories and deferral diagnostics repeat across
 * domains (with 100,000 domains, 7 of the 17 MB of strings a snapshot
 * kept). Strings with a NUL inside may be stored twice: harmless.
 */
static size_t
str_intern(struct strbuf *b, const char *s, size_t n)
{
	size_t i, at;

	if (b->oom)
		return 0;
	if ((b->set_n + 1) * 2 > b->set_cap) {
		size_t cap = b->set_cap ? b->set_cap * 2 : 1024, j;
		uint32_t *set = calloc(cap, sizeof(*set));

		if (!set)
			return str_add(b, s, n);	/* not interned: only more memory */
		for (j = 0; j < b->set_cap; j++)
			if (b->set[j])
				set_put(set, cap, b->p, b->set[j] - 1);
		free(b->set);
		b->set = set;
		b->set_cap = cap;
	}
	for (i = base_fnv1a(s, n) & (b->set_cap - 1); b->set[i]; i = (i + 1) & (b->set_cap - 1)) {
		const char *q = b->p + b->set[i] - 1;

		if (strnlen(q, n + 1) == n && memcmp(q, s, n) == 0)
			return b->set[i] - 1;
	}
	at = str_add(b, s, n);
	if (!b->oom && at < UINT32_MAX) {
		b->set[i] = (uint32_t)at + 1;
		b->set_n++;
	}
	return at;
}

static const unsigned pcts[] = { 50, 90, 95, 99 };

/* The counts of a window sum, without the percentile. */
static void
window_counts(const struct stats_window_sum *w, struct acct_window *out)
{
	out->delivered = w->c[STATS_DELIVERED];
	out->bounced = w->c[STATS_BOUNCED];
	out->hard_bounced = w->c[STATS_HARD_BOUNCED];
	out->deferred = w->c[STATS_DEFERRED];
	out->complaints = w->c[STATS_COMPLAINED];
	out->p95 = 0;
	out->pending = 0;
	out->resolved_delivered = out->resolved_bounced = 0;
}

/* A row's deferrals resolved over window: counts into out, times into hist when not NULL. */
static void
resolved_window(const struct row *r, int64_t now, unsigned window, struct acct_window *out,
		struct stats_hist *hist)
{
	struct stats_window_sum w;

	out->pending = cnt_ro(r)->pending;
	if (!cnt_ro(r)->res)
		return;
	stats_window_sum(cnt_ro(r)->res, now, window, &w, hist);
	out->resolved_delivered = w.c[STATS_DELIVERED];
	out->resolved_bounced = w.c[STATS_BOUNCED];
}

static void
entity_fill(struct acct_stats *s, const struct row *r, struct acct_entity_row *e, int64_t now)
{
	const struct row_counts *c = cnt_ro(r);
	struct stats_window_sum w;
	struct acct_window aw;
	uint32_t p[4];

	e->delivered = c->c[C_D];
	e->bounced = c->c[C_B];
	e->hard_bounced = c->c[C_HB];
	e->soft_bounced = c->c[C_SB];
	e->deferred = c->c[C_DF];
	e->remote_bounced = c->c[C_RB];
	e->complaints = c->c[C_CP];
	e->latency_count = c->lat_count;
	stats_hist_clear(s->hist);
	stats_window_sum(&r->win, now, s->c.window, &w, s->hist);
	e->win_delivered = base_sat32(w.c[STATS_DELIVERED]);
	e->win_bounced = base_sat32(w.c[STATS_BOUNCED]);
	e->win_deferred = base_sat32(w.c[STATS_DEFERRED]);
	e->win_complaints = base_sat32(w.c[STATS_COMPLAINED]);
	window_counts(&w, &aw);
	e->bounce_rate = acct_window_bounce_rate(&aw);
	e->deferral_rate = acct_window_deferral_rate(&aw);
	e->complaint_rate = acct_window_complaint_rate(&aw);
	e->latency_win_count = base_sat32(stats_hist_count(s->hist));
	stats_hist_percentiles(s->hist, pcts, 4, p);
	e->p50 = p[0];
	e->p90 = p[1];
	e->p95 = p[2];
	e->p99 = p[3];
	e->max = stats_hist_max(s->hist);

	e->deferred_delivered = c->c[C_DD];
	e->deferred_bounced = c->c[C_DB];
	e->deferred_given_up = c->c[C_GU];
	e->delivered_remote_bounced = c->c[C_RBD];
	stats_hist_clear(s->hist);
	resolved_window(r, now, s->c.window, &aw, s->hist);
	e->pending = c->pending;
	e->win_resolved = base_sat32(aw.resolved_delivered + aw.resolved_bounced);
	e->resolved_delivered_share = acct_window_resolved_delivered_share(&aw);
	stats_hist_percentiles(s->hist, pcts, 4, p);
	e->resolve_p50 = p[0];
	e->resolve_p95 = p[2];
}

/* The rows of one table, in slot order; NULL (and n 0) for an empty table. */
static void *
rows_alloc(const struct table *t, size_t size, bool *oom)
{
	void *p;

	if (!t->n)
		return NULL;
	p = calloc(t->n, size);
	if (!p)
		*oom = true;
	return p;
}

#define OFF(off) ((const char *)(uintptr_t)(off))	/* an offset until view_resolve() */

static void
view_domains_vmtas(struct acct_stats *s, struct acct_view *v, struct strbuf *sb, int64_t now)
{
	const struct table *t;
	size_t i, k;

	t = &s->tab[ACCT_TAB_DOMAIN];
	for (i = 0, k = 0; v->domains && i < t->cap; i++) {
		if (!t->slot[i].r)
			continue;
		entity_fill(s, t->slot[i].r, &v->domains[k], now);
		v->domains[k++].name = OFF(str_intern(sb, t->slot[i].r->key, t->slot[i].r->key_len));
	}
	v->n_domains = k;
	t = &s->tab[ACCT_TAB_VMTA];
	for (i = 0, k = 0; v->vmtas && i < t->cap; i++) {
		if (!t->slot[i].r)
			continue;
		entity_fill(s, t->slot[i].r, &v->vmtas[k], now);
		v->vmtas[k++].name = OFF(str_add(sb, t->slot[i].r->key, t->slot[i].r->key_len));
	}
	v->n_vmtas = k;
	t = &s->tab[ACCT_TAB_QUEUE];
	for (i = 0, k = 0; v->queues && i < t->cap; i++) {
		const struct row *r = t->slot[i].r;
		const char *slash;
		size_t at;

		if (!r)
			continue;
		slash = memrchr(r->key, '/', r->key_len);
		entity_fill(s, r, &v->queues[k].e, now);
		at = str_add(sb, r->key, r->key_len);
		v->queues[k].e.name = OFF(at);
		v->queues[k].domain = OFF(str_intern(sb, r->key, slash ? (size_t)(slash - r->key) :
		    r->key_len));
		/* The VirtualMTA part ends where the name does: no copy of its own. */
		v->queues[k].vmta = OFF(slash ? at + (size_t)(slash + 1 - r->key) : at + r->key_len);
		k++;
	}
	v->n_queues = k;
}

static void
view_jobs_bounces(struct acct_stats *s, struct acct_view *v, struct strbuf *sb, int64_t now)
{
	const struct table *t;
	size_t i, k;

	t = &s->tab[ACCT_TAB_JOB];
	for (i = 0, k = 0; v->jobs && i < t->cap; i++) {
		const struct row *r = t->slot[i].r;
		const uint64_t *c;

		if (!r)
			continue;
		c = cnt_ro(r)->c;
		v->jobs[k].name = OFF(str_add(sb, r->key, r->key_len));
		v->jobs[k].delivered = c[C_D];
		v->jobs[k].bounced = c[C_B];
		v->jobs[k].hard_bounced = c[C_HB];
		v->jobs[k].soft_bounced = c[C_SB];
		v->jobs[k].deferred = c[C_DF];
		v->jobs[k].complaints = c[C_CP];
		k++;
	}
	v->n_jobs = k;
	t = &s->tab[ACCT_TAB_BOUNCE];
	for (i = 0, k = 0; v->bounces && i < t->cap; i++) {
		const struct row *r = t->slot[i].r;
		struct stats_window_sum w;

		if (!r)
			continue;
		stats_window_sum(&r->win, now, s->c.window, &w, NULL);
		v->bounces[k].category = OFF(str_add(sb, r->key, r->key_len));
		v->bounces[k].hard = is_hard(s, r->key, r->key_len);
		v->bounces[k].count = cnt_ro(r)->c[C_B];
		v->bounces[k].win_count = base_sat32(w.c[STATS_BOUNCED]);
		k++;
	}
	v->n_bounces = k;
}

static void
view_deferrals(struct acct_stats *s, struct acct_view *v, struct strbuf *sb, int64_t now)
{
	const struct table *t = &s->tab[ACCT_TAB_DEFERRAL];
	size_t i, k;

	for (i = 0, k = 0; v->deferrals && i < t->cap; i++) {
		const struct row *r = t->slot[i].r;
		struct acct_deferral_row *d = &v->deferrals[k];
		const struct row_text *x;
		struct stats_window_sum w;
		size_t dl;

		if (!r)
			continue;
		dl = strlen(r->key);
		stats_window_sum(&r->win, now, s->c.window, &w, NULL);
		d->domain = OFF(str_intern(sb, r->key, dl));
		d->status = OFF(str_intern(sb, r->key + dl + 1, r->key_len - dl - 1));
		x = txt_ro(r);
		d->last_diag = OFF(str_intern(sb, x->diag ? x->diag : "", x->diag ? strlen(x->diag) : 0));
		d->count = x->count;
		d->win_count = base_sat32(w.c[STATS_DEFERRED]);
		d->last_seen = r->newest;
		k++;
	}
	v->n_deferrals = k;
}

static void
view_rejections(struct acct_stats *s, struct acct_view *v, struct strbuf *sb, int64_t now)
{
	const struct table *t = &s->tab[ACCT_TAB_REJECTION];
	size_t i, k;

	for (i = 0, k = 0; v->rejections && i < t->cap; i++) {
		const struct row *r = t->slot[i].r;
		struct acct_rejection_row *j = &v->rejections[k];
		const struct row_text *x;
		const char *cat;
		struct stats_window_sum w;
		size_t dl;

		if (!r)
			continue;
		x = txt_ro(r);
		cat = x->cat ? x->cat : "other";
		dl = strlen(r->key);
		stats_window_sum(&r->win, now, s->c.window, &w, NULL);
		j->domain = OFF(str_intern(sb, r->key, dl));
		j->status = OFF(str_intern(sb, r->key + dl + 1, r->key_len - dl - 1));
		j->category = OFF(str_intern(sb, cat, strlen(cat)));
		j->hard = is_hard(s, cat, strlen(cat));
		/* The diagnostic mostly names the recipient: rarely the same twice, not interned. */
		j->last_diag = OFF(str_add(sb, x->diag ? x->diag : "", x->diag ? strlen(x->diag) : 0));
		j->count = x->count;
		j->win_count = base_sat32(w.c[STATS_BOUNCED]);
		j->last_seen = r->newest;
		k++;
	}
	v->n_rejections = k;
}

static void
view_complaints(struct acct_stats *s, struct acct_view *v, struct strbuf *sb, int64_t now)
{
	const struct table *t = &s->tab[ACCT_TAB_COMPLAINT];
	size_t i, k;

	for (i = 0, k = 0; v->complaints && i < t->cap; i++) {
		const struct row *r = t->slot[i].r;
		struct stats_window_sum w;

		if (!r)
			continue;
		stats_window_sum(&r->win, now, s->c.window, &w, NULL);
		v->complaints[k].type = OFF(str_add(sb, r->key, r->key_len));
		v->complaints[k].count = cnt_ro(r)->c[C_CP];
		v->complaints[k].win_count = base_sat32(w.c[STATS_COMPLAINED]);
		k++;
	}
	v->n_complaints = k;
}

/* Turns the string offsets of every row into pointers into v->strings. */
static void
view_resolve(struct acct_view *v)
{
	size_t i;

#define AT(x) (x) = v->strings + (uintptr_t)(x)
	for (i = 0; i < v->n_domains; i++)
		AT(v->domains[i].name);
	for (i = 0; i < v->n_vmtas; i++)
		AT(v->vmtas[i].name);
	for (i = 0; i < v->n_queues; i++) {
		AT(v->queues[i].e.name);
		AT(v->queues[i].domain);
		AT(v->queues[i].vmta);
	}
	for (i = 0; i < v->n_jobs; i++)
		AT(v->jobs[i].name);
	for (i = 0; i < v->n_bounces; i++)
		AT(v->bounces[i].category);
	for (i = 0; i < v->n_deferrals; i++) {
		AT(v->deferrals[i].domain);
		AT(v->deferrals[i].status);
		AT(v->deferrals[i].last_diag);
	}
	for (i = 0; i < v->n_rejections; i++) {
		AT(v->rejections[i].domain);
		AT(v->rejections[i].status);
		AT(v->rejections[i].category);
		AT(v->rejections[i].last_diag);
	}
	for (i = 0; i < v->n_complaints; i++)
		AT(v->complaints[i].type);
#undef AT
}

static void
window_expire(struct stats_window *w, int64_t now, unsigned horizon)
{
	stats_window_drop_before(w, now - (int64_t)horizon);
	stats_window_settle(w, now);
}

/* Idle rows go; slices no window reaches are freed; idle windows are packed. */
static void
stats_expire(struct acct_stats *s, int64_t now)
{
	size_t i, j;

	for (i = 0; i < ACCT_TABLES; i++) {
		struct table *t = &s->tab[i];
		uint64_t gone = table_age(t, now - (int64_t)s->c.idle_drop);

		if (gone)
			log_info("accounting: %llu %s rows without a record for %u s dropped",
			    (unsigned long long)gone, table_what[i], s->c.idle_drop);
		for (j = 0; j < t->cap; j++) {
			struct row *r = t->slot[j].r;

			if (!r)
				continue;
			window_expire(&r->win, now, s->c.horizon);
			if (!t->text && cnt(r)->res)
				window_expire(cnt(r)->res, now, s->c.horizon);
		}
	}
	window_expire(&s->all->win, now, s->c.horizon);
	if (cnt(s->all)->res)
		window_expire(cnt(s->all)->res, now, s->c.horizon);
}

struct acct_view *
acct_stats_view(struct acct_stats *s, int64_t now)
{
	struct acct_view *v = calloc(1, sizeof(*v));
	struct strbuf sb = { 0 };
	bool oom = false;
	size_t i;

	if (!v)
		return NULL;
	/* Given up before the idle rows go: a row they counted in is pinned until then. */
	acct_pending_expire(s->deferred, now);
	acct_pending_expire(s->delivered, now);
	stats_expire(s, now);
	v->pending = acct_pending_count(s->deferred);
	v->pending_given_up = acct_pending_given_up(s->deferred);
	v->pending_max = (uint32_t)s->c.max_pending;	/* at most ACCT_PENDING_MAX */
	for (i = 0; i < ACCT_TABLES; i++) {
		v->refused[i] = s->tab[i].refused;
		v->aged[i] = s->tab[i].aged;
		if (i != ACCT_TAB_ROUTE)
			v->rows_dropped += v->refused[i] + v->aged[i];
	}
	v->domains = rows_alloc(&s->tab[ACCT_TAB_DOMAIN], sizeof(*v->domains), &oom);
	v->vmtas = rows_alloc(&s->tab[ACCT_TAB_VMTA], sizeof(*v->vmtas), &oom);
	v->jobs = rows_alloc(&s->tab[ACCT_TAB_JOB], sizeof(*v->jobs), &oom);
	v->queues = rows_alloc(&s->tab[ACCT_TAB_QUEUE], sizeof(*v->queues), &oom);
	v->bounces = rows_alloc(&s->tab[ACCT_TAB_BOUNCE], sizeof(*v->bounces), &oom);
	v->deferrals = rows_alloc(&s->tab[ACCT_TAB_DEFERRAL], sizeof(*v->deferrals), &oom);
	v->rejections = rows_alloc(&s->tab[ACCT_TAB_REJECTION], sizeof(*v->rejections), &oom);
	v->complaints = rows_alloc(&s->tab[ACCT_TAB_COMPLAINT], sizeof(*v->complaints), &oom);
	if (oom)
		goto fail;
	entity_fill(s, s->all, &v->all, now);
	v->all.name = "all";
	v->all.pending = base_sat32(v->pending);
	view_domains_vmtas(s, v, &sb, now);
	view_jobs_bounces(s, v, &sb, now);
	view_deferrals(s, v, &sb, now);
	view_rejections(s, v, &sb, now);
	view_complaints(s, v, &sb, now);
	free(sb.set);
	sb.set = NULL;
	if (sb.oom)
		goto fail;
	/*
	 * The buffer grew by doubling; a snapshot keeps it for its whole life
	 * (its rows point into it), so it gives back the slack first.
	 */
	v->strings = sb.len ? realloc(sb.p, sb.len) : sb.p;
	if (!v->strings)
		v->strings = sb.p;
	view_resolve(v);
	return v;
fail:
	free(sb.p);
	free(sb.set);	/* NULL when it was freed above */
	acct_view_free(v);
	return NULL;
}

void
acct_view_drop(struct acct_view *v, enum acct_table which)
{
	switch (which) {
	case ACCT_TAB_DOMAIN: free(v->domains); v->domains = NULL; v->n_domains = 0; break;
	case ACCT_TAB_VMTA: free(v->vmtas); v->vmtas = NULL; v->n_vmtas = 0; break;
	case ACCT_TAB_JOB: free(v->jobs); v->jobs = NULL; v->n_jobs = 0; break;
	case ACCT_TAB_QUEUE: free(v->queues); v->queues = NULL; v->n_queues = 0; break;
	case ACCT_TAB_BOUNCE: free(v->bounces); v->bounces = NULL; v->n_bounces = 0; break;
	case ACCT_TAB_DEFERRAL: free(v->deferrals); v->deferrals = NULL; v->n_deferrals = 0; break;
	case ACCT_TAB_REJECTION: free(v->rejections); v->rejections = NULL; v->n_rejections = 0; break;
	case ACCT_TAB_COMPLAINT: free(v->complaints); v->complaints = NULL; v->n_complaints = 0; break;
	default: break;		/* not in a view */
	}
}

void
acct_view_drop_rows(struct acct_view *v)
{
	int i;

	for (i = 0; i < ACCT_TABLES; i++)
		acct_view_drop(v, (enum acct_table)i);
}

void
acct_view_free(struct acct_view *v)
{
	if (!v)
		return;
	free(v->domains);
	free(v->vmtas);
	free(v->jobs);
	free(v->queues);
	free(v->bounces);
	free(v->deferrals);
	free(v->rejections);
	free(v->complaints);
	free(v->strings);
	free(v);
}

static enum acct_table
scope_table(enum acct_scope scope)
{
	return scope == ACCT_SCOPE_DOMAIN ? ACCT_TAB_DOMAIN : scope == ACCT_SCOPE_VMTA ?
	    ACCT_TAB_VMTA : ACCT_TAB_QUEUE;
}

int
acct_stats_window(struct acct_stats *s, enum acct_scope scope, const char *name,
		  unsigned window, int64_t now, struct acct_window *out)
{
	const struct row *r = NULL;
	struct stats_window_sum w;
	static const unsigned p95 = 95;
	uint32_t v;

	if (scope == ACCT_SCOPE_ALL) {
		r = s->all;
	} else if (name) {
		size_t len = cap_name(strlen(name));

		r = table_find(&s->tab[scope_table(scope)], name, len, base_fnv1a(name, len));
	}
	if (!r)
		return -1;
	if (window > s->c.horizon)
		window = s->c.horizon;	/* nothing older is kept */
	stats_hist_clear(s->hist);
	stats_window_sum(&r->win, now, window, &w, s->hist);
	stats_hist_percentiles(s->hist, &p95, 1, &v);
	window_counts(&w, out);
	out->p95 = v;
	resolved_window(r, now, window, out, NULL);
	if (scope == ACCT_SCOPE_ALL)
		out->pending = acct_pending_count(s->deferred);	/* the instance's row holds no refs */
	return 0;
}

size_t
acct_stats_names(const struct acct_stats *s, enum acct_scope scope, const char **names, size_t max)
{
	const struct table *t = &s->tab[scope_table(scope)];
	size_t i, n = 0;

	if (!names)
		return t->n;
	for (i = 0; i < t->cap && n < max; i++)
		if (t->slot[i].r)
			names[n++] = t->slot[i].r->key;
	return n;
}

/*
 * Allocated sizes, as requested of malloc (its own overhead, 8 to 16
 * bytes a block, is not counted): the rows, their texts and windows.
 */
void
acct_stats_memory(const struct acct_stats *s, struct acct_memory *out)
{
	size_t i, j;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < ACCT_TABLES; i++) {
		const struct table *t = &s->tab[i];
		size_t ext = t->text ? sizeof(struct row_text) : sizeof(struct row_counts);

		out->rows[i] = t->n;
		out->slot_bytes[i] = t->cap * sizeof(*t->slot) + t->cap_id * sizeof(*t->by_id) +
		    t->cap_free * sizeof(*t->free_id);
		for (j = 0; j < t->cap; j++) {
			const struct row *r = t->slot[j].r;

			if (!r)
				continue;
			out->row_bytes[i] += ext + offsetof(struct row, key) + r->key_len + 1;
			out->window_bytes[i] += stats_window_bytes(&r->win);
			if (t->text) {
				const struct row_text *x = txt_ro(r);

				out->row_bytes[i] += (x->diag ? strlen(x->diag) + 1 : 0) +
				    (x->cat ? strlen(x->cat) + 1 : 0);
			} else if (cnt_ro(r)->res) {
				out->window_bytes[i] += sizeof(struct stats_window) +
				    stats_window_bytes(cnt_ro(r)->res);
			}
		}
	}
	out->followed_bytes = acct_pending_bytes(s->deferred) + acct_pending_bytes(s->delivered);
}
