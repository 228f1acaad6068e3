/*
 * The background worker: scheduled billing runs taken from the jobs
 * table, run records, retries with backoff, several job threads sharing
 * the queue, and the worker as a process of its own
 * (billing-server worker).
 *
 * The server runs with its test clock on and --schedule 1, so a job is
 * due every second at the real time. Subscriptions are created "in the
 * past" through x-billing-now, so that their periods are due now.
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
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static const char *const NO_JOBS[] = { "--test-clock", "--job-workers", "0",
	NULL };
static const char *const ARGS[] = { "--test-clock", "--schedule", "1",
	"--job-workers", "2", NULL };

/* Berlin wall time of the real clock minus days, for x-billing-now. */
static void
berlin_days_ago(int days, char *buf, size_t cap)
{
	time_t t = time(NULL) - (time_t) days * 86400;
	struct tm tm;

	localtime_r(&t, &tm); /* TZ is Europe/Berlin (main) */
	strftime(buf, cap, "%Y-%m-%d %H:%M:%S", &tm);
}

static int64_t
customer(const char *email)
{
	Billing__V1__CreateCustomerRequest req =
	    BILLING__V1__CREATE_CUSTOMER_REQUEST__INIT;
	Billing__V1__Customer *c = NULL;
	billing_status st = BILLING_STATUS_INIT;
	int64_t id;

	req.email = (char *) email;
	req.country = "DE";
	assert_int_equal(
	    billing_customers_create(TH.client, &req, &c, NULL, &st), 0);
	id = c->id;
	billing__v1__customer__free_unpacked(c, NULL);
	return (id);
}

static int64_t
plan(const char *code, int64_t price, int trial_days)
{
	Billing__V1__CreatePlanRequest req =
	    BILLING__V1__CREATE_PLAN_REQUEST__INIT;
	Billing__V1__Plan *p = NULL;
	billing_status st = BILLING_STATUS_INIT;
	int64_t id;

	req.code = (char *) code;
	req.name = (char *) code;
	req.has_price_minor = 1;
	req.price_minor = price;
	req.has_trial_days = 1;
	req.trial_days = trial_days;
	assert_int_equal(
	    billing_plans_create(TH.client, &req, &p, NULL, &st), 0);
	id = p->id;
	billing__v1__plan__free_unpacked(p, NULL);
	return (id);
}

static int64_t
subscribe(int64_t cust, int64_t plan_id, int qty, bool trial, const char *now)
{
	Billing__V1__CreateSubscriptionRequest req =
	    BILLING__V1__CREATE_SUBSCRIPTION_REQUEST__INIT;
	Billing__V1__SubscriptionResult *r = NULL;
	billing_call_opts o = { .now = now };
	billing_status st = BILLING_STATUS_INIT;
	int64_t id;

	req.has_customer_id = req.has_plan_id = 1;
	req.customer_id = cust;
	req.plan_id = plan_id;
	req.has_quantity = 1;
	req.quantity = qty;
	req.has_trial = 1;
	req.trial = trial;
	assert_int_equal(
	    billing_subscriptions_create(TH.client, &req, &r, &o, &st), 0);
	id = r->subscription->id;
	billing__v1__subscription_result__free_unpacked(r, NULL);
	return (id);
}

static long
value(const char *fmt, ...)
{
	char sql[512], buf[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	th_psql_value(&TH, sql, buf, sizeof(buf));
	return (strtol(buf, NULL, 10));
}

/* Polls sql (a count) until it reaches want or 60 s pass. */
static long
wait_for(long want, const char *sql)
{
	long v = -1;

	for (int i = 0; i < 600 && (v = value("%s", sql)) < want; i++)
		th_sleep_ms(100);
	return (v);
}

/* What the worker did, for the log of a failed test. */
static void
dump_state(void)
{
	th_sh(
	    "psql -X '%s' -c 'SELECT id, kind, status, attempts, run_at,"
	    " finished_at, worker, last_error FROM jobs ORDER BY id' -c"
	    " 'SELECT * FROM billing_runs ORDER BY id' -c 'SELECT id, status,"
	    " current_period_end FROM subscriptions' -c 'SELECT pid, state,"
	    " wait_event, left(query, 60) FROM pg_stat_activity' >&2",
	    TH.db_url);
	th_sh("tail -n 40 '%s.log' >&2", TH.url + strlen("ipc://"));
}

static void
test_scheduled_run_renews_due_periods(void **state)
{
	char past[32], sql[256];
	int64_t p = plan("worker-basic", 1000, 0), s[3];

	(void) state;
	/*
	 * Created "in the past" with the job threads off: a run between two
	 * of these creates would see a newer one only in its dunning pass
	 * and expire it before renewing it (its first invoice is long
	 * overdue), as the rules say; the test wants all three renewed.
	 */
	assert_int_equal(th_server_stop(&TH), 0);
	th_server_start(&TH, NO_JOBS);
	berlin_days_ago(40, past, sizeof(past));
	for (int i = 0; i < 3; i++) {
		char email[64];

		snprintf(email, sizeof(email), "worker%d@example.com", i);
		s[i] = subscribe(customer(email), p, 1, false, past);
	}
	assert_int_equal(th_server_stop(&TH), 0);
	th_server_start(&TH, ARGS);
	/* Created 40 days ago: the first period ended ~10 days ago. */
	snprintf(sql, sizeof(sql),
	    "SELECT count(*) FROM invoices WHERE subscription_id IN "
	    "(%lld, %lld, %lld)",
	    (long long) s[0], (long long) s[1], (long long) s[2]);
	if (wait_for(6, sql) != 6)
		dump_state();
	assert_int_equal(value("%s", sql), 6);
	th_sleep_ms(2500); /* later runs find nothing more to bill */
	assert_int_equal(value("%s", sql), 6);

	/* Every run is recorded with its job, and succeeded. */
	assert_true(value("SELECT count(*) FROM billing_runs"
	                  " WHERE trigger = 'schedule' AND status = "
	                  "'succeeded' AND job_id IS NOT NULL") >= 2);
	assert_int_equal(value("SELECT coalesce(sum(renewed), 0) FROM "
	                       "billing_runs WHERE trigger = 'schedule'"),
	    3);
	/* None left open (a run may be under way right now). */
	assert_int_equal(value("SELECT count(*) FROM billing_runs"
	                       " WHERE finished_at IS NULL AND started_at <"
	                       " clock_timestamp() - interval '10 s'"),
	    0);
	/* Two job threads, one queue: no job ran twice. */
	assert_int_equal(value("SELECT count(*) FROM (SELECT job_id FROM "
	                       "billing_runs GROUP BY job_id HAVING "
	                       "count(*) > 1) d"),
	    0);
	/* Every finished run job was done at its first attempt. */
	assert_int_equal(value("SELECT count(*) FROM jobs WHERE kind = "
	                       "'billing_run' AND status <> 'queued' AND "
	                       "NOT (status = 'done' AND attempts = 1)"),
	    0);
	assert_true(value("SELECT count(*) FROM jobs WHERE kind = "
	                  "'billing_run' AND status = 'done'") >= 2);
	/* The purge of idempotency keys is scheduled too. */
	assert_true(
	    value("SELECT count(*) FROM jobs WHERE kind = "
	          "'purge_idempotency_keys' AND status = 'done'") >= 1);
}

static void
test_failed_job_is_retried_with_backoff(void **state)
{
	char past[32];

	(void) state;
	/* A trial whose first invoice leaves the money range fails every
	 * run at its trial end. */
	berlin_days_ago(3, past, sizeof(past));
	subscribe(customer("huge@example.com"),
	    plan("worker-huge", 9999999999LL, 1), 1000, true, past);

	assert_int_equal(wait_for(1,
	                     "SELECT count(*) FROM jobs WHERE kind = "
	                     "'billing_run' AND attempts >= 2 AND "
	                     "last_error LIKE '%money range%'"),
	    1);
	/* Backoff: a failed job's next attempt is 2^attempts s later. */
	assert_int_equal(value("SELECT count(*) FROM jobs WHERE kind = "
	                       "'billing_run' AND status = 'queued' AND "
	                       "attempts >= 1 AND run_at < created_at + "
	                       "interval '1 second'"),
	    0);
	assert_true(value("SELECT count(*) FROM billing_runs WHERE status ="
	                  " 'failed' AND error LIKE '%%money range%%'") >= 2);
	/* The failing subscription stays a trial; nothing half-billed. */
	assert_int_equal(value("SELECT count(*) FROM subscriptions s JOIN "
	                       "plans p ON p.id = s.plan_id WHERE p.code = "
	                       "'worker-huge' AND s.status = 'trial'"),
	    1);
	assert_int_equal(value("SELECT count(*) FROM invoices i JOIN "
	                       "subscriptions s ON s.id = i.subscription_id "
	                       "JOIN plans p ON p.id = s.plan_id WHERE "
	                       "p.code = 'worker-huge'"),
	    0);
	/*
	 * A job whose workers died in every attempt (claims are counted
	 * before the work) is failed, not run again forever.
	 */
	assert_int_equal(th_psql(&TH,
	                     "INSERT INTO jobs (kind, dedupe_key, run_at,"
	                     " attempts) VALUES ('billing_run', 'crashed',"
	                     " now(), 5)"),
	    0);
	assert_int_equal(wait_for(1,
	                     "SELECT count(*) FROM jobs WHERE dedupe_key ="
	                     " 'crashed' AND status = 'failed' AND attempts ="
	                     " 6 AND last_error = 'no attempt left'"),
	    1);
	/* Clear the way for the next test. */
	assert_int_equal(th_psql(&TH,
	                     "UPDATE subscriptions SET status = 'cancelled'"
	                     " WHERE plan_id = (SELECT id FROM plans WHERE"
	                     " code = 'worker-huge')"),
	    0);
}

/* billing-server worker: the jobs without the RPC listener. */
static void
test_worker_process(void **state)
{
	char past[32], sql[160], url[600];
	const char *bin = getenv("BILLING_SERVER_BIN");
	pid_t pid;
	int status;
	int64_t s;

	(void) state;
	/* The RPC server keeps serving, without job threads. */
	assert_int_equal(th_server_stop(&TH), 0);
	{
		const char *const rpc_only[] = { "--test-clock",
			"--job-workers", "0", NULL };

		th_server_start(&TH, rpc_only);
	}
	berlin_days_ago(35, past, sizeof(past));
	s = subscribe(customer("process@example.com"),
	    plan("worker-process", 500, 0), 1, false, past);
	snprintf(sql, sizeof(sql),
	    "SELECT count(*) FROM invoices WHERE subscription_id = %lld",
	    (long long) s);
	th_sleep_ms(2500);
	assert_int_equal(value("%s", sql), 1); /* nobody runs jobs */

	snprintf(url, sizeof(url), "%s", TH.db_url);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl(bin, bin, "worker", "--database-url", url, "--schedule",
		    "1", "--log-level", "warn", (char *) NULL);
		_exit(127);
	}
	assert_int_equal(wait_for(2, sql), 2);
	assert_int_equal(kill(pid, SIGTERM), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scheduled_run_renews_due_periods),
		cmocka_unit_test(test_failed_job_is_retried_with_backoff),
		cmocka_unit_test(test_worker_process),
	};

	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	th_start(&TH, ARGS);
	int rv = cmocka_run_group_tests(tests, NULL, NULL);
	th_stop(&TH);
	return (rv);
}
