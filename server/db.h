/*
 * db: the server's PostgreSQL connections.
 *
 * A db_conn is used by one worker at a time (taken from the db_pool for
 * a call), so it needs no locking of its own. Statements are
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

#include <pthread.h>
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

/*
 * db_pool: the server's connections, one per worker. A worker takes one
 * for each call and gives it back after. The pool is a stack, so it hands
 * out the most recently used connection: nng gives each request to the
 * worker that has waited longest, and with a fixed connection per worker
 * every call would land on the coldest PostgreSQL backend; from the
 * stack, a lightly loaded server keeps using the same warm few (measured
 * with bench_rpc: PostgreSQL CPU per Plans.Get fell from 58-71 us to
 * 45-54 us). A connection is still used by one worker at a time, and
 * keeps its prepared statements.
 */
typedef struct db_pool {
	pthread_mutex_t mtx;
	db_conn *conns; /* n of them */
	db_conn **free; /* stack of idle connections, top at n_free - 1 */
	int n, n_free;
} db_pool;

/* n connections to url (made lazily). Returns 0 or ENOMEM. */
int db_pool_init(db_pool *pool, const char *url, int n);
void db_pool_fini(db_pool *pool);

/* Never NULL while at most n callers hold a connection. */
db_conn *db_pool_take(db_pool *pool);
void db_pool_give(db_pool *pool, db_conn *conn);

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

/*
 * Every transaction of the server. The checks that read after a lock
 * (duplicate payments, paid sums, the run's re-reads) need a fresh
 * snapshot per statement, so the level is said, not assumed from the
 * database's default.
 */
#define DB_BEGIN "BEGIN ISOLATION LEVEL READ COMMITTED"

/*
 * COMMIT and ROLLBACK get this long whatever the caller's deadline: a
 * COMMIT cancelled at a deadline may have committed anyway, and a
 * ROLLBACK must leave the connection idle for its next user.
 */
#define DB_END_GRACE_US 5000000

/* CLOCK_REALTIME in microseconds. */
int64_t db_now_us(void);

#endif /* SERVER_DB_H */
