/*
 * billctl: the operators' command line client of the billing RPCs, in
 * the manner of grpcurl (list, describe, call with JSON) and of the
 * Stripe CLI (a command per resource and verb, tables for people,
 * --json for programs).
 *
 * main.c reads the global options, which come before the command, and
 * hands the rest of the arguments to the command. Exit codes: 0 done,
 * 1 the call failed (its status printed to stderr), 2 usage error.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "billctl.h"
#include "timefmt.h"

static const bctl_group *const GROUPS[] = {
	&customers_group,
	&plans_group,
	&subscriptions_group,
	&invoices_group,
	&payments_group,
	&billing_group,
	&events_group,
	&health_group,
	&api_keys_group,
	&rollout_group,
};

#define N_GROUPS (sizeof(GROUPS) / sizeof(GROUPS[0]))

static const struct {
	const char *name;
	int (*main)(const bctl_ctx *, int, char **);
	const char *synopsis;
	const char *summary;
} BUILTINS[] = {
	{ "list", describe_list_main, "list [SERVICE]",
	    "The services, or a service's methods" },
	{ "describe", describe_main, "describe [NAME]",
	    "A service, method, message or enum, as proto" },
	{ "call", call_main, "call METHOD [JSON|@FILE|@-]",
	    "Calls any method with a JSON request" },
};

#define N_BUILTINS (sizeof(BUILTINS) / sizeof(BUILTINS[0]))

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: billctl [OPTIONS] COMMAND [ARGS...]\n\n"
	    "Commands:\n");
	for (size_t i = 0; i < N_BUILTINS; i++)
		fprintf(fp, "  %-28s %s\n", BUILTINS[i].synopsis,
		    BUILTINS[i].summary);
	for (size_t i = 0; i < N_GROUPS; i++) {
		char syn[64];

		snprintf(syn, sizeof(syn), "%s%s", GROUPS[i]->name,
		    GROUPS[i]->self != NULL ? "" : " COMMAND ...");
		fprintf(fp, "  %-28s %s\n", syn, GROUPS[i]->summary);
	}
	fprintf(fp,
	    "\nOptions (before the command):\n"
	    "  --server URL[,URL...]   servers (env BILLING_SERVER; default\n"
	    "                          " BCTL_DEFAULT_SERVER ")\n"
	    "  --timeout DURATION      deadline of the call, e.g. 5s, 500ms "
	    "(default 10s)\n"
	    "  --json                  print responses as JSON, not tables\n"
	    "  --idempotency-key K     makes a mutating call safe to retry\n"
	    "  --now 'YYYY-MM-DD HH:MM:SS'\n"
	    "                          the server's test clock "
	    "(x-billing-now)\n"
	    "  --tls-ca FILE           CA bundle for tls+tcp:// servers\n"
	    "  -h, --help              this help\n"
	    "  --version               billctl's version\n"
	    "\n`billctl COMMAND -h` shows a command's arguments.\n"
	    "Exit status: 0 done, 1 the call failed, 2 usage error.\n");
}

int
bctl_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("billctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return (BCTL_EXIT_USAGE);
}

/*
 * Whether argv[*i] is option name, given as "--name VALUE" or
 * "--name=VALUE"; sets *val (NULL when the value is missing).
 */
static bool
take(int argc, char **argv, int *i, const char *name, const char **val)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) != 0)
		return (false);
	if (argv[*i][n] == '=') {
		*val = argv[*i] + n + 1;
		return (true);
	}
	if (argv[*i][n] != '\0')
		return (false);
	*val = *i + 1 < argc ? argv[++*i] : NULL;
	return (true);
}

/* Parses the global options; returns the index of the command or -1. */
static int
parse_globals(bctl_ctx *ctx, int argc, char **argv, int *exit_code)
{
	const char *v;
	int i;

	*exit_code = BCTL_EXIT_USAGE;
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			*exit_code = BCTL_EXIT_OK;
			return (-1);
		} else if (strcmp(a, "--version") == 0) {
			printf("billctl %s\n", BILLING_VERSION);
			*exit_code = BCTL_EXIT_OK;
			return (-1);
		} else if (strcmp(a, "--json") == 0)
			ctx->json = true;
		else if (take(argc, argv, &i, "--server", &v)) {
			if (v == NULL || v[0] == '\0')
				goto missing;
			ctx->server = v;
		} else if (take(argc, argv, &i, "--timeout", &v)) {
			if (v == NULL)
				goto missing;
			if (timefmt_duration_ms(v, &ctx->timeout_ms) != 0) {
				bctl_usage_error("--timeout: \"%s\" is not a "
				                 "duration from 1ms to 24h, "
				                 "such as 5s or 500ms",
				    v);
				return (-1);
			}
		} else if (take(argc, argv, &i, "--idempotency-key", &v)) {
			if (v == NULL || v[0] == '\0')
				goto missing;
			ctx->idempotency_key = v;
		} else if (take(argc, argv, &i, "--now", &v)) {
			if (v == NULL)
				goto missing;
			if (!timefmt_wall_valid(v)) {
				bctl_usage_error("--now: \"%s\" is not "
				                 "'YYYY-MM-DD HH:MM:SS'",
				    v);
				return (-1);
			}
			ctx->now = v;
		} else if (take(argc, argv, &i, "--tls-ca", &v)) {
			if (v == NULL || v[0] == '\0')
				goto missing;
			ctx->tls_ca = v;
		} else {
			bctl_usage_error("unknown option %s (billctl -h lists "
			                 "them)",
			    a);
			return (-1);
		}
	}
	if (i == argc) {
		usage(stderr);
		return (-1);
	}
	return (i);
missing:
	bctl_usage_error(
	    "%s needs a value", argv[i][0] == '-' ? argv[i] : argv[i - 1]);
	return (-1);
}

/* `billctl help [COMMAND]` */
static int
help_main(const bctl_ctx *ctx, int argc, char **argv)
{
	const char *sub[] = { NULL, "-h" };

	if (argc < 2) {
		usage(stdout);
		return (BCTL_EXIT_OK);
	}
	for (size_t i = 0; i < N_GROUPS; i++)
		if (strcmp(argv[1], GROUPS[i]->name) == 0) {
			if (argc > 2 && GROUPS[i]->self == NULL) {
				/* help customers create: the command's -h */
				char *args[] = { argv[1], argv[2], "-h" };

				return (group_main(ctx, GROUPS[i], 3, args));
			}
			group_usage(stdout, GROUPS[i]);
			return (BCTL_EXIT_OK);
		}
	for (size_t i = 0; i < N_BUILTINS; i++)
		if (strcmp(argv[1], BUILTINS[i].name) == 0) {
			sub[0] = argv[1];
			return (BUILTINS[i].main(ctx, 2, (char **) sub));
		}
	return (bctl_usage_error("help: no command %s", argv[1]));
}

int
main(int argc, char **argv)
{
	bctl_ctx ctx = {
		.server = BCTL_DEFAULT_SERVER,
		.timeout_ms = BCTL_DEFAULT_TIMEOUT_MS,
	};
	const char *env = getenv("BILLING_SERVER");
	int cmd, rv;

	if (env != NULL && env[0] != '\0')
		ctx.server = env;
	if ((cmd = parse_globals(&ctx, argc, argv, &rv)) < 0)
		return (rv);
	argc -= cmd;
	argv += cmd;
	if (strcmp(argv[0], "help") == 0)
		return (help_main(&ctx, argc, argv));
	for (size_t i = 0; i < N_BUILTINS; i++)
		if (strcmp(argv[0], BUILTINS[i].name) == 0)
			return (BUILTINS[i].main(&ctx, argc, argv));
	for (size_t i = 0; i < N_GROUPS; i++)
		if (strcmp(argv[0], GROUPS[i]->name) == 0)
			return (group_main(&ctx, GROUPS[i], argc, argv));
	return (bctl_usage_error("unknown command \"%s\" (billctl -h lists "
	                         "them)",
	    argv[0]));
}
