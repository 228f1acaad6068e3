/*
 * Server parts that need no database: the arena and the configuration
 * (flags over environment over defaults).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "billing_methods.h"
#include "../../server/arena.h"
#include "../../server/config.h"

static void
test_arena_allocations_are_aligned_zeroed_and_bounded(void **state)
{
	arena a;
	char *p;

	(void) state;
	arena_init(&a, 200000);
	for (int i = 0; i < 100; i++) {
		p = arena_alloc(&a, (size_t) i + 1);
		assert_non_null(p);
		assert_int_equal((uintptr_t) p % _Alignof(max_align_t), 0);
		for (int j = 0; j <= i; j++)
			assert_int_equal(p[j], 0);
		memset(p, 0xaa, (size_t) i + 1);
	}
	/* Bigger than a chunk. */
	assert_non_null(arena_alloc(&a, 100000));
	/* Over the limit. */
	assert_null(arena_alloc(&a, 150000));
	assert_null(arena_alloc(&a, SIZE_MAX));
	arena_reset(&a);
	assert_non_null(arena_alloc(&a, 150000));
	assert_string_equal(arena_strndup(&a, "hello", 4), "hell");
	arena_reset(&a);
	arena_fini(&a);
}

static void
test_arena_serves_protobuf_c(void **state)
{
	Billing__V1__Customer c = BILLING__V1__CUSTOMER__INIT;
	Billing__V1__Customer *out;
	uint8_t buf[64];
	size_t len;
	arena a;

	(void) state;
	c.email = "a@b";
	c.has_id = 1;
	c.id = 42;
	len = billing__v1__customer__pack(&c, buf);
	arena_init(&a, 0);
	out = billing__v1__customer__unpack(&a.pb, len, buf);
	assert_non_null(out);
	assert_string_equal(out->email, "a@b");
	assert_int_equal(out->id, 42);
	/* Freed with the arena: free_unpacked must be harmless. */
	billing__v1__customer__free_unpacked(out, &a.pb);
	arena_fini(&a);
}

static int
parse(srv_config *cfg, int argc, const char **argv)
{
	char *copy[16];

	for (int i = 0; i < argc; i++)
		copy[i] = (char *) argv[i];
	return (srv_config_parse(cfg, argc, copy));
}

static void
test_config_defaults_environment_and_flags(void **state)
{
	srv_config cfg;
	const char *a1[] = { "billing-server", "--database-url",
		"postgres://x" };
	const char *a2[] = { "billing-server", "--listen", "ipc:///tmp/a",
		"--listen", "tcp://0.0.0.0:1", "--workers", "3", "--log-level",
		"debug" };
	const char *a3[] = { "billing-server", "migrate" };
	const char *bad1[] = { "billing-server", "--workers", "0" };
	const char *bad2[] = { "billing-server", "--workers", "4x" };
	const char *bad3[] = { "billing-server", "frobnicate" };
	const char *bad4[] = { "billing-server", "--log-level", "loud" };

	(void) state;
	unsetenv("BILLING_DATABASE_URL");
	unsetenv("BILLING_LISTEN");
	unsetenv("BILLING_WORKERS");
	assert_int_equal(parse(&cfg, 3, a1), 0);
	assert_int_equal(cfg.command, SRV_SERVE);
	assert_string_equal(cfg.database_url, "postgres://x");
	assert_int_equal(cfg.n_listen, 1);
	assert_string_equal(cfg.listen[0], "tcp://127.0.0.1:7070");
	assert_int_equal(cfg.workers, 8);
	srv_config_fini(&cfg);

	/* No database anywhere is an error. */
	assert_int_equal(parse(&cfg, 1, a1), -1);
	srv_config_fini(&cfg);

	setenv("BILLING_DATABASE_URL", "postgres://env", 1);
	setenv("BILLING_LISTEN", "ipc:///tmp/x,tcp://127.0.0.1:9", 1);
	setenv("BILLING_WORKERS", "2", 1);
	assert_int_equal(parse(&cfg, 1, a1), 0);
	assert_string_equal(cfg.database_url, "postgres://env");
	assert_int_equal(cfg.n_listen, 2);
	assert_string_equal(cfg.listen[1], "tcp://127.0.0.1:9");
	assert_int_equal(cfg.workers, 2);
	srv_config_fini(&cfg);

	/* Flags win over the environment; --listen replaces the list. */
	assert_int_equal(parse(&cfg, 9, a2), 0);
	assert_int_equal(cfg.n_listen, 2);
	assert_string_equal(cfg.listen[0], "ipc:///tmp/a");
	assert_int_equal(cfg.workers, 3);
	assert_int_equal(cfg.level, LOG_DEBUG);
	srv_config_fini(&cfg);

	assert_int_equal(parse(&cfg, 2, a3), 0);
	assert_int_equal(cfg.command, SRV_MIGRATE);
	srv_config_fini(&cfg);

	assert_int_equal(parse(&cfg, 3, bad1), -1);
	srv_config_fini(&cfg);
	assert_int_equal(parse(&cfg, 3, bad2), -1);
	srv_config_fini(&cfg);
	assert_int_equal(parse(&cfg, 2, bad3), -1);
	srv_config_fini(&cfg);
	assert_int_equal(parse(&cfg, 3, bad4), -1);
	srv_config_fini(&cfg);
	setenv("BILLING_WORKERS", "many", 1);
	assert_int_equal(parse(&cfg, 1, a1), -1);
	srv_config_fini(&cfg);
	unsetenv("BILLING_WORKERS");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_arena_allocations_are_aligned_zeroed_and_bounded),
		cmocka_unit_test(test_arena_serves_protobuf_c),
		cmocka_unit_test(test_config_defaults_environment_and_flags),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
