/*
 * plans.c: the Plans service.
 *
 * Plan codes are [a-z0-9-], so the contract's case-insensitive duplicate
 * check is the unique index on code; an insert that loses a race to the
 * same code finds the conflict through ON CONFLICT, without an error.
 */
#include <string.h>

#include "../rules/codes.h"
#include "events.h"
#include "handlers.h"
#include "page.h"

#define PLAN_COLS                                                           \
	"id, code, name, price_minor, currency, billing_cycle, trial_days," \
	" active, billing_us(created_at)"

/* The legacy DECIMAL(10,2) range. */
#define PRICE_MAX_MINOR 9999999999LL

static const db_stmt GET = { "plans_get",
	"SELECT " PLAN_COLS " FROM plans WHERE id = $1" };

static const db_stmt GET_BY_CODE = { "plans_get_by_code",
	"SELECT " PLAN_COLS " FROM plans WHERE code = $1" };

/* $1 include archived, $2 cursor, $3 limit, $4 offset. */
static const db_stmt LIST = { "plans_list",
	"SELECT t.total, p.* FROM"
	" (SELECT count(*) AS total FROM plans WHERE active OR $1) t"
	" LEFT JOIN LATERAL"
	" (SELECT " PLAN_COLS " FROM plans WHERE (active OR $1) AND id > $2"
	"   ORDER BY id LIMIT $3 OFFSET $4) p ON true" };

static const db_stmt INSERT = { "plans_insert",
	"INSERT INTO plans (code, name, price_minor, currency, billing_cycle,"
	" trial_days, created_at) VALUES ($1, $2, $3, $4, $5, $6, "
	"billing_ts($7))"
	" ON CONFLICT (code) DO NOTHING RETURNING " PLAN_COLS };

/* Returns the plan and whether this call archived it. */
static const db_stmt ARCHIVE = { "plans_archive",
	"WITH old AS (SELECT id, active FROM plans WHERE id = $1 FOR UPDATE),"
	" upd AS (UPDATE plans p SET active = false FROM old"
	"   WHERE p.id = old.id RETURNING p.*)"
	" SELECT " PLAN_COLS ", (SELECT active FROM old) FROM upd" };

static const char *const CYCLE_NAMES[] = {
	[BILLING__V1__BILLING_CYCLE__BILLING_CYCLE_MONTHLY] = "monthly",
	[BILLING__V1__BILLING_CYCLE__BILLING_CYCLE_QUARTERLY] = "quarterly",
	[BILLING__V1__BILLING_CYCLE__BILLING_CYCLE_YEARLY] = "yearly",
};

static Billing__V1__BillingCycle
cycle_from_text(const char *s)
{
	for (size_t i = 1; i < sizeof(CYCLE_NAMES) / sizeof(CYCLE_NAMES[0]);
	     i++)
		if (strcmp(s, CYCLE_NAMES[i]) == 0)
			return ((Billing__V1__BillingCycle) i);
	return (BILLING__V1__BILLING_CYCLE__BILLING_CYCLE_UNSPECIFIED);
}

static Billing__V1__Plan *
from_row(srv_call *call, const PGresult *res, int row, int c)
{
	Billing__V1__Plan *m =
	    call_new(call, billing__v1__plan, Billing__V1__Plan);

	if (m == NULL)
		return (NULL);
	m->has_id = 1;
	m->id = call_int64(res, row, c + 0);
	m->code = (char *) call_text(res, row, c + 1);
	m->name = (char *) call_text(res, row, c + 2);
	m->has_price_minor = 1;
	m->price_minor = call_int64(res, row, c + 3);
	m->currency = (char *) call_text(res, row, c + 4);
	m->has_billing_cycle = 1;
	m->billing_cycle = cycle_from_text(call_text(res, row, c + 5));
	m->has_trial_days = 1;
	m->trial_days = (int32_t) call_int64(res, row, c + 6);
	m->has_active = 1;
	m->active = call_bool(res, row, c + 7);
	if ((m->has_created_at_us = !call_isnull(res, row, c + 8)))
		m->created_at_us = call_int64(res, row, c + 8);
	return (m);
}

static int
one(srv_call *call, const PGresult *res, Billing__V1__Plan **out)
{
	if (PQntuples(res) == 0)
		return (call_error(call, BILLING_NOT_FOUND, "PLAN_NOT_FOUND",
		    "plan not found"));
	if ((*out = from_row(call, res, 0, 0)) == NULL)
		return (call_oom(call));
	return (0);
}

static int
plans_create(srv_call *call, const Billing__V1__CreatePlanRequest *req,
    Billing__V1__Plan **out)
{
	const char *currency = req->currency != NULL ? req->currency : "EUR";
	Billing__V1__BillingCycle cycle = req->has_billing_cycle
	    ? req->billing_cycle
	    : BILLING__V1__BILLING_CYCLE__BILLING_CYCLE_MONTHLY;
	int32_t trial_days = req->has_trial_days ? req->trial_days : 0;
	char price[21], trial[21], now[21];
	PGresult *res;
	int rv;

	if (req->code == NULL || req->code[0] == '\0')
		return (call_invalid(call, "code", "required"));
	if (!plan_code_valid(req->code))
		return (call_invalid(call, "code",
		    "must be 1-64 characters of a-z, 0-9 and '-'"));
	if (req->name == NULL || req->name[0] == '\0')
		return (call_invalid(call, "name", "required"));
	if (strlen(req->name) > 255)
		return (call_invalid(call, "name", "longer than 255 bytes"));
	if (!req->has_price_minor)
		return (call_invalid(call, "price_minor", "required"));
	if (req->price_minor < 0 || req->price_minor > PRICE_MAX_MINOR)
		return (call_invalid(call, "price_minor", "must be 0 to %lld",
		    PRICE_MAX_MINOR));
	if (!currency_valid(currency))
		return (
		    call_invalid(call, "currency", "must be EUR, USD or GBP"));
	if (cycle <= 0 ||
	    (size_t) cycle >= sizeof(CYCLE_NAMES) / sizeof(CYCLE_NAMES[0]))
		return (call_invalid(call, "billing_cycle",
		    "must be MONTHLY, QUARTERLY or YEARLY"));
	if (trial_days < 0 || trial_days > 365)
		return (call_invalid(call, "trial_days", "must be 0 to 365"));

	const char *p[7] = { req->code, req->name,
		call_fmt_int64(price, req->price_minor), currency,
		CYCLE_NAMES[cycle], call_fmt_int64(trial, trial_days),
		call_fmt_int64(now, call->now_us) };
	if ((rv = call_query(call, &INSERT, 7, p, &res)) != 0)
		return (rv);
	if (PQntuples(res) == 0)
		return (
		    call_error(call, BILLING_ALREADY_EXISTS, "PLAN_CODE_TAKEN",
		        "plan code %s already exists", req->code));
	if ((rv = one(call, res, out)) != 0)
		return (rv);
	return (events_record(call, "plan.created", "plan", (*out)->id, 0,
	    NULL, "active", NULL));
}

static int
plans_get(srv_call *call, const Billing__V1__GetPlanRequest *req,
    Billing__V1__Plan **out)
{
	char id[21];
	const char *p[1];
	PGresult *res;
	int rv;

	if (req->has_id) {
		if (req->id < 1)
			return (call_invalid(call, "id", "must be 1 or more"));
		p[0] = call_fmt_int64(id, req->id);
		rv = call_query(call, &GET, 1, p, &res);
	} else if (req->code != NULL && req->code[0] != '\0') {
		p[0] = req->code;
		rv = call_query(call, &GET_BY_CODE, 1, p, &res);
	} else
		return (call_invalid(call, "id", "give an id or a code"));
	if (rv != 0)
		return (rv);
	return (one(call, res, out));
}

static int
plans_list(srv_call *call, const Billing__V1__ListPlansRequest *req,
    Billing__V1__ListPlansResponse **out)
{
	Billing__V1__ListPlansResponse *r;
	page_req pg;
	PGresult *res;
	int rv, n;

	if ((rv = page_parse(call, req->page, &pg)) != 0)
		return (rv);
	const char *p[4] = { req->include_archived ? "true" : "false",
		pg.cursor_text, pg.fetch_text, pg.offset_text };
	if ((rv = call_query(call, &LIST, 4, p, &res)) != 0)
		return (rv);

	r = call_new(call, billing__v1__list_plans_response,
	    Billing__V1__ListPlansResponse);
	if (r == NULL ||
	    (n = page_items(
	         call, &pg, res, sizeof(*r->plans), (void **) &r->plans)) < 0)
		return (call_oom(call));
	for (int i = 0; i < n; i++)
		if ((r->plans[i] = from_row(call, res, i, 1)) == NULL)
			return (call_oom(call));
	r->n_plans = (size_t) n;
	r->page = page_info(call, &pg, res, n > 0 ? r->plans[n - 1]->id : 0);
	*out = r;
	return (0);
}

static int
plans_archive(srv_call *call, const Billing__V1__ArchivePlanRequest *req,
    Billing__V1__Plan **out)
{
	char id[21];
	const char *p[1];
	PGresult *res;
	int rv;

	if (!req->has_id)
		return (call_invalid(call, "id", "required"));
	if (req->id < 1)
		return (call_invalid(call, "id", "must be 1 or more"));
	p[0] = call_fmt_int64(id, req->id);
	if ((rv = call_query(call, &ARCHIVE, 1, p, &res)) != 0 ||
	    (rv = one(call, res, out)) != 0)
		return (rv);
	/* Archiving an archived plan changes nothing and records nothing. */
	if (!call_bool(res, 0, 9))
		return (0);
	return (events_record(call, "plan.archived", "plan", req->id, 0,
	    "active", "archived", NULL));
}

const billing_plans_impl plans_impl = {
	.create = plans_create,
	.get = plans_get,
	.list = plans_list,
	.archive = plans_archive,
};
