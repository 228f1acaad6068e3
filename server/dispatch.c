/*
 * dispatch.c: see dispatch.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../rpc/codec.h"
#include "../rpc/envelope.h"
#include "../rules/caltime.h"
#include "../util/log.h"
#include "call.h"
#include "dispatch.h"
#include "idempotency.h"

/* What one call may allocate: the request and the response with room. */
#define ARENA_LIMIT (RPC_MAX_MESSAGE_BYTES * 8)

void
dispatch_worker_init(dispatch_worker *w, int id, db_pool *pool,
    const billing_server_impl *impl, const srv_config *cfg)
{
	memset(w, 0, sizeof(*w));
	w->id = id;
	w->pool = pool;
	w->impl = impl;
	w->cfg = cfg;
	arena_init(&w->arena, ARENA_LIMIT);
}

void
dispatch_worker_fini(dispatch_worker *w)
{
	arena_fini(&w->arena);
}

/* Runs the handler once, inside a transaction when the method mutates. */
static int
run_once(dispatch_worker *w, srv_call *call, const ProtobufCMessage *req,
    ProtobufCMessage **resp)
{
	const billing_method *m = call->method;
	const char *key =
	    m->read_only ? NULL : call_meta(call, RPC_META_IDEMPOTENCY_KEY);
	int rv;

	rv = db_ensure(call->db, &call->status);
	if (rv != 0 && !m->read_only)
		return (rv);
	billing_status_fini(&call->status);
	if (!m->read_only &&
	    (rv = db_command(
	         call->db, DB_BEGIN, call->deadline_us, &call->status)) != 0)
		return (rv);

	rv = 0;
	if (key != NULL && key[0] != '\0')
		rv = idem_claim(call, key, resp);
	else
		key = NULL;
	/* With a replayed response, nothing runs. */
	if (rv == 0 && *resp == NULL) {
		rv = billing_invokers[m->id](w->impl, call, req, resp);
		if (rv == 0 && *resp != NULL && key != NULL)
			rv = idem_store(call, key, *resp);
	}
	if (rv == BILLING_DISPATCH_UNBOUND)
		rv = call_error(call, BILLING_UNIMPLEMENTED, NULL,
		    "%s is not implemented by this server", m->full_name);
	else if (rv == 0 && *resp == NULL)
		rv = call_error(call, BILLING_INTERNAL, NULL,
		    "%s returned no response", m->full_name);
	else if (rv != 0 && call->status.code == BILLING_OK)
		rv = call_error(
		    call, (billing_code) rv, NULL, "%s failed", m->full_name);

	if (m->read_only || call->db->pg == NULL)
		return (rv);
	if (rv == 0)
		return (db_command(call->db, "COMMIT",
		    db_now_us() + DB_END_GRACE_US, &call->status));
	/* The handler's status is the answer; a failed ROLLBACK drops it. */
	{
		billing_status ignore = BILLING_STATUS_INIT;

		db_command(call->db, "ROLLBACK", db_now_us() + DB_END_GRACE_US,
		    &ignore);
		billing_status_fini(&ignore);
	}
	return (rv);
}

static int
run(dispatch_worker *w, srv_call *call, const ProtobufCMessage *req,
    ProtobufCMessage **resp)
{
	int rv = 0;

	for (int attempt = 1; attempt <= DISPATCH_MAX_ATTEMPTS; attempt++) {
		*resp = NULL;
		rv = run_once(w, call, req, resp);
		if (rv != BILLING_ABORTED || call->method->read_only ||
		    db_now_us() >= call->deadline_us)
			break;
		/* Lost a conflict: nothing was written, run it again. */
		call_release_results(call);
		billing_status_fini(&call->status);
	}
	return (rv);
}

/* x-billing-now replaces the call's now when valid; else it is ignored. */
static void
test_clock_now(srv_call *call)
{
	const char *v = call_meta(call, RPC_META_NOW);
	cal_wall w;

	if (v != NULL && cal_wall_parse(v, &w))
		call->now_us = cal_from_wall(&w);
}

/* Decodes envelope and request into the call; a status code on failure. */
static int
decode(dispatch_worker *w, srv_call *call, const uint8_t *buf, size_t len,
    ProtobufCMessage **req)
{
	Billing__V1__RequestEnvelope *env;
	int rv;

	rv = rpc_unpack(&billing__v1__request_envelope__descriptor, buf, len,
	    RPC_MAX_MESSAGE_BYTES, &w->arena.pb, "request envelope",
	    (ProtobufCMessage **) &env, &call->status);
	if (rv != 0)
		return (rv);
	call->env = env;
	call->request_id = env->request_id;
	if ((rv = rpc_request_validate(env, &call->status)) != 0)
		return (rv);
	if ((call->method = rpc_method_find(env->method)) == NULL)
		return (call_error(call, BILLING_UNIMPLEMENTED,
		    "UNKNOWN_METHOD", "unknown method %s", env->method));

	if (env->has_deadline_us && env->deadline_us > 0) {
		if (env->deadline_us <= call->start_us)
			return (
			    call_error(call, BILLING_DEADLINE_EXCEEDED, NULL,
			        "the deadline passed %" PRId64
			        " us before the server took the call",
			        call->start_us - env->deadline_us));
		call->deadline_us = env->deadline_us;
	}
	if (call->deadline_us >
	    call->start_us + (int64_t) w->cfg->max_timeout_ms * 1000)
		call->deadline_us =
		    call->start_us + (int64_t) w->cfg->max_timeout_ms * 1000;
	if (w->cfg->test_clock)
		test_clock_now(call);

	return (rpc_unpack(call->method->input, env->payload.data,
	    env->payload.len, RPC_MAX_MESSAGE_BYTES, &w->arena.pb, "request",
	    req, &call->status));
}

/* Packs the reply: the status, and the response when OK. */
static nng_msg *
encode(dispatch_worker *w, srv_call *call, const ProtobufCMessage *resp)
{
	Billing__V1__ReplyEnvelope r = BILLING__V1__REPLY_ENVELOPE__INIT;
	Billing__V1__FieldViolation fv[RPC_MAX_DETAILS];
	Billing__V1__FieldViolation *fvp[RPC_MAX_DETAILS];
	billing_status *st = &call->status;
	nng_msg *msg = NULL;

	if (st->code == BILLING_OK && resp != NULL) {
		size_t n = protobuf_c_message_get_packed_size(resp);
		uint8_t *buf = n <= RPC_MAX_MESSAGE_BYTES - 4096
		    ? arena_alloc(&w->arena, n > 0 ? n : 1)
		    : NULL;

		if (buf == NULL)
			billing_status_set(st, BILLING_RESOURCE_EXHAUSTED,
			    "the response (%zu bytes) exceeds the message "
			    "limit; ask for a smaller page",
			    n);
		else {
			protobuf_c_message_pack(resp, buf);
			r.has_payload = 1;
			r.payload.data = buf;
			r.payload.len = n;
		}
	}
	r.request_id = (char *) call->request_id;
	r.has_code = 1;
	r.code = (Billing__V1__StatusCode) st->code;
	if (st->code != BILLING_OK) {
		r.has_payload = 0;
		r.message = st->message;
		r.reason = st->reason;
		for (size_t i = 0; i < st->n_details && i < RPC_MAX_DETAILS;
		     i++) {
			billing__v1__field_violation__init(&fv[i]);
			fv[i].field = st->details[i].field;
			fv[i].description = st->details[i].description;
			fvp[i] = &fv[i];
			r.n_details++;
		}
		r.details = fvp;
	}
	if (rpc_pack_msg(&r.base, RPC_RECV_LIMIT_BYTES, &msg, st) != 0)
		return (NULL);
	return (msg);
}

static void
log_call(const dispatch_worker *w, const srv_call *call)
{
	const billing_status *st = &call->status;
	char rid[160], err[600];
	int64_t us = db_now_us() - call->start_us;
	const char *method = call->method != NULL ? call->method->full_name
	    : call->env != NULL && call->env->method != NULL
	    ? call->env->method
	    : "-";

	/* Calls are logged at info; skip the formatting when that is off. */
	if (!log_enabled(st->code == BILLING_INTERNAL ? LOG_ERROR : LOG_INFO))
		return;
	log_quote(rid, sizeof(rid), call->request_id);
	if (st->code == BILLING_OK)
		log_printf(LOG_INFO,
		    "method=%s status=OK duration_us=%" PRId64
		    " request_id=%s worker=%d",
		    method, us, rid, w->id);
	else
		log_printf(st->code == BILLING_INTERNAL ? LOG_ERROR : LOG_INFO,
		    "method=%s status=%s duration_us=%" PRId64
		    " request_id=%s worker=%d error=%s",
		    method, billing_code_name(st->code), us, rid, w->id,
		    log_quote(err, sizeof(err), st->message));
}

nng_msg *
dispatch_frame(dispatch_worker *w, const uint8_t *buf, size_t len)
{
	srv_call call;
	ProtobufCMessage *req = NULL, *resp = NULL;
	nng_msg *reply;

	memset(&call, 0, sizeof(call));
	call.arena = &w->arena;
	call.db = db_pool_take(w->pool);
	call.pool = w->pool;
	call.cfg = w->cfg;
	call.start_us = db_now_us();
	call.now_us = call.start_us - call.start_us % US_PER_SEC;
	call.deadline_us =
	    call.start_us + (int64_t) w->cfg->default_timeout_ms * 1000;

	if (decode(w, &call, buf, len, &req) == 0)
		run(w, &call, req, &resp);
	reply = encode(w, &call, resp);
	log_call(w, &call);
	if (w->metrics != NULL)
		srv_metrics_call(w->metrics, call.method, call.status.code,
		    db_now_us() - call.start_us);

	call_release_results(&call);
	db_pool_give(w->pool, call.db);
	billing_status_fini(&call.status);
	arena_reset(&w->arena);
	return (reply);
}
