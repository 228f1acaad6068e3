/*
 * billing-migrate: check, run, verify, rollback (docs/migration.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mig.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: billing-migrate check|run|verify|rollback [options]\n"
	    "  --source URL    legacy MySQL/MariaDB: "
	    "mysql://USER:PASS@HOST:PORT/DB\n"
	    "                  or mysql://USER:PASS@localhost/DB?socket=PATH\n"
	    "                  (or BILLING_LEGACY_URL)\n"
	    "  --target URL    PostgreSQL URL (or BILLING_DATABASE_URL)\n"
	    "  --source-timezone ZONE  the zone of the legacy DATETIMEs\n"
	    "                  (default Europe/Berlin)\n"
	    "  --progress / --no-progress  rows/s and ETA (default: on a\n"
	    "                  terminal)\n"
	    "  --force         rollback: also when rows were written after\n"
	    "                  the migration\n"
	    "exit status: 0 done (verify: no unexplained difference), 1 "
	    "failed\n"
	    "or a difference found, 2 usage error\n");
}

int
main(int argc, char **argv)
{
	mig_opts o = { getenv("BILLING_LEGACY_URL"),
		getenv("BILLING_DATABASE_URL"), "Europe/Berlin",
		isatty(STDERR_FILENO) != 0, false };
	const char *cmd;
	int need_source;

	if (argc < 2 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return (argc < 2 ? MIG_USAGE : MIG_OK);
	}
	cmd = argv[1];
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--source") == 0 && i + 1 < argc)
			o.source = argv[++i];
		else if (strcmp(a, "--target") == 0 && i + 1 < argc)
			o.target = argv[++i];
		else if (strcmp(a, "--source-timezone") == 0 && i + 1 < argc)
			o.zone = argv[++i];
		else if (strcmp(a, "--progress") == 0)
			o.progress = true;
		else if (strcmp(a, "--no-progress") == 0)
			o.progress = false;
		else if (strcmp(a, "--force") == 0)
			o.force = true;
		else {
			fprintf(
			    stderr, "billing-migrate: unknown option %s\n", a);
			usage(stderr);
			return (MIG_USAGE);
		}
	}
	need_source = strcmp(cmd, "rollback") != 0;
	if ((need_source && (o.source == NULL || o.source[0] == '\0')) ||
	    o.target == NULL || o.target[0] == '\0') {
		fprintf(stderr, "billing-migrate: %s needs --target%s\n", cmd,
		    need_source ? " and --source" : "");
		return (MIG_USAGE);
	}
	if (conv_set_zone(o.zone) != 0) {
		fprintf(
		    stderr, "billing-migrate: unknown time zone %s\n", o.zone);
		return (MIG_USAGE);
	}
	if (strcmp(cmd, "check") == 0)
		return (mig_check(&o));
	if (strcmp(cmd, "run") == 0)
		return (mig_run(&o));
	if (strcmp(cmd, "verify") == 0)
		return (mig_verify(&o));
	if (strcmp(cmd, "rollback") == 0)
		return (mig_rollback(&o));
	fprintf(stderr, "billing-migrate: unknown command %s\n", cmd);
	usage(stderr);
	return (MIG_USAGE);
}
