/*
 * libFuzzer target: the server's decoding of a request frame, exactly as
 * server/dispatch.c does it: bounded unpack of the envelope into an
 * arena, envelope validation, method lookup, bounded unpack of the
 * payload with the method's input type. Any crash, leak or sanitizer
 * report is a bug; rejecting the input is fine.
 */
#include <stddef.h>
#include <stdint.h>

#include "../../rpc/codec.h"
#include "../../rpc/envelope.h"
#include "../../server/arena.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static arena a;
	static int ready;
	billing_status st = BILLING_STATUS_INIT;
	Billing__V1__RequestEnvelope *env = NULL;
	ProtobufCMessage *req = NULL;
	const billing_method *m;

	if (!ready) {
		arena_init(&a, RPC_MAX_MESSAGE_BYTES * 8);
		ready = 1;
	}
	if (rpc_unpack(&billing__v1__request_envelope__descriptor, data, size,
	        RPC_MAX_MESSAGE_BYTES, &a.pb, "request envelope",
	        (ProtobufCMessage **) &env, &st) == 0 &&
	    rpc_request_validate(env, &st) == 0 &&
	    (m = rpc_method_find(env->method)) != NULL)
		rpc_unpack(m->input, env->payload.data, env->payload.len,
		    RPC_MAX_MESSAGE_BYTES, &a.pb, "request", &req, &st);
	billing_status_fini(&st);
	arena_reset(&a);
	return (0);
}
