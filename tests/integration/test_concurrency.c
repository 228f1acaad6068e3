/*
 * The engine under concurrency: gapless invoice numbers with many
 * writers, billing runs racing each other and racing payments and
 * cancellations, concurrent payments of one invoice, and idempotency
 * keys used at once or while their first call is in flight. Every
 * test starts from an empty database and checks exact numbers.
 */
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define N_THREADS 8

static const char *const server_args[] = { "--test-clock", "--workers", "8",
	"--job-workers", "0", "--run-batch", "25", "--run-parallel", "2",
	NULL };

static void sql(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static long long sqlv(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static void sqls(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

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

/* The first value of a query, as text. */
static void
sqls(char *buf, size_t cap, const char *fmt, ...)
{
	char q[3600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	th_psql_value(&TH, q, buf, cap);
}

static int
setup(void **state)
{
	(void) state;
	th_start(&TH, server_args);
	return (0);
}

/* An empty database, ids from 1. */
static int
reset(void **state)
{
	(void) state;
	sql("TRUNCATE customers, plans, subscriptions, invoices,"
	    " invoice_items, payments, invoice_sequences, events,"
	    " idempotency_keys, billing_runs, jobs RESTART IDENTITY CASCADE");
	return (0);
}

static void
add_plan(const char *code, long long price, int trial_days)
{
	sql("INSERT INTO plans (code, name, price_minor, currency,"
	    " billing_cycle, trial_days, created_at) VALUES ('%s', 'Plan %s',"
	    " %lld, 'EUR', 'monthly', %d, now())",
	    code, code, price, trial_days);
}

/* Customers 1..n; every other one in DE (19 % tax). */
static void
add_customers(int n)
{
	sql("INSERT INTO customers (email, email_key, name, country,"
	    " created_at) SELECT 'c' || g || '@conc.example', 'c' || g ||"
	    " '@conc.example', 'C' || g, CASE WHEN g %% 2 = 0 THEN 'DE' END,"
	    " now() FROM generate_series(1, %d) g",
	    n);
}

/*
 * Active subscriptions [first, first + n) of customers with the same
 * ids, on plan 1, anchor day 20, whose period ended on the 20th
 * months_expr months before 20 June of year at 10:00 Berlin: at 15 June
 * of year each has months_expr periods due. months_expr may use g.
 */
static void
add_due_subs(int first, int n, int year, const char *months_expr, bool cape)
{
	sql("INSERT INTO subscriptions (id, customer_id, plan_id, status,"
	    " quantity, billing_anchor_day, started_at,"
	    " current_period_start, current_period_end,"
	    " cancel_at_period_end, created_at)"
	    " SELECT g, g, 1, 'active', 1, 20, e - interval '1 month',"
	    " e - interval '1 month', e, %s, e - interval '1 month' FROM"
	    " (SELECT g, (timestamp '%d-06-20 10:00:00' - make_interval("
	    "   months => %s)) AT TIME ZONE 'Europe/Berlin' AS e"
	    "  FROM generate_series(%d, %d) g) x ORDER BY g",
	    cape ? "true" : "false", year, months_expr, first, first + n - 1);
}

/* Trials [first, first + n) ending 1 June of year 09:30 Berlin. */
static void
add_due_trials(int first, int n, int year)
{
	sql("INSERT INTO subscriptions (id, customer_id, plan_id, status,"
	    " quantity, billing_anchor_day, started_at, trial_ends_at,"
	    " current_period_start, current_period_end, created_at)"
	    " SELECT g, g, 1, 'trial', 1, 1, t - interval '14 days', t,"
	    " t - interval '14 days', t, t - interval '14 days' FROM"
	    " (SELECT g, timestamp '%d-06-01 09:30:00'"
	    "   AT TIME ZONE 'Europe/Berlin' AS t"
	    "  FROM generate_series(%d, %d) g) x ORDER BY g",
	    year, first, first + n - 1);
}

/* Ids were given explicitly: move the identity past them. */
static void
sync_sub_ids(void)
{
	sql("SELECT setval(pg_get_serial_sequence('subscriptions', 'id'),"
	    " (SELECT max(id) FROM subscriptions))");
}

/* The invoice numbers of year are exactly 1..n, the sequence at n. */
static void
assert_gapless(int year, long long n)
{
	assert_int_equal(sqlv("SELECT count(*) FROM invoices WHERE number"
	                      " LIKE 'INV-%d-%%'",
	                     year),
	    n);
	assert_int_equal(sqlv("SELECT count(DISTINCT number) FROM invoices"
	                      " WHERE number LIKE 'INV-%d-%%'",
	                     year),
	    n);
	assert_int_equal(sqlv("SELECT coalesce(min(substr(number, 10)::int),"
	                      " 0) FROM invoices WHERE number LIKE"
	                      " 'INV-%d-%%'",
	                     year),
	    n > 0 ? 1 : 0);
	assert_int_equal(sqlv("SELECT coalesce(max(substr(number, 10)::int),"
	                      " 0) FROM invoices WHERE number LIKE"
	                      " 'INV-%d-%%'",
	                     year),
	    n);
	assert_int_equal(sqlv("SELECT coalesce(sum(last_no), 0) FROM"
	                      " invoice_sequences WHERE year = %d",
	                     year),
	    n);
}

/* No period of a subscription has two invoices. */
static void
assert_no_double_billing(void)
{
	assert_int_equal(
	    sqlv("SELECT count(*) FROM (SELECT 1 FROM invoices WHERE"
	         " run_period_start IS NOT NULL GROUP BY subscription_id,"
	         " run_period_start HAVING count(*) > 1) d"),
	    0);
	assert_int_equal(
	    sqlv("SELECT count(*) FROM (SELECT 1 FROM invoices GROUP BY"
	         " subscription_id, period_start HAVING count(*) > 1) d"),
	    0);
}

/* Call options at now, Berlin 'YYYY-MM-DD HH:MM:SS' (the test clock). */
static billing_call_opts
at(const char *now)
{
	billing_call_opts o = { 0 };

	o.now = now;
	o.timeout_ms = 60000;
	return (o);
}

static int
create_sub(const char *now, const char *key, int64_t customer, int quantity,
    Billing__V1__SubscriptionResult **out, billing_status *st)
{
	Billing__V1__CreateSubscriptionRequest req =
	    BILLING__V1__CREATE_SUBSCRIPTION_REQUEST__INIT;
	billing_call_opts o = at(now);

	o.idempotency_key = key;
	req.has_customer_id = 1;
	req.customer_id = customer;
	req.has_plan_id = 1;
	req.plan_id = 1;
	req.has_trial = 1;
	req.trial = 0;
	if (quantity > 0) {
		req.has_quantity = 1;
		req.quantity = quantity;
	}
	*out = NULL;
	return (billing_subscriptions_create(TH.client, &req, out, &o, st));
}

static int
pay(const char *now, const char *key, int64_t invoice, int64_t amount,
    const char *txn, Billing__V1__PaymentResult **out, billing_status *st)
{
	Billing__V1__CreatePaymentRequest req =
	    BILLING__V1__CREATE_PAYMENT_REQUEST__INIT;
	billing_call_opts o = at(now);

	o.idempotency_key = key;
	req.has_invoice_id = 1;
	req.invoice_id = invoice;
	req.has_amount_minor = 1;
	req.amount_minor = amount;
	req.has_method = 1;
	req.method = BILLING__V1__PAYMENT_METHOD__PAYMENT_METHOD_CARD;
	req.transaction_id = (char *) txn;
	*out = NULL;
	return (billing_payments_create(TH.client, &req, out, &o, st));
}

static int
run_cycle(const char *now, const char *key,
    Billing__V1__RunCycleResponse **out, billing_status *st)
{
	Billing__V1__RunCycleRequest req =
	    BILLING__V1__RUN_CYCLE_REQUEST__INIT;
	billing_call_opts o = at(now);

	o.idempotency_key = key;
	*out = NULL;
	return (billing_billing_run_cycle(TH.client, &req, out, &o, st));
}

static int
cancel_now(const char *now, int64_t sub, billing_status *st)
{
	Billing__V1__CancelSubscriptionRequest req =
	    BILLING__V1__CANCEL_SUBSCRIPTION_REQUEST__INIT;
	Billing__V1__Subscription *s = NULL;
	billing_call_opts o = at(now);
	int rv;

	req.has_id = 1;
	req.id = sub;
	req.has_at_period_end = 1;
	req.at_period_end = 0;
	rv = billing_subscriptions_cancel(TH.client, &req, &s, &o, st);
	if (s != NULL)
		billing__v1__subscription__free_unpacked(s, NULL);
	return (rv);
}

static void
free_sub_result(Billing__V1__SubscriptionResult *r)
{
	if (r != NULL)
		billing__v1__subscription_result__free_unpacked(r, NULL);
}

static void
free_pay_result(Billing__V1__PaymentResult *r)
{
	if (r != NULL)
		billing__v1__payment_result__free_unpacked(r, NULL);
}

static void
free_run(Billing__V1__RunCycleResponse *r)
{
	if (r != NULL)
		billing__v1__run_cycle_response__free_unpacked(r, NULL);
}

/* Billing-server sessions waiting for a lock. */
static long long
lock_waiters(void)
{
	return (sqlv("SELECT count(*) FROM pg_stat_activity WHERE"
	             " application_name = 'billing-server' AND"
	             " wait_event_type = 'Lock'"));
}

static void
wait_lock_waiters(long long n)
{
	int64_t t0 = th_now_ms();

	while (lock_waiters() < n) {
		if (th_now_ms() - t0 > 20000)
			fail_msg("fewer than %lld calls wait for a lock", n);
		th_sleep_ms(10);
	}
}

/*
 * A psql session that runs lock_sql in a transaction and holds its locks
 * until hold_release(): the way to keep a call in flight.
 */
static void
hold_start(const char *lock_sql)
{
	char path[400];
	FILE *f;
	int64_t t0 = th_now_ms();

	snprintf(path, sizeof(path), "%s/hold.release", TH.dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/hold.done", TH.dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/hold.sql", TH.dir);
	assert_non_null(f = fopen(path, "w"));
	fprintf(f,
	    "BEGIN;\n%s;\n"
	    "\\! i=0; while [ ! -f %s/hold.release ] && [ $i -lt 1500 ];"
	    " do sleep 0.02; i=$((i+1)); done\n"
	    "COMMIT;\n\\! touch %s/hold.done\n",
	    lock_sql, TH.dir, TH.dir);
	fclose(f);
	assert_int_equal(th_sh("psql -X -q -v ON_ERROR_STOP=1 '%s' -f %s"
	                       " >%s/hold.log 2>&1 &",
	                     TH.db_url, path, TH.dir),
	    0);
	while (sqlv("SELECT count(*) FROM pg_stat_activity WHERE"
	            " application_name = 'psql' AND state ="
	            " 'idle in transaction'") != 1) {
		if (th_now_ms() - t0 > 20000)
			fail_msg("the holding psql session did not start");
		th_sleep_ms(10);
	}
}

static void
hold_release(void)
{
	char path[400];
	FILE *f;
	int64_t t0 = th_now_ms();

	snprintf(path, sizeof(path), "%s/hold.release", TH.dir);
	assert_non_null(f = fopen(path, "w"));
	fclose(f);
	snprintf(path, sizeof(path), "%s/hold.done", TH.dir);
	while (access(path, F_OK) != 0) {
		if (th_now_ms() - t0 > 20000)
			fail_msg("the holding psql session did not end");
		th_sleep_ms(10);
	}
}

/* ---------------------------------------------------------------- */

#define CREATES_PER_THREAD 25
#define N_CREATES (N_THREADS * CREATES_PER_THREAD)

typedef struct creator {
	int t;
	pthread_barrier_t *go;
	int failed;
	int number[CREATES_PER_THREAD];
	int64_t sub[CREATES_PER_THREAD];
} creator;

static void *
creator_main(void *p)
{
	creator *c = p;

	pthread_barrier_wait(c->go);
	for (int i = 0; i < CREATES_PER_THREAD; i++) {
		Billing__V1__SubscriptionResult *r;
		billing_status st = BILLING_STATUS_INIT;
		int64_t customer = c->t * CREATES_PER_THREAD + i + 1;

		if (create_sub("2025-03-10 12:00:00", NULL, customer, 0, &r,
		        &st) != 0 ||
		    r->invoice == NULL || r->invoice->number == NULL ||
		    strncmp(r->invoice->number, "INV-2025-", 9) != 0)
			c->failed++;
		else {
			c->number[i] = atoi(r->invoice->number + 9);
			c->sub[i] = r->subscription->id;
		}
		free_sub_result(r);
		billing_status_fini(&st);
	}
	return (NULL);
}

/* 8 x 25 creates at once: numbers 1..200 of the year, no gap. */
static void
test_gapless_numbers_concurrent_creates(void **state)
{
	static creator c[N_THREADS];
	pthread_t tid[N_THREADS];
	pthread_barrier_t go;
	bool seen[N_CREATES + 1] = { false };

	(void) state;
	add_plan("basic", 1000, 14); /* trial=false overrides the trial */
	add_customers(N_CREATES);
	pthread_barrier_init(&go, NULL, N_THREADS);
	for (int t = 0; t < N_THREADS; t++) {
		memset(&c[t], 0, sizeof(c[t]));
		c[t].t = t;
		c[t].go = &go;
		assert_int_equal(
		    pthread_create(&tid[t], NULL, creator_main, &c[t]), 0);
	}
	for (int t = 0; t < N_THREADS; t++)
		pthread_join(tid[t], NULL);
	pthread_barrier_destroy(&go);

	for (int t = 0; t < N_THREADS; t++) {
		assert_int_equal(c[t].failed, 0);
		for (int i = 0; i < CREATES_PER_THREAD; i++) {
			int n = c[t].number[i];

			assert_in_range(n, 1, N_CREATES);
			assert_false(seen[n]);
			seen[n] = true;
		}
	}
	assert_gapless(2025, N_CREATES);
	assert_int_equal(sqlv("SELECT count(*) FROM invoices"), N_CREATES);
	assert_int_equal(sqlv("SELECT count(DISTINCT subscription_id) FROM"
	                      " invoices"),
	    N_CREATES);
	assert_int_equal(sqlv("SELECT count(*) FROM subscriptions WHERE"
	                      " status = 'active'"),
	    N_CREATES);
	/* Numbers follow the order of the commits, so of the ids. */
	assert_int_equal(
	    sqlv("SELECT count(*) FROM invoices a JOIN invoices b ON"
	         " a.id < b.id AND a.number > b.number"),
	    0);
	assert_int_equal(sqlv("SELECT count(*) FROM events WHERE type ="
	                      " 'invoice.created'"),
	    N_CREATES);
}

/* ---------------------------------------------------------------- */

typedef struct runner {
	const char *now;
	pthread_barrier_t *go;
	int rv;
	Billing__V1__RunCycleResponse *r;
	int64_t start_ms, end_ms;
} runner;

static void *
runner_main(void *p)
{
	runner *a = p;
	billing_status st = BILLING_STATUS_INIT;

	if (a->go != NULL)
		pthread_barrier_wait(a->go);
	a->start_ms = th_now_ms();
	a->rv = run_cycle(a->now, NULL, &a->r, &st);
	a->end_ms = th_now_ms();
	billing_status_fini(&st);
	return (NULL);
}

#define RUN2_NOW "2026-06-15 12:00:00"
#define RUN2_RENEW 300
#define RUN2_TRIALS 40
#define RUN2_CAPE 20

/*
 * Two RunCycles at once over 300 subscriptions with 1 to 4 missed
 * periods, 40 due trials and 20 period-end cancellations: together they
 * bill every period once.
 */
static void
test_two_runs_at_once(void **state)
{
	runner a[2] = { { 0 } };
	pthread_t tid[2];
	pthread_barrier_t go;
	long long renew = 0, inv;
	Billing__V1__RunCycleResponse *again;
	billing_status st = BILLING_STATUS_INIT;

	(void) state;
	add_plan("basic", 1000, 0);
	add_customers(RUN2_RENEW + RUN2_TRIALS + RUN2_CAPE);
	add_due_subs(1, RUN2_RENEW, 2026, "1 + g % 4", false);
	add_due_trials(RUN2_RENEW + 1, RUN2_TRIALS, 2026);
	add_due_subs(RUN2_RENEW + RUN2_TRIALS + 1, RUN2_CAPE, 2026, "1", true);
	sync_sub_ids();
	for (int g = 1; g <= RUN2_RENEW; g++)
		renew += 1 + g % 4;
	inv = renew + RUN2_TRIALS;
	assert_int_equal(renew, 750);

	pthread_barrier_init(&go, NULL, 2);
	for (int i = 0; i < 2; i++) {
		a[i].now = RUN2_NOW;
		a[i].go = &go;
		assert_int_equal(
		    pthread_create(&tid[i], NULL, runner_main, &a[i]), 0);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(tid[i], NULL);
	pthread_barrier_destroy(&go);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(a[i].rv, 0);
		print_message("run %" PRId64 ": %d invoices, %d renewed, %d"
		              " trials, %d cancelled in %" PRId64 " ms\n",
		    a[i].r->run_id, a[i].r->invoices_created, a[i].r->renewed,
		    a[i].r->trials_converted, a[i].r->cancelled,
		    a[i].end_ms - a[i].start_ms);
	}
	assert_int_equal(a[0].r->renewed + a[1].r->renewed, renew);
	assert_int_equal(
	    a[0].r->trials_converted + a[1].r->trials_converted, RUN2_TRIALS);
	assert_int_equal(a[0].r->cancelled + a[1].r->cancelled, RUN2_CAPE);
	assert_int_equal(
	    a[0].r->invoices_created + a[1].r->invoices_created, inv);
	assert_int_equal(a[0].r->past_due + a[1].r->past_due, 0);
	assert_int_equal(a[0].r->expired + a[1].r->expired, 0);
	assert_int_equal(a[0].r->run_id + a[1].r->run_id, 3);

	/* Each period once; every subscription at its next period. */
	assert_gapless(2026, inv);
	assert_no_double_billing();
	assert_int_equal(
	    sqlv("SELECT count(*) FROM subscriptions s WHERE (SELECT"
	         " count(*) FROM invoices i WHERE i.subscription_id = s.id)"
	         " <> CASE WHEN s.id <= %d THEN 1 + s.id %% 4"
	         " WHEN s.id <= %d THEN 1 ELSE 0 END",
	        RUN2_RENEW, RUN2_RENEW + RUN2_TRIALS),
	    0);
	assert_int_equal(
	    sqlv("SELECT count(*) FROM subscriptions WHERE status = 'active'"
	         " AND current_period_end = CASE WHEN id <= %d THEN"
	         " timestamp '2026-06-20 10:00:00' ELSE timestamp"
	         " '2026-07-01 09:30:00' END AT TIME ZONE 'Europe/Berlin'",
	        RUN2_RENEW),
	    RUN2_RENEW + RUN2_TRIALS);
	assert_int_equal(
	    sqlv("SELECT count(*) FROM subscriptions WHERE status ="
	         " 'cancelled' AND cancelled_at = current_period_end AND"
	         " cancel_at_period_end"),
	    RUN2_CAPE);
	/* One event per transition; each run's record as it answered. */
	assert_int_equal(sqlv("SELECT count(*) FROM events WHERE type ="
	                      " 'subscription.renewed'"),
	    RUN2_RENEW);
	assert_int_equal(sqlv("SELECT count(*) FROM events WHERE type ="
	                      " 'subscription.activated'"),
	    RUN2_TRIALS);
	assert_int_equal(sqlv("SELECT count(*) FROM events WHERE type ="
	                      " 'subscription.cancelled'"),
	    RUN2_CAPE);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(
		    sqlv(
		        "SELECT count(*) FROM billing_runs WHERE id = %" PRId64
		        " AND status = 'succeeded' AND invoices_created = %d"
		        " AND renewed = %d AND trials_converted = %d AND"
		        " cancelled = %d",
		        a[i].r->run_id, a[i].r->invoices_created,
		        a[i].r->renewed, a[i].r->trials_converted,
		        a[i].r->cancelled),
		    1);
		free_run(a[i].r);
	}

	/* A third run at the same now finds nothing to do. */
	assert_int_equal(run_cycle(RUN2_NOW, NULL, &again, &st), 0);
	assert_int_equal(again->invoices_created, 0);
	assert_int_equal(again->renewed + again->trials_converted +
	        again->cancelled + again->past_due + again->expired,
	    0);
	free_run(again);
	assert_gapless(2026, inv);
}

/* ---------------------------------------------------------------- */

#define RUN3_NOW "2027-06-15 12:00:00"
#define RUN3_SUBS 400

typedef struct actor {
	pthread_barrier_t *go;
	int first, step, stride; /* subscriptions first, first+stride.. */
	bool cancel;             /* else pays the old invoice */
	int ok, failed;
	int64_t last_end_ms;
} actor;

static void *
actor_main(void *p)
{
	actor *a = p;

	pthread_barrier_wait(a->go);
	for (int g = a->first; g <= RUN3_SUBS; g += a->stride) {
		billing_status st = BILLING_STATUS_INIT;
		int rv;

		if (a->cancel)
			rv = cancel_now(RUN3_NOW, g, &st);
		else {
			Billing__V1__PaymentResult *r;
			char txn[32];

			snprintf(txn, sizeof(txn), "old-%d", g);
			/* The old invoice of subscription g has id g. */
			rv = pay(RUN3_NOW, NULL, g, 1000, txn, &r, &st);
			free_pay_result(r);
		}
		if (rv == 0)
			a->ok++;
		else {
			a->failed++;
			print_message("subscription %d: %s %s\n", g,
			    billing_code_name(st.code),
			    st.message ? st.message : "");
		}
		billing_status_fini(&st);
	}
	a->last_end_ms = th_now_ms();
	return (NULL);
}

/*
 * A run over 400 subscriptions (1 to 3 periods due, each with an old
 * unpaid invoice 5 days overdue) while two threads pay the old invoices
 * of even subscriptions and two cancel every fifth subscription at
 * once. Each period is billed once, never after the cancellation, every
 * transition has its event, and the states end up as the contract says
 * whatever the order.
 */
static void
test_run_with_payments_and_cancellations(void **state)
{
	actor act[4];
	runner run = { 0 };
	pthread_t tid[5];
	pthread_barrier_t go;
	long long due = 0, n_inv;
	int n_cancel = RUN3_SUBS / 5, n_pay = RUN3_SUBS / 2;

	(void) state;
	add_plan("basic", 1000, 0);
	sql("INSERT INTO customers (email, email_key, name, created_at)"
	    " SELECT 'c' || g || '@run.example', 'c' || g || '@run.example',"
	    " 'C' || g, now() FROM generate_series(1, %d) g",
	    RUN3_SUBS);
	add_due_subs(1, RUN3_SUBS, 2027, "1 + g % 3", false);
	sync_sub_ids();
	/* Old invoice g of subscription g: 10.00, due 5 days before. */
	sql("INSERT INTO invoices (id, customer_id, subscription_id, number,"
	    " currency, subtotal_minor, total_minor, status, period_start,"
	    " period_end, due_date, created_at) SELECT g, g, g,"
	    " 'INV-2026-' || lpad(g::text, 6, '0'), 'EUR', 1000, 1000,"
	    " 'unpaid', date '2027-05-27', date '2027-06-27',"
	    " date '2027-06-10', timestamptz '2027-05-27 10:00:00+02'"
	    " FROM generate_series(1, %d) g",
	    RUN3_SUBS);
	sql("INSERT INTO invoice_sequences VALUES (2026, %d)", RUN3_SUBS);
	sql("SELECT setval(pg_get_serial_sequence('invoices', 'id'), %d)",
	    RUN3_SUBS);
	for (int g = 1; g <= RUN3_SUBS; g++)
		due += 1 + g % 3;

	pthread_barrier_init(&go, NULL, 5);
	for (int i = 0; i < 4; i++) {
		memset(&act[i], 0, sizeof(act[i]));
		act[i].go = &go;
		act[i].cancel = i >= 2;
		/* payers: 2, 6, 10, ... and 4, 8, 12, ...; cancellers:
		 * 5, 15, 25, ... and 10, 20, 30, ... */
		act[i].first = act[i].cancel ? 5 * (i - 1) : 2 * (i + 1);
		act[i].stride = act[i].cancel ? 10 : 4;
		assert_int_equal(
		    pthread_create(&tid[i], NULL, actor_main, &act[i]), 0);
	}
	run.now = RUN3_NOW;
	run.go = &go;
	assert_int_equal(pthread_create(&tid[4], NULL, runner_main, &run), 0);
	for (int i = 0; i < 5; i++)
		pthread_join(tid[i], NULL);
	pthread_barrier_destroy(&go);

	assert_int_equal(run.rv, 0);
	assert_int_equal(act[0].ok + act[1].ok, n_pay);
	assert_int_equal(act[2].ok + act[3].ok, n_cancel);
	for (int i = 0; i < 4; i++)
		assert_int_equal(act[i].failed, 0);
	print_message("run: %d invoices, %d past_due in %" PRId64
	              " ms; payers done %" PRId64 "/%" PRId64
	              " ms, cancellers %" PRId64 "/%" PRId64 " ms after its"
	              " start\n",
	    run.r->invoices_created, run.r->past_due,
	    run.end_ms - run.start_ms, act[0].last_end_ms - run.start_ms,
	    act[1].last_end_ms - run.start_ms,
	    act[2].last_end_ms - run.start_ms,
	    act[3].last_end_ms - run.start_ms);

	/* The run's invoices: numbered 1..n of 2027, each period once. */
	n_inv = sqlv("SELECT count(*) FROM invoices WHERE run_period_start"
	             " IS NOT NULL");
	assert_int_equal(run.r->invoices_created, n_inv);
	assert_int_equal(run.r->renewed, n_inv);
	assert_int_equal(run.r->cancelled, 0);
	assert_int_equal(run.r->expired, 0);
	assert_gapless(2027, n_inv);
	assert_gapless(2026, RUN3_SUBS);
	assert_no_double_billing();
	/* Not cancelled: all due periods. Cancelled: all or none. */
	assert_int_equal(
	    sqlv("SELECT count(*) FROM subscriptions s WHERE (SELECT"
	         " count(*) FROM invoices i WHERE i.subscription_id = s.id"
	         " AND i.run_period_start IS NOT NULL) NOT IN (1 + s.id %% 3,"
	         " CASE WHEN s.status = 'cancelled' THEN 0 ELSE -1 END)"),
	    0);
	assert_true(n_inv <= due);
	/* Every cancellation recorded once, at now. */
	assert_int_equal(sqlv("SELECT count(*) FROM subscriptions WHERE"
	                      " status = 'cancelled' AND id %% 5 = 0 AND"
	                      " cancelled_at = timestamp '" RUN3_NOW "'"
	                      " AT TIME ZONE 'Europe/Berlin'"),
	    n_cancel);
	assert_int_equal(sqlv("SELECT count(*) FROM subscriptions WHERE"
	                      " status = 'cancelled'"),
	    n_cancel);
	assert_int_equal(
	    sqlv("SELECT count(*) FROM (SELECT object_id FROM events WHERE"
	         " type = 'subscription.cancelled' GROUP BY object_id"
	         " HAVING count(*) = 1) e JOIN subscriptions s ON s.id ="
	         " e.object_id AND s.status = 'cancelled'"),
	    n_cancel);
	/* Nothing billed after a cancellation, by the event order. */
	assert_int_equal(
	    sqlv("SELECT count(*) FROM events c JOIN invoices i ON"
	         " i.subscription_id = c.object_id JOIN events e ON"
	         " e.type = 'invoice.created' AND e.object_id = i.id"
	         " WHERE c.type = 'subscription.cancelled' AND e.id > c.id"),
	    0);
	assert_int_equal(
	    sqlv("SELECT count(*) FROM events c JOIN events r ON"
	         " r.object_id = c.object_id AND r.type ="
	         " 'subscription.renewed' AND r.object_type = 'subscription'"
	         " WHERE c.type = 'subscription.cancelled' AND r.id > c.id"),
	    0);
	assert_int_equal(
	    sqlv("SELECT count(*) FROM invoices i JOIN subscriptions s ON"
	         " s.id = i.subscription_id WHERE s.status = 'cancelled' AND"
	         " i.run_period_start > s.cancelled_at"),
	    0);
	/* A renewal event for each subscription billed, none for others. */
	assert_int_equal(sqlv("SELECT count(*) FROM events WHERE type ="
	                      " 'subscription.renewed'"),
	    sqlv("SELECT count(DISTINCT subscription_id) FROM invoices WHERE"
	         " run_period_start IS NOT NULL"));
	/* Every payment recorded, each old invoice paid once. */
	assert_int_equal(sqlv("SELECT count(*) FROM payments WHERE method ="
	                      " 'card' AND status = 'success'"),
	    n_pay);
	assert_int_equal(sqlv("SELECT count(*) FROM payments"), n_pay);
	assert_int_equal(sqlv("SELECT count(*) FROM invoices WHERE id <= %d"
	                      " AND status = 'paid' AND id %% 2 = 0",
	                     RUN3_SUBS),
	    n_pay);
	assert_int_equal(sqlv("SELECT count(*) FROM events WHERE type ="
	                      " 'invoice.paid'"),
	    n_pay);
	/*
	 * Dunning, in whatever order it met the payments: a subscription
	 * whose old invoice was paid is active, the others past_due (the
	 * run's new invoices are not due yet).
	 */
	assert_int_equal(sqlv("SELECT count(*) FROM subscriptions WHERE"
	                      " status <> 'cancelled' AND status <> CASE"
	                      " WHEN id %% 2 = 0 THEN 'active' ELSE"
	                      " 'past_due' END"),
	    0);
	assert_int_equal(sqlv("SELECT count(*) FROM events WHERE type ="
	                      " 'subscription.past_due'"),
	    run.r->past_due);
	assert_int_equal(
	    sqlv("SELECT count(*) FROM events p WHERE p.type ="
	         " 'subscription.past_due' AND p.object_id %% 2 = 0 AND NOT"
	         " EXISTS (SELECT 1 FROM events r WHERE r.object_id ="
	         " p.object_id AND r.type IN ('subscription.reactivated',"
	         " 'subscription.cancelled') AND r.id > p.id)"),
	    0);
	assert_int_equal(sqlv("SELECT count(*) FROM billing_runs WHERE status"
	                      " = 'succeeded' AND invoices_created = %lld AND"
	                      " past_due = %d",
	                     n_inv, run.r->past_due),
	    1);
	free_run(run.r);
}

/* ---------------------------------------------------------------- */

#define DUN_NOW "2028-06-15 12:00:00"

typedef struct payer {
	int64_t invoice;
	int rv;
} payer;

static void *
payer_main(void *p)
{
	payer *a = p;
	Billing__V1__PaymentResult *r;
	billing_status st = BILLING_STATUS_INIT;
	char txn[32];

	snprintf(txn, sizeof(txn), "dun-%" PRId64, a->invoice);
	a->rv = pay(DUN_NOW, NULL, a->invoice, 1000, txn, &r, &st);
	free_pay_result(r);
	billing_status_fini(&st);
	return (NULL);
}

/*
 * Dunning decides on the invoices as they are once it holds the
 * subscription's lock. Two payments are held in flight (a psql session
 * holds their customers' rows) after they locked their invoices and
 * subscriptions: the run's dunning waits for them, and must then see
 * the invoices paid. Subscription 1 is active with an invoice 5 days
 * overdue, subscription 2 past_due with one 20 days overdue.
 */
static void
test_dunning_sees_payments_it_waited_for(void **state)
{
	payer p[2] = { { 1, -1 }, { 2, -1 } };
	runner run = { 0 };
	pthread_t tid[3];

	(void) state;
	add_plan("basic", 1000, 0);
	sql("INSERT INTO customers (email, email_key, created_at) VALUES"
	    " ('a@dun.example', 'a@dun.example', now()),"
	    " ('b@dun.example', 'b@dun.example', now())");
	sql("INSERT INTO subscriptions (customer_id, plan_id, status,"
	    " quantity, billing_anchor_day, started_at,"
	    " current_period_start, current_period_end, created_at)"
	    " SELECT g, 1, CASE g WHEN 1 THEN 'active' ELSE 'past_due' END,"
	    " 1, 20, timestamptz '2028-05-20 10:00:00+02', timestamptz"
	    " '2028-05-20 10:00:00+02', timestamptz '2028-06-20"
	    " 10:00:00+02', timestamptz '2028-05-20 10:00:00+02'"
	    " FROM generate_series(1, 2) g");
	sql("INSERT INTO invoices (customer_id, subscription_id, number,"
	    " currency, subtotal_minor, total_minor, status, period_start,"
	    " period_end, due_date, created_at) SELECT g, g,"
	    " 'INV-2028-00000' || g, 'EUR', 1000, 1000, 'unpaid',"
	    " date '2028-05-20', date '2028-06-20', CASE g WHEN 1 THEN"
	    " date '2028-06-10' ELSE date '2028-05-26' END,"
	    " timestamptz '2028-05-20 10:00:00+02'"
	    " FROM generate_series(1, 2) g");
	sql("INSERT INTO invoice_sequences VALUES (2028, 2)");

	hold_start("SELECT id FROM customers ORDER BY id FOR UPDATE");
	for (int i = 0; i < 2; i++)
		assert_int_equal(
		    pthread_create(&tid[i], NULL, payer_main, &p[i]), 0);
	wait_lock_waiters(2); /* both hold invoice and subscription */
	run.now = DUN_NOW;
	assert_int_equal(pthread_create(&tid[2], NULL, runner_main, &run), 0);
	wait_lock_waiters(3); /* the run's dunning waits for them */
	hold_release();
	for (int i = 0; i < 3; i++)
		pthread_join(tid[i], NULL);

	assert_int_equal(p[0].rv, 0);
	assert_int_equal(p[1].rv, 0);
	assert_int_equal(run.rv, 0);
	assert_int_equal(sqlv("SELECT count(*) FROM invoices WHERE status ="
	                      " 'paid'"),
	    2);
	{
		char buf[256];

		sqls(buf, sizeof(buf),
		    "SELECT string_agg(id || ':' || status, ' ' ORDER BY id)"
		    " FROM subscriptions");
		print_message("subscriptions after the run: %s\n", buf);
	}
	/* Both paid before dunning could decide: both active. */
	assert_int_equal(sqlv("SELECT count(*) FROM subscriptions WHERE"
	                      " status = 'active'"),
	    2);
	assert_int_equal(run.r->past_due, 0);
	assert_int_equal(run.r->expired, 0);
	assert_int_equal(sqlv("SELECT count(*) FROM events WHERE type IN"
	                      " ('subscription.past_due',"
	                      " 'subscription.expired')"),
	    0);
	free_run(run.r);
}

/* ---------------------------------------------------------------- */

#define PAY_NOW "2029-03-01 12:00:00"

typedef struct one_payer {
	pthread_barrier_t *go;
	int t;
	int64_t invoice, amount;
	const char *key;
	int rv;
	char reason[64];
	int64_t payment_id;
} one_payer;

static void *
one_payer_main(void *p)
{
	one_payer *a = p;
	Billing__V1__PaymentResult *r;
	billing_status st = BILLING_STATUS_INIT;
	char txn[32];

	/* With a key, all requests are identical; else one per thread. */
	if (a->key != NULL)
		snprintf(txn, sizeof(txn), "tx-same");
	else
		snprintf(
		    txn, sizeof(txn), "tx-%" PRId64 "-%d", a->invoice, a->t);
	pthread_barrier_wait(a->go);
	a->rv = pay(PAY_NOW, a->key, a->invoice, a->amount, txn, &r, &st);
	snprintf(a->reason, sizeof(a->reason), "%s",
	    st.reason != NULL ? st.reason : "");
	a->payment_id = r != NULL && r->payment != NULL ? r->payment->id : 0;
	free_pay_result(r);
	billing_status_fini(&st);
	return (NULL);
}

static void
pay_all_at_once(one_payer *a)
{
	pthread_t tid[N_THREADS];
	pthread_barrier_t go;

	pthread_barrier_init(&go, NULL, N_THREADS);
	for (int t = 0; t < N_THREADS; t++) {
		a[t].go = &go;
		a[t].t = t;
		assert_int_equal(
		    pthread_create(&tid[t], NULL, one_payer_main, &a[t]), 0);
	}
	for (int t = 0; t < N_THREADS; t++)
		pthread_join(tid[t], NULL);
	pthread_barrier_destroy(&go);
}

/* Returns the invoice id of a new subscription of customer. */
static int64_t
new_invoice(int64_t customer, int64_t *total)
{
	Billing__V1__SubscriptionResult *r;
	billing_status st = BILLING_STATUS_INIT;
	int64_t id;

	assert_int_equal(create_sub(PAY_NOW, NULL, customer, 0, &r, &st), 0);
	assert_non_null(r->invoice);
	id = r->invoice->id;
	*total = r->invoice->total_minor;
	free_sub_result(r);
	return (id);
}

/*
 * 8 payments of the full total of one invoice at once: one wins, 7 are
 * refused as already paid. 8 overpayments of 8 invoices of one customer
 * at once: the balance is the exact sum of the excesses.
 */
static void
test_concurrent_payments(void **state)
{
	one_payer a[N_THREADS];
	int64_t inv, total, excess = 0;
	int ok = 0;

	(void) state;
	add_plan("basic", 1000, 0);
	add_customers(2); /* customer 2 pays 19 % tax */

	inv = new_invoice(1, &total);
	assert_int_equal(total, 1000);
	memset(a, 0, sizeof(a));
	for (int t = 0; t < N_THREADS; t++) {
		a[t].invoice = inv;
		a[t].amount = total;
	}
	pay_all_at_once(a);
	for (int t = 0; t < N_THREADS; t++)
		if (a[t].rv == 0)
			ok++;
		else {
			assert_int_equal(a[t].rv, BILLING_ALREADY_EXISTS);
			assert_string_equal(
			    a[t].reason, "INVOICE_ALREADY_PAID");
		}
	assert_int_equal(ok, 1);
	assert_int_equal(sqlv("SELECT count(*) FROM payments WHERE"
	                      " invoice_id = %" PRId64,
	                     inv),
	    1);
	assert_int_equal(
	    sqlv("SELECT count(*) FROM invoices WHERE id = %" PRId64
	         " AND status = 'paid' AND paid_at IS NOT NULL",
	        inv),
	    1);
	assert_int_equal(sqlv("SELECT count(*) FROM events WHERE type ="
	                      " 'invoice.paid' AND object_id = %" PRId64,
	                     inv),
	    1);
	assert_int_equal(
	    sqlv("SELECT balance_minor FROM customers WHERE id = 1"), 0);

	/* Overpayments: invoice t gets total + 100 * (t + 1) + t. */
	memset(a, 0, sizeof(a));
	for (int t = 0; t < N_THREADS; t++) {
		a[t].invoice = new_invoice(2, &total);
		assert_int_equal(total, 1190);
		a[t].amount = total + 100 * (t + 1) + t;
		excess += 100 * (t + 1) + t;
	}
	assert_int_equal(excess, 3628);
	pay_all_at_once(a);
	for (int t = 0; t < N_THREADS; t++)
		assert_int_equal(a[t].rv, 0);
	assert_int_equal(
	    sqlv("SELECT balance_minor FROM customers WHERE id = 2"), excess);
	assert_int_equal(sqlv("SELECT count(*) FROM invoices WHERE"
	                      " customer_id = 2 AND status = 'paid'"),
	    N_THREADS);
	assert_int_equal(sqlv("SELECT sum(amount_minor) FROM payments WHERE"
	                      " customer_id = 2"),
	    N_THREADS * 1190 + excess);
}

/* ---------------------------------------------------------------- */

#define IDEM_NOW "2030-02-01 12:00:00"

typedef struct idem_caller {
	const char *now; /* NULL: IDEM_NOW */
	const char *key;
	int64_t customer;
	bool run; /* RunCycle, else Subscriptions.Create */
	int rv;
	int64_t id, start_ms, end_ms;
	char number[32];
	int invoices;
} idem_caller;

static void *
idem_main(void *p)
{
	idem_caller *a = p;
	billing_status st = BILLING_STATUS_INIT;
	const char *now = a->now != NULL ? a->now : IDEM_NOW;

	a->start_ms = th_now_ms();
	if (a->run) {
		Billing__V1__RunCycleResponse *r;

		a->rv = run_cycle(now, a->key, &r, &st);
		if (r != NULL) {
			a->id = r->run_id;
			a->invoices = r->invoices_created;
		}
		free_run(r);
	} else {
		Billing__V1__SubscriptionResult *r;

		a->rv = create_sub(now, a->key, a->customer, 0, &r, &st);
		if (r != NULL) {
			a->id = r->subscription->id;
			snprintf(a->number, sizeof(a->number), "%s",
			    r->invoice != NULL ? r->invoice->number : "");
		}
		free_sub_result(r);
	}
	a->end_ms = th_now_ms();
	billing_status_fini(&st);
	return (NULL);
}

/*
 * Two calls with one key, the second sent while the first waits on
 * first_waiters sessions (a large RunCycle waits on each of its
 * connections; this one is small, so it has one).
 */
static void
in_flight_pair(
    idem_caller *a, idem_caller *b, const char *lock_sql, int first_waiters)
{
	pthread_t ta, tb;

	hold_start(lock_sql);
	assert_int_equal(pthread_create(&ta, NULL, idem_main, a), 0);
	wait_lock_waiters(first_waiters);
	assert_int_equal(pthread_create(&tb, NULL, idem_main, b), 0);
	wait_lock_waiters(first_waiters + 1); /* b waits for a's key */
	th_sleep_ms(100);
	assert_int_equal(lock_waiters(), first_waiters + 1);
	hold_release();
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	assert_true(b->start_ms < a->end_ms);
}

static void
test_idempotency(void **state)
{
	Billing__V1__SubscriptionResult *r1, *r2, *r3;
	billing_status st = BILLING_STATUS_INIT;
	idem_caller a = { 0 }, b = { 0 };
	char method[64];

	(void) state;
	add_plan("basic", 1000, 0);
	add_customers(3);

	/* Same key, same request: the first response, run once. */
	assert_int_equal(create_sub(IDEM_NOW, "k-same", 1, 0, &r1, &st), 0);
	assert_int_equal(create_sub(IDEM_NOW, "k-same", 1, 0, &r2, &st), 0);
	assert_int_equal(r1->subscription->id, r2->subscription->id);
	assert_int_equal(r1->invoice->id, r2->invoice->id);
	assert_string_equal(r1->invoice->number, r2->invoice->number);
	assert_string_equal(r1->invoice->number, "INV-2030-000001");
	free_sub_result(r2);
	assert_int_equal(sqlv("SELECT count(*) FROM subscriptions WHERE"
	                      " customer_id = 1"),
	    1);
	assert_int_equal(
	    sqlv("SELECT count(*) FROM invoices WHERE customer_id = 1"), 1);
	assert_int_equal(sqlv("SELECT count(*) FROM events WHERE type ="
	                      " 'subscription.created'"),
	    1);
	assert_int_equal(sqlv("SELECT count(*) FROM idempotency_keys WHERE"
	                      " key = 'k-same' AND response IS NOT NULL"),
	    1);
	sqls(method, sizeof(method),
	    "SELECT method FROM idempotency_keys WHERE key = 'k-same'");
	assert_string_equal(method, "/billing.v1.Subscriptions/Create");

	/* Same key, another request or another method: refused. */
	assert_int_equal(create_sub(IDEM_NOW, "k-same", 1, 2, &r2, &st),
	    BILLING_INVALID_ARGUMENT);
	assert_string_equal(st.reason, "IDEMPOTENCY_KEY_REUSED");
	assert_null(r2);
	assert_int_equal(create_sub(IDEM_NOW, "k-same", 2, 0, &r2, &st),
	    BILLING_INVALID_ARGUMENT);
	assert_string_equal(st.reason, "IDEMPOTENCY_KEY_REUSED");
	{
		Billing__V1__CreateCustomerRequest req =
		    BILLING__V1__CREATE_CUSTOMER_REQUEST__INIT;
		Billing__V1__Customer *c = NULL;
		billing_call_opts o = at(IDEM_NOW);

		o.idempotency_key = "k-same";
		req.email = "other@idem.example";
		assert_int_equal(
		    billing_customers_create(TH.client, &req, &c, &o, &st),
		    BILLING_INVALID_ARGUMENT);
		assert_string_equal(st.reason, "IDEMPOTENCY_KEY_REUSED");
		assert_null(c);
	}
	assert_int_equal(sqlv("SELECT count(*) FROM subscriptions"), 1);
	assert_int_equal(sqlv("SELECT count(*) FROM customers"), 3);
	/* The first response still replays. */
	assert_int_equal(create_sub(IDEM_NOW, "k-same", 1, 0, &r2, &st), 0);
	assert_int_equal(r2->subscription->id, r1->subscription->id);
	free_sub_result(r2);
	free_sub_result(r1);

	/* A failed first call stores nothing: the retry runs. */
	assert_int_equal(create_sub(IDEM_NOW, "k-fail", 999, 0, &r3, &st),
	    BILLING_NOT_FOUND);
	assert_string_equal(st.reason, "CUSTOMER_NOT_FOUND");
	assert_int_equal(sqlv("SELECT count(*) FROM idempotency_keys WHERE"
	                      " key = 'k-fail'"),
	    0);
	sql("INSERT INTO customers (id, email, email_key, created_at) VALUES"
	    " (999, 'late@idem.example', 'late@idem.example', now())");
	assert_int_equal(create_sub(IDEM_NOW, "k-fail", 999, 0, &r3, &st), 0);
	assert_int_equal(r3->subscription->customer_id, 999);
	assert_string_equal(r3->invoice->number, "INV-2030-000002");
	free_sub_result(r3);
	assert_int_equal(sqlv("SELECT count(*) FROM idempotency_keys WHERE"
	                      " key = 'k-fail' AND response IS NOT NULL"),
	    1);

	/*
	 * In flight: the first call waits for customer 2's row (held by
	 * psql) with its key claimed; the second, same key, waits for the
	 * first and then answers the first's response.
	 */
	a.key = b.key = "k-flight";
	a.customer = b.customer = 2;
	in_flight_pair(
	    &a, &b, "SELECT id FROM customers WHERE id = 2 FOR UPDATE", 1);
	assert_int_equal(a.rv, 0);
	assert_int_equal(b.rv, 0);
	assert_int_equal(a.id, b.id);
	assert_string_equal(a.number, b.number);
	assert_string_equal(a.number, "INV-2030-000003");
	assert_int_equal(sqlv("SELECT count(*) FROM subscriptions WHERE"
	                      " customer_id = 2"),
	    1);
	assert_int_equal(
	    sqlv("SELECT count(*) FROM invoices WHERE customer_id = 2"), 1);

	/*
	 * A RunCycle in flight: its run waits for a due subscription's
	 * row (held by psql); a second RunCycle with its key waits, then
	 * answers the first's run id and counts.
	 */
	sql("INSERT INTO subscriptions (customer_id, plan_id, status,"
	    " quantity, billing_anchor_day, started_at,"
	    " current_period_start, current_period_end, created_at)"
	    " VALUES (3, 1, 'active', 1, 1, timestamptz '2030-01-01"
	    " 10:00:00+01', timestamptz '2030-01-01 10:00:00+01',"
	    " timestamptz '2030-02-01 10:00:00+01', timestamptz"
	    " '2030-01-01 10:00:00+01')");
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.key = b.key = "k-run";
	a.run = b.run = true;
	in_flight_pair(&a, &b,
	    "SELECT id FROM subscriptions WHERE customer_id = 3 FOR UPDATE",
	    1);
	assert_int_equal(a.rv, 0);
	assert_int_equal(b.rv, 0);
	assert_int_equal(a.id, 1);
	assert_int_equal(b.id, 1);
	assert_int_equal(a.invoices, 1);
	assert_int_equal(b.invoices, 1);
	assert_int_equal(sqlv("SELECT count(*) FROM billing_runs"), 1);
	assert_int_equal(
	    sqlv("SELECT count(*) FROM invoices WHERE customer_id = 3"), 1);
	assert_gapless(2030, 4);

	/* Keys live at least 24 hours. */
	assert_int_equal(sqlv("SELECT count(*) FROM idempotency_keys"), 4);
	assert_int_equal(sqlv("SELECT count(*) FROM idempotency_keys WHERE"
	                      " expires_at >= created_at + interval '24"
	                      " hours'"),
	    4);
	billing_status_fini(&st);
}

/* 8 identical calls with one key at once: one row, one answer. */
static void
test_idempotency_same_key_at_once(void **state)
{
	one_payer a[N_THREADS];
	int64_t inv, total;

	(void) state;
	add_plan("basic", 1000, 0);
	add_customers(1);
	inv = new_invoice(1, &total);
	memset(a, 0, sizeof(a));
	for (int t = 0; t < N_THREADS; t++) {
		a[t].invoice = inv;
		a[t].amount = 400; /* a partial payment, so none is refused */
		a[t].key = "k-pay";
	}
	pay_all_at_once(a);
	for (int t = 0; t < N_THREADS; t++) {
		assert_int_equal(a[t].rv, 0);
		assert_int_equal(a[t].payment_id, a[0].payment_id);
	}
	assert_int_equal(sqlv("SELECT count(*) FROM payments"), 1);
	assert_int_equal(sqlv("SELECT count(*) FROM idempotency_keys"), 1);
	assert_int_equal(
	    sqlv("SELECT count(*) FROM invoices WHERE status = 'unpaid'"), 1);
	assert_int_equal(sqlv("SELECT count(*) FROM events WHERE type ="
	                      " 'payment.created'"),
	    1);
}

/* ---------------------------------------------------------------- */

#define LOCK_NOW "2031-06-15 12:00:00"

static long long
deadlocks(void)
{
	return (sqlv("SELECT deadlocks FROM pg_stat_database WHERE datname ="
	             " current_database()"));
}

/*
 * A run and a Subscriptions.Create for one customer at once: the create
 * holds the customer and wants the year's number sequence, the run
 * holds a subscription of that customer. Both finish at once, without
 * a deadlock (the lock order is subscription, customer, sequence).
 */
static void
test_run_and_create_for_one_customer(void **state)
{
	idem_caller create = { 0 };
	runner run = { 0 };
	pthread_t tc, tr;
	long long dl0 = deadlocks();
	int64_t t0;

	(void) state;
	add_plan("basic", 1000, 0);
	add_customers(1);
	sql("INSERT INTO subscriptions (customer_id, plan_id, status,"
	    " quantity, billing_anchor_day, started_at,"
	    " current_period_start, current_period_end, created_at)"
	    " VALUES (1, 1, 'active', 1, 1, timestamptz '2031-05-01"
	    " 10:00:00+02', timestamptz '2031-05-01 10:00:00+02',"
	    " timestamptz '2031-06-01 10:00:00+02', timestamptz"
	    " '2031-05-01 10:00:00+02')");

	hold_start("SELECT id FROM customers WHERE id = 1 FOR UPDATE");
	create.customer = 1;
	create.now = LOCK_NOW;
	assert_int_equal(pthread_create(&tc, NULL, idem_main, &create), 0);
	wait_lock_waiters(1);
	run.now = LOCK_NOW;
	assert_int_equal(pthread_create(&tr, NULL, runner_main, &run), 0);
	wait_lock_waiters(2);
	t0 = th_now_ms();
	hold_release();
	pthread_join(tc, NULL);
	pthread_join(tr, NULL);
	print_message("done %" PRId64 " ms after the release, %lld"
	              " deadlocks\n",
	    th_now_ms() - t0, deadlocks() - dl0);
	assert_int_equal(create.rv, 0);
	assert_int_equal(run.rv, 0);
	assert_int_equal(run.r->invoices_created, 1);
	assert_gapless(2031, 2);
	free_run(run.r);
	th_sleep_ms(1100); /* statistics are flushed at most every second */
	assert_int_equal(deadlocks() - dl0, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(
		    test_gapless_numbers_concurrent_creates, reset),
		cmocka_unit_test_setup(test_two_runs_at_once, reset),
		cmocka_unit_test_setup(
		    test_run_with_payments_and_cancellations, reset),
		cmocka_unit_test_setup(
		    test_dunning_sees_payments_it_waited_for, reset),
		cmocka_unit_test_setup(test_concurrent_payments, reset),
		cmocka_unit_test_setup(test_idempotency, reset),
		cmocka_unit_test_setup(
		    test_idempotency_same_key_at_once, reset),
		cmocka_unit_test_setup(
		    test_run_and_create_for_one_customer, reset),
	};

	return (cmocka_run_group_tests(tests, setup, th_teardown));
}
