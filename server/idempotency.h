/*
 * idempotency: the idempotency-key metadata of mutating calls.
 *
 * The first call with a key inserts the key in its own transaction and,
 * when it succeeds, stores its response there too; so the key exists
 * exactly when the call's effects do. A second call with the same key
 * blocks on the key's primary key while the first is in flight, then
 * either finds the stored response (the first committed) or claims the
 * key itself (the first failed and wrote nothing). A failed call stores
 * nothing: its retry runs again. Keys live IDEM_TTL, then a background
 * job purges them.
 */
#ifndef SERVER_IDEMPOTENCY_H
#define SERVER_IDEMPOTENCY_H

#include "call.h"

#define IDEM_MAX_KEY_BYTES 255
#define IDEM_TTL "24 hours"

/*
 * Claims key for the call (inside its transaction). Returns 0 with
 * *replay NULL when the call should run, 0 with *replay set to the first
 * call's response, or a status code set on the call: INVALID_ARGUMENT
 * (reason IDEMPOTENCY_KEY_REUSED) when the key was used for another
 * method or request.
 */
int idem_claim(srv_call *call, const char *key, ProtobufCMessage **replay);

/* Stores resp as the response of the key claimed by this call. */
int idem_store(srv_call *call, const char *key, const ProtobufCMessage *resp);

/* Deletes expired keys; returns 0 or a status code set on the call. */
int idem_purge(srv_call *call, int64_t *deleted);

#endif /* SERVER_IDEMPOTENCY_H */
