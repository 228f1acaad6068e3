/*
 * payments.c: the Payments service (API.md sections 3 and 6).
 *
 * A payment locks its invoice first, so concurrent payments on one
 * invoice run one after the other: exactly one of them sees the total
 * reached, marks the invoice paid and moves the excess to the balance.
 * Then the subscription and the customer, in the engine's lock order.
 * A duplicate gateway transaction is found by lookup under an advisory
 * lock on (method, transaction_id): the legacy data holds double-posted
 * payments, so a unique index cannot say it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../rules/caltime.h"
#include "../rules/invoice.h"
#include "../rules/money.h"
#include "events.h"
#include "handlers.h"
#include "invoices.h"
#include "page.h"

/* Advisory lock namespace of gateway transactions. */
#define LOCK_TRANSACTION "2"

#define PAYMENT_COLS                                                   \
	"id, invoice_id, customer_id, amount_minor, currency, method," \
	" transaction_id, status, billing_us(created_at)"

static const db_stmt LOCK_INVOICE = { "payments_lock_invoice",
	"SELECT " INVOICE_COLS " FROM invoices WHERE id = $1 FOR UPDATE" };

static const db_stmt LOCK_TXN = { "payments_lock_txn",
	"SELECT pg_advisory_xact_lock(" LOCK_TRANSACTION
	", hashtext($1 || ':' || $2))" };

static const db_stmt DUPLICATE = { "payments_duplicate",
	"SELECT id FROM payments WHERE transaction_id = $1 AND method = $2"
	" LIMIT 1" };

static const db_stmt PAID_SUM = { "payments_paid_sum",
	"SELECT coalesce(sum(amount_minor), 0) FROM payments"
	" WHERE invoice_id = $1 AND status = 'success'" };

static const db_stmt LOCK_SUBSCRIPTION = { "payments_lock_subscription",
	"SELECT status FROM subscriptions WHERE id = $1 FOR UPDATE" };

static const db_stmt LOCK_CUSTOMER = { "payments_lock_customer",
	"SELECT balance_minor FROM customers WHERE id = $1 FOR UPDATE" };

/* The payment and its event, in one round trip. */
static const db_stmt INSERT = { "payments_insert",
	"WITH p AS (INSERT INTO payments (customer_id, invoice_id,"
	"   amount_minor, currency, method, transaction_id, status, "
	"created_at)"
	"   VALUES ($1, $2, $3, $4, $5, $6, $7, billing_ts($8))"
	"   RETURNING " PAYMENT_COLS "),"
	" e AS (INSERT INTO events (customer_id, type, object_type, object_id,"
	"   after_status, request_id, created_at)"
	"   SELECT $1, 'payment.created', 'payment', p.id, $7, $9,"
	"   billing_ts($8) FROM p)"
	" SELECT * FROM p" };

/*
 * What a successful payment does, in one round trip (API.md section
 * 6): $3 the invoice is now paid; $4 the excess for the balance; then a
 * past_due subscription with no unpaid invoice due before today ($7)
 * is active again. The statement's parts see the database as it was
 * before it, so the invoice this payment pays counts as paid there.
 */
static const db_stmt SETTLE = { "payments_settle",
	"WITH inv AS (UPDATE invoices SET status = 'paid',"
	"   paid_at = billing_ts($2) WHERE id = $1 AND $3::boolean"
	"   RETURNING " INVOICE_COLS "),"
	" paid_ev AS (INSERT INTO events (customer_id, type, object_type,"
	"   object_id, before_status, after_status, request_id, created_at)"
	"   SELECT $5, 'invoice.paid', 'invoice', id, 'unpaid', 'paid', $8,"
	"   billing_ts($2) FROM inv),"
	" bal AS (UPDATE customers SET balance_minor = balance_minor + $4,"
	"   updated_at = billing_ts($2) WHERE id = $5 AND $4::bigint > 0),"
	" re AS (UPDATE subscriptions s SET status = 'active'"
	"   WHERE s.id = $6 AND s.status = 'past_due' AND NOT EXISTS"
	"   (SELECT 1 FROM invoices i WHERE i.subscription_id = s.id"
	"   AND i.status = 'unpaid' AND i.due_date < $7::date"
	"   AND NOT (i.id = $1 AND $3::boolean)) RETURNING s.id),"
	" re_ev AS (INSERT INTO events (customer_id, type, object_type,"
	"   object_id, before_status, after_status, request_id, created_at,"
	"   data) SELECT $5, 'subscription.reactivated', 'subscription', id,"
	"   'past_due', 'active', $8, billing_ts($2),"
	"   '{\"cause\": \"payment\"}' FROM re)"
	" SELECT * FROM inv" };

#define LIST_FILTER                                                        \
	" (customer_id = $1 OR $1 IS NULL) AND (invoice_id = $2 OR $2 IS " \
	"NULL)"

static const db_stmt LIST = { "payments_list",
	"SELECT t.total, p.* FROM"
	" (SELECT count(*) AS total FROM payments WHERE" LIST_FILTER ") t"
	" LEFT JOIN LATERAL"
	" (SELECT " PAYMENT_COLS " FROM payments WHERE" LIST_FILTER
	"   AND id > $3 ORDER BY id LIMIT $4 OFFSET $5) p ON true" };

static const db_stmt LOCK_PAYMENT = { "payments_lock",
	"SELECT " PAYMENT_COLS " FROM payments WHERE id = $1 FOR UPDATE" };

static const db_stmt SET_REFUNDED = { "payments_set_refunded",
	"UPDATE payments SET status = 'refunded' WHERE id = $1"
	" RETURNING " PAYMENT_COLS };

/* A paid invoice becomes refunded; any other stays as it is. */
static const db_stmt REFUND_INVOICE = { "payments_refund_invoice",
	"UPDATE invoices SET status = 'refunded' WHERE id = $1"
	" AND status = 'paid' RETURNING " INVOICE_COLS };

static const db_stmt GET_INVOICE = { "payments_get_invoice",
	"SELECT " INVOICE_COLS " FROM invoices WHERE id = $1" };

static const char *const METHODS[] = {
	[BILLING__V1__PAYMENT_METHOD__PAYMENT_METHOD_CARD] = "card",
	[BILLING__V1__PAYMENT_METHOD__PAYMENT_METHOD_PAYPAL] = "paypal",
	[BILLING__V1__PAYMENT_METHOD__PAYMENT_METHOD_BANK_TRANSFER] =
	    "bank_transfer",
	[BILLING__V1__PAYMENT_METHOD__PAYMENT_METHOD_CREDIT] = "credit",
};
#define N_METHODS (sizeof(METHODS) / sizeof(METHODS[0]))

static const char *const STATUSES[] = {
	[BILLING__V1__PAYMENT_STATUS__PAYMENT_STATUS_SUCCESS] = "success",
	[BILLING__V1__PAYMENT_STATUS__PAYMENT_STATUS_FAILED] = "failed",
	[BILLING__V1__PAYMENT_STATUS__PAYMENT_STATUS_REFUNDED] = "refunded",
};
#define N_STATUSES (sizeof(STATUSES) / sizeof(STATUSES[0]))

static int
lookup(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 1; s != NULL && i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return ((int) i);
	return (0);
}

/* The payment in columns [c, c + 9) of a row. */
static Billing__V1__Payment *
from_row(srv_call *call, const PGresult *res, int row, int c)
{
	Billing__V1__Payment *m =
	    call_new(call, billing__v1__payment, Billing__V1__Payment);

	if (m == NULL)
		return (NULL);
	m->has_id = m->has_customer_id = m->has_amount_minor = 1;
	m->id = call_int64(res, row, c + 0);
	if ((m->has_invoice_id = !call_isnull(res, row, c + 1)))
		m->invoice_id = call_int64(res, row, c + 1);
	m->customer_id = call_int64(res, row, c + 2);
	m->amount_minor = call_int64(res, row, c + 3);
	m->currency = (char *) call_text(res, row, c + 4);
	m->has_method = m->has_status = 1;
	m->method = (Billing__V1__PaymentMethod) lookup(
	    METHODS, N_METHODS, call_text(res, row, c + 5));
	m->transaction_id = (char *) call_text(res, row, c + 6);
	m->status = (Billing__V1__PaymentStatus) lookup(
	    STATUSES, N_STATUSES, call_text(res, row, c + 7));
	if ((m->has_created_at_us = !call_isnull(res, row, c + 8)))
		m->created_at_us = call_int64(res, row, c + 8);
	return (m);
}

/* The request's fields in the contract's order. */
static int
check_create(srv_call *call, const Billing__V1__CreatePaymentRequest *req)
{
	if (!req->has_invoice_id)
		return (call_invalid(call, "invoice_id", "required"));
	if (req->invoice_id < 1)
		return (call_invalid(call, "invoice_id", "must be 1 or more"));
	if (!req->has_amount_minor)
		return (call_invalid(call, "amount_minor", "required"));
	if (req->amount_minor <= 0 || !money_in_range(req->amount_minor))
		return (call_invalid(
		    call, "amount_minor", "must be 0.01 to 99999999.99"));
	if (!req->has_method)
		return (call_invalid(call, "method", "required"));
	if (req->method ==
	        BILLING__V1__PAYMENT_METHOD__PAYMENT_METHOD_CREDIT ||
	    lookup(METHODS, N_METHODS,
	        req->method > 0 && (size_t) req->method < N_METHODS
	            ? METHODS[req->method]
	            : NULL) == 0)
		return (call_invalid(
		    call, "method", "must be card, paypal or bank_transfer"));
	if (req->transaction_id != NULL && strlen(req->transaction_id) > 64)
		return (call_invalid(
		    call, "transaction_id", "longer than 64 bytes"));
	if (req->has_status &&
	    req->status !=
	        BILLING__V1__PAYMENT_STATUS__PAYMENT_STATUS_SUCCESS &&
	    req->status != BILLING__V1__PAYMENT_STATUS__PAYMENT_STATUS_FAILED)
		return (
		    call_invalid(call, "status", "must be success or failed"));
	return (0);
}

/* Refuses a gateway transaction that was recorded before. */
static int
check_duplicate(srv_call *call, const char *txn, const char *method)
{
	const char *p[2] = { txn, method };
	PGresult *res;
	int rv;

	if ((rv = call_query(call, &LOCK_TXN, 2, p, &res)) != 0 ||
	    (rv = call_query(call, &DUPLICATE, 2, p, &res)) != 0)
		return (rv);
	if (PQntuples(res) > 0)
		return (call_error(call, BILLING_ALREADY_EXISTS,
		    "DUPLICATE_TRANSACTION", "Duplicate transaction"));
	return (0);
}

/*
 * After a successful payment of amount on *inv, whose successful
 * payments summed to before: the invoice paid once the sum reaches the
 * total, the excess to the balance, and a past_due subscription active
 * again when nothing unpaid is overdue. *inv is updated when paid.
 */
static int
settle(
    srv_call *call, Billing__V1__Invoice **inv, int64_t before, int64_t amount)
{
	Billing__V1__Invoice *in = *inv;
	char id[21], cid[21], sid[21], now[21], ex[21], today[CAL_DATE_BYTES];
	int64_t excess;
	bool paid;
	PGresult *res;
	int rv;

	if (invoice_apply_payment(
	        in->total_minor, before, amount, &paid, &excess) != MONEY_OK)
		return (call_error(call, BILLING_OUT_OF_RANGE,
		    "MONEY_OUT_OF_RANGE", "the paid sum overflows"));
	const char *p[8] = { call_fmt_int64(id, in->id),
		call_fmt_int64(now, call->now_us), paid ? "t" : "f",
		call_fmt_int64(ex, excess),
		call_fmt_int64(cid, in->customer_id),
		in->has_subscription_id
		    ? call_fmt_int64(sid, in->subscription_id)
		    : NULL,
		cal_date_format(cal_local_date(call->now_us), today),
		call->request_id };
	if ((rv = call_query(call, &SETTLE, 8, p, &res)) != 0)
		return (rv);
	if (paid && PQntuples(res) == 1 &&
	    (*inv = invoices_from_row(call, res, 0, 0)) == NULL)
		return (call_oom(call));
	return (0);
}

/*
 * Locks what a successful payment may change, in the engine's order
 * (the invoice is locked already), and refuses a balance that would
 * leave the money range before anything is written.
 */
static int
lock_for_success(srv_call *call, const Billing__V1__Invoice *in,
    int64_t amount, int64_t *paid_before)
{
	char sid[21], cid[21], id[21];
	const char *p[1];
	int64_t before, excess, bal;
	bool paid;
	PGresult *res;
	int rv;

	if (in->has_subscription_id) {
		p[0] = call_fmt_int64(sid, in->subscription_id);
		if ((rv = call_query(call, &LOCK_SUBSCRIPTION, 1, p, &res)) !=
		    0)
			return (rv);
	}
	p[0] = call_fmt_int64(cid, in->customer_id);
	if ((rv = call_query(call, &LOCK_CUSTOMER, 1, p, &res)) != 0)
		return (rv);
	bal = PQntuples(res) > 0 ? call_int64(res, 0, 0) : 0;
	p[0] = call_fmt_int64(id, in->id);
	if ((rv = call_query(call, &PAID_SUM, 1, p, &res)) != 0)
		return (rv);
	before = *paid_before = call_int64(res, 0, 0);
	if (invoice_apply_payment(
	        in->total_minor, before, amount, &paid, &excess) != MONEY_OK ||
	    money_add(bal, excess, &bal) != MONEY_OK)
		return (call_error(call, BILLING_OUT_OF_RANGE,
		    "MONEY_OUT_OF_RANGE",
		    "the customer's balance would leave the money range"));
	return (0);
}

static int
payments_create(srv_call *call, const Billing__V1__CreatePaymentRequest *req,
    Billing__V1__PaymentResult **out)
{
	Billing__V1__PaymentResult *r;
	Billing__V1__Invoice *in;
	const char *method, *txn, *status;
	char id[21], cid[21], amt[21], now[21];
	int64_t before = 0;
	bool success;
	PGresult *res;
	int rv;

	if ((rv = check_create(call, req)) != 0)
		return (rv);
	method = METHODS[req->method];
	txn = req->transaction_id != NULL && req->transaction_id[0] != '\0'
	    ? req->transaction_id
	    : NULL;
	success = !req->has_status ||
	    req->status == BILLING__V1__PAYMENT_STATUS__PAYMENT_STATUS_SUCCESS;
	status = success ? "success" : "failed";

	const char *p[9] = { call_fmt_int64(id, req->invoice_id) };
	if ((rv = call_query(call, &LOCK_INVOICE, 1, p, &res)) != 0)
		return (rv);
	if (PQntuples(res) == 0)
		return (call_error(call, BILLING_NOT_FOUND,
		    "INVOICE_NOT_FOUND", "invoice %s not found", id));
	if ((in = invoices_from_row(call, res, 0, 0)) == NULL)
		return (call_oom(call));
	if (txn != NULL && (rv = check_duplicate(call, txn, method)) != 0)
		return (rv);
	if (in->status == BILLING__V1__INVOICE_STATUS__INVOICE_STATUS_VOID)
		return (call_error(call, BILLING_FAILED_PRECONDITION,
		    "INVOICE_VOID", "Invoice is void"));
	if (in->status != BILLING__V1__INVOICE_STATUS__INVOICE_STATUS_UNPAID)
		return (call_error(call, BILLING_ALREADY_EXISTS,
		    "INVOICE_ALREADY_PAID", "Invoice already paid"));
	if (success &&
	    (rv = lock_for_success(call, in, req->amount_minor, &before)) != 0)
		return (rv);

	p[0] = call_fmt_int64(cid, in->customer_id);
	p[1] = id;
	p[2] = call_fmt_int64(amt, req->amount_minor);
	p[3] = in->currency;
	p[4] = method;
	p[5] = txn;
	p[6] = status;
	p[7] = call_fmt_int64(now, call->now_us);
	p[8] = call->request_id;
	r = call_new(
	    call, billing__v1__payment_result, Billing__V1__PaymentResult);
	if (r == NULL)
		return (call_oom(call));
	if ((rv = call_query(call, &INSERT, 9, p, &res)) != 0)
		return (rv);
	if ((r->payment = from_row(call, res, 0, 0)) == NULL)
		return (call_oom(call));
	if (success &&
	    (rv = settle(call, &in, before, req->amount_minor)) != 0)
		return (rv);
	r->invoice = in;
	*out = r;
	return (0);
}

static int
payments_list(srv_call *call, const Billing__V1__ListPaymentsRequest *req,
    Billing__V1__ListPaymentsResponse **out)
{
	Billing__V1__ListPaymentsResponse *r;
	char cid[21], iid[21];
	page_req pg;
	PGresult *res;
	int rv, n;

	if ((rv = page_parse(call, req->page, &pg)) != 0)
		return (rv);
	const char *p[5] = { req->has_customer_id
		    ? call_fmt_int64(cid, req->customer_id)
		    : NULL,
		req->has_invoice_id ? call_fmt_int64(iid, req->invoice_id)
		                    : NULL,
		pg.cursor_text, pg.fetch_text, pg.offset_text };
	if ((rv = call_query(call, &LIST, 5, p, &res)) != 0)
		return (rv);
	r = call_new(call, billing__v1__list_payments_response,
	    Billing__V1__ListPaymentsResponse);
	if (r == NULL ||
	    (n = page_items(call, &pg, res, sizeof(*r->payments),
	         (void **) &r->payments)) < 0)
		return (call_oom(call));
	for (int i = 0; i < n; i++) {
		if ((r->payments[i] = from_row(call, res, i, 1)) == NULL)
			return (call_oom(call));
	}
	r->n_payments = (size_t) n;
	r->page =
	    page_info(call, &pg, res, n > 0 ? r->payments[n - 1]->id : 0);
	*out = r;
	return (0);
}

static int
payments_refund(srv_call *call, const Billing__V1__RefundPaymentRequest *req,
    Billing__V1__PaymentResult **out)
{
	Billing__V1__PaymentResult *r;
	Billing__V1__Payment *old;
	bool refunded = false;
	char id[21], iid[21];
	const char *p[1];
	PGresult *res;
	int rv;

	if (!req->has_id || req->id < 1)
		return (call_invalid(call, "id", "must be 1 or more"));
	p[0] = call_fmt_int64(id, req->id);
	if ((rv = call_query(call, &LOCK_PAYMENT, 1, p, &res)) != 0)
		return (rv);
	if (PQntuples(res) == 0)
		return (call_error(call, BILLING_NOT_FOUND,
		    "PAYMENT_NOT_FOUND", "payment %s not found", id));
	if ((old = from_row(call, res, 0, 0)) == NULL)
		return (call_oom(call));
	if (old->status !=
	        BILLING__V1__PAYMENT_STATUS__PAYMENT_STATUS_SUCCESS ||
	    old->method == BILLING__V1__PAYMENT_METHOD__PAYMENT_METHOD_CREDIT)
		return (call_error(call, BILLING_FAILED_PRECONDITION,
		    "PAYMENT_NOT_REFUNDABLE", "Payment cannot be refunded"));
	r = call_new(
	    call, billing__v1__payment_result, Billing__V1__PaymentResult);
	if (r == NULL)
		return (call_oom(call));
	if (old->has_invoice_id) {
		p[0] = call_fmt_int64(iid, old->invoice_id);
		if ((rv = call_query(call, &REFUND_INVOICE, 1, p, &res)) != 0)
			return (rv);
		refunded = PQntuples(res) > 0;
		if (!refunded &&
		    (rv = call_query(call, &GET_INVOICE, 1, p, &res)) != 0)
			return (rv);
		if (PQntuples(res) > 0 &&
		    (r->invoice = invoices_from_row(call, res, 0, 0)) == NULL)
			return (call_oom(call));
	}
	p[0] = id;
	if ((rv = call_query(call, &SET_REFUNDED, 1, p, &res)) != 0)
		return (rv);
	if ((r->payment = from_row(call, res, 0, 0)) == NULL)
		return (call_oom(call));
	if (refunded &&
	    (rv = events_record(call, "invoice.refunded", "invoice",
	         r->invoice->id, old->customer_id, "paid", "refunded",
	         NULL)) != 0)
		return (rv);
	*out = r;
	return (events_record(call, "payment.refunded", "payment", req->id,
	    old->customer_id, "success", "refunded", NULL));
}

const billing_payments_impl payments_impl = {
	.create = payments_create,
	.list = payments_list,
	.refund = payments_refund,
};
