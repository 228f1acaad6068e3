/*
 * config.c: see config.h.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../rules/caltime.h"
#include "../util/prom.h"
#include "config.h"

#define DEFAULT_LISTEN "tcp://127.0.0.1:7070"
#define DEFAULT_WORKERS 8
#define MAX_WORKERS 256
#define DEFAULT_SCHEDULE_S 60
#define DEFAULT_RUN_BATCH 1000
#define DEFAULT_RUN_PARALLEL 2

void
srv_config_usage(const char *prog)
{
	fprintf(stderr,
	    "usage: %s [serve] [options]     run the RPC server\n"
	    "       %s migrate [options]     apply the SQL migrations, exit\n"
	    "       %s worker [options]      run background jobs only\n"
	    "\n"
	    "  --database-url URL     PostgreSQL URL      "
	    "BILLING_DATABASE_URL\n"
	    "  --listen URL           tcp://, ipc:// or tls+tcp:// (repeat)\n"
	    "                         default " DEFAULT_LISTEN
	    "   BILLING_LISTEN (comma-separated)\n"
	    "  --workers N            worker threads (default %d)"
	    "   BILLING_WORKERS\n"
	    "  --log-level LEVEL      debug|info|warn|error (default info)"
	    "  BILLING_LOG_LEVEL\n"
	    "  --default-timeout-ms N deadline of calls that carry none"
	    " (default 10000)  BILLING_DEFAULT_TIMEOUT_MS\n"
	    "  --max-timeout-ms N     longest deadline honoured"
	    " (default 600000)  BILLING_MAX_TIMEOUT_MS\n"
	    "  --tls-cert-key FILE    PEM certificate and key for"
	    " tls+tcp://  BILLING_TLS_CERT_KEY\n"
	    "  --timezone ZONE        billing time zone "
	    "(default " CALTIME_DEFAULT_ZONE ")  BILLING_TIMEZONE\n"
	    "  --test-clock           honour the x-billing-now metadata"
	    "  BILLING_TEST_CLOCK=1\n"
	    "  --schedule S|off       billing run every S seconds (default"
	    " %d; off with --test-clock)  BILLING_SCHEDULE\n"
	    "  --job-workers N        background job threads (default 1;"
	    " 0: none)  BILLING_JOB_WORKERS\n"
	    "  --run-batch N          subscriptions per billing-run"
	    " transaction (default %d)  BILLING_RUN_BATCH\n"
	    "  --run-parallel N       connections working on one"
	    " RunCycle (default %d)  BILLING_RUN_PARALLEL\n"
	    "  --metrics-listen HOST:PORT  serve /metrics and /healthz"
	    " over HTTP (default off)  BILLING_METRICS_LISTEN\n"
	    "  --help, --version\n",
	    prog, prog, prog, DEFAULT_WORKERS, DEFAULT_SCHEDULE_S,
	    DEFAULT_RUN_BATCH, DEFAULT_RUN_PARALLEL);
}

static int
parse_int(const char *name, const char *s, int lo, int hi, int *out)
{
	char *end;
	long v;

	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr,
		    "billing-server: %s must be %d to %d, not '%s'\n", name,
		    lo, hi, s);
		return (-1);
	}
	*out = (int) v;
	return (0);
}

/* "off" or 0 is no schedule; else seconds, 1 to a day. */
static int
parse_schedule(const char *name, const char *s, int *out)
{
	if (strcmp(s, "off") == 0) {
		*out = 0;
		return (0);
	}
	return (parse_int(name, s, 0, 86400, out));
}

static int
parse_bool(const char *name, const char *s, bool *out)
{
	if (strcmp(s, "1") == 0 || strcmp(s, "true") == 0)
		*out = true;
	else if (strcmp(s, "0") == 0 || strcmp(s, "false") == 0)
		*out = false;
	else {
		fprintf(stderr,
		    "billing-server: %s must be 1 or 0, not '%s'\n", name, s);
		return (-1);
	}
	return (0);
}

static int
add_listen(srv_config *cfg, const char *url)
{
	if (cfg->n_listen == CONFIG_MAX_LISTEN) {
		fprintf(stderr, "billing-server: at most %d listen URLs\n",
		    CONFIG_MAX_LISTEN);
		return (-1);
	}
	cfg->listen[cfg->n_listen++] = url;
	return (0);
}

/* Defaults, then the environment; flags come after. */
static int
from_env(srv_config *cfg)
{
	const char *v;

	cfg->workers = DEFAULT_WORKERS;
	cfg->level = LOG_INFO;
	cfg->default_timeout_ms = 10000;
	cfg->max_timeout_ms = 600000;
	cfg->schedule_s = -1; /* not set: depends on the test clock */
	cfg->job_workers = 1;
	cfg->run_batch = DEFAULT_RUN_BATCH;
	cfg->run_parallel = DEFAULT_RUN_PARALLEL;
	cfg->timezone = CALTIME_DEFAULT_ZONE;
	if ((v = getenv("BILLING_TIMEZONE")) != NULL && *v != '\0')
		cfg->timezone = v;
	if ((v = getenv("BILLING_TEST_CLOCK")) != NULL && *v != '\0' &&
	    parse_bool("BILLING_TEST_CLOCK", v, &cfg->test_clock) != 0)
		return (-1);
	if ((v = getenv("BILLING_SCHEDULE")) != NULL && *v != '\0' &&
	    parse_schedule("BILLING_SCHEDULE", v, &cfg->schedule_s) != 0)
		return (-1);
	if ((v = getenv("BILLING_JOB_WORKERS")) != NULL && *v != '\0' &&
	    parse_int("BILLING_JOB_WORKERS", v, 0, 64, &cfg->job_workers) != 0)
		return (-1);
	if ((v = getenv("BILLING_RUN_PARALLEL")) != NULL && *v != '\0' &&
	    parse_int("BILLING_RUN_PARALLEL", v, 1, CONFIG_MAX_RUN_PARALLEL,
	        &cfg->run_parallel) != 0)
		return (-1);
	if ((v = getenv("BILLING_RUN_BATCH")) != NULL && *v != '\0' &&
	    parse_int("BILLING_RUN_BATCH", v, 1, 10000, &cfg->run_batch) != 0)
		return (-1);
	cfg->database_url = getenv("BILLING_DATABASE_URL");
	if ((v = getenv("BILLING_METRICS_LISTEN")) != NULL && *v != '\0')
		cfg->metrics_listen = v;
	cfg->tls_cert_key_file = getenv("BILLING_TLS_CERT_KEY");
	if ((v = getenv("BILLING_WORKERS")) != NULL && *v != '\0' &&
	    parse_int("BILLING_WORKERS", v, 1, MAX_WORKERS, &cfg->workers) !=
	        0)
		return (-1);
	if ((v = getenv("BILLING_DEFAULT_TIMEOUT_MS")) != NULL && *v != '\0' &&
	    parse_int("BILLING_DEFAULT_TIMEOUT_MS", v, 1, 3600000,
	        &cfg->default_timeout_ms) != 0)
		return (-1);
	if ((v = getenv("BILLING_MAX_TIMEOUT_MS")) != NULL && *v != '\0' &&
	    parse_int("BILLING_MAX_TIMEOUT_MS", v, 1, 86400000,
	        &cfg->max_timeout_ms) != 0)
		return (-1);
	if ((v = getenv("BILLING_LOG_LEVEL")) != NULL && *v != '\0' &&
	    log_level_parse(v, &cfg->level) != 0) {
		fprintf(stderr,
		    "billing-server: BILLING_LOG_LEVEL: unknown "
		    "level '%s'\n",
		    v);
		return (-1);
	}
	return (0);
}

int
srv_config_parse(srv_config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "database-url", required_argument, NULL, 'd' },
		{ "listen", required_argument, NULL, 'l' },
		{ "workers", required_argument, NULL, 'w' },
		{ "log-level", required_argument, NULL, 'v' },
		{ "default-timeout-ms", required_argument, NULL, 't' },
		{ "max-timeout-ms", required_argument, NULL, 'm' },
		{ "tls-cert-key", required_argument, NULL, 'k' },
		{ "timezone", required_argument, NULL, 'z' },
		{ "test-clock", no_argument, NULL, 'T' },
		{ "schedule", required_argument, NULL, 's' },
		{ "job-workers", required_argument, NULL, 'j' },
		{ "run-batch", required_argument, NULL, 'b' },
		{ "run-parallel", required_argument, NULL, 'P' },
		{ "metrics-listen", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	bool flag_listen = false;
	int c;

	memset(cfg, 0, sizeof(*cfg));
	if (from_env(cfg) != 0)
		return (-1);
	if (argc > 1 && argv[1][0] != '-') {
		if (strcmp(argv[1], "migrate") == 0)
			cfg->command = SRV_MIGRATE;
		else if (strcmp(argv[1], "worker") == 0)
			cfg->command = SRV_WORKER;
		else if (strcmp(argv[1], "serve") != 0) {
			fprintf(stderr,
			    "billing-server: unknown command '%s'\n", argv[1]);
			srv_config_usage(argv[0]);
			return (-1);
		}
		argv[1] = argv[0];
		argc--;
		argv++;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			cfg->database_url = optarg;
			break;
		case 'l':
			if (!flag_listen)
				cfg->n_listen = 0; /* flags replace the env */
			flag_listen = true;
			if (add_listen(cfg, optarg) != 0)
				return (-1);
			break;
		case 'w':
			if (parse_int("--workers", optarg, 1, MAX_WORKERS,
			        &cfg->workers) != 0)
				return (-1);
			break;
		case 'v':
			if (log_level_parse(optarg, &cfg->level) != 0) {
				fprintf(stderr,
				    "billing-server: --log-level: "
				    "unknown level '%s'\n",
				    optarg);
				return (-1);
			}
			break;
		case 't':
			if (parse_int("--default-timeout-ms", optarg, 1,
			        3600000, &cfg->default_timeout_ms) != 0)
				return (-1);
			break;
		case 'm':
			if (parse_int("--max-timeout-ms", optarg, 1, 86400000,
			        &cfg->max_timeout_ms) != 0)
				return (-1);
			break;
		case 'k':
			cfg->tls_cert_key_file = optarg;
			break;
		case 'z':
			cfg->timezone = optarg;
			break;
		case 'T':
			cfg->test_clock = true;
			break;
		case 's':
			if (parse_schedule(
			        "--schedule", optarg, &cfg->schedule_s) != 0)
				return (-1);
			break;
		case 'j':
			if (parse_int("--job-workers", optarg, 0, 64,
			        &cfg->job_workers) != 0)
				return (-1);
			break;
		case 'b':
			if (parse_int("--run-batch", optarg, 1, 10000,
			        &cfg->run_batch) != 0)
				return (-1);
			break;
		case 'P':
			if (parse_int("--run-parallel", optarg, 1,
			        CONFIG_MAX_RUN_PARALLEL,
			        &cfg->run_parallel) != 0)
				return (-1);
			break;
		case 'M':
			cfg->metrics_listen = optarg;
			break;
		case 'h':
			cfg->command = SRV_HELP;
			return (0);
		case 'V':
			cfg->command = SRV_VERSION;
			return (0);
		default:
			srv_config_usage(argv[0]);
			return (-1);
		}
	}
	if (optind < argc) {
		fprintf(stderr, "billing-server: unexpected argument '%s'\n",
		    argv[optind]);
		return (-1);
	}
	if (!flag_listen) {
		const char *env = getenv("BILLING_LISTEN");

		if ((cfg->listen_buf = strdup(env != NULL && *env != '\0'
		             ? env
		             : DEFAULT_LISTEN)) == NULL)
			return (-1);
		for (char *save = NULL,
		          *u = strtok_r(cfg->listen_buf, ",", &save);
		     u != NULL; u = strtok_r(NULL, ",", &save))
			if (add_listen(cfg, u) != 0)
				return (-1);
	}
	if (cfg->metrics_listen != NULL &&
	    prom_parse_listen(cfg->metrics_listen, cfg->metrics_host,
	        sizeof(cfg->metrics_host), &cfg->metrics_port) != 0) {
		fprintf(stderr,
		    "billing-server: --metrics-listen must be HOST:PORT, not "
		    "'%s'\n",
		    cfg->metrics_listen);
		return (-1);
	}
	/* A run at the real time would bill years of test periods. */
	if (cfg->schedule_s < 0)
		cfg->schedule_s = cfg->test_clock ? 0 : DEFAULT_SCHEDULE_S;
	if (caltime_set_zone(cfg->timezone) != 0) {
		fprintf(stderr, "billing-server: unknown time zone '%s'\n",
		    cfg->timezone);
		return (-1);
	}
	if (cfg->database_url == NULL || cfg->database_url[0] == '\0') {
		fprintf(stderr,
		    "billing-server: no database: pass "
		    "--database-url URL or set "
		    "BILLING_DATABASE_URL\n");
		return (-1);
	}
	return (0);
}

void
srv_config_fini(srv_config *cfg)
{
	free(cfg->listen_buf);
	cfg->listen_buf = NULL;
}
