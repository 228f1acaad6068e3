/*
 * idempotency.c: see idempotency.h.
 */
#include <stdlib.h>
#include <string.h>

#include "../rpc/codec.h"
#include "idempotency.h"

/* An expired key is free again. */
static const db_stmt DROP_EXPIRED = { "idem_drop_expired",
	"DELETE FROM idempotency_keys WHERE key = $1 AND expires_at < now()" };

/* Waits for a concurrent holder of the key to finish (unique index). */
static const db_stmt CLAIM = { "idem_claim",
	"INSERT INTO idempotency_keys (key, method, request_hash, expires_at)"
	" VALUES ($1, $2, sha256(decode($3, 'hex')),"
	" now() + interval '" IDEM_TTL "')"
	" ON CONFLICT (key) DO NOTHING RETURNING 1" };

static const db_stmt LOOKUP = { "idem_lookup",
	"SELECT method = $2 AND request_hash = sha256(decode($3, 'hex')),"
	" encode(response, 'hex') FROM idempotency_keys WHERE key = $1" };

static const db_stmt STORE = { "idem_store",
	"UPDATE idempotency_keys SET response = decode($2, 'hex')"
	" WHERE key = $1" };

static const db_stmt PURGE = { "idem_purge",
	"DELETE FROM idempotency_keys WHERE expires_at < now()" };

static char *
to_hex(srv_call *call, const uint8_t *b, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char *s = call_alloc(call, 2 * n + 1);

	if (s == NULL)
		return (NULL);
	for (size_t i = 0; i < n; i++) {
		s[2 * i] = digits[b[i] >> 4];
		s[2 * i + 1] = digits[b[i] & 15];
	}
	s[2 * n] = '\0';
	return (s);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	return (-1);
}

/* The stored response, decoded into the call's memory. */
static int
replay_of(srv_call *call, const char *hex, ProtobufCMessage **out)
{
	size_t n = strlen(hex) / 2;
	uint8_t *b = call_alloc(call, n > 0 ? n : 1);

	if (b == NULL)
		return (call_oom(call));
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return (call_error(call, BILLING_INTERNAL, NULL,
			    "stored idempotent response is not hex"));
		b[i] = (uint8_t) (hi << 4 | lo);
	}
	return (rpc_unpack(call->method->output, b, n, RPC_MAX_MESSAGE_BYTES,
	    &call->arena->pb, "stored response", out, &call->status));
}

int
idem_claim(srv_call *call, const char *key, ProtobufCMessage **replay)
{
	const ProtobufCBinaryData *pl = &call->env->payload;
	const char *p[3];
	PGresult *res;
	int rv;

	*replay = NULL;
	if (strlen(key) > IDEM_MAX_KEY_BYTES)
		return (call_invalid(call, "idempotency-key",
		    "longer than %d bytes", IDEM_MAX_KEY_BYTES));
	p[0] = key;
	p[1] = call->method->full_name;
	if ((p[2] = to_hex(call, call->env->has_payload ? pl->data : NULL,
	         call->env->has_payload ? pl->len : 0)) == NULL)
		return (call_oom(call));
	if ((rv = call_query(call, &DROP_EXPIRED, 1, p, &res)) != 0 ||
	    (rv = call_query(call, &CLAIM, 3, p, &res)) != 0)
		return (rv);
	if (PQntuples(res) == 1)
		return (0);
	if ((rv = call_query(call, &LOOKUP, 3, p, &res)) != 0)
		return (rv);
	if (PQntuples(res) == 0 || call_isnull(res, 0, 1))
		return (call_error(call, BILLING_ABORTED, NULL,
		    "idempotency key %s changed hands; retry", key));
	if (!call_bool(res, 0, 0))
		return (call_error(call, BILLING_INVALID_ARGUMENT,
		    "IDEMPOTENCY_KEY_REUSED",
		    "idempotency key %s was used for a different request",
		    key));
	return (replay_of(call, PQgetvalue(res, 0, 1), replay));
}

int
idem_store(srv_call *call, const char *key, const ProtobufCMessage *resp)
{
	size_t n = protobuf_c_message_get_packed_size(resp);
	uint8_t *b = call_alloc(call, n > 0 ? n : 1);
	const char *p[2];
	PGresult *res;

	if (b == NULL)
		return (call_oom(call));
	protobuf_c_message_pack(resp, b);
	p[0] = key;
	if ((p[1] = to_hex(call, b, n)) == NULL)
		return (call_oom(call));
	return (call_query(call, &STORE, 2, p, &res));
}

int
idem_purge(srv_call *call, int64_t *deleted)
{
	PGresult *res;
	int rv;

	if ((rv = call_query(call, &PURGE, 0, NULL, &res)) != 0)
		return (rv);
	*deleted = strtoll(PQcmdTuples(res), NULL, 10);
	return (0);
}
