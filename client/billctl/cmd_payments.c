/*
 * cmd_payments.c: `billctl payments ...`, the Payments service.
 */
#include "billctl.h"
#include "output.h"

static const bctl_opt CREATE_OPTS[] = {
	{ "invoice", "ID", BCTL_INT64, "invoice_id", BCTL_REQUIRED, NULL,
	    "the invoice paid" },
	{ "amount", "A", BCTL_PRICE, "amount_minor", BCTL_REQUIRED, NULL,
	    "in the invoice's currency, e.g. 12.50 (or part)" },
	{ "method", "M", BCTL_ENUM, "method", BCTL_REQUIRED,
	    "card|paypal|bank_transfer", "how it was paid" },
	{ "transaction-id", "X", BCTL_STRING, "transaction_id", 0, NULL,
	    "the gateway's reference; unique per method" },
	{ "failed", NULL, BCTL_SET, "status", 0, "\"FAILED\"",
	    "record a failed attempt: changes nothing else" },
	{ .name = NULL },
};

static const bctl_opt LIST_OPTS[] = {
	{ "customer", "ID", BCTL_INT64, "customer_id", BCTL_REQUIRED, NULL,
	    "the customer whose payments to list" },
	{ "invoice", "ID", BCTL_INT64, "invoice_id", 0, NULL,
	    "only the payments of this invoice" },
	BCTL_PAGE_OPTS,
	{ .name = NULL },
};

static const bctl_opt REFUND_OPTS[] = {
	{ "ID", NULL, BCTL_INT64, "id", BCTL_POSITIONAL | BCTL_REQUIRED, NULL,
	    "the payment's id" },
	{ .name = NULL },
};

static int
show_payment_at(FILE *fp, const Billing__V1__Payment *p, int indent)
{
	char id[24], inv[24], cust[24], amount[MONEY_BUFSZ], method[32],
	    st[32], created[TIMEFMT_BUFSZ];
	const char *const rows[][2] = {
		{ "id", out_int(id, p->has_id, p->id) },
		{ "invoice", out_int(inv, p->has_invoice_id, p->invoice_id) },
		{ "customer",
		    out_int(cust, p->has_customer_id, p->customer_id) },
		{ "amount",
		    out_money(amount, p->has_amount_minor, p->amount_minor,
		        p->currency) },
		{ "method",
		    out_enum(method, sizeof(method), p->has_method,
		        &billing__v1__payment_method__descriptor, p->method) },
		{ "transaction_id", out_str(p->transaction_id) },
		{ "status",
		    out_enum(st, sizeof(st), p->has_status,
		        &billing__v1__payment_status__descriptor, p->status) },
		{ "created",
		    out_time(
		        created, p->has_created_at_us, p->created_at_us) },
	};

	return (out_pairs(fp, rows, sizeof(rows) / sizeof(rows[0]), indent));
}

/* The payment, then its invoice (without items) when it has one. */
static int
show_result(FILE *fp, const ProtobufCMessage *resp)
{
	const Billing__V1__PaymentResult *r =
	    (const Billing__V1__PaymentResult *) resp;
	static const Billing__V1__Payment none = BILLING__V1__PAYMENT__INIT;
	int rv;

	rv = show_payment_at(fp, r->payment != NULL ? r->payment : &none, 0);
	if (rv != BCTL_EXIT_OK || r->invoice == NULL)
		return (rv);
	fprintf(fp, "\ninvoice:\n");
	return (show_invoice_at(fp, r->invoice, 2, false));
}

static void
list_row(const ProtobufCMessage *resp, size_t i, const char **cells,
    char (*buf)[OUT_CELL_BYTES])
{
	const Billing__V1__Payment *p =
	    ((const Billing__V1__ListPaymentsResponse *) resp)->payments[i];

	cells[0] = out_int(buf[0], p->has_id, p->id);
	cells[1] = out_int(buf[1], p->has_invoice_id, p->invoice_id);
	cells[2] = out_int(buf[2], p->has_customer_id, p->customer_id);
	cells[3] = out_money(
	    buf[3], p->has_amount_minor, p->amount_minor, p->currency);
	cells[4] = out_enum(buf[4], OUT_CELL_BYTES, p->has_method,
	    &billing__v1__payment_method__descriptor, p->method);
	cells[5] = out_enum(buf[5], OUT_CELL_BYTES, p->has_status,
	    &billing__v1__payment_status__descriptor, p->status);
	cells[6] = out_str(p->transaction_id);
	cells[7] = out_time(buf[7], p->has_created_at_us, p->created_at_us);
}

static int
show_list(FILE *fp, const ProtobufCMessage *resp)
{
	static const char *const headers[] = { "ID", "INVOICE", "CUSTOMER",
		"AMOUNT", "METHOD", "STATUS", "TRANSACTION", "CREATED" };
	const Billing__V1__ListPaymentsResponse *r =
	    (const Billing__V1__ListPaymentsResponse *) resp;

	return (
	    out_list(fp, headers, 8, resp, r->n_payments, r->page, list_row));
}

static const bctl_cmd CMDS[] = {
	{ "create", "Records a payment of an invoice",
	    &billing_method_payments_create, CREATE_OPTS, NULL, show_result,
	    NULL, NULL, NULL },
	{ "list", "Lists a customer's payments, oldest first",
	    &billing_method_payments_list, LIST_OPTS, NULL, show_list, NULL,
	    NULL, NULL },
	{ "refund", "Refunds a successful payment (not a credit one)",
	    &billing_method_payments_refund, REFUND_OPTS, NULL, show_result,
	    NULL, NULL, NULL },
	{ .name = NULL },
};

const bctl_group payments_group = {
	.name = "payments",
	.summary = "Money received for invoices, and its refunds",
	.cmds = CMDS,
};
