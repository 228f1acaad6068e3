/*
 * http: the bridge's HTTP side (libmicrohttpd): one request in, one
 * legacy envelope out, and /healthz and /metrics. A thread per connection,
 * since an action blocks on its RPC; the number of connections and their idle
 * time are bounded.
 */
#ifndef BRIDGE_HTTP_H
#define BRIDGE_HTTP_H

#include <stdint.h>

#include "billing_client.h"
#include "rollout.h"

typedef struct http_config {
	const char *host; /* listen address, e.g. 127.0.0.1 */
	uint16_t port;
	unsigned max_connections;
	unsigned timeout_s;   /* idle connections are closed after this */
	unsigned key_cache_s; /* accepted API keys are trusted this long */
	rollout *rollout;     /* NULL: every request is answered here */
} http_config;

typedef struct http_server http_server;

/* Starts serving; 0, or -1 after logging why. */
int http_start(http_server **out, const http_config *cfg, billing_client *c);
void http_stop(http_server *s);

#endif /* BRIDGE_HTTP_H */
