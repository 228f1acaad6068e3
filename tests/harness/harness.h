/*
 * harness: what integration tests share. Each test program gets its own
 * PostgreSQL cluster (pg.sh) and billing-server process in a temporary
 * folder, and talks to the server through the real client library.
 *
 * Paths come from the environment ctest sets: BILLING_SERVER_BIN and
 * BILLING_PG_SH.
 */
#ifndef TESTS_HARNESS_H
#define TESTS_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "billing_client.h"
#include "billing_client_stubs.h"

typedef struct th_stack {
	char dir[256];    /* temporary folder of this test */
	char db_url[512]; /* the migrated database */
	char url[300];    /* the server's ipc:// URL */
	pid_t server_pid;
	billing_client *client;
} th_stack;

/*
 * Starts a cluster, creates and migrates a database, starts the server
 * with extra_args (NULL-terminated; may be NULL) and opens a client.
 * Aborts the test program on failure.
 */
void th_start(th_stack *s, const char *const *extra_args);

/* Stops the server (SIGTERM; asserts exit status 0) and the cluster. */
void th_stop(th_stack *s);

/* Starts / stops only the server (the cluster keeps running). */
void th_server_start(th_stack *s, const char *const *extra_args);
int th_server_stop(th_stack *s); /* returns the exit status */

/* Stops the cluster (fast shutdown) and starts it again. */
void th_pg_stop(th_stack *s);
void th_pg_start(th_stack *s);

/* Runs sql on the test database through psql; returns its exit status. */
int th_psql(th_stack *s, const char *sql);

/* The first line psql prints for sql, in buf. */
void th_psql_value(th_stack *s, const char *sql, char *buf, size_t cap);

/*
 * The stack of a test program. th_setup and th_teardown start and stop
 * it with no extra server arguments, as cmocka group setup/teardown.
 */
extern th_stack TH;
int th_setup(void **state);
int th_teardown(void **state);

/* Milliseconds on the monotonic clock; a sleep of ms milliseconds. */
/*
 * A TCP port on 127.0.0.1 that nothing uses now (the kernel's choice for
 * a bind to port 0), for a server a test starts next.
 */
int th_free_port(void);

int64_t th_now_ms(void);
void th_sleep_ms(int ms);

/* Runs a shell command; returns its exit status. */
int th_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* TESTS_HARNESS_H */
