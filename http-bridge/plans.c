/*
 * plans.c: plans.php (docs/legacy-api.md sections 3 and 6).
 */
#include <string.h>

#include "../rules/codes.h"
#include "check.h"
#include "render.h"

static const char *const CURRENCIES[] = { "EUR", "USD", "GBP", NULL };
static const char *const CYCLES[] = { "monthly", "quarterly", "yearly", NULL };

/* An RPC's answer: the plan, or its failure in the envelope. */
static envelope
plan_result(int rv, Billing__V1__Plan *p, const billing_status *st)
{
	envelope e =
	    rv == 0 ? envelope_ok(render_plan(p)) : envelope_rpc_error(st);

	if (p != NULL)
		billing__v1__plan__free_unpacked(p, NULL);
	return (e);
}

/* A list item, as bridge_list renders it. */
static json_t *
plan_item(const void *m)
{
	return (render_plan(m));
}

static envelope
plans_list(breq *r)
{
	Billing__V1__ListPlansRequest req =
	    BILLING__V1__LIST_PLANS_REQUEST__INIT;
	Billing__V1__PageRequest pg = BILLING__V1__PAGE_REQUEST__INIT;
	Billing__V1__ListPlansResponse *resp = NULL;
	billing_status st = BILLING_STATUS_INIT;
	int64_t page;
	envelope err;
	bool all;

	if (!chk_bool(r, "all", false, &all, &err) ||
	    !chk_page(r, &pg, &page, &err))
		return (err);
	req.has_include_archived = 1;
	req.include_archived = all;
	req.page = &pg;
	if (billing_plans_list(r->client, &req, &resp, &r->opts, &st) != 0)
		return (bridge_rpc_error(&st));
	return (bridge_list(&resp->base, (void *const *) resp->plans,
	    resp->n_plans, plan_item, resp->page, page, pg.page_size));
}

static envelope
plans_get(breq *r)
{
	Billing__V1__GetPlanRequest req = BILLING__V1__GET_PLAN_REQUEST__INIT;
	Billing__V1__Plan *p = NULL;
	billing_status st = BILLING_STATUS_INIT;
	int rv;
	const char *code = NULL;
	envelope err, e;
	bool given, nomatch;
	size_t len;
	int64_t id;

	/* The id wins when both are given, and is validated even then. */
	if (!chk_id(r, "id", false, &given, &id, &err))
		return (err);
	if (given) {
		req.has_id = 1;
		req.id = id;
	} else {
		if (!chk_key(r, "code", false, &code, &len, &nomatch, &err))
			return (err);
		if (code == NULL)
			return (envelope_missing("id"));
		/* A code with a NUL byte or invalid UTF-8 names no plan. */
		if (nomatch)
			return (envelope_reason("PLAN_NOT_FOUND"));
		req.code = (char *) code;
	}
	rv = billing_plans_get(r->client, &req, &p, &r->opts, &st);
	e = plan_result(rv, p, &st);
	billing_status_fini(&st);
	return (e);
}

static envelope
plans_create(breq *r)
{
	Billing__V1__CreatePlanRequest req =
	    BILLING__V1__CREATE_PLAN_REQUEST__INIT;
	Billing__V1__Plan *p = NULL;
	billing_status st = BILLING_STATUS_INIT;
	int rv;
	const char *code, *name;
	envelope err, e;
	int64_t price, trial;
	int cur, cycle;
	bool given;

	if (!chk_text(r, "code", true, PLAN_CODE_MAX_BYTES, &code, &err))
		return (err);
	if (!plan_code_valid(code))
		return (envelope_invalid("code"));
	if (!chk_text(r, "name", true, 255, &name, &err) ||
	    !chk_money(r, "price", true, 0, &given, &price, &err) ||
	    !chk_enum(r, "currency", false, CURRENCIES, &cur, &err) ||
	    !chk_enum(r, "billing_cycle", false, CYCLES, &cycle, &err) ||
	    !chk_int(r, "trial_days", false, 0, 365, &given, &trial, &err))
		return (err);
	req.code = (char *) code;
	req.name = (char *) name;
	req.has_price_minor = 1;
	req.price_minor = price;
	req.currency = (char *) (cur >= 0 ? CURRENCIES[cur] : "EUR");
	req.has_billing_cycle = 1;
	req.billing_cycle = cycle >= 0
	    ? (Billing__V1__BillingCycle) (cycle + 1)
	    : BILLING__V1__BILLING_CYCLE__BILLING_CYCLE_MONTHLY;
	req.has_trial_days = 1;
	req.trial_days = given ? (int32_t) trial : 0;
	rv = billing_plans_create(r->client, &req, &p, &r->opts, &st);
	e = plan_result(rv, p, &st);
	billing_status_fini(&st);
	return (e);
}

static envelope
plans_archive(breq *r)
{
	Billing__V1__ArchivePlanRequest req =
	    BILLING__V1__ARCHIVE_PLAN_REQUEST__INIT;
	Billing__V1__Plan *p = NULL;
	billing_status st = BILLING_STATUS_INIT;
	int rv;
	envelope err, e;
	bool given;

	if (!chk_id(r, "id", true, &given, &req.id, &err))
		return (err);
	req.has_id = 1;
	rv = billing_plans_archive(r->client, &req, &p, &r->opts, &st);
	e = plan_result(rv, p, &st);
	billing_status_fini(&st);
	return (e);
}

const baction plans_actions[] = {
	{ "list", false, plans_list },
	{ "get", false, plans_get },
	{ "create", true, plans_create },
	{ "archive", true, plans_archive },
	{ NULL, false, NULL },
};
