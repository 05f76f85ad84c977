#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base.h"
#include "domain_idn.h"
#include "log.h"
#include "pmta_poller.h"
#include "pmta_http.h"
#include "pmta_xml.h"
#include "queue_backoff.h"

struct pmta_poller {
	char name[64];
	struct pmta_http *http;		/* NULL: no API configured */
	unsigned interval;
	size_t max_items;
	pmta_poller_publish_fn publish;
	void *arg;
	struct pmta_result *cur;	/* the last result, the poller's own reference */
	struct queue_backoff *backoff;	/* backoff per queue across polls */
	size_t untracked;		/* queues it had no room for at the last poll */

	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	int abort_http;		/* read by curl's progress callback */
};

static const struct {
	const char *path;
	const char *element;	/* NULL: the queue page */
} pages[API_NPAGES] = {
	[API_QUEUES] = { "/queues?format=xml", NULL },
	[API_DOMAINS] = { "/domains?format=xml", "domain" },
	[API_VMTAS] = { "/vmtas?format=xml", "vmta" },
	[API_JOBS] = { "/jobs?format=xml", "job" },
};

bool
pmta_poller_counters_reset(const struct pmta_status *prev, const struct pmta_status *cur)
{
	if (!(prev->have & PMTA_HAVE_TRAFFIC) || !(cur->have & PMTA_HAVE_TRAFFIC))
		return false;
	if ((prev->have & PMTA_HAVE_TIMES) && (cur->have & PMTA_HAVE_TIMES) &&
	    cur->startup_time > prev->startup_time + 1)
		return true;	/* started again (a second of slack for clock rounding) */
	return cur->in_rcpt < prev->in_rcpt || cur->in_msg < prev->in_msg ||
	    cur->in_kb < prev->in_kb || cur->out_rcpt < prev->out_rcpt ||
	    cur->out_msg < prev->out_msg || cur->out_kb < prev->out_kb;
}

int64_t
pmta_poller_reset_wall(const struct pmta_status *prev, const struct pmta_status *cur,
		       int64_t now_wall)
{
	bool same_start;

	if (!(cur->have & PMTA_HAVE_TIMES) || cur->startup_time > cur->time_now)
		return now_wall;
	same_start = prev && (prev->have & PMTA_HAVE_TIMES) &&
	    cur->startup_time <= prev->startup_time + 1;
	return same_start ? now_wall : now_wall - (cur->time_now - cur->startup_time);
}

struct pmta_poller *
pmta_poller_new(const struct cfg *c, const struct cfg_instance *ci, pmta_poller_publish_fn publish,
	   void *arg)
{
	struct pmta_poller *p = calloc(1, sizeof(*p));
	int i;

	if (!p)
		return NULL;
	snprintf(p->name, sizeof(p->name), "%s", ci->name);
	p->interval = c->poll_interval;
	p->max_items = c->max_rows;
	p->publish = publish;
	p->arg = arg;
	pthread_mutex_init(&p->lock, NULL);
	/* Waits are measured on the monotonic clock: wall-clock jumps do not matter. */
	base_cond_init(&p->wake);
	p->cur = pmta_result_new();
	p->backoff = queue_backoff_new(c->max_rows);
	if (!p->cur || !p->backoff)
		goto fail;
	for (i = 0; i < API_NPAGES; i++)
		if (!(p->cur->list[i] = api_list_new(NULL, 0)))
			goto fail;
	if (ci->url[0]) {
		struct pmta_http_opts o = {
			.base_url = ci->url,
			.api_key = ci->api_key,
			.ca_file = ci->ca_file,
			.tls_verify = ci->tls_verify,
			.timeout = c->api_timeout,
			.max_body = c->api_max_body,
			.abort_flag = &p->abort_http,
		};

		p->http = pmta_http_new(&o);
		if (!p->http)
			goto fail;
		/* Until the first poll answers, the API counts as unreachable. */
		p->cur->status = PMTA_API_UNREACHABLE;
	} else {
		p->cur->status = PMTA_API_NOT_CONFIGURED;
	}
	return p;
fail:
	pmta_poller_free(p);
	return NULL;
}

/*
 * Domains from the API key their rows the way the accounting records do
 * (domain_idn.h), so /domains' bücher.de and a record's user@BÜCHER.DE meet
 * on one row. A queue's name is keyed the same way (its domain part; the
 * VirtualMTA part as it is), so that /queues and the records' queue column
 * meet on one pmtaQueueTable row; pmtaQueueDomain is its domain part's key,
 * a rollup name stays itself.
 */
static void
domain_keys(enum api_page pg, void *items, size_t n)
{
	char key[DOMAIN_IDN_MAX + 1];
	size_t i;

	for (i = 0; i < n; i++) {
		if (pg == API_DOMAINS) {
			char *name = ((struct pmta_item *)items)[i].name;

			domain_idn_key(name, strlen(name), key);
			snprintf(name, PMTA_NAME_MAX, "%s", key);
		} else if (pg == API_QUEUES) {
			struct pmta_queue *q = &((struct pmta_queue *)items)[i];

			domain_idn_key(q->domain, strlen(q->domain), key);
			snprintf(q->domain, PMTA_NAME_MAX, "%s", key);
			domain_idn_queue_key_plain(q->name, strlen(q->name), key);
			snprintf(q->name, PMTA_NAME_MAX, "%s", key);
		} else {
			return;
		}
	}
}

/*
 * The queues the page no longer lists but whose backoff counts the tracker
 * keeps, appended after the listed ones (pmta_model.h, unlisted). Out of
 * memory, the list stays as the page gave it. Returns the new length.
 */
static size_t
with_unlisted(struct pmta_poller *p, struct pmta_queue **items, size_t n)
{
	size_t extra = queue_backoff_unlisted(p->backoff, NULL, 0);
	struct pmta_queue *grown;

	if (!extra)
		return n;
	grown = realloc(*items, (n + extra) * sizeof(**items));
	if (!grown)
		return n;
	*items = grown;
	return n + queue_backoff_unlisted(p->backoff, grown + n, extra);
}

/* Fetches and parses one list page into a new list (*out); anything but
 * PMTA_API_OK leaves *out alone and says why in err. */
static enum pmta_api_status
fetch_list(struct pmta_poller *p, enum api_page pg, struct api_list **out, char *err, size_t errlen)
{
	const char *body;
	size_t len, n = 0;
	long code;
	void *items = NULL;
	int truncated = 0, rc;
	char perr[PMTA_XML_ERR_MAX];
	enum pmta_api_status st;

	st = pmta_http_get(p->http, pages[pg].path, &body, &len, &code, err, errlen);
	if (st == PMTA_API_HTTP_ERROR && code == 404) {
		/* Older PowerMTA versions lack some pages: an empty list, not an error. */
		*out = api_list_new(NULL, 0);
		return *out ? PMTA_API_OK : PMTA_API_BAD_RESPONSE;
	}
	if (st != PMTA_API_OK)
		return st;
	if (pages[pg].element)
		rc = pmta_xml_parse_items(body, len, pages[pg].element, p->max_items,
		    (struct pmta_item **)&items, &n, &truncated, perr, sizeof(perr));
	else
		rc = pmta_xml_parse_queues(body, len, p->max_items, (struct pmta_queue **)&items,
		    &n, &truncated, perr, sizeof(perr));
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", pages[pg].path, perr);
		return PMTA_API_BAD_RESPONSE;
	}
	domain_keys(pg, items, n);
	if (pg == API_QUEUES) {
		size_t untracked = queue_backoff_update(p->backoff, items, n, mono_now());

		if (untracked && !p->untracked)
			log_warnx("instance %s: backoff of %zu queues not counted: %zu "
			    "queues tracked at most", p->name, untracked, p->max_items);
		p->untracked = untracked;
		n = with_unlisted(p, (struct pmta_queue **)&items, n);
	}
	if (truncated)
		log_warnx("instance %s: %s has more than %zu entries; the rest are "
		    "not published (pmtaMaxRows)", p->name, pages[pg].path, p->max_items);
	*out = api_list_new(items, n);
	if (!*out) {
		snprintf(err, errlen, "out of memory");
		return PMTA_API_BAD_RESPONSE;
	}
	return PMTA_API_OK;
}

/* Fetches and parses /status into r; a counter that went back marks a discontinuity. */
static enum pmta_api_status
fetch_status(struct pmta_poller *p, struct pmta_result *r, char *err, size_t errlen)
{
	enum pmta_api_status st;
	struct pmta_status s;
	char perr[PMTA_XML_ERR_MAX];
	const char *body;
	size_t len;
	long code;

	st = pmta_http_get(p->http, "/status?format=xml", &body, &len, &code, err, errlen);
	if (st != PMTA_API_OK)
		return st;
	if (pmta_xml_parse_status(body, len, &s, perr, sizeof(perr)) < 0) {
		snprintf(err, errlen, "/status: %s", perr);
		return PMTA_API_BAD_RESPONSE;
	}
	if (r->have_status && pmta_poller_counters_reset(&r->st, &s)) {
		r->discontinuity = mono_now();
		r->reset_wall = pmta_poller_reset_wall(&r->st, &s, (int64_t)time(NULL));
		log_notice("instance %s: PowerMTA counters went backwards "
		    "(restart or reset counters)", p->name);
	} else if (!r->have_status) {
		r->reset_wall = pmta_poller_reset_wall(NULL, &s, (int64_t)time(NULL));
	}
	r->have_status = true;
	r->st = s;
	r->st_at = mono_now();
	return PMTA_API_OK;
}

struct pmta_result *
pmta_poller_poll_once(struct pmta_poller *p)
{
	struct pmta_result *prev = p->cur, *r = pmta_result_new();
	enum pmta_api_status st;
	char err[256] = "";
	int i;

	if (!r)
		return NULL;
	/* Start from the previous result: what this poll cannot refresh stays. */
	r->status = prev->status;
	memcpy(r->last_error, prev->last_error, sizeof(r->last_error));
	r->last_success = prev->last_success;
	r->discontinuity = prev->discontinuity;
	r->reset_wall = prev->reset_wall;
	r->polls = prev->polls;
	r->failures = prev->failures;
	r->failed_in_row = prev->failed_in_row;
	r->have_status = prev->have_status;
	r->st = prev->st;
	r->st_at = prev->st_at;
	for (i = 0; i < API_NPAGES; i++)
		r->list[i] = api_list_ref(prev->list[i]);
	if (!p->http) {
		pmta_result_unref(r);
		return pmta_result_ref(prev);
	}

	r->polls++;
	st = fetch_status(p, r, err, sizeof(err));
	for (i = 0; st == PMTA_API_OK && i < API_NPAGES; i++) {
		struct api_list *l = NULL;

		st = fetch_list(p, (enum api_page)i, &l, err, sizeof(err));
		if (st == PMTA_API_OK) {
			api_list_unref(r->list[i]);
			r->list[i] = l;
		}
	}

	if (st == PMTA_API_OK) {
		if (prev->status != PMTA_API_OK && prev->polls > 0)
			log_notice("instance %s: API answers again", p->name);
		r->last_success = mono_now();
		r->failed_in_row = 0;
	} else {
		/* One line per change of state or reason, not one per poll. */
		if (st != prev->status || strcmp(err, prev->last_error) != 0)
			log_warnx("instance %s: API poll failed: %s", p->name, err);
		memcpy(r->last_error, err, sizeof(r->last_error));
		r->failures++;
		r->failed_in_row++;
	}
	r->status = st;
	pmta_result_unref(p->cur);
	p->cur = r;
	return pmta_result_ref(r);
}

static void *
pmta_poller_run(void *arg)
{
	struct pmta_poller *p = arg;

	for (;;) {
		struct pmta_result *r = pmta_poller_poll_once(p);
		struct timespec until;

		if (r)
			p->publish(p->arg, r);
		base_deadline(&until, p->interval * 1000UL);
		pthread_mutex_lock(&p->lock);
		while (!p->stop &&
		    pthread_cond_timedwait(&p->wake, &p->lock, &until) != ETIMEDOUT)
			;
		if (p->stop) {
			pthread_mutex_unlock(&p->lock);
			break;
		}
		pthread_mutex_unlock(&p->lock);
	}
	return NULL;
}

int
pmta_poller_start(struct pmta_poller *p)
{
	int rc;

	if (!p->http) {
		/* Nothing to poll: publish the notConfigured state once. */
		p->publish(p->arg, pmta_result_ref(p->cur));
		return 0;
	}
	rc = pthread_create(&p->thread, NULL, pmta_poller_run, p);
	if (rc != 0) {
		log_emit(LOG_ERR, rc, "instance %s: cannot start poller thread", p->name);
		return -1;
	}
	p->started = true;
	return 0;
}

void
pmta_poller_free(struct pmta_poller *p)
{
	if (!p)
		return;
	if (p->started) {
		pthread_mutex_lock(&p->lock);
		p->stop = true;
		__atomic_store_n(&p->abort_http, 1, __ATOMIC_RELAXED);
		pthread_cond_signal(&p->wake);
		pthread_mutex_unlock(&p->lock);
		pthread_join(p->thread, NULL);
	}
	pmta_http_free(p->http);
	queue_backoff_free(p->backoff);
	pmta_result_unref(p->cur);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->wake);
	free(p);
}
