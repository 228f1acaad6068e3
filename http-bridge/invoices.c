/*
 * invoices.c: invoices.php (docs/legacy-api.md sections 3 and 6).
 */
#include "check.h"
#include "render.h"

static const char *const STATUSES[] = { "unpaid", "paid", "void", "refunded",
	NULL };

static envelope
invoice_result(int rv, Billing__V1__Invoice *in, bool with_items,
    const billing_status *st)
{
	envelope e = rv == 0 ? envelope_ok(render_invoice(in, with_items))
	                     : envelope_rpc_error(st);

	if (in != NULL)
		billing__v1__invoice__free_unpacked(in, NULL);
	return (e);
}

/* Lists show invoices without their items. */
static json_t *
invoice_item(const void *m)
{
	return (render_invoice(m, false));
}

static envelope
invoices_list(breq *r)
{
	Billing__V1__ListInvoicesRequest req =
	    BILLING__V1__LIST_INVOICES_REQUEST__INIT;
	Billing__V1__PageRequest pg = BILLING__V1__PAGE_REQUEST__INIT;
	Billing__V1__ListInvoicesResponse *resp = NULL;
	billing_status st = BILLING_STATUS_INIT;
	int64_t page;
	envelope err;
	int status;
	bool has_user, has_sub;

	if (!chk_id(r, "user_id", false, &has_user, &req.customer_id, &err) ||
	    !chk_id(r, "subscription_id", false, &has_sub,
	        &req.subscription_id, &err) ||
	    !chk_enum(r, "status", false, STATUSES, &status, &err) ||
	    !chk_page(r, &pg, &page, &err))
		return (err);
	req.has_customer_id = has_user;
	req.has_subscription_id = has_sub;
	if (status >= 0) {
		req.has_status = 1;
		req.status = (Billing__V1__InvoiceStatus) (status + 1);
	}
	req.page = &pg;
	if (billing_invoices_list(r->client, &req, &resp, &r->opts, &st) != 0)
		return (bridge_rpc_error(&st));
	return (bridge_list(&resp->base, (void *const *) resp->invoices,
	    resp->n_invoices, invoice_item, resp->page, page, pg.page_size));
}

/* id or number: the id wins, and is validated even then. */
static envelope
invoices_get(breq *r)
{
	Billing__V1__Invoice *in = NULL;
	billing_status st = BILLING_STATUS_INIT;
	const char *number;
	envelope err, e;
	bool given, nomatch;
	size_t len;
	int64_t id;
	int rv;

	if (!chk_id(r, "id", false, &given, &id, &err))
		return (err);
	if (given) {
		Billing__V1__GetInvoiceRequest req =
		    BILLING__V1__GET_INVOICE_REQUEST__INIT;

		req.has_id = 1;
		req.id = id;
		rv = billing_invoices_get(r->client, &req, &in, &r->opts, &st);
	} else {
		Billing__V1__GetInvoiceByNumberRequest req =
		    BILLING__V1__GET_INVOICE_BY_NUMBER_REQUEST__INIT;

		if (!chk_key(
		        r, "number", false, &number, &len, &nomatch, &err))
			return (err);
		if (number == NULL)
			return (envelope_missing("id"));
		/* A NUL byte or invalid UTF-8 names no invoice. */
		if (nomatch)
			return (envelope_reason("INVOICE_NOT_FOUND"));
		req.number = (char *) number;
		rv = billing_invoices_get_by_number(
		    r->client, &req, &in, &r->opts, &st);
	}
	e = invoice_result(rv, in, true, &st);
	billing_status_fini(&st);
	return (e);
}

static envelope
invoices_void(breq *r)
{
	Billing__V1__VoidInvoiceRequest req =
	    BILLING__V1__VOID_INVOICE_REQUEST__INIT;
	Billing__V1__Invoice *in = NULL;
	billing_status st = BILLING_STATUS_INIT;
	envelope err, e;
	bool given;
	int rv;

	if (!chk_id(r, "id", true, &given, &req.id, &err))
		return (err);
	req.has_id = 1;
	rv =
	    billing_invoices_void_invoice(r->client, &req, &in, &r->opts, &st);
	e = invoice_result(rv, in, false, &st);
	billing_status_fini(&st);
	return (e);
}

const baction invoices_actions[] = {
	{ "list", false, invoices_list },
	{ "get", false, invoices_get },
	{ "void", true, invoices_void },
	{ NULL, false, NULL },
};
