/*
 * payments.c: payments.php (docs/legacy-api.md sections 3 and 6).
 */
#include "check.h"
#include "render.h"

/* `credit` is the engine's own method: invalid as input. */
static const char *const METHODS[] = { "card", "paypal", "bank_transfer",
	NULL };
static const char *const STATUSES[] = { "success", "failed", NULL };

/* {"payment": {...}, "invoice": {...} or null}, no items. */
static envelope
pair_result(int rv, Billing__V1__PaymentResult *res, const billing_status *st)
{
	envelope e;

	if (rv != 0)
		return (envelope_rpc_error(st));
	e = envelope_ok(json_pack("{s:o, s:o}", "payment",
	    render_payment(res->payment), "invoice",
	    res->invoice != NULL ? render_invoice(res->invoice, false)
	                         : json_null()));
	billing__v1__payment_result__free_unpacked(res, NULL);
	return (e);
}

static json_t *
payment_item(const void *m)
{
	return (render_payment(m));
}

static envelope
payments_list(breq *r)
{
	Billing__V1__ListPaymentsRequest req =
	    BILLING__V1__LIST_PAYMENTS_REQUEST__INIT;
	Billing__V1__PageRequest pg = BILLING__V1__PAGE_REQUEST__INIT;
	Billing__V1__ListPaymentsResponse *resp = NULL;
	billing_status st = BILLING_STATUS_INIT;
	int64_t page;
	envelope err;
	bool given;

	if (!chk_id(r, "user_id", true, &given, &req.customer_id, &err) ||
	    !chk_id(r, "invoice_id", false, &given, &req.invoice_id, &err))
		return (err);
	req.has_customer_id = 1;
	req.has_invoice_id = given;
	if (!chk_page(r, &pg, &page, &err))
		return (err);
	req.page = &pg;
	if (billing_payments_list(r->client, &req, &resp, &r->opts, &st) != 0)
		return (bridge_rpc_error(&st));
	return (bridge_list(&resp->base, (void *const *) resp->payments,
	    resp->n_payments, payment_item, resp->page, page, pg.page_size));
}

static envelope
payments_create(breq *r)
{
	Billing__V1__CreatePaymentRequest req =
	    BILLING__V1__CREATE_PAYMENT_REQUEST__INIT;
	Billing__V1__PaymentResult *res = NULL;
	billing_status st = BILLING_STATUS_INIT;
	const char *txn;
	envelope err, e;
	int method, status, rv;
	bool given;

	if (!chk_id(r, "invoice_id", true, &given, &req.invoice_id, &err) ||
	    !chk_money(
	        r, "amount", true, 1, &given, &req.amount_minor, &err) ||
	    !chk_enum(r, "method", true, METHODS, &method, &err) ||
	    !chk_text(r, "transaction_id", false, 64, &txn, &err) ||
	    !chk_enum(r, "status", false, STATUSES, &status, &err))
		return (err);
	req.has_invoice_id = req.has_amount_minor = req.has_method = 1;
	req.method = (Billing__V1__PaymentMethod) (method + 1);
	req.transaction_id = (char *) txn;
	req.has_status = 1;
	req.status = status == 1
	    ? BILLING__V1__PAYMENT_STATUS__PAYMENT_STATUS_FAILED
	    : BILLING__V1__PAYMENT_STATUS__PAYMENT_STATUS_SUCCESS;
	rv = billing_payments_create(r->client, &req, &res, &r->opts, &st);
	e = pair_result(rv, res, &st);
	billing_status_fini(&st);
	return (e);
}

static envelope
payments_refund(breq *r)
{
	Billing__V1__RefundPaymentRequest req =
	    BILLING__V1__REFUND_PAYMENT_REQUEST__INIT;
	Billing__V1__PaymentResult *res = NULL;
	billing_status st = BILLING_STATUS_INIT;
	envelope err, e;
	bool given;
	int rv;

	if (!chk_id(r, "id", true, &given, &req.id, &err))
		return (err);
	req.has_id = 1;
	rv = billing_payments_refund(r->client, &req, &res, &r->opts, &st);
	e = pair_result(rv, res, &st);
	billing_status_fini(&st);
	return (e);
}

const baction payments_actions[] = {
	{ "list", false, payments_list },
	{ "create", true, payments_create },
	{ "refund", true, payments_refund },
	{ NULL, false, NULL },
};
