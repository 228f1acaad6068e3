/*
 * migrate: applies the versioned SQL migrations of sql/ (compiled into
 * the binary, so a deployed server needs no source tree).
 *
 * Each sql/NNNN_name.sql file is one migration, applied in one
 * transaction together with its row in schema_migrations; a migration
 * already recorded is skipped, so running migrate again is a no-op. A
 * session advisory lock lets several servers start at once. A recorded
 * migration whose text has changed since (checksum) is an error: edit a
 * schema by adding a migration, never by changing one.
 */
#ifndef SERVER_MIGRATE_H
#define SERVER_MIGRATE_H

#include <libpq-fe.h>

typedef struct migration {
	int version;
	const char *name; /* file name */
	const char *sql;
} migration;

/* Generated from sql/ at build time. */
extern const migration migrations[];
extern const int migrations_count;

/*
 * Applies the missing migrations to the database at url. Returns 0 and
 * sets *applied to how many ran, or -1 after logging what failed.
 */
int migrate_run(const char *url, int *applied);

/*
 * The same on a connection inside a transaction the caller opened (and
 * commits or rolls back): billing-migrate creates the schema in the
 * transaction of its load. Returns 0 and sets *applied, or -1.
 */
int migrate_in_tx(PGconn *pg, int *applied);

#endif /* SERVER_MIGRATE_H */
