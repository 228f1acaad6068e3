/*
 * server: the RPC server's sockets and worker threads.
 *
 * One nng REP socket listens on every configured URL. A fixed pool of
 * worker threads each own an nng context on it, a PostgreSQL connection
 * and an arena; a worker receives a request on its context, handles it
 * synchronously (libpq blocks, so it never runs in an nng callback) and
 * sends the reply on the same context. nng fair-queues requests from all
 * connections over the contexts waiting to receive.
 */
#ifndef SERVER_SERVER_H
#define SERVER_SERVER_H

#include "billing_server_dispatch.h"
#include "config.h"
#include "metrics.h"

typedef struct srv srv;

/*
 * Opens the socket, starts the listeners and the workers, which count
 * their calls in m (may be NULL). Returns 0 and sets *out, or -1 after
 * logging why (a URL that cannot be listened on).
 */
int srv_start(srv **out, const srv_config *cfg,
    const billing_server_impl *impl, srv_metrics *m);

/*
 * Graceful stop: closes the listeners, lets each worker finish the call
 * it is in and send its reply, joins the workers and closes the socket.
 */
void srv_stop(srv *s);

#endif /* SERVER_SERVER_H */
