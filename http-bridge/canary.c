/*
 * canary.c: see canary.h.
 */
#include <stdlib.h>
#include <string.h>

#include "canary.h"

static int
cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;

	return ((x > y) - (x < y));
}

int
canary_set(canary *c, const int64_t *ids, size_t n, int percent)
{
	if (n > CANARY_MAX_KEYS || percent < 0 || percent > 100)
		return (-1);
	if (n > 0)
		memcpy(c->key_ids, ids, n * sizeof(*ids));
	qsort(c->key_ids, n, sizeof(*ids), cmp_id);
	c->n_keys = n;
	c->percent = percent;
	return (0);
}

int
canary_bucket(const char *user_id, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char) user_id[i];
		h *= 16777619u;
	}
	return ((int) (h % 100));
}

bool
canary_match(
    const canary *c, int64_t key_id, const char *user_id, size_t user_len)
{
	if (key_id > 0 && c->n_keys > 0 &&
	    bsearch(&key_id, c->key_ids, c->n_keys, sizeof(key_id), cmp_id) !=
	        NULL)
		return (true);
	return (user_id != NULL && user_len > 0 && c->percent > 0 &&
	    canary_bucket(user_id, user_len) < c->percent);
}
