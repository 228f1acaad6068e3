/*
 * subscriptions.c: the Subscriptions service (API.md section 3).
 *
 * Each mutating call locks the subscription (or, for create, the
 * customer) first, checks the contract's conditions in its order,
 * computes every amount with the pure rules before writing anything, and
 * then writes. Lock order: subscription, customer, invoice sequence
 * (see invoicing.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../rules/caltime.h"
#include "../rules/money.h"
#include "../rules/period.h"
#include "../rules/subscription.h"
#include "events.h"
#include "handlers.h"
#include "invoices.h"
#include "invoicing.h"
#include "page.h"
#include "subscriptions.h"

#define PLAN_COLS \
	"id, name, price_minor, currency, billing_cycle, trial_days, active"

/* A plan by id ($1) or, when $1 is NULL, by code ($2), byte for byte. */
static const db_stmt PLAN = { "subscriptions_plan",
	"SELECT " PLAN_COLS " FROM plans"
	" WHERE CASE WHEN $1::bigint IS NOT NULL THEN id = $1"
	"   ELSE code = $2 END" };

static const db_stmt CUSTOMER = { "subscriptions_customer",
	"SELECT id, status, currency, country, vat_number, balance_minor"
	" FROM customers WHERE id = $1 FOR UPDATE" };

static const db_stmt HAD_PLAN = { "subscriptions_had_plan",
	"SELECT EXISTS (SELECT 1 FROM subscriptions"
	" WHERE customer_id = $1 AND plan_id = $2)" };

static const db_stmt INSERT = { "subscriptions_insert",
	"INSERT INTO subscriptions (customer_id, plan_id, status, quantity,"
	" billing_anchor_day, started_at, trial_ends_at, current_period_start,"
	" current_period_end, created_at)"
	" VALUES ($1, $2, $3, $4, $5, billing_ts($6), billing_ts($7),"
	" billing_ts($6), billing_ts($8), billing_ts($6))"
	" RETURNING " SUB_COLS };

static const db_stmt SET_CURRENCY = { "subscriptions_set_currency",
	"UPDATE customers SET currency = $2, updated_at = billing_ts($3)"
	" WHERE id = $1 AND coalesce(currency, '') = ''" };

static const db_stmt GET = { "subscriptions_get",
	"SELECT " SUB_COLS " FROM subscriptions WHERE id = $1" };

static const db_stmt LOCK = { "subscriptions_lock",
	"SELECT " SUB_COLS " FROM subscriptions WHERE id = $1 FOR UPDATE" };

#define LIST_FILTER \
	" (customer_id = $1 OR $1 IS NULL) AND (status = $2 OR $2 IS NULL)"

static const db_stmt LIST = { "subscriptions_list",
	"SELECT t.total, s.* FROM"
	" (SELECT count(*) AS total FROM subscriptions WHERE" LIST_FILTER ") t"
	" LEFT JOIN LATERAL"
	" (SELECT " SUB_COLS " FROM subscriptions WHERE" LIST_FILTER
	"   AND id > $3 ORDER BY id LIMIT $4 OFFSET $5) s ON true" };

/* $2 status, $3 cancel_at_period_end, $4 cancelled_at (NULL: keep). */
static const db_stmt SET_STATE = { "subscriptions_set_state",
	"UPDATE subscriptions SET status = $2, cancel_at_period_end = $3,"
	" cancelled_at = coalesce(billing_ts($4), cancelled_at)"
	" WHERE id = $1 RETURNING " SUB_COLS };

/* $3..$5: a new period and anchor day, or NULL to keep them. */
static const db_stmt SET_PLAN = { "subscriptions_set_plan",
	"UPDATE subscriptions SET plan_id = $2,"
	" current_period_start = coalesce(billing_ts($3), "
	"current_period_start),"
	" current_period_end = coalesce(billing_ts($4), current_period_end),"
	" billing_anchor_day = coalesce($5, billing_anchor_day)"
	" WHERE id = $1 RETURNING " SUB_COLS };

typedef struct plan_row {
	int64_t id;
	const char *name;
	int64_t price_minor;
	const char *currency;
	period_cycle cycle;
	int trial_days;
	bool active;
} plan_row;

typedef struct customer_row {
	int64_t id;
	const char *status, *currency, *country, *vat_number;
} customer_row;

Billing__V1__Subscription *
subscriptions_from_row(srv_call *call, const PGresult *res, int row, int c)
{
	Billing__V1__Subscription *m = call_new(
	    call, billing__v1__subscription, Billing__V1__Subscription);

	if (m == NULL)
		return (NULL);
	m->has_id = m->has_customer_id = m->has_plan_id = 1;
	m->id = call_int64(res, row, c + 0);
	m->customer_id = call_int64(res, row, c + 1);
	m->plan_id = call_int64(res, row, c + 2);
	m->has_status = 1;
	m->status = (Billing__V1__SubscriptionStatus) sub_status_parse(
	    call_text(res, row, c + 3));
	m->has_quantity = m->has_billing_anchor_day = 1;
	m->quantity = (int32_t) call_int64(res, row, c + 4);
	m->billing_anchor_day = (int32_t) call_int64(res, row, c + 5);
#define OPT_US(field, col)                                        \
	if ((m->has_##field = !call_isnull(res, row, c + (col)))) \
		m->field = call_int64(res, row, c + (col));
	OPT_US(started_at_us, 6)
	OPT_US(trial_ends_at_us, 7)
	m->has_trial_ends_at_legacy_zero = 1;
	m->trial_ends_at_legacy_zero = call_bool(res, row, c + 8);
	OPT_US(current_period_start_us, 9)
	OPT_US(current_period_end_us, 10)
	m->has_cancel_at_period_end = 1;
	m->cancel_at_period_end = call_bool(res, row, c + 11);
	OPT_US(cancelled_at_us, 12)
	OPT_US(created_at_us, 13)
#undef OPT_US
	return (m);
}

static int
check_id(srv_call *call, const char *field, bool has, int64_t id)
{
	if (!has)
		return (call_invalid(call, field, "required"));
	if (id < 1)
		return (call_invalid(call, field, "must be 1 or more"));
	return (0);
}

/* plan_id wins over plan_code; neither is "plan_id required". */
static int
check_plan_ref(srv_call *call, bool has_id, int64_t id, const char *code)
{
	if (has_id || code == NULL || code[0] == '\0')
		return (check_id(call, "plan_id", has_id, id));
	return (0);
}

static int
plan_not_found(srv_call *call)
{
	return (call_error(call, BILLING_NOT_FOUND, "PLAN_NOT_FOUND",
	    "plan not found or archived"));
}

/* An active plan by id or code, or PLAN_NOT_FOUND. */
static int
find_plan(srv_call *call, bool has_id, int64_t id, const char *code,
    bool active_only, plan_row *out)
{
	char ids[21];
	const char *p[2] = { has_id ? call_fmt_int64(ids, id) : NULL,
		has_id ? NULL : code };
	PGresult *res;
	int rv;

	if ((rv = call_query(call, &PLAN, 2, p, &res)) != 0)
		return (rv);
	if (PQntuples(res) == 0 || (active_only && !call_bool(res, 0, 6)))
		return (plan_not_found(call));
	out->id = call_int64(res, 0, 0);
	out->name = call_text(res, 0, 1);
	out->price_minor = call_int64(res, 0, 2);
	out->currency = call_text(res, 0, 3);
	out->cycle = period_cycle_parse(call_text(res, 0, 4));
	out->trial_days = (int) call_int64(res, 0, 5);
	out->active = call_bool(res, 0, 6);
	return (0);
}

static int
lock_customer(srv_call *call, int64_t id, customer_row *out)
{
	char ids[21];
	const char *p[1] = { call_fmt_int64(ids, id) };
	PGresult *res;
	int rv;

	if ((rv = call_query(call, &CUSTOMER, 1, p, &res)) != 0)
		return (rv);
	if (PQntuples(res) == 0)
		return (call_error(call, BILLING_NOT_FOUND,
		    "CUSTOMER_NOT_FOUND", "customer %s not found", ids));
	out->id = id;
	out->status = call_text(res, 0, 1);
	out->currency = call_text(res, 0, 2);
	out->country = call_text(res, 0, 3);
	out->vat_number = call_text(res, 0, 4);
	return (0);
}

static int
money_error(srv_call *call, const char *what)
{
	return (call_error(call, BILLING_OUT_OF_RANGE, "MONEY_OUT_OF_RANGE",
	    "the %s would leave the money range (+-99999999.99)", what));
}

/* The subscription locked for update, or SUBSCRIPTION_NOT_FOUND. */
static int
lock_subscription(srv_call *call, int64_t id, Billing__V1__Subscription **out)
{
	char ids[21];
	const char *p[1] = { call_fmt_int64(ids, id) };
	PGresult *res;
	int rv;

	if ((rv = call_query(call, &LOCK, 1, p, &res)) != 0)
		return (rv);
	if (PQntuples(res) == 0)
		return (call_error(call, BILLING_NOT_FOUND,
		    "SUBSCRIPTION_NOT_FOUND", "subscription %s not found",
		    ids));
	if ((*out = subscriptions_from_row(call, res, 0, 0)) == NULL)
		return (call_oom(call));
	return (0);
}

static int
refused(srv_call *call, sub_refusal r)
{
	static const char *const reasons[] = {
		[SUB_ALREADY_CANCELLED] = "SUBSCRIPTION_ALREADY_CANCELLED",
		[SUB_CANNOT_REACTIVATE] = "SUBSCRIPTION_NOT_REACTIVATABLE",
		[SUB_NOT_ACTIVE] = "SUBSCRIPTION_NOT_ACTIVE",
		[SUB_IS_PAST_DUE] = "SUBSCRIPTION_PAST_DUE",
	};

	return (call_error(call, BILLING_FAILED_PRECONDITION, reasons[r], "%s",
	    sub_refusal_message(r)));
}

/* The instant trial_days local days after now, at now's wall time. */
static int64_t
trial_end(int64_t now_us, int trial_days)
{
	cal_wall w;
	int32_t day;

	cal_to_wall(now_us, &w);
	day = cal_days_from_civil(w.year, w.month, w.day) + trial_days;
	cal_civil_from_days(day, &w.year, &w.month, &w.day);
	return (cal_from_wall(&w));
}

static const char *
sub_event_data(srv_call *call, const char *fmt, int64_t a, int64_t b)
{
	char buf[160];

	snprintf(buf, sizeof(buf), fmt, a, b);
	return (call_strdup(call, buf));
}

static int
subscriptions_create(srv_call *call,
    const Billing__V1__CreateSubscriptionRequest *req,
    Billing__V1__SubscriptionResult **out)
{
	Billing__V1__SubscriptionResult *r;
	customer_row cu;
	plan_row pl;
	inv_issue inv;
	inv_batch batch = { &inv, 0, NULL };
	int32_t qty = req->has_quantity ? req->quantity : 1;
	bool want_trial = req->has_trial ? req->trial : true, trial;
	int64_t now = call->now_us, pe;
	char cid[21], pid[21], q[12], anchor[12], nows[21], pes[21];
	PGresult *res;
	int rv;

	if ((rv = check_id(call, "customer_id", req->has_customer_id,
	         req->customer_id)) != 0 ||
	    (rv = check_plan_ref(
	         call, req->has_plan_id, req->plan_id, req->plan_code)) != 0)
		return (rv);
	if (qty < 1 || qty > 1000)
		return (call_invalid(call, "quantity", "must be 1 to 1000"));

	if ((rv = lock_customer(call, req->customer_id, &cu)) != 0)
		return (rv);
	if (strcmp(cu.status, "deleted") == 0)
		return (
		    call_error(call, BILLING_NOT_FOUND, "CUSTOMER_NOT_FOUND",
		        "customer %" PRId64 " is deleted", req->customer_id));
	if (strcmp(cu.status, "suspended") == 0)
		return (call_error(call, BILLING_FAILED_PRECONDITION,
		    "CUSTOMER_SUSPENDED", "User is suspended"));
	if ((rv = find_plan(call, req->has_plan_id, req->plan_id,
	         req->plan_code, true, &pl)) != 0)
		return (rv);
	if (cu.currency != NULL && cu.currency[0] != '\0' &&
	    strcmp(cu.currency, pl.currency) != 0)
		return (call_error(call, BILLING_FAILED_PRECONDITION,
		    "CURRENCY_MISMATCH", "Currency mismatch"));

	const char *hp[2] = { call_fmt_int64(cid, cu.id),
		call_fmt_int64(pid, pl.id) };
	trial = false;
	if (want_trial && pl.trial_days > 0) {
		if ((rv = call_query(call, &HAD_PLAN, 2, hp, &res)) != 0)
			return (rv);
		trial = !call_bool(res, 0, 0);
	}

	if (trial) {
		pe = trial_end(now, pl.trial_days);
		snprintf(anchor, sizeof(anchor), "%d", period_anchor_day(pe));
	} else {
		int day = period_anchor_day(now);

		snprintf(anchor, sizeof(anchor), "%d", day);
		pe = period_next(now, day, pl.cycle);
		memset(&inv, 0, sizeof(inv));
		invoice_init(
		    &inv.d, cal_local_date(now), cal_local_date(pe), now);
		if (invoice_add_period_item(&inv.d, pl.name, pl.price_minor,
		        qty, now, pe) != MONEY_OK ||
		    invoice_finish(&inv.d, true, cu.country, cu.vat_number) !=
		        MONEY_OK)
			return (money_error(call, "invoice"));
		inv.customer_id = cu.id;
		inv.currency = pl.currency;
		batch.n = 1;
		if ((rv = invoicing_prepare(call, &batch)) != 0)
			return (rv);
	}

	snprintf(q, sizeof(q), "%d", qty);
	const char *p[8] = { cid, pid, trial ? "trial" : "active", q, anchor,
		call_fmt_int64(nows, now),
		trial ? call_fmt_int64(pes, pe) : NULL,
		call_fmt_int64(pes, pe) };
	r = call_new(call, billing__v1__subscription_result,
	    Billing__V1__SubscriptionResult);
	if (r == NULL)
		return (call_oom(call));
	if ((rv = call_query(call, &INSERT, 8, p, &res)) != 0)
		return (rv);
	if ((r->subscription = subscriptions_from_row(call, res, 0, 0)) ==
	    NULL)
		return (call_oom(call));
	if (batch.n == 1) {
		inv.subscription_id = r->subscription->id;
		if ((rv = invoicing_write(call, &batch, true)) != 0)
			return (rv);
		r->invoice = inv.msg;
	}
	const char *cp[3] = { cid, pl.currency, nows };
	if ((rv = call_query(call, &SET_CURRENCY, 3, cp, &res)) != 0)
		return (rv);
	*out = r;
	return (events_record(call, "subscription.created", "subscription",
	    r->subscription->id, cu.id, NULL, trial ? "trial" : "active",
	    sub_event_data(call,
	        "{\"plan_id\": %" PRId64 ", \"quantity\": %" PRId64 "}", pl.id,
	        qty)));
}

static int
subscriptions_get(srv_call *call,
    const Billing__V1__GetSubscriptionRequest *req,
    Billing__V1__Subscription **out)
{
	char id[21];
	const char *p[1];
	PGresult *res;
	int rv;

	if ((rv = check_id(call, "id", req->has_id, req->id)) != 0)
		return (rv);
	p[0] = call_fmt_int64(id, req->id);
	if ((rv = call_query(call, &GET, 1, p, &res)) != 0)
		return (rv);
	if (PQntuples(res) == 0)
		return (call_error(call, BILLING_NOT_FOUND,
		    "SUBSCRIPTION_NOT_FOUND", "subscription %s not found",
		    id));
	if ((*out = subscriptions_from_row(call, res, 0, 0)) == NULL)
		return (call_oom(call));
	return (0);
}

static int
subscriptions_list(srv_call *call,
    const Billing__V1__ListSubscriptionsRequest *req,
    Billing__V1__ListSubscriptionsResponse **out)
{
	Billing__V1__ListSubscriptionsResponse *r;
	const char *status = NULL;
	char cid[21];
	page_req pg;
	PGresult *res;
	int rv, n;

	if (req->has_status &&
	    (status = sub_status_name((sub_status) req->status)) == NULL)
		return (call_invalid(call, "status", "unknown status"));
	if ((rv = page_parse(call, req->page, &pg)) != 0)
		return (rv);
	const char *p[5] = { req->has_customer_id
		    ? call_fmt_int64(cid, req->customer_id)
		    : NULL,
		status, pg.cursor_text, pg.fetch_text, pg.offset_text };
	if ((rv = call_query(call, &LIST, 5, p, &res)) != 0)
		return (rv);
	r = call_new(call, billing__v1__list_subscriptions_response,
	    Billing__V1__ListSubscriptionsResponse);
	if (r == NULL ||
	    (n = page_items(call, &pg, res, sizeof(*r->subscriptions),
	         (void **) &r->subscriptions)) < 0)
		return (call_oom(call));
	for (int i = 0; i < n; i++)
		if ((r->subscriptions[i] =
		            subscriptions_from_row(call, res, i, 1)) == NULL)
			return (call_oom(call));
	r->n_subscriptions = (size_t) n;
	r->page =
	    page_info(call, &pg, res, n > 0 ? r->subscriptions[n - 1]->id : 0);
	*out = r;
	return (0);
}

/* Writes status/flag/cancelled_at and records the change. */
static int
set_state(srv_call *call, const Billing__V1__Subscription *old,
    const char *status, bool cape, bool cancel_now, const char *type,
    Billing__V1__Subscription **out)
{
	char id[21], now[21];
	const char *p[4] = { call_fmt_int64(id, old->id), status,
		cape ? "t" : "f",
		cancel_now ? call_fmt_int64(now, call->now_us) : NULL };
	PGresult *res;
	int rv;

	if ((rv = call_query(call, &SET_STATE, 4, p, &res)) != 0)
		return (rv);
	if ((*out = subscriptions_from_row(call, res, 0, 0)) == NULL)
		return (call_oom(call));
	return (events_record(call, type, "subscription", old->id,
	    old->customer_id, sub_status_name((sub_status) old->status),
	    status, NULL));
}

static int
subscriptions_cancel(srv_call *call,
    const Billing__V1__CancelSubscriptionRequest *req,
    Billing__V1__Subscription **out)
{
	Billing__V1__Subscription *s;
	bool at_end = req->has_at_period_end ? req->at_period_end : true;
	sub_refusal why;
	int rv;

	if ((rv = check_id(call, "id", req->has_id, req->id)) != 0 ||
	    (rv = lock_subscription(call, req->id, &s)) != 0)
		return (rv);
	if ((why = sub_check_cancel((sub_status) s->status)) != SUB_OK)
		return (refused(call, why));
	if (at_end) {
		/* Flagging a flagged subscription again changes nothing. */
		if (s->cancel_at_period_end) {
			*out = s;
			return (0);
		}
		return (
		    set_state(call, s, sub_status_name((sub_status) s->status),
		        true, false, "subscription.cancel_scheduled", out));
	}
	return (set_state(
	    call, s, "cancelled", false, true, "subscription.cancelled", out));
}

static int
subscriptions_reactivate(srv_call *call,
    const Billing__V1__ReactivateSubscriptionRequest *req,
    Billing__V1__Subscription **out)
{
	Billing__V1__Subscription *s;
	sub_refusal why;
	int rv;

	if ((rv = check_id(call, "id", req->has_id, req->id)) != 0 ||
	    (rv = lock_subscription(call, req->id, &s)) != 0)
		return (rv);
	why = sub_check_reactivate(
	    (sub_status) s->status, s->cancel_at_period_end);
	if (why != SUB_OK)
		return (refused(call, why));
	return (set_state(call, s, sub_status_name((sub_status) s->status),
	    false, false, "subscription.reactivated", out));
}

/*
 * The invoice of a change of plan (API.md sections 3 and 6). Same
 * cycle: the unused time of the old plan is credited and the remaining
 * time of the new one charged, for [date of now, date of period end].
 * Other cycle: a new period [now, next(now)] on the new anchor day, with
 * the credit (when prorating) and the full new period.
 */
static int
change_invoice(srv_call *call, const Billing__V1__Subscription *s,
    const plan_row *old, const plan_row *neu, bool prorate, int64_t new_end,
    const customer_row *cu, invoice_draft *d)
{
	int64_t now = call->now_us, credit = 0, charge;
	bool same = old->cycle == neu->cycle;
	/* A legacy row without a period: T <= 0 prorates to 0. */
	bool has =
	    s->has_current_period_start_us && s->has_current_period_end_us;
	int64_t ps = has ? s->current_period_start_us : now;
	int64_t pe = has ? s->current_period_end_us : now;

	invoice_init(
	    d, cal_local_date(now), cal_local_date(same ? pe : new_end), now);
	if (prorate) {
		if (period_prorate(old->price_minor, s->quantity, ps, pe, now,
		        &credit) != MONEY_OK ||
		    invoice_add_amount_item(
		        d, "Unused time on", old->name, -credit) != MONEY_OK)
			return (money_error(call, "credit"));
	}
	if (same) {
		if (period_prorate(neu->price_minor, s->quantity, ps, pe, now,
		        &charge) != MONEY_OK ||
		    invoice_add_amount_item(
		        d, "Remaining time on", neu->name, charge) != MONEY_OK)
			return (money_error(call, "charge"));
	} else if (invoice_add_period_item(d, neu->name, neu->price_minor,
	               s->quantity, now, new_end) != MONEY_OK)
		return (money_error(call, "invoice item"));
	if (invoice_finish(d, true, cu->country, cu->vat_number) != MONEY_OK)
		return (money_error(call, "invoice"));
	return (0);
}

static int
subscriptions_change_plan(srv_call *call,
    const Billing__V1__ChangePlanRequest *req,
    Billing__V1__SubscriptionResult **out)
{
	Billing__V1__SubscriptionResult *r;
	Billing__V1__Subscription *s;
	plan_row old, neu;
	customer_row cu;
	inv_issue inv;
	inv_batch batch = { &inv, 0, NULL };
	bool prorate = req->has_prorate ? req->prorate : true, same;
	int64_t now = call->now_us, new_end = 0;
	char id[21], pid[21], ps[21], pe[21], anchor[12];
	sub_refusal why;
	PGresult *res;
	int rv;

	if ((rv = check_id(call, "id", req->has_id, req->id)) != 0 ||
	    (rv = check_plan_ref(
	         call, req->has_plan_id, req->plan_id, req->plan_code)) != 0 ||
	    (rv = lock_subscription(call, req->id, &s)) != 0)
		return (rv);
	if ((why = sub_check_change_plan((sub_status) s->status)) != SUB_OK)
		return (refused(call, why));
	if ((rv = find_plan(call, req->has_plan_id, req->plan_id,
	         req->plan_code, true, &neu)) != 0)
		return (rv);
	if (neu.id == s->plan_id)
		return (call_error(call, BILLING_FAILED_PRECONDITION,
		    "ALREADY_ON_PLAN", "Already on this plan"));
	/* The current plan, archived or not, sets the currency to match. */
	if ((rv = find_plan(call, true, s->plan_id, NULL, false, &old)) != 0)
		return (rv);
	if (strcmp(old.currency, neu.currency) != 0)
		return (call_error(call, BILLING_FAILED_PRECONDITION,
		    "CURRENCY_MISMATCH", "Currency mismatch"));

	same = old.cycle == neu.cycle;
	memset(&inv, 0, sizeof(inv));
	const char *p[5] = { call_fmt_int64(id, s->id),
		call_fmt_int64(pid, neu.id), NULL, NULL, NULL };
	if (s->status !=
	        BILLING__V1__SUBSCRIPTION_STATUS__SUBSCRIPTION_STATUS_TRIAL &&
	    (prorate || !same)) {
		if (!same) {
			int day = period_anchor_day(now);

			new_end = period_next(now, day, neu.cycle);
			p[2] = call_fmt_int64(ps, now);
			p[3] = call_fmt_int64(pe, new_end);
			snprintf(anchor, sizeof(anchor), "%d", day);
			p[4] = anchor;
		}
		if ((rv = lock_customer(call, s->customer_id, &cu)) != 0 ||
		    (rv = change_invoice(call, s, &old, &neu, prorate, new_end,
		         &cu, &inv.d)) != 0)
			return (rv);
		inv.customer_id = s->customer_id;
		inv.subscription_id = s->id;
		inv.currency = neu.currency;
		inv.run_period_start_us = 0;
		batch.n = 1;
		if ((rv = invoicing_prepare(call, &batch)) != 0)
			return (rv);
	}

	r = call_new(call, billing__v1__subscription_result,
	    Billing__V1__SubscriptionResult);
	if (r == NULL)
		return (call_oom(call));
	if ((rv = call_query(call, &SET_PLAN, 5, p, &res)) != 0)
		return (rv);
	if ((r->subscription = subscriptions_from_row(call, res, 0, 0)) ==
	    NULL)
		return (call_oom(call));
	if (batch.n == 1) {
		if ((rv = invoicing_write(call, &batch, true)) != 0)
			return (rv);
		r->invoice = inv.msg;
	}
	*out = r;
	return (events_record(call, "subscription.plan_changed",
	    "subscription", s->id, s->customer_id,
	    sub_status_name((sub_status) s->status),
	    sub_status_name((sub_status) s->status),
	    sub_event_data(call,
	        "{\"from_plan_id\": %" PRId64 ", \"to_plan_id\": %" PRId64 "}",
	        old.id, neu.id)));
}

const billing_subscriptions_impl subscriptions_impl = {
	.create = subscriptions_create,
	.get = subscriptions_get,
	.list = subscriptions_list,
	.cancel = subscriptions_cancel,
	.reactivate = subscriptions_reactivate,
	.change_plan = subscriptions_change_plan,
};
