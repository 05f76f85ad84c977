#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "base.h"
#include "pmta_xml.h"

/*
 * libxml2 sets up its globals (and, with threads, its per-thread error
 * state keys) on first use; doing that from two workers at once is a race,
 * so the agent calls this once at start-up on the main thread.
 */
void
pmta_xml_init(void)
{
	xmlInitParser();
}

/* --- small readers over the tree -------------------------------------- */

static bool
is(const xmlNode *n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static xmlNode *
child(const xmlNode *n, const char *name)
{
	xmlNode *c;

	for (c = n ? n->children : NULL; c; c = c->next)
		if (is(c, name))
			return c;
	return NULL;
}

/* child(child(...)) along a '/'-separated path. */
static xmlNode *
path(const xmlNode *n, const char *p)
{
	char part[64];

	while (n && *p) {
		size_t l = strcspn(p, "/");

		if (l >= sizeof(part))
			return NULL;
		memcpy(part, p, l);
		part[l] = '\0';
		n = child(n, part);
		p += l + (p[l] == '/');
	}
	return (xmlNode *)n;
}

/* The text of an element, without copying when it is a single text node. */
static const char *
text_of(const xmlNode *n, xmlChar **to_free)
{
	*to_free = NULL;
	if (!n)
		return NULL;
	if (!n->children)
		return "";
	if (n->children->type == XML_TEXT_NODE && !n->children->next)
		return (const char *)n->children->content;
	*to_free = xmlNodeGetContent(n);
	return (const char *)*to_free;
}

/*
 * A decimal number: blanks around it allowed, a fraction dropped ("754.5"
 * -> 754), a negative number gives 0, one above UINT64_MAX gives UINT64_MAX,
 * anything else 0. Returns false when the element is absent.
 */
static bool
number(const xmlNode *n, uint64_t *out)
{
	xmlChar *f;
	const char *s = text_of(n, &f);
	uint64_t v = 0;
	bool overflow = false;

	if (!s)
		return false;
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '-') {
		xmlFree(f);
		*out = 0;
		return true;
	}
	if (*s == '+')
		s++;
	for (; isdigit((unsigned char)*s); s++) {
		unsigned d = (unsigned)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			overflow = true;
		else
			v = v * 10 + d;
	}
	if (*s == '.')
		for (s++; isdigit((unsigned char)*s); s++)
			;
	while (isspace((unsigned char)*s))
		s++;
	*out = overflow ? UINT64_MAX : *s ? 0 : v;
	xmlFree(f);
	return true;
}

static uint64_t
num_at(const xmlNode *n, const char *p)
{
	uint64_t v = 0;

	number(path(n, p), &v);
	return v;
}

/* Blanks and control characters: both become nothing at the ends, spaces inside. */
static bool
blank(unsigned char c)
{
	return c <= 0x20 || c == 0x7f;
}

/*
 * Copies text into a fixed field: blanks and control characters trimmed at
 * both ends, control characters inside made spaces (these strings reach
 * SNMP DisplayStrings and log lines), cut at a UTF-8 character boundary
 * when too long. libxml2 hands out valid UTF-8, so only the cut can break
 * a sequence.
 */
static void
copy_text(char *dst, size_t size, const char *src)
{
	size_t len, i;

	dst[0] = '\0';
	if (!src)
		return;
	while (*src && blank((unsigned char)*src))
		src++;
	len = strlen(src);
	while (len && blank((unsigned char)src[len - 1]))
		len--;
	if (len >= size) {
		len = size - 1;
		/* src[len] is the first byte left out: if it continues a sequence, drop its start too. */
		while (len && ((unsigned char)src[len] & 0xC0) == 0x80)
			len--;
		while (len && blank((unsigned char)src[len - 1]))
			len--;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = blank(c) ? ' ' : (char)c;
	}
	dst[len] = '\0';
}

static void
copy_at(char *dst, size_t size, const xmlNode *n)
{
	xmlChar *f;

	copy_text(dst, size, text_of(n, &f));
	xmlFree(f);
}

/* Reads exactly `width` ASCII digits at s; false on anything else. */
static bool
digits(const char *s, int width, int *out)
{
	int v = 0, i;

	for (i = 0; i < width; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/*
 * Strict "YYYY-MM-DD HH:MM:SS": digits and separators at fixed places, no
 * signs or blanks (sscanf would take " -1" for an hour), a real calendar
 * date from 1970 on, seconds up to 60 (a leap second).
 */
int
pmta_xml_parse_time(const char *s, int64_t *out)
{
	int y, mo, d, h, mi, se;

	if (!s || strlen(s) != 19 || s[4] != '-' || s[7] != '-' || s[10] != ' ' ||
	    s[13] != ':' || s[16] != ':' || !digits(s, 4, &y) || !digits(s + 5, 2, &mo) ||
	    !digits(s + 8, 2, &d) || !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) ||
	    !digits(s + 17, 2, &se))
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 ||
	    (unsigned)d > base_days_in_month(y, (unsigned)mo) || h > 23 || mi > 59 || se > 60)
		return -1;
	*out = base_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se;
	return 0;
}

/* --- documents --------------------------------------------------------- */

/*
 * Parses buf into a tree whose root is <rsp>, refusing a DOCTYPE. On error
 * returns NULL with err set.
 */
static xmlDoc *
parse_rsp(const char *buf, size_t len, char *err, size_t errlen)
{
	xmlParserCtxt *ctx;
	xmlDoc *doc;
	xmlNode *root;

	if (len == 0) {
		snprintf(err, errlen, "empty page");
		return NULL;
	}
	if (len > INT32_MAX) {
		snprintf(err, errlen, "page too large");
		return NULL;
	}
	/*
	 * PowerMTA writes ASCII/UTF-8. A NUL byte means another encoding
	 * (UTF-16 would hide the DOCTYPE from the check below) or binary junk.
	 */
	if (memchr(buf, '\0', len)) {
		snprintf(err, errlen, "not XML: a NUL byte, not UTF-8 text");
		return NULL;
	}
	/* Cheap refusal before libxml2 reads any declaration. */
	if (memmem(buf, len, "<!DOCTYPE", 9) || memmem(buf, len, "<!ENTITY", 8)) {
		snprintf(err, errlen, "DOCTYPE not allowed (PowerMTA never sends one)");
		return NULL;
	}
	ctx = xmlNewParserCtxt();
	if (!ctx) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	doc = xmlCtxtReadMemory(ctx, buf, (int)len, "pmta.xml", NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA);
	if (!doc) {
		xmlError *e = xmlCtxtGetLastError(ctx);
		char msg[PMTA_XML_ERR_MAX];

		copy_text(msg, sizeof(msg), e && e->message ? e->message : "unknown error");
		snprintf(err, errlen, "not XML: line %d: %s", e ? e->line : 0, msg);
		xmlFreeParserCtxt(ctx);
		return NULL;
	}
	xmlFreeParserCtxt(ctx);
	if (doc->intSubset || doc->extSubset) {
		snprintf(err, errlen, "DOCTYPE not allowed (PowerMTA never sends one)");
		xmlFreeDoc(doc);
		return NULL;
	}
	root = xmlDocGetRootElement(doc);
	if (!is(root, "rsp")) {
		char name[32];

		copy_text(name, sizeof(name), root ? (const char *)root->name : "");
		snprintf(err, errlen, "root element is <%s>, expected <rsp>", name);
		xmlFreeDoc(doc);
		return NULL;
	}
	return doc;
}

/* What PowerMTA is, and since when: version, host, state, clock. */
static void
status_identity(xmlNode *mta, xmlNode *st, struct pmta_status *s)
{
	char a[32], b[32];
	int64_t now, start;
	xmlNode *n;
	uint64_t v;

	if ((n = path(mta, "product/version"))) {
		copy_at(s->version, sizeof(s->version), n);
		s->have |= PMTA_HAVE_VERSION;
	}
	if ((n = child(mta, "fullHostName"))) {
		copy_at(s->host_name, sizeof(s->host_name), n);
		s->have |= PMTA_HAVE_HOSTNAME;
	}
	/* 5.x says it in words; 3.x only has the shuttingDown flag. */
	copy_at(s->state, sizeof(s->state), child(st, "status"));
	if (s->state[0] != '\0') {
		s->have |= PMTA_HAVE_STATE;
	} else if (number(child(st, "shuttingDown"), &v)) {
		snprintf(s->state, sizeof(s->state), "%s", v ? "shuttingDown" : "running");
		s->have |= PMTA_HAVE_STATE;
	}
	/* Both or neither: only their difference means something. */
	copy_at(a, sizeof(a), child(st, "timeNow"));
	copy_at(b, sizeof(b), child(st, "startupTime"));
	if (pmta_xml_parse_time(a, &now) == 0 && pmta_xml_parse_time(b, &start) == 0) {
		s->time_now = now;
		s->startup_time = start;
		s->have |= PMTA_HAVE_TIMES;
	}
}

/* Traffic totals and connections. */
static void
status_traffic(xmlNode *st, struct pmta_status *s)
{
	xmlNode *n;

	if ((n = path(st, "traffic"))) {
		s->have |= PMTA_HAVE_TRAFFIC;
		s->in_rcpt = num_at(n, "total/in/rcp");
		s->in_msg = num_at(n, "total/in/msg");
		s->in_kb = num_at(n, "total/in/kb");
		s->out_rcpt = num_at(n, "total/out/rcp");
		s->out_msg = num_at(n, "total/out/msg");
		s->out_kb = num_at(n, "total/out/kb");
		s->last_hr_in_rcpt = num_at(n, "lastHr/in/rcp");
		s->last_hr_out_rcpt = num_at(n, "lastHr/out/rcp");
		s->last_min_in_rcpt = num_at(n, "lastMin/in/rcp");
		s->last_min_out_rcpt = num_at(n, "lastMin/out/rcp");
	}
	if ((n = child(st, "conn"))) {
		s->have |= PMTA_HAVE_CONN;
		s->conn_in_cur = num_at(n, "smtpIn/cur");
		s->conn_in_max = num_at(n, "smtpIn/max");
		s->conn_in_top = num_at(n, "smtpIn/top");
		s->conn_out_cur = num_at(n, "smtpOut/cur");
		s->conn_out_max = num_at(n, "smtpOut/max");
		s->conn_out_top = num_at(n, "smtpOut/top");
	}
}

/* What waits: queues of every kind, the spool, the resolver. */
static void
status_backlog(xmlNode *st, struct pmta_status *s)
{
	xmlNode *n, *q;

	if ((n = child(st, "queue"))) {
		s->have |= PMTA_HAVE_QUEUE;
		/* Every queue kind (smtp, pipe, discard, file, alias, ...), saturating. */
		for (q = n->children; q; q = q->next) {
			if (q->type != XML_ELEMENT_NODE)
				continue;
			s->queued_rcpt = base_add_sat(s->queued_rcpt, num_at(q, "rcp"));
			s->queued_domains = base_add_sat(s->queued_domains, num_at(q, "dom"));
			s->queued_kb = base_add_sat(s->queued_kb, num_at(q, "kb"));
		}
	}
	if ((n = child(st, "spool"))) {
		s->have |= PMTA_HAVE_SPOOL;
		s->spool_files_in_use = num_at(n, "files/inUse");
		s->spool_files_total = num_at(n, "files/total");
		s->spool_rcpt = num_at(n, "totalRcp");
		s->spool_max_rcpt = num_at(n, "maxRcp");
	}
	if ((n = child(st, "resolver"))) {
		s->have |= PMTA_HAVE_RESOLVER;
		s->resolver_pending = num_at(n, "queriesPending");
	}
}

int
pmta_xml_parse_status(const char *buf, size_t len, struct pmta_status *out, char *err,
		      size_t errlen)
{
	xmlDoc *doc = parse_rsp(buf, len, err, errlen);
	xmlNode *data, *st;
	struct pmta_status s;

	if (!doc)
		return -1;
	memset(&s, 0, sizeof(s));
	data = child(xmlDocGetRootElement(doc), "data");
	st = child(data, "status");
	status_identity(child(data, "mta"), st, &s);
	status_traffic(st, &s);
	status_backlog(st, &s);
	xmlFreeDoc(doc);
	*out = s;
	return 0;
}

static bool
truthy(const xmlNode *n)
{
	char v[8];

	copy_at(v, sizeof(v), n);
	return strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0;
}

/* One rsp/data/queue element into *q (zeroed first); an empty q->name means skip it. */
static void
queue_from(const xmlNode *e, struct pmta_queue *q)
{
	const char *slash;
	xmlNode *ev, *n;
	int64_t newest = INT64_MIN;
	char mode[16], when[32];

	memset(q, 0, sizeof(*q));
	copy_at(q->name, sizeof(q->name), child(e, "name"));
	slash = strrchr(q->name, '/');
	if (slash) {
		size_t dl = (size_t)(slash - q->name);

		memcpy(q->domain, q->name, dl);
		q->domain[dl] = '\0';
		snprintf(q->vmta, sizeof(q->vmta), "%s", slash + 1);
	} else {
		snprintf(q->domain, sizeof(q->domain), "%s", q->name);
	}
	number(child(e, "rcp"), &q->rcpt);
	number(child(e, "kb"), &q->kb);
	number(child(e, "conn"), &q->conn);
	q->paused = truthy(child(e, "paused"));
	copy_at(mode, sizeof(mode), child(e, "mode"));
	/* An absent mode is the usual case on the top-queues page: normal. */
	q->mode = mode[0] == '\0' || strcasecmp(mode, "normal") == 0 ? PMTA_QUEUE_MODE_NORMAL :
	    strcasecmp(mode, "backoff") == 0 ? PMTA_QUEUE_MODE_BACKOFF : PMTA_QUEUE_MODE_OTHER;
	if ((n = child(e, "retryTime"))) {
		copy_at(when, sizeof(when), n);
		if (pmta_xml_parse_time(when, &q->retry_time) < 0)
			q->retry_time = 0;
	}
	/* The newest event's text; events without a time count as oldest. */
	for (ev = e->children; ev; ev = ev->next) {
		int64_t t = INT64_MIN + 1;

		if (!is(ev, "event"))
			continue;
		copy_at(when, sizeof(when), child(ev, "time"));
		if (pmta_xml_parse_time(when, &t) < 0)
			t = INT64_MIN + 1;
		if (t > newest) {
			newest = t;
			copy_at(q->last_error, sizeof(q->last_error), child(ev, "text"));
		}
	}
}

/* One rsp/data/<element> entry into *it; jobs fall back to <id> for a name. */
static void
item_from(const xmlNode *e, const char *element, struct pmta_item *it)
{
	memset(it, 0, sizeof(*it));
	copy_at(it->name, sizeof(it->name), child(e, "name"));
	if (it->name[0] == '\0' && strcmp(element, "job") == 0)
		copy_at(it->name, sizeof(it->name), child(e, "id"));
	number(child(e, "rcp"), &it->rcpt);
	number(child(e, "kb"), &it->kb);
	number(child(e, "conn"), &it->conn);
}

/*
 * Shared walk of rsp/data/<element> lists: at most max named entries kept,
 * in page order. One slot more than kept is allocated as scratch, so an
 * entry past the cap is only counted as dropped (truncated) if it has a
 * name: a nameless one would have been skipped anyway. Outputs are written
 * only on success.
 */
static int
parse_list(const char *buf, size_t len, const char *element, size_t max, size_t esz,
	   void (*fill)(const xmlNode *, const char *, void *), void **items, size_t *n,
	   int *truncated, char *err, size_t errlen)
{
	xmlDoc *doc = parse_rsp(buf, len, err, errlen);
	xmlNode *data, *e;
	size_t count = 0, kept = 0;
	int dropped = 0;
	char *arr;

	if (!doc)
		return -1;
	data = child(xmlDocGetRootElement(doc), "data");
	for (e = data ? data->children : NULL; e; e = e->next)
		if (is(e, element))
			count++;
	if (count > max)
		count = max;
	arr = calloc(count + 1, esz);
	if (!arr) {
		xmlFreeDoc(doc);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (e = data ? data->children : NULL; e; e = e->next) {
		char *slot = arr + kept * esz;

		if (!is(e, element))
			continue;
		fill(e, element, slot);
		if (slot[0] == '\0')	/* both structs start with the name: no name, no entry */
			continue;
		if (kept == count) {
			dropped = 1;
			break;
		}
		kept++;
	}
	xmlFreeDoc(doc);
	*items = arr;
	*n = kept;
	if (truncated)
		*truncated = dropped;
	return 0;
}

static void
fill_queue(const xmlNode *e, const char *element, void *slot)
{
	(void)element;
	queue_from(e, slot);
}

static void
fill_item(const xmlNode *e, const char *element, void *slot)
{
	item_from(e, element, slot);
}

int
pmta_xml_parse_queues(const char *buf, size_t len, size_t max, struct pmta_queue **items,
		      size_t *n, int *truncated, char *err, size_t errlen)
{
	return parse_list(buf, len, "queue", max, sizeof(struct pmta_queue), fill_queue,
	    (void **)items, n, truncated, err, errlen);
}

int
pmta_xml_parse_items(const char *buf, size_t len, const char *element, size_t max,
		     struct pmta_item **items, size_t *n, int *truncated, char *err, size_t errlen)
{
	return parse_list(buf, len, element, max, sizeof(struct pmta_item), fill_item,
	    (void **)items, n, truncated, err, errlen);
}
