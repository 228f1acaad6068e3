/*
 * cmd_plans.c: `billctl plans ...`, the Plans service.
 */
#include <string.h>

#include "billctl.h"
#include "output.h"

static const bctl_opt CREATE_OPTS[] = {
	{ "code", "C", BCTL_STRING, "code", BCTL_REQUIRED, NULL,
	    "unique code, 1-64 of a-z, 0-9 and '-'" },
	{ "name", "N", BCTL_STRING, "name", BCTL_REQUIRED, NULL, "the name" },
	{ "price", "P", BCTL_PRICE, "price_minor", BCTL_REQUIRED, NULL,
	    "price per unit and cycle, net of tax, e.g. 9.99" },
	{ "currency", "CUR", BCTL_STRING, "currency", 0, NULL,
	    "EUR (default), USD or GBP" },
	{ "cycle", "CYCLE", BCTL_ENUM, "billing_cycle", 0,
	    "monthly|quarterly|yearly", "billing cycle (default monthly)" },
	{ "trial-days", "N", BCTL_INT32, "trial_days", 0, NULL,
	    "days of trial, 0-365 (default 0)" },
	{ .name = NULL },
};

static const bctl_opt GET_OPTS[] = {
	{ "ID", NULL, BCTL_INT64, "id", BCTL_POSITIONAL, NULL,
	    "the plan's id" },
	{ "code", "C", BCTL_STRING, "code", 0, NULL,
	    "the plan's code, instead of ID" },
	{ .name = NULL },
};

static const bctl_opt LIST_OPTS[] = {
	{ "all", NULL, BCTL_BOOL, "include_archived", 0, NULL,
	    "archived plans too" },
	BCTL_PAGE_OPTS,
	{ .name = NULL },
};

static const bctl_opt ARCHIVE_OPTS[] = {
	{ "ID", NULL, BCTL_INT64, "id", BCTL_POSITIONAL | BCTL_REQUIRED, NULL,
	    "the plan's id" },
	{ .name = NULL },
};

static int
check_get(const json_t *req, char *err, size_t errlen)
{
	bool id = json_object_get(req, "id") != NULL;
	bool code = json_object_get(req, "code") != NULL;

	if (id == code) {
		snprintf(err, errlen, "give an ID or --code%s",
		    id ? ", not both" : "");
		return (BCTL_EXIT_USAGE);
	}
	return (0);
}

static int
show_plan(FILE *fp, const ProtobufCMessage *resp)
{
	const Billing__V1__Plan *p = (const Billing__V1__Plan *) resp;
	char id[24], price[MONEY_BUFSZ], cycle[32], trial[24],
	    created[TIMEFMT_BUFSZ];
	const char *rows[][2] = {
		{ "id", out_int(id, p->has_id, p->id) },
		{ "code", out_str(p->code) },
		{ "name", out_str(p->name) },
		{ "price",
		    out_money(price, p->has_price_minor, p->price_minor,
		        p->currency) },
		{ "cycle",
		    out_enum(cycle, sizeof(cycle), p->has_billing_cycle,
		        &billing__v1__billing_cycle__descriptor,
		        p->billing_cycle) },
		{ "trial_days",
		    out_int(trial, p->has_trial_days, p->trial_days) },
		{ "active", out_bool(p->has_active, p->active) },
		{ "created",
		    out_time(
		        created, p->has_created_at_us, p->created_at_us) },
	};
	out_table *t = out_table_new(2, NULL);
	int rv = BCTL_EXIT_RPC;

	if (t == NULL)
		return (rv);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (out_table_add(t, rows[i]) != 0)
			goto out;
	if (out_table_print(t, fp) == 0)
		rv = BCTL_EXIT_OK;
out:
	out_table_free(t);
	return (rv);
}

static void
list_row(const ProtobufCMessage *resp, size_t i, const char **cells,
    char (*buf)[OUT_CELL_BYTES])
{
	const Billing__V1__Plan *p =
	    ((const Billing__V1__ListPlansResponse *) resp)->plans[i];

	cells[0] = out_int(buf[0], p->has_id, p->id);
	cells[1] = out_str(p->code);
	cells[2] = out_str(p->name);
	cells[3] =
	    out_money(buf[3], p->has_price_minor, p->price_minor, p->currency);
	cells[4] = out_enum(buf[4], OUT_CELL_BYTES, p->has_billing_cycle,
	    &billing__v1__billing_cycle__descriptor, p->billing_cycle);
	cells[5] = out_int(buf[5], p->has_trial_days, p->trial_days);
	cells[6] = out_bool(p->has_active, p->active);
	cells[7] = out_time(buf[7], p->has_created_at_us, p->created_at_us);
}

static int
show_list(FILE *fp, const ProtobufCMessage *resp)
{
	static const char *const headers[] = { "ID", "CODE", "NAME", "PRICE",
		"CYCLE", "TRIAL", "ACTIVE", "CREATED" };
	const Billing__V1__ListPlansResponse *r =
	    (const Billing__V1__ListPlansResponse *) resp;

	return (out_list(fp, headers, 8, resp, r->n_plans, r->page, list_row));
}

static const bctl_cmd CMDS[] = {
	{ "create", "Creates a plan", &billing_method_plans_create,
	    CREATE_OPTS, NULL, show_plan, NULL, NULL, NULL },
	{ "get", "Shows a plan, by id or by code", &billing_method_plans_get,
	    GET_OPTS, check_get, show_plan, NULL, NULL, NULL },
	{ "list", "Lists the active plans (--all: archived too)",
	    &billing_method_plans_list, LIST_OPTS, NULL, show_list, NULL, NULL,
	    NULL },
	{ "archive", "Archives a plan: no new subscriptions to it",
	    &billing_method_plans_archive, ARCHIVE_OPTS, NULL, show_plan, NULL,
	    NULL, NULL },
	{ .name = NULL },
};

const bctl_group plans_group = {
	.name = "plans",
	.summary = "What subscriptions buy, at which price and cycle",
	.cmds = CMDS,
};
