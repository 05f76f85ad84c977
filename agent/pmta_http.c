#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "base.h"
#include "pmta_http.h"

#define HTTP_MAX_REDIRECTS 3
#define HTTP_KEEP_BUFFER (1u << 20)	/* give back larger buffers after a fetch */

struct pmta_http {
	CURL *curl;
	struct curl_slist *headers;
	char *base;		/* base URL without userinfo */
	char *host;		/* for the same-host redirect rule */
	unsigned timeout;
	size_t max_body;
	const int *abort_flag;
	/* the body being received */
	char *buf;
	size_t len, cap;
	bool too_big;
	char curl_err[CURL_ERROR_SIZE];
};

int
pmta_http_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct pmta_http *h = arg;
	size_t n = size * nmemb;
	char *p;

	if (n > h->max_body - h->len) {
		h->too_big = true;
		return 0;	/* makes curl stop with CURLE_WRITE_ERROR */
	}
	p = base_grow(h->buf, &h->cap, h->len + n + 1, 1, 16384, h->max_body + 1);
	if (!p)
		return 0;
	h->buf = p;
	memcpy(h->buf + h->len, data, n);
	h->len += n;
	h->buf[h->len] = '\0';
	return n;
}

/* curl calls this about once a second even on an idle transfer. */
static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct pmta_http *h = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return h->abort_flag && __atomic_load_n(h->abort_flag, __ATOMIC_RELAXED) ? 1 : 0;
}

/* Lower-cased host of url into out; -1 if url does not parse. */
static int
url_host(const char *url, char *out, size_t outlen)
{
	CURLU *u = curl_url();
	char *host = NULL;
	int rc = -1;
	size_t i;

	if (!u)
		return -1;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		goto out;
	i = base_lower_copy(out, outlen - 1, host, strlen(host));
	out[i] = '\0';
	rc = 0;
out:
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

int
pmta_http_url_check(const char *url, char *pub, size_t publen, char *err, size_t errlen)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
	int rc = -1;

	if (!u) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
		snprintf(err, errlen, "not a URL (expected http://HOST:PORT or https://HOST:PORT)");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
		snprintf(err, errlen, "URL scheme must be http or https");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		snprintf(err, errlen, "URL has no host");
		goto out;
	}
	curl_url_get(u, CURLUPART_PORT, &port, 0);
	curl_url_get(u, CURLUPART_PATH, &path, 0);
	/* Pages are appended to the base, so drop a trailing '/'. */
	if (path && strcmp(path, "/") == 0)
		path[0] = '\0';
	snprintf(pub, publen, "%s://%s%s%s%s", scheme, host, port ? ":" : "", port ? port : "",
	    path ? path : "");
	rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_url_cleanup(u);
	return rc;
}

struct pmta_http *
pmta_http_new(const struct pmta_http_opts *o)
{
	struct pmta_http *h = calloc(1, sizeof(*h));
	CURLU *u = NULL;
	char *user = NULL, *password = NULL;
	char pub[2048], err[128], host[256];

	if (!h)
		return NULL;
	h->timeout = o->timeout;
	h->max_body = o->max_body;
	h->abort_flag = o->abort_flag;
	if (pmta_http_url_check(o->base_url, pub, sizeof(pub), err, sizeof(err)) < 0 ||
	    url_host(o->base_url, host, sizeof(host)) < 0)
		goto fail;
	h->base = strdup(pub);
	h->host = strdup(host);
	h->curl = curl_easy_init();
	if (!h->base || !h->host || !h->curl)
		goto fail;

	/* Credentials in the URL go to curl separately, so the URL we use,
	 * and anything curl may print about it, never holds them. */
	u = curl_url();
	if (u && curl_url_set(u, CURLUPART_URL, o->base_url, 0) == CURLUE_OK) {
		curl_url_get(u, CURLUPART_USER, &user, CURLU_URLDECODE);
		curl_url_get(u, CURLUPART_PASSWORD, &password, CURLU_URLDECODE);
	}
	if (user)
		curl_easy_setopt(h->curl, CURLOPT_USERNAME, user);
	if (password)
		curl_easy_setopt(h->curl, CURLOPT_PASSWORD, password);
	curl_free(user);
	curl_free(password);
	curl_url_cleanup(u);

	if (o->api_key) {
		char hdr[256];

		snprintf(hdr, sizeof(hdr), "X-API-Key: %s", o->api_key);
		h->headers = curl_slist_append(NULL, hdr);
		memset(hdr, 0, sizeof(hdr));
		if (!h->headers)
			goto fail;
		curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, h->headers);
	}
	curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);	/* threads: no SIGALRM */
	curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT, (long)o->timeout);
	curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT, (long)(o->timeout < 10 ? o->timeout : 10));
	curl_easy_setopt(h->curl, CURLOPT_FOLLOWLOCATION, 0L);	/* see pmta_http_get */
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, h->curl_err);
	curl_easy_setopt(h->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h->curl, CURLOPT_XFERINFODATA, h);
	curl_easy_setopt(h->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h->curl, CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
	curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYPEER, o->tls_verify ? 1L : 0L);
	curl_easy_setopt(h->curl, CURLOPT_SSL_VERIFYHOST, o->tls_verify ? 2L : 0L);
	if (o->ca_file)
		curl_easy_setopt(h->curl, CURLOPT_CAINFO, o->ca_file);
	return h;
fail:
	pmta_http_free(h);
	return NULL;
}

void
pmta_http_free(struct pmta_http *h)
{
	if (!h)
		return;
	if (h->curl)
		curl_easy_cleanup(h->curl);
	curl_slist_free_all(h->headers);
	free(h->base);
	free(h->host);
	free(h->buf);
	free(h);
}

static enum pmta_api_status
map_curl_error(struct pmta_http *h, CURLcode rc, char *err, size_t errlen)
{
	const char *msg = h->curl_err[0] ? h->curl_err : curl_easy_strerror(rc);

	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		snprintf(err, errlen, "timeout after %u s", h->timeout);
		return PMTA_API_TIMEOUT;
	case CURLE_WRITE_ERROR:
		if (h->too_big) {
			snprintf(err, errlen, "response larger than %zu bytes", h->max_body);
			return PMTA_API_BAD_RESPONSE;
		}
		break;
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_BAD_CONTENT_ENCODING:
		snprintf(err, errlen, "bad response: %s", msg);
		return PMTA_API_BAD_RESPONSE;
	default:
		break;
	}
	snprintf(err, errlen, "%s", msg);
	return PMTA_API_UNREACHABLE;
}

enum pmta_api_status
pmta_http_get(struct pmta_http *h, const char *path, const char **body, size_t *len,
	      long *http_code, char *err, size_t errlen)
{
	char url[4096];
	int hops;

	snprintf(url, sizeof(url), "%s%s", h->base, path);
	*http_code = 0;
	for (hops = 0;; hops++) {
		CURLcode rc;
		long code = 0;
		char *loc = NULL;
		char host[256];

		if (h->cap > HTTP_KEEP_BUFFER) {
			free(h->buf);
			h->buf = NULL;
			h->cap = 0;
		}
		h->len = 0;
		h->too_big = false;
		h->curl_err[0] = '\0';
		curl_easy_setopt(h->curl, CURLOPT_URL, url);
		rc = curl_easy_perform(h->curl);
		if (rc != CURLE_OK)
			return map_curl_error(h, rc, err, errlen);
		curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &code);
		*http_code = code;
		if (code == 401 || code == 403) {
			snprintf(err, errlen, "HTTP %ld on %s: check pmtaApiKey and http-access", code, path);
			return PMTA_API_UNAUTHORIZED;
		}
		if (code < 300 || code >= 400)
			break;
		/*
		 * Redirects: PowerMTA 5 sends http to https on the same host.
		 * Following one to another host would hand the API key to it.
		 */
		curl_easy_getinfo(h->curl, CURLINFO_REDIRECT_URL, &loc);
		if (!loc || hops == HTTP_MAX_REDIRECTS) {
			snprintf(err, errlen, "HTTP %ld on %s: %s", code, path,
			    loc ? "too many redirects" : "redirect without a location");
			return PMTA_API_HTTP_ERROR;
		}
		if (url_host(loc, host, sizeof(host)) < 0 || strcmp(host, h->host) != 0) {
			snprintf(err, errlen, "HTTP %ld on %s: redirect to another host refused", code, path);
			return PMTA_API_HTTP_ERROR;
		}
		/* Nor from https down to http: the key would cross the wire in clear. */
		if (strncasecmp(url, "https:", 6) == 0 && strncasecmp(loc, "https:", 6) != 0) {
			snprintf(err, errlen, "HTTP %ld on %s: redirect from https to http refused", code, path);
			return PMTA_API_HTTP_ERROR;
		}
		/* loc belongs to curl until the next transfer: copy it now. */
		snprintf(url, sizeof(url), "%s", loc);
	}
	if (*http_code >= 400 || *http_code < 200) {
		snprintf(err, errlen, "HTTP %ld on %s", *http_code, path);
		return PMTA_API_HTTP_ERROR;
	}
	if (h->len == 0) {
		snprintf(err, errlen, "empty response on %s", path);
		return PMTA_API_BAD_RESPONSE;
	}
	*body = h->buf;
	*len = h->len;
	return PMTA_API_OK;
}
