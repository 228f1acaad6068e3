/*
 * call.c: see call.h.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../rpc/envelope.h"
#include "call.h"

void *
call_alloc(srv_call *call, size_t size)
{
	return (arena_alloc(call->arena, size));
}

char *
call_strdup(srv_call *call, const char *s)
{
	return (s != NULL ? arena_strndup(call->arena, s, strlen(s)) : NULL);
}

void *
call_new_msg(
    srv_call *call, size_t size, const ProtobufCMessageDescriptor *desc)
{
	ProtobufCMessage *m = arena_alloc(call->arena, size);

	if (m != NULL)
		desc->message_init(m);
	return (m);
}

int
call_error(srv_call *call, billing_code code, const char *reason,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	billing_status_vset(&call->status, code, fmt, ap);
	va_end(ap);
	billing_status_set_reason(&call->status, reason);
	return (code);
}

int
call_oom(srv_call *call)
{
	return (call_error(call, BILLING_RESOURCE_EXHAUSTED, NULL,
	    "out of memory for %s", call->method->full_name));
}

int
call_invalid(srv_call *call, const char *field, const char *fmt, ...)
{
	char desc[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	billing_status_add_violation(&call->status, field, desc);
	billing_status_set_reason(&call->status, "INVALID_FIELD");
	return (billing_status_set(&call->status, BILLING_INVALID_ARGUMENT,
	    "invalid %s: %s", field, desc));
}

const char *
call_meta(const srv_call *call, const char *key)
{
	return (rpc_request_meta(call->env, key));
}

int
call_query(srv_call *call, const db_stmt *stmt, int n_params,
    const char *const *params, PGresult **res)
{
	int rv;

	if (call->n_results == CALL_MAX_RESULTS)
		return (call_error(call, BILLING_INTERNAL, NULL,
		    "more than %d statements in one call", CALL_MAX_RESULTS));
	rv = db_exec(call->db, stmt, n_params, params, call->deadline_us, res,
	    &call->status);
	if (rv == 0)
		call->results[call->n_results++] = *res;
	return (rv);
}

void
call_release_results(srv_call *call)
{
	for (int i = 0; i < call->n_results; i++)
		PQclear(call->results[i]);
	call->n_results = 0;
}

bool
call_isnull(const PGresult *res, int row, int col)
{
	return (PQgetisnull(res, row, col) != 0);
}

const char *
call_text(const PGresult *res, int row, int col)
{
	return (PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col));
}

int64_t
call_int64(const PGresult *res, int row, int col)
{
	return (strtoll(PQgetvalue(res, row, col), NULL, 10));
}

bool
call_bool(const PGresult *res, int row, int col)
{
	return (PQgetvalue(res, row, col)[0] == 't');
}

const char *
call_fmt_int64(char *buf, int64_t v)
{
	snprintf(buf, 21, "%" PRId64, v);
	return (buf);
}
