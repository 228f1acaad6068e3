/*
 * upstream.c: see upstream.h.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "upstream.h"

#define URL_MAX 8192

static pthread_key_t handle_key;
static pthread_once_t handle_once = PTHREAD_ONCE_INIT;

static void
handle_free(void *h)
{
	curl_easy_cleanup(h);
}

static void
handle_key_make(void)
{
	(void) pthread_key_create(&handle_key, handle_free);
}

int
upstream_global_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return (-1);
	pthread_once(&handle_once, handle_key_make);
	return (0);
}

/* The thread's handle, reset for a new request. */
static CURL *
handle(void)
{
	CURL *h;

	pthread_once(&handle_once, handle_key_make);
	if ((h = pthread_getspecific(handle_key)) != NULL) {
		curl_easy_reset(h);
		return (h);
	}
	if ((h = curl_easy_init()) != NULL &&
	    pthread_setspecific(handle_key, h) != 0) {
		curl_easy_cleanup(h);
		h = NULL;
	}
	return (h);
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	upstream_resp *r = arg;
	char *nb;

	n *= size;
	if (r->len + n > UPSTREAM_BODY_MAX)
		return (0); /* aborts the transfer */
	if ((nb = realloc(r->body, r->len + n + 1)) == NULL)
		return (0);
	r->body = nb;
	memcpy(r->body + r->len, p, n);
	r->len += n;
	r->body[r->len] = '\0';
	return (n);
}

/* Keeps a header's value when its name is one that matters. */
static void
keep(const char *line, size_t n, const char *name, char *dst)
{
	size_t k = strlen(name), v;

	if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':')
		return;
	line += k + 1;
	n -= k + 1;
	while (n > 0 && (*line == ' ' || *line == '\t'))
		line++, n--;
	while (n > 0 &&
	    (line[n - 1] == '\r' || line[n - 1] == '\n' || line[n - 1] == ' '))
		n--;
	v = n < UPSTREAM_HEADER_MAX - 1 ? n : UPSTREAM_HEADER_MAX - 1;
	memcpy(dst, line, v);
	dst[v] = '\0';
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	upstream_resp *r = arg;

	n *= size;
	/* A new status line (after a redirect or 100): headers start over. */
	if (n >= 5 && strncmp(p, "HTTP/", 5) == 0)
		r->ctype[0] = r->disposition[0] = r->cache_control[0] = '\0';
	keep(p, n, "Content-Type", r->ctype);
	keep(p, n, "Content-Disposition", r->disposition);
	keep(p, n, "Cache-Control", r->cache_control);
	return (n);
}

/* Appends "Name: value" unless value is NULL; false when out of memory. */
static bool
add_header(struct curl_slist **l, const char *name, const char *value)
{
	char line[1024];
	struct curl_slist *n;

	if (value == NULL)
		return (true);
	snprintf(line, sizeof(line), "%s: %s", name, value);
	if ((n = curl_slist_append(*l, line)) == NULL)
		return (false);
	*l = n;
	return (true);
}

int
upstream_call(const char *base, const upstream_req *req, upstream_resp *resp)
{
	struct curl_slist *hdrs = NULL;
	char url[URL_MAX];
	CURLcode cc;
	long code = 0;
	CURL *h;
	int n;

	memset(resp, 0, sizeof(*resp));
	n = snprintf(url, sizeof(url), "%s%s", base, req->uri);
	if (n < 0 || (size_t) n >= sizeof(url)) {
		snprintf(resp->error, sizeof(resp->error), "URL too long");
		return (-1);
	}
	if ((h = handle()) == NULL) {
		snprintf(resp->error, sizeof(resp->error), "no curl handle");
		return (-1);
	}
	/* "Expect:" off: no 100-continue round trip for larger bodies. */
	if (!add_header(&hdrs, "Expect", "") ||
	    !add_header(&hdrs, "Content-Type", req->ctype) ||
	    !add_header(&hdrs, "X-Api-Key", req->api_key) ||
	    !add_header(&hdrs, "X-Billing-Now", req->billing_now) ||
	    !add_header(&hdrs, "X-Billing-Rollout-Token", req->token)) {
		curl_slist_free_all(hdrs);
		snprintf(resp->error, sizeof(resp->error), "out of memory");
		return (-1);
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, req->timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
	    req->timeout_ms < 2000 ? req->timeout_ms : 2000L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, resp);
	/* The bytes as received: no decoding of a Content-Encoding. */
	curl_easy_setopt(h, CURLOPT_HTTP_CONTENT_DECODING, 0L);
	/* The method and body as sent: a GET may carry a body too. */
	if (strcmp(req->method, "HEAD") == 0)
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	else if (req->body != NULL && req->len > 0) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(
		    h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) req->len);
		if (strcmp(req->method, "POST") != 0)
			curl_easy_setopt(
			    h, CURLOPT_CUSTOMREQUEST, req->method);
	} else if (strcmp(req->method, "POST") == 0) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(
		    h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) 0);
	} else if (strcmp(req->method, "GET") != 0)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	cc = curl_easy_perform(h);
	curl_slist_free_all(hdrs);
	if (cc != CURLE_OK) {
		snprintf(resp->error, sizeof(resp->error), "%s",
		    curl_easy_strerror(cc));
		upstream_resp_fini(resp);
		return (-1);
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	resp->status = (int) code;
	if (resp->body == NULL && (resp->body = strdup("")) == NULL) {
		snprintf(resp->error, sizeof(resp->error), "out of memory");
		return (-1);
	}
	return (0);
}

void
upstream_resp_fini(upstream_resp *resp)
{
	free(resp->body);
	resp->body = NULL;
	resp->len = 0;
	resp->status = 0;
}
