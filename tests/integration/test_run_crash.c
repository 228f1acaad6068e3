/*
 * A billing run killed mid-way: the server gets SIGKILL while a RunCycle
 * with small batches is part way through ~20000 due subscriptions. What
 * the killed run committed stays, exactly as its billing_runs row counts
 * it; the run at the same now after a restart bills the rest; every due
 * period ends up billed exactly once, with gapless invoice numbers.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define NOW "2024-06-15 12:00:00"
#define YEAR "2024"
/* Subscriptions: renewals (every 10th with 3 missed periods), trials. */
#define N_RENEW 19000
#define N_TRIAL 1000
#define N_SUBS (N_RENEW + N_TRIAL)
#define RUN_KEY "crash-run-key"

static const char *const server_args[] = { "--test-clock", "--workers", "2",
	"--job-workers", "0", "--run-batch", "200", NULL };

static void sql(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static long long sqlv(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static void
sql(const char *fmt, ...)
{
	char q[3600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	if (th_psql(&TH, q) != 0)
		fail_msg("psql failed: %s", q);
}

/* The first value of a query, as a number. */
static long long
sqlv(const char *fmt, ...)
{
	char q[3600], buf[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	th_psql_value(&TH, q, buf, sizeof(buf));
	return (atoll(buf));
}

static int
setup(void **state)
{
	(void) state;
	th_start(&TH, server_args);
	return (0);
}

/*
 * Renewal subscription g (1..N_RENEW) has k = 3 periods due when g is a
 * multiple of 10, else 1: its period ended at 10:00 on 20 June minus k
 * months, and at NOW (15 June) the periods up to [20 May, 20 Jun) are
 * due. Trial g (N_RENEW + 1..N_SUBS) ended on 1 June and converts into
 * one period, [1 Jun, 1 Jul).
 */
static long long
expected_invoices(void)
{
	return (N_RENEW + 2LL * (N_RENEW / 10) + N_TRIAL);
}

static void
populate(void)
{
	sql("INSERT INTO plans (code, name, price_minor, currency,"
	    " billing_cycle, trial_days, created_at) VALUES ('basic',"
	    " 'Basic', 1999, 'EUR', 'monthly', 0, now())");
	sql("INSERT INTO customers (email, email_key, name, country,"
	    " currency, created_at)"
	    " SELECT 'c' || g || '@crash.example', 'c' || g ||"
	    " '@crash.example', 'C' || g, CASE WHEN g %% 2 = 0 THEN 'DE'"
	    " END, 'EUR', now() FROM generate_series(1, %d) g",
	    N_SUBS);
	sql("INSERT INTO subscriptions (customer_id, plan_id, status,"
	    " quantity, billing_anchor_day, started_at,"
	    " current_period_start, current_period_end, created_at)"
	    " SELECT g, 1, 'active', 1 + g %% 3, 20, e - interval '1 month',"
	    " e - interval '1 month', e, e - interval '1 month' FROM"
	    " (SELECT g, (timestamp '2024-06-20 10:00:00' - make_interval("
	    "   months => CASE WHEN g %% 10 = 0 THEN 3 ELSE 1 END))"
	    "   AT TIME ZONE 'Europe/Berlin' AS e"
	    "  FROM generate_series(1, %d) g) x ORDER BY g",
	    N_RENEW);
	sql("INSERT INTO subscriptions (customer_id, plan_id, status,"
	    " quantity, billing_anchor_day, started_at, trial_ends_at,"
	    " current_period_start, current_period_end, created_at)"
	    " SELECT g, 1, 'trial', 1, 1, t - interval '14 days', t,"
	    " t - interval '14 days', t, t - interval '14 days' FROM"
	    " (SELECT g, timestamp '2024-06-01 09:30:00'"
	    "   AT TIME ZONE 'Europe/Berlin' AS t"
	    "  FROM generate_series(%d, %d) g) x ORDER BY g",
	    N_RENEW + 1, N_SUBS);
	sql("ANALYZE");
	assert_int_equal(sqlv("SELECT count(*) FROM subscriptions"), N_SUBS);
}

typedef struct run_arg {
	int rv;
	billing_code code;
	Billing__V1__RunCycleResponse *resp;
} run_arg;

static void *
run_thread(void *p)
{
	run_arg *a = p;
	Billing__V1__RunCycleRequest req =
	    BILLING__V1__RUN_CYCLE_REQUEST__INIT;
	billing_status st = BILLING_STATUS_INIT;
	billing_call_opts o = { 0 };

	o.now = NOW;
	o.timeout_ms = 120000;
	o.idempotency_key = RUN_KEY;
	a->rv = billing_billing_run_cycle(TH.client, &req, &a->resp, &o, &st);
	a->code = st.code;
	billing_status_fini(&st);
	return (NULL);
}

/* The killed server's database sessions are gone (rolled back). */
static void
wait_sessions_gone(void)
{
	int64_t t0 = th_now_ms();

	while (sqlv("SELECT count(*) FROM pg_stat_activity WHERE"
	            " application_name = 'billing-server'") != 0) {
		if (th_now_ms() - t0 > 20000)
			fail_msg("the killed server's sessions stay");
		th_sleep_ms(20);
	}
}

/* Invoice numbers of YEAR are exactly 1..n, and the sequence says n. */
static void
assert_gapless(long long n)
{
	assert_int_equal(sqlv("SELECT count(*) FROM invoices"), n);
	assert_int_equal(sqlv("SELECT count(DISTINCT number) FROM invoices"
	                      " WHERE number LIKE 'INV-" YEAR "-%%'"),
	    n);
	assert_int_equal(
	    sqlv("SELECT coalesce(min(substr(number, 10)::int), 0) FROM"
	         " invoices"),
	    n > 0 ? 1 : 0);
	assert_int_equal(
	    sqlv("SELECT coalesce(max(substr(number, 10)::int), 0) FROM"
	         " invoices"),
	    n);
	assert_int_equal(sqlv("SELECT coalesce(sum(last_no), 0) FROM"
	                      " invoice_sequences WHERE year = " YEAR),
	    n);
}

static void
test_run_killed_mid_way_then_rerun(void **state)
{
	long long expected = expected_invoices(), committed, n;
	run_arg first = { 0 }, second = { 0 };
	pthread_t tid;
	int64_t t0;
	pid_t pid;

	(void) state;
	populate();

	assert_int_equal(pthread_create(&tid, NULL, run_thread, &first), 0);
	/* Kill once some but far from all invoices are committed. */
	t0 = th_now_ms();
	for (;;) {
		n = sqlv("SELECT count(*) FROM invoices");
		if (n >= 2000)
			break;
		if (th_now_ms() - t0 > 60000)
			fail_msg("the run did not start billing");
		th_sleep_ms(5);
	}
	pid = TH.server_pid;
	assert_true(pid > 0);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	TH.server_pid = 0;
	pthread_join(tid, NULL);
	/* The call's outcome is unknown to the client. */
	assert_int_not_equal(first.rv, 0);
	assert_null(first.resp);

	wait_sessions_gone();
	committed = sqlv("SELECT count(*) FROM invoices");
	print_message("killed at %lld of %lld invoices (polled %lld)\n",
	    committed, expected, n);
	assert_true(committed >= n);
	assert_true(committed < expected);
	assert_gapless(committed);
	/* The killed run's record: running, counting what committed. */
	assert_int_equal(sqlv("SELECT count(*) FROM billing_runs"), 1);
	assert_int_equal(sqlv("SELECT count(*) FROM billing_runs WHERE"
	                      " id = 1 AND status = 'running' AND"
	                      " finished_at IS NULL"),
	    1);
	assert_int_equal(
	    sqlv("SELECT invoices_created FROM billing_runs WHERE id = 1"),
	    committed);
	assert_int_equal(sqlv("SELECT trials_converted + renewed FROM"
	                      " billing_runs WHERE id = 1"),
	    committed);
	assert_int_equal(sqlv("SELECT renewed FROM billing_runs WHERE id = 1"),
	    sqlv("SELECT count(*) FROM invoices i JOIN subscriptions s ON"
	         " s.id = i.subscription_id WHERE s.trial_ends_at IS NULL"));
	/* Its key died with its open transaction: the retry runs. */
	assert_int_equal(sqlv("SELECT count(*) FROM idempotency_keys"), 0);

	th_server_start(&TH, server_args);
	for (int i = 0; i < 200 && billing_client_connected(TH.client) < 1;
	     i++)
		th_sleep_ms(20);
	run_thread(&second);
	assert_int_equal(second.rv, 0);
	assert_non_null(second.resp);
	assert_int_equal(second.resp->run_id, 2);
	assert_int_equal(second.resp->invoices_created, expected - committed);
	assert_int_equal(second.resp->trials_converted + second.resp->renewed +
	        sqlv("SELECT trials_converted +"
	             " renewed FROM billing_runs"
	             " WHERE id = 1"),
	    expected);
	assert_int_equal(second.resp->trials_converted +
	        sqlv("SELECT trials_converted FROM billing_runs WHERE id = 1"),
	    N_TRIAL);
	assert_int_equal(second.resp->cancelled, 0);
	assert_int_equal(second.resp->past_due, 0);
	assert_int_equal(second.resp->expired, 0);

	/* Every due period billed exactly once. */
	assert_gapless(expected);
	assert_int_equal(
	    sqlv("SELECT count(*) FROM (SELECT 1 FROM invoices GROUP BY"
	         " subscription_id, run_period_start HAVING count(*) > 1) d"),
	    0);
	assert_int_equal(
	    sqlv("SELECT count(*) FROM (SELECT 1 FROM invoices GROUP BY"
	         " subscription_id, period_start HAVING count(*) > 1) d"),
	    0);
	assert_int_equal(
	    sqlv("SELECT count(*) FROM subscriptions s WHERE (SELECT"
	         " count(*) FROM invoices i WHERE i.subscription_id = s.id)"
	         " <> CASE WHEN s.status <> 'active' THEN -1"
	         " WHEN s.id > %d THEN 1 WHEN s.id %% 10 = 0 THEN 3 ELSE 1"
	         " END",
	        N_RENEW),
	    0);
	/* Each subscription now runs to its next period. */
	assert_int_equal(
	    sqlv("SELECT count(*) FROM subscriptions WHERE"
	         " current_period_end = CASE WHEN id > %d THEN timestamp"
	         " '2024-07-01 09:30:00' ELSE timestamp '2024-06-20 10:00:00'"
	         " END AT TIME ZONE 'Europe/Berlin' AND status = 'active'",
	        N_RENEW),
	    N_SUBS);
	assert_int_equal(sqlv("SELECT count(*) FROM invoice_items"), expected);
	assert_int_equal(sqlv("SELECT count(*) FROM events WHERE type ="
	                      " 'invoice.created'"),
	    expected);
	assert_int_equal(sqlv("SELECT count(*) FROM events WHERE type IN"
	                      " ('subscription.renewed',"
	                      " 'subscription.activated')"),
	    N_SUBS);

	/* The records: the killed run stays running, the rerun succeeded. */
	assert_int_equal(sqlv("SELECT count(*) FROM billing_runs"), 2);
	assert_int_equal(
	    sqlv("SELECT invoices_created FROM billing_runs WHERE id = 1"),
	    committed);
	assert_int_equal(sqlv("SELECT count(*) FROM billing_runs WHERE id = 1"
	                      " AND status = 'running'"),
	    1);
	assert_int_equal(sqlv("SELECT count(*) FROM billing_runs WHERE id = 2"
	                      " AND status = 'succeeded' AND finished_at IS"
	                      " NOT NULL AND error IS NULL"),
	    1);
	assert_int_equal(
	    sqlv("SELECT invoices_created FROM billing_runs WHERE id = 2"),
	    expected - committed);
	assert_int_equal(sqlv("SELECT count(*) FROM idempotency_keys WHERE"
	                      " key = '" RUN_KEY "' AND response IS NOT NULL"),
	    1);
	billing__v1__run_cycle_response__free_unpacked(second.resp, NULL);

	/* Once more at the same now: nothing is due. */
	second.resp = NULL;
	{
		Billing__V1__RunCycleRequest req =
		    BILLING__V1__RUN_CYCLE_REQUEST__INIT;
		billing_status st = BILLING_STATUS_INIT;
		billing_call_opts o = { 0 };

		o.now = NOW;
		o.timeout_ms = 60000;
		assert_int_equal(billing_billing_run_cycle(
		                     TH.client, &req, &second.resp, &o, &st),
		    0);
		assert_int_equal(second.resp->invoices_created, 0);
		assert_int_equal(second.resp->renewed, 0);
		assert_int_equal(second.resp->trials_converted, 0);
		billing__v1__run_cycle_response__free_unpacked(
		    second.resp, NULL);
	}
	assert_gapless(expected);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_killed_mid_way_then_rerun),
	};

	return (cmocka_run_group_tests(tests, setup, th_teardown));
}
