/*
 * billing-bridge: the legacy JSON API over HTTP, on top of the RPCs.
 *
 *   billing-bridge [--listen HOST:PORT] [--server URL[,URL...]]
 *
 * Settings come from flags over environment variables over defaults:
 * --listen / BILLING_HTTP_LISTEN (127.0.0.1:8091), --server /
 * BILLING_SERVER (tcp://127.0.0.1:7070), --timezone / BILLING_TIMEZONE
 * (Europe/Berlin), --max-connections / BILLING_HTTP_MAX_CONNECTIONS
 * (256), --timeout-s / BILLING_HTTP_TIMEOUT_S (30), --key-cache-s /
 * BILLING_HTTP_KEY_CACHE_S (10; 0: every request is checked by the RPC
 * server), --log-level / BILLING_LOG_LEVEL (info). SIGTERM and SIGINT stop it.
 *
 * The rollout (docs/rollout.md): --rollout / BILLING_ROLLOUT (new; the
 * mode until `billctl rollout set` says otherwise), --legacy-url /
 * BILLING_LEGACY_URL (the legacy app, http://host:port; without it only
 * "new" is possible), --rollout-accept / BILLING_ROLLOUT_ACCEPT (the
 * accepted differences), --rollout-queue / BILLING_ROLLOUT_QUEUE (1000).
 * SIGHUP reads the mode from the RPC server at once.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../rules/caltime.h"
#include "../util/log.h"
#include "../util/prom.h"
#include "http.h"
#include "rollout.h"
#include "upstream.h"

#define DEFAULT_LISTEN "127.0.0.1:8091"
#define DEFAULT_SERVER "tcp://127.0.0.1:7070"

typedef struct bridge_config {
	char host[64];
	unsigned port;
	const char *server;
	const char *timezone;
	unsigned max_connections, timeout_s, key_cache_s, rollout_queue;
	log_level level;
	rollout_mode mode;
	const char *legacy_url, *accept_file;
} bridge_config;

static void
usage(void)
{
	fprintf(stderr,
	    "usage: billing-bridge [options]\n"
	    "  --listen HOST:PORT     default " DEFAULT_LISTEN
	    "  BILLING_HTTP_LISTEN\n"
	    "  --server URL[,URL]     default " DEFAULT_SERVER
	    "  BILLING_SERVER\n"
	    "  --timezone ZONE        default " CALTIME_DEFAULT_ZONE
	    "  BILLING_TIMEZONE\n"
	    "  --max-connections N    default 256"
	    "  BILLING_HTTP_MAX_CONNECTIONS\n"
	    "  --timeout-s N          idle connection timeout, default 30"
	    "  BILLING_HTTP_TIMEOUT_S\n"
	    "  --key-cache-s N        trust an accepted API key for N s,"
	    " default 10  BILLING_HTTP_KEY_CACHE_S\n"
	    "  --log-level LEVEL      default info  BILLING_LOG_LEVEL\n"
	    "  --rollout MODE         legacy|shadow|canary|new, default new"
	    "  BILLING_ROLLOUT\n"
	    "  --legacy-url URL       the legacy app, http://host:port"
	    "  BILLING_LEGACY_URL\n"
	    "  --rollout-accept FILE  accepted differences (JSON)"
	    "  BILLING_ROLLOUT_ACCEPT\n"
	    "  --rollout-queue N      shadow queue bound, default 1000"
	    "  BILLING_ROLLOUT_QUEUE\n");
}

static int
parse_count(
    const char *name, const char *v, unsigned lo, unsigned hi, unsigned *out)
{
	char *end;
	unsigned long n = strtoul(v, &end, 10);

	if (*v == '\0' || *end != '\0' || n < lo || n > hi) {
		fprintf(stderr, "billing-bridge: %s must be %u to %u\n", name,
		    lo, hi);
		return (-1);
	}
	*out = (unsigned) n;
	return (0);
}

static const char *
env(const char *name, const char *def)
{
	const char *v = getenv(name);

	return (v != NULL && *v != '\0' ? v : def);
}

static int
configure(bridge_config *cfg, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "server", required_argument, NULL, 's' },
		{ "timezone", required_argument, NULL, 'z' },
		{ "max-connections", required_argument, NULL, 'm' },
		{ "timeout-s", required_argument, NULL, 't' },
		{ "key-cache-s", required_argument, NULL, 'k' },
		{ "log-level", required_argument, NULL, 'v' },
		{ "rollout", required_argument, NULL, 'r' },
		{ "legacy-url", required_argument, NULL, 'u' },
		{ "rollout-accept", required_argument, NULL, 'a' },
		{ "rollout-queue", required_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *listen = env("BILLING_HTTP_LISTEN", DEFAULT_LISTEN);
	const char *level = env("BILLING_LOG_LEVEL", "info");
	const char *mode = env("BILLING_ROLLOUT", "new");
	int c;

	memset(cfg, 0, sizeof(*cfg));
	cfg->server = env("BILLING_SERVER", DEFAULT_SERVER);
	cfg->timezone = env("BILLING_TIMEZONE", CALTIME_DEFAULT_ZONE);
	if (parse_count("BILLING_HTTP_MAX_CONNECTIONS",
	        env("BILLING_HTTP_MAX_CONNECTIONS", "256"), 1, 65536,
	        &cfg->max_connections) != 0 ||
	    parse_count("BILLING_HTTP_TIMEOUT_S",
	        env("BILLING_HTTP_TIMEOUT_S", "30"), 1, 3600,
	        &cfg->timeout_s) != 0 ||
	    parse_count("BILLING_HTTP_KEY_CACHE_S",
	        env("BILLING_HTTP_KEY_CACHE_S", "10"), 0, 3600,
	        &cfg->key_cache_s) != 0 ||
	    parse_count("BILLING_ROLLOUT_QUEUE",
	        env("BILLING_ROLLOUT_QUEUE", "1000"), 1, 1000000,
	        &cfg->rollout_queue) != 0)
		return (-1);
	cfg->legacy_url = env("BILLING_LEGACY_URL", NULL);
	cfg->accept_file = env("BILLING_ROLLOUT_ACCEPT", NULL);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			listen = optarg;
			break;
		case 's':
			cfg->server = optarg;
			break;
		case 'z':
			cfg->timezone = optarg;
			break;
		case 'm':
			if (parse_count("--max-connections", optarg, 1, 65536,
			        &cfg->max_connections) != 0)
				return (-1);
			break;
		case 't':
			if (parse_count("--timeout-s", optarg, 1, 3600,
			        &cfg->timeout_s) != 0)
				return (-1);
			break;
		case 'k':
			if (parse_count("--key-cache-s", optarg, 0, 3600,
			        &cfg->key_cache_s) != 0)
				return (-1);
			break;
		case 'v':
			level = optarg;
			break;
		case 'r':
			mode = optarg;
			break;
		case 'u':
			cfg->legacy_url = optarg;
			break;
		case 'a':
			cfg->accept_file = optarg;
			break;
		case 'q':
			if (parse_count("--rollout-queue", optarg, 1, 1000000,
			        &cfg->rollout_queue) != 0)
				return (-1);
			break;
		default:
			usage();
			return (-1);
		}
	}
	if (optind < argc ||
	    prom_parse_listen(
	        listen, cfg->host, sizeof(cfg->host), &cfg->port) != 0) {
		usage();
		return (-1);
	}
	if (log_level_parse(level, &cfg->level) != 0 ||
	    caltime_set_zone(cfg->timezone) != 0) {
		fprintf(
		    stderr, "billing-bridge: bad log level or time zone\n");
		return (-1);
	}
	if (rollout_mode_parse(mode, &cfg->mode) != 0) {
		fprintf(stderr,
		    "billing-bridge: --rollout must be legacy, shadow, canary "
		    "or new\n");
		return (-1);
	}
	if (cfg->mode != ROLLOUT_NEW && cfg->legacy_url == NULL) {
		fprintf(stderr,
		    "billing-bridge: --rollout %s needs --legacy-url\n", mode);
		return (-1);
	}
	if (cfg->legacy_url != NULL &&
	    strncmp(cfg->legacy_url, "http://", 7) != 0 &&
	    strncmp(cfg->legacy_url, "https://", 8) != 0) {
		fprintf(stderr,
		    "billing-bridge: --legacy-url must start with http:// or "
		    "https://\n");
		return (-1);
	}
	return (0);
}

int
main(int argc, char **argv)
{
	bridge_config cfg;
	http_config hc;
	billing_client *client;
	billing_status st = BILLING_STATUS_INIT;
	http_server *s;
	rollout_config rc;
	rollout *ro = NULL;
	accept_rules *acc = NULL;
	char self[96], name[96], err[256];
	sigset_t set;
	int sig;

	if (configure(&cfg, argc, argv) != 0)
		return (2);
	log_set_level(cfg.level);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGPIPE);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (upstream_global_init() != 0) {
		fprintf(stderr, "billing-bridge: curl_global_init failed\n");
		return (1);
	}
	if (cfg.accept_file != NULL &&
	    accept_load(cfg.accept_file, &acc, err, sizeof(err)) != 0) {
		fprintf(stderr, "billing-bridge: %s\n", err);
		return (2);
	}
	if (billing_client_open(&client, cfg.server, NULL, &st) != 0) {
		fprintf(stderr, "billing-bridge: %s\n",
		    st.message != NULL ? st.message : "bad server URL");
		billing_status_fini(&st);
		return (2);
	}
	hc.host = cfg.host;
	hc.port = (uint16_t) cfg.port;
	hc.max_connections = cfg.max_connections;
	hc.timeout_s = cfg.timeout_s;
	hc.key_cache_s = cfg.key_cache_s;
	/* The shadow queue replays "new" answers through this bridge. */
	snprintf(self, sizeof(self), "http://%s:%u",
	    strcmp(cfg.host, "0.0.0.0") == 0 ? "127.0.0.1" : cfg.host,
	    cfg.port);
	snprintf(name, sizeof(name), "%s:%u", cfg.host, cfg.port);
	memset(&rc, 0, sizeof(rc));
	rc.mode = cfg.mode;
	rc.legacy_url = cfg.legacy_url;
	rc.self_url = self;
	rc.name = name;
	rc.accept = acc;
	rc.queue_max = cfg.rollout_queue;
	rc.client = client;
	if (rollout_init(&ro, &rc) != 0) {
		fprintf(stderr, "billing-bridge: cannot start the rollout\n");
		billing_client_close(client);
		return (1);
	}
	hc.rollout = ro;
	if (http_start(&s, &hc, client) != 0) {
		rollout_fini(ro);
		billing_client_close(client);
		return (1);
	}
	log_printf(LOG_INFO,
	    "msg=\"serving\" listen=%s:%u server=%s rollout=%s legacy=%s",
	    cfg.host, cfg.port, cfg.server, rollout_mode_name(cfg.mode),
	    cfg.legacy_url != NULL ? cfg.legacy_url : "-");
	do {
		if (sigwait(&set, &sig) != 0)
			break;
		if (sig == SIGHUP)
			rollout_refresh(ro);
	} while (sig == SIGPIPE || sig == SIGHUP);
	http_stop(s);
	/* After the HTTP side: the queue's replays go through it. */
	rollout_fini(ro);
	accept_free(acc);
	billing_client_close(client);
	log_printf(LOG_INFO, "msg=\"stopped\"");
	return (0);
}
