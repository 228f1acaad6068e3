/*
 * keycache.c: see keycache.h.
 *
 * A direct-mapped table: the slot of a key is its FNV-1a hash. Keys are
 * compared in constant time, so that the cache does not tell an
 * attacker how much of a guess was right.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keycache.h"

typedef struct slot {
	char key[KEYCACHE_KEY_MAX + 1];
	size_t len;
	int64_t id;
	int64_t until; /* monotonic milliseconds; 0: empty */
} slot;

struct keycache {
	pthread_mutex_t mu;
	unsigned ttl_s;
	slot slots[KEYCACHE_SLOTS];
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + 1);
}

static size_t
slot_of(const char *key, size_t len)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char) key[i];
		h *= 1099511628211ULL;
	}
	return ((size_t) (h % KEYCACHE_SLOTS));
}

static bool
same_key(const slot *s, const char *key, size_t len)
{
	unsigned char diff = 0;

	if (s->len != len)
		return (false);
	for (size_t i = 0; i < len; i++)
		diff |= (unsigned char) (s->key[i] ^ key[i]);
	return (diff == 0);
}

int
keycache_init(keycache **out, unsigned ttl_s)
{
	keycache *kc = calloc(1, sizeof(*kc));

	if (kc == NULL)
		return (-1);
	if (pthread_mutex_init(&kc->mu, NULL) != 0) {
		free(kc);
		return (-1);
	}
	kc->ttl_s = ttl_s;
	*out = kc;
	return (0);
}

void
keycache_fini(keycache *kc)
{
	if (kc == NULL)
		return;
	pthread_mutex_destroy(&kc->mu);
	/* The keys are secrets: do not leave them in freed memory. */
	memset(kc->slots, 0, sizeof(kc->slots));
	free(kc);
}

bool
keycache_check(keycache *kc, const char *key, int64_t *id)
{
	size_t len = strlen(key);
	bool hit;
	slot *s;

	if (kc->ttl_s == 0 || len > KEYCACHE_KEY_MAX)
		return (false);
	s = &kc->slots[slot_of(key, len)];
	pthread_mutex_lock(&kc->mu);
	hit = s->until != 0 && now_ms() < s->until && same_key(s, key, len);
	if (hit)
		*id = s->id;
	pthread_mutex_unlock(&kc->mu);
	return (hit);
}

void
keycache_put(keycache *kc, const char *key, int64_t id)
{
	size_t len = strlen(key);
	slot *s;

	if (kc->ttl_s == 0 || len > KEYCACHE_KEY_MAX)
		return;
	s = &kc->slots[slot_of(key, len)];
	pthread_mutex_lock(&kc->mu);
	memcpy(s->key, key, len + 1);
	s->len = len;
	s->id = id;
	s->until = now_ms() + (int64_t) kc->ttl_s * 1000;
	pthread_mutex_unlock(&kc->mu);
}
