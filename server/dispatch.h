/*
 * dispatch: one request frame in, one reply frame out.
 *
 * decode the envelope -> find the method -> check the deadline -> decode
 * the request -> (BEGIN for a mutating method) -> handler -> COMMIT or
 * ROLLBACK -> encode the reply -> log one line.
 *
 * The call's "now" is the server's clock truncated to the second (the
 * legacy app's DATETIMEs had no fraction), or with the test clock on,
 * the x-billing-now metadata when it is a valid wall-clock time.
 *
 * A mutating call with an idempotency-key claims the key first thing in
 * its transaction and stores its response there (see idempotency.h).
 *
 * A mutating method runs in one transaction: a handler that fails leaves
 * the database as it was. A transaction that loses a serialization or
 * deadlock conflict is run again, up to DISPATCH_MAX_ATTEMPTS times.
 * Read-only methods run without BEGIN/COMMIT, one statement each where
 * they need consistency, to keep them at one round trip.
 */
#ifndef SERVER_DISPATCH_H
#define SERVER_DISPATCH_H

#include <stddef.h>
#include <stdint.h>

#include <nng/nng.h>

#include "arena.h"
#include "billing_server_dispatch.h"
#include "config.h"
#include "db.h"
#include "metrics.h"

#define DISPATCH_MAX_ATTEMPTS 3

typedef struct dispatch_worker {
	int id;
	arena arena;
	db_pool *pool; /* the server's connections */
	const billing_server_impl *impl;
	const srv_config *cfg; /* timeouts, test clock */
	srv_metrics *metrics;  /* NULL: not counted */
} dispatch_worker;

void dispatch_worker_init(dispatch_worker *w, int id, db_pool *pool,
    const billing_server_impl *impl, const srv_config *cfg);
void dispatch_worker_fini(dispatch_worker *w);

/*
 * Handles one frame and returns the reply to send, or NULL when not even
 * an error reply could be allocated.
 */
nng_msg *dispatch_frame(dispatch_worker *w, const uint8_t *buf, size_t len);

#endif /* SERVER_DISPATCH_H */
