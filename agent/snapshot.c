#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base.h"
#include "domain_idn.h"
#include "mib_oids.h"
#include "snapshot_acct.h"
#include "snapshot.h"

void
snapshot_free(struct snap_instance *s)
{
	int i;

	if (!s)
		return;
	for (i = 0; i < SNAP_NTABLES; i++)
		snap_table_free(&s->tab[i]);
	for (i = 0; i < (int)s->n_metrics; i++)
		free(s->metrics[i].subject);
	free(s->metrics);
	pmta_result_unref(s->api);
	if (s->owned_free)
		s->owned_free(s->owned);
	free(s->domain_text);
	free(s->name);
	free(s->public_url);
	free(s);
}

/* --- row keys ---------------------------------------------------------- */

static size_t
put_name(uint32_t *out, size_t room, const char *name)
{
	char idx[MIB_NAME_MAX];
	size_t n;

	if (!name || !*name)
		return 0;
	n = mib_name_index(name, strlen(name), idx);
	return mib_index_put_string(out, room, idx, n);
}

static size_t
key_name(const void *e, uint32_t *out)
{
	return put_name(out, MIB_INDEX_MAX, ((const struct snap_row *)e)->name);
}

static size_t
key_scope(const void *e, uint32_t *out)
{
	out[0] = ((const struct snap_row *)e)->scope;
	return 1;
}

static size_t
key_scope_name(const void *e, uint32_t *out)
{
	const struct snap_row *r = e;
	size_t n;

	out[0] = r->scope;
	n = put_name(out + 1, MIB_INDEX_MAX - 1, r->name);
	return n ? n + 1 : 0;
}

static size_t
key_name_name2(const void *e, uint32_t *out)
{
	const struct snap_row *r = e;
	size_t a = put_name(out, MIB_INDEX_MAX, r->name), b;

	if (!a || !r->name2 || !*r->name2 || strlen(r->name2) > 16)
		return 0;
	b = mib_index_put_string(out + a, MIB_INDEX_MAX - a, r->name2, strlen(r->name2));
	return b ? a + b : 0;
}

/* --- merging API lists into accounting rows ----------------------------- */

struct name_map {
	size_t cap;
	size_t *slot;		/* row number + 1; 0 = empty */
};

static uint32_t
name_hash(const char *s, bool fold)
{
	return fold ? base_fnv1a_lower(s, strlen(s)) : base_fnv1a(s, strlen(s));
}

static bool
name_eq(const char *a, const char *b, bool fold)
{
	return fold ? strcasecmp(a, b) == 0 : strcmp(a, b) == 0;
}

static size_t *
map_find(struct name_map *m, const struct snap_row *rows, const char *name, bool fold)
{
	size_t i = name_hash(name, fold) & (m->cap - 1);

	while (m->slot[i] && !name_eq(rows[m->slot[i] - 1].name, name, fold))
		i = (i + 1) & (m->cap - 1);
	return &m->slot[i];
}

/* A map over rows[0..n) with room for total names; -1 on no memory. */
static int
map_init(struct name_map *m, const struct snap_row *rows, size_t n, size_t total, bool fold)
{
	size_t i;

	for (m->cap = 16; m->cap < total * 2; m->cap *= 2)
		;
	m->slot = calloc(m->cap, sizeof(*m->slot));
	if (!m->slot)
		return -1;
	for (i = 0; i < n; i++)
		*map_find(m, rows, rows[i].name, fold) = i + 1;
	return 0;
}

/*
 * Puts the API page's queued recipients and connections into the rows of
 * the same name, adding rows for names the accounting files have not seen.
 * rows has room for *n + the API list's length.
 */
static int
merge_items(struct snap_row *rows, size_t *n, const struct api_list *l, unsigned col_rcpt,
	    unsigned col_conn, bool fold)
{
	const struct pmta_item *it = l ? l->items : NULL;
	struct name_map m;
	size_t i, total = *n + (l ? l->n : 0);

	if (!l || l->n == 0)
		return 0;
	if (map_init(&m, rows, *n, total, fold) < 0)
		return -1;
	for (i = 0; i < l->n; i++) {
		size_t *s = map_find(&m, rows, it[i].name, fold);
		struct snap_row *r;

		if (!*s) {
			r = &rows[*n];	/* fresh from snap_table_alloc(): zero */
			r->name = it[i].name;
			*s = ++*n;
		}
		/* Summed: two spellings of one domain on the page are one row. */
		r = &rows[*s - 1];
		r->col[col_rcpt] += it[i].rcpt;
		if (col_conn)
			r->col[col_conn] += it[i].conn;
	}
	free(m.slot);
	return 0;
}

/*
 * The /queues page into the queue rows the accounting files made (both keyed
 * by domain_idn_queue_key()), adding rows for queues no record named yet.
 * A row the page does not list (PowerMTA lists its top queues only) keeps
 * its accounting columns, with pmtaQueueListed false, no mode known and
 * nothing queued; a queue the page listed before keeps its backoff counts
 * too (the list's unlisted entries), so they never fall back to 0. rows has
 * room for *n + the list's length.
 */
static int
merge_queues(struct snap_row *rows, size_t *n, const struct api_list *l)
{
	const struct pmta_queue *q = l ? l->items : NULL;
	struct name_map m;
	size_t i, total = *n + (l ? l->n : 0);

	for (i = 0; i < *n; i++) {
		rows[i].col[PMTA_QUEUE_PAUSED] = PMTA_TRUTH_FALSE;
		rows[i].col[PMTA_QUEUE_MODE] = PMTA_QUEUE_MODE_OTHER_V;
		rows[i].col[PMTA_QUEUE_LISTED] = PMTA_TRUTH_FALSE;
	}
	if (!l || l->n == 0)
		return 0;
	if (map_init(&m, rows, *n, total, false) < 0)
		return -1;
	for (i = 0; i < l->n; i++) {
		size_t *s = map_find(&m, rows, q[i].name, false);
		struct snap_row *r;

		if (*s && rows[*s - 1].col[PMTA_QUEUE_LISTED] == PMTA_TRUTH_TRUE)
			continue;	/* listed twice: the page's first entry stands */
		if (!*s) {
			r = &rows[*n];	/* fresh from snap_table_alloc(): zero */
			r->name = q[i].name;
			r->name2 = q[i].vmta;
			r->text2 = q[i].domain;
			r->col[PMTA_QUEUE_PAUSED] = PMTA_TRUTH_FALSE;
			r->col[PMTA_QUEUE_MODE] = PMTA_QUEUE_MODE_OTHER_V;
			r->col[PMTA_QUEUE_LISTED] = PMTA_TRUTH_FALSE;
			*s = ++*n;
		}
		r = &rows[*s - 1];
		r->col[PMTA_QUEUE_BACKOFF_ENTRIES] = q[i].backoff_entries;
		r->col[PMTA_QUEUE_BACKOFF_SECONDS] = q[i].backoff_secs;
		if (q[i].unlisted)
			continue;	/* off the page: only its backoff counts are current */
		r->name2 = q[i].vmta;
		r->text2 = q[i].domain;
		r->text = q[i].last_error;
		r->col[PMTA_QUEUE_RCPT] = q[i].rcpt;
		r->col[PMTA_QUEUE_KBYTES] = q[i].kb;
		r->col[PMTA_QUEUE_CONNECTIONS] = q[i].conn;
		r->col[PMTA_QUEUE_PAUSED] = q[i].paused ? PMTA_TRUTH_TRUE : PMTA_TRUTH_FALSE;
		r->col[PMTA_QUEUE_MODE] = q[i].mode;
		r->col[SNAP_QUEUE_RETRY_AT] = (uint64_t)q[i].retry_time;
		r->col[PMTA_QUEUE_LISTED] = PMTA_TRUTH_TRUE;
	}
	free(m.slot);
	return 0;
}

/*
 * pmtaDomainUnicodeName: the Unicode form of each domain row whose key has
 * an A-label (or non-ASCII bytes libidn2 refused), in one buffer the
 * snapshot owns; other rows read as their key and get no copy. libidn2
 * runs only for those rows, at most pmtaMaxRows of them.
 */
static int
domain_display(struct snap_instance *s)
{
	struct snap_table *t = &s->tab[SNAP_DOMAIN];
	size_t i, used = 0, cap = 0;
	char *buf = NULL;

	for (i = 0; i < t->n; i++) {
		struct snap_row *r = &t->row[i];
		size_t len = strlen(r->name);
		char *grown;

		r->text = NULL;
		if (!domain_idn_needs_idna(r->name, len))
			continue;
		grown = base_grow(buf, &cap, used + DOMAIN_IDN_MAX + 1, 1, 4096, SIZE_MAX / 2);
		if (!grown) {
			free(buf);
			return -1;
		}
		buf = grown;
		/* An offset until the buffer stops moving; +1: 0 means none. */
		r->text = (const char *)(uintptr_t)(used + 1);
		used += domain_idn_display(r->name, len, buf + used) + 1;
	}
	for (i = 0; buf && i < t->n; i++)
		if (t->row[i].text)
			t->row[i].text = buf + ((uintptr_t)t->row[i].text - 1);
	s->domain_text = buf;
	return 0;
}

_Static_assert(PMTA_CONN_COL_LAST < SNAP_WIDTH_MAX && PMTA_DOMAIN_COL_LAST < SNAP_WIDTH_MAX &&
	       PMTA_VMTA_COL_LAST < SNAP_WIDTH_MAX && PMTA_JOB_COL_LAST < SNAP_WIDTH_MAX &&
	       PMTA_BOUNCE_COL_LAST < SNAP_WIDTH_MAX && PMTA_DEFERRAL_COL_LAST < SNAP_WIDTH_MAX &&
	       PMTA_LATENCY_COL_LAST < SNAP_WIDTH_MAX && PMTA_REJECTION_COL_LAST < SNAP_WIDTH_MAX &&
	       PMTA_COMPLAINT_COL_LAST < SNAP_WIDTH_MAX && PMTA_QUEUE_COL_LAST < SNAP_WIDTH_MAX,
	       "every instance table can be packed");

size_t
snap_width(enum snap_tab tab)
{
	static const size_t last[SNAP_NTABLES] = {
		[SNAP_CONN] = PMTA_CONN_COL_LAST, [SNAP_DOMAIN] = PMTA_DOMAIN_COL_LAST,
		[SNAP_VMTA] = PMTA_VMTA_COL_LAST, [SNAP_JOB] = PMTA_JOB_COL_LAST,
		[SNAP_BOUNCE] = PMTA_BOUNCE_COL_LAST, [SNAP_DEFERRAL] = PMTA_DEFERRAL_COL_LAST,
		[SNAP_LATENCY] = PMTA_LATENCY_COL_LAST, [SNAP_REJECTION] = PMTA_REJECTION_COL_LAST,
		[SNAP_COMPLAINT] = PMTA_COMPLAINT_COL_LAST, [SNAP_QUEUE] = PMTA_QUEUE_COL_LAST,
	};

	return last[tab] + 1;
}

int
snap_table_alloc(struct snap_table *t, size_t n, size_t width)
{
	size_t i;

	snap_table_free(t);
	if (!n)
		n = 1;
	t->row = calloc(n, sizeof(*t->row));
	t->cols = calloc(n, width * sizeof(*t->cols));
	if (!t->row || !t->cols) {
		snap_table_free(t);
		return -1;
	}
	for (i = 0; i < n; i++)
		t->row[i].col = t->cols + i * width;
	t->width = width;
	t->cap = n;
	return 0;
}

void
snap_table_free(struct snap_table *t)
{
	mib_rows_clear(&t->idx);
	free(t->row);
	free(t->cols);
	free(t->cells);
	t->row = NULL;
	t->cols = NULL;
	t->cells = NULL;
	t->n = t->width = t->stride = t->cap = 0;
}

int
snap_table_pack(struct snap_table *t)
{
	uint64_t any[SNAP_WIDTH_MAX] = { 0 };
	size_t i, c, stride = 0;
	uint8_t *cells, *p;

	if (t->cells || !t->cols || t->width > SNAP_WIDTH_MAX)
		return 0;	/* packed, never allocated, or too wide (read unpacked) */
	/* The bits any row sets in a column: its largest value's width. */
	for (i = 0; i < t->n; i++)
		for (c = 0; c < t->width; c++)
			any[c] |= t->row[i].col[c];
	for (c = 0; c < t->width; c++) {
		t->size[c] = any[c] == 0 ? 0 : any[c] <= UINT8_MAX ? 1 : any[c] <= UINT16_MAX ? 2 :
		    any[c] <= UINT32_MAX ? 4 : 8;
		t->off[c] = (uint16_t)stride;
		stride += t->size[c];
	}
	cells = malloc(t->n && stride ? t->n * stride : 1);
	if (!cells)
		return -1;
	for (i = 0, p = cells; i < t->n; i++) {
		for (c = 0; c < t->width; c++) {
			uint64_t v = t->row[i].col[c];
			uint16_t v16 = (uint16_t)v;
			uint32_t v32 = (uint32_t)v;

			switch (t->size[c]) {
			case 1: *p = (uint8_t)v; break;
			case 2: memcpy(p, &v16, 2); break;
			case 4: memcpy(p, &v32, 4); break;
			case 8: memcpy(p, &v, 8); break;
			}
			p += t->size[c];
		}
		t->row[i].col = NULL;
	}
	/* The room past n pointed into the freed block too: no row keeps a stale pointer. */
	for (; i < t->cap; i++)
		t->row[i].col = NULL;
	free(t->cols);
	t->cols = NULL;
	t->cells = cells;
	t->stride = stride;
	return 0;
}

void
snap_row_clear(struct snap_row *r, size_t width)
{
	uint64_t *col = r->col;

	memset(r, 0, sizeof(*r));
	memset(col, 0, width * sizeof(*col));
	r->col = col;
}

static int
table_alloc(struct snap_instance *s, enum snap_tab tab, size_t n)
{
	return snap_table_alloc(&s->tab[tab], n, snap_width(tab));
}

static int
table_index(struct snap_table *t, size_t (*key)(const void *, uint32_t *))
{
	return mib_rows_build(&t->idx, t->row, t->n, sizeof(*t->row), key);
}

int
snap_table_index_by_scope(struct snap_table *t)
{
	mib_rows_clear(&t->idx);
	return table_index(t, key_scope);
}

static void
conn_rows(struct snap_table *t, const struct pmta_status *s)
{
	const uint64_t v[2][3] = {
		{ s->conn_in_cur, s->conn_in_max, s->conn_in_top },
		{ s->conn_out_cur, s->conn_out_max, s->conn_out_top },
	};
	int d;

	for (d = 0; d < 2; d++) {
		struct snap_row *r = &t->row[d];

		r->scope = d == 0 ? PMTA_CONN_DIR_INBOUND : PMTA_CONN_DIR_OUTBOUND;
		r->col[PMTA_CONN_CURRENT] = v[d][0];
		r->col[PMTA_CONN_MAX] = v[d][1];
		r->col[PMTA_CONN_TOP] = v[d][2];
		r->col[PMTA_CONN_UTILIZATION] = v[d][1] ?
		    (v[d][0] >= v[d][1] ? 100 : v[d][0] * 100 / v[d][1]) : 0;
	}
	t->n = 2;
}

/*
 * The domain, VirtualMTA, job or queue table: room for the view's n rows
 * and the API list's, filled from both, then packed.
 */
static int
entity_table(struct snap_instance *s, struct acct_view *av, enum snap_tab tab, size_t n)
{
	static const struct {
		enum api_page page;
		unsigned col_rcpt, col_conn;
		bool fold;
	} m[SNAP_NTABLES] = {
		[SNAP_DOMAIN] = { API_DOMAINS, PMTA_ENTITY_QUEUED_RCPT, PMTA_ENTITY_CONNECTIONS, true },
		[SNAP_VMTA] = { API_VMTAS, PMTA_ENTITY_QUEUED_RCPT, PMTA_ENTITY_CONNECTIONS, true },
		[SNAP_JOB] = { API_JOBS, PMTA_JOB_QUEUED_RCPT, 0, false },
		[SNAP_QUEUE] = { API_QUEUES, 0, 0, false },
	};
	const struct api_list *l = s->api->list[m[tab].page];
	struct snap_table *t = &s->tab[tab];

	if (table_alloc(s, tab, n + l->n) < 0)
		return -1;
	if (av)
		snapshot_acct_fill(s, av, tab);
	if (tab == SNAP_QUEUE ? merge_queues(t->row, &t->n, l) < 0 :
	    merge_items(t->row, &t->n, l, m[tab].col_rcpt, m[tab].col_conn, m[tab].fold) < 0)
		return -1;
	if (tab == SNAP_DOMAIN && domain_display(s) < 0)
		return -1;
	return snap_table_pack(t);
}

struct snap_instance *
snapshot_build(struct snap_source *src)
{
	struct snap_instance *s = calloc(1, sizeof(*s));
	struct acct_view *av = src->acct;
	size_t n_dom = 0, n_vmta = 0, n_job = 0, n_queue = 0;
	int i;

	if (!s) {
		snapshot_acct_view_free(src->acct);
		return NULL;
	}
	s->index = src->index;
	s->name = strdup(src->name);
	s->public_url = strdup(src->public_url);
	s->api = pmta_result_ref(src->api);
	s->acct_configured = src->acct_configured;
	s->acct_records = src->acct_records;
	s->acct_malformed = src->acct_malformed;
	s->acct_last_record = src->acct_last_record;
	s->counters_wall_ms = src->counters_wall_ms;
	s->counters_ms = src->counters_ms;
	s->built_wall = src->now;
	s->owned = src->acct;
	s->owned_free = snapshot_acct_view_free;
	src->acct = NULL;
	s->metrics = src->metrics;
	s->n_metrics = src->n_metrics;
	src->metrics = NULL;
	if (!s->name || !s->public_url)
		goto fail;

	if (table_alloc(s, SNAP_CONN, 2) < 0)
		goto fail;
	conn_rows(&s->tab[SNAP_CONN], &s->api->st);

	if (av)
		snapshot_acct_counts(av, &n_dom, &n_vmta, &n_job, &n_queue);
	if (av && snapshot_acct_rows(s, av) < 0)
		goto fail;
	/*
	 * One table at a time: filled from the view (whose rows go as they are
	 * copied), merged with the API's list, packed; then the next.
	 */
	if (entity_table(s, av, SNAP_DOMAIN, n_dom) < 0 ||
	    entity_table(s, av, SNAP_VMTA, n_vmta) < 0 ||
	    entity_table(s, av, SNAP_JOB, n_job) < 0 ||
	    entity_table(s, av, SNAP_QUEUE, n_queue) < 0)
		goto fail;
	/* Copied: freed before the indexes are built, so the two are never alive together. */
	snapshot_acct_rows_done(s->owned);
	for (i = 0; i < SNAP_NTABLES; i++)
		if (snap_table_pack(&s->tab[i]) < 0)
			goto fail;

	if (snap_table_index_by_scope(&s->tab[SNAP_CONN]) < 0 ||
	    table_index(&s->tab[SNAP_DOMAIN], key_name) < 0 ||
	    table_index(&s->tab[SNAP_VMTA], key_name) < 0 ||
	    table_index(&s->tab[SNAP_JOB], key_name) < 0 ||
	    table_index(&s->tab[SNAP_BOUNCE], key_name) < 0 ||
	    table_index(&s->tab[SNAP_DEFERRAL], key_name_name2) < 0 ||
	    table_index(&s->tab[SNAP_REJECTION], key_name_name2) < 0 ||
	    table_index(&s->tab[SNAP_COMPLAINT], key_name) < 0 ||
	    table_index(&s->tab[SNAP_QUEUE], key_name) < 0 ||
	    table_index(&s->tab[SNAP_LATENCY], key_scope_name) < 0)
		goto fail;
	return s;
fail:
	snapshot_free(s);
	return NULL;
}
