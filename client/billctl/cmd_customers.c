/*
 * cmd_customers.c: `billctl customers ...`, the Customers service.
 */
#include <stdlib.h>
#include <string.h>

#include "billctl.h"
#include "output.h"

/* clang-format off */
#define CUSTOMER_FIELD_OPTS                                                \
	{ "name", "N", BCTL_STRING, "name", 0, NULL, "the name" },         \
	{ "company", "C", BCTL_STRING, "company", 0, NULL,                 \
	    "company name (\"\" clears it)" },                             \
	{ "country", "CC", BCTL_STRING, "country", 0, NULL,                \
	    "ISO 3166 country code, e.g. DE (\"\" clears it)" },           \
	{ "vat-number", "V", BCTL_STRING, "vat_number", 0, NULL,           \
	    "VAT identification number (\"\" clears it)" },                \
	{ "meta", "K=V", BCTL_META, "meta.entries", 0, NULL,               \
	    "a metadata pair; repeat for more" }
/* clang-format on */

static const bctl_opt CREATE_OPTS[] = {
	{ "email", "E", BCTL_STRING, "email", BCTL_REQUIRED, NULL,
	    "email address, unique among live customers" },
	CUSTOMER_FIELD_OPTS,
	{ .name = NULL },
};

static const bctl_opt GET_OPTS[] = {
	{ "ID", NULL, BCTL_INT64, "id", BCTL_POSITIONAL | BCTL_REQUIRED, NULL,
	    "the customer's id" },
	{ .name = NULL },
};

static const bctl_opt FIND_OPTS[] = {
	{ "EMAIL", NULL, BCTL_STRING, "email", BCTL_POSITIONAL | BCTL_REQUIRED,
	    NULL, "email address (case and surrounding blanks ignored)" },
	{ .name = NULL },
};

static const bctl_opt LIST_OPTS[] = {
	{ "status", "S", BCTL_ENUM, "status", 0, "active|suspended|deleted",
	    "only customers in this status (default: not deleted)" },
	BCTL_PAGE_OPTS,
	{ .name = NULL },
};

static const bctl_opt UPDATE_OPTS[] = {
	{ "ID", NULL, BCTL_INT64, "id", BCTL_POSITIONAL | BCTL_REQUIRED, NULL,
	    "the customer's id" },
	{ "email", "E", BCTL_STRING, "email", 0, NULL, "new email address" },
	CUSTOMER_FIELD_OPTS,
	{ "clear-meta", NULL, BCTL_EMPTY, "meta", 0, NULL,
	    "remove all the meta (with --meta: replace it)" },
	{ "status", "S", BCTL_ENUM, "status", 0, "active|suspended",
	    "suspend or reactivate" },
	{ .name = NULL },
};

static const bctl_opt DELETE_OPTS[] = {
	{ "ID", NULL, BCTL_INT64, "id", BCTL_POSITIONAL | BCTL_REQUIRED, NULL,
	    "the customer's id" },
	{ .name = NULL },
};

/* An update that changes nothing is most likely a forgotten option. */
static int
check_update(const json_t *req, char *err, size_t errlen)
{
	if (json_object_size(req) < 2) {
		snprintf(err, errlen,
		    "nothing to update: give at least one "
		    "of --email, --name, --company, "
		    "--country, --vat-number, --status, "
		    "--meta, --clear-meta");
		return (BCTL_EXIT_USAGE);
	}
	return (0);
}

/* "k=v, k2=v2" (malloc'd), or NULL for no meta. */
static char *
meta_text(const Billing__V1__Meta *meta)
{
	size_t n = 1;
	char *s, *p;

	if (meta == NULL || meta->n_entries == 0)
		return (NULL);
	for (size_t i = 0; i < meta->n_entries; i++)
		n += strlen(out_str(meta->entries[i]->key)) +
		    strlen(meta->entries[i]->value != NULL
		            ? meta->entries[i]->value
		            : "") +
		    3;
	if ((p = s = malloc(n)) == NULL)
		return (NULL);
	for (size_t i = 0; i < meta->n_entries; i++)
		p += sprintf(p, "%s%s=%s", i > 0 ? ", " : "",
		    out_str(meta->entries[i]->key),
		    meta->entries[i]->value != NULL ? meta->entries[i]->value
		                                    : "");
	return (s);
}

/* One customer, a field a line; extra rows (label, value) appended. */
static int
show_customer_rows(FILE *fp, const Billing__V1__Customer *c,
    const char *extra_label, const char *extra_value)
{
	char id[24], bal[MONEY_BUFSZ], st[32], created[TIMEFMT_BUFSZ],
	    updated[TIMEFMT_BUFSZ];
	char *meta = meta_text(c->meta);
	const char *rows[][2] = {
		{ "id", out_int(id, c->has_id, c->id) },
		{ "email", out_str(c->email) },
		{ "name", out_str(c->name) },
		{ "company", out_str(c->company) },
		{ "country", out_str(c->country) },
		{ "vat_number", out_str(c->vat_number) },
		{ "currency", out_str(c->currency) },
		{ "balance",
		    out_money(bal, c->has_balance_minor, c->balance_minor,
		        c->currency) },
		{ "status",
		    out_enum(st, sizeof(st), c->has_status,
		        &billing__v1__customer_status__descriptor,
		        c->status) },
		{ "meta", out_str(meta) },
		{ "created",
		    out_time(
		        created, c->has_created_at_us, c->created_at_us) },
		{ "updated",
		    out_time(
		        updated, c->has_updated_at_us, c->updated_at_us) },
		{ extra_label, extra_value },
	};
	size_t n = sizeof(rows) / sizeof(rows[0]) - (extra_label == NULL);
	out_table *t = out_table_new(2, NULL);
	int rv = BCTL_EXIT_RPC;

	if (t == NULL)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (out_table_add(t, rows[i]) != 0)
			goto out;
	if (out_table_print(t, fp) == 0)
		rv = BCTL_EXIT_OK;
out:
	out_table_free(t);
	free(meta);
	return (rv);
}

static int
show_customer(FILE *fp, const ProtobufCMessage *resp)
{
	return (show_customer_rows(
	    fp, (const Billing__V1__Customer *) resp, NULL, NULL));
}

static int
show_deleted(FILE *fp, const ProtobufCMessage *resp)
{
	const Billing__V1__DeleteCustomerResponse *r =
	    (const Billing__V1__DeleteCustomerResponse *) resp;
	static const Billing__V1__Customer none = BILLING__V1__CUSTOMER__INIT;
	char n[24];

	return (
	    show_customer_rows(fp, r->customer != NULL ? r->customer : &none,
	        "cancelled_subscriptions",
	        out_int(n, r->has_cancelled_subscriptions,
	            r->cancelled_subscriptions)));
}

static void
list_row(const ProtobufCMessage *resp, size_t i, const char **cells,
    char (*buf)[OUT_CELL_BYTES])
{
	const Billing__V1__Customer *c =
	    ((const Billing__V1__ListCustomersResponse *) resp)->customers[i];

	cells[0] = out_int(buf[0], c->has_id, c->id);
	cells[1] = out_str(c->email);
	cells[2] = out_str(c->name);
	cells[3] = out_str(c->country);
	cells[4] = out_enum(buf[4], OUT_CELL_BYTES, c->has_status,
	    &billing__v1__customer_status__descriptor, c->status);
	cells[5] = out_money(
	    buf[5], c->has_balance_minor, c->balance_minor, c->currency);
	cells[6] = out_time(buf[6], c->has_created_at_us, c->created_at_us);
}

static int
show_list(FILE *fp, const ProtobufCMessage *resp)
{
	static const char *const headers[] = { "ID", "EMAIL", "NAME",
		"COUNTRY", "STATUS", "BALANCE", "CREATED" };
	const Billing__V1__ListCustomersResponse *r =
	    (const Billing__V1__ListCustomersResponse *) resp;

	return (
	    out_list(fp, headers, 7, resp, r->n_customers, r->page, list_row));
}

static const bctl_cmd CMDS[] = {
	{ "create", "Creates a customer", &billing_method_customers_create,
	    CREATE_OPTS, NULL, show_customer, NULL, NULL, NULL },
	{ "get", "Shows a customer", &billing_method_customers_get, GET_OPTS,
	    NULL, show_customer, NULL, NULL, NULL },
	{ "find", "Finds a live customer by email",
	    &billing_method_customers_find, FIND_OPTS, NULL, show_customer,
	    NULL, NULL, NULL },
	{ "list", "Lists customers, oldest first",
	    &billing_method_customers_list, LIST_OPTS, NULL, show_list, NULL,
	    NULL, NULL },
	{ "update", "Changes the fields given; --meta replaces all the meta",
	    &billing_method_customers_update, UPDATE_OPTS, check_update,
	    show_customer, NULL, NULL, NULL },
	{ "delete", "Marks a customer deleted and cancels its subscriptions",
	    &billing_method_customers_delete, DELETE_OPTS, NULL, show_deleted,
	    NULL, NULL, NULL },
	{ .name = NULL },
};

const bctl_group customers_group = {
	.name = "customers",
	.summary = "Accounts that subscribe, are invoiced and pay",
	.cmds = CMDS,
};
