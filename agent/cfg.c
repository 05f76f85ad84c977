#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "domain_idn.h"
#include "pmta_http.h"

#define CFG_NAME_MAX 64		/* instance and rule names end up in SNMP strings */
#define CFG_WORD_MAX 1024

const char *const cfg_tokens[] = {
	"pmtaInstance", "pmtaApiKey", "pmtaApiCaFile", "pmtaApiTlsVerify",
	"pmtaApiTimeout", "pmtaApiMaxBody", "pmtaPollInterval", "pmtaAcctFiles",
	"pmtaStatsWindow", "pmtaHardBounceCategories", "pmtaMaxRows", "pmtaMaxPending",
	"pmtaThreshold", "pmtaTrapRateLimit", "pmtaRunAsUser", "pmtaQueueBackoffEvents", NULL,
};

static const char *const metric_names[] = {
	[CFG_METRIC_QUEUED_RCPT] = "queuedRcpt",
	[CFG_METRIC_BOUNCE_RATE] = "bounceRate",
	[CFG_METRIC_HARD_BOUNCE_RATE] = "hardBounceRate",
	[CFG_METRIC_DEFERRAL_RATE] = "deferralRate",
	[CFG_METRIC_LATENCY_P95] = "latencyP95",
	[CFG_METRIC_CONN_UTILIZATION] = "connUtilization",
	[CFG_METRIC_API_DOWN] = "apiDown",
	[CFG_METRIC_ACCT_STALLED] = "acctStalled",
	[CFG_METRIC_COMPLAINT_RATE] = "complaintRate",
	[CFG_METRIC_PENDING_RCPT] = "pendingRcpt",
	[CFG_METRIC_QUEUE_BACKOFF] = "queueBackoff",
};

/* In backoff is 1: warning at 1, never critical, cleared at 0. */
const struct cfg_threshold cfg_queue_backoff_rule = {
	.rule = (char *)"queueBackoff",
	.metric = CFG_METRIC_QUEUE_BACKOFF,
	.scope = CFG_SCOPE_QUEUE,
	.scope_text = (char *)"queue:*",
	.warn = 1,
	.crit = 2,
	.clear_pct = 100,
};

const char *
cfg_metric_name(enum cfg_metric m)
{
	if ((size_t)m < sizeof(metric_names) / sizeof(metric_names[0]) && metric_names[m])
		return metric_names[m];
	return "?";
}

bool
cfg_metric_is_rate(enum cfg_metric m)
{
	return m == CFG_METRIC_BOUNCE_RATE || m == CFG_METRIC_HARD_BOUNCE_RATE ||
	    m == CFG_METRIC_DEFERRAL_RATE || m == CFG_METRIC_COMPLAINT_RATE;
}

bool
cfg_metric_is_acct(enum cfg_metric m)
{
	return cfg_metric_is_rate(m) || m == CFG_METRIC_LATENCY_P95 || m == CFG_METRIC_PENDING_RCPT;
}

struct cfg *
cfg_new(void)
{
	struct cfg *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->api_timeout = 10;
	c->poll_interval = 30;
	c->stats_window = 900;
	c->max_rows = 100000;
	c->max_pending = 1000000;
	c->api_max_body = 16u << 20;
	c->trap_rate_limit = 60;
	c->queue_backoff_events = true;
	return c;
}

static void
instance_clear(struct cfg_instance *i)
{
	free(i->name);
	free(i->url);
	free(i->public_url);
	if (i->api_key) {
		/* Do not leave the secret in freed heap memory. */
		memset(i->api_key, 0, strlen(i->api_key));
		free(i->api_key);
	}
	free(i->ca_file);
	free(i->acct_glob);
}

static void
threshold_clear(struct cfg_threshold *t)
{
	free(t->rule);
	free(t->scope_name);
	free(t->scope_text);
	free(t->instance);
}

void
cfg_free(struct cfg *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n_inst; i++)
		instance_clear(&c->inst[i]);
	for (i = 0; i < c->n_th; i++)
		threshold_clear(&c->th[i]);
	for (i = 0; i < c->n_hard_cats; i++)
		free(c->hard_cats[i]);
	free(c->run_as_user);
	free(c);
}

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Splits args into at most max blank-separated words, each copied into buf. */
static size_t
split_words(const char *args, char *buf, size_t buflen, char **words, size_t max)
{
	size_t n = 0;
	char *p;

	snprintf(buf, buflen, "%s", args ? args : "");
	p = buf;
	while (n < max) {
		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		words[n++] = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		if (*p)
			*p++ = '\0';
	}
	while (*p && isspace((unsigned char)*p))
		p++;
	/* Words beyond max: report one more so callers see "too many". */
	if (*p && n == max)
		n++;
	return n;
}

static bool
name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CFG_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-_.", *s))
			return false;
	return true;
}

static int
parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static struct cfg_instance *
instance_find(struct cfg *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n_inst; i++)
		if (strcmp(c->inst[i].name, name) == 0)
			return &c->inst[i];
	return NULL;
}

const struct cfg_instance *
cfg_instance_find(const struct cfg *c, const char *name)
{
	return instance_find((struct cfg *)c, name);
}

unsigned
cfg_stats_horizon(const struct cfg *c, const char *name)
{
	unsigned h = c->stats_window;
	size_t i;

	for (i = 0; i < c->n_th; i++) {
		const struct cfg_threshold *th = &c->th[i];

		if ((!th->instance || strcmp(th->instance, name) == 0) && th->window > h)
			h = th->window;
	}
	return h;
}

static int
set_string(char **dst, const char *v, char *err, size_t errlen)
{
	char *s = strdup(v);

	if (!s)
		return fail(err, errlen, "out of memory");
	free(*dst);
	*dst = s;
	return 0;
}

static int
parse_instance(struct cfg *c, char **w, size_t n, char *err, size_t errlen)
{
	struct cfg_instance inst = { .tls_verify = true };
	char pub[CFG_WORD_MAX];

	if (n != 2)
		return fail(err, errlen, "expected: pmtaInstance NAME URL (URL may be '-' for no API)");
	if (!name_ok(w[0]))
		return fail(err, errlen, "bad instance name '%.64s': 1 to %d of [A-Za-z0-9._-]",
		    w[0], CFG_NAME_MAX);
	if (instance_find(c, w[0]))
		return fail(err, errlen, "instance '%s' defined twice", w[0]);
	if (c->n_inst == CFG_MAX_INSTANCES)
		return fail(err, errlen, "more than %d instances", CFG_MAX_INSTANCES);
	if (strcmp(w[1], "-") == 0) {
		pub[0] = '\0';
	} else if (pmta_http_url_check(w[1], pub, sizeof(pub), err, errlen) < 0) {
		return -1;
	}
	inst.name = strdup(w[0]);
	inst.url = strdup(strcmp(w[1], "-") == 0 ? "" : w[1]);
	inst.public_url = strdup(pub);
	if (!inst.name || !inst.url || !inst.public_url) {
		instance_clear(&inst);
		return fail(err, errlen, "out of memory");
	}
	/* A URL that carries a password makes the file a secret too. */
	if (strcmp(pub, inst.url) != 0 && strchr(w[1], '@'))
		c->has_secret = true;
	c->inst[c->n_inst++] = inst;
	return 0;
}

static int
instance_arg(struct cfg *c, const char *tok, char **w, size_t n, struct cfg_instance **out,
	     const char *what, char *err, size_t errlen)
{
	if (n != 2)
		return fail(err, errlen, "expected: %s NAME %s", tok, what);
	*out = instance_find(c, w[0]);
	if (!*out)
		return fail(err, errlen, "unknown instance '%.64s' (pmtaInstance must come first)", w[0]);
	return 0;
}

static int
parse_hard_cats(struct cfg *c, const char *args, char *err, size_t errlen)
{
	char buf[CFG_WORD_MAX * 4];
	char *save = NULL, *tok;
	char *cats[CFG_MAX_HARD_CATS];
	size_t n = 0, i;

	snprintf(buf, sizeof(buf), "%s", args ? args : "");
	for (tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		if (n == CFG_MAX_HARD_CATS) {
			for (i = 0; i < n; i++)
				free(cats[i]);
			return fail(err, errlen, "more than %d categories", CFG_MAX_HARD_CATS);
		}
		if (!name_ok(tok)) {
			for (i = 0; i < n; i++)
				free(cats[i]);
			return fail(err, errlen, "bad bounce category '%.64s'", tok);
		}
		cats[n] = strdup(tok);
		if (!cats[n]) {
			for (i = 0; i < n; i++)
				free(cats[i]);
			return fail(err, errlen, "out of memory");
		}
		n++;
	}
	if (n == 0)
		return fail(err, errlen, "expected: pmtaHardBounceCategories CAT[,CAT...]");
	for (i = 0; i < c->n_hard_cats; i++)
		free(c->hard_cats[i]);
	memcpy(c->hard_cats, cats, n * sizeof(cats[0]));
	c->n_hard_cats = n;
	return 0;
}

/*
 * A threshold value: "3%" or "2.5%" for rates (stored in basis points),
 * a plain non-negative integer otherwise.
 */
static int
parse_level(enum cfg_metric m, const char *s, uint32_t *out)
{
	if (cfg_metric_is_rate(m)) {
		char *end;
		double v;

		errno = 0;
		v = strtod(s, &end);
		if (errno || end == s || strcmp(end, "%") != 0 || v < 0 || v > 100)
			return -1;
		*out = (uint32_t)(v * 100.0 + 0.5);
		return 0;
	}
	return parse_u32(s, 0, UINT32_MAX, out);
}

static int
parse_scope(struct cfg_threshold *t, const char *text, char *err, size_t errlen)
{
	static const struct {
		const char *prefix;
		enum cfg_scope_kind kind;
	} kinds[] = {
		{ "domain:", CFG_SCOPE_DOMAIN },
		{ "vmta:", CFG_SCOPE_VMTA },
		{ "queue:", CFG_SCOPE_QUEUE },
	};
	char buf[CFG_WORD_MAX];
	char *at;
	size_t k;

	snprintf(buf, sizeof(buf), "%s", text);
	at = strrchr(buf, '@');
	if (at) {
		*at++ = '\0';
		if (!name_ok(at))
			return fail(err, errlen, "bad instance name after '@' in scope '%.128s'", text);
		t->instance = strdup(at);
		if (!t->instance)
			return fail(err, errlen, "out of memory");
	}
	if (strcmp(buf, "instance") == 0) {
		t->scope = CFG_SCOPE_INSTANCE;
	} else {
		for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
			size_t pl = strlen(kinds[k].prefix);

			if (strncmp(buf, kinds[k].prefix, pl) != 0)
				continue;
			if (buf[pl] == '\0')
				return fail(err, errlen, "scope '%.128s' names nothing after ':'", text);
			t->scope = kinds[k].kind;
			if (strcmp(buf + pl, "*") == 0)
				break;
			if (t->scope == CFG_SCOPE_DOMAIN) {
				/* The rows' key, so domain:BÜCHER.DE matches xn--bcher-kva.de. */
				char key[DOMAIN_IDN_MAX + 1];

				if (domain_idn_key(buf + pl, strlen(buf + pl), key) == 0)
					return fail(err, errlen, "scope '%.128s' names no domain", text);
				t->scope_name = strdup(key);
			} else if (t->scope == CFG_SCOPE_QUEUE) {
				/* The rows' key too: queue:BÜCHER.DE/v1 is xn--bcher-kva.de/v1. */
				char key[DOMAIN_IDN_MAX + 1];

				if (domain_idn_queue_key_plain(buf + pl, strlen(buf + pl), key) == 0)
					return fail(err, errlen, "scope '%.128s' names no queue", text);
				t->scope_name = strdup(key);
			} else {
				t->scope_name = strdup(buf + pl);
			}
			if (!t->scope_name)
				return fail(err, errlen, "out of memory");
			break;
		}
		if (k == sizeof(kinds) / sizeof(kinds[0]))
			return fail(err, errlen, "bad scope '%.128s': instance, domain:NAME, domain:*, "
			    "vmta:NAME, vmta:*, queue:NAME or queue:*, optionally @INSTANCE", text);
	}
	t->scope_text = strdup(buf);
	return t->scope_text ? 0 : fail(err, errlen, "out of memory");
}

/* Which scopes make sense for which metric: the data only exist there. */
static bool
scope_fits(enum cfg_metric m, enum cfg_scope_kind s)
{
	switch (m) {
	case CFG_METRIC_QUEUED_RCPT:
		return true;
	case CFG_METRIC_BOUNCE_RATE:
	case CFG_METRIC_HARD_BOUNCE_RATE:
	case CFG_METRIC_DEFERRAL_RATE:
	case CFG_METRIC_COMPLAINT_RATE:
	case CFG_METRIC_LATENCY_P95:
	case CFG_METRIC_PENDING_RCPT:
		return true;
	case CFG_METRIC_CONN_UTILIZATION:
	case CFG_METRIC_API_DOWN:
	case CFG_METRIC_ACCT_STALLED:
		return s == CFG_SCOPE_INSTANCE;
	case CFG_METRIC_QUEUE_BACKOFF:
		return s == CFG_SCOPE_QUEUE;
	}
	return false;
}

/* "PCT%" with PCT in [min, max]. */
static int
parse_pct(const char *v, uint32_t min, uint32_t max, uint32_t *out)
{
	size_t l = strlen(v);
	char num[16];

	if (l < 2 || l > sizeof(num) || v[l - 1] != '%')
		return -1;
	memcpy(num, v, l - 1);
	num[l - 1] = '\0';
	return parse_u32(num, min, max, out);
}

static bool
option_is(const char *word, size_t len, const char *name)
{
	return strlen(name) == len && strncmp(word, name, len) == 0;
}

/*
 * One NAME=VALUE option of pmtaThreshold into t. The texts of warn= and
 * crit= are kept (pointers into word) for the message that compares them.
 */
static int
threshold_option(struct cfg_threshold *t, const char *word, const char **warn_text,
		 const char **crit_text, char *err, size_t errlen)
{
	const char *eq = strchr(word, '='), *v;
	size_t len;
	int rc;

	if (!eq)
		goto bad_option;
	len = (size_t)(eq - word);
	v = eq + 1;
	if (option_is(word, len, "warn")) {
		rc = parse_level(t->metric, v, &t->warn);
		*warn_text = v;
	} else if (option_is(word, len, "crit")) {
		rc = parse_level(t->metric, v, &t->crit);
		*crit_text = v;
	} else if (option_is(word, len, "window")) {
		rc = parse_u32(v, 10, 3600, &t->window);
	} else if (option_is(word, len, "min")) {
		rc = parse_u32(v, 0, UINT32_MAX, &t->min_samples);
	} else if (option_is(word, len, "clear")) {
		rc = parse_pct(v, 1, 100, &t->clear_pct);
	} else {
		goto bad_option;
	}
	if (rc < 0)
		return fail(err, errlen, "bad value in '%.128s'%s", word,
		    cfg_metric_is_rate(t->metric) && (option_is(word, len, "warn") ||
		    option_is(word, len, "crit")) ? " (rates are written with %, e.g. warn=3%)" : "");
	return 0;
bad_option:
	return fail(err, errlen, "unknown option '%.64s': warn=, crit=, window=, min=, clear=", word);
}

static int
parse_threshold(struct cfg *c, char **w, size_t n, char *err, size_t errlen)
{
	struct cfg_threshold t = { .clear_pct = 90, .min_samples = 50 };
	const char *warn_text = NULL, *crit_text = NULL;	/* as written, for messages */
	size_t i;
	int m;

	if (n < 5 || n > 8)
		return fail(err, errlen, "expected: pmtaThreshold RULE METRIC SCOPE warn=V crit=V "
		    "[window=SECONDS] [min=N] [clear=PCT%%]");
	if (!name_ok(w[0]))
		return fail(err, errlen, "bad rule name '%.64s'", w[0]);
	if (strcmp(w[0], cfg_queue_backoff_rule.rule) == 0)
		return fail(err, errlen, "rule name '%s' is the built-in queue backoff rule's",
		    w[0]);
	for (i = 0; i < c->n_th; i++)
		if (strcmp(c->th[i].rule, w[0]) == 0)
			return fail(err, errlen, "rule '%s' defined twice", w[0]);
	if (c->n_th == CFG_MAX_THRESHOLDS)
		return fail(err, errlen, "more than %d thresholds", CFG_MAX_THRESHOLDS);
	for (m = CFG_METRIC_QUEUED_RCPT; m <= CFG_METRIC_LAST; m++)
		if (strcmp(w[1], metric_names[m]) == 0)
			break;
	if (m > CFG_METRIC_LAST)
		return fail(err, errlen, "unknown metric '%.64s': queuedRcpt, bounceRate, "
		    "hardBounceRate, deferralRate, complaintRate, latencyP95, connUtilization, "
		    "apiDown, acctStalled, pendingRcpt", w[1]);
	t.metric = (enum cfg_metric)m;
	if (parse_scope(&t, w[2], err, errlen) < 0)
		goto out;
	if (!scope_fits(t.metric, t.scope)) {
		fail(err, errlen, "metric %s cannot apply to scope '%.128s'", w[1], w[2]);
		goto out;
	}
	if (t.instance && !instance_find(c, t.instance)) {
		fail(err, errlen, "unknown instance '@%.64s' (pmtaInstance must come first)", t.instance);
		goto out;
	}
	for (i = 3; i < n; i++)
		if (threshold_option(&t, w[i], &warn_text, &crit_text, err, errlen) < 0)
			goto out;
	if (!warn_text || !crit_text) {
		fail(err, errlen, "both warn= and crit= are required");
		goto out;
	}
	if (t.warn > t.crit) {
		fail(err, errlen, "warn=%s is above crit=%s", warn_text, crit_text);
		goto out;
	}
	if (t.window && !cfg_metric_is_acct(t.metric)) {
		fail(err, errlen, "window= applies only to rate and latency metrics");
		goto out;
	}
	t.rule = strdup(w[0]);
	if (!t.rule) {
		fail(err, errlen, "out of memory");
		goto out;
	}
	c->th[c->n_th++] = t;
	return 0;
out:
	threshold_clear(&t);
	return -1;
}

/*
 * The directives that set something of one instance: pmtaApiKey,
 * pmtaApiCaFile, pmtaApiTlsVerify, pmtaAcctFiles. 1 when token is none of
 * them.
 */
static int
parse_instance_setting(struct cfg *c, const char *token, char **w, size_t n, char *err,
		       size_t errlen)
{
	struct cfg_instance *inst;

	if (strcmp(token, "pmtaApiKey") == 0) {
		if (instance_arg(c, token, w, n, &inst, "KEY", err, errlen) < 0)
			return -1;
		/* PowerMTA's http-api-key is 32 to 128 printable characters. */
		if (strlen(w[1]) < 32 || strlen(w[1]) > 128)
			return fail(err, errlen, "API key must be 32 to 128 characters");
		if (set_string(&inst->api_key, w[1], err, errlen) < 0)
			return -1;
		c->has_secret = true;
		return 0;
	}
	if (strcmp(token, "pmtaApiCaFile") == 0) {
		if (instance_arg(c, token, w, n, &inst, "FILE", err, errlen) < 0)
			return -1;
		return set_string(&inst->ca_file, w[1], err, errlen);
	}
	if (strcmp(token, "pmtaApiTlsVerify") == 0) {
		if (instance_arg(c, token, w, n, &inst, "yes|no", err, errlen) < 0)
			return -1;
		if (strcmp(w[1], "yes") == 0)
			inst->tls_verify = true;
		else if (strcmp(w[1], "no") == 0)
			inst->tls_verify = false;
		else
			return fail(err, errlen, "expected yes or no, not '%.32s'", w[1]);
		return 0;
	}
	if (strcmp(token, "pmtaAcctFiles") == 0) {
		if (instance_arg(c, token, w, n, &inst, "GLOB", err, errlen) < 0)
			return -1;
		if (w[1][0] != '/')
			return fail(err, errlen, "accounting glob must be an absolute path");
		return set_string(&inst->acct_glob, w[1], err, errlen);
	}
	return 1;
}

/* The directives that take one number in a range. 1 when token is none of them. */
static int
parse_number(struct cfg *c, const char *token, char **w, size_t n, char *err, size_t errlen)
{
	static const struct {
		const char *token;
		uint32_t min, max;
		size_t offset;
		const char *unit;
	} nums[] = {
		{ "pmtaApiTimeout", 1, 300, offsetof(struct cfg, api_timeout), "SECONDS" },
		{ "pmtaPollInterval", 1, 86400, offsetof(struct cfg, poll_interval), "SECONDS" },
		{ "pmtaStatsWindow", 60, 3600, offsetof(struct cfg, stats_window), "SECONDS" },
		{ "pmtaMaxRows", 1, 10000000, offsetof(struct cfg, max_rows), "N" },
		{ "pmtaMaxPending", 1, 16000000, offsetof(struct cfg, max_pending), "N" },
		{ "pmtaTrapRateLimit", 1, 100000, offsetof(struct cfg, trap_rate_limit), "N" },
	};
	size_t k;
	uint32_t v;

	for (k = 0; k < sizeof(nums) / sizeof(nums[0]); k++) {
		if (strcmp(token, nums[k].token) != 0)
			continue;
		if (n != 1 || parse_u32(w[0], nums[k].min, nums[k].max, &v) < 0)
			return fail(err, errlen, "expected: %s %s (%u to %u)", token,
			    nums[k].unit, nums[k].min, nums[k].max);
		*(uint32_t *)((char *)c + nums[k].offset) = v;
		return 0;
	}
	if (strcmp(token, "pmtaApiMaxBody") == 0) {
		/* Bytes, between 64 KiB and 1 GiB. */
		if (n != 1 || parse_u32(w[0], 65536, 1u << 30, &v) < 0)
			return fail(err, errlen, "expected: pmtaApiMaxBody BYTES (65536 to 1073741824)");
		c->api_max_body = v;
		return 0;
	}
	return 1;
}

int
cfg_parse(struct cfg *c, const char *token, const char *args, char *err, size_t errlen)
{
	char buf[CFG_WORD_MAX * 4];
	char *w[9];
	size_t n = split_words(args, buf, sizeof(buf), w, 8);
	int rc;

	if (args && strlen(args) >= sizeof(buf))
		return fail(err, errlen, "line too long");
	if (strcmp(token, "pmtaInstance") == 0)
		return parse_instance(c, w, n, err, errlen);
	if (strcmp(token, "pmtaHardBounceCategories") == 0)
		return parse_hard_cats(c, args, err, errlen);
	if (strcmp(token, "pmtaThreshold") == 0)
		return parse_threshold(c, w, n, err, errlen);
	if (strcmp(token, "pmtaQueueBackoffEvents") == 0) {
		if (n != 1 || (strcmp(w[0], "yes") != 0 && strcmp(w[0], "no") != 0))
			return fail(err, errlen, "expected: pmtaQueueBackoffEvents yes|no");
		c->queue_backoff_events = strcmp(w[0], "yes") == 0;
		return 0;
	}
	if (strcmp(token, "pmtaRunAsUser") == 0) {
		if (n != 1 || !name_ok(w[0]))
			return fail(err, errlen, "expected: pmtaRunAsUser USER");
		return set_string(&c->run_as_user, w[0], err, errlen);
	}
	if ((rc = parse_instance_setting(c, token, w, n, err, errlen)) != 1)
		return rc;
	if ((rc = parse_number(c, token, w, n, err, errlen)) != 1)
		return rc;
	return fail(err, errlen, "unknown directive '%.64s'", token);
}

int
cfg_validate(const struct cfg *c, char *err, size_t errlen)
{
	size_t i;

	if (c->n_inst == 0)
		return fail(err, errlen, "no pmtaInstance line: nothing to monitor");
	for (i = 0; i < c->n_inst; i++)
		if (!c->inst[i].url[0] && !c->inst[i].acct_glob)
			return fail(err, errlen, "instance '%s' has neither an API URL nor "
			    "pmtaAcctFiles", c->inst[i].name);
	return 0;
}
