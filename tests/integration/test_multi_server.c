/*
 * One client, two servers on one database: calls spread over both, and
 * a server that goes away is skipped until it returns.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <cmocka.h>

#include "harness.h"

static th_stack A, B;
static billing_client *both;

static int
setup(void **state)
{
	billing_status st = BILLING_STATUS_INIT;
	char urls[700];

	(void) state;
	th_start(&A, NULL);
	B = A; /* same cluster and database, another socket */
	B.client = NULL;
	snprintf(B.url, sizeof(B.url), "ipc://%s/second.sock", A.dir);
	th_server_start(&B, NULL);
	snprintf(urls, sizeof(urls), "%s,%s", A.url, B.url);
	return (billing_client_open(&both, urls, NULL, &st));
}

static int
teardown(void **state)
{
	(void) state;
	billing_client_close(both);
	th_server_stop(&B);
	th_stop(&A);
	return (0);
}

/* n calls of Customers.Create; returns how many failed. */
static int
calls(int n, const char *tag)
{
	int failed = 0;

	for (int i = 0; i < n; i++) {
		Billing__V1__CreateCustomerRequest req =
		    BILLING__V1__CREATE_CUSTOMER_REQUEST__INIT;
		Billing__V1__Customer *c = NULL;
		billing_status st = BILLING_STATUS_INIT;
		char email[64];

		snprintf(email, sizeof(email), "%s-%d@multi.example", tag, i);
		req.email = email;
		if (billing_customers_create(both, &req, &c, NULL, &st) != 0)
			failed++;
		else
			billing__v1__customer__free_unpacked(c, NULL);
		billing_status_fini(&st);
	}
	return (failed);
}

/* Calls a server answered OK, from its log. */
static int
served_by(const th_stack *s)
{
	char cmd[600], buf[32];
	FILE *p;
	int n = -1;

	snprintf(cmd, sizeof(cmd), "grep -c 'status=OK' %s.log",
	    s->url + strlen("ipc://"));
	if ((p = popen(cmd, "r")) == NULL)
		return (-1);
	if (fgets(buf, sizeof(buf), p) != NULL)
		n = atoi(buf);
	pclose(p);
	return (n);
}

static void
test_calls_go_to_both_servers(void **state)
{
	char buf[64];

	(void) state;
	/* Let both connections come up. */
	for (int i = 0; i < 100 && billing_client_connected(both) < 2; i++)
		th_sleep_ms(20);
	assert_int_equal(billing_client_connected(both), 2);
	assert_int_equal(calls(60, "spread"), 0);
	assert_true(served_by(&A) > 0);
	assert_true(served_by(&B) > 0);
	th_psql_value(&A,
	    "SELECT count(*) FROM customers WHERE email LIKE"
	    " 'spread-%'",
	    buf, sizeof(buf));
	assert_string_equal(buf, "60");
}

static void
test_a_dead_server_is_skipped_until_it_returns(void **state)
{
	(void) state;
	assert_true(A.server_pid > 0);
	kill(A.server_pid, SIGKILL);
	waitpid(A.server_pid, NULL, 0);
	A.server_pid = 0;
	th_sleep_ms(100);
	assert_int_equal(calls(30, "a-down"), 0);
	assert_int_equal(billing_client_connected(both), 1);

	th_server_start(&A, NULL);
	for (int i = 0; i < 100 && billing_client_connected(both) < 2; i++)
		th_sleep_ms(20);
	assert_int_equal(billing_client_connected(both), 2);
	assert_int_equal(th_server_stop(&B), 0);
	th_sleep_ms(100);
	assert_int_equal(calls(30, "b-down"), 0);
	th_server_start(&B, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_calls_go_to_both_servers),
		cmocka_unit_test(
		    test_a_dead_server_is_skipped_until_it_returns),
	};

	return (cmocka_run_group_tests(tests, setup, teardown));
}
