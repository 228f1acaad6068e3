/*
 * db: one worker's PostgreSQL connection.
 *
 * Each worker owns a db_conn: no locking, no sharing. Statements are
 * static db_stmt values next to the handlers that run them; a connection
 * prepares a statement the first time it runs it and keeps it prepared
 * until the connection is replaced.
 *
 * Every statement runs against a deadline: the connection waits for the
 * result with poll() and, when the deadline passes, cancels the statement
 * on the server (PQcancel) and reports DEADLINE_EXCEEDED. This bounds SQL
 * by the caller's remaining time without a SET statement_timeout round
 * trip per call.
 *
 * A lost connection is reported UNAVAILABLE and replaced on the next use,
 * at most once per backoff interval, so a worker keeps answering (with
 * UNAVAILABLE) while PostgreSQL is down and recovers when it returns.
 */
#ifndef SERVER_DB_H
#define SERVER_DB_H

#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "../rpc/billing_status.h"

#define DB_MAX_PARAMS 32
#define DB_MAX_PREPARED 256

typedef struct db_stmt {
	const char *name; /* unique across the server */
	const char *sql;
} db_stmt;

typedef struct db_conn {
	char *url;
	PGconn *pg;
	const db_stmt *prepared[DB_MAX_PREPARED];
	int n_prepared;
	int64_t retry_at_ms; /* no reconnect attempt before this */
	int backoff_ms;
	bool reported_down; /* "database unreachable" logged */
} db_conn;

/* Prepares conn for url; connects lazily. */
int db_init(db_conn *conn, const char *url);
void db_fini(db_conn *conn);

/*
 * Makes sure the connection is usable: detects a connection the server
 * has closed while idle and reconnects (subject to the backoff). Returns
 * 0 or UNAVAILABLE.
 */
int db_ensure(db_conn *conn, billing_status *st);

/*
 * Runs stmt with text parameters (NULL for SQL NULL) before deadline_us
 * (CLOCK_REALTIME microseconds). Returns 0 with *res set (the caller
 * PQclears it), or a status code: UNAVAILABLE (connection lost),
 * DEADLINE_EXCEEDED, ALREADY_EXISTS (unique violation), ABORTED
 * (serialization failure or deadlock), FAILED_PRECONDITION (check or
 * foreign-key violation), INTERNAL (anything else).
 */
int db_exec(db_conn *conn, const db_stmt *stmt, int n_params,
    const char *const *params, int64_t deadline_us, PGresult **res,
    billing_status *st);

/* Runs a parameterless utility command (BEGIN, COMMIT, ...). */
int db_command(
    db_conn *conn, const char *sql, int64_t deadline_us, billing_status *st);

/* The SQLSTATE of the last failed statement's result, for callers. */
const char *db_sqlstate(const PGresult *res);

/* CLOCK_REALTIME in microseconds. */
int64_t db_now_us(void);

#endif /* SERVER_DB_H */
