/*
 * render: the legacy API's JSON values (docs/legacy-api.md sections 2
 * and 6), built with jansson from the RPC messages. Pure: no I/O.
 *
 * The PHP app printed MySQL's strings, so ids, integer columns and flags
 * are JSON strings ("12", "0"), money has exactly two decimals ("9.99",
 * "-3.50"), DATETIMEs are wall-clock times of the billing zone, a
 * DATETIME meaning "never" is the zero date, and counters computed by
 * PHP (list totals, run counts) are JSON numbers.
 */
#ifndef BRIDGE_RENDER_H
#define BRIDGE_RENDER_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "billing/v1/billing.pb-c.h"
#include "billing/v1/customers.pb-c.h"
#include "billing/v1/invoices.pb-c.h"
#include "billing/v1/payments.pb-c.h"
#include "billing/v1/plans.pb-c.h"
#include "billing/v1/subscriptions.pb-c.h"

#define RENDER_ZERO_DATETIME "0000-00-00 00:00:00"

/* "12" */
json_t *render_id(int64_t id);
/* "9.99", "-3.50" */
json_t *render_money(int64_t minor);
/* "2015-06-01 12:00:00" in the billing zone; null when !has. */
json_t *render_datetime(bool has, int64_t us);
/*
 * As render_datetime, but "never" is the zero date, not null; so is a
 * NULL created_at, which only a legacy zero date becomes
 * (docs/migration.md).
 */
json_t *render_datetime_or_zero(bool has, int64_t us);
/* "0" / "1" */
json_t *render_flag(bool v);

/* The objects of section 2. NULL only when memory ran out. */
json_t *render_user(const Billing__V1__Customer *c);
json_t *render_plan(const Billing__V1__Plan *p);
json_t *render_subscription(const Billing__V1__Subscription *s);
json_t *render_invoice(const Billing__V1__Invoice *in, bool with_items);
json_t *render_payment(const Billing__V1__Payment *p);
json_t *render_run_counts(const Billing__V1__RunCycleResponse *r);

/* Enumerations as the legacy app stored them ("past_due"); NULL if none. */
const char *render_subscription_status(Billing__V1__SubscriptionStatus s);
const char *render_invoice_status(Billing__V1__InvoiceStatus s);
const char *render_payment_method(Billing__V1__PaymentMethod m);
const char *render_payment_status(Billing__V1__PaymentStatus s);
const char *render_customer_status(Billing__V1__CustomerStatus s);
const char *render_billing_cycle(Billing__V1__BillingCycle c);

#endif /* BRIDGE_RENDER_H */
