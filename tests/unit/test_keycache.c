/*
 * The bridge's cache of accepted API keys (http-bridge/keycache.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "keycache.h"

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void
test_hit_and_miss(void **state)
{
	keycache *kc;
	int64_t id = 0;

	(void) state;
	assert_int_equal(keycache_init(&kc, 60), 0);
	assert_false(keycache_check(kc, "k1", &id));
	keycache_put(kc, "k1", 7);
	assert_true(keycache_check(kc, "k1", &id));
	assert_int_equal(id, 7);
	keycache_put(kc, "k1", 9); /* the key now names another ApiKey */
	assert_true(keycache_check(kc, "k1", &id));
	assert_int_equal(id, 9);
	assert_false(keycache_check(kc, "k2", &id));
	assert_false(keycache_check(kc, "k1 ", &id));
	assert_false(keycache_check(kc, "k", &id));
	assert_false(keycache_check(kc, "", &id));
	keycache_fini(kc);
}

/* An accepted key is trusted for ttl_s seconds, not longer. */
static void
test_expiry(void **state)
{
	keycache *kc;
	int64_t id = 0;

	(void) state;
	assert_int_equal(keycache_init(&kc, 1), 0);
	keycache_put(kc, "key", 7);
	assert_true(keycache_check(kc, "key", &id));
	sleep_ms(1100);
	assert_false(keycache_check(kc, "key", &id));
	keycache_put(kc, "key", 7);
	assert_true(keycache_check(kc, "key", &id));
	keycache_fini(kc);
}

/* ttl 0: nothing is cached. Over-long keys are never cached. */
static void
test_off_and_long(void **state)
{
	char long_key[KEYCACHE_KEY_MAX + 2];
	keycache *kc;
	int64_t id = 0;

	(void) state;
	assert_int_equal(keycache_init(&kc, 0), 0);
	keycache_put(kc, "key", 7);
	assert_false(keycache_check(kc, "key", &id));
	keycache_fini(kc);

	assert_int_equal(keycache_init(&kc, 60), 0);
	memset(long_key, 'x', sizeof(long_key) - 1);
	long_key[sizeof(long_key) - 1] = '\0';
	keycache_put(kc, long_key, 7);
	assert_false(keycache_check(kc, long_key, &id));
	long_key[KEYCACHE_KEY_MAX] = '\0'; /* exactly the maximum */
	keycache_put(kc, long_key, 7);
	assert_true(keycache_check(kc, long_key, &id));
	keycache_fini(kc);
}

/* Many keys: bounded slots, so some are evicted, none is confused. */
static void
test_many_keys(void **state)
{
	char key[32];
	keycache *kc;
	int64_t id = 0;
	int hits = 0;

	(void) state;
	assert_int_equal(keycache_init(&kc, 60), 0);
	for (int i = 0; i < 4 * KEYCACHE_SLOTS; i++) {
		snprintf(key, sizeof(key), "key-%d", i);
		keycache_put(kc, key, 7);
	}
	for (int i = 0; i < 4 * KEYCACHE_SLOTS; i++) {
		snprintf(key, sizeof(key), "key-%d", i);
		hits += keycache_check(kc, key, &id);
		snprintf(key, sizeof(key), "other-%d", i);
		assert_false(keycache_check(kc, key, &id));
	}
	assert_true(hits > 0 && hits <= KEYCACHE_SLOTS);
	keycache_fini(kc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hit_and_miss),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_off_and_long),
		cmocka_unit_test(test_many_keys),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
