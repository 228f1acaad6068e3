/*
 * envelope: the RequestEnvelope/ReplyEnvelope rules both sides share:
 * limits on the envelope's own fields, metadata keys, method lookup and
 * the mapping between a reply and a billing_status.
 */
#ifndef RPC_ENVELOPE_H
#define RPC_ENVELOPE_H

#include "billing_methods.h"
#include "billing_status.h"

/* Metadata keys (lower case, as in gRPC). */
#define RPC_META_IDEMPOTENCY_KEY "idempotency-key"
#define RPC_META_NOW "x-billing-now"
#define RPC_META_CALLER "x-caller"

#define RPC_MAX_METHOD_BYTES 128
#define RPC_MAX_REQUEST_ID_BYTES 128
#define RPC_MAX_METADATA 32
#define RPC_MAX_METADATA_KEY_BYTES 64
#define RPC_MAX_METADATA_VALUE_BYTES 1024
#define RPC_MAX_DETAILS 32

/* The method named full_name ("/billing.v1.Plans/Get"), or NULL. */
const billing_method *rpc_method_find(const char *full_name);

/*
 * Checks the envelope's own fields against the limits above: 0, or
 * INVALID_ARGUMENT. An unknown method is not checked here.
 */
int rpc_request_validate(
    const Billing__V1__RequestEnvelope *env, billing_status *st);

/* The value of metadata key in env, or NULL. */
const char *rpc_request_meta(
    const Billing__V1__RequestEnvelope *env, const char *key);

/*
 * Copies a reply's code, message, reason and details into st (which
 * must be initialized). Returns the code.
 */
int rpc_status_from_reply(
    const Billing__V1__ReplyEnvelope *r, billing_status *st);

#endif /* RPC_ENVELOPE_H */
