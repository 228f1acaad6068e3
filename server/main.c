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
#include "migrate.h"
#include "server.h"

#ifndef BILLING_VERSION
#define BILLING_VERSION "dev"
#endif

const billing_server_impl handlers_impl = {
	.customers = &customers_impl,
	.plans = &plans_impl,
	.events = &events_impl,
	.health = &health_impl,
};

static int
serve(const srv_config *cfg)
{
	sigset_t set;
	srv *s;
	int sig = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGPIPE);
	/* Before any thread starts, so that every thread inherits it. */
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	if (srv_start(&s, cfg, &handlers_impl) != 0)
		return (1);
	do {
		if (sigwait(&set, &sig) != 0)
			break;
	} while (sig == SIGPIPE);
	log_printf(LOG_INFO, "msg=\"stopping\" signal=%s",
	    sig == SIGINT ? "SIGINT" : "SIGTERM");
	srv_stop(s);
	log_printf(LOG_INFO, "msg=\"stopped\"");
	return (0);
}

int
main(int argc, char **argv)
{
	srv_config cfg;
	int rv, applied;

	if (srv_config_parse(&cfg, argc, argv) != 0)
		return (2);
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
	default:
		rv = serve(&cfg);
		break;
	}
	srv_config_fini(&cfg);
	return (rv);
}
