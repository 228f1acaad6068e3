/*
 * migrate.c: see migrate.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "../util/log.h"
#include "migrate.h"

/* Key of the advisory lock held while migrating (any fixed number). */
#define MIGRATE_LOCK_KEY "7294573629"

/* FNV-1a 64: detects a changed migration file, no security claim. */
static void
checksum(const char *s, char out[17])
{
	uint64_t h = 1469598103934665603ULL;

	for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
		h ^= *p;
		h *= 1099511628211ULL;
	}
	snprintf(out, 17, "%016" PRIx64, h);
}

static int
exec_ok(PGconn *pg, const char *sql, const char *what)
{
	PGresult *res = PQexec(pg, sql);
	ExecStatusType st = PQresultStatus(res);
	char q[600];

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		PQclear(res);
		return (0);
	}
	log_printf(LOG_ERROR, "msg=\"migration failed\" step=%s error=%s",
	    what, log_quote(q, sizeof(q), PQresultErrorMessage(res)));
	PQclear(res);
	return (-1);
}

/* 1: applied with the same text, 0: not applied, -1: error or changed. */
static int
recorded(PGconn *pg, const migration *m, const char *sum)
{
	char v[16];
	const char *p[1] = { v };
	PGresult *res;
	int rv;

	snprintf(v, sizeof(v), "%d", m->version);
	res = PQexecParams(pg,
	    "SELECT checksum FROM schema_migrations WHERE version = $1", 1,
	    NULL, p, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		rv = -1;
	else if (PQntuples(res) == 0)
		rv = 0;
	else if (strcmp(PQgetvalue(res, 0, 0), sum) != 0) {
		log_printf(LOG_ERROR,
		    "msg=\"migration changed after it was applied\" "
		    "version=%d file=%s",
		    m->version, m->name);
		rv = -1;
	} else
		rv = 1;
	PQclear(res);
	return (rv);
}

/* Applies m; in its own transaction unless the caller has one open. */
static int
apply(PGconn *pg, const migration *m, const char *sum, int own_tx)
{
	char v[16];
	const char *p[3] = { v, m->name, sum };
	PGresult *res;

	snprintf(v, sizeof(v), "%d", m->version);
	if (own_tx && exec_ok(pg, "BEGIN", "BEGIN") != 0)
		return (-1);
	if (exec_ok(pg, m->sql, m->name) != 0) {
		if (own_tx)
			exec_ok(pg, "ROLLBACK", "ROLLBACK");
		return (-1);
	}
	res = PQexecParams(pg,
	    "INSERT INTO schema_migrations (version, name, checksum)"
	    " VALUES ($1, $2, $3)",
	    3, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		log_printf(LOG_ERROR,
		    "msg=\"cannot record migration\" file=%s", m->name);
		PQclear(res);
		if (own_tx)
			exec_ok(pg, "ROLLBACK", "ROLLBACK");
		return (-1);
	}
	PQclear(res);
	if (own_tx && exec_ok(pg, "COMMIT", "COMMIT") != 0)
		return (-1);
	log_printf(LOG_INFO, "msg=\"migration applied\" version=%d file=%s",
	    m->version, m->name);
	return (0);
}

#define SCHEMA_MIGRATIONS_DDL                            \
	"CREATE TABLE IF NOT EXISTS schema_migrations (" \
	" version integer PRIMARY KEY,"                  \
	" name text NOT NULL,"                           \
	" checksum text NOT NULL,"                       \
	" applied_at timestamptz NOT NULL DEFAULT now())"

/* Applies the migrations not yet recorded, each as apply() does. */
static int
apply_missing(PGconn *pg, int own_tx, int *applied)
{
	int rv = 0;

	for (int i = 0; i < migrations_count && rv == 0; i++) {
		const migration *m = &migrations[i];
		char sum[17];
		int r;

		checksum(m->sql, sum);
		if ((r = recorded(pg, m, sum)) < 0)
			rv = -1;
		else if (r == 0) {
			if ((rv = apply(pg, m, sum, own_tx)) == 0)
				(*applied)++;
		}
	}
	return (rv);
}

int
migrate_in_tx(PGconn *pg, int *applied)
{
	*applied = 0;
	if (exec_ok(pg, "SELECT pg_advisory_xact_lock(" MIGRATE_LOCK_KEY ")",
	        "lock") != 0 ||
	    exec_ok(pg, SCHEMA_MIGRATIONS_DDL, "schema_migrations") != 0)
		return (-1);
	return (apply_missing(pg, 0, applied));
}

int
migrate_run(const char *url, int *applied)
{
	PGconn *pg = PQconnectdb(url);
	int rv = 0;

	*applied = 0;
	if (PQstatus(pg) != CONNECTION_OK) {
		char q[600];

		log_printf(LOG_ERROR, "msg=\"database unreachable\" error=%s",
		    log_quote(q, sizeof(q), PQerrorMessage(pg)));
		PQfinish(pg);
		return (-1);
	}
	if (exec_ok(pg, "SET client_min_messages = warning", "settings") !=
	        0 ||
	    exec_ok(pg, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")",
	        "lock") != 0 ||
	    exec_ok(pg, SCHEMA_MIGRATIONS_DDL, "schema_migrations") != 0) {
		PQfinish(pg);
		return (-1);
	}
	rv = apply_missing(pg, 1, applied);
	exec_ok(
	    pg, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")", "unlock");
	PQfinish(pg);
	if (rv == 0)
		log_printf(LOG_INFO,
		    "msg=\"schema up to date\" applied=%d "
		    "known=%d",
		    *applied, migrations_count);
	return (rv);
}
