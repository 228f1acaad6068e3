/*
 * config: billing-server's settings, from flags over environment
 * variables over defaults (see srv_config_usage for the list).
 */
#ifndef SERVER_CONFIG_H
#define SERVER_CONFIG_H

#include <stdbool.h>

#include "../util/log.h"

#define CONFIG_MAX_LISTEN 8
#define CONFIG_MAX_RUN_PARALLEL 8

typedef enum srv_command {
	SRV_SERVE,
	SRV_MIGRATE,
	SRV_WORKER, /* the job workers only, no RPC listener */
	SRV_HELP,
	SRV_VERSION,
} srv_command;

typedef struct srv_config {
	srv_command command;
	const char *database_url;
	const char *listen[CONFIG_MAX_LISTEN];
	int n_listen;
	int workers;
	log_level level;
	int default_timeout_ms;
	int max_timeout_ms;
	const char *tls_cert_key_file; /* PEM cert + key for tls+tcp:// */
	const char *timezone;          /* the billing time zone */
	bool test_clock;               /* honour x-billing-now */
	int schedule_s;                /* billing run every N s; 0: off */
	int job_workers;               /* background job threads */
	int run_batch;                 /* subscriptions per run transaction */
	int run_parallel;              /* connections of one RunCycle */
	const char *metrics_listen;    /* HOST:PORT of /metrics; NULL: off */
	char metrics_host[64];
	unsigned metrics_port;
	char *listen_buf; /* owns the BILLING_LISTEN copy */
} srv_config;

/*
 * Fills cfg from argv and the environment. Returns 0, or -1 after
 * printing what is wrong (exit status 2).
 */
int srv_config_parse(srv_config *cfg, int argc, char **argv);
void srv_config_fini(srv_config *cfg);

void srv_config_usage(const char *prog);

#endif /* SERVER_CONFIG_H */
