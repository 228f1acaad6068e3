/*
 * cmd_subscriptions.c: `billctl subscriptions ...`, the Subscriptions
 * service, and how a subscription prints wherever a response holds one.
 */
#include <string.h>

#include "billctl.h"
#include "output.h"

/* clang-format off */
#define PLAN_OPTS                                                          \
	{ "plan", "ID", BCTL_INT64, "plan_id", 0, NULL, "the plan's id" }, \
	{ "plan-code", "CODE", BCTL_STRING, "plan_code", 0, NULL,          \
	    "the plan's code, instead of --plan" }
/* clang-format on */

static const bctl_opt CREATE_OPTS[] = {
	{ "customer", "ID", BCTL_INT64, "customer_id", BCTL_REQUIRED, NULL,
	    "the customer who subscribes" },
	PLAN_OPTS,
	{ "quantity", "N", BCTL_INT32, "quantity", 0, NULL,
	    "units, 1-1000 (default 1)" },
	{ "no-trial", NULL, BCTL_SET, "trial", 0, "false",
	    "start paid, without the plan's trial" },
	{ .name = NULL },
};

static const bctl_opt ID_OPTS[] = {
	{ "ID", NULL, BCTL_INT64, "id", BCTL_POSITIONAL | BCTL_REQUIRED, NULL,
	    "the subscription's id" },
	{ .name = NULL },
};

static const bctl_opt LIST_OPTS[] = {
	{ "customer", "ID", BCTL_INT64, "customer_id", 0, NULL,
	    "only this customer's subscriptions" },
	{ "status", "S", BCTL_ENUM, "status", 0,
	    "trial|active|past_due|cancelled|expired",
	    "only subscriptions in this status" },
	BCTL_PAGE_OPTS,
	{ .name = NULL },
};

static const bctl_opt CANCEL_OPTS[] = {
	{ "ID", NULL, BCTL_INT64, "id", BCTL_POSITIONAL | BCTL_REQUIRED, NULL,
	    "the subscription's id" },
	{ "immediately", NULL, BCTL_SET, "at_period_end", 0, "false",
	    "end it now, not at the period end (no refund)" },
	{ "now-cancel", NULL, BCTL_SET, "at_period_end", 0, "false",
	    "the same as --immediately" },
	{ .name = NULL },
};

static const bctl_opt CHANGE_PLAN_OPTS[] = {
	{ "ID", NULL, BCTL_INT64, "id", BCTL_POSITIONAL | BCTL_REQUIRED, NULL,
	    "the subscription's id" },
	PLAN_OPTS,
	{ "no-prorate", NULL, BCTL_SET, "prorate", 0, "false",
	    "no credit or charge for the rest of the period" },
	{ .name = NULL },
};

/* Exactly one of --plan and --plan-code. */
static int
check_plan(const json_t *req, char *err, size_t errlen)
{
	bool id = json_object_get(req, "plan_id") != NULL;
	bool code = json_object_get(req, "plan_code") != NULL;

	if (id == code) {
		snprintf(err, errlen, "give --plan or --plan-code%s",
		    id ? ", not both" : "");
		return (BCTL_EXIT_USAGE);
	}
	return (0);
}

int
show_subscription_at(FILE *fp, const Billing__V1__Subscription *s, int indent)
{
	char id[24], cust[24], plan[24], st[32], qty[24], anchor[24],
	    started[TIMEFMT_BUFSZ], trial[TIMEFMT_BUFSZ], ps[TIMEFMT_BUFSZ],
	    pe[TIMEFMT_BUFSZ], cancelled[TIMEFMT_BUFSZ],
	    created[TIMEFMT_BUFSZ];
	const char *const rows[][2] = {
		{ "id", out_int(id, s->has_id, s->id) },
		{ "customer",
		    out_int(cust, s->has_customer_id, s->customer_id) },
		{ "plan", out_int(plan, s->has_plan_id, s->plan_id) },
		{ "status",
		    out_enum(st, sizeof(st), s->has_status,
		        &billing__v1__subscription_status__descriptor,
		        s->status) },
		{ "quantity", out_int(qty, s->has_quantity, s->quantity) },
		{ "anchor_day",
		    out_int(anchor, s->has_billing_anchor_day,
		        s->billing_anchor_day) },
		{ "started",
		    out_time(
		        started, s->has_started_at_us, s->started_at_us) },
		/* A migrated row's zero date, as the legacy API shows it. */
		{ "trial_ends",
		    s->has_trial_ends_at_legacy_zero &&
		            s->trial_ends_at_legacy_zero
		        ? "0000-00-00 00:00:00"
		        : out_time(trial, s->has_trial_ends_at_us,
		              s->trial_ends_at_us) },
		{ "period_start",
		    out_time(ps, s->has_current_period_start_us,
		        s->current_period_start_us) },
		{ "period_end",
		    out_time(pe, s->has_current_period_end_us,
		        s->current_period_end_us) },
		{ "cancel_at_period_end",
		    out_bool(s->has_cancel_at_period_end,
		        s->cancel_at_period_end) },
		{ "cancelled",
		    out_time(cancelled, s->has_cancelled_at_us,
		        s->cancelled_at_us) },
		{ "created",
		    out_time(
		        created, s->has_created_at_us, s->created_at_us) },
	};

	return (out_pairs(fp, rows, sizeof(rows) / sizeof(rows[0]), indent));
}

static int
show_subscription(FILE *fp, const ProtobufCMessage *resp)
{
	return (show_subscription_at(
	    fp, (const Billing__V1__Subscription *) resp, 0));
}

/* The subscription, then the invoice the call issued, if any. */
static int
show_result(FILE *fp, const ProtobufCMessage *resp)
{
	const Billing__V1__SubscriptionResult *r =
	    (const Billing__V1__SubscriptionResult *) resp;
	static const Billing__V1__Subscription none =
	    BILLING__V1__SUBSCRIPTION__INIT;
	int rv;

	rv = show_subscription_at(
	    fp, r->subscription != NULL ? r->subscription : &none, 0);
	if (rv != BCTL_EXIT_OK || r->invoice == NULL)
		return (rv);
	fprintf(fp, "\ninvoice:\n");
	return (show_invoice_at(fp, r->invoice, 2, false));
}

static void
list_row(const ProtobufCMessage *resp, size_t i, const char **cells,
    char (*buf)[OUT_CELL_BYTES])
{
	const Billing__V1__Subscription *s =
	    ((const Billing__V1__ListSubscriptionsResponse *) resp)
	        ->subscriptions[i];

	cells[0] = out_int(buf[0], s->has_id, s->id);
	cells[1] = out_int(buf[1], s->has_customer_id, s->customer_id);
	cells[2] = out_int(buf[2], s->has_plan_id, s->plan_id);
	cells[3] = out_enum(buf[3], OUT_CELL_BYTES, s->has_status,
	    &billing__v1__subscription_status__descriptor, s->status);
	cells[4] = out_int(buf[4], s->has_quantity, s->quantity);
	cells[5] = out_time(buf[5], s->has_current_period_start_us,
	    s->current_period_start_us);
	cells[6] = out_time(
	    buf[6], s->has_current_period_end_us, s->current_period_end_us);
	cells[7] =
	    out_bool(s->has_cancel_at_period_end, s->cancel_at_period_end);
}

static int
show_list(FILE *fp, const ProtobufCMessage *resp)
{
	static const char *const headers[] = { "ID", "CUSTOMER", "PLAN",
		"STATUS", "QTY", "PERIOD_START", "PERIOD_END",
		"CANCEL_AT_END" };
	const Billing__V1__ListSubscriptionsResponse *r =
	    (const Billing__V1__ListSubscriptionsResponse *) resp;

	return (out_list(
	    fp, headers, 8, resp, r->n_subscriptions, r->page, list_row));
}

static const bctl_cmd CMDS[] = {
	{ "create", "Subscribes a customer to a plan, with its trial if any",
	    &billing_method_subscriptions_create, CREATE_OPTS, check_plan,
	    show_result, NULL, NULL, NULL },
	{ "get", "Shows a subscription", &billing_method_subscriptions_get,
	    ID_OPTS, NULL, show_subscription, NULL, NULL, NULL },
	{ "list", "Lists subscriptions, oldest first; filters combine",
	    &billing_method_subscriptions_list, LIST_OPTS, NULL, show_list,
	    NULL, NULL, NULL },
	{ "cancel",
	    "Cancels a subscription at its period end (--immediately: now)",
	    &billing_method_subscriptions_cancel, CANCEL_OPTS, NULL,
	    show_subscription, NULL, NULL, NULL },
	{ "reactivate", "Takes back a cancellation at the period end",
	    &billing_method_subscriptions_reactivate, ID_OPTS, NULL,
	    show_subscription, NULL, NULL, NULL },
	{ "change-plan", "Moves a subscription to another plan, prorated",
	    &billing_method_subscriptions_change_plan, CHANGE_PLAN_OPTS,
	    check_plan, show_result, NULL, NULL, NULL },
	{ .name = NULL },
};

const bctl_group subscriptions_group = {
	.name = "subscriptions",
	.summary = "Customers' recurring purchases of plans",
	.cmds = CMDS,
};
