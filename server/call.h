/*
 * call: what a handler sees of one RPC call.
 *
 * The dispatcher fills a srv_call, opens the transaction of a mutating
 * method, runs the handler and commits or rolls back. A handler reads
 * its request, runs statements with call_query, builds its response with
 * call_new/call_strdup and either returns 0 or returns call_error(...).
 * Everything it allocates, and every PGresult it gets, lives until the
 * reply is sent and is then freed by the dispatcher: a handler frees
 * nothing, and the response may point into query results.
 */
#ifndef SERVER_CALL_H
#define SERVER_CALL_H

#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "../rpc/billing_status.h"
#include "arena.h"
#include "billing_server_dispatch.h"
#include "config.h"
#include "db.h"

#define CALL_MAX_RESULTS 64

typedef struct billing_server_call srv_call;

struct billing_server_call {
	const billing_method *method;
	const char *request_id;
	const Billing__V1__RequestEnvelope *env;
	int64_t start_us;    /* when the server took the call */
	int64_t deadline_us; /* absolute, CLOCK_REALTIME */
	int64_t now_us;      /* the call's "now", whole seconds */
	arena *arena;
	db_conn *db;
	db_pool *pool;         /* for work beside the call's transaction */
	const srv_config *cfg; /* the server's settings */
	billing_status status;
	PGresult *results[CALL_MAX_RESULTS];
	int n_results;
};

/* Allocates a zeroed object (NULL only when the call's memory is spent). */
void *call_alloc(srv_call *call, size_t size);
char *call_strdup(srv_call *call, const char *s);

/* Allocates and initializes a protobuf-c message: call_new(call, x, X). */
#define call_new(call, lower, UPPER) \
	call_new_msg((call), sizeof(UPPER), &lower##__descriptor)
void *call_new_msg(
    srv_call *call, size_t size, const ProtobufCMessageDescriptor *desc);

/* Sets the call's status; returns code. reason may be NULL. */
int call_error(srv_call *call, billing_code code, const char *reason,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* RESOURCE_EXHAUSTED: the call's memory is spent; returns the code. */
int call_oom(srv_call *call);

/* INVALID_ARGUMENT naming one field; returns the code. */
int call_invalid(srv_call *call, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A metadata value, or NULL. */
const char *call_meta(const srv_call *call, const char *key);

/*
 * Runs stmt with the call's deadline; the result belongs to the call.
 * Returns 0 or a status code already set on the call.
 */
int call_query(srv_call *call, const db_stmt *stmt, int n_params,
    const char *const *params, PGresult **res);

/* Frees the call's results so far (pointers into them go stale). */
void call_release_results(srv_call *call);

/* Row helpers over a result. */
bool call_isnull(const PGresult *res, int row, int col);
const char *call_text(
    const PGresult *res, int row, int col); /* NULL if null */
int64_t call_int64(const PGresult *res, int row, int col);
bool call_bool(const PGresult *res, int row, int col);

/* Decimal text of v in buf (>= 21 bytes); returns buf. */
const char *call_fmt_int64(char *buf, int64_t v);

#endif /* SERVER_CALL_H */
