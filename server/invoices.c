/*
 * invoices.c: the Invoices service.
 *
 * Invoices are listed newest first, so their page token carries the last
 * id returned and the next page continues below it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../rules/money.h"
#include "events.h"
#include "handlers.h"
#include "invoices.h"
#include "page.h"

static const db_stmt GET = { "invoices_get",
	"SELECT " INVOICE_COLS " FROM invoices WHERE id = $1" };

static const db_stmt GET_BY_NUMBER = { "invoices_get_by_number",
	"SELECT " INVOICE_COLS " FROM invoices WHERE number = $1" };

static const db_stmt ITEMS = { "invoices_items",
	"SELECT id, description, quantity, unit_price_minor, amount_minor"
	" FROM invoice_items WHERE invoice_id = $1 ORDER BY id" };

#define LIST_FILTER                                 \
	" (customer_id = $1 OR $1 IS NULL)"         \
	" AND (subscription_id = $2 OR $2 IS NULL)" \
	" AND (status = $3 OR $3 IS NULL)"

/* Newest first: $4 cursor (0: none) continues below that id. */
static const db_stmt LIST = { "invoices_list",
	"SELECT t.total, i.* FROM"
	" (SELECT count(*) AS total FROM invoices WHERE" LIST_FILTER ") t"
	" LEFT JOIN LATERAL"
	" (SELECT " INVOICE_COLS " FROM invoices WHERE" LIST_FILTER
	"   AND ($4 = 0 OR id < $4) ORDER BY id DESC LIMIT $5 OFFSET $6) i"
	" ON true" };

static const db_stmt LOCK = { "invoices_lock",
	"SELECT " INVOICE_COLS " FROM invoices WHERE id = $1 FOR UPDATE" };

static const db_stmt SET_VOID = { "invoices_set_void",
	"UPDATE invoices SET status = 'void' WHERE id = $1"
	" RETURNING " INVOICE_COLS };

/* Credit payments on the invoice go back: refunded, their sum returned. */
static const db_stmt RETURN_CREDITS = { "invoices_return_credits",
	"UPDATE payments SET status = 'refunded' WHERE invoice_id = $1"
	" AND method = 'credit' AND status = 'success'"
	" RETURNING id, amount_minor" };

static const db_stmt ADD_BALANCE = { "invoices_add_balance",
	"UPDATE customers SET balance_minor = balance_minor + $2,"
	" updated_at = billing_ts($3) WHERE id = $1"
	" RETURNING balance_minor" };

static const db_stmt LOCK_CUSTOMER = { "invoices_lock_customer",
	"SELECT balance_minor FROM customers WHERE id = $1 FOR UPDATE" };

static const char *const STATUS_NAMES[] = {
	[BILLING__V1__INVOICE_STATUS__INVOICE_STATUS_UNPAID] = "unpaid",
	[BILLING__V1__INVOICE_STATUS__INVOICE_STATUS_PAID] = "paid",
	[BILLING__V1__INVOICE_STATUS__INVOICE_STATUS_VOID] = "void",
	[BILLING__V1__INVOICE_STATUS__INVOICE_STATUS_REFUNDED] = "refunded",
};
#define N_STATUS (sizeof(STATUS_NAMES) / sizeof(STATUS_NAMES[0]))

Billing__V1__InvoiceStatus
invoices_status_parse(const char *s)
{
	for (size_t i = 1; s != NULL && i < N_STATUS; i++)
		if (strcmp(s, STATUS_NAMES[i]) == 0)
			return ((Billing__V1__InvoiceStatus) i);
	return (BILLING__V1__INVOICE_STATUS__INVOICE_STATUS_UNSPECIFIED);
}

const char *
invoices_status_name(Billing__V1__InvoiceStatus s)
{
	return (s > 0 && (size_t) s < N_STATUS ? STATUS_NAMES[s] : NULL);
}

Billing__V1__Invoice *
invoices_from_row(srv_call *call, const PGresult *res, int row, int c)
{
	Billing__V1__Invoice *m =
	    call_new(call, billing__v1__invoice, Billing__V1__Invoice);

	if (m == NULL)
		return (NULL);
	m->has_id = 1;
	m->id = call_int64(res, row, c + 0);
	m->number = (char *) call_text(res, row, c + 1);
	m->has_customer_id = 1;
	m->customer_id = call_int64(res, row, c + 2);
	if ((m->has_subscription_id = !call_isnull(res, row, c + 3)))
		m->subscription_id = call_int64(res, row, c + 3);
	m->currency = (char *) call_text(res, row, c + 4);
	m->has_subtotal_minor = 1;
	m->subtotal_minor = call_int64(res, row, c + 5);
	m->has_tax_rate_bp = 1;
	m->tax_rate_bp = (int32_t) call_int64(res, row, c + 6);
	m->has_tax_minor = 1;
	m->tax_minor = call_int64(res, row, c + 7);
	m->has_total_minor = 1;
	m->total_minor = call_int64(res, row, c + 8);
	m->has_status = 1;
	m->status = invoices_status_parse(call_text(res, row, c + 9));
	m->period_start = (char *) call_text(res, row, c + 10);
	m->period_end = (char *) call_text(res, row, c + 11);
	m->due_date = (char *) call_text(res, row, c + 12);
	if ((m->has_paid_at_us = !call_isnull(res, row, c + 13)))
		m->paid_at_us = call_int64(res, row, c + 13);
	if ((m->has_created_at_us = !call_isnull(res, row, c + 14)))
		m->created_at_us = call_int64(res, row, c + 14);
	return (m);
}

static int
not_found(srv_call *call, const char *what)
{
	return (call_error(call, BILLING_NOT_FOUND, "INVOICE_NOT_FOUND",
	    "invoice %s not found", what));
}

/* The invoice of res row 0 with its items. */
static int
with_items(srv_call *call, const PGresult *res, Billing__V1__Invoice **out)
{
	Billing__V1__Invoice *m;
	char id[21];
	const char *p[1];
	PGresult *items;
	int rv, n;

	if ((m = invoices_from_row(call, res, 0, 0)) == NULL)
		return (call_oom(call));
	p[0] = call_fmt_int64(id, m->id);
	if ((rv = call_query(call, &ITEMS, 1, p, &items)) != 0)
		return (rv);
	n = PQntuples(items);
	if ((m->items = call_alloc(
	         call, sizeof(*m->items) * (size_t) (n + 1))) == NULL)
		return (call_oom(call));
	for (int i = 0; i < n; i++) {
		Billing__V1__InvoiceItem *it = call_new(
		    call, billing__v1__invoice_item, Billing__V1__InvoiceItem);

		if (it == NULL)
			return (call_oom(call));
		it->has_id = it->has_quantity = 1;
		it->has_unit_price_minor = it->has_amount_minor = 1;
		it->id = call_int64(items, i, 0);
		it->description = (char *) call_text(items, i, 1);
		it->quantity = (int32_t) call_int64(items, i, 2);
		it->unit_price_minor = call_int64(items, i, 3);
		it->amount_minor = call_int64(items, i, 4);
		m->items[i] = it;
	}
	m->n_items = (size_t) n;
	*out = m;
	return (0);
}

static int
invoices_get(srv_call *call, const Billing__V1__GetInvoiceRequest *req,
    Billing__V1__Invoice **out)
{
	char id[21];
	const char *p[1];
	PGresult *res;
	int rv;

	if (!req->has_id || req->id < 1)
		return (call_invalid(call, "id", "must be 1 or more"));
	p[0] = call_fmt_int64(id, req->id);
	if ((rv = call_query(call, &GET, 1, p, &res)) != 0)
		return (rv);
	if (PQntuples(res) == 0)
		return (not_found(call, id));
	return (with_items(call, res, out));
}

static int
invoices_get_by_number(srv_call *call,
    const Billing__V1__GetInvoiceByNumberRequest *req,
    Billing__V1__Invoice **out)
{
	const char *p[1] = { req->number };
	PGresult *res;
	int rv;

	if (req->number == NULL || req->number[0] == '\0')
		return (call_invalid(call, "number", "required"));
	if ((rv = call_query(call, &GET_BY_NUMBER, 1, p, &res)) != 0)
		return (rv);
	if (PQntuples(res) == 0)
		return (not_found(call, req->number));
	return (with_items(call, res, out));
}

static int
invoices_list(srv_call *call, const Billing__V1__ListInvoicesRequest *req,
    Billing__V1__ListInvoicesResponse **out)
{
	Billing__V1__ListInvoicesResponse *r;
	const char *status = NULL;
	char cid[21], sid[21];
	page_req pg;
	PGresult *res;
	int rv, n;

	if (req->has_status &&
	    (status = invoices_status_name(req->status)) == NULL)
		return (call_invalid(call, "status", "unknown status"));
	if ((rv = page_parse(call, req->page, &pg)) != 0)
		return (rv);
	const char *p[6] = { req->has_customer_id
		    ? call_fmt_int64(cid, req->customer_id)
		    : NULL,
		req->has_subscription_id
		    ? call_fmt_int64(sid, req->subscription_id)
		    : NULL,
		status, pg.cursor_text, pg.fetch_text, pg.offset_text };
	if ((rv = call_query(call, &LIST, 6, p, &res)) != 0)
		return (rv);
	r = call_new(call, billing__v1__list_invoices_response,
	    Billing__V1__ListInvoicesResponse);
	if (r == NULL ||
	    (n = page_items(call, &pg, res, sizeof(*r->invoices),
	         (void **) &r->invoices)) < 0)
		return (call_oom(call));
	for (int i = 0; i < n; i++)
		if ((r->invoices[i] = invoices_from_row(call, res, i, 1)) ==
		    NULL)
			return (call_oom(call));
	r->n_invoices = (size_t) n;
	r->page =
	    page_info(call, &pg, res, n > 0 ? r->invoices[n - 1]->id : 0);
	*out = r;
	return (0);
}

/*
 * Void: only an unpaid invoice. Its successful credit payments are
 * refunded and their sum returns to the balance; other payments stay,
 * and a past_due subscription stays past_due (API.md section 6).
 */
static int
invoices_void(srv_call *call, const Billing__V1__VoidInvoiceRequest *req,
    Billing__V1__Invoice **out)
{
	char id[21], cid[21], sum[21], now[21];
	const char *p[3];
	PGresult *res, *credits;
	Billing__V1__Invoice *old;
	events_batch ev;
	int64_t back = 0, bal;
	int rv;

	if (!req->has_id || req->id < 1)
		return (call_invalid(call, "id", "must be 1 or more"));
	p[0] = call_fmt_int64(id, req->id);
	if ((rv = call_query(call, &LOCK, 1, p, &res)) != 0)
		return (rv);
	if (PQntuples(res) == 0)
		return (not_found(call, id));
	if ((old = invoices_from_row(call, res, 0, 0)) == NULL)
		return (call_oom(call));
	if (old->status != BILLING__V1__INVOICE_STATUS__INVOICE_STATUS_UNPAID)
		return (call_error(call, BILLING_FAILED_PRECONDITION,
		    "INVOICE_NOT_VOIDABLE",
		    "Only unpaid invoices can be voided"));

	/* The customer before the payments: the lock order of the run. */
	p[0] = call_fmt_int64(cid, old->customer_id);
	if ((rv = call_query(call, &LOCK_CUSTOMER, 1, p, &res)) != 0)
		return (rv);
	bal = PQntuples(res) > 0 ? call_int64(res, 0, 0) : 0;
	p[0] = id;
	if ((rv = call_query(call, &RETURN_CREDITS, 1, p, &credits)) != 0)
		return (rv);
	for (int i = 0; i < PQntuples(credits); i++)
		back += call_int64(credits, i, 1);
	if (back != 0) {
		if (money_add(bal, back, &bal) != MONEY_OK)
			return (call_error(call, BILLING_OUT_OF_RANGE,
			    "MONEY_OUT_OF_RANGE",
			    "the balance of customer %s would leave the money "
			    "range",
			    cid));
		p[0] = cid;
		p[1] = call_fmt_int64(sum, back);
		p[2] = call_fmt_int64(now, call->now_us);
		if ((rv = call_query(call, &ADD_BALANCE, 3, p, &res)) != 0)
			return (rv);
	}
	p[0] = id;
	if ((rv = call_query(call, &SET_VOID, 1, p, &res)) != 0)
		return (rv);
	if ((*out = invoices_from_row(call, res, 0, 0)) == NULL)
		return (call_oom(call));
	/* One statement for the events, however many credits there were. */
	events_batch_init(&ev, call);
	for (int i = 0; i < PQntuples(credits); i++)
		events_batch_add(&ev, "payment.refunded", "payment",
		    call_int64(credits, i, 0), old->customer_id, "success",
		    "refunded", "{\"cause\": \"invoice.voided\"}");
	events_batch_add(&ev, "invoice.voided", "invoice", req->id,
	    old->customer_id, "unpaid", "void", NULL);
	return (events_batch_flush(call, &ev));
}

const billing_invoices_impl invoices_impl = {
	.get = invoices_get,
	.get_by_number = invoices_get_by_number,
	.list = invoices_list,
	.void_invoice = invoices_void,
};
