/*
 * db.c: see db.h.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../util/log.h"
#include "db.h"

#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 1000

int64_t
db_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

int
db_init(db_conn *conn, const char *url)
{
	memset(conn, 0, sizeof(*conn));
	if ((conn->url = strdup(url)) == NULL)
		return (ENOMEM);
	conn->backoff_ms = BACKOFF_MIN_MS;
	return (0);
}

static void
drop(db_conn *conn)
{
	if (conn->pg != NULL)
		PQfinish(conn->pg);
	conn->pg = NULL;
	conn->n_prepared = 0;
}

void
db_fini(db_conn *conn)
{
	drop(conn);
	free(conn->url);
	conn->url = NULL;
}

int
db_pool_init(db_pool *pool, const char *url, int n)
{
	memset(pool, 0, sizeof(*pool));
	pthread_mutex_init(&pool->mtx, NULL);
	pool->conns = calloc((size_t) n, sizeof(*pool->conns));
	pool->free = calloc((size_t) n, sizeof(*pool->free));
	if (pool->conns == NULL || pool->free == NULL) {
		db_pool_fini(pool);
		return (ENOMEM);
	}
	for (int i = 0; i < n; i++) {
		if (db_init(&pool->conns[i], url) != 0) {
			db_pool_fini(pool);
			return (ENOMEM);
		}
		pool->n++;
	}
	/* The first connection on top, so a quiet server uses only it. */
	for (int i = n - 1; i >= 0; i--)
		pool->free[pool->n_free++] = &pool->conns[i];
	return (0);
}

void
db_pool_fini(db_pool *pool)
{
	for (int i = 0; i < pool->n; i++)
		db_fini(&pool->conns[i]);
	free(pool->conns);
	free(pool->free);
	pthread_mutex_destroy(&pool->mtx);
	memset(pool, 0, sizeof(*pool));
}

db_conn *
db_pool_take(db_pool *pool)
{
	db_conn *c = NULL;

	pthread_mutex_lock(&pool->mtx);
	if (pool->n_free > 0)
		c = pool->free[--pool->n_free];
	pthread_mutex_unlock(&pool->mtx);
	return (c);
}

void
db_pool_give(db_pool *pool, db_conn *conn)
{
	pthread_mutex_lock(&pool->mtx);
	pool->free[pool->n_free++] = conn;
	pthread_mutex_unlock(&pool->mtx);
}

static void
notice_quiet(void *arg, const PGresult *res)
{
	/* Notices (e.g. "there is no transaction in progress") are noise. */
	(void) arg;
	(void) res;
}

static int
connect_now(db_conn *conn, billing_status *st)
{
	char msg[512];
	char q[600];

	/*
	 * Our defaults come first so that the URL's own settings win; the
	 * connect timeout keeps a worker from hanging on an unreachable
	 * host for the kernel's TCP timeout.
	 */
	static const char *const keys[] = { "connect_timeout",
		"application_name", "dbname", NULL };
	const char *values[] = { "5", "billing-server", conn->url, NULL };

	conn->pg = PQconnectdbParams(keys, values, 1);
	if (PQstatus(conn->pg) == CONNECTION_OK) {
		PQsetNoticeReceiver(conn->pg, notice_quiet, NULL);
		if (conn->reported_down)
			log_printf(
			    LOG_INFO, "msg=\"database reachable again\"");
		conn->reported_down = false;
		conn->backoff_ms = BACKOFF_MIN_MS;
		return (0);
	}
	snprintf(msg, sizeof(msg), "%s", PQerrorMessage(conn->pg));
	msg[strcspn(msg, "\n")] = '\0';
	drop(conn);
	if (!conn->reported_down)
		log_printf(LOG_ERROR, "msg=\"database unreachable\" error=%s",
		    log_quote(q, sizeof(q), msg));
	conn->reported_down = true;
	conn->retry_at_ms = mono_ms() + conn->backoff_ms;
	conn->backoff_ms = conn->backoff_ms * 2 > BACKOFF_MAX_MS
	    ? BACKOFF_MAX_MS
	    : conn->backoff_ms * 2;
	return (billing_status_set(
	    st, BILLING_UNAVAILABLE, "database unreachable: %s", msg));
}

int
db_ensure(db_conn *conn, billing_status *st)
{
	if (conn->pg != NULL) {
		struct pollfd p = { PQsocket(conn->pg), POLLIN, 0 };

		/*
		 * An idle connection has nothing to read unless the server
		 * said goodbye (shutdown, restart, terminated backend).
		 */
		if (poll(&p, 1, 0) > 0)
			PQconsumeInput(conn->pg);
		if (PQstatus(conn->pg) == CONNECTION_OK)
			return (0);
		drop(conn);
	}
	if (mono_ms() < conn->retry_at_ms)
		return (billing_status_set(st, BILLING_UNAVAILABLE,
		    "database unreachable; retrying shortly"));
	return (connect_now(conn, st));
}

const char *
db_sqlstate(const PGresult *res)
{
	const char *s =
	    res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	return (s != NULL ? s : "");
}

static bool
is_prepared(const db_conn *conn, const db_stmt *stmt)
{
	for (int i = 0; i < conn->n_prepared; i++)
		if (conn->prepared[i] == stmt)
			return (true);
	return (false);
}

/*
 * Waits for the result of the query just sent. On the deadline, asks the
 * server to cancel it and waits for the (error) result that follows.
 */
static PGresult *
wait_result(db_conn *conn, int64_t deadline_us, bool *timed_out)
{
	PGresult *res = NULL, *r;

	*timed_out = false;
	while (PQisBusy(conn->pg)) {
		int64_t left_ms = (deadline_us - db_now_us() + 999) / 1000;
		struct pollfd p = { PQsocket(conn->pg), POLLIN, 0 };

		if (left_ms <= 0) {
			PGcancel *c = PQgetCancel(conn->pg);
			char err[256];

			if (c != NULL) {
				PQcancel(c, err, sizeof(err));
				PQfreeCancel(c);
			}
			*timed_out = true;
			break;
		}
		if (poll(&p, 1, left_ms > 60000 ? 60000 : (int) left_ms) < 0 &&
		    errno != EINTR)
			break;
		if (!PQconsumeInput(conn->pg))
			break;
	}
	/* Drain; keep the first error, else the last result. */
	while ((r = PQgetResult(conn->pg)) != NULL) {
		if (res != NULL && PQresultStatus(res) == PGRES_FATAL_ERROR) {
			PQclear(r);
			continue;
		}
		PQclear(res);
		res = r;
	}
	return (res);
}

/* Maps a failed result (or a lost connection) to a status. */
static int
fail(db_conn *conn, PGresult *res, bool timed_out, const char *what,
    billing_status *st)
{
	const char *state = db_sqlstate(res);
	char msg[512];
	int code;

	snprintf(msg, sizeof(msg), "%s",
	    res != NULL && PQresultErrorMessage(res)[0] != '\0'
	        ? PQresultErrorMessage(res)
	        : PQerrorMessage(conn->pg));
	msg[strcspn(msg, "\n")] = '\0';
	if (PQstatus(conn->pg) != CONNECTION_OK) {
		drop(conn);
		code = billing_status_set(st, BILLING_UNAVAILABLE,
		    "database connection lost during %s: %s", what, msg);
	} else if (timed_out || strcmp(state, "57014") == 0)
		code = billing_status_set(st, BILLING_DEADLINE_EXCEEDED,
		    "deadline exceeded during %s", what);
	else if (strcmp(state, "23505") == 0)
		code =
		    billing_status_set(st, BILLING_ALREADY_EXISTS, "%s", msg);
	else if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
		code = billing_status_set(st, BILLING_ABORTED,
		    "concurrent update conflict during %s: %s", what, msg);
	else if (strncmp(state, "23", 2) == 0)
		code = billing_status_set(
		    st, BILLING_FAILED_PRECONDITION, "%s: %s", what, msg);
	else if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0)
		code = billing_status_set(st, BILLING_UNAVAILABLE,
		    "database unavailable during %s: %s", what, msg);
	else {
		char q[600];

		log_printf(LOG_ERROR,
		    "msg=\"statement failed\" statement=%s sqlstate=%s "
		    "error=%s",
		    what, state[0] ? state : "-",
		    log_quote(q, sizeof(q), msg));
		code = billing_status_set(
		    st, BILLING_INTERNAL, "internal error in %s", what);
	}
	PQclear(res);
	return (code);
}

static bool
result_ok(const PGresult *res)
{
	ExecStatusType s = PQresultStatus(res);

	return (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK);
}

/*
 * Completes a statement just sent (sent false: the send failed): waits
 * for its result before the deadline and maps a failure to a status.
 * On success *out holds the result (the caller clears it).
 */
static int
await_result(db_conn *conn, bool sent, int64_t deadline_us, const char *what,
    PGresult **out, billing_status *st)
{
	PGresult *res;
	bool timed_out;

	if (!sent)
		return (fail(conn, NULL, false, what, st));
	res = wait_result(conn, deadline_us, &timed_out);
	if (timed_out || res == NULL || !result_ok(res))
		return (fail(conn, res, timed_out, what, st));
	*out = res;
	return (0);
}

static int
prepare(db_conn *conn, const db_stmt *stmt, int64_t deadline_us,
    billing_status *st)
{
	PGresult *res = NULL;
	int rv;

	if (conn->n_prepared == DB_MAX_PREPARED)
		return (billing_status_set(st, BILLING_INTERNAL,
		    "more than %d prepared statements", DB_MAX_PREPARED));
	rv = await_result(conn,
	    PQsendPrepare(conn->pg, stmt->name, stmt->sql, 0, NULL) != 0,
	    deadline_us, stmt->name, &res, st);
	if (rv != 0)
		return (rv);
	PQclear(res);
	conn->prepared[conn->n_prepared++] = stmt;
	return (0);
}

int
db_exec(db_conn *conn, const db_stmt *stmt, int n_params,
    const char *const *params, int64_t deadline_us, PGresult **out,
    billing_status *st)
{
	int rv;

	if (conn->pg == NULL && (rv = db_ensure(conn, st)) != 0)
		return (rv);
	if (!is_prepared(conn, stmt) &&
	    (rv = prepare(conn, stmt, deadline_us, st)) != 0)
		return (rv);
	return (await_result(conn,
	    PQsendQueryPrepared(
	        conn->pg, stmt->name, n_params, params, NULL, NULL, 0) != 0,
	    deadline_us, stmt->name, out, st));
}

int
db_command(
    db_conn *conn, const char *sql, int64_t deadline_us, billing_status *st)
{
	PGresult *res = NULL;
	int rv;

	if (conn->pg == NULL && (rv = db_ensure(conn, st)) != 0)
		return (rv);
	rv = await_result(
	    conn, PQsendQuery(conn->pg, sql) != 0, deadline_us, sql, &res, st);
	if (rv == 0)
		PQclear(res);
	return (rv);
}
