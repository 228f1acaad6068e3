/*
 * PostgreSQL stopped and restarted under a running server: calls fail
 * UNAVAILABLE (never hang, never crash), Health reports NOT_SERVING, and
 * every worker recovers once the database is back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "harness.h"

static int
setup(void **state)
{
	(void) state;
	/* Four workers, and as many connections to recover. */
	static const char *const args[] = { "--workers", "4", NULL };

	th_start(&TH, args);
	return (0);
}

static int
create_plan(const char *code, billing_status *st)
{
	Billing__V1__CreatePlanRequest req =
	    BILLING__V1__CREATE_PLAN_REQUEST__INIT;
	Billing__V1__Plan *p = NULL;
	int rv;

	req.code = (char *) code;
	req.name = "Restart";
	req.has_price_minor = 1;
	req.price_minor = 100;
	rv = billing_plans_create(TH.client, &req, &p, NULL, st);
	if (p != NULL)
		billing__v1__plan__free_unpacked(p, NULL);
	return (rv);
}

static int
get_plan(const char *code)
{
	Billing__V1__GetPlanRequest req = BILLING__V1__GET_PLAN_REQUEST__INIT;
	Billing__V1__Plan *p = NULL;
	billing_status st = BILLING_STATUS_INIT;
	int rv;

	req.code = (char *) code;
	rv = billing_plans_get(TH.client, &req, &p, NULL, &st);
	if (p != NULL)
		billing__v1__plan__free_unpacked(p, NULL);
	billing_status_fini(&st);
	return (rv);
}

static Billing__V1__ServingStatus
health(void)
{
	Billing__V1__HealthCheckRequest req =
	    BILLING__V1__HEALTH_CHECK_REQUEST__INIT;
	Billing__V1__HealthCheckResponse *r = NULL;
	billing_status st = BILLING_STATUS_INIT;
	Billing__V1__ServingStatus s;

	assert_int_equal(
	    billing_health_check(TH.client, &req, &r, NULL, &st), 0);
	s = r->status;
	billing__v1__health_check_response__free_unpacked(r, NULL);
	return (s);
}

static void
test_database_down_then_back(void **state)
{
	billing_status st = BILLING_STATUS_INIT;
	int64_t t0;
	int ok;

	(void) state;
	assert_int_equal(create_plan("before", &st), 0);
	assert_int_equal(
	    health(), BILLING__V1__SERVING_STATUS__SERVING_STATUS_SERVING);

	th_pg_stop(&TH);
	/* Every worker answers UNAVAILABLE, for reads and writes. */
	for (int i = 0; i < 12; i++) {
		char code[32];

		snprintf(code, sizeof(code), "down-%d", i);
		t0 = th_now_ms();
		assert_int_equal(create_plan(code, &st), BILLING_UNAVAILABLE);
		assert_int_equal(get_plan("before"), BILLING_UNAVAILABLE);
		assert_true(th_now_ms() - t0 < 2000);
	}
	assert_int_equal(
	    health(), BILLING__V1__SERVING_STATUS__SERVING_STATUS_NOT_SERVING);

	th_pg_start(&TH);
	/* Within the reconnect backoff (at most 1 s) all workers recover. */
	t0 = th_now_ms();
	do {
		ok = get_plan("before") == 0;
	} while (!ok && th_now_ms() - t0 < 5000);
	assert_true(ok);
	/* Twelve writes succeed, each retried through the workers' backoff:
	 * every worker is back. */
	for (int i = 0; i < 12; i++) {
		char code[32];
		int rv;

		snprintf(code, sizeof(code), "after-%d", i);
		t0 = th_now_ms();
		while ((rv = create_plan(code, &st)) == BILLING_UNAVAILABLE &&
		    th_now_ms() - t0 < 3000)
			;
		assert_int_equal(rv, 0);
	}
	assert_int_equal(
	    health(), BILLING__V1__SERVING_STATUS__SERVING_STATUS_SERVING);
	/* Nothing written while the database was down. */
	assert_int_equal(get_plan("down-0"), BILLING_NOT_FOUND);
	billing_status_fini(&st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_database_down_then_back),
	};

	return (cmocka_run_group_tests(tests, setup, th_teardown));
}
