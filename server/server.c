/*
 * server.c: see server.h.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include "../rpc/codec.h"
#include "../util/log.h"
#include "dispatch.h"
#include "server.h"

/* How often an idle worker looks at the stop flag. */
#define RECV_POLL_MS 200

typedef struct worker {
	srv *s;
	pthread_t thread;
	bool started;
	nng_ctx ctx;
	nng_aio *aio;
	dispatch_worker d;
} worker;

struct srv {
	nng_socket sock;
	db_pool pool;
	worker *workers;
	int n_workers;
	atomic_bool stopping;
};

/* Sends reply on the worker's context; waits until nng has taken it. */
static void
send_reply(worker *w, nng_msg *reply)
{
	nng_aio_set_timeout(w->aio, NNG_DURATION_DEFAULT);
	nng_aio_set_msg(w->aio, reply);
	nng_ctx_send(w->ctx, w->aio);
	nng_aio_wait(w->aio);
	if (nng_aio_result(w->aio) != 0)
		nng_msg_free(reply); /* the requester is gone */
}

static void *
worker_main(void *arg)
{
	worker *w = arg;

	while (!atomic_load(&w->s->stopping)) {
		nng_msg *req, *reply;
		int rv;

		nng_aio_set_timeout(w->aio, RECV_POLL_MS);
		nng_ctx_recv(w->ctx, w->aio);
		nng_aio_wait(w->aio);
		if ((rv = nng_aio_result(w->aio)) == NNG_ETIMEDOUT)
			continue;
		if (rv == NNG_ECLOSED)
			break;
		if (rv != 0) {
			log_printf(LOG_WARN,
			    "msg=\"receive failed\" worker=%d "
			    "error=\"%s\"",
			    w->d.id, nng_strerror(rv));
			continue;
		}
		req = nng_aio_get_msg(w->aio);
		reply =
		    dispatch_frame(&w->d, nng_msg_body(req), nng_msg_len(req));
		nng_msg_free(req);
		if (reply != NULL)
			send_reply(w, reply);
	}
	return (NULL);
}

static int
listen_on(srv *s, const srv_config *cfg, const char *url)
{
	nng_listener l;
	int rv;

	if ((rv = nng_listener_create(&l, s->sock, url)) != 0) {
		log_printf(LOG_ERROR,
		    "msg=\"cannot listen\" url=%s error=\"%s\"", url,
		    nng_strerror(rv));
		return (-1);
	}
	if (strncmp(url, "tls+", 4) == 0) {
		if (cfg->tls_cert_key_file == NULL) {
			log_printf(LOG_ERROR,
			    "msg=\"tls+tcp needs --tls-cert-key FILE\" url=%s",
			    url);
			return (-1);
		}
		rv = nng_listener_set_string(
		    l, NNG_OPT_TLS_CERT_KEY_FILE, cfg->tls_cert_key_file);
		if (rv != 0) {
			log_printf(LOG_ERROR,
			    "msg=\"cannot load TLS "
			    "certificate\" file=%s error=\"%s\"",
			    cfg->tls_cert_key_file, nng_strerror(rv));
			return (-1);
		}
	}
	if ((rv = nng_listener_start(l, 0)) != 0) {
		log_printf(LOG_ERROR,
		    "msg=\"cannot listen\" url=%s error=\"%s\"", url,
		    nng_strerror(rv));
		return (-1);
	}
	log_printf(LOG_INFO, "msg=\"listening\" url=%s", url);
	return (0);
}

static int
start_worker(srv *s, worker *w, int id, const srv_config *cfg,
    const billing_server_impl *impl, srv_metrics *m)
{
	int rv;

	w->s = s;
	dispatch_worker_init(&w->d, id, &s->pool, impl, cfg);
	w->d.metrics = m;
	if ((rv = nng_ctx_open(&w->ctx, s->sock)) != 0 ||
	    (rv = nng_aio_alloc(&w->aio, NULL, NULL)) != 0) {
		log_printf(LOG_ERROR,
		    "msg=\"cannot start worker\" worker=%d error=\"%s\"", id,
		    nng_strerror(rv));
		return (-1);
	}
	if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
		log_printf(
		    LOG_ERROR, "msg=\"cannot start thread\" worker=%d", id);
		return (-1);
	}
	w->started = true;
	return (0);
}

int
srv_start(srv **out, const srv_config *cfg, const billing_server_impl *impl,
    srv_metrics *m)
{
	srv *s;
	int rv;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->workers = calloc(
	         (size_t) cfg->workers, sizeof(*s->workers))) == NULL) {
		free(s);
		log_printf(LOG_ERROR, "msg=\"out of memory\"");
		return (-1);
	}
	s->n_workers = cfg->workers;
	/*
	 * Billing.RunCycle commits its batches on run_parallel connections
	 * beside the call's own transaction: a worker may hold that many
	 * more.
	 */
	if (db_pool_init(&s->pool, cfg->database_url,
	        (1 + cfg->run_parallel) * cfg->workers) != 0) {
		log_printf(LOG_ERROR, "msg=\"out of memory\"");
		free(s->workers);
		free(s);
		return (-1);
	}
	if ((rv = nng_rep0_open(&s->sock)) != 0) {
		log_printf(LOG_ERROR,
		    "msg=\"cannot open REP socket\" error=\"%s\"",
		    nng_strerror(rv));
		db_pool_fini(&s->pool);
		free(s->workers);
		free(s);
		return (-1);
	}
	nng_socket_set_size(s->sock, NNG_OPT_RECVMAXSZ, RPC_RECV_LIMIT_BYTES);

	for (int i = 0; i < cfg->workers; i++)
		if (start_worker(s, &s->workers[i], i, cfg, impl, m) != 0)
			goto fail;
	for (int i = 0; i < cfg->n_listen; i++)
		if (listen_on(s, cfg, cfg->listen[i]) != 0)
			goto fail;
	log_printf(LOG_INFO, "msg=\"serving\" workers=%d", cfg->workers);
	*out = s;
	return (0);
fail:
	srv_stop(s);
	return (-1);
}

void
srv_stop(srv *s)
{
	struct timespec linger = { 0, 50 * 1000000 };

	/*
	 * The listeners stay open until the workers are done: closing an
	 * nng listener also closes the connections it accepted, and with
	 * them the replies of the calls in flight. Each worker finishes its
	 * call, replies, and notices the flag within RECV_POLL_MS.
	 */
	atomic_store(&s->stopping, true);
	for (int i = 0; i < s->n_workers; i++)
		if (s->workers[i].started)
			pthread_join(s->workers[i].thread, NULL);
	/* Replies are handed to the pipes; give them a moment to leave. */
	nanosleep(&linger, NULL);
	nng_close(s->sock);
	for (int i = 0; i < s->n_workers; i++) {
		worker *w = &s->workers[i];

		if (w->aio != NULL)
			nng_aio_free(w->aio);
		dispatch_worker_fini(&w->d);
	}
	db_pool_fini(&s->pool);
	free(s->workers);
	free(s);
}
