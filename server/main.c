/*
 * billing-server: the billing RPC server, and its "migrate" command.
 *
 * Signals: SIGTERM and SIGINT stop the server gracefully (in-flight calls
 * finish and are answered), then it exits 0. They are blocked in every
 * thread and taken by sigwait() in the main thread, so no handler runs
 * in async-signal context.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "../util/log.h"
#include "config.h"
#include "handlers.h"
#include "metrics.h"
#include "migrate.h"
#include "server.h"
#include "worker.h"

#ifndef BILLING_VERSION
#define BILLING_VERSION "dev"
#endif

const billing_server_impl handlers_impl = {
	.api_keys = &api_keys_impl,
	.billing = &billing_impl,
	.customers = &customers_impl,
	.events = &events_impl,
	.health = &health_impl,
	.invoices = &invoices_impl,
	.payments = &payments_impl,
	.plans = &plans_impl,
	.rollout = &rollout_impl,
	.subscriptions = &subscriptions_impl,
};

/* Waits for SIGTERM or SIGINT (blocked in every thread); returns it. */
static int
wait_for_stop(const sigset_t *set)
{
	int sig = 0;

	do {
		if (sigwait(set, &sig) != 0)
			break;
	} while (sig == SIGPIPE);
	log_printf(LOG_INFO, "msg=\"stopping\" signal=%s",
	    sig == SIGINT ? "SIGINT" : "SIGTERM");
	return (sig);
}

/* serve: the RPC server and its job workers; worker: the jobs only. */
static int
serve(const srv_config *cfg, bool rpc)
{
	sigset_t set;
	srv *s = NULL;
	worker *w = NULL;
	srv_metrics_http *mh = NULL;
	int rv = 1;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGPIPE);
	/* Before any thread starts, so that every thread inherits it. */
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	if (cfg->metrics_listen != NULL &&
	    srv_metrics_http_start(&mh, cfg) != 0)
		goto out;
	if (rpc &&
	    srv_start(
	        &s, cfg, &handlers_impl, srv_metrics_http_counters(mh)) != 0)
		goto out;
	if (worker_start(&w, cfg) != 0) {
		w = NULL; /* worker_start cleaned up */
		goto out;
	}
	wait_for_stop(&set);
	rv = 0;
out:
	if (s != NULL)
		srv_stop(s);
	if (w != NULL)
		worker_stop(w);
	/* After the workers: they count their last calls in it. */
	srv_metrics_http_stop(mh);
	if (rv == 0)
		log_printf(LOG_INFO, "msg=\"stopped\"");
	return (rv);
}

int
main(int argc, char **argv)
{
	srv_config cfg;
	int rv, applied;

	if (srv_config_parse(&cfg, argc, argv) != 0) {
		srv_config_fini(&cfg);
		return (2);
	}
	log_set_level(cfg.level);
	switch (cfg.command) {
	case SRV_HELP:
		srv_config_usage(argv[0]);
		rv = 0;
		break;
	case SRV_VERSION:
		printf("billing-server %s\n", BILLING_VERSION);
		rv = 0;
		break;
	case SRV_MIGRATE:
		rv = migrate_run(cfg.database_url, &applied) == 0 ? 0 : 1;
		break;
	case SRV_WORKER:
		rv = serve(&cfg, false);
		break;
	default:
		rv = serve(&cfg, true);
		break;
	}
	srv_config_fini(&cfg);
	return (rv);
}
