/*
 * The billing engine over the wire: the billing rules of the contract
 * (docs/legacy-api.md sections 3 to 6) driven through the real RPCs of a
 * server started with its test clock, every time-dependent call at a
 * chosen x-billing-now.
 *
 * Expected instants are computed with timegm from the UTC equivalent of
 * the Berlin wall time: wall(..., CET) is UTC+1, wall(..., CEST) UTC+2.
 * Each test uses its own customers; after each test every subscription
 * still running is cancelled (in SQL), so that the billing runs of the
 * next test see only that test's subscriptions. Invoice numbers are per
 * Berlin year: tests that expect a first number use a year of their own,
 * the others count from the year's last number read first.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "harness.h"

#define CET 1  /* UTC offset in hours, winter */
#define CEST 2 /* UTC offset in hours, summer */

#define MONTHLY BILLING__V1__BILLING_CYCLE__BILLING_CYCLE_MONTHLY
#define QUARTERLY BILLING__V1__BILLING_CYCLE__BILLING_CYCLE_QUARTERLY
#define YEARLY BILLING__V1__BILLING_CYCLE__BILLING_CYCLE_YEARLY

#define S_TRIAL BILLING__V1__SUBSCRIPTION_STATUS__SUBSCRIPTION_STATUS_TRIAL
#define S_ACTIVE BILLING__V1__SUBSCRIPTION_STATUS__SUBSCRIPTION_STATUS_ACTIVE
#define S_PAST_DUE \
	BILLING__V1__SUBSCRIPTION_STATUS__SUBSCRIPTION_STATUS_PAST_DUE
#define S_CANCELLED \
	BILLING__V1__SUBSCRIPTION_STATUS__SUBSCRIPTION_STATUS_CANCELLED
#define S_EXPIRED BILLING__V1__SUBSCRIPTION_STATUS__SUBSCRIPTION_STATUS_EXPIRED

#define I_UNPAID BILLING__V1__INVOICE_STATUS__INVOICE_STATUS_UNPAID
#define I_PAID BILLING__V1__INVOICE_STATUS__INVOICE_STATUS_PAID
#define I_VOID BILLING__V1__INVOICE_STATUS__INVOICE_STATUS_VOID
#define I_REFUNDED BILLING__V1__INVOICE_STATUS__INVOICE_STATUS_REFUNDED

#define CARD BILLING__V1__PAYMENT_METHOD__PAYMENT_METHOD_CARD
#define PAYPAL BILLING__V1__PAYMENT_METHOD__PAYMENT_METHOD_PAYPAL
#define BANK BILLING__V1__PAYMENT_METHOD__PAYMENT_METHOD_BANK_TRANSFER
#define CREDIT BILLING__V1__PAYMENT_METHOD__PAYMENT_METHOD_CREDIT

#define P_SUCCESS BILLING__V1__PAYMENT_STATUS__PAYMENT_STATUS_SUCCESS
#define P_FAILED BILLING__V1__PAYMENT_STATUS__PAYMENT_STATUS_FAILED
#define P_REFUNDED BILLING__V1__PAYMENT_STATUS__PAYMENT_STATUS_REFUNDED

#define DEFAULT (-1) /* a field left unset: the server's default */

/* The status of the last call made through the helpers below. */
static billing_status ST = BILLING_STATUS_INIT;

/*
 * Messages the helpers return are kept here and freed after each test,
 * so the tests can hold on to them without freeing each one.
 */
#define MAX_KEPT 8192
static ProtobufCMessage *kept[MAX_KEPT];
static size_t n_kept;

static void *kept_mem[MAX_KEPT];
static size_t n_kept_mem;

static void *
keep(void *m)
{
	if (m != NULL) {
		assert_true(n_kept < MAX_KEPT);
		kept[n_kept++] = m;
	}
	return (m);
}

/* An array of n pointers, freed after the test. */
static void *
keep_array(size_t n)
{
	void *p = calloc(n + 1, sizeof(void *));

	assert_non_null(p);
	assert_true(n_kept_mem < MAX_KEPT);
	kept_mem[n_kept_mem++] = p;
	return (p);
}

static const char *const SERVER_ARGS[] = { "--test-clock", NULL };

static int
group_setup(void **state)
{
	(void) state;
	th_start(&TH, SERVER_ARGS);
	return (0);
}

static int
group_teardown(void **state)
{
	(void) state;
	billing_status_fini(&ST);
	th_stop(&TH);
	return (0);
}

/* After each test: nothing of it keeps running into the next one. */
static int
test_teardown(void **state)
{
	(void) state;
	for (size_t i = 0; i < n_kept; i++)
		protobuf_c_message_free_unpacked(kept[i], NULL);
	n_kept = 0;
	for (size_t i = 0; i < n_kept_mem; i++)
		free(kept_mem[i]);
	n_kept_mem = 0;
	th_psql(&TH,
	    "UPDATE subscriptions SET status = 'cancelled'"
	    " WHERE status IN ('trial', 'active', 'past_due')");
	return (0);
}

/*
 * The instant of the Berlin wall time y-mo-d h:mi:s whose UTC offset
 * is off hours: timegm of the UTC equivalent, in microseconds.
 */
static int64_t
wall(int y, int mo, int d, int h, int mi, int s, int off)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h - off;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return ((int64_t) timegm(&tm) * 1000000);
}

/* Call options carrying x-billing-now (NULL: the server's clock). */
static billing_call_opts
at(const char *now)
{
	billing_call_opts o;

	memset(&o, 0, sizeof(o));
	o.now = now;
	return (o);
}

/* ---- database state ---- */

/*
 * Every row of every table a call may write, and the sequences their
 * ids come from (jobs and billing_runs belong to the worker and the run).
 */
static const char *const DIGEST_TABLES[] = { "customers", "plans",
	"subscriptions", "invoices", "invoice_items", "payments",
	"invoice_sequences", "events" };

#define DIGEST_BYTES 2048

static void
digest(char *buf)
{
	char sql[2048];
	size_t n;

	n = (size_t) snprintf(sql, sizeof(sql), "SELECT concat_ws(' '");
	for (size_t i = 0; i < sizeof(DIGEST_TABLES) / sizeof(char *); i++)
		n += (size_t) snprintf(sql + n, sizeof(sql) - n,
		    ", (SELECT md5(coalesce(string_agg(t::text, ','"
		    " ORDER BY t::text), '')) FROM %s t)",
		    DIGEST_TABLES[i]);
	snprintf(sql + n, sizeof(sql) - n,
	    ", (SELECT string_agg(sequencename || '=' ||"
	    " coalesce(last_value::text, '-'), ',' ORDER BY sequencename)"
	    " FROM pg_sequences WHERE sequencename NOT LIKE 'jobs%%'"
	    " AND sequencename NOT LIKE 'billing_runs%%'))");
	assert_true(strlen(sql) < sizeof(sql) - 1);
	th_psql_value(&TH, sql, buf, DIGEST_BYTES);
	assert_true(strlen(buf) > 8 * 32);
}

/* The last invoice number taken in year (0: none yet). */
static int64_t
last_no(int year)
{
	char sql[160], buf[64];

	snprintf(sql, sizeof(sql),
	    "SELECT coalesce(max(last_no), 0) FROM invoice_sequences"
	    " WHERE year = %d",
	    year);
	th_psql_value(&TH, sql, buf, sizeof(buf));
	return (strtoll(buf, NULL, 10));
}

static void
expect_number(const Billing__V1__Invoice *in, int year, int64_t n)
{
	char want[32];

	snprintf(want, sizeof(want), "INV-%04d-%06lld", year, (long long) n);
	assert_non_null(in->number);
	assert_string_equal(in->number, want);
}

/*
 * A refused call: the code and reason expected, and the database
 * exactly as it was before (digest taken then).
 */
static void
refused(int rc, int code, const char *reason, const char *before)
{
	char after[DIGEST_BYTES];

	assert_int_equal(rc, code);
	assert_int_equal(ST.code, code);
	assert_non_null(ST.message);
	assert_non_null(ST.reason);
	assert_string_equal(ST.reason, reason);
	digest(after);
	assert_string_equal(after, before);
}

/* A call refused INVALID_ARGUMENT on field, with nothing written. */
static void
invalid(int rc, const char *field, const char *before)
{
	refused(rc, BILLING_INVALID_ARGUMENT, "INVALID_FIELD", before);
	assert_int_equal(ST.n_details, 1);
	assert_string_equal(ST.details[0].field, field);
}

/* ---- customers and plans ---- */

static int n_customers, n_plans;

static int64_t
customer(const char *country, const char *vat)
{
	Billing__V1__CreateCustomerRequest r =
	    BILLING__V1__CREATE_CUSTOMER_REQUEST__INIT;
	Billing__V1__Customer *c = NULL;
	char email[64];

	snprintf(email, sizeof(email), "engine-%d@example.com", ++n_customers);
	r.email = email;
	r.name = "Engine Test";
	r.country = (char *) country;
	r.vat_number = (char *) vat;
	assert_int_equal(
	    billing_customers_create(TH.client, &r, &c, NULL, &ST), 0);
	keep(c);
	return (c->id);
}

static Billing__V1__Customer *
get_customer(int64_t id)
{
	Billing__V1__GetCustomerRequest r =
	    BILLING__V1__GET_CUSTOMER_REQUEST__INIT;
	Billing__V1__Customer *c = NULL;

	r.has_id = 1;
	r.id = id;
	assert_int_equal(
	    billing_customers_get(TH.client, &r, &c, NULL, &ST), 0);
	return (keep(c));
}

static int64_t
balance(int64_t customer_id)
{
	return (get_customer(customer_id)->balance_minor);
}

static void
suspend(int64_t id)
{
	Billing__V1__UpdateCustomerRequest r =
	    BILLING__V1__UPDATE_CUSTOMER_REQUEST__INIT;
	Billing__V1__Customer *c = NULL;

	r.has_id = 1;
	r.id = id;
	r.has_status = 1;
	r.status = BILLING__V1__CUSTOMER_STATUS__CUSTOMER_STATUS_SUSPENDED;
	assert_int_equal(
	    billing_customers_update(TH.client, &r, &c, NULL, &ST), 0);
	keep(c);
	assert_int_equal(c->status,
	    BILLING__V1__CUSTOMER_STATUS__CUSTOMER_STATUS_SUSPENDED);
}

static Billing__V1__DeleteCustomerResponse *
delete_customer(int64_t id, const char *now)
{
	Billing__V1__DeleteCustomerRequest r =
	    BILLING__V1__DELETE_CUSTOMER_REQUEST__INIT;
	Billing__V1__DeleteCustomerResponse *d = NULL;
	billing_call_opts o = at(now);

	r.has_id = 1;
	r.id = id;
	assert_int_equal(
	    billing_customers_delete(TH.client, &r, &d, &o, &ST), 0);
	return (keep(d));
}

/* A plan with a code of its own ("eng-N"); currency NULL is EUR. */
static int64_t
plan(const char *name, int64_t price, const char *currency, int cycle,
    int trial_days)
{
	Billing__V1__CreatePlanRequest r =
	    BILLING__V1__CREATE_PLAN_REQUEST__INIT;
	Billing__V1__Plan *p = NULL;
	char code[32];

	snprintf(code, sizeof(code), "eng-%d", ++n_plans);
	r.code = code;
	r.name = (char *) name;
	r.has_price_minor = 1;
	r.price_minor = price;
	r.currency = (char *) currency;
	r.has_billing_cycle = 1;
	r.billing_cycle = (Billing__V1__BillingCycle) cycle;
	r.has_trial_days = 1;
	r.trial_days = trial_days;
	assert_int_equal(
	    billing_plans_create(TH.client, &r, &p, NULL, &ST), 0);
	keep(p);
	return (p->id);
}

static const char *
plan_code(int64_t id)
{
	Billing__V1__GetPlanRequest r = BILLING__V1__GET_PLAN_REQUEST__INIT;
	Billing__V1__Plan *p = NULL;

	r.has_id = 1;
	r.id = id;
	assert_int_equal(billing_plans_get(TH.client, &r, &p, NULL, &ST), 0);
	return (((Billing__V1__Plan *) keep(p))->code);
}

static void
archive(int64_t id)
{
	Billing__V1__ArchivePlanRequest r =
	    BILLING__V1__ARCHIVE_PLAN_REQUEST__INIT;
	Billing__V1__Plan *p = NULL;

	r.has_id = 1;
	r.id = id;
	assert_int_equal(
	    billing_plans_archive(TH.client, &r, &p, NULL, &ST), 0);
	keep(p);
}

/* ---- subscriptions ---- */

/* plan_id 0: by code; qty and trial DEFAULT: unset. */
static int
create_rc(int64_t customer_id, int64_t plan_id, const char *code, int qty,
    int trial, const char *now, Billing__V1__SubscriptionResult **out)
{
	Billing__V1__CreateSubscriptionRequest r =
	    BILLING__V1__CREATE_SUBSCRIPTION_REQUEST__INIT;
	billing_call_opts o = at(now);
	int rc;

	r.has_customer_id = customer_id != 0;
	r.customer_id = customer_id;
	r.has_plan_id = plan_id != 0;
	r.plan_id = plan_id;
	r.plan_code = (char *) code;
	if (qty != DEFAULT) {
		r.has_quantity = 1;
		r.quantity = qty;
	}
	if (trial != DEFAULT) {
		r.has_trial = 1;
		r.trial = trial;
	}
	*out = NULL;
	rc = billing_subscriptions_create(TH.client, &r, out, &o, &ST);
	keep(*out);
	return (rc);
}

static Billing__V1__SubscriptionResult *
subscribe(
    int64_t customer_id, int64_t plan_id, int qty, int trial, const char *now)
{
	Billing__V1__SubscriptionResult *r;

	assert_int_equal(
	    create_rc(customer_id, plan_id, NULL, qty, trial, now, &r), 0);
	assert_non_null(r->subscription);
	return (r);
}

static Billing__V1__Subscription *
get_sub(int64_t id)
{
	Billing__V1__GetSubscriptionRequest r =
	    BILLING__V1__GET_SUBSCRIPTION_REQUEST__INIT;
	Billing__V1__Subscription *s = NULL;

	r.has_id = 1;
	r.id = id;
	assert_int_equal(
	    billing_subscriptions_get(TH.client, &r, &s, NULL, &ST), 0);
	return (keep(s));
}

static int
cancel_rc(
    int64_t id, int at_end, const char *now, Billing__V1__Subscription **out)
{
	Billing__V1__CancelSubscriptionRequest r =
	    BILLING__V1__CANCEL_SUBSCRIPTION_REQUEST__INIT;
	billing_call_opts o = at(now);
	int rc;

	r.has_id = 1;
	r.id = id;
	if (at_end != DEFAULT) {
		r.has_at_period_end = 1;
		r.at_period_end = at_end;
	}
	*out = NULL;
	rc = billing_subscriptions_cancel(TH.client, &r, out, &o, &ST);
	keep(*out);
	return (rc);
}

static Billing__V1__Subscription *
cancel(int64_t id, int at_end, const char *now)
{
	Billing__V1__Subscription *s;

	assert_int_equal(cancel_rc(id, at_end, now, &s), 0);
	return (s);
}

static int
reactivate_rc(int64_t id, const char *now, Billing__V1__Subscription **out)
{
	Billing__V1__ReactivateSubscriptionRequest r =
	    BILLING__V1__REACTIVATE_SUBSCRIPTION_REQUEST__INIT;
	billing_call_opts o = at(now);
	int rc;

	r.has_id = 1;
	r.id = id;
	*out = NULL;
	rc = billing_subscriptions_reactivate(TH.client, &r, out, &o, &ST);
	keep(*out);
	return (rc);
}

static int
change_rc(int64_t id, int64_t plan_id, int prorate, const char *now,
    Billing__V1__SubscriptionResult **out)
{
	Billing__V1__ChangePlanRequest r =
	    BILLING__V1__CHANGE_PLAN_REQUEST__INIT;
	billing_call_opts o = at(now);
	int rc;

	r.has_id = 1;
	r.id = id;
	r.has_plan_id = plan_id != 0;
	r.plan_id = plan_id;
	if (prorate != DEFAULT) {
		r.has_prorate = 1;
		r.prorate = prorate;
	}
	*out = NULL;
	rc = billing_subscriptions_change_plan(TH.client, &r, out, &o, &ST);
	keep(*out);
	return (rc);
}

static Billing__V1__SubscriptionResult *
change(int64_t id, int64_t plan_id, int prorate, const char *now)
{
	Billing__V1__SubscriptionResult *r;

	assert_int_equal(change_rc(id, plan_id, prorate, now, &r), 0);
	assert_non_null(r->subscription);
	return (r);
}

static void
check_period(const Billing__V1__Subscription *s, int64_t start, int64_t end)
{
	assert_true(s->has_current_period_start_us);
	assert_true(s->has_current_period_end_us);
	assert_int_equal(s->current_period_start_us, start);
	assert_int_equal(s->current_period_end_us, end);
}

/* ---- invoices ---- */

static int
get_invoice_rc(int64_t id, Billing__V1__Invoice **out)
{
	Billing__V1__GetInvoiceRequest r =
	    BILLING__V1__GET_INVOICE_REQUEST__INIT;
	int rc;

	r.has_id = 1;
	r.id = id;
	*out = NULL;
	rc = billing_invoices_get(TH.client, &r, out, NULL, &ST);
	keep(*out);
	return (rc);
}

/* The invoice with its items. */
static Billing__V1__Invoice *
get_invoice(int64_t id)
{
	Billing__V1__Invoice *in;

	assert_int_equal(get_invoice_rc(id, &in), 0);
	return (in);
}

/* The invoices of a subscription, oldest first (List is newest first). */
static Billing__V1__Invoice **
invoices_of(int64_t sub_id, size_t *n)
{
	Billing__V1__ListInvoicesRequest r =
	    BILLING__V1__LIST_INVOICES_REQUEST__INIT;
	Billing__V1__PageRequest pr = BILLING__V1__PAGE_REQUEST__INIT;
	Billing__V1__ListInvoicesResponse *l = NULL;
	Billing__V1__Invoice **v;

	r.has_subscription_id = 1;
	r.subscription_id = sub_id;
	pr.has_page_size = 1;
	pr.page_size = 500;
	r.page = &pr;
	assert_int_equal(
	    billing_invoices_list(TH.client, &r, &l, NULL, &ST), 0);
	keep(l);
	assert_int_equal(l->page->total_size, (int64_t) l->n_invoices);
	for (size_t i = 1; i < l->n_invoices; i++)
		assert_true(l->invoices[i]->id < l->invoices[i - 1]->id);
	v = keep_array(l->n_invoices);
	for (size_t i = 0; i < l->n_invoices; i++)
		v[i] = l->invoices[l->n_invoices - 1 - i];
	*n = l->n_invoices;
	return (v);
}

static int
void_rc(int64_t id, const char *now, Billing__V1__Invoice **out)
{
	Billing__V1__VoidInvoiceRequest r =
	    BILLING__V1__VOID_INVOICE_REQUEST__INIT;
	billing_call_opts o = at(now);
	int rc;

	r.has_id = 1;
	r.id = id;
	*out = NULL;
	rc = billing_invoices_void_invoice(TH.client, &r, out, &o, &ST);
	keep(*out);
	return (rc);
}

static void
check_invoice(const Billing__V1__Invoice *in, int64_t subtotal, int32_t rate,
    int64_t tax, int64_t total, int status)
{
	assert_non_null(in);
	assert_true(in->has_subtotal_minor && in->has_tax_rate_bp &&
	    in->has_tax_minor && in->has_total_minor && in->has_status);
	assert_int_equal(in->subtotal_minor, subtotal);
	assert_int_equal(in->tax_rate_bp, rate);
	assert_int_equal(in->tax_minor, tax);
	assert_int_equal(in->total_minor, total);
	assert_int_equal(in->status, status);
	assert_int_equal(
	    in->has_paid_at_us, status == I_PAID || status == I_REFUNDED);
}

static void
check_dates(const Billing__V1__Invoice *in, const char *ps, const char *pe,
    const char *due)
{
	assert_string_equal(in->period_start, ps);
	assert_string_equal(in->period_end, pe);
	assert_string_equal(in->due_date, due);
}

static void
check_item(const Billing__V1__Invoice *in, size_t i, const char *desc, int qty,
    int64_t unit, int64_t amount)
{
	const Billing__V1__InvoiceItem *it;

	assert_true(i < in->n_items);
	it = in->items[i];
	assert_string_equal(it->description, desc);
	assert_int_equal(it->quantity, qty);
	assert_int_equal(it->unit_price_minor, unit);
	assert_int_equal(it->amount_minor, amount);
}

/* ---- payments ---- */

static int
pay_rc(int64_t invoice_id, int64_t amount, int method, const char *txn,
    int status, const char *now, Billing__V1__PaymentResult **out)
{
	Billing__V1__CreatePaymentRequest r =
	    BILLING__V1__CREATE_PAYMENT_REQUEST__INIT;
	billing_call_opts o = at(now);
	int rc;

	r.has_invoice_id = invoice_id != 0;
	r.invoice_id = invoice_id;
	r.has_amount_minor = 1;
	r.amount_minor = amount;
	r.has_method = method != 0;
	r.method = (Billing__V1__PaymentMethod) method;
	r.transaction_id = (char *) txn;
	if (status != DEFAULT) {
		r.has_status = 1;
		r.status = (Billing__V1__PaymentStatus) status;
	}
	*out = NULL;
	rc = billing_payments_create(TH.client, &r, out, &o, &ST);
	keep(*out);
	return (rc);
}

static Billing__V1__PaymentResult *
pay(int64_t invoice_id, int64_t amount, int method, const char *txn,
    const char *now)
{
	Billing__V1__PaymentResult *r;

	assert_int_equal(
	    pay_rc(invoice_id, amount, method, txn, DEFAULT, now, &r), 0);
	assert_non_null(r->payment);
	assert_non_null(r->invoice);
	assert_int_equal(r->payment->status, P_SUCCESS);
	assert_int_equal(r->payment->amount_minor, amount);
	return (r);
}

/* Pays what is left of an unpaid invoice; asserts it is then paid. */
static void
pay_off(int64_t invoice_id, const char *now)
{
	Billing__V1__Invoice *in = get_invoice(invoice_id);
	Billing__V1__PaymentResult *r;

	assert_int_equal(in->status, I_UNPAID);
	r = pay(invoice_id, in->total_minor, CARD, NULL, now);
	assert_int_equal(r->invoice->status, I_PAID);
}

static Billing__V1__Payment **
payments_of(int64_t invoice_id, size_t *n)
{
	Billing__V1__ListPaymentsRequest r =
	    BILLING__V1__LIST_PAYMENTS_REQUEST__INIT;
	Billing__V1__ListPaymentsResponse *l = NULL;

	r.has_invoice_id = 1;
	r.invoice_id = invoice_id;
	assert_int_equal(
	    billing_payments_list(TH.client, &r, &l, NULL, &ST), 0);
	keep(l);
	for (size_t i = 1; i < l->n_payments; i++)
		assert_true(l->payments[i]->id > l->payments[i - 1]->id);
	*n = l->n_payments;
	return (l->payments);
}

static int
refund_rc(int64_t id, const char *now, Billing__V1__PaymentResult **out)
{
	Billing__V1__RefundPaymentRequest r =
	    BILLING__V1__REFUND_PAYMENT_REQUEST__INIT;
	billing_call_opts o = at(now);
	int rc;

	r.has_id = 1;
	r.id = id;
	*out = NULL;
	rc = billing_payments_refund(TH.client, &r, out, &o, &ST);
	keep(*out);
	return (rc);
}

/* ---- the billing run ---- */

static int
run_rc(const char *now, Billing__V1__RunCycleResponse **out)
{
	Billing__V1__RunCycleRequest r = BILLING__V1__RUN_CYCLE_REQUEST__INIT;
	billing_call_opts o = at(now);
	int rc;

	*out = NULL;
	rc = billing_billing_run_cycle(TH.client, &r, out, &o, &ST);
	keep(*out);
	return (rc);
}

/* Runs the billing at now and checks every count. */
static void
run(const char *now, int trials, int renewed, int cancelled, int past_due,
    int expired, int invoices)
{
	Billing__V1__RunCycleResponse *r;

	assert_int_equal(run_rc(now, &r), 0);
	assert_int_equal(r->trials_converted, trials);
	assert_int_equal(r->renewed, renewed);
	assert_int_equal(r->cancelled, cancelled);
	assert_int_equal(r->past_due, past_due);
	assert_int_equal(r->expired, expired);
	assert_int_equal(r->invoices_created, invoices);
}

/* A second run at the same now: nothing to do, nothing written. */
static void
run_again_changes_nothing(const char *now)
{
	char before[DIGEST_BYTES], after[DIGEST_BYTES];

	digest(before);
	run(now, 0, 0, 0, 0, 0, 0);
	digest(after);
	assert_string_equal(after, before);
}

/* ---- events ---- */

static Billing__V1__ListEventsResponse *
events_of(const char *object_type, int64_t object_id)
{
	Billing__V1__ListEventsRequest r =
	    BILLING__V1__LIST_EVENTS_REQUEST__INIT;
	Billing__V1__ListEventsResponse *l = NULL;

	r.object_type = (char *) object_type;
	r.has_object_id = 1;
	r.object_id = object_id;
	assert_int_equal(billing_events_list(TH.client, &r, &l, NULL, &ST), 0);
	return (keep(l));
}

/*
 * The events of an object, oldest first: types[i] and, when not NULL,
 * after[i] (the status after the change). Each carries customer_id.
 */
static void
expect_events(const char *object_type, int64_t object_id, int64_t customer_id,
    const char *const *types, const char *const *after, size_t n)
{
	Billing__V1__ListEventsResponse *l = events_of(object_type, object_id);

	for (size_t i = 0; i < l->n_events && i < n; i++) {
		assert_string_equal(l->events[i]->type, types[i]);
		assert_string_equal(l->events[i]->object_type, object_type);
		assert_int_equal(l->events[i]->object_id, object_id);
		assert_true(l->events[i]->has_customer_id);
		assert_int_equal(l->events[i]->customer_id, customer_id);
		if (after != NULL && after[i] != NULL)
			assert_string_equal(
			    l->events[i]->after_status, after[i]);
	}
	assert_int_equal(l->n_events, n);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- section 4: tax ---- */

/*
 * Every tax rule on a subscription's first invoice. Prices are chosen
 * so the tax lands on half a cent (rounded up, away from zero) or below
 * it (rounded down); negative amounts are in test_proration.
 */
static void
test_tax_by_country_and_vat_number(void **state)
{
	static const struct {
		const char *country, *vat;
		int64_t price;
		int qty;
		int32_t rate;
		int64_t tax;
	} cases[] = {
		{ "DE", NULL, 50, 1, 1900, 10 },          /* 9.5 -> 10 */
		{ "DE", NULL, 60, 1, 1900, 11 },          /* 11.4 -> 11 */
		{ "DE", NULL, 50, 3, 1900, 29 },          /* 150: 28.5 -> 29 */
		{ "de", "DE811569869", 50, 1, 1900, 10 }, /* DE keeps VAT */
		{ "AT", NULL, 999, 1, 2000, 200 },        /* 199.8 -> 200 */
		{ "FR", NULL, 1001, 1, 2000, 200 },       /* 200.2 -> 200 */
		{ "GB", NULL, 999, 1, 2000, 200 },
		{ "NL", NULL, 50, 1, 2100, 11 }, /* 10.5 -> 11 */
		{ "NL", NULL, 10, 1, 2100, 2 },  /* 2.1 -> 2 */
		{ "US", NULL, 999, 1, 0, 0 }, { "CH", NULL, 999, 1, 0, 0 },
		{ NULL, NULL, 999, 1, 0, 0 },
		{ "FR", "FR40303265045", 999, 1, 0, 0 }, /* reverse charge */
		{ "NL", "NL123456789B01", 50, 1, 0, 0 },
		{ "AT", "ATU12345678", 999, 1, 0, 0 },
		{ "GB", "GB123456789", 999, 1, 0, 0 },
		{ NULL, "XX1", 999, 1, 0, 0 },
		{ "AT", " \t", 999, 1, 2000, 200 }, /* blank: no VAT number */
	};

	(void) state;
	for (size_t i = 0; i < N(cases); i++) {
		int64_t c = customer(cases[i].country, cases[i].vat);
		int64_t p = plan("Tax Plan", cases[i].price, NULL, MONTHLY, 0);
		int64_t sub = cases[i].price * cases[i].qty;
		Billing__V1__SubscriptionResult *r;
		Billing__V1__Invoice *in;

		r = subscribe(
		    c, p, cases[i].qty, DEFAULT, "2031-06-01 12:00:00");
		assert_non_null(r->invoice);
		check_invoice(r->invoice, sub, cases[i].rate, cases[i].tax,
		    sub + cases[i].tax, I_UNPAID);
		in = get_invoice(r->invoice->id);
		check_invoice(in, sub, cases[i].rate, cases[i].tax,
		    sub + cases[i].tax, I_UNPAID);
		assert_int_equal(in->n_items, 1);
		check_item(in, 0, "Tax Plan (2031-06-01 - 2031-07-01)",
		    cases[i].qty, cases[i].price, sub);
		assert_string_equal(in->currency, "EUR");
	}
}

/* ---- section 3: subscriptions.create ---- */

static void
test_create_with_trial_and_without(void **state)
{
	int64_t t = plan("Trial Plan", 1000, NULL, MONTHLY, 14);
	int64_t t7 = plan("Other Trial", 700, NULL, MONTHLY, 7);
	int64_t none = plan("No Trial", 500, NULL, MONTHLY, 0);
	int64_t a = customer(NULL, NULL), b = customer(NULL, NULL);
	int64_t c = customer(NULL, NULL), d = customer(NULL, NULL);
	Billing__V1__SubscriptionResult *r;
	Billing__V1__Subscription *s;
	Billing__V1__Invoice *in;
	int64_t trial_sub;

	(void) state;
	assert_int_equal(last_no(2032), 0);
	assert_null(get_customer(a)->currency);

	/*
	 * A trial: 14 days at the same wall time, across the change to
	 * summer time on 2032-03-28; no invoice, anchor = day of its end.
	 */
	r = subscribe(a, t, DEFAULT, DEFAULT, "2032-03-20 10:15:00");
	s = r->subscription;
	assert_null(r->invoice);
	trial_sub = s->id;
	assert_int_equal(s->customer_id, a);
	assert_int_equal(s->plan_id, t);
	assert_int_equal(s->status, S_TRIAL);
	assert_int_equal(s->quantity, 1);
	assert_int_equal(s->billing_anchor_day, 3);
	assert_int_equal(s->started_at_us, wall(2032, 3, 20, 10, 15, 0, CET));
	assert_int_equal(s->created_at_us, wall(2032, 3, 20, 10, 15, 0, CET));
	assert_true(s->has_trial_ends_at_us);
	assert_int_equal(
	    s->trial_ends_at_us, wall(2032, 4, 3, 10, 15, 0, CEST));
	check_period(s, wall(2032, 3, 20, 10, 15, 0, CET),
	    wall(2032, 4, 3, 10, 15, 0, CEST));
	assert_false(s->cancel_at_period_end);
	assert_false(s->has_cancelled_at_us);
	assert_int_equal(last_no(2032), 0); /* no number taken */
	assert_string_equal(get_customer(a)->currency, "EUR");

	/* A second subscription to the plan: no trial, the first invoice. */
	r = subscribe(a, t, DEFAULT, DEFAULT, "2032-03-21 09:00:00");
	s = r->subscription;
	assert_int_equal(s->status, S_ACTIVE);
	assert_false(s->has_trial_ends_at_us);
	assert_int_equal(s->billing_anchor_day, 21);
	check_period(s, wall(2032, 3, 21, 9, 0, 0, CET),
	    wall(2032, 4, 21, 9, 0, 0, CEST));
	assert_non_null(r->invoice);
	assert_int_equal(r->invoice->n_items, 0); /* only Get has items */
	expect_number(r->invoice, 2032, 1);
	in = get_invoice(r->invoice->id);
	expect_number(in, 2032, 1);
	assert_int_equal(in->customer_id, a);
	assert_true(in->has_subscription_id);
	assert_int_equal(in->subscription_id, s->id);
	assert_string_equal(in->currency, "EUR");
	check_invoice(in, 1000, 0, 0, 1000, I_UNPAID);
	check_dates(in, "2032-03-21", "2032-04-21", "2032-04-04");
	assert_int_equal(in->created_at_us, wall(2032, 3, 21, 9, 0, 0, CET));
	assert_int_equal(in->n_items, 1);
	check_item(
	    in, 0, "Trial Plan (2032-03-21 - 2032-04-21)", 1, 1000, 1000);

	/* The trial is per plan: another plan with a trial starts one. */
	r = subscribe(a, t7, DEFAULT, DEFAULT, "2032-03-21 09:30:00");
	assert_int_equal(r->subscription->status, S_TRIAL);
	assert_null(r->invoice);
	assert_int_equal(r->subscription->trial_ends_at_us,
	    wall(2032, 3, 28, 9, 30, 0, CEST)); /* the day of the change */
	assert_int_equal(r->subscription->billing_anchor_day, 28);

	/* trial = false: active at once, quantity 3. */
	r = subscribe(b, t, 3, 0, "2032-03-22 23:59:59");
	assert_int_equal(r->subscription->status, S_ACTIVE);
	assert_int_equal(r->subscription->quantity, 3);
	assert_false(r->subscription->has_trial_ends_at_us);
	expect_number(r->invoice, 2032, 2);
	in = get_invoice(r->invoice->id);
	check_invoice(in, 3000, 0, 0, 3000, I_UNPAID);
	check_dates(in, "2032-03-22", "2032-04-22", "2032-04-05");
	check_item(
	    in, 0, "Trial Plan (2032-03-22 - 2032-04-22)", 3, 1000, 3000);

	/* A cancelled trial still counts: no second trial on the plan. */
	r = subscribe(c, t, DEFAULT, 1, "2032-03-23 08:00:00");
	assert_int_equal(r->subscription->status, S_TRIAL);
	cancel(r->subscription->id, 0, "2032-03-23 08:30:00");
	r = subscribe(c, t, DEFAULT, 1, "2032-03-23 09:00:00");
	assert_int_equal(r->subscription->status, S_ACTIVE);
	expect_number(r->invoice, 2032, 3);

	/* A plan without trial days starts active even with trial = 1. */
	r = subscribe(d, none, DEFAULT, 1, "2032-03-24 10:00:00");
	assert_int_equal(r->subscription->status, S_ACTIVE);
	expect_number(r->invoice, 2032, 4);
	check_invoice(r->invoice, 500, 0, 0, 500, I_UNPAID);
	assert_int_equal(last_no(2032), 4);

	expect_events("subscription", trial_sub, a,
	    (const char *const[]) { "subscription.created" },
	    (const char *const[]) { "trial" }, 1);
	expect_events("subscription", s->id, a,
	    (const char *const[]) { "subscription.created" },
	    (const char *const[]) { "active" }, 1);
	expect_events("invoice", in->id, b,
	    (const char *const[]) { "invoice.created" },
	    (const char *const[]) { "unpaid" }, 1);
}

static void
test_create_refusals_write_nothing(void **state)
{
	int64_t p = plan("Refusal Plan", 1000, NULL, MONTHLY, 0);
	int64_t usd = plan("Dollar Plan", 1000, "USD", MONTHLY, 0);
	int64_t old = plan("Old Plan", 1000, NULL, MONTHLY, 0);
	int64_t huge = plan("Huge Plan", 9999999999LL, NULL, MONTHLY, 0);
	int64_t old_usd = plan("Old Dollar Plan", 1000, "USD", MONTHLY, 0);
	int64_t ok = customer(NULL, NULL), fresh = customer(NULL, NULL);
	int64_t de = customer("DE", NULL), susp = customer(NULL, NULL);
	int64_t gone = customer(NULL, NULL), gb = customer("GB", NULL);
	int64_t gbp = plan("Pound Plan", 1000, "GBP", MONTHLY, 0);
	Billing__V1__SubscriptionResult *r;
	const char *now = "2033-02-01 10:00:00";
	char d0[DIGEST_BYTES];

	(void) state;
	archive(old);
	archive(old_usd);
	suspend(susp);
	delete_customer(gone, now);
	assert_int_equal(last_no(2033), 0);
	r = subscribe(ok, p, DEFAULT, DEFAULT, now);
	expect_number(r->invoice, 2033, 1);
	assert_string_equal(get_customer(ok)->currency, "EUR");

	digest(d0);
	refused(create_rc(999999999, p, NULL, DEFAULT, DEFAULT, now, &r),
	    BILLING_NOT_FOUND, "CUSTOMER_NOT_FOUND", d0);
	assert_null(r);
	refused(create_rc(gone, p, NULL, DEFAULT, DEFAULT, now, &r),
	    BILLING_NOT_FOUND, "CUSTOMER_NOT_FOUND", d0);
	refused(create_rc(susp, p, NULL, DEFAULT, DEFAULT, now, &r),
	    BILLING_FAILED_PRECONDITION, "CUSTOMER_SUSPENDED", d0);
	/* The customer is checked before the plan. */
	refused(create_rc(susp, old, NULL, DEFAULT, DEFAULT, now, &r),
	    BILLING_FAILED_PRECONDITION, "CUSTOMER_SUSPENDED", d0);
	refused(create_rc(gone, 999999999, NULL, DEFAULT, DEFAULT, now, &r),
	    BILLING_NOT_FOUND, "CUSTOMER_NOT_FOUND", d0);
	refused(create_rc(ok, old, NULL, DEFAULT, DEFAULT, now, &r),
	    BILLING_NOT_FOUND, "PLAN_NOT_FOUND", d0);
	refused(create_rc(ok, 0, plan_code(old), DEFAULT, DEFAULT, now, &r),
	    BILLING_NOT_FOUND, "PLAN_NOT_FOUND", d0);
	refused(create_rc(ok, 999999999, NULL, DEFAULT, DEFAULT, now, &r),
	    BILLING_NOT_FOUND, "PLAN_NOT_FOUND", d0);
	refused(create_rc(ok, 0, "no-such-plan", DEFAULT, DEFAULT, now, &r),
	    BILLING_NOT_FOUND, "PLAN_NOT_FOUND", d0);
	/* The customer pays in EUR since the first subscription. */
	refused(create_rc(ok, usd, NULL, DEFAULT, DEFAULT, now, &r),
	    BILLING_FAILED_PRECONDITION, "CURRENCY_MISMATCH", d0);
	/* An archived plan is "not found" before the currency is looked at. */
	refused(create_rc(ok, old_usd, NULL, DEFAULT, DEFAULT, now, &r),
	    BILLING_NOT_FOUND, "PLAN_NOT_FOUND", d0);
	invalid(create_rc(ok, p, NULL, 0, DEFAULT, now, &r), "quantity", d0);
	invalid(
	    create_rc(ok, p, NULL, 1001, DEFAULT, now, &r), "quantity", d0);
	invalid(create_rc(0, p, NULL, DEFAULT, DEFAULT, now, &r),
	    "customer_id", d0);
	invalid(
	    create_rc(ok, 0, NULL, DEFAULT, DEFAULT, now, &r), "plan_id", d0);
	/* Parameters are checked before any row: a bad quantity first. */
	invalid(create_rc(999999999, p, NULL, 0, DEFAULT, now, &r), "quantity",
	    d0);
	/* 99,999,999.99 x 1000 leaves the money range: nothing is used. */
	refused(create_rc(fresh, huge, NULL, 1000, DEFAULT, now, &r),
	    BILLING_OUT_OF_RANGE, "MONEY_OUT_OF_RANGE", d0);
	/* So does 99,999,999.99 plus 19 % tax. */
	refused(create_rc(de, huge, NULL, 1, DEFAULT, now, &r),
	    BILLING_OUT_OF_RANGE, "MONEY_OUT_OF_RANGE", d0);
	assert_null(get_customer(fresh)->currency);

	/* The next invoices take the next numbers: none was used up. */
	r = subscribe(fresh, huge, 1, DEFAULT, "2033-02-02 10:00:00");
	expect_number(r->invoice, 2033, 2);
	check_invoice(r->invoice, 9999999999LL, 0, 0, 9999999999LL, I_UNPAID);
	/* By plan code. */
	assert_int_equal(create_rc(ok, 0, plan_code(p), 2, DEFAULT,
	                     "2033-02-03 10:00:00", &r),
	    0);
	assert_int_equal(r->subscription->plan_id, p);
	expect_number(r->invoice, 2033, 3);
	check_invoice(r->invoice, 2000, 0, 0, 2000, I_UNPAID);
	/* The id wins over the code. */
	assert_int_equal(create_rc(ok, p, "no-such-plan", DEFAULT, DEFAULT,
	                     "2033-02-03 10:00:00", &r),
	    0);
	assert_int_equal(r->subscription->plan_id, p);
	assert_int_equal(last_no(2033), 4);

	/* The invoice is in the plan's currency, which the customer takes. */
	r = subscribe(gb, gbp, DEFAULT, DEFAULT, "2033-02-04 10:00:00");
	expect_number(r->invoice, 2033, 5);
	assert_string_equal(r->invoice->currency, "GBP");
	check_invoice(r->invoice, 1000, 2000, 200, 1200, I_UNPAID);
	assert_string_equal(get_customer(gb)->currency, "GBP");
	digest(d0);
	refused(create_rc(gb, p, NULL, DEFAULT, DEFAULT, now, &r),
	    BILLING_FAILED_PRECONDITION, "CURRENCY_MISMATCH", d0);
}

/* The Berlin year and date of now, not UTC's, number and date invoices. */
static void
test_invoice_numbers_follow_the_berlin_year(void **state)
{
	int64_t p = plan("Numbered", 1000, NULL, MONTHLY, 0);
	int64_t c = customer(NULL, NULL);
	Billing__V1__SubscriptionResult *r;
	Billing__V1__Invoice *in;
	int64_t n2015;

	(void) state;
	assert_int_equal(last_no(1999), 0);
	assert_int_equal(last_no(2000), 0);

	/* 1999-12-31 23:30 CET is 22:30 UTC. */
	r = subscribe(c, p, DEFAULT, DEFAULT, "1999-12-31 23:30:00");
	expect_number(r->invoice, 1999, 1);
	check_dates(r->invoice, "1999-12-31", "2000-01-31", "2000-01-14");
	assert_int_equal(
	    r->invoice->created_at_us, wall(1999, 12, 31, 23, 30, 0, CET));

	/* 2000-01-01 00:30 CET is still 1999-12-31 (23:30) in UTC. */
	r = subscribe(c, p, DEFAULT, DEFAULT, "2000-01-01 00:30:00");
	expect_number(r->invoice, 2000, 1);
	check_dates(r->invoice, "2000-01-01", "2000-02-01", "2000-01-15");
	assert_int_equal(
	    r->invoice->created_at_us, wall(2000, 1, 1, 0, 30, 0, CET));
	assert_int_equal(r->subscription->billing_anchor_day, 1);
	check_period(r->subscription, wall(2000, 1, 1, 0, 30, 0, CET),
	    wall(2000, 2, 1, 0, 30, 0, CET));
	in = get_invoice(r->invoice->id);
	check_item(in, 0, "Numbered (2000-01-01 - 2000-02-01)", 1, 1000, 1000);

	r = subscribe(c, p, DEFAULT, DEFAULT, "2000-01-01 00:45:00");
	expect_number(r->invoice, 2000, 2);
	/* Each year has its own sequence. */
	r = subscribe(c, p, DEFAULT, DEFAULT, "1999-12-31 23:59:59");
	expect_number(r->invoice, 1999, 2);
	check_dates(r->invoice, "1999-12-31", "2000-01-31", "2000-01-14");

	/* 2015-12-31 23:30 CET (22:30 UTC). */
	n2015 = last_no(2015);
	r = subscribe(c, p, DEFAULT, DEFAULT, "2015-12-31 23:30:00");
	expect_number(r->invoice, 2015, n2015 + 1);
	check_dates(r->invoice, "2015-12-31", "2016-01-31", "2016-01-14");

	/* GetByNumber finds it with its items. */
	{
		Billing__V1__GetInvoiceByNumberRequest q =
		    BILLING__V1__GET_INVOICE_BY_NUMBER_REQUEST__INIT;
		Billing__V1__Invoice *g = NULL;

		q.number = "INV-2000-000001";
		assert_int_equal(billing_invoices_get_by_number(
		                     TH.client, &q, &g, NULL, &ST),
		    0);
		keep(g);
		assert_int_equal(g->id, in->id);
		assert_int_equal(g->n_items, 1);
	}
}

/* ---- section 3: change_plan ---- */

/*
 * June 2034 (CEST, UTC+2 throughout): a monthly period
 * [06-01 12:00, 07-01 12:00] is T = 30 days = 2592000 s.
 */
static void
test_proration(void **state)
{
	int64_t basic = plan("Basic", 1000, NULL, MONTHLY, 0);
	int64_t pro = plan("Pro", 3000, NULL, MONTHLY, 0);
	int64_t p200 = plan("Two", 200, NULL, MONTHLY, 0);
	int64_t p220 = plan("Two Twenty", 220, NULL, MONTHLY, 0);
	int64_t p100 = plan("One", 100, NULL, MONTHLY, 0);
	int64_t yearly = plan("Yearly", 10000, NULL, YEARLY, 0);
	int64_t usd = plan("Dollar Pro", 3000, "USD", MONTHLY, 0);
	int64_t old = plan("Old Basic", 1000, NULL, MONTHLY, 0);
	int64_t trial = plan("Trial Basic", 1000, NULL, MONTHLY, 14);
	int64_t a = customer("DE", NULL), b = customer("DE", NULL);
	int64_t c = customer("DE", NULL), nl = customer("NL", NULL);
	int64_t d = customer(NULL, NULL), e = customer(NULL, NULL);
	int64_t f = customer(NULL, NULL), g = customer(NULL, NULL);
	int64_t h = customer(NULL, NULL);
	const char *start = "2034-06-01 12:00:00";
	int64_t ps = wall(2034, 6, 1, 12, 0, 0, CEST);
	int64_t pe = wall(2034, 7, 1, 12, 0, 0, CEST);
	Billing__V1__SubscriptionResult *r;
	Billing__V1__Subscription *s;
	Billing__V1__Invoice *in;
	int64_t sa, sb, sc, snl, sd, se, sf, sg, sh, n;
	char d0[DIGEST_BYTES];

	(void) state;
	archive(old);
	r = subscribe(a, basic, DEFAULT, DEFAULT, start);
	sa = r->subscription->id;
	check_invoice(r->invoice, 1000, 1900, 190, 1190, I_UNPAID);

	/*
	 * Upgrade with 20 of 30 days left: credit 1000 x 2/3 = 666.67 ->
	 * 667, charge 3000 x 2/3 = 2000; tax 19 % of 1333 = 253.27 -> 253.
	 */
	r = change(sa, pro, DEFAULT, "2034-06-11 12:00:00");
	s = r->subscription;
	assert_int_equal(s->plan_id, pro);
	assert_int_equal(s->status, S_ACTIVE);
	assert_int_equal(s->billing_anchor_day, 1);
	check_period(s, ps, pe);
	assert_non_null(r->invoice);
	assert_int_equal(r->invoice->subscription_id, sa);
	in = get_invoice(r->invoice->id);
	check_invoice(in, 1333, 1900, 253, 1586, I_UNPAID);
	check_dates(in, "2034-06-11", "2034-07-01", "2034-06-25");
	assert_int_equal(in->created_at_us, wall(2034, 6, 11, 12, 0, 0, CEST));
	assert_int_equal(in->n_items, 2);
	check_item(in, 0, "Unused time on Basic", 1, -667, -667);
	check_item(in, 1, "Remaining time on Pro", 1, 2000, 2000);

	/*
	 * Downgrade with r = 1297296 s left (15 d 0 h 21 min 36 s, 0.5005
	 * of T): credit 3000 x 0.5005 = 1501.5 -> 1502 and charge 1000 x
	 * 0.5005 = 500.5 -> 501, both half a cent away from zero. Subtotal
	 * -1001, tax -190.19 -> -190, total -1191: paid at once, and 11.91
	 * goes to the balance.
	 */
	assert_int_equal(balance(a), 0);
	r = change(sa, basic, 1, "2034-06-16 11:38:24");
	assert_int_equal(r->subscription->plan_id, basic);
	check_period(r->subscription, ps, pe);
	in = get_invoice(r->invoice->id);
	check_invoice(in, -1001, 1900, -190, -1191, I_PAID);
	assert_int_equal(in->paid_at_us, wall(2034, 6, 16, 11, 38, 24, CEST));
	check_dates(in, "2034-06-16", "2034-07-01", "2034-06-30");
	check_item(in, 0, "Unused time on Pro", 1, -1502, -1502);
	check_item(in, 1, "Remaining time on Basic", 1, 501, 501);
	assert_int_equal(balance(a), 1191);
	{
		size_t k;

		payments_of(in->id, &k);
		assert_int_equal(k, 0);
	}
	expect_events("subscription", sa, a,
	    (const char *const[]) { "subscription.created",
	        "subscription.plan_changed", "subscription.plan_changed" },
	    (const char *const[]) { "active", "active", "active" }, 3);
	expect_events("invoice", in->id, a,
	    (const char *const[]) { "invoice.created" },
	    (const char *const[]) { "paid" }, 1);

	/* Negative tax at half a cent: -9.5 -> -10 (DE), -10.5 -> -11 (NL). */
	sb = subscribe(b, p200, DEFAULT, DEFAULT, start)->subscription->id;
	r = change(sb, p100, DEFAULT, "2034-06-16 12:00:00"); /* r/T = 1/2 */
	in = get_invoice(r->invoice->id);
	check_item(in, 0, "Unused time on Two", 1, -100, -100);
	check_item(in, 1, "Remaining time on One", 1, 50, 50);
	check_invoice(in, -50, 1900, -10, -60, I_PAID);
	assert_int_equal(balance(b), 60);
	snl = subscribe(nl, p200, DEFAULT, DEFAULT, start)->subscription->id;
	r = change(snl, p100, DEFAULT, "2034-06-16 12:00:00");
	check_invoice(r->invoice, -50, 2100, -11, -61, I_PAID);
	assert_int_equal(balance(nl), 61);
	/* ... and below half a cent: -11.4 -> -11. */
	r = subscribe(c, p220, DEFAULT, DEFAULT, start);
	check_invoice(r->invoice, 220, 1900, 42, 262, I_UNPAID); /* 41.8 */
	sc = r->subscription->id;
	r = change(sc, p100, DEFAULT, "2034-06-16 12:00:00");
	check_invoice(r->invoice, -60, 1900, -11, -71, I_PAID);
	assert_int_equal(balance(c), 71);

	/* prorate = 0 in the same cycle: the plan changes, no invoice. */
	sd = subscribe(d, basic, DEFAULT, DEFAULT, start)->subscription->id;
	n = last_no(2034);
	r = change(sd, pro, 0, "2034-06-11 12:00:00");
	assert_null(r->invoice);
	assert_int_equal(r->subscription->plan_id, pro);
	check_period(r->subscription, ps, pe);
	assert_int_equal(last_no(2034), n);

	/*
	 * Monthly -> yearly, quantity 2, 11 d 4 h = 964800 s left: credit
	 * 2000 x 964800 / 2592000 = 744.44 -> 744, and a new yearly period
	 * from now on anchor day 20. The flag to cancel stays.
	 */
	se = subscribe(e, basic, 2, DEFAULT, start)->subscription->id;
	cancel(se, 1, "2034-06-02 12:00:00");
	r = change(se, yearly, DEFAULT, "2034-06-20 08:00:00");
	s = r->subscription;
	assert_int_equal(s->plan_id, yearly);
	assert_int_equal(s->billing_anchor_day, 20);
	assert_true(s->cancel_at_period_end);
	check_period(s, wall(2034, 6, 20, 8, 0, 0, CEST),
	    wall(2035, 6, 20, 8, 0, 0, CEST));
	in = get_invoice(r->invoice->id);
	check_invoice(in, 19256, 0, 0, 19256, I_UNPAID);
	check_dates(in, "2034-06-20", "2035-06-20", "2034-07-04");
	assert_int_equal(in->n_items, 2);
	check_item(in, 0, "Unused time on Basic", 1, -744, -744);
	check_item(in, 1, "Yearly (2034-06-20 - 2035-06-20)", 2, 10000, 20000);

	/* The same with prorate = 0: only the new period's item. */
	sf = subscribe(f, basic, DEFAULT, DEFAULT, start)->subscription->id;
	r = change(sf, yearly, 0, "2034-06-20 08:00:00");
	check_period(r->subscription, wall(2034, 6, 20, 8, 0, 0, CEST),
	    wall(2035, 6, 20, 8, 0, 0, CEST));
	in = get_invoice(r->invoice->id);
	check_invoice(in, 10000, 0, 0, 10000, I_UNPAID);
	assert_int_equal(in->n_items, 1);
	check_item(in, 0, "Yearly (2034-06-20 - 2035-06-20)", 1, 10000, 10000);

	/* In trial only the plan changes, even to another cycle. */
	r = subscribe(g, trial, DEFAULT, DEFAULT, start);
	sg = r->subscription->id;
	n = last_no(2034);
	r = change(sg, yearly, DEFAULT, "2034-06-05 12:00:00");
	s = r->subscription;
	assert_null(r->invoice);
	assert_int_equal(s->status, S_TRIAL);
	assert_int_equal(s->plan_id, yearly);
	assert_int_equal(s->billing_anchor_day, 15);
	assert_int_equal(
	    s->trial_ends_at_us, wall(2034, 6, 15, 12, 0, 0, CEST));
	check_period(s, ps, wall(2034, 6, 15, 12, 0, 0, CEST));
	assert_int_equal(last_no(2034), n);
	/* ... and the trial converts on the new plan. */
	run("2034-06-15 12:00:00", 1, 0, 0, 0, 0, 1);
	s = get_sub(sg);
	assert_int_equal(s->status, S_ACTIVE);
	check_period(s, wall(2034, 6, 15, 12, 0, 0, CEST),
	    wall(2035, 6, 15, 12, 0, 0, CEST));
	{
		size_t k;
		Billing__V1__Invoice **v = invoices_of(sg, &k);

		assert_int_equal(k, 1);
		in = get_invoice(v[0]->id);
		check_item(in, 0, "Yearly (2034-06-15 - 2035-06-15)", 1, 10000,
		    10000);
	}

	/* Refusals, in the contract's order; nothing is written. */
	sh = subscribe(h, basic, DEFAULT, DEFAULT, start)->subscription->id;
	cancel(sh, 0, "2034-06-02 12:00:00");
	digest(d0);
	refused(change_rc(sa, basic, DEFAULT, "2034-06-20 12:00:00", &r),
	    BILLING_FAILED_PRECONDITION, "ALREADY_ON_PLAN", d0);
	assert_null(r);
	refused(change_rc(sa, usd, DEFAULT, "2034-06-20 12:00:00", &r),
	    BILLING_FAILED_PRECONDITION, "CURRENCY_MISMATCH", d0);
	refused(change_rc(sa, old, DEFAULT, "2034-06-20 12:00:00", &r),
	    BILLING_NOT_FOUND, "PLAN_NOT_FOUND", d0);
	refused(change_rc(sa, 999999999, DEFAULT, "2034-06-20 12:00:00", &r),
	    BILLING_NOT_FOUND, "PLAN_NOT_FOUND", d0);
	refused(change_rc(999999999, pro, DEFAULT, "2034-06-20 12:00:00", &r),
	    BILLING_NOT_FOUND, "SUBSCRIPTION_NOT_FOUND", d0);
	refused(change_rc(sh, pro, DEFAULT, "2034-06-20 12:00:00", &r),
	    BILLING_FAILED_PRECONDITION, "SUBSCRIPTION_NOT_ACTIVE", d0);
	/* The state is checked before the plan. */
	refused(change_rc(sh, basic, DEFAULT, "2034-06-20 12:00:00", &r),
	    BILLING_FAILED_PRECONDITION, "SUBSCRIPTION_NOT_ACTIVE", d0);
	refused(change_rc(sh, usd, DEFAULT, "2034-06-20 12:00:00", &r),
	    BILLING_FAILED_PRECONDITION, "SUBSCRIPTION_NOT_ACTIVE", d0);
	invalid(change_rc(sa, 0, DEFAULT, "2034-06-20 12:00:00", &r),
	    "plan_id", d0);
}

/* ---- section 4: periods and anchor days ---- */

/*
 * Checks the invoices of a subscription, oldest first: the first is
 * the one create issued; renewals[i] are "YYYY-MM-DD - YYYY-MM-DD" of
 * the run's invoices, issued at created_at, due on due, numbered from
 * first_no in year on.
 */
static void
expect_renewals(int64_t sub_id, const char *name, int64_t price,
    const char *const *periods, size_t n, int64_t created_at, const char *due,
    int year, int64_t first_no)
{
	Billing__V1__Invoice **v;
	size_t k;

	v = invoices_of(sub_id, &k);
	assert_int_equal(k, n + 1);
	for (size_t i = 0; i < n; i++) {
		Billing__V1__Invoice *in = get_invoice(v[i + 1]->id);
		char desc[128], ps[11], pe[11];

		snprintf(desc, sizeof(desc), "%s (%s)", name, periods[i]);
		memcpy(ps, periods[i], 10);
		ps[10] = '\0';
		memcpy(pe, periods[i] + 13, 10);
		pe[10] = '\0';
		check_dates(in, ps, pe, due);
		check_item(in, 0, desc, 1, price, price);
		check_invoice(in, price, 0, 0, price, I_UNPAID);
		assert_int_equal(in->created_at_us, created_at);
		expect_number(in, year, first_no + (int64_t) i);
	}
}

/* Anchor 31 in a leap year: Jan 31 -> Feb 29 -> Mar 31 -> Apr 30. */
static void
test_anchor_31_in_a_leap_year(void **state)
{
	int64_t p = plan("Monthly 31", 1000, NULL, MONTHLY, 0);
	int64_t c = customer(NULL, NULL);
	Billing__V1__SubscriptionResult *r;
	Billing__V1__Subscription *s;
	int64_t n;

	(void) state;
	r = subscribe(c, p, DEFAULT, DEFAULT, "2016-01-31 10:00:00");
	s = r->subscription;
	assert_int_equal(s->billing_anchor_day, 31);
	check_period(s, wall(2016, 1, 31, 10, 0, 0, CET),
	    wall(2016, 2, 29, 10, 0, 0, CET));
	pay_off(r->invoice->id, "2016-01-31 10:00:00");
	/* Nothing is due a second before the period end. */
	run("2016-02-29 09:59:59", 0, 0, 0, 0, 0, 0);
	/* Four periods in one run (one starting at now); summer time. */
	n = last_no(2016);
	run("2016-05-31 10:00:00", 0, 4, 0, 0, 0, 4);
	s = get_sub(s->id);
	assert_int_equal(s->status, S_ACTIVE);
	assert_int_equal(s->billing_anchor_day, 31);
	check_period(s, wall(2016, 5, 31, 10, 0, 0, CEST),
	    wall(2016, 6, 30, 10, 0, 0, CEST));
	expect_renewals(s->id, "Monthly 31", 1000,
	    (const char *const[]) { "2016-02-29 - 2016-03-31",
	        "2016-03-31 - 2016-04-30", "2016-04-30 - 2016-05-31",
	        "2016-05-31 - 2016-06-30" },
	    4, wall(2016, 5, 31, 10, 0, 0, CEST), "2016-06-14", 2016, n + 1);
	expect_events("subscription", s->id, c,
	    (const char *const[]) {
	        "subscription.created", "subscription.renewed" },
	    (const char *const[]) { "active", "active" }, 2);
	assert_string_equal(
	    events_of("subscription", s->id)->events[1]->data_json,
	    "{\"periods\": 4}");
	run_again_changes_nothing("2016-05-31 10:00:00");
}

/* Anchor 31 in 2015: Jan 31 -> Feb 28 -> Mar 31 (CEST) -> Apr 30. */
static void
test_anchor_31_in_a_common_year(void **state)
{
	int64_t p = plan("Monthly 31", 1000, NULL, MONTHLY, 0);
	int64_t c = customer(NULL, NULL);
	Billing__V1__SubscriptionResult *r;
	Billing__V1__Subscription *s;
	Billing__V1__Invoice *in;
	int64_t n;

	(void) state;
	r = subscribe(c, p, DEFAULT, DEFAULT, "2015-01-31 10:00:00");
	s = r->subscription;
	check_period(s, wall(2015, 1, 31, 10, 0, 0, CET),
	    wall(2015, 2, 28, 10, 0, 0, CET));
	in = get_invoice(r->invoice->id);
	check_item(
	    in, 0, "Monthly 31 (2015-01-31 - 2015-02-28)", 1, 1000, 1000);
	pay_off(in->id, "2015-02-01 10:00:00");
	n = last_no(2015);
	run("2015-03-31 10:00:00", 0, 2, 0, 0, 0, 2);
	s = get_sub(s->id);
	check_period(s, wall(2015, 3, 31, 10, 0, 0, CEST),
	    wall(2015, 4, 30, 10, 0, 0, CEST));
	expect_renewals(s->id, "Monthly 31", 1000,
	    (const char *const[]) {
	        "2015-02-28 - 2015-03-31", "2015-03-31 - 2015-04-30" },
	    2, wall(2015, 3, 31, 10, 0, 0, CEST), "2015-04-14", 2015, n + 1);
}

/* Quarterly on anchor 31: Aug 31 -> Nov 30 -> Feb 29 -> May 31 -> ... */
static void
test_quarterly_anchor_31(void **state)
{
	int64_t p = plan("Quarterly 31", 3000, NULL, QUARTERLY, 0);
	int64_t c = customer(NULL, NULL);
	Billing__V1__SubscriptionResult *r;
	Billing__V1__Subscription *s;
	int64_t n;

	(void) state;
	r = subscribe(c, p, DEFAULT, DEFAULT, "2015-08-31 09:00:00");
	s = r->subscription;
	check_period(s, wall(2015, 8, 31, 9, 0, 0, CEST),
	    wall(2015, 11, 30, 9, 0, 0, CET));
	check_dates(r->invoice, "2015-08-31", "2015-11-30", "2015-09-14");
	pay_off(r->invoice->id, "2015-08-31 09:00:00");
	n = last_no(2016);
	run("2016-05-31 09:00:00", 0, 3, 0, 0, 0, 3);
	s = get_sub(s->id);
	check_period(s, wall(2016, 5, 31, 9, 0, 0, CEST),
	    wall(2016, 8, 31, 9, 0, 0, CEST));
	expect_renewals(s->id, "Quarterly 31", 3000,
	    (const char *const[]) { "2015-11-30 - 2016-02-29",
	        "2016-02-29 - 2016-05-31", "2016-05-31 - 2016-08-31" },
	    3, wall(2016, 5, 31, 9, 0, 0, CEST), "2016-06-14", 2016, n + 1);
}

/* Yearly from Feb 29: Feb 28 in common years, Feb 29 again in 2020. */
static void
test_yearly_anchor_29(void **state)
{
	int64_t p = plan("Yearly 29", 12000, NULL, YEARLY, 0);
	int64_t c = customer(NULL, NULL);
	Billing__V1__SubscriptionResult *r;
	Billing__V1__Subscription *s;
	int64_t n;

	(void) state;
	r = subscribe(c, p, DEFAULT, DEFAULT, "2016-02-29 12:00:00");
	s = r->subscription;
	assert_int_equal(s->billing_anchor_day, 29);
	check_period(s, wall(2016, 2, 29, 12, 0, 0, CET),
	    wall(2017, 2, 28, 12, 0, 0, CET));
	pay_off(r->invoice->id, "2016-02-29 12:00:00");
	n = last_no(2020);
	run("2020-02-29 12:00:00", 0, 4, 0, 0, 0, 4);
	s = get_sub(s->id);
	check_period(s, wall(2020, 2, 29, 12, 0, 0, CET),
	    wall(2021, 2, 28, 12, 0, 0, CET));
	expect_renewals(s->id, "Yearly 29", 12000,
	    (const char *const[]) { "2017-02-28 - 2018-02-28",
	        "2018-02-28 - 2019-02-28", "2019-02-28 - 2020-02-29",
	        "2020-02-29 - 2021-02-28" },
	    4, wall(2020, 2, 29, 12, 0, 0, CET), "2020-03-14", 2020, n + 1);
}

/* ---- section 4 and 6: daylight saving time ---- */

/*
 * Spring 2015: 2015-03-29 02:00 CET jumps to 03:00 CEST. A wall time in
 * the gap moves forward by the gap, and later periods keep that time.
 */
static void
test_dst_spring_gap(void **state)
{
	int64_t p = plan("Gap", 1000, NULL, MONTHLY, 0);
	int64_t tp = plan("Gap Trial", 1000, NULL, MONTHLY, 29);
	int64_t a = customer(NULL, NULL), b = customer(NULL, NULL);
	int64_t c = customer(NULL, NULL);
	Billing__V1__SubscriptionResult *r;
	Billing__V1__Subscription *s;
	int64_t sa, sb;

	(void) state;
	/* Anchor 29: Jan 29 02:30 -> Feb 28 02:30 -> Mar 29 "02:30". */
	r = subscribe(a, p, DEFAULT, DEFAULT, "2015-01-29 02:30:00");
	sa = r->subscription->id;
	check_period(r->subscription, wall(2015, 1, 29, 2, 30, 0, CET),
	    wall(2015, 2, 28, 2, 30, 0, CET));
	pay_off(r->invoice->id, "2015-01-29 02:30:00");
	/* A trial of 29 days ending on 2015-03-29 at "02:30". */
	r = subscribe(b, tp, DEFAULT, DEFAULT, "2015-02-28 02:30:00");
	sb = r->subscription->id;
	assert_int_equal(r->subscription->status, S_TRIAL);
	/* 03:30 CEST = 01:30 UTC. */
	assert_int_equal(r->subscription->trial_ends_at_us,
	    wall(2015, 3, 29, 3, 30, 0, CEST));
	assert_int_equal(r->subscription->billing_anchor_day, 29);

	/* 03:29:59 CEST: the trial (ending 03:30 CEST) is not yet due. */
	run("2015-03-29 03:29:59", 0, 1, 0, 0, 0, 1);
	s = get_sub(sa);
	check_period(s, wall(2015, 2, 28, 2, 30, 0, CET),
	    wall(2015, 3, 29, 3, 30, 0, CEST));
	/* "02:30" on the day of the gap is 03:30 CEST. */
	run("2015-03-29 02:30:00", 1, 1, 0, 0, 0, 2);
	s = get_sub(sa);
	check_period(s, wall(2015, 3, 29, 3, 30, 0, CEST),
	    wall(2015, 4, 29, 3, 30, 0, CEST));
	s = get_sub(sb);
	assert_int_equal(s->status, S_ACTIVE);
	check_period(s, wall(2015, 3, 29, 3, 30, 0, CEST),
	    wall(2015, 4, 29, 3, 30, 0, CEST));
	{
		size_t k;
		Billing__V1__Invoice **v = invoices_of(sa, &k);

		assert_int_equal(k, 3);
		check_dates(v[1], "2015-02-28", "2015-03-29", "2015-04-12");
		check_dates(v[2], "2015-03-29", "2015-04-29", "2015-04-12");
		v = invoices_of(sb, &k);
		assert_int_equal(k, 1);
		check_item(get_invoice(v[0]->id), 0,
		    "Gap Trial (2015-03-29 - 2015-04-29)", 1, 1000, 1000);
	}

	/* A test clock in the gap is moved forward too. */
	r = subscribe(c, p, DEFAULT, DEFAULT, "2015-03-29 02:15:00");
	s = r->subscription;
	assert_int_equal(s->started_at_us, wall(2015, 3, 29, 3, 15, 0, CEST));
	check_period(s, wall(2015, 3, 29, 3, 15, 0, CEST),
	    wall(2015, 4, 29, 3, 15, 0, CEST));
	check_dates(r->invoice, "2015-03-29", "2015-04-29", "2015-04-12");
}

/*
 * Autumn 2015: 2015-10-25 03:00 CEST falls back to 02:00 CET, so
 * "02:30" happens twice; the contract takes the second (CET, 01:30 UTC).
 */
static void
test_dst_autumn_overlap(void **state)
{
	int64_t p = plan("Fall", 1000, NULL, MONTHLY, 0);
	int64_t pro = plan("Fall Pro", 3000, NULL, MONTHLY, 0);
	int64_t c = customer(NULL, NULL);
	Billing__V1__SubscriptionResult *r;
	Billing__V1__Subscription *s;
	Billing__V1__Invoice *in;
	int64_t id;

	(void) state;
	/* 02:30 CEST (00:30 UTC) -> 10-25 02:30 CET (01:30 UTC). */
	r = subscribe(c, p, DEFAULT, DEFAULT, "2015-09-25 02:30:00");
	id = r->subscription->id;
	check_period(r->subscription, wall(2015, 9, 25, 2, 30, 0, CEST),
	    wall(2015, 10, 25, 2, 30, 0, CET));
	pay_off(r->invoice->id, "2015-09-25 02:30:00");

	/*
	 * Upgrade at 10-10 02:30 CEST: T = 30 d + 1 h = 2595600 s, r = 15 d
	 * + 1 h = 1299600 s. Credit 1000 x r / T = 500.69 -> 501 and charge
	 * 3000 x r / T = 1502.08 -> 1502 (counting days, 1/2: 500, 1500).
	 */
	r = change(id, pro, DEFAULT, "2015-10-10 02:30:00");
	in = get_invoice(r->invoice->id);
	check_item(in, 0, "Unused time on Fall", 1, -501, -501);
	check_item(in, 1, "Remaining time on Fall Pro", 1, 1502, 1502);
	check_invoice(in, 1001, 0, 0, 1001, I_UNPAID);
	pay_off(in->id, "2015-10-10 02:30:00");

	/* 02:30 read as CEST (00:30 UTC) would be before the period end. */
	run("2015-10-25 02:29:59", 0, 0, 0, 0, 0, 0);
	run("2015-10-25 02:30:00", 0, 1, 0, 0, 0, 1);
	s = get_sub(id);
	check_period(s, wall(2015, 10, 25, 2, 30, 0, CET),
	    wall(2015, 11, 25, 2, 30, 0, CET));
	{
		size_t k;
		Billing__V1__Invoice **v = invoices_of(id, &k);

		assert_int_equal(k, 3);
		in = get_invoice(v[2]->id);
		check_item(in, 0, "Fall Pro (2015-10-25 - 2015-11-25)", 1,
		    3000, 3000);
		check_dates(in, "2015-10-25", "2015-11-25", "2015-11-08");
		assert_int_equal(
		    in->created_at_us, wall(2015, 10, 25, 2, 30, 0, CET));
	}
}

/* ---- section 5: the billing run ---- */

static void
test_run_converts_and_ends_trials(void **state)
{
	int64_t p = plan("Trial 7", 1500, NULL, MONTHLY, 7);
	int64_t a = customer("DE", NULL), b = customer(NULL, NULL);
	int64_t c = customer(NULL, NULL);
	Billing__V1__SubscriptionResult *r;
	Billing__V1__Subscription *s;
	Billing__V1__Invoice *in, **v;
	int64_t sa, sb, sc, n;
	size_t k;

	(void) state;
	sa = subscribe(a, p, DEFAULT, DEFAULT, "2036-05-10 08:00:00")
	         ->subscription->id;
	r = subscribe(b, p, DEFAULT, DEFAULT, "2036-05-10 08:00:00");
	sb = r->subscription->id;
	assert_int_equal(r->subscription->trial_ends_at_us,
	    wall(2036, 5, 17, 8, 0, 0, CEST));
	s = cancel(sb, DEFAULT, "2036-05-11 08:00:00"); /* at period end */
	assert_int_equal(s->status, S_TRIAL);
	assert_true(s->cancel_at_period_end);
	assert_false(s->has_cancelled_at_us);

	run("2036-05-17 07:59:59", 0, 0, 0, 0, 0, 0);
	n = last_no(2036);
	/* A day after the trial end: the period starts at the trial end. */
	run("2036-05-18 09:00:00", 1, 0, 1, 0, 0, 1);
	s = get_sub(sa);
	assert_int_equal(s->status, S_ACTIVE);
	assert_int_equal(s->billing_anchor_day, 17);
	assert_int_equal(
	    s->trial_ends_at_us, wall(2036, 5, 17, 8, 0, 0, CEST));
	check_period(s, wall(2036, 5, 17, 8, 0, 0, CEST),
	    wall(2036, 6, 17, 8, 0, 0, CEST));
	v = invoices_of(sa, &k);
	assert_int_equal(k, 1);
	in = get_invoice(v[0]->id);
	expect_number(in, 2036, n + 1);
	check_invoice(in, 1500, 1900, 285, 1785, I_UNPAID);
	check_dates(in, "2036-05-17", "2036-06-17", "2036-06-01");
	assert_int_equal(in->created_at_us, wall(2036, 5, 18, 9, 0, 0, CEST));
	check_item(in, 0, "Trial 7 (2036-05-17 - 2036-06-17)", 1, 1500, 1500);
	/* The flagged trial ends at its end, without an invoice. */
	s = get_sub(sb);
	assert_int_equal(s->status, S_CANCELLED);
	assert_int_equal(s->cancelled_at_us, wall(2036, 5, 17, 8, 0, 0, CEST));
	assert_true(s->cancel_at_period_end);
	invoices_of(sb, &k);
	assert_int_equal(k, 0);
	run_again_changes_nothing("2036-05-18 09:00:00");

	expect_events("subscription", sa, a,
	    (const char *const[]) {
	        "subscription.created", "subscription.activated" },
	    (const char *const[]) { "trial", "active" }, 2);
	expect_events("subscription", sb, b,
	    (const char *const[]) { "subscription.created",
	        "subscription.cancel_scheduled", "subscription.cancelled" },
	    (const char *const[]) { "trial", "trial", "cancelled" }, 3);

	/*
	 * A trial that ended two months ago converts and then catches up:
	 * [07-08, 08-08] from the trials, [08-08, 09-08] and [09-08, 10-08]
	 * from the renewals.
	 */
	cancel(sa, 0, "2036-06-01 10:00:00");
	sc = subscribe(c, p, DEFAULT, DEFAULT, "2036-07-01 10:00:00")
	         ->subscription->id;
	n = last_no(2036);
	run("2036-09-10 10:00:00", 1, 2, 0, 0, 0, 3);
	s = get_sub(sc);
	assert_int_equal(s->status, S_ACTIVE);
	check_period(s, wall(2036, 9, 8, 10, 0, 0, CEST),
	    wall(2036, 10, 8, 10, 0, 0, CEST));
	v = invoices_of(sc, &k);
	assert_int_equal(k, 3);
	check_dates(v[0], "2036-07-08", "2036-08-08", "2036-09-24");
	check_dates(v[1], "2036-08-08", "2036-09-08", "2036-09-24");
	check_dates(v[2], "2036-09-08", "2036-10-08", "2036-09-24");
	for (size_t i = 0; i < k; i++)
		expect_number(v[i], 2036, n + 1 + (int64_t) i);
}

static void
test_run_catches_up_and_cancels_at_period_end(void **state)
{
	int64_t p = plan("Catch Up", 1000, NULL, MONTHLY, 0);
	int64_t a = customer(NULL, NULL), b = customer(NULL, NULL);
	Billing__V1__SubscriptionResult *r;
	Billing__V1__Subscription *s;
	size_t k;
	int64_t sa, sb, n;

	(void) state;
	r = subscribe(a, p, DEFAULT, DEFAULT, "2037-01-10 09:00:00");
	sa = r->subscription->id;
	pay_off(r->invoice->id, "2037-01-10 09:00:00");
	r = subscribe(b, p, DEFAULT, DEFAULT, "2037-01-10 09:00:00");
	sb = r->subscription->id;
	cancel(sb, 1, "2037-01-11 09:00:00");

	/*
	 * Three missed periods of a (starting 02-10, 03-10 and 04-10 = now),
	 * all issued now, due now + 14 days; b ends at its period end, and
	 * its unpaid invoice makes no past_due of a cancelled subscription.
	 */
	n = last_no(2037);
	run("2037-04-10 09:00:00", 0, 3, 1, 0, 0, 3);
	s = get_sub(sa);
	assert_int_equal(s->status, S_ACTIVE);
	check_period(s, wall(2037, 4, 10, 9, 0, 0, CEST),
	    wall(2037, 5, 10, 9, 0, 0, CEST));
	expect_renewals(sa, "Catch Up", 1000,
	    (const char *const[]) { "2037-02-10 - 2037-03-10",
	        "2037-03-10 - 2037-04-10", "2037-04-10 - 2037-05-10" },
	    3, wall(2037, 4, 10, 9, 0, 0, CEST), "2037-04-24", 2037, n + 1);
	s = get_sub(sb);
	assert_int_equal(s->status, S_CANCELLED);
	assert_int_equal(s->cancelled_at_us, wall(2037, 2, 10, 9, 0, 0, CET));
	assert_true(s->cancel_at_period_end);
	check_period(s, wall(2037, 1, 10, 9, 0, 0, CET),
	    wall(2037, 2, 10, 9, 0, 0, CET));
	invoices_of(sb, &k);
	assert_int_equal(k, 1);
	run_again_changes_nothing("2037-04-10 09:00:00");

	expect_events("subscription", sa, a,
	    (const char *const[]) {
	        "subscription.created", "subscription.renewed" },
	    NULL, 2);
	assert_string_equal(
	    events_of("subscription", sa)->events[1]->data_json,
	    "{\"periods\": 3}");
	expect_events("subscription", sb, b,
	    (const char *const[]) { "subscription.created",
	        "subscription.cancel_scheduled", "subscription.cancelled" },
	    (const char *const[]) { "active", "active", "cancelled" }, 3);
}

#define RUNNERS 4

static void *
concurrent_run(void *arg)
{
	Billing__V1__RunCycleRequest r = BILLING__V1__RUN_CYCLE_REQUEST__INIT;
	Billing__V1__RunCycleResponse *out = NULL;
	billing_call_opts o = at("2037-09-01 09:00:00");
	billing_status st = BILLING_STATUS_INIT;
	int *renewed = arg;

	*renewed = -1;
	if (billing_billing_run_cycle(TH.client, &r, &out, &o, &st) == 0) {
		*renewed = out->renewed;
		billing__v1__run_cycle_response__free_unpacked(out, NULL);
	}
	billing_status_fini(&st);
	return (NULL);
}

/* Runs at the same time bill each period once. */
static void
test_concurrent_runs_bill_once(void **state)
{
	int64_t p = plan("Concurrent", 1000, NULL, MONTHLY, 0);
	int64_t subs[5];
	pthread_t t[RUNNERS];
	int renewed[RUNNERS], total = 0;

	(void) state;
	for (int i = 0; i < 5; i++) {
		Billing__V1__SubscriptionResult *r =
		    subscribe(customer(NULL, NULL), p, DEFAULT, DEFAULT,
		        "2037-06-01 09:00:00");

		subs[i] = r->subscription->id;
		pay_off(r->invoice->id, "2037-06-01 09:00:00");
	}
	for (int i = 0; i < RUNNERS; i++)
		pthread_create(&t[i], NULL, concurrent_run, &renewed[i]);
	for (int i = 0; i < RUNNERS; i++) {
		pthread_join(t[i], NULL);
		assert_true(renewed[i] >= 0);
		total += renewed[i];
	}
	/* [07-01, 08-01], [08-01, 09-01], [09-01, 10-01] of each. */
	assert_int_equal(total, 5 * 3);
	for (int i = 0; i < 5; i++) {
		size_t k;
		Billing__V1__Invoice **v = invoices_of(subs[i], &k);

		assert_int_equal(k, 4);
		check_dates(v[1], "2037-07-01", "2037-08-01", "2037-09-15");
		check_dates(v[2], "2037-08-01", "2037-09-01", "2037-09-15");
		check_dates(v[3], "2037-09-01", "2037-10-01", "2037-09-15");
		check_period(get_sub(subs[i]), wall(2037, 9, 1, 9, 0, 0, CEST),
		    wall(2037, 10, 1, 9, 0, 0, CEST));
	}
	run_again_changes_nothing("2037-09-01 09:00:00");
}

/* A run that would issue an amount out of range fails; nothing moves. */
static void
test_run_refuses_money_out_of_range(void **state)
{
	int64_t p = plan("Huge Trial", 9999999999LL, NULL, MONTHLY, 1);
	int64_t c = customer("DE", NULL);
	Billing__V1__RunCycleResponse *r;
	Billing__V1__SubscriptionResult *sr;
	char d0[DIGEST_BYTES], d1[DIGEST_BYTES];

	(void) state;
	sr = subscribe(c, p, DEFAULT, DEFAULT, "2043-01-01 10:00:00");
	assert_int_equal(sr->subscription->status, S_TRIAL);
	digest(d0);
	assert_int_equal(
	    run_rc("2043-01-02 10:00:00", &r), BILLING_OUT_OF_RANGE);
	assert_string_equal(ST.reason, "MONEY_OUT_OF_RANGE");
	digest(d1);
	assert_string_equal(d1, d0);
	assert_int_equal(get_sub(sr->subscription->id)->status, S_TRIAL);
	assert_int_equal(last_no(2043), 0);
}

/* ---- section 5: dunning; section 3: payments reactivate ---- */

static void
test_dunning(void **state)
{
	int64_t p = plan("Dunning", 1000, NULL, MONTHLY, 0);
	int64_t pro = plan("Dunning Pro", 2000, NULL, MONTHLY, 0);
	int64_t a = customer(NULL, NULL), b = customer(NULL, NULL);
	int64_t c = customer(NULL, NULL), d = customer(NULL, NULL);
	int64_t e = customer(NULL, NULL), f = customer(NULL, NULL);
	Billing__V1__SubscriptionResult *r, *r2;
	Billing__V1__Subscription *s;
	Billing__V1__PaymentResult *pr;
	Billing__V1__Invoice *in;
	int64_t sa, sb, sc, sd, se, sf, inv1;
	char d0[DIGEST_BYTES];

	(void) state;
	/* a: due 03-15; past_due from 03-16; expired 14 days after 03-15. */
	r = subscribe(a, p, DEFAULT, DEFAULT, "2038-03-01 10:00:00");
	sa = r->subscription->id;
	inv1 = r->invoice->id;
	check_dates(r->invoice, "2038-03-01", "2038-04-01", "2038-03-15");
	run("2038-03-15 23:59:59", 0, 0, 0, 0, 0, 0);
	assert_int_equal(get_sub(sa)->status, S_ACTIVE);
	run("2038-03-16 00:00:00", 0, 0, 0, 1, 0, 0);
	assert_int_equal(get_sub(sa)->status, S_PAST_DUE);
	digest(d0);
	refused(change_rc(sa, pro, DEFAULT, "2038-03-16 10:00:00", &r2),
	    BILLING_FAILED_PRECONDITION, "SUBSCRIPTION_PAST_DUE", d0);
	refused(change_rc(sa, p, DEFAULT, "2038-03-16 10:00:00", &r2),
	    BILLING_FAILED_PRECONDITION, "SUBSCRIPTION_PAST_DUE", d0);
	run("2038-03-28 23:59:59", 0, 0, 0, 0, 0, 0); /* 13 days */
	assert_int_equal(get_sub(sa)->status, S_PAST_DUE);
	run("2038-03-29 00:00:00", 0, 0, 0, 0, 1, 0); /* 14 days */
	s = get_sub(sa);
	assert_int_equal(s->status, S_EXPIRED);
	assert_true(s->has_cancelled_at_us);
	assert_int_equal(s->cancelled_at_us, wall(2038, 3, 29, 0, 0, 0, CEST));
	assert_int_equal(get_invoice(inv1)->status, I_UNPAID);
	/* Paying it later does not bring an expired subscription back. */
	pay_off(inv1, "2038-03-30 10:00:00");
	assert_int_equal(get_sub(sa)->status, S_EXPIRED);
	expect_events("subscription", sa, a,
	    (const char *const[]) { "subscription.created",
	        "subscription.past_due", "subscription.expired" },
	    (const char *const[]) { "active", "past_due", "expired" }, 3);
	digest(d0);
	refused(change_rc(sa, pro, DEFAULT, "2038-03-29 10:00:00", &r2),
	    BILLING_FAILED_PRECONDITION, "SUBSCRIPTION_NOT_ACTIVE", d0);
	refused(cancel_rc(sa, 0, "2038-03-29 10:00:00", &s),
	    BILLING_FAILED_PRECONDITION, "SUBSCRIPTION_ALREADY_CANCELLED", d0);
	run_again_changes_nothing("2038-03-29 00:00:00");

	/* b: both passes in one run, 14 days after its due date. */
	r = subscribe(b, p, DEFAULT, DEFAULT, "2038-04-01 10:00:00");
	sb = r->subscription->id;
	run("2038-04-29 10:00:00", 0, 0, 0, 1, 1, 0);
	s = get_sub(sb);
	assert_int_equal(s->status, S_EXPIRED);
	assert_int_equal(
	    s->cancelled_at_us, wall(2038, 4, 29, 10, 0, 0, CEST));
	expect_events("subscription", sb, b,
	    (const char *const[]) { "subscription.created",
	        "subscription.past_due", "subscription.expired" },
	    (const char *const[]) { "active", "past_due", "expired" }, 3);

	/*
	 * c: two overdue invoices. Paying one, or part of the other, keeps
	 * it past_due; paying the last overdue one makes it active again.
	 * Upgrade with 26 of 30 days left: -867 + 1733 = 866.
	 */
	r = subscribe(c, p, DEFAULT, DEFAULT, "2038-06-01 10:00:00");
	sc = r->subscription->id;
	inv1 = r->invoice->id;
	r = change(sc, pro, DEFAULT, "2038-06-05 10:00:00");
	check_invoice(r->invoice, 866, 0, 0, 866, I_UNPAID);
	check_dates(r->invoice, "2038-06-05", "2038-07-01", "2038-06-19");
	run("2038-06-20 10:00:00", 0, 0, 0, 1, 0, 0);
	assert_int_equal(get_sub(sc)->status, S_PAST_DUE);
	pr = pay(r->invoice->id, 866, CARD, NULL, "2038-06-21 10:00:00");
	assert_int_equal(pr->invoice->status, I_PAID);
	assert_int_equal(get_sub(sc)->status, S_PAST_DUE);
	pay(inv1, 400, CARD, NULL, "2038-06-21 11:00:00");
	assert_int_equal(get_sub(sc)->status, S_PAST_DUE);
	pr = pay(inv1, 600, PAYPAL, NULL, "2038-06-21 12:00:00");
	assert_int_equal(pr->invoice->status, I_PAID);
	assert_int_equal(
	    pr->invoice->paid_at_us, wall(2038, 6, 21, 12, 0, 0, CEST));
	s = get_sub(sc);
	assert_int_equal(s->status, S_ACTIVE);
	assert_false(s->has_cancelled_at_us);
	expect_events("subscription", sc, c,
	    (const char *const[]) { "subscription.created",
	        "subscription.plan_changed", "subscription.past_due",
	        "subscription.reactivated" },
	    (const char *const[]) { "active", "active", "past_due", "active" },
	    4);
	cancel(sc, 0, "2038-06-22 10:00:00");

	/*
	 * d: voiding the overdue invoice leaves it past_due (and the run
	 * does not change that); a later payment, even partial, on an
	 * invoice not yet due makes it active. Upgrade with 22 of 31 days
	 * left: -709.68 -> -710, +1419.35 -> 1419.
	 */
	r = subscribe(d, p, DEFAULT, DEFAULT, "2038-08-01 10:00:00");
	sd = r->subscription->id;
	inv1 = r->invoice->id;
	r = change(sd, pro, DEFAULT, "2038-08-10 10:00:00");
	in = get_invoice(r->invoice->id);
	check_item(in, 0, "Unused time on Dunning", 1, -710, -710);
	check_item(in, 1, "Remaining time on Dunning Pro", 1, 1419, 1419);
	check_invoice(in, 709, 0, 0, 709, I_UNPAID);
	check_dates(in, "2038-08-10", "2038-09-01", "2038-08-24");
	run("2038-08-16 10:00:00", 0, 0, 0, 1, 0, 0);
	assert_int_equal(void_rc(inv1, "2038-08-16 10:30:00", &in), 0);
	assert_int_equal(in->status, I_VOID);
	assert_int_equal(get_sub(sd)->status, S_PAST_DUE);
	run("2038-08-16 11:00:00", 0, 0, 0, 0, 0, 0);
	assert_int_equal(get_sub(sd)->status, S_PAST_DUE);
	pr = pay(r->invoice->id, 100, CARD, NULL, "2038-08-17 10:00:00");
	assert_int_equal(pr->invoice->status, I_UNPAID);
	assert_int_equal(get_sub(sd)->status, S_ACTIVE);
	cancel(sd, 0, "2038-08-17 11:00:00");

	/*
	 * e: an unpaid invoice not yet due does not hold it past_due. The
	 * period [10-01 CEST, 11-01 CET] is 31 d + 1 h = 2682000 s; from
	 * 10-14 10:00 CEST 18 d + 1 h = 1558800 s are left: credit
	 * 581.21 -> 581, charge 1162.42 -> 1162.
	 */
	r = subscribe(e, p, DEFAULT, DEFAULT, "2038-10-01 10:00:00");
	se = r->subscription->id;
	inv1 = r->invoice->id;
	check_period(r->subscription, wall(2038, 10, 1, 10, 0, 0, CEST),
	    wall(2038, 11, 1, 10, 0, 0, CET));
	r = change(se, pro, DEFAULT, "2038-10-14 10:00:00");
	in = get_invoice(r->invoice->id);
	check_item(in, 0, "Unused time on Dunning", 1, -581, -581);
	check_item(in, 1, "Remaining time on Dunning Pro", 1, 1162, 1162);
	check_dates(in, "2038-10-14", "2038-11-01", "2038-10-28");
	run("2038-10-16 10:00:00", 0, 0, 0, 1, 0, 0);
	assert_int_equal(get_sub(se)->status, S_PAST_DUE);
	pay_off(inv1, "2038-10-17 10:00:00");
	assert_int_equal(get_sub(se)->status, S_ACTIVE);
	assert_int_equal(get_invoice(in->id)->status, I_UNPAID);
	cancel(se, 0, "2038-10-18 10:00:00");

	/* f: nor does an unpaid invoice due today ("before today" only). */
	r = subscribe(f, p, DEFAULT, DEFAULT, "2038-11-01 10:00:00");
	sf = r->subscription->id;
	inv1 = r->invoice->id;
	r = change(sf, pro, DEFAULT, "2038-11-03 10:00:00");
	check_dates(r->invoice, "2038-11-03", "2038-12-01", "2038-11-17");
	run("2038-11-16 10:00:00", 0, 0, 0, 1, 0, 0);
	pay_off(inv1, "2038-11-17 23:59:59");
	assert_int_equal(get_sub(sf)->status, S_ACTIVE);
}

/* ---- section 4: balance and credit; invoices.void ---- */

static void
check_credit(const Billing__V1__Payment *pm, int64_t customer_id,
    int64_t invoice_id, int64_t amount, int status, int64_t created_at)
{
	assert_int_equal(pm->method, CREDIT);
	assert_null(pm->transaction_id);
	assert_int_equal(pm->status, status);
	assert_int_equal(pm->amount_minor, amount);
	assert_int_equal(pm->customer_id, customer_id);
	assert_true(pm->has_invoice_id);
	assert_int_equal(pm->invoice_id, invoice_id);
	assert_string_equal(pm->currency, "EUR");
	assert_int_equal(pm->created_at_us, created_at);
}

static void
test_balance_pays_invoices_with_credit(void **state)
{
	int64_t small = plan("Small", 1000, NULL, MONTHLY, 0);
	int64_t big = plan("Big", 5000, NULL, MONTHLY, 0);
	int64_t free_plan = plan("Free", 0, NULL, MONTHLY, 0);
	int64_t a = customer(NULL, NULL), b = customer(NULL, NULL);
	Billing__V1__SubscriptionResult *r;
	Billing__V1__PaymentResult *pr;
	Billing__V1__Payment **pm;
	Billing__V1__Invoice *in, **v;
	int64_t s1, s2, inv2, card, b1, b2;
	size_t k;
	char d0[DIGEST_BYTES];

	(void) state;
	/* An overpayment of 6.00 goes to the balance. */
	r = subscribe(a, small, DEFAULT, DEFAULT, "2039-01-05 10:00:00");
	s1 = r->subscription->id;
	pr = pay(r->invoice->id, 1600, CARD, "ovp-1", "2039-01-05 10:00:00");
	assert_int_equal(pr->invoice->status, I_PAID);
	assert_int_equal(balance(a), 600);

	/* The next invoice takes it as a credit payment: partly paid. */
	r = subscribe(a, big, DEFAULT, DEFAULT, "2039-01-06 10:00:00");
	s2 = r->subscription->id;
	inv2 = r->invoice->id;
	check_invoice(r->invoice, 5000, 0, 0, 5000, I_UNPAID);
	assert_int_equal(balance(a), 0);
	pm = payments_of(inv2, &k);
	assert_int_equal(k, 1);
	check_credit(
	    pm[0], a, inv2, 600, P_SUCCESS, wall(2039, 1, 6, 10, 0, 0, CET));
	expect_events("payment", pm[0]->id, a,
	    (const char *const[]) { "payment.created" },
	    (const char *const[]) { "success" }, 1);
	/* The credit counts toward the total: 4400 more pays it. */
	pr = pay(inv2, 400, CARD, NULL, "2039-01-06 11:00:00");
	assert_int_equal(pr->invoice->status, I_UNPAID);
	card = pr->payment->id;

	/*
	 * Void: the credit payment is refunded and returns to the balance;
	 * the card payment stays as it is.
	 */
	assert_int_equal(void_rc(inv2, "2039-01-07 10:00:00", &in), 0);
	assert_int_equal(in->status, I_VOID);
	assert_false(in->has_paid_at_us);
	assert_int_equal(in->n_items, 0);
	assert_int_equal(balance(a), 600);
	pm = payments_of(inv2, &k);
	assert_int_equal(k, 2);
	check_credit(
	    pm[0], a, inv2, 600, P_REFUNDED, wall(2039, 1, 6, 10, 0, 0, CET));
	assert_int_equal(pm[1]->id, card);
	assert_int_equal(pm[1]->status, P_SUCCESS);
	expect_events("payment", pm[0]->id, a,
	    (const char *const[]) { "payment.created", "payment.refunded" },
	    (const char *const[]) { "success", "refunded" }, 2);
	expect_events("invoice", inv2, a,
	    (const char *const[]) { "invoice.created", "invoice.voided" },
	    (const char *const[]) { "unpaid", "void" }, 2);

	/* Only unpaid invoices can be voided; void invoices take no money. */
	digest(d0);
	refused(void_rc(inv2, "2039-01-07 11:00:00", &in),
	    BILLING_FAILED_PRECONDITION, "INVOICE_NOT_VOIDABLE", d0);
	v = invoices_of(s1, &k);
	refused(void_rc(v[0]->id, "2039-01-07 11:00:00", &in),
	    BILLING_FAILED_PRECONDITION, "INVOICE_NOT_VOIDABLE", d0);
	refused(void_rc(999999999, "2039-01-07 11:00:00", &in),
	    BILLING_NOT_FOUND, "INVOICE_NOT_FOUND", d0);
	refused(
	    pay_rc(inv2, 100, CARD, NULL, DEFAULT, "2039-01-07 11:00:00", &pr),
	    BILLING_FAILED_PRECONDITION, "INVOICE_VOID", d0);

	/* A total of 0 is paid at once and takes no credit. */
	r = subscribe(a, free_plan, DEFAULT, DEFAULT, "2039-01-08 10:00:00");
	check_invoice(r->invoice, 0, 0, 0, 0, I_PAID);
	assert_int_equal(
	    r->invoice->paid_at_us, wall(2039, 1, 8, 10, 0, 0, CET));
	payments_of(r->invoice->id, &k);
	assert_int_equal(k, 0);
	assert_int_equal(balance(a), 600);
	cancel(s1, 0, "2039-01-08 10:00:00");
	cancel(s2, 0, "2039-01-08 10:00:00");
	cancel(r->subscription->id, 0, "2039-01-08 10:00:00");

	/*
	 * b: a downgrade halfway through February (28 days) credits
	 * 20.00 - the 5.00 of the new plan = 20.00 to the balance.
	 */
	r = subscribe(b, big, DEFAULT, DEFAULT, "2039-02-01 10:00:00");
	b1 = r->subscription->id;
	pay_off(r->invoice->id, "2039-02-01 10:00:00");
	r = change(b1, small, DEFAULT, "2039-02-15 10:00:00");
	check_invoice(r->invoice, -2000, 0, 0, -2000, I_PAID);
	assert_int_equal(balance(b), 2000);
	/* The credit covers the next invoice: paid at once. */
	r = subscribe(b, small, DEFAULT, DEFAULT, "2039-02-16 10:00:00");
	b2 = r->subscription->id;
	check_invoice(r->invoice, 1000, 0, 0, 1000, I_PAID);
	assert_int_equal(
	    r->invoice->paid_at_us, wall(2039, 2, 16, 10, 0, 0, CET));
	assert_int_equal(balance(b), 1000);
	pm = payments_of(r->invoice->id, &k);
	assert_int_equal(k, 1);
	check_credit(pm[0], b, r->invoice->id, 1000, P_SUCCESS,
	    wall(2039, 2, 16, 10, 0, 0, CET));
	expect_events("invoice", r->invoice->id, b,
	    (const char *const[]) { "invoice.created" },
	    (const char *const[]) { "paid" }, 1);
	/* A refused change of plan uses no credit either. */
	digest(d0);
	refused(change_rc(b2, small, DEFAULT, "2039-02-16 11:00:00", &r),
	    BILLING_FAILED_PRECONDITION, "ALREADY_ON_PLAN", d0);

	/* The run's renewal uses the rest. */
	run("2039-03-01 10:00:00", 0, 1, 0, 0, 0, 1);
	v = invoices_of(b1, &k);
	assert_int_equal(k, 3);
	in = v[2];
	check_dates(in, "2039-03-01", "2039-04-01", "2039-03-15");
	check_invoice(in, 1000, 0, 0, 1000, I_PAID);
	assert_int_equal(in->paid_at_us, wall(2039, 3, 1, 10, 0, 0, CET));
	pm = payments_of(in->id, &k);
	assert_int_equal(k, 1);
	check_credit(pm[0], b, in->id, 1000, P_SUCCESS,
	    wall(2039, 3, 1, 10, 0, 0, CET));
	assert_int_equal(balance(b), 0);
	/* With no balance left, no credit payment. */
	r = subscribe(b, small, DEFAULT, DEFAULT, "2039-03-02 10:00:00");
	check_invoice(r->invoice, 1000, 0, 0, 1000, I_UNPAID);
	payments_of(r->invoice->id, &k);
	assert_int_equal(k, 0);
}

/* ---- section 3: payments ---- */

static void
test_payments(void **state)
{
	int64_t p = plan("Pay", 1000, NULL, MONTHLY, 0);
	int64_t a = customer("DE", NULL);
	Billing__V1__PaymentResult *pr;
	Billing__V1__Payment **pm;
	int64_t inv1, inv2, inv3;
	size_t k;
	char d0[DIGEST_BYTES];

	(void) state;
	inv1 = subscribe(a, p, DEFAULT, DEFAULT, "2040-01-02 10:00:00")
	           ->invoice->id;
	inv2 = subscribe(a, p, DEFAULT, DEFAULT, "2040-01-02 10:00:00")
	           ->invoice->id;
	inv3 = subscribe(a, p, DEFAULT, DEFAULT, "2040-01-02 10:00:00")
	           ->invoice->id;
	check_invoice(get_invoice(inv1), 1000, 1900, 190, 1190, I_UNPAID);

	/* Partial: recorded, the invoice stays unpaid. */
	pr = pay(inv1, 500, CARD, "t-1", "2040-01-10 10:00:00");
	assert_int_equal(pr->payment->method, CARD);
	assert_string_equal(pr->payment->transaction_id, "t-1");
	assert_int_equal(pr->payment->customer_id, a);
	assert_int_equal(pr->payment->invoice_id, inv1);
	assert_string_equal(pr->payment->currency, "EUR");
	assert_int_equal(
	    pr->payment->created_at_us, wall(2040, 1, 10, 10, 0, 0, CET));
	assert_int_equal(pr->invoice->id, inv1);
	check_invoice(pr->invoice, 1000, 1900, 190, 1190, I_UNPAID);

	/* A failed payment is recorded and changes nothing else. */
	assert_int_equal(pay_rc(inv1, 690, CARD, "t-2", P_FAILED,
	                     "2040-01-10 11:00:00", &pr),
	    0);
	assert_int_equal(pr->payment->status, P_FAILED);
	check_invoice(pr->invoice, 1000, 1900, 190, 1190, I_UNPAID);
	assert_int_equal(balance(a), 0);

	/* The rest pays it: paid_at is now. */
	pr = pay(inv1, 690, PAYPAL, NULL, "2040-01-11 11:00:00");
	assert_null(pr->payment->transaction_id);
	check_invoice(pr->invoice, 1000, 1900, 190, 1190, I_PAID);
	assert_int_equal(
	    pr->invoice->paid_at_us, wall(2040, 1, 11, 11, 0, 0, CET));
	assert_int_equal(balance(a), 0);
	pm = payments_of(inv1, &k);
	assert_int_equal(k, 3);
	assert_int_equal(pm[0]->status, P_SUCCESS);
	assert_int_equal(pm[1]->status, P_FAILED);
	assert_int_equal(pm[2]->status, P_SUCCESS);
	expect_events("invoice", inv1, a,
	    (const char *const[]) { "invoice.created", "invoice.paid" },
	    (const char *const[]) { "unpaid", "paid" }, 2);
	expect_events("payment", pm[1]->id, a,
	    (const char *const[]) { "payment.created" },
	    (const char *const[]) { "failed" }, 1);

	/* An overpayment: the excess goes to the balance. */
	pr = pay(inv2, 1500, BANK, "t-3", "2040-01-12 10:00:00");
	assert_int_equal(pr->payment->method, BANK);
	assert_int_equal(pr->invoice->status, I_PAID);
	assert_int_equal(balance(a), 310);

	/* Refusals; nothing is written. */
	digest(d0);
	refused(
	    pay_rc(inv1, 100, CARD, NULL, DEFAULT, "2040-01-12 11:00:00", &pr),
	    BILLING_ALREADY_EXISTS, "INVOICE_ALREADY_PAID", d0);
	assert_null(pr);
	/* A failed payment on a paid invoice is refused too. */
	refused(pay_rc(inv1, 100, CARD, NULL, P_FAILED, "2040-01-12 11:00:00",
	            &pr),
	    BILLING_ALREADY_EXISTS, "INVOICE_ALREADY_PAID", d0);
	/* Same transaction and method: on another invoice, or failed. */
	refused(pay_rc(inv3, 100, CARD, "t-1", DEFAULT, "2040-01-12 11:00:00",
	            &pr),
	    BILLING_ALREADY_EXISTS, "DUPLICATE_TRANSACTION", d0);
	refused(pay_rc(inv3, 100, CARD, "t-2", DEFAULT, "2040-01-12 11:00:00",
	            &pr),
	    BILLING_ALREADY_EXISTS, "DUPLICATE_TRANSACTION", d0);
	refused(pay_rc(inv3, 100, CARD, "t-2", P_FAILED, "2040-01-12 11:00:00",
	            &pr),
	    BILLING_ALREADY_EXISTS, "DUPLICATE_TRANSACTION", d0);
	/* The duplicate is found before the invoice's state. */
	refused(pay_rc(inv1, 100, CARD, "t-1", DEFAULT, "2040-01-12 11:00:00",
	            &pr),
	    BILLING_ALREADY_EXISTS, "DUPLICATE_TRANSACTION", d0);
	refused(pay_rc(999999999, 100, CARD, "t-1", DEFAULT,
	            "2040-01-12 11:00:00", &pr),
	    BILLING_NOT_FOUND, "INVOICE_NOT_FOUND", d0);
	invalid(
	    pay_rc(inv3, 0, CARD, NULL, DEFAULT, "2040-01-12 11:00:00", &pr),
	    "amount_minor", d0);
	invalid(pay_rc(inv3, -100, CARD, NULL, DEFAULT, "2040-01-12 11:00:00",
	            &pr),
	    "amount_minor", d0);
	invalid(pay_rc(inv3, 10000000000LL, CARD, NULL, DEFAULT,
	            "2040-01-12 11:00:00", &pr),
	    "amount_minor", d0);
	invalid(pay_rc(inv3, 100, CREDIT, NULL, DEFAULT, "2040-01-12 11:00:00",
	            &pr),
	    "method", d0);
	invalid(
	    pay_rc(inv3, 100, 0, NULL, DEFAULT, "2040-01-12 11:00:00", &pr),
	    "method", d0);
	invalid(pay_rc(inv3, 100, CARD, NULL, P_REFUNDED,
	            "2040-01-12 11:00:00", &pr),
	    "status", d0);
	invalid(
	    pay_rc(0, 100, CARD, NULL, DEFAULT, "2040-01-12 11:00:00", &pr),
	    "invoice_id", d0);
	/* Parameters before rows: a bad amount on a missing invoice. */
	invalid(pay_rc(999999999, 0, CARD, NULL, DEFAULT,
	            "2040-01-12 11:00:00", &pr),
	    "amount_minor", d0);

	/* The same transaction with another method is another payment. */
	pr = pay(inv3, 100, PAYPAL, "t-1", "2040-01-12 12:00:00");
	assert_int_equal(pr->invoice->status, I_UNPAID);
	/* An empty transaction id is none: never a duplicate. */
	pay(inv3, 100, CARD, "", "2040-01-12 12:00:00");
	pr = pay(inv3, 100, CARD, "", "2040-01-12 12:00:00");
	assert_null(pr->payment->transaction_id);
	pay(inv3, 890, CARD, NULL, "2040-01-12 13:00:00");
	assert_int_equal(get_invoice(inv3)->status, I_PAID);
	assert_int_equal(balance(a), 310);
}

/* ---- section 3: payments.refund ---- */

static void
test_refunds(void **state)
{
	int64_t p = plan("Refund", 1000, NULL, MONTHLY, 0);
	int64_t a = customer(NULL, NULL);
	Billing__V1__PaymentResult *pr;
	Billing__V1__Payment **pm;
	Billing__V1__Invoice *in;
	int64_t inv1, inv2, paid, failed, part;
	size_t k;
	char d0[DIGEST_BYTES];

	(void) state;
	inv1 = subscribe(a, p, DEFAULT, DEFAULT, "2041-01-02 10:00:00")
	           ->invoice->id;
	pr = pay(inv1, 1200, CARD, "r-1", "2041-01-03 10:00:00");
	paid = pr->payment->id;
	assert_int_equal(balance(a), 200);

	/* Refund: payment and paid invoice refunded; balance untouched. */
	assert_int_equal(refund_rc(paid, "2041-01-04 10:00:00", &pr), 0);
	assert_int_equal(pr->payment->id, paid);
	assert_int_equal(pr->payment->status, P_REFUNDED);
	assert_int_equal(pr->payment->amount_minor, 1200);
	assert_non_null(pr->invoice);
	assert_int_equal(pr->invoice->status, I_REFUNDED);
	assert_int_equal(
	    pr->invoice->paid_at_us, wall(2041, 1, 3, 10, 0, 0, CET));
	assert_int_equal(balance(a), 200);
	expect_events("payment", paid, a,
	    (const char *const[]) { "payment.created", "payment.refunded" },
	    (const char *const[]) { "success", "refunded" }, 2);
	expect_events("invoice", inv1, a,
	    (const char *const[]) {
	        "invoice.created", "invoice.paid", "invoice.refunded" },
	    (const char *const[]) { "unpaid", "paid", "refunded" }, 3);

	digest(d0);
	refused(refund_rc(paid, "2041-01-04 11:00:00", &pr),
	    BILLING_FAILED_PRECONDITION, "PAYMENT_NOT_REFUNDABLE", d0);
	refused(refund_rc(999999999, "2041-01-04 11:00:00", &pr),
	    BILLING_NOT_FOUND, "PAYMENT_NOT_FOUND", d0);
	refused(
	    pay_rc(inv1, 100, CARD, NULL, DEFAULT, "2041-01-04 11:00:00", &pr),
	    BILLING_ALREADY_EXISTS, "INVOICE_ALREADY_PAID", d0);
	refused(void_rc(inv1, "2041-01-04 11:00:00", &in),
	    BILLING_FAILED_PRECONDITION, "INVOICE_NOT_VOIDABLE", d0);

	/* The next invoice takes the 2.00 of credit. */
	inv2 = subscribe(a, p, DEFAULT, DEFAULT, "2041-01-05 10:00:00")
	           ->invoice->id;
	assert_int_equal(balance(a), 0);
	pm = payments_of(inv2, &k);
	assert_int_equal(k, 1);
	assert_int_equal(pm[0]->method, CREDIT);
	assert_int_equal(pay_rc(inv2, 300, CARD, NULL, P_FAILED,
	                     "2041-01-05 11:00:00", &pr),
	    0);
	failed = pr->payment->id;
	digest(d0);
	refused(refund_rc(pm[0]->id, "2041-01-05 12:00:00", &pr),
	    BILLING_FAILED_PRECONDITION, "PAYMENT_NOT_REFUNDABLE", d0);
	refused(refund_rc(failed, "2041-01-05 12:00:00", &pr),
	    BILLING_FAILED_PRECONDITION, "PAYMENT_NOT_REFUNDABLE", d0);

	/* A refunded part payment leaves the invoice unpaid, and no longer
	 * counts toward its total. */
	pr = pay(inv2, 300, CARD, NULL, "2041-01-06 10:00:00");
	part = pr->payment->id;
	assert_int_equal(refund_rc(part, "2041-01-06 11:00:00", &pr), 0);
	assert_int_equal(pr->payment->status, P_REFUNDED);
	assert_int_equal(pr->invoice->id, inv2);
	assert_int_equal(pr->invoice->status, I_UNPAID);
	assert_int_equal(balance(a), 0);
	expect_events("invoice", inv2, a,
	    (const char *const[]) { "invoice.created" }, NULL, 1);
	pr = pay(inv2, 500, CARD, NULL, "2041-01-07 10:00:00");
	assert_int_equal(pr->invoice->status, I_UNPAID); /* 2 + 5 < 10 */
	pr = pay(inv2, 300, CARD, NULL, "2041-01-07 11:00:00");
	assert_int_equal(pr->invoice->status, I_PAID);
	assert_int_equal(balance(a), 0);
}

/* ---- section 3: cancel and reactivate ---- */

static void
test_cancel_and_reactivate(void **state)
{
	int64_t p = plan("Cancel", 1000, NULL, MONTHLY, 0);
	int64_t tp = plan("Cancel Trial", 1000, NULL, MONTHLY, 10);
	int64_t a = customer(NULL, NULL);
	Billing__V1__Subscription *s;
	int64_t id, tid;
	char d0[DIGEST_BYTES];

	(void) state;
	id = subscribe(a, p, DEFAULT, DEFAULT, "2035-03-01 10:00:00")
	         ->subscription->id;
	s = cancel(id, DEFAULT, "2035-03-02 10:00:00");
	assert_int_equal(s->status, S_ACTIVE);
	assert_true(s->cancel_at_period_end);
	assert_false(s->has_cancelled_at_us);
	/* Flagging again succeeds and changes nothing. */
	digest(d0);
	s = cancel(id, 1, "2035-03-02 11:00:00");
	assert_true(s->cancel_at_period_end);
	{
		char d1[DIGEST_BYTES];

		digest(d1);
		assert_string_equal(d1, d0);
	}
	assert_int_equal(reactivate_rc(id, "2035-03-03 10:00:00", &s), 0);
	assert_int_equal(s->status, S_ACTIVE);
	assert_false(s->cancel_at_period_end);
	digest(d0);
	refused(reactivate_rc(id, "2035-03-03 11:00:00", &s),
	    BILLING_FAILED_PRECONDITION, "SUBSCRIPTION_NOT_REACTIVATABLE", d0);

	/* Cancel now: nothing refunded, the invoice stays unpaid. */
	s = cancel(id, 0, "2035-03-04 10:00:00");
	assert_int_equal(s->status, S_CANCELLED);
	assert_false(s->cancel_at_period_end);
	assert_int_equal(s->cancelled_at_us, wall(2035, 3, 4, 10, 0, 0, CET));
	{
		size_t k;
		Billing__V1__Invoice **v = invoices_of(id, &k);

		assert_int_equal(k, 1);
		assert_int_equal(v[0]->status, I_UNPAID);
	}
	digest(d0);
	refused(cancel_rc(id, 0, "2035-03-05 10:00:00", &s),
	    BILLING_FAILED_PRECONDITION, "SUBSCRIPTION_ALREADY_CANCELLED", d0);
	refused(cancel_rc(id, 1, "2035-03-05 10:00:00", &s),
	    BILLING_FAILED_PRECONDITION, "SUBSCRIPTION_ALREADY_CANCELLED", d0);
	refused(reactivate_rc(id, "2035-03-05 10:00:00", &s),
	    BILLING_FAILED_PRECONDITION, "SUBSCRIPTION_NOT_REACTIVATABLE", d0);
	refused(cancel_rc(999999999, 0, "2035-03-05 10:00:00", &s),
	    BILLING_NOT_FOUND, "SUBSCRIPTION_NOT_FOUND", d0);
	expect_events("subscription", id, a,
	    (const char *const[]) { "subscription.created",
	        "subscription.cancel_scheduled", "subscription.reactivated",
	        "subscription.cancelled" },
	    (const char *const[]) {
	        "active", "active", "active", "cancelled" },
	    4);

	/* A flagged trial can be reactivated, and then converts. */
	tid = subscribe(a, tp, DEFAULT, DEFAULT, "2035-03-10 10:00:00")
	          ->subscription->id;
	cancel(tid, 1, "2035-03-11 10:00:00");
	assert_int_equal(reactivate_rc(tid, "2035-03-12 10:00:00", &s), 0);
	assert_int_equal(s->status, S_TRIAL);
	assert_false(s->cancel_at_period_end);
	run("2035-03-20 10:00:00", 1, 0, 0, 0, 0, 1);
	s = get_sub(tid);
	assert_int_equal(s->status, S_ACTIVE);
	check_period(s, wall(2035, 3, 20, 10, 0, 0, CET),
	    wall(2035, 4, 20, 10, 0, 0, CEST));
}

/* ---- section 3: users.delete ---- */

static void
test_delete_customer_cancels_live_subscriptions(void **state)
{
	int64_t p = plan("Delete Me", 1000, NULL, MONTHLY, 0);
	int64_t tp = plan("Delete Trial", 1000, NULL, MONTHLY, 30);
	int64_t a = customer(NULL, NULL), other = customer(NULL, NULL);
	Billing__V1__SubscriptionResult *r;
	Billing__V1__DeleteCustomerResponse *del;
	Billing__V1__Subscription *s;
	int64_t st, sa, sp, sc, so;
	char buf[128], sql[160], d0[DIGEST_BYTES];

	(void) state;
	st = subscribe(a, tp, DEFAULT, DEFAULT, "2042-01-05 10:00:00")
	         ->subscription->id;
	r = subscribe(a, p, DEFAULT, DEFAULT, "2042-01-05 10:00:00");
	sa = r->subscription->id;
	cancel(sa, 1, "2042-01-06 10:00:00");
	sp = subscribe(a, p, DEFAULT, DEFAULT, "2042-01-05 10:00:00")
	         ->subscription->id;
	sc = subscribe(a, p, DEFAULT, DEFAULT, "2042-01-05 10:00:00")
	         ->subscription->id;
	cancel(sc, 0, "2042-01-06 10:00:00");
	so = subscribe(other, p, DEFAULT, DEFAULT, "2042-01-05 10:00:00")
	         ->subscription->id;
	/* Overpaid by 5.00 once the others are issued: a balance to keep. */
	pay(r->invoice->id, 1500, CARD, NULL, "2042-01-06 10:00:00");
	run("2042-01-20 10:00:00", 0, 0, 0, 2, 0, 0); /* sp and so */
	assert_int_equal(get_sub(sp)->status, S_PAST_DUE);
	assert_int_equal(balance(a), 500);

	del = delete_customer(a, "2042-01-21 10:00:00");
	assert_int_equal(del->cancelled_subscriptions, 3);
	assert_int_equal(del->customer->status,
	    BILLING__V1__CUSTOMER_STATUS__CUSTOMER_STATUS_DELETED);
	assert_int_equal(del->customer->balance_minor, 500);
	assert_string_equal(del->customer->currency, "EUR");
	int64_t live[] = { st, sa, sp };
	for (size_t i = 0; i < N(live); i++) {
		s = get_sub(live[i]);
		assert_int_equal(s->status, S_CANCELLED);
		assert_int_equal(
		    s->cancelled_at_us, wall(2042, 1, 21, 10, 0, 0, CET));
		assert_false(s->cancel_at_period_end);
	}
	s = get_sub(sc);
	assert_int_equal(s->cancelled_at_us, wall(2042, 1, 6, 10, 0, 0, CET));
	assert_int_equal(get_sub(so)->status, S_PAST_DUE);
	snprintf(sql, sizeof(sql),
	    "SELECT status || ' ' || balance_minor || ' ' || currency"
	    " FROM customers WHERE id = %lld",
	    (long long) a);
	th_psql_value(&TH, sql, buf, sizeof(buf));
	assert_string_equal(buf, "deleted 500 EUR");
	expect_events("subscription", st, a,
	    (const char *const[]) {
	        "subscription.created", "subscription.cancelled" },
	    (const char *const[]) { "trial", "cancelled" }, 2);
	expect_events("subscription", sp, a,
	    (const char *const[]) { "subscription.created",
	        "subscription.past_due", "subscription.cancelled" },
	    (const char *const[]) { "active", "past_due", "cancelled" }, 3);
	assert_string_equal(
	    events_of("subscription", sp)->events[2]->before_status,
	    "past_due");

	/* A deleted customer cannot subscribe. */
	digest(d0);
	refused(
	    create_rc(a, p, NULL, DEFAULT, DEFAULT, "2042-01-22 10:00:00", &r),
	    BILLING_NOT_FOUND, "CUSTOMER_NOT_FOUND", d0);
}

/* ---- section 6: the run renews past_due, suspended and archived ---- */

static void
test_run_renews_past_due_suspended_and_archived(void **state)
{
	int64_t p = plan("Renew", 1000, NULL, MONTHLY, 0);
	int64_t pro = plan("Renew Pro", 2000, NULL, MONTHLY, 0);
	int64_t arch = plan("Archived", 700, NULL, MONTHLY, 0);
	int64_t x = customer(NULL, NULL), su = customer(NULL, NULL);
	int64_t ar = customer(NULL, NULL);
	Billing__V1__SubscriptionResult *r;
	Billing__V1__Subscription *s;
	Billing__V1__Invoice **v;
	int64_t sx, ssu, sar, inv2;
	size_t k;

	(void) state;
	r = subscribe(x, p, DEFAULT, DEFAULT, "2044-01-20 10:00:00");
	sx = r->subscription->id;
	pay_off(r->invoice->id, "2044-01-20 10:00:00");
	/* 19 of 31 days left: -612.90 -> -613, +1225.81 -> 1226. */
	r = change(sx, pro, DEFAULT, "2044-02-01 10:00:00");
	inv2 = r->invoice->id;
	check_invoice(r->invoice, 613, 0, 0, 613, I_UNPAID);
	check_dates(r->invoice, "2044-02-01", "2044-02-20", "2044-02-15");
	r = subscribe(su, p, DEFAULT, DEFAULT, "2044-01-20 10:00:00");
	ssu = r->subscription->id;
	pay_off(r->invoice->id, "2044-01-20 10:00:00");
	suspend(su);
	r = subscribe(ar, arch, DEFAULT, DEFAULT, "2044-01-20 10:00:00");
	sar = r->subscription->id;
	pay_off(r->invoice->id, "2044-01-20 10:00:00");
	archive(arch);

	run("2044-02-16 10:00:00", 0, 0, 0, 1, 0, 0);
	assert_int_equal(get_sub(sx)->status, S_PAST_DUE);
	/* All three renew; x stays past_due (5 days overdue). */
	run("2044-02-20 10:00:00", 0, 3, 0, 0, 0, 3);
	s = get_sub(sx);
	assert_int_equal(s->status, S_PAST_DUE);
	check_period(s, wall(2044, 2, 20, 10, 0, 0, CET),
	    wall(2044, 3, 20, 10, 0, 0, CET));
	v = invoices_of(sx, &k);
	assert_int_equal(k, 3);
	check_item(get_invoice(v[2]->id), 0,
	    "Renew Pro (2044-02-20 - 2044-03-20)", 1, 2000, 2000);
	assert_int_equal(get_sub(ssu)->status, S_ACTIVE);
	check_period(get_sub(ssu), wall(2044, 2, 20, 10, 0, 0, CET),
	    wall(2044, 3, 20, 10, 0, 0, CET));
	v = invoices_of(sar, &k);
	assert_int_equal(k, 2);
	check_item(get_invoice(v[1]->id), 0,
	    "Archived (2044-02-20 - 2044-03-20)", 1, 700, 700);
	/* Paying the overdue invoice: the new one is not due yet. */
	pay_off(inv2, "2044-02-21 10:00:00");
	assert_int_equal(get_sub(sx)->status, S_ACTIVE);
	expect_events("subscription", sx, x,
	    (const char *const[]) { "subscription.created",
	        "subscription.plan_changed", "subscription.past_due",
	        "subscription.renewed", "subscription.reactivated" },
	    (const char *const[]) {
	        "active", "active", "past_due", "past_due", "active" },
	    5);
}

/* One run's invoices use a customer's balance in period order. */
static void
test_balance_across_a_catch_up(void **state)
{
	int64_t p = plan("Prepaid", 1000, NULL, MONTHLY, 0);
	int64_t c = customer(NULL, NULL);
	Billing__V1__SubscriptionResult *r;
	Billing__V1__Payment **pm;
	Billing__V1__Invoice **v;
	int64_t now = wall(2045, 4, 10, 10, 0, 0, CEST);
	size_t k;

	(void) state;
	r = subscribe(c, p, DEFAULT, DEFAULT, "2045-01-10 10:00:00");
	pay(r->invoice->id, 2500, CARD, NULL, "2045-01-10 10:00:00");
	assert_int_equal(balance(c), 1500);
	run("2045-04-10 10:00:00", 0, 3, 0, 0, 0, 3);
	v = invoices_of(r->subscription->id, &k);
	assert_int_equal(k, 4);
	check_invoice(v[1], 1000, 0, 0, 1000, I_PAID);
	assert_int_equal(v[1]->paid_at_us, now);
	pm = payments_of(v[1]->id, &k);
	assert_int_equal(k, 1);
	check_credit(pm[0], c, v[1]->id, 1000, P_SUCCESS, now);
	check_invoice(v[2], 1000, 0, 0, 1000, I_UNPAID);
	pm = payments_of(v[2]->id, &k);
	assert_int_equal(k, 1);
	check_credit(pm[0], c, v[2]->id, 500, P_SUCCESS, now);
	check_invoice(v[3], 1000, 0, 0, 1000, I_UNPAID);
	payments_of(v[3]->id, &k);
	assert_int_equal(k, 0);
	assert_int_equal(balance(c), 0);
	/* 5.00 more pays the second. */
	assert_int_equal(pay(v[2]->id, 500, CARD, NULL, "2045-04-11 10:00:00")
	                     ->invoice->status,
	    I_PAID);
}

/* Proration at its edges (section 6): zero, r = 0 and r clamped to T. */
static void
test_proration_edges(void **state)
{
	int64_t a = plan("Same A", 1000, NULL, MONTHLY, 0);
	int64_t b = plan("Same B", 1000, NULL, MONTHLY, 0);
	int64_t pro = plan("Edge Pro", 3000, NULL, MONTHLY, 0);
	int64_t c = customer("DE", NULL);
	const char *start = "2046-06-01 12:00:00";
	Billing__V1__SubscriptionResult *r;
	Billing__V1__Invoice *in;
	int64_t id;

	(void) state;
	/* Same price: credit and charge cancel out, paid at once. */
	id = subscribe(c, a, DEFAULT, DEFAULT, start)->subscription->id;
	r = change(id, b, DEFAULT, "2046-06-16 12:00:00");
	in = get_invoice(r->invoice->id);
	check_item(in, 0, "Unused time on Same A", 1, -500, -500);
	check_item(in, 1, "Remaining time on Same B", 1, 500, 500);
	check_invoice(in, 0, 1900, 0, 0, I_PAID);
	assert_int_equal(in->paid_at_us, wall(2046, 6, 16, 12, 0, 0, CEST));
	assert_int_equal(balance(c), 0);

	/* At the period end (before a run): two 0.00 items. */
	id = subscribe(c, a, DEFAULT, DEFAULT, start)->subscription->id;
	r = change(id, pro, DEFAULT, "2046-07-01 12:00:00");
	in = get_invoice(r->invoice->id);
	assert_int_equal(in->n_items, 2);
	check_item(in, 0, "Unused time on Same A", 1, 0, 0);
	check_item(in, 1, "Remaining time on Edge Pro", 1, 0, 0);
	check_invoice(in, 0, 1900, 0, 0, I_PAID);
	check_dates(in, "2046-07-01", "2046-07-01", "2046-07-15");

	/* Before the period start, r is clamped to T: the whole period. */
	id = subscribe(c, a, DEFAULT, DEFAULT, start)->subscription->id;
	r = change(id, pro, DEFAULT, "2046-05-31 12:00:00");
	in = get_invoice(r->invoice->id);
	check_item(in, 0, "Unused time on Same A", 1, -1000, -1000);
	check_item(in, 1, "Remaining time on Edge Pro", 1, 3000, 3000);
	check_invoice(in, 2000, 1900, 380, 2380, I_UNPAID);
	check_dates(in, "2046-05-31", "2046-07-01", "2046-06-14");
}

/* Item descriptions are cut to 255 bytes on a UTF-8 boundary. */
static void
test_long_descriptions_are_cut(void **state)
{
	char name[256], want[512];
	int64_t p, q, c = customer(NULL, NULL);
	Billing__V1__SubscriptionResult *r;
	Billing__V1__Invoice *in;
	size_t n = 0;

	(void) state;
	/* "a" and 120 "ü" (2 bytes each): 241 bytes, the longest is 255. */
	name[n++] = 'a';
	for (int i = 0; i < 120; i++) {
		name[n++] = (char) 0xc3;
		name[n++] = (char) 0xbc;
	}
	name[n] = '\0';
	p = plan(name, 1000, NULL, MONTHLY, 0);
	q = plan("Short", 2000, NULL, MONTHLY, 0);
	r = subscribe(c, p, DEFAULT, DEFAULT, "2031-06-01 12:00:00");
	in = get_invoice(r->invoice->id);
	/* 241 + " (" + "2031-06-01" = 253 bytes, and 2 of " - ". */
	snprintf(want, sizeof(want), "%s (2031-06-01 -", name);
	assert_int_equal(strlen(want), 255);
	check_item(in, 0, want, 1, 1000, 1000);
	/*
	 * "Unused time on " (15 bytes) + 241 = 256: the last "ü" would be
	 * split, so it goes whole (254 bytes).
	 */
	r = change(r->subscription->id, q, DEFAULT, "2031-06-16 12:00:00");
	in = get_invoice(r->invoice->id);
	snprintf(want, sizeof(want), "Unused time on %.*s", (int) n - 2, name);
	assert_int_equal(strlen(want), 254);
	check_item(in, 0, want, 1, -500, -500);
	check_item(in, 1, "Remaining time on Short", 1, 1000, 1000);
}

/* A malformed test clock is ignored: the server's own time. */
static void
test_malformed_clock_is_ignored(void **state)
{
	int64_t p = plan("Clock", 1000, NULL, MONTHLY, 0);
	int64_t c = customer(NULL, NULL);
	static const char *const bad[] = { "2015-02-29 10:00:00",
		"2015-06-01 24:00:00", "2015-06-01T10:00:00", "2015-06-01",
		"2015-06-01 10:00:00 " };

	(void) state;
	for (size_t i = 0; i < N(bad); i++) {
		Billing__V1__SubscriptionResult *r =
		    subscribe(c, p, DEFAULT, DEFAULT, bad[i]);
		int64_t real = (int64_t) time(NULL) * 1000000;

		assert_true(r->subscription->started_at_us > real - 60000000);
		assert_true(r->subscription->started_at_us <= real + 1000000);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_teardown(f, test_teardown)
		T(test_tax_by_country_and_vat_number),
		T(test_create_with_trial_and_without),
		T(test_create_refusals_write_nothing),
		T(test_invoice_numbers_follow_the_berlin_year),
		T(test_proration),
		T(test_anchor_31_in_a_leap_year),
		T(test_anchor_31_in_a_common_year),
		T(test_quarterly_anchor_31),
		T(test_yearly_anchor_29),
		T(test_dst_spring_gap),
		T(test_dst_autumn_overlap),
		T(test_run_converts_and_ends_trials),
		T(test_run_catches_up_and_cancels_at_period_end),
		T(test_concurrent_runs_bill_once),
		T(test_run_refuses_money_out_of_range),
		T(test_dunning),
		T(test_balance_pays_invoices_with_credit),
		T(test_payments),
		T(test_refunds),
		T(test_cancel_and_reactivate),
		T(test_delete_customer_cancels_live_subscriptions),
		T(test_run_renews_past_due_suspended_and_archived),
		T(test_balance_across_a_catch_up),
		T(test_proration_edges),
		T(test_long_descriptions_are_cut),
		T(test_malformed_clock_is_ignored),
#undef T
	};

	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
