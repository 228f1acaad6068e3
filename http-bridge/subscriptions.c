/*
 * subscriptions.c: subscriptions.php (docs/legacy-api.md sections 3 and
 * 6).
 */
#include <string.h>

#include "check.h"
#include "render.h"

static const char *const STATUSES[] = { "trial", "active", "past_due",
	"cancelled", "expired", NULL };

static envelope
sub_result(int rv, Billing__V1__Subscription *s, const billing_status *st)
{
	envelope e = rv == 0 ? envelope_ok(render_subscription(s))
	                     : envelope_rpc_error(st);

	if (s != NULL)
		billing__v1__subscription__free_unpacked(s, NULL);
	return (e);
}

/* {"subscription": {...}, "invoice": {...} or null}, no items. */
static envelope
pair_result(
    int rv, Billing__V1__SubscriptionResult *res, const billing_status *st)
{
	envelope e;

	if (rv != 0)
		return (envelope_rpc_error(st));
	e = envelope_ok(json_pack("{s:o, s:o}", "subscription",
	    render_subscription(res->subscription), "invoice",
	    res->invoice != NULL ? render_invoice(res->invoice, false)
	                         : json_null()));
	billing__v1__subscription_result__free_unpacked(res, NULL);
	return (e);
}

/*
 * plan_id or plan_code: the id wins, and is validated even then. The
 * code is looked up byte for byte; *nomatch when it cannot name a plan
 * (a NUL byte, invalid UTF-8): "Plan not found" in its turn among the
 * lookups.
 */
static bool
chk_plan(const breq *r, bool *has_id, int64_t *id, const char **code,
    bool *nomatch, envelope *err)
{
	size_t len;

	*nomatch = false;
	if (!chk_id(r, "plan_id", false, has_id, id, err))
		return (false);
	*code = NULL;
	if (*has_id)
		return (true);
	if (!chk_key(r, "plan_code", false, code, &len, nomatch, err))
		return (false);
	if (*code == NULL) {
		*err = envelope_missing("plan_id");
		return (false);
	}
	return (true);
}

/*
 * A plan code that names no plan: stored codes are [a-z0-9-]{1,64}
 * (schema CHECK). Sent in place of a code that cannot match, so that the
 * engine reports "Plan not found" in the contract's order of lookups.
 */
#define NO_PLAN_CODE "#"

static json_t *
sub_item(const void *m)
{
	return (render_subscription(m));
}

static envelope
subs_list(breq *r)
{
	Billing__V1__ListSubscriptionsRequest req =
	    BILLING__V1__LIST_SUBSCRIPTIONS_REQUEST__INIT;
	Billing__V1__PageRequest pg = BILLING__V1__PAGE_REQUEST__INIT;
	Billing__V1__ListSubscriptionsResponse *resp = NULL;
	billing_status st = BILLING_STATUS_INIT;
	int64_t page;
	envelope err;
	int status;
	bool given;

	if (!chk_id(r, "user_id", false, &given, &req.customer_id, &err) ||
	    !chk_enum(r, "status", false, STATUSES, &status, &err) ||
	    !chk_page(r, &pg, &page, &err))
		return (err);
	req.has_customer_id = given;
	if (status >= 0) {
		req.has_status = 1;
		req.status = (Billing__V1__SubscriptionStatus) (status + 1);
	}
	req.page = &pg;
	if (billing_subscriptions_list(
	        r->client, &req, &resp, &r->opts, &st) != 0)
		return (bridge_rpc_error(&st));
	return (bridge_list(&resp->base, (void *const *) resp->subscriptions,
	    resp->n_subscriptions, sub_item, resp->page, page, pg.page_size));
}

static envelope
subs_get(breq *r)
{
	Billing__V1__GetSubscriptionRequest req =
	    BILLING__V1__GET_SUBSCRIPTION_REQUEST__INIT;
	Billing__V1__Subscription *s = NULL;
	billing_status st = BILLING_STATUS_INIT;
	envelope err, e;
	bool given;
	int rv;

	if (!chk_id(r, "id", true, &given, &req.id, &err))
		return (err);
	req.has_id = 1;
	rv = billing_subscriptions_get(r->client, &req, &s, &r->opts, &st);
	e = sub_result(rv, s, &st);
	billing_status_fini(&st);
	return (e);
}

static envelope
subs_create(breq *r)
{
	Billing__V1__CreateSubscriptionRequest req =
	    BILLING__V1__CREATE_SUBSCRIPTION_REQUEST__INIT;
	Billing__V1__SubscriptionResult *res = NULL;
	billing_status st = BILLING_STATUS_INIT;
	const char *code;
	envelope err, e;
	bool given, has_plan_id, nomatch, trial;
	int64_t qty;
	int rv;

	if (!chk_id(r, "user_id", true, &given, &req.customer_id, &err) ||
	    !chk_plan(r, &has_plan_id, &req.plan_id, &code, &nomatch, &err) ||
	    !chk_int(r, "quantity", false, 1, 1000, &given, &qty, &err) ||
	    !chk_bool(r, "trial", true, &trial, &err))
		return (err);
	req.has_customer_id = 1;
	req.has_plan_id = has_plan_id;
	req.plan_code = (char *) (nomatch ? NO_PLAN_CODE : code);
	req.has_quantity = 1;
	req.quantity = given ? (int32_t) qty : 1;
	req.has_trial = 1;
	req.trial = trial;
	rv =
	    billing_subscriptions_create(r->client, &req, &res, &r->opts, &st);
	e = pair_result(rv, res, &st);
	billing_status_fini(&st);
	return (e);
}

static envelope
subs_cancel(breq *r)
{
	Billing__V1__CancelSubscriptionRequest req =
	    BILLING__V1__CANCEL_SUBSCRIPTION_REQUEST__INIT;
	Billing__V1__Subscription *s = NULL;
	billing_status st = BILLING_STATUS_INIT;
	envelope err, e;
	bool given, at_end;
	int rv;

	if (!chk_id(r, "id", true, &given, &req.id, &err) ||
	    !chk_bool(r, "at_period_end", true, &at_end, &err))
		return (err);
	req.has_id = req.has_at_period_end = 1;
	req.at_period_end = at_end;
	rv = billing_subscriptions_cancel(r->client, &req, &s, &r->opts, &st);
	e = sub_result(rv, s, &st);
	billing_status_fini(&st);
	return (e);
}

static envelope
subs_reactivate(breq *r)
{
	Billing__V1__ReactivateSubscriptionRequest req =
	    BILLING__V1__REACTIVATE_SUBSCRIPTION_REQUEST__INIT;
	Billing__V1__Subscription *s = NULL;
	billing_status st = BILLING_STATUS_INIT;
	envelope err, e;
	bool given;
	int rv;

	if (!chk_id(r, "id", true, &given, &req.id, &err))
		return (err);
	req.has_id = 1;
	rv = billing_subscriptions_reactivate(
	    r->client, &req, &s, &r->opts, &st);
	e = sub_result(rv, s, &st);
	billing_status_fini(&st);
	return (e);
}

static envelope
subs_change_plan(breq *r)
{
	Billing__V1__ChangePlanRequest req =
	    BILLING__V1__CHANGE_PLAN_REQUEST__INIT;
	Billing__V1__SubscriptionResult *res = NULL;
	billing_status st = BILLING_STATUS_INIT;
	const char *code;
	envelope err, e;
	bool given, has_plan_id, nomatch, prorate;
	int rv;

	if (!chk_id(r, "id", true, &given, &req.id, &err) ||
	    !chk_plan(r, &has_plan_id, &req.plan_id, &code, &nomatch, &err) ||
	    !chk_bool(r, "prorate", true, &prorate, &err))
		return (err);
	req.has_id = 1;
	req.has_plan_id = has_plan_id;
	req.plan_code = (char *) (nomatch ? NO_PLAN_CODE : code);
	req.has_prorate = 1;
	req.prorate = prorate;
	rv = billing_subscriptions_change_plan(
	    r->client, &req, &res, &r->opts, &st);
	e = pair_result(rv, res, &st);
	billing_status_fini(&st);
	return (e);
}

const baction subscriptions_actions[] = {
	{ "list", false, subs_list },
	{ "get", false, subs_get },
	{ "create", true, subs_create },
	{ "cancel", true, subs_cancel },
	{ "reactivate", true, subs_reactivate },
	{ "change_plan", true, subs_change_plan },
	{ NULL, false, NULL },
};
