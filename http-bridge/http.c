/*
 * http.c: see http.h.
 *
 * The raw request URI (with its query string, undecoded) is taken from
 * libmicrohttpd's URI log callback, because PHP's rules apply to the raw
 * query: libmicrohttpd's own argument parsing decodes it differently. The
 * body is gathered up to PARAMS_BODY_MAX; a larger one is drained and
 * answered 413 without being parsed.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "../util/log.h"
#include "bridge.h"
#include "http.h"
#include "keycache.h"
#include "metrics.h"
#include "multipart.h"
#include "static_files.h"
#include "upstream.h"

struct http_server {
	struct MHD_Daemon *d;
	billing_client *client;
	metrics *metrics;
	keycache *keys;
	rollout *rollout; /* may be NULL */
};

/* Metric labels of the paths outside the legacy endpoints. */
static const char L_HEALTHZ[] = "/healthz";
static const char L_METRICS[] = "/metrics";
static const char L_OPENAPI[] = "/openapi.json";
static const char L_DOCS[] = "/docs";

/* One answer: status, content type and body (owned unless static). */
typedef struct answer {
	int http;
	const char *ctype;
	char *body;
	size_t len;
	bool is_static; /* compiled in: never freed */
	/* Passed through from the legacy app, or NULL. */
	const char *disposition, *cache_control;
} answer;

/* One request, from its URI to its reply. */
typedef struct hreq {
	char *uri; /* raw, with the query */
	char *body;
	size_t len, cap;
	bool too_big;
	bool started;
	bool replay; /* the shadow queue's (this bridge's token) */
	struct timespec t0;
	upstream_resp up; /* the legacy app's answer (its headers) */
} hreq;

static void *
uri_cb(void *cls, const char *uri, struct MHD_Connection *c)
{
	hreq *r = calloc(1, sizeof(*r));

	(void) cls;
	(void) c;
	if (r != NULL) {
		r->uri = strdup(uri != NULL ? uri : "");
		clock_gettime(CLOCK_MONOTONIC, &r->t0);
	}
	return (r);
}

static void
done_cb(void *cls, struct MHD_Connection *c, void **req_cls,
    enum MHD_RequestTerminationCode toe)
{
	hreq *r = *req_cls;

	(void) cls;
	(void) c;
	(void) toe;
	if (r != NULL) {
		free(r->uri);
		free(r->body);
		upstream_resp_fini(&r->up);
		free(r);
	}
	*req_cls = NULL;
}

/* Appends body bytes, up to the bound. */
static void
gather(hreq *r, const char *data, size_t n)
{
	size_t cap;
	char *nb;

	if (r->too_big || n == 0)
		return;
	if (r->len + n > PARAMS_BODY_MAX) {
		r->too_big = true;
		return;
	}
	if (r->len + n + 1 > r->cap) {
		cap = r->cap > 0 ? r->cap : 4096;
		while (cap < r->len + n + 1)
			cap *= 2;
		if ((nb = realloc(r->body, cap)) == NULL) {
			r->too_big = true;
			return;
		}
		r->body = nb;
		r->cap = cap;
	}
	memcpy(r->body + r->len, data, n);
	r->len += n;
	r->body[r->len] = '\0';
}

/* The JSON text of an envelope (freeing it); never fails to answer. */
static answer
json_answer(envelope e)
{
	answer a = { e.http, "application/json; charset=utf-8", NULL, 0, false,
		NULL, NULL };

	if (e.body == NULL) {
		e = envelope_server_error();
		a.http = e.http;
	}
	a.body = e.body != NULL ? json_dumps(e.body, JSON_COMPACT) : NULL;
	json_decref(e.body);
	if (a.body == NULL)
		a.body = strdup("{\"success\":false,\"error\":\"Internal "
		                "server error\",\"error_code\":\"server_"
		                "error\"}");
	a.len = a.body != NULL ? strlen(a.body) : 0;
	return (a);
}

static enum MHD_Result
reply(struct MHD_Connection *c, answer a)
{
	struct MHD_Response *resp;
	enum MHD_Result rv;

	if (a.body == NULL)
		return (MHD_NO);
	resp = MHD_create_response_from_buffer(a.len, a.body,
	    a.is_static ? MHD_RESPMEM_PERSISTENT : MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		if (!a.is_static)
			free(a.body);
		return (MHD_NO);
	}
	if (a.ctype != NULL && a.ctype[0] != '\0')
		MHD_add_response_header(
		    resp, MHD_HTTP_HEADER_CONTENT_TYPE, a.ctype);
	if (a.disposition != NULL && a.disposition[0] != '\0')
		MHD_add_response_header(
		    resp, MHD_HTTP_HEADER_CONTENT_DISPOSITION, a.disposition);
	if (a.cache_control != NULL && a.cache_control[0] != '\0')
		MHD_add_response_header(
		    resp, MHD_HTTP_HEADER_CACHE_CONTROL, a.cache_control);
	rv = MHD_queue_response(c, (unsigned) a.http, resp);
	MHD_destroy_response(resp);
	return (rv);
}

static const char *
header(struct MHD_Connection *c, const char *name)
{
	return (MHD_lookup_connection_value(c, MHD_HEADER_KIND, name));
}

/*
 * The API key: the header when non-empty, else the api_key parameter;
 * accepted from the cache or by the RPC server.
 */
static envelope
authenticate(http_server *s, struct MHD_Connection *c, breq *r, bool *ok)
{
	Billing__V1__AuthenticateApiKeyRequest req =
	    BILLING__V1__AUTHENTICATE_API_KEY_REQUEST__INIT;
	Billing__V1__ApiKey *k = NULL;
	billing_status st = BILLING_STATUS_INIT;
	const char *key = header(c, "X-Api-Key");
	envelope e = { 0, NULL };
	int64_t id;
	size_t len;

	*ok = false;
	if (key == NULL || key[0] == '\0') {
		if (params_string(r->params, "api_key", &key, &len) !=
		        PARAMS_OK ||
		    strlen(key) != len)
			return (envelope_unauthorized());
	}
	if (keycache_check(s->keys, key, &id)) {
		metrics_key_lookup(s->metrics, 1);
		*ok = true;
		return (e);
	}
	metrics_key_lookup(s->metrics, 0);
	req.key = (char *) key;
	if (billing_api_keys_authenticate(
	        s->client, &req, &k, &r->opts, &st) == 0) {
		keycache_put(s->keys, key, k->id);
		*ok = true;
	} else if (st.code == BILLING_UNAUTHENTICATED ||
	    st.code == BILLING_INVALID_ARGUMENT)
		e = envelope_unauthorized();
	else
		e = envelope_rpc_error(&st);
	if (k != NULL)
		billing__v1__api_key__free_unpacked(k, NULL);
	billing_status_fini(&st);
	return (e);
}

/*
 * /healthz: 200 when the bridge can reach a serving RPC server, else 503
 * (for load balancers and compose healthchecks); no API key.
 */
static envelope
healthz(http_server *s)
{
	Billing__V1__HealthCheckRequest req =
	    BILLING__V1__HEALTH_CHECK_REQUEST__INIT;
	Billing__V1__HealthCheckResponse *resp = NULL;
	billing_status st = BILLING_STATUS_INIT;
	billing_call_opts o = { .timeout_ms = 2000 };
	envelope e;
	bool up;

	up = billing_health_check(s->client, &req, &resp, &o, &st) == 0 &&
	    resp->has_status &&
	    resp->status ==
	        BILLING__V1__SERVING_STATUS__SERVING_STATUS_SERVING;
	e.http = up ? 200 : 503;
	e.body = json_pack("{s:s, s:s}", "status", up ? "ok" : "unavailable",
	    "server",
	    up                                         ? "serving"
	        : st.message != NULL                   ? st.message
	        : resp != NULL && resp->detail != NULL ? resp->detail
	                                               : "not serving");
	if (resp != NULL)
		billing__v1__health_check_response__free_unpacked(resp, NULL);
	billing_status_fini(&st);
	return (e);
}

/* What a request's log line and metrics say besides status and time. */
typedef struct labels {
	const char *endpoint; /* a static label (metrics.h) */
	const char *action;   /* the action's table name, or METRICS_NONE */
} labels;

/* /metrics: Prometheus text; no API key, like /healthz. */
static answer
metrics_answer(http_server *s)
{
	answer a = { 200, "text/plain; version=0.0.4; charset=utf-8", NULL, 0,
		false, NULL, NULL };
	prom_buf b;
	char *more;
	size_t n;

	if (metrics_render(s->metrics, &a.body, &a.len) != 0)
		return (json_answer(envelope_server_error()));
	if (s->rollout == NULL)
		return (a);
	/* The rollout's samples after the bridge's own. */
	if (prom_buf_init(&b) != 0)
		return (a);
	prom_printf(&b, "%.*s", (int) a.len, a.body);
	rollout_render(s->rollout, &b);
	if (prom_buf_finish(&b, &more, &n) == 0) {
		free(a.body);
		a.body = more;
		a.len = n;
	}
	return (a);
}

/* The body's parameters added by a multipart body (POST only). */
static int
read_multipart(
    struct MHD_Connection *c, const char *method, hreq *h, params *p)
{
	if (strcmp(method, "POST") != 0 ||
	    params_ctype(header(c, "Content-Type")) != PARAMS_CT_MULTIPART)
		return (PARAMS_OK);
	return (multipart_merge(c, h->body, h->len, p));
}

/* A legacy endpoint: the contract's order of checks, then the action. */
static envelope
legacy(http_server *s, struct MHD_Connection *c, const char *method, hreq *h,
    const bendpoint *ep, labels *lb)
{
	const char *q = strchr(h->uri, '?'), *action;
	const baction *a;
	breq r;
	size_t alen;
	envelope e;
	bool ok;
	int rv;

	if (h->too_big)
		return (envelope_error(
		    413, "Request body too large", "invalid_parameter"));
	memset(&r, 0, sizeof(r));
	r.method = method;
	r.client = s->client;
	r.opts.now = header(c, "X-Billing-Now");
	rv = params_parse(&r.params, method, q != NULL ? q + 1 : "",
	    q != NULL ? strlen(q + 1) : 0, header(c, "Content-Type"),
	    h->body != NULL ? h->body : "", h->len);
	if (rv == PARAMS_OK &&
	    (rv = read_multipart(c, method, h, r.params)) != PARAMS_OK)
		params_free(r.params);
	if (rv == PARAMS_ENOMEM)
		return (envelope_server_error());
	if (rv != PARAMS_OK)
		return (envelope_error(400, "Too many or too long parameters",
		    "invalid_parameter"));

	/* 2. API key. */
	e = authenticate(s, c, &r, &ok);
	if (!ok)
		goto out;
	/* 3. Action: a non-empty string, case-sensitive. */
	(void) params_string(r.params, "action", &action, &alen);
	if (strlen(action) != alen ||
	    (a = bridge_action(ep, action)) == NULL) {
		e = envelope_unknown_action(action, alen);
		goto out;
	}
	lb->action = a->name;
	/* 4. Method. */
	if (a->post_only && strcmp(method, "POST") != 0) {
		e = envelope_method_not_allowed();
		goto out;
	}
	/* 5-7. The action's parameters, lookups and its RPC. */
	e = a->fn(&r);
out:
	params_free(r.params);
	return (e);
}

/* The request proxied to the legacy app; its answer as received. */
static answer
proxy(http_server *s, struct MHD_Connection *c, const char *method, hreq *h)
{
	upstream_req q = { .method = method,
		.uri = h->uri,
		.ctype = header(c, "Content-Type"),
		.api_key = header(c, "X-Api-Key"),
		.billing_now = header(c, "X-Billing-Now"),
		.body = h->body,
		.len = h->len,
		.timeout_ms = 30000 };
	answer a = { 0, NULL, NULL, 0, false, NULL, NULL };

	if (h->too_big)
		return (json_answer(envelope_error(
		    413, "Request body too large", "invalid_parameter")));
	if (upstream_call(rollout_legacy_url(s->rollout), &q, &h->up) != 0) {
		log_printf(LOG_WARN,
		    "msg=\"legacy app unreachable\" error=\"%s\"",
		    h->up.error);
		return (json_answer(envelope_server_error()));
	}
	a.http = h->up.status;
	a.ctype = h->up.ctype;
	a.disposition = h->up.disposition;
	a.cache_control = h->up.cache_control;
	a.body = h->up.body; /* handed to the reply */
	a.len = h->up.len;
	h->up.body = NULL;
	return (a);
}

/*
 * The ApiKey id of key for the canary (0: not a key), from the key cache
 * or the server; an accepted key is cached as authenticate() caches it.
 */
static int64_t
canary_key_id(http_server *s, const char *key)
{
	Billing__V1__AuthenticateApiKeyRequest req =
	    BILLING__V1__AUTHENTICATE_API_KEY_REQUEST__INIT;
	Billing__V1__ApiKey *k = NULL;
	billing_status st = BILLING_STATUS_INIT;
	int64_t id = 0;

	if (keycache_check(s->keys, key, &id))
		return (id);
	req.key = (char *) key;
	if (billing_api_keys_authenticate(s->client, &req, &k, NULL, &st) ==
	        0 &&
	    k->has_id) {
		id = k->id;
		keycache_put(s->keys, key, id);
	}
	if (k != NULL)
		billing__v1__api_key__free_unpacked(k, NULL);
	billing_status_fini(&st);
	return (id);
}

/* Whether the canary takes the request: its key, or its user's bucket. */
static bool
in_canary(http_server *s, struct MHD_Connection *c, const char *method,
    hreq *h, const bendpoint *ep)
{
	const char *q = strchr(h->uri, '?'), *key = header(c, "X-Api-Key");
	const char *user;
	params *p = NULL;
	size_t len, ulen = 0;
	int64_t key_id = 0;
	bool m;

	if (h->too_big ||
	    params_parse(&p, method, q != NULL ? q + 1 : "",
	        q != NULL ? strlen(q + 1) : 0, header(c, "Content-Type"),
	        h->body != NULL ? h->body : "", h->len) != PARAMS_OK)
		return (false);
	if (key == NULL || key[0] == '\0')
		if (params_string(p, "api_key", &key, &len) != PARAMS_OK ||
		    strlen(key) != len)
			key = NULL;
	if (key != NULL && rollout_canary_has_keys(s->rollout))
		key_id = canary_key_id(s, key);
	/* The user: user_id, or the id of users.php. */
	if (params_string(p, "user_id", &user, &ulen) != PARAMS_OK ||
	    ulen == 0) {
		ulen = 0;
		if (strcmp(ep->path, "/api/users.php") != 0 ||
		    params_string(p, "id", &user, &ulen) != PARAMS_OK)
			ulen = 0;
	}
	m = rollout_canary_match(
	    s->rollout, key_id, ulen > 0 ? user : NULL, ulen);
	params_free(p);
	return (m);
}

/* Queues the request for the other side, with the client's answer. */
static void
shadow(http_server *s, struct MHD_Connection *c, const char *method, hreq *h,
    const bendpoint *ep, const char *endpoint, bool primary_legacy,
    const answer *a)
{
	rollout_request q = { .endpoint = endpoint,
		.ep = ep,
		.method = method,
		.uri = h->uri,
		.ctype = header(c, "Content-Type"),
		.api_key = header(c, "X-Api-Key"),
		.billing_now = header(c, "X-Billing-Now"),
		.body = h->body,
		.len = h->len,
		.primary_legacy = primary_legacy,
		.primary_status = a->http,
		.primary_body = a->body,
		.primary_len = a->len };

	if (h->too_big || a->body == NULL)
		return;
	(void) rollout_submit(s->rollout, &q);
}

/*
 * A legacy endpoint under the rollout (docs/rollout.md): who answers,
 * and whether the other side gets the request too. A replay of this
 * bridge's own shadow queue (its token) is answered here.
 */
static answer
routed(http_server *s, struct MHD_Connection *c, const char *method, hreq *h,
    const bendpoint *ep, labels *lb)
{
	rollout_mode m;
	answer a;

	if (s->rollout == NULL)
		return (json_answer(legacy(s, c, method, h, ep, lb)));
	m = rollout_current(s->rollout);
	if (m == ROLLOUT_NEW || h->replay)
		return (json_answer(legacy(s, c, method, h, ep, lb)));
	if (m == ROLLOUT_CANARY && in_canary(s, c, method, h, ep)) {
		a = json_answer(legacy(s, c, method, h, ep, lb));
		shadow(s, c, method, h, ep, lb->endpoint, false, &a);
		return (a);
	}
	a = proxy(s, c, method, h);
	if (m != ROLLOUT_LEGACY && h->up.status > 0)
		shadow(s, c, method, h, ep, lb->endpoint, true, &a);
	return (a);
}

/* 1. The path, percent-decoded and exact, chooses what answers. */
static answer
serve(http_server *s, struct MHD_Connection *c, const char *method, hreq *h,
    labels *lb)
{
	const char *q = strchr(h->uri, '?');
	size_t plen = q != NULL ? (size_t) (q - h->uri) : strlen(h->uri);
	const bendpoint *ep;
	char decoded[512];
	const unsigned char *file;
	size_t dlen;
	answer a = { 0, NULL, NULL, 0, false, NULL, NULL };

	lb->endpoint = METRICS_OTHER;
	lb->action = METRICS_NONE;
	if (plen >= sizeof(decoded))
		return (json_answer(envelope_not_found_path()));
	memcpy(decoded, h->uri, plen);
	decoded[plen] = '\0';
	/* A %00 in the path cannot name a file. */
	dlen = MHD_http_unescape(decoded);
	if (strlen(decoded) != dlen)
		return (json_answer(envelope_not_found_path()));
	if (strcmp(decoded, L_HEALTHZ) == 0) {
		lb->endpoint = L_HEALTHZ;
		return (json_answer(healthz(s)));
	}
	if (strcmp(decoded, L_METRICS) == 0) {
		lb->endpoint = L_METRICS;
		return (metrics_answer(s));
	}
	if (static_files_find(decoded, &a.ctype, &file, &a.len) == 0) {
		lb->endpoint =
		    strcmp(decoded, L_DOCS) == 0 ? L_DOCS : L_OPENAPI;
		a.http = 200;
		a.body = (char *) file;
		a.is_static = true;
		return (a);
	}
	if ((ep = bridge_endpoint(decoded)) == NULL)
		return (json_answer(envelope_not_found_path()));
	lb->endpoint = ep->path + strlen("/api/");
	return (routed(s, c, method, h, ep, lb));
}

static int64_t
since_us(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return ((int64_t) (t1.tv_sec - t0->tv_sec) * 1000000 +
	    (t1.tv_nsec - t0->tv_nsec) / 1000);
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **req_cls)
{
	http_server *s = cls;
	hreq *h = *req_cls;
	labels lb;
	answer a;
	int64_t us;

	(void) url;
	(void) version;
	if (h == NULL || h->uri == NULL)
		return (MHD_NO);
	if (!h->started) {
		const char *tok = header(c, "X-Billing-Rollout-Token");

		h->started = true;
		h->replay = s->rollout != NULL && tok != NULL &&
		    rollout_is_token(s->rollout, tok);
		return (MHD_YES);
	}
	if (*upload_data_size > 0) {
		gather(h, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return (MHD_YES);
	}
	if (h->replay) {
		/* The shadow queue's own work: apart from the clients'. */
		a = serve(s, c, method, h, &lb);
		log_printf(LOG_DEBUG,
		    "shadow replay method=%s path=\"%.200s\" status=%d "
		    "duration_us=%" PRId64,
		    method, h->uri, a.http, since_us(&h->t0));
		return (reply(c, a));
	}
	metrics_enter(s->metrics);
	a = serve(s, c, method, h, &lb);
	us = since_us(&h->t0);
	metrics_leave(s->metrics, lb.endpoint, lb.action, a.http, us);
	log_printf(LOG_INFO,
	    "method=%s path=\"%.200s\" action=%s status=%d "
	    "duration_us=%" PRId64,
	    method, h->uri, lb.action[0] != '\0' ? lb.action : "-", a.http,
	    us);
	return (reply(c, a));
}

/* libmicrohttpd's own messages, as warnings in the bridge's log format. */
static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void) cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	/* One line, one quoted field, whatever a client made it say. */
	for (char *p = msg; *p != '\0'; p++)
		if (*p == '"' || (unsigned char) *p < 0x20)
			*p = '\'';
	log_printf(LOG_WARN, "msg=\"libmicrohttpd: %s\"", msg);
}

int
http_start(http_server **out, const http_config *cfg, billing_client *c)
{
	http_server *s = calloc(1, sizeof(*s));
	struct sockaddr_in sa;

	if (s == NULL)
		return (-1);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(cfg->port);
	if (inet_pton(AF_INET, cfg->host, &sa.sin_addr) != 1) {
		log_printf(LOG_ERROR, "msg=\"bad listen address\" host=%s",
		    cfg->host);
		free(s);
		return (-1);
	}
	s->client = c;
	s->rollout = cfg->rollout;
	if (metrics_init(&s->metrics) != 0 ||
	    keycache_init(&s->keys, cfg->key_cache_s) != 0) {
		http_stop(s);
		return (-1);
	}
	/* poll(), not select(): no FD_SETSIZE bound, less work per wait. */
	s->d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL |
	        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
	    cfg->port, NULL, NULL, handler, s,
	    /* First, so that every message of the daemon goes through it. */
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_SOCK_ADDR,
	    &sa, MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections,
	    MHD_OPTION_CONNECTION_TIMEOUT, cfg->timeout_s,
	    MHD_OPTION_URI_LOG_CALLBACK, uri_cb, NULL,
	    MHD_OPTION_NOTIFY_COMPLETED, done_cb, NULL, MHD_OPTION_END);
	if (s->d == NULL) {
		log_printf(LOG_ERROR, "msg=\"cannot listen\" host=%s port=%u",
		    cfg->host, (unsigned) cfg->port);
		http_stop(s);
		return (-1);
	}
	*out = s;
	return (0);
}

void
http_stop(http_server *s)
{
	if (s == NULL)
		return;
	if (s->d != NULL)
		MHD_stop_daemon(s->d);
	keycache_fini(s->keys);
	metrics_fini(s->metrics);
	free(s);
}
