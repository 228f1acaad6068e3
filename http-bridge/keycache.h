/*
 * keycache: API keys the RPC server accepted recently, so that a client
 * sending the same key again is not checked by an Authenticate call on
 * every request. Only acceptances are kept, for ttl_s seconds: a key
 * revoked with `billctl api-keys revoke` stops working within ttl_s. A
 * ttl_s of 0 turns the cache off. Bounded: a fixed number of slots, a
 * newer key replacing an older one in its slot.
 */
#ifndef BRIDGE_KEYCACHE_H
#define BRIDGE_KEYCACHE_H

#include <stdbool.h>
#include <stdint.h>

/* Longer keys are not cached (they are still checked by the server). */
#define KEYCACHE_KEY_MAX 128
#define KEYCACHE_SLOTS 1024

typedef struct keycache keycache;

int keycache_init(keycache **out, unsigned ttl_s);
void keycache_fini(keycache *kc);

/*
 * True when key was accepted less than ttl_s seconds ago; its ApiKey id
 * into *id (the canary routes by it).
 */
bool keycache_check(keycache *kc, const char *key, int64_t *id);

/* Records that the server accepted key, of ApiKey id, now. */
void keycache_put(keycache *kc, const char *key, int64_t id);

#endif /* BRIDGE_KEYCACHE_H */
