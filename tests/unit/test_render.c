/*
 * The legacy API's value rendering (docs/legacy-api.md sections 2 and 6):
 * each object rendered from an RPC message, compared as parsed JSON with
 * the form the legacy app printed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../http-bridge/render.h"
#include "../../rules/caltime.h"

/* v (consumed) equals the JSON text want. */
static void
assert_json(json_t *v, const char *want)
{
	json_error_t err;
	json_t *w = json_loads(want, JSON_DECODE_ANY, &err);

	assert_non_null(w);
	assert_non_null(v);
	if (!json_equal(v, w)) {
		char *got = json_dumps(v, JSON_SORT_KEYS);

		print_error("got  %s\nwant %s\n", got, want);
		free(got);
		fail();
	}
	json_decref(v);
	json_decref(w);
}

/* 2015-06-01 12:00:00 Berlin (CEST, +02:00) = 10:00 UTC. */
#define JUNE_NOON INT64_C(1433152800000000)
/* 2015-01-31 10:00:00 Berlin (CET, +01:00) = 09:00 UTC. */
#define JAN_TEN INT64_C(1422694800000000)

static void
test_scalars(void **state)
{
	(void) state;
	assert_json(render_id(12), "\"12\"");
	assert_json(render_money(999), "\"9.99\"");
	assert_json(render_money(-350), "\"-3.50\"");
	assert_json(render_money(0), "\"0.00\"");
	assert_json(render_money(-5), "\"-0.05\"");
	assert_json(render_money(9999999999), "\"99999999.99\"");
	assert_json(render_flag(false), "\"0\"");
	assert_json(render_flag(true), "\"1\"");
	assert_json(
	    render_datetime(true, JUNE_NOON), "\"2015-06-01 12:00:00\"");
	assert_json(render_datetime(true, JAN_TEN), "\"2015-01-31 10:00:00\"");
	assert_json(render_datetime(false, 0), "null");
	assert_json(
	    render_datetime_or_zero(false, 0), "\"0000-00-00 00:00:00\"");
	/* Sub-second parts are not shown. */
	assert_json(render_datetime(true, JUNE_NOON + 999999),
	    "\"2015-06-01 12:00:00\"");
}

static void
test_user_meta_and_nulls(void **state)
{
	Billing__V1__Customer c = BILLING__V1__CUSTOMER__INIT;
	Billing__V1__Meta m = BILLING__V1__META__INIT;
	Billing__V1__MetaEntry e = BILLING__V1__META_ENTRY__INIT;
	Billing__V1__MetaEntry *ep[1] = { &e };

	(void) state;
	c.has_id = 1;
	c.id = 7;
	c.email = "anna@example.com";
	c.name = "";
	c.has_balance_minor = 1;
	c.balance_minor = 1250;
	c.has_status = 1;
	c.status = BILLING__V1__CUSTOMER_STATUS__CUSTOMER_STATUS_ACTIVE;
	c.has_created_at_us = 1;
	c.created_at_us = JAN_TEN;
	assert_json(render_user(&c),
	    "{\"id\": \"7\", \"email\": \"anna@example.com\", \"name\": \"\","
	    " \"company\": null, \"country\": null, \"vat_number\": null,"
	    " \"currency\": null, \"balance\": \"12.50\", \"status\": "
	    "\"active\", \"meta\": [], \"created_at\": \"2015-01-31 "
	    "10:00:00\"}");
	e.key = "phone";
	e.value = "+49 30 1234";
	m.n_entries = 1;
	m.entries = ep;
	c.meta = &m;
	c.company = "ACME";
	c.country = "DE";
	c.currency = "EUR";
	c.status = BILLING__V1__CUSTOMER_STATUS__CUSTOMER_STATUS_SUSPENDED;
	assert_json(render_user(&c),
	    "{\"id\": \"7\", \"email\": \"anna@example.com\", \"name\": \"\","
	    " \"company\": \"ACME\", \"country\": \"DE\", \"vat_number\": "
	    "null, \"currency\": \"EUR\", \"balance\": \"12.50\", \"status\":"
	    " \"suspended\", \"meta\": {\"phone\": \"+49 30 1234\"},"
	    " \"created_at\": \"2015-01-31 10:00:00\"}");
	/* A legacy zero created_at (NULL) is shown as the legacy app did. */
	c.has_created_at_us = 0;
	c.meta = NULL;
	assert_json(render_user(&c),
	    "{\"id\": \"7\", \"email\": \"anna@example.com\", \"name\": \"\","
	    " \"company\": \"ACME\", \"country\": \"DE\", \"vat_number\": "
	    "null, \"currency\": \"EUR\", \"balance\": \"12.50\", \"status\":"
	    " \"suspended\", \"meta\": [],"
	    " \"created_at\": \"0000-00-00 00:00:00\"}");
}

static void
test_plan(void **state)
{
	Billing__V1__Plan p = BILLING__V1__PLAN__INIT;

	(void) state;
	p.has_id = p.has_price_minor = p.has_trial_days = 1;
	p.has_active = p.has_billing_cycle = p.has_created_at_us = 1;
	p.id = 3;
	p.code = "pro";
	p.name = "Pro";
	p.price_minor = 2900;
	p.currency = "EUR";
	p.billing_cycle = BILLING__V1__BILLING_CYCLE__BILLING_CYCLE_QUARTERLY;
	p.trial_days = 14;
	p.active = 0;
	p.created_at_us = JUNE_NOON;
	assert_json(render_plan(&p),
	    "{\"id\": \"3\", \"code\": \"pro\", \"name\": \"Pro\", \"price\":"
	    " \"29.00\", \"currency\": \"EUR\", \"billing_cycle\": "
	    "\"quarterly\", \"trial_days\": \"14\", \"is_active\": \"0\","
	    " \"created_at\": \"2015-06-01 12:00:00\"}");
}

static void
test_subscription_dates(void **state)
{
	Billing__V1__Subscription s = BILLING__V1__SUBSCRIPTION__INIT;

	(void) state;
	s.has_id = s.has_customer_id = s.has_plan_id = s.has_status = 1;
	s.id = 5;
	s.customer_id = 7;
	s.plan_id = 3;
	s.status =
	    BILLING__V1__SUBSCRIPTION_STATUS__SUBSCRIPTION_STATUS_PAST_DUE;
	s.has_quantity = 1;
	s.quantity = 2;
	s.has_started_at_us = s.has_current_period_start_us = 1;
	s.started_at_us = s.current_period_start_us = JAN_TEN;
	s.has_current_period_end_us = 1;
	s.current_period_end_us = JUNE_NOON;
	s.has_created_at_us = 1;
	s.created_at_us = JAN_TEN;
	/* No trial: null; never cancelled: the zero date. */
	assert_json(render_subscription(&s),
	    "{\"id\": \"5\", \"user_id\": \"7\", \"plan_id\": \"3\", "
	    "\"status\": \"past_due\", \"quantity\": \"2\", \"started_at\": "
	    "\"2015-01-31 10:00:00\", \"trial_ends_at\": null, "
	    "\"current_period_start\": \"2015-01-31 10:00:00\", "
	    "\"current_period_end\": \"2015-06-01 12:00:00\", "
	    "\"cancel_at_period_end\": \"0\", \"cancelled_at\": \"0000-00-00 "
	    "00:00:00\", \"created_at\": \"2015-01-31 10:00:00\"}");
	/* A legacy zero trial end stays the zero date. */
	s.trial_ends_at_legacy_zero = 1;
	s.cancel_at_period_end = 1;
	s.has_cancelled_at_us = 1;
	s.cancelled_at_us = JUNE_NOON;
	json_t *o = render_subscription(&s);
	assert_json(json_incref(json_object_get(o, "trial_ends_at")),
	    "\"0000-00-00 00:00:00\"");
	assert_json(
	    json_incref(json_object_get(o, "cancel_at_period_end")), "\"1\"");
	assert_json(json_incref(json_object_get(o, "cancelled_at")),
	    "\"2015-06-01 12:00:00\"");
	json_decref(o);
}

static void
test_invoice_with_and_without_items(void **state)
{
	Billing__V1__Invoice in = BILLING__V1__INVOICE__INIT;
	Billing__V1__InvoiceItem it = BILLING__V1__INVOICE_ITEM__INIT;
	Billing__V1__InvoiceItem *itp[1] = { &it };
	json_t *o;

	(void) state;
	in.has_id = in.has_customer_id = 1;
	in.id = 9;
	in.customer_id = 7;
	in.number = "INV-2015-000001";
	in.currency = "EUR";
	in.has_subtotal_minor = in.has_tax_rate_bp = in.has_tax_minor = 1;
	in.has_total_minor = in.has_status = in.has_created_at_us = 1;
	in.subtotal_minor = 1998;
	in.tax_rate_bp = 1900;
	in.tax_minor = 380;
	in.total_minor = 2378;
	in.status = BILLING__V1__INVOICE_STATUS__INVOICE_STATUS_UNPAID;
	in.period_start = "2015-01-31";
	in.period_end = "2015-02-28";
	in.due_date = "2015-02-14";
	in.created_at_us = JAN_TEN;
	it.has_id = it.has_quantity = 1;
	it.has_unit_price_minor = it.has_amount_minor = 1;
	it.id = 11;
	it.description = "Basic (2015-01-31 - 2015-02-28)";
	it.quantity = 2;
	it.unit_price_minor = 999;
	it.amount_minor = 1998;
	in.n_items = 1;
	in.items = itp;
	o = render_invoice(&in, false);
	assert_null(json_object_get(o, "items"));
	assert_json(o,
	    "{\"id\": \"9\", \"number\": \"INV-2015-000001\", \"user_id\": "
	    "\"7\", \"subscription_id\": null, \"currency\": \"EUR\", "
	    "\"subtotal\": \"19.98\", \"tax_rate\": \"19.00\", \"tax\": "
	    "\"3.80\", \"total\": \"23.78\", \"status\": \"unpaid\", "
	    "\"period_start\": \"2015-01-31\", \"period_end\": \"2015-02-28\","
	    " \"due_date\": \"2015-02-14\", \"paid_at\": \"0000-00-00 "
	    "00:00:00\", \"created_at\": \"2015-01-31 10:00:00\"}");
	in.has_subscription_id = 1;
	in.subscription_id = 5;
	in.tax_rate_bp = 0;
	o = render_invoice(&in, true);
	assert_json(
	    json_incref(json_object_get(o, "subscription_id")), "\"5\"");
	assert_json(json_incref(json_object_get(o, "tax_rate")), "\"0.00\"");
	assert_json(json_incref(json_object_get(o, "items")),
	    "[{\"id\": \"11\", \"description\": \"Basic (2015-01-31 - "
	    "2015-02-28)\", \"quantity\": \"2\", \"unit_price\": \"9.99\", "
	    "\"amount\": \"19.98\"}]");
	json_decref(o);
}

static void
test_payment_and_counts(void **state)
{
	Billing__V1__Payment p = BILLING__V1__PAYMENT__INIT;
	Billing__V1__RunCycleResponse r =
	    BILLING__V1__RUN_CYCLE_RESPONSE__INIT;

	(void) state;
	p.has_id = p.has_customer_id = p.has_amount_minor = 1;
	p.id = 4;
	p.customer_id = 7;
	p.amount_minor = 1000;
	p.currency = "EUR";
	p.has_method = p.has_status = p.has_created_at_us = 1;
	p.method = BILLING__V1__PAYMENT_METHOD__PAYMENT_METHOD_CREDIT;
	p.status = BILLING__V1__PAYMENT_STATUS__PAYMENT_STATUS_REFUNDED;
	p.created_at_us = JUNE_NOON;
	assert_json(render_payment(&p),
	    "{\"id\": \"4\", \"invoice_id\": null, \"user_id\": \"7\", "
	    "\"amount\": \"10.00\", \"currency\": \"EUR\", \"method\": "
	    "\"credit\", \"transaction_id\": null, \"status\": \"refunded\","
	    " \"created_at\": \"2015-06-01 12:00:00\"}");
	r.renewed = 4;
	r.invoices_created = 5;
	assert_json(render_run_counts(&r),
	    "{\"trials_converted\": 0, \"renewed\": 4, \"cancelled\": 0, "
	    "\"past_due\": 0, \"expired\": 0, \"invoices_created\": 5}");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_user_meta_and_nulls),
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_subscription_dates),
		cmocka_unit_test(test_invoice_with_and_without_items),
		cmocka_unit_test(test_payment_and_counts),
	};

	if (caltime_set_zone("Europe/Berlin") != 0)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
