/*
 * client.c: the RPC client (see billing_client.h).
 *
 * One call: pack the request, wrap it in a RequestEnvelope, send it on a
 * REQ context (reused from call to call) with the resend timer off, wait for
 * the reply within the deadline, unwrap. The number of connected pipes is
 * tracked with pipe notifications so that a call with no server to go to fails
 * fast (UNAVAILABLE) instead of waiting out its whole deadline.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/util/platform.h>

#include "../rpc/codec.h"
#include "../rpc/envelope.h"
#include "billing_client.h"

#define MAX_URLS 16
#define MAX_IDLE_SLOTS 64
#define DEFAULT_TIMEOUT_MS 10000
#define DEFAULT_CONNECT_TIMEOUT_MS 2000

/*
 * A REQ context and its aio, kept for reuse: opening a context costs an
 * allocation, an id-map insert and (in nng 1.5, whenever the map empties)
 * a getrandom() call. A slot goes back to the pool only after a complete
 * exchange, so no request state ever carries over.
 */
typedef struct slot {
	nng_ctx ctx;
	nng_aio *aio;
} slot;

struct billing_client {
	nng_socket sock;
	int timeout_ms;
	int connect_timeout_ms;
	char *urls;
	nng_mtx *mtx;
	nng_cv *cv;  /* signalled when a pipe comes or goes */
	int n_pipes; /* under mtx */
	char id_prefix[9];
	atomic_uint_fast64_t seq;
	slot idle[MAX_IDLE_SLOTS]; /* under mtx */
	int n_idle;
};

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

/* Milliseconds on nng's clock, which nng_cv_until also uses. */
static int64_t
mono_ms(void)
{
	return ((int64_t) nng_clock());
}

static void
pipe_event(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	billing_client *c = arg;

	(void) p;
	nng_mtx_lock(c->mtx);
	c->n_pipes += ev == NNG_PIPE_EV_ADD_POST ? 1 : -1;
	nng_cv_wake(c->cv);
	nng_mtx_unlock(c->mtx);
}

static bool
url_allowed(const char *u)
{
	static const char *const schemes[] = { "tcp://", "tcp4://", "tcp6://",
		"ipc://", "tls+tcp://", "tls+tcp4://", "tls+tcp6://",
		"inproc://" };

	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strncmp(u, schemes[i], strlen(schemes[i])) == 0)
			return (true);
	return (false);
}

static int
dial_one(billing_client *c, const char *url, const billing_client_opts *o,
    billing_status *st)
{
	nng_dialer d;
	int rv;

	if (!url_allowed(url))
		return (billing_status_set(st, BILLING_INVALID_ARGUMENT,
		    "server URL %s: use tcp://HOST:PORT, ipc:///PATH or "
		    "tls+tcp://HOST:PORT",
		    url));
	if ((rv = nng_dialer_create(&d, c->sock, url)) != 0)
		return (billing_status_set(st, BILLING_INVALID_ARGUMENT,
		    "server URL %s: %s", url, nng_strerror(rv)));
	if (strncmp(url, "tls+", 4) == 0) {
		if (o == NULL || o->tls_ca_file == NULL)
			return (
			    billing_status_set(st, BILLING_INVALID_ARGUMENT,
			        "server URL %s: tls+tcp needs a CA file "
			        "(billing_client_opts.tls_ca_file)",
			        url));
		if ((rv = nng_dialer_set_string(
		         d, NNG_OPT_TLS_CA_FILE, o->tls_ca_file)) != 0 ||
		    (o->tls_server_name != NULL &&
		        (rv = nng_dialer_set_string(d, NNG_OPT_TLS_SERVER_NAME,
		             o->tls_server_name)) != 0))
			return (
			    billing_status_set(st, BILLING_INVALID_ARGUMENT,
			        "TLS for %s: %s", url, nng_strerror(rv)));
	}
	if ((rv = nng_dialer_start(d, NNG_FLAG_NONBLOCK)) != 0)
		return (billing_status_set(st, BILLING_INVALID_ARGUMENT,
		    "server URL %s: %s", url, nng_strerror(rv)));
	return (0);
}

int
billing_client_open(billing_client **out, const char *urls,
    const billing_client_opts *opts, billing_status *st)
{
	billing_client *c;
	unsigned char rnd[4];
	char *list, *save = NULL;
	int rv, n = 0;

	billing_status_fini(st);
	if (urls == NULL || urls[0] == '\0')
		return (billing_status_set(
		    st, BILLING_INVALID_ARGUMENT, "no server URL given"));
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (billing_status_set(
		    st, BILLING_RESOURCE_EXHAUSTED, "out of memory"));
	c->timeout_ms = opts != NULL && opts->timeout_ms > 0
	    ? opts->timeout_ms
	    : DEFAULT_TIMEOUT_MS;
	c->connect_timeout_ms = opts != NULL && opts->connect_timeout_ms > 0
	    ? opts->connect_timeout_ms
	    : DEFAULT_CONNECT_TIMEOUT_MS;
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t) sizeof(rnd))
		memset(rnd, 0, sizeof(rnd));
	snprintf(c->id_prefix, sizeof(c->id_prefix), "%02x%02x%02x%02x",
	    rnd[0], rnd[1], rnd[2], rnd[3]);
	if ((c->urls = strdup(urls)) == NULL ||
	    (rv = nng_mtx_alloc(&c->mtx)) != 0 ||
	    (rv = nng_cv_alloc(&c->cv, c->mtx)) != 0) {
		billing_client_close(c);
		return (billing_status_set(
		    st, BILLING_RESOURCE_EXHAUSTED, "out of memory"));
	}
	if ((rv = nng_req0_open(&c->sock)) != 0) {
		billing_client_close(c);
		return (billing_status_set(st, BILLING_UNAVAILABLE,
		    "cannot open a REQ socket: %s", nng_strerror(rv)));
	}
	nng_socket_set_size(c->sock, NNG_OPT_RECVMAXSZ, RPC_RECV_LIMIT_BYTES);
	nng_socket_set_ms(c->sock, NNG_OPT_RECONNMINT, 50);
	nng_socket_set_ms(c->sock, NNG_OPT_RECONNMAXT, 1000);
	nng_socket_set_ms(
	    c->sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
	nng_pipe_notify(c->sock, NNG_PIPE_EV_ADD_POST, pipe_event, c);
	nng_pipe_notify(c->sock, NNG_PIPE_EV_REM_POST, pipe_event, c);

	if ((list = strdup(urls)) == NULL) {
		billing_client_close(c);
		return (billing_status_set(
		    st, BILLING_RESOURCE_EXHAUSTED, "out of memory"));
	}
	for (char *u = strtok_r(list, ",", &save); u != NULL;
	     u = strtok_r(NULL, ",", &save)) {
		while (*u == ' ')
			u++;
		if (*u == '\0')
			continue;
		if (++n > MAX_URLS) {
			rv = billing_status_set(st, BILLING_INVALID_ARGUMENT,
			    "more than %d server URLs", MAX_URLS);
			break;
		}
		if ((rv = dial_one(c, u, opts, st)) != 0)
			break;
	}
	free(list);
	if (rv == 0 && n == 0)
		rv = billing_status_set(
		    st, BILLING_INVALID_ARGUMENT, "no server URL given");
	if (rv != 0) {
		billing_client_close(c);
		return (rv);
	}
	*out = c;
	return (0);
}

void
billing_client_close(billing_client *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < c->n_idle; i++) {
		nng_aio_free(c->idle[i].aio);
		nng_ctx_close(c->idle[i].ctx);
	}
	if (nng_socket_id(c->sock) > 0)
		nng_close(c->sock);
	if (c->cv != NULL)
		nng_cv_free(c->cv);
	if (c->mtx != NULL)
		nng_mtx_free(c->mtx);
	free(c->urls);
	free(c);
}

int
billing_client_connected(billing_client *c)
{
	int n;

	nng_mtx_lock(c->mtx);
	n = c->n_pipes;
	nng_mtx_unlock(c->mtx);
	return (n);
}

/* Waits until a server is connected or the time is up; true if one is. */
static bool
wait_connected(billing_client *c, int64_t until_ms)
{
	bool ok;

	nng_mtx_lock(c->mtx);
	while (c->n_pipes == 0 && mono_ms() < until_ms)
		nng_cv_until(c->cv, (nng_time) until_ms);
	ok = c->n_pipes > 0;
	nng_mtx_unlock(c->mtx);
	return (ok);
}

static int
build_envelope(billing_client *c, const billing_method *m,
    const ProtobufCMessage *req, const billing_call_opts *o,
    int64_t deadline_us, nng_msg **out, billing_status *st)
{
	Billing__V1__RequestEnvelope env = BILLING__V1__REQUEST_ENVELOPE__INIT;
	Billing__V1__MetadataEntry entries[RPC_MAX_METADATA];
	Billing__V1__MetadataEntry *ptrs[RPC_MAX_METADATA];
	char request_id[64];
	uint8_t *payload;
	size_t len, n = 0;
	int rv;

	if (req->descriptor != m->input)
		return (billing_status_set(st, BILLING_INVALID_ARGUMENT,
		    "%s takes %s, not %s", m->full_name, m->input->name,
		    req->descriptor->name));
	if (o != NULL && o->n_metadata + 3 > RPC_MAX_METADATA)
		return (billing_status_set(st, BILLING_INVALID_ARGUMENT,
		    "too many metadata entries"));
	if ((rv = rpc_pack_buf(
	         req, RPC_MAX_MESSAGE_BYTES - 4096, &payload, &len, st)) != 0)
		return (rv);

#define ADD_META(k, v)                                          \
	do {                                                    \
		billing__v1__metadata_entry__init(&entries[n]); \
		entries[n].key = (char *) (k);                  \
		entries[n].value = (char *) (v);                \
		ptrs[n] = &entries[n];                          \
		n++;                                            \
	} while (0)
	if (o != NULL) {
		if (o->idempotency_key != NULL)
			ADD_META(RPC_META_IDEMPOTENCY_KEY, o->idempotency_key);
		if (o->now != NULL)
			ADD_META(RPC_META_NOW, o->now);
		if (o->caller != NULL)
			ADD_META(RPC_META_CALLER, o->caller);
		for (size_t i = 0; i < o->n_metadata; i++)
			ADD_META(o->metadata[i].key, o->metadata[i].value);
	}
#undef ADD_META

	if (o != NULL && o->request_id != NULL)
		snprintf(request_id, sizeof(request_id), "%s", o->request_id);
	else
		snprintf(request_id, sizeof(request_id), "%s-%" PRIuFAST64,
		    c->id_prefix, atomic_fetch_add(&c->seq, 1) + 1);
	env.method = (char *) m->full_name;
	env.request_id = request_id;
	env.has_deadline_us = 1;
	env.deadline_us = deadline_us;
	env.n_metadata = n;
	env.metadata = ptrs;
	env.has_payload = 1;
	env.payload.data = payload;
	env.payload.len = len;
	rv = rpc_pack_msg(&env.base, RPC_MAX_MESSAGE_BYTES, out, st);
	free(payload);
	return (rv);
}

static int
read_reply(const billing_method *m, nng_msg *msg, ProtobufCMessage **resp,
    billing_status *st)
{
	Billing__V1__ReplyEnvelope *r = NULL;
	billing_status tmp = BILLING_STATUS_INIT;
	int rv;

	rv = rpc_unpack(&billing__v1__reply_envelope__descriptor,
	    nng_msg_body(msg), nng_msg_len(msg), RPC_RECV_LIMIT_BYTES, NULL,
	    "reply", (ProtobufCMessage **) &r, &tmp);
	if (rv != 0) {
		billing_status_set(st, BILLING_INTERNAL,
		    "undecodable reply to %s: %s", m->full_name,
		    tmp.message != NULL ? tmp.message : "?");
		billing_status_fini(&tmp);
		return (BILLING_INTERNAL);
	}
	if ((rv = rpc_status_from_reply(r, st)) == 0) {
		rv = rpc_unpack(m->output, r->payload.data, r->payload.len,
		    RPC_RECV_LIMIT_BYTES, NULL, "reply payload", resp, &tmp);
		if (rv != 0) {
			billing_status_set(st, BILLING_INTERNAL,
			    "undecodable %s in reply to %s: %s",
			    m->output->name, m->full_name,
			    tmp.message != NULL ? tmp.message : "?");
			rv = BILLING_INTERNAL;
		}
		billing_status_fini(&tmp);
	}
	billing__v1__reply_envelope__free_unpacked(r, NULL);
	return (rv);
}

/* Takes an idle slot, or makes one. Returns 0 or an nng error. */
static int
slot_take(billing_client *c, slot *out)
{
	int rv;

	nng_mtx_lock(c->mtx);
	if (c->n_idle > 0) {
		*out = c->idle[--c->n_idle];
		nng_mtx_unlock(c->mtx);
		return (0);
	}
	nng_mtx_unlock(c->mtx);
	if ((rv = nng_ctx_open(&out->ctx, c->sock)) != 0)
		return (rv);
	/* Never let nng re-send a request (see billing_client.h). */
	nng_ctx_set_ms(
	    out->ctx, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
	if ((rv = nng_aio_alloc(&out->aio, NULL, NULL)) != 0) {
		nng_ctx_close(out->ctx);
		return (rv);
	}
	return (0);
}

static void
slot_drop(slot *s)
{
	nng_aio_free(s->aio);
	nng_ctx_close(s->ctx);
}

/* Returns a slot after a complete exchange. */
static void
slot_give(billing_client *c, slot *s)
{
	nng_mtx_lock(c->mtx);
	if (c->n_idle < MAX_IDLE_SLOTS) {
		c->idle[c->n_idle++] = *s;
		s = NULL;
	}
	nng_mtx_unlock(c->mtx);
	if (s != NULL)
		slot_drop(s);
}

/*
 * One attempt: send msg (which this takes) on a context and wait for the
 * reply. Returns 0, a status code, or -1 when the connection dropped
 * after the request left (st then holds the UNAVAILABLE to report).
 */
static int
attempt(billing_client *c, const billing_method *m, nng_msg *msg,
    int64_t deadline_ms, ProtobufCMessage **resp, billing_status *st)
{
	slot sl;
	int rv;

	if (!wait_connected(c,
	        deadline_ms < mono_ms() + c->connect_timeout_ms
	            ? deadline_ms
	            : mono_ms() + c->connect_timeout_ms)) {
		nng_msg_free(msg);
		return (billing_status_set(st,
		    mono_ms() >= deadline_ms ? BILLING_DEADLINE_EXCEEDED
		                             : BILLING_UNAVAILABLE,
		    "no billing server reachable at %s", c->urls));
	}
	if ((rv = slot_take(c, &sl)) != 0) {
		nng_msg_free(msg);
		return (billing_status_set(st,
		    rv == NNG_ECLOSED ? BILLING_CANCELLED
		                      : BILLING_UNAVAILABLE,
		    "cannot open a context: %s", nng_strerror(rv)));
	}

	nng_aio_set_msg(sl.aio, msg);
	nng_aio_set_timeout(sl.aio, (nng_duration) (deadline_ms - mono_ms()));
	nng_ctx_send(sl.ctx, sl.aio);
	nng_aio_wait(sl.aio);
	if ((rv = nng_aio_result(sl.aio)) != 0) {
		nng_msg_free(msg);
		slot_drop(&sl);
		return (billing_status_set(st,
		    rv == NNG_ETIMEDOUT     ? BILLING_DEADLINE_EXCEEDED
		        : rv == NNG_ECLOSED ? BILLING_CANCELLED
		                            : BILLING_UNAVAILABLE,
		    "sending %s: %s", m->full_name, nng_strerror(rv)));
	}

	nng_aio_set_timeout(sl.aio, (nng_duration) (deadline_ms - mono_ms()));
	nng_ctx_recv(sl.ctx, sl.aio);
	nng_aio_wait(sl.aio);
	switch (rv = nng_aio_result(sl.aio)) {
	case 0: {
		nng_msg *reply = nng_aio_get_msg(sl.aio);

		rv = read_reply(m, reply, resp, st);
		nng_msg_free(reply);
		slot_give(c, &sl);
		return (rv);
	}
	case NNG_ETIMEDOUT:
		rv = billing_status_set(st, BILLING_DEADLINE_EXCEEDED,
		    "%s: no reply before the deadline", m->full_name);
		break;
	case NNG_ECLOSED:
	case NNG_ECANCELED:
		rv = billing_status_set(st, BILLING_CANCELLED,
		    "%s: the client was closed", m->full_name);
		break;
	default:
		billing_status_set(st, BILLING_UNAVAILABLE,
		    "%s: the connection to the server dropped during the "
		    "call (%s); %s",
		    m->full_name, nng_strerror(rv),
		    m->read_only ? "retried once"
		                 : "it may or may not have been applied; "
		                   "retry with the same idempotency key");
		rv = -1;
		break;
	}
	slot_drop(&sl);
	return (rv);
}

int
billing_client_call(billing_client *c, const billing_method *m,
    const ProtobufCMessage *req, ProtobufCMessage **resp,
    const billing_call_opts *o, billing_status *st)
{
	int timeout_ms =
	    o != NULL && o->timeout_ms > 0 ? o->timeout_ms : c->timeout_ms;
	int64_t deadline_ms = mono_ms() + timeout_ms;
	nng_msg *msg = NULL, *copy = NULL;
	int rv;

	billing_status_fini(st);
	rv = build_envelope(
	    c, m, req, o, now_us() + (int64_t) timeout_ms * 1000, &msg, st);
	if (rv != 0)
		return (rv);
	/* A read may be retried once: it cannot have changed anything. */
	if (m->read_only && nng_msg_dup(&copy, msg) != 0)
		copy = NULL;
	rv = attempt(c, m, msg, deadline_ms, resp, st);
	if (rv == -1 && copy != NULL && mono_ms() < deadline_ms) {
		rv = attempt(c, m, copy, deadline_ms, resp, st);
		copy = NULL;
	}
	if (copy != NULL)
		nng_msg_free(copy);
	if (rv == -1)
		rv = BILLING_UNAVAILABLE;
	return (rv);
}
