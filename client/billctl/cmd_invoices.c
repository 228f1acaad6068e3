/*
 * cmd_invoices.c: `billctl invoices ...`, the Invoices service, and how
 * an invoice prints wherever a response holds one.
 */
#include <stdlib.h>
#include <string.h>

#include "billctl.h"
#include "output.h"

static const bctl_opt LIST_OPTS[] = {
	{ "customer", "ID", BCTL_INT64, "customer_id", 0, NULL,
	    "only this customer's invoices" },
	{ "subscription", "ID", BCTL_INT64, "subscription_id", 0, NULL,
	    "only this subscription's invoices" },
	{ "status", "S", BCTL_ENUM, "status", 0, "unpaid|paid|void|refunded",
	    "only invoices in this status" },
	BCTL_PAGE_OPTS,
	{ .name = NULL },
};

static const bctl_opt SHOW_OPTS[] = {
	{ "ID", NULL, BCTL_INT64, "id", BCTL_POSITIONAL, NULL,
	    "the invoice's id" },
	{ "number", "NUMBER", BCTL_STRING, "number", 0, NULL,
	    "the number (INV-YYYY-NNNNNN) instead of ID" },
	{ .name = NULL },
};

static const bctl_opt VOID_OPTS[] = {
	{ "ID", NULL, BCTL_INT64, "id", BCTL_POSITIONAL | BCTL_REQUIRED, NULL,
	    "the invoice's id" },
	{ .name = NULL },
};

static int
check_show(const json_t *req, char *err, size_t errlen)
{
	bool id = json_object_get(req, "id") != NULL;
	bool number = json_object_get(req, "number") != NULL;

	if (id == number) {
		snprintf(err, errlen, "give an ID or --number%s",
		    id ? ", not both" : "");
		return (BCTL_EXIT_USAGE);
	}
	return (0);
}

/* A tax rate in hundredths of a percent: 1900 is "19.00%". */
static const char *
rate_text(char buf[24], bool has, int32_t bp)
{
	int64_t v = bp, mag = v < 0 ? -v : v;

	if (!has)
		return ("-");
	snprintf(buf, 24, "%s%lld.%02lld%%", v < 0 ? "-" : "",
	    (long long) (mag / 100), (long long) (mag % 100));
	return (buf);
}

/* Item i's cells; their amounts are in the invoice's currency. */
static void
item_row(const Billing__V1__Invoice *inv, size_t i, const char **cells,
    char (*buf)[OUT_CELL_BYTES])
{
	const Billing__V1__InvoiceItem *it = inv->items[i];

	cells[0] = out_int(buf[0], it->has_id, it->id);
	cells[1] = out_str(it->description);
	cells[2] = out_int(buf[2], it->has_quantity, it->quantity);
	cells[3] = out_money(buf[3], it->has_unit_price_minor,
	    it->unit_price_minor, inv->currency);
	cells[4] = out_money(
	    buf[4], it->has_amount_minor, it->amount_minor, inv->currency);
}

/* The items, a table under "items:", or "items: none". */
static int
show_items(FILE *fp, const Billing__V1__Invoice *inv, int indent)
{
	static const char *const headers[] = { "ID", "DESCRIPTION", "QTY",
		"UNIT_PRICE", "AMOUNT" };
	char buf[5][OUT_CELL_BYTES];
	const char *cells[5];
	out_table *t;
	int rv = BCTL_EXIT_RPC;

	if (inv->n_items == 0) {
		fprintf(fp, "\n%*sitems: none\n", indent, "");
		return (BCTL_EXIT_OK);
	}
	fprintf(fp, "\n%*sitems:\n", indent, "");
	if ((t = out_table_new(5, headers)) == NULL)
		return (rv);
	for (size_t i = 0; i < inv->n_items; i++) {
		item_row(inv, i, cells, buf);
		if (out_table_add(t, cells) != 0)
			goto out;
	}
	if (out_table_print_indent(t, fp, indent + 2) == 0)
		rv = BCTL_EXIT_OK;
out:
	out_table_free(t);
	return (rv);
}

int
show_invoice_at(
    FILE *fp, const Billing__V1__Invoice *inv, int indent, bool items)
{
	char id[24], cust[24], sub[24], st[32], subtotal[MONEY_BUFSZ],
	    rate[24], tax[MONEY_BUFSZ], total[MONEY_BUFSZ],
	    paid[TIMEFMT_BUFSZ], created[TIMEFMT_BUFSZ];
	const char *const rows[][2] = {
		{ "id", out_int(id, inv->has_id, inv->id) },
		{ "number", out_str(inv->number) },
		{ "customer",
		    out_int(cust, inv->has_customer_id, inv->customer_id) },
		{ "subscription",
		    out_int(
		        sub, inv->has_subscription_id, inv->subscription_id) },
		{ "status",
		    out_enum(st, sizeof(st), inv->has_status,
		        &billing__v1__invoice_status__descriptor,
		        inv->status) },
		{ "period_start", out_str(inv->period_start) },
		{ "period_end", out_str(inv->period_end) },
		{ "due_date", out_str(inv->due_date) },
		{ "subtotal",
		    out_money(subtotal, inv->has_subtotal_minor,
		        inv->subtotal_minor, inv->currency) },
		{ "tax_rate",
		    rate_text(rate, inv->has_tax_rate_bp, inv->tax_rate_bp) },
		{ "tax",
		    out_money(tax, inv->has_tax_minor, inv->tax_minor,
		        inv->currency) },
		{ "total",
		    out_money(total, inv->has_total_minor, inv->total_minor,
		        inv->currency) },
		{ "paid",
		    out_time(paid, inv->has_paid_at_us, inv->paid_at_us) },
		{ "created",
		    out_time(
		        created, inv->has_created_at_us, inv->created_at_us) },
	};
	int rv;

	rv = out_pairs(fp, rows, sizeof(rows) / sizeof(rows[0]), indent);
	if (rv == BCTL_EXIT_OK && (items || inv->n_items > 0))
		rv = show_items(fp, inv, indent);
	return (rv);
}

static int
show_invoice(FILE *fp, const ProtobufCMessage *resp)
{
	return (show_invoice_at(
	    fp, (const Billing__V1__Invoice *) resp, 0, false));
}

/* Get and GetByNumber fill the items: always shown. */
static int
show_invoice_items(FILE *fp, const ProtobufCMessage *resp)
{
	return (
	    show_invoice_at(fp, (const Billing__V1__Invoice *) resp, 0, true));
}

static void
list_row(const ProtobufCMessage *resp, size_t i, const char **cells,
    char (*buf)[OUT_CELL_BYTES])
{
	const Billing__V1__Invoice *inv =
	    ((const Billing__V1__ListInvoicesResponse *) resp)->invoices[i];

	cells[0] = out_int(buf[0], inv->has_id, inv->id);
	cells[1] = out_str(inv->number);
	cells[2] = out_int(buf[2], inv->has_customer_id, inv->customer_id);
	cells[3] =
	    out_int(buf[3], inv->has_subscription_id, inv->subscription_id);
	cells[4] = out_enum(buf[4], OUT_CELL_BYTES, inv->has_status,
	    &billing__v1__invoice_status__descriptor, inv->status);
	cells[5] = out_money(
	    buf[5], inv->has_total_minor, inv->total_minor, inv->currency);
	cells[6] = out_str(inv->period_start);
	cells[7] = out_str(inv->period_end);
	cells[8] = out_str(inv->due_date);
	cells[9] = out_time(buf[9], inv->has_paid_at_us, inv->paid_at_us);
}

static int
show_list(FILE *fp, const ProtobufCMessage *resp)
{
	static const char *const headers[] = { "ID", "NUMBER", "CUSTOMER",
		"SUBSCRIPTION", "STATUS", "TOTAL", "PERIOD_START",
		"PERIOD_END", "DUE_DATE", "PAID" };
	const Billing__V1__ListInvoicesResponse *r =
	    (const Billing__V1__ListInvoicesResponse *) resp;

	return (
	    out_list(fp, headers, 10, resp, r->n_invoices, r->page, list_row));
}

static const bctl_cmd CMDS[] = {
	{ "list", "Lists invoices, newest first; filters combine",
	    &billing_method_invoices_list, LIST_OPTS, NULL, show_list, NULL,
	    NULL, NULL },
	{ "show", "Shows an invoice and its items, by id or by number",
	    &billing_method_invoices_get, SHOW_OPTS, check_show,
	    show_invoice_items, NULL, &billing_method_invoices_get_by_number,
	    "number" },
	{ "void", "Voids an unpaid invoice; its credit returns to the balance",
	    &billing_method_invoices_void_invoice, VOID_OPTS, NULL,
	    show_invoice, NULL, NULL, NULL },
	{ .name = NULL },
};

const bctl_group invoices_group = {
	.name = "invoices",
	.summary = "What customers owe: numbered, itemized, taxed",
	.cmds = CMDS,
};
