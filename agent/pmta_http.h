/*
 * Fetching PowerMTA's monitor pages over HTTP(S) with libcurl.
 *
 * One pmta_http per poller thread: the handle keeps its connection alive
 * between pages. Nothing here touches net-snmp.
 */
#ifndef PMTA_HTTP_H
#define PMTA_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Outcome of one fetch; values match pmtaInstanceApiStatus. */
enum pmta_api_status {
	PMTA_API_OK = 1,
	PMTA_API_UNREACHABLE = 2,
	PMTA_API_HTTP_ERROR = 3,
	PMTA_API_BAD_RESPONSE = 4,
	PMTA_API_UNAUTHORIZED = 5,
	PMTA_API_TIMEOUT = 6,
	PMTA_API_NOT_CONFIGURED = 7,
};

struct pmta_http_opts {
	const char *base_url;	/* may hold userinfo: never logged */
	const char *api_key;	/* NULL for none: sent as X-API-Key */
	const char *ca_file;	/* NULL: the system store */
	bool tls_verify;
	unsigned timeout;	/* seconds for a whole page */
	size_t max_body;	/* bytes */
	const int *abort_flag;	/* non-zero aborts a transfer in progress (shutdown) */
};

struct pmta_http;

/* Call once on the main thread before any thread starts. */
int pmta_http_global_init(void);

struct pmta_http *pmta_http_new(const struct pmta_http_opts *o);
void pmta_http_free(struct pmta_http *h);

/*
 * GETs base_url + path (path starts with '/', holds the query). On
 * PMTA_API_OK, *body (NUL-terminated, owned by h, valid until the next
 * fetch) and *len are set. Otherwise err holds one line fit for logs and
 * SNMP: it never contains credentials. Redirects are followed only to the
 * same host (PowerMTA 5 sends http to https on the same port); *http_code
 * gets the final HTTP status (0 if none).
 */
enum pmta_api_status pmta_http_get(struct pmta_http *h, const char *path, const char **body,
				   size_t *len, long *http_code, char *err, size_t errlen);

/*
 * Checks a configured URL (http or https, with a host) and writes the form
 * that may be published: scheme://host[:port]/path, without userinfo.
 */
int pmta_http_url_check(const char *url, char *pub, size_t publen, char *err, size_t errlen);

#endif
