/*
 * libbilling-client: calls the billing RPCs over nng.
 *
 * A client holds one nng REQ socket dialing one or more servers; nng
 * spreads requests over the connected ones and skips a server that is
 * gone until it returns. A client is thread-safe: any number of threads
 * may call through it at once, each call on its own nng context.
 *
 * Every call has a deadline (the call's timeout_ms, else the client's),
 * sent to the server, which refuses work past it. The REQ socket's resend
 * timer is off, so nng never sends a request twice by itself; the client
 * retries once, only for read-only methods, when the connection drops
 * mid-call. A mutating call that loses its connection fails UNAVAILABLE:
 * its outcome is unknown, and an idempotency key makes the retry safe.
 *
 * The typed stubs, one per method, are in billing_client_stubs.h.
 */
#ifndef BILLING_CLIENT_H
#define BILLING_CLIENT_H

#include <stddef.h>

#include "billing_methods.h"
#include "billing_status.h"

typedef struct billing_client billing_client;

typedef struct billing_client_opts {
	int timeout_ms;              /* default call deadline; 0: 10000 */
	int connect_timeout_ms;      /* wait for a connection; 0: 2000 */
	const char *tls_ca_file;     /* PEM CA bundle for tls+tcp:// */
	const char *tls_server_name; /* expected name; NULL: URL host */
} billing_client_opts;

typedef struct billing_metadata {
	const char *key;
	const char *value;
} billing_metadata;

typedef struct billing_call_opts {
	int timeout_ms;                   /* 0: the client's default */
	const char *request_id;           /* NULL: generated */
	const char *idempotency_key;      /* idempotency-key metadata */
	const char *now;                  /* x-billing-now (test clock) */
	const char *caller;               /* x-caller */
	const billing_metadata *metadata; /* further pairs */
	size_t n_metadata;
} billing_call_opts;

/*
 * Opens a client on urls, a comma-separated list such as
 * "tcp://10.0.0.1:7070,tcp://10.0.0.2:7070" or "ipc:///run/billing.sock".
 * Connections are made in the background: opening succeeds while the
 * servers are down. opts may be NULL. Returns 0 and sets *out, or a
 * status code (INVALID_ARGUMENT for a bad URL) with st filled.
 */
int billing_client_open(billing_client **out, const char *urls,
    const billing_client_opts *opts, billing_status *st);

/* Closes the client; calls still running fail CANCELLED. */
void billing_client_close(billing_client *c);

/* Number of servers connected now. */
int billing_client_connected(billing_client *c);

/*
 * Calls method m with req. Returns 0 and sets *resp (malloc'd; free it
 * with protobuf_c_message_free_unpacked(*resp, NULL)), or a status code
 * with st filled (st must be initialized; it is reset first). Codes of
 * the client's own: UNAVAILABLE (no server connected within the connect
 * timeout, or the connection dropped), DEADLINE_EXCEEDED, CANCELLED,
 * RESOURCE_EXHAUSTED (request too large), INTERNAL (undecodable reply).
 */
int billing_client_call(billing_client *c, const billing_method *m,
    const ProtobufCMessage *req, ProtobufCMessage **resp,
    const billing_call_opts *opts, billing_status *st);

#endif /* BILLING_CLIENT_H */
