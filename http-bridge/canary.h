/*
 * canary: which requests the new system answers in canary mode
 * (docs/rollout.md). Pure: no I/O.
 */
#ifndef BRIDGE_CANARY_H
#define BRIDGE_CANARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CANARY_MAX_KEYS 1000

typedef struct canary {
	int64_t key_ids[CANARY_MAX_KEYS]; /* sorted, for canary_match */
	size_t n_keys;
	int percent; /* 0-100 */
} canary;

/*
 * Sets c from a list of API key ids (any order, at most
 * CANARY_MAX_KEYS) and a percent; 0, or -1 when out of bounds.
 */
int canary_set(canary *c, const int64_t *ids, size_t n, int percent);

/*
 * The user's bucket, 0-99: FNV-1a (32-bit) of the user id's text,
 * modulo 100. Stable across bridges and restarts.
 */
int canary_bucket(const char *user_id, size_t len);

/*
 * Whether a request is the canary's: made with one of its keys
 * (key_id > 0), or for a user (user_id non-NULL) whose bucket is below
 * the percent.
 */
bool canary_match(
    const canary *c, int64_t key_id, const char *user_id, size_t user_len);

#endif /* BRIDGE_CANARY_H */
