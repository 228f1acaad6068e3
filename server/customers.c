/*
 * customers.c: the Customers service.
 *
 * Emails are unique among non-deleted customers, compared by key (see
 * rules/email.h). The legacy data holds such duplicates, so a unique
 * index cannot enforce the rule; instead every write that sets an email
 * first takes a transaction-scoped advisory lock on the key, then looks
 * for a live holder. Two concurrent creates with one email serialize on
 * the lock, and the second sees the first's committed row.
 */
#include <stdio.h>
#include <string.h>

#include "../rules/codes.h"
#include "../rules/email.h"
#include "events.h"
#include "handlers.h"
#include "meta.h"
#include "page.h"

/* Advisory lock namespace of email keys (first key of the pair). */
#define LOCK_EMAIL "1"

#define CUSTOMER_COLS                                                 \
	"id, email, name, company, country, vat_number, currency,"    \
	" balance_minor, status, meta::text, billing_us(created_at)," \
	" billing_us(updated_at)"
#define CUSTOMER_NCOLS 12

static const db_stmt GET = { "customers_get",
	"SELECT " CUSTOMER_COLS " FROM customers"
	" WHERE id = $1 AND status <> 'deleted'" };

static const db_stmt GET_FOR_UPDATE = { "customers_get_for_update",
	"SELECT " CUSTOMER_COLS " FROM customers"
	" WHERE id = $1 AND status <> 'deleted' FOR UPDATE" };

static const db_stmt FIND = { "customers_find",
	"SELECT " CUSTOMER_COLS " FROM customers"
	" WHERE email_key = $1 AND status <> 'deleted' ORDER BY id LIMIT 1" };

/* $1 status or NULL (all but deleted), $2 cursor, $3 limit, $4 offset. */
static const db_stmt LIST = { "customers_list",
	"SELECT t.total, c.* FROM"
	" (SELECT count(*) AS total FROM customers"
	"   WHERE coalesce(status = $1, status <> 'deleted')) t"
	" LEFT JOIN LATERAL"
	" (SELECT " CUSTOMER_COLS " FROM customers"
	"   WHERE coalesce(status = $1, status <> 'deleted') AND id > $2"
	"   ORDER BY id LIMIT $3 OFFSET $4) c ON true" };

static const db_stmt LOCK_EMAIL_KEY = { "customers_lock_email",
	"SELECT pg_advisory_xact_lock(" LOCK_EMAIL ", hashtext($1))" };

static const db_stmt EMAIL_TAKEN = { "customers_email_taken",
	"SELECT id FROM customers WHERE email_key = $1"
	" AND status <> 'deleted' AND id <> $2 LIMIT 1" };

static const db_stmt INSERT = { "customers_insert",
	"INSERT INTO customers (email, email_key, name, company, country,"
	" vat_number, meta, created_at, updated_at)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, billing_ts($8),"
	" billing_ts($8)) RETURNING " CUSTOMER_COLS };

/* A NULL parameter leaves its column; $N_set says whether to set it. */
static const db_stmt UPDATE = { "customers_update",
	"UPDATE customers SET"
	" email = coalesce($2, email), email_key = coalesce($3, email_key),"
	" name = coalesce($4, name),"
	" company = CASE WHEN $5 THEN $6 ELSE company END,"
	" country = CASE WHEN $7 THEN $8 ELSE country END,"
	" vat_number = CASE WHEN $9 THEN $10 ELSE vat_number END,"
	" meta = coalesce($11::jsonb, meta), status = coalesce($12, status),"
	" updated_at = billing_ts($13)"
	" WHERE id = $1 RETURNING " CUSTOMER_COLS };

static const db_stmt MARK_DELETED = { "customers_mark_deleted",
	"UPDATE customers SET status = 'deleted', updated_at = billing_ts($2)"
	" WHERE id = $1 RETURNING " CUSTOMER_COLS };

/*
 * A delete locks the live subscriptions before the customer: the
 * engine's lock order (subscription, customer), so that it cannot
 * deadlock with a billing run or a payment.
 */
static const db_stmt LOCK_SUBSCRIPTIONS = { "customers_lock_subscriptions",
	"SELECT id FROM subscriptions WHERE customer_id = $1"
	" AND status IN ('trial', 'active', 'past_due') ORDER BY id"
	" FOR UPDATE" };

/* Cancels the live subscriptions and records one event for each. */
static const db_stmt CANCEL_SUBSCRIPTIONS = { "customers_cancel_subscriptions",
	"WITH old AS (SELECT id, status FROM subscriptions"
	"   WHERE customer_id = $1 AND status IN ('trial', 'active', "
	"'past_due')"
	"   FOR UPDATE),"
	" upd AS (UPDATE subscriptions s SET status = 'cancelled',"
	"   cancelled_at = billing_ts($2), cancel_at_period_end = false"
	"   FROM old WHERE s.id = old.id RETURNING s.id, old.status AS before)"
	" INSERT INTO events (customer_id, type, object_type, object_id,"
	"   before_status, after_status, request_id, created_at, data)"
	" SELECT $1, 'subscription.cancelled', 'subscription', id, before,"
	"   'cancelled', $3, billing_ts($2),"
	"   '{\"cause\": \"customer.deleted\"}' FROM upd"
	" RETURNING object_id" };

static const char *const STATUS_NAMES[] = {
	[BILLING__V1__CUSTOMER_STATUS__CUSTOMER_STATUS_ACTIVE] = "active",
	[BILLING__V1__CUSTOMER_STATUS__CUSTOMER_STATUS_SUSPENDED] =
	    "suspended",
	[BILLING__V1__CUSTOMER_STATUS__CUSTOMER_STATUS_DELETED] = "deleted",
};

static Billing__V1__CustomerStatus
status_from_text(const char *s)
{
	for (size_t i = 1; i < sizeof(STATUS_NAMES) / sizeof(STATUS_NAMES[0]);
	     i++)
		if (strcmp(s, STATUS_NAMES[i]) == 0)
			return ((Billing__V1__CustomerStatus) i);
	return (BILLING__V1__CUSTOMER_STATUS__CUSTOMER_STATUS_UNSPECIFIED);
}

static const char *
status_text(Billing__V1__CustomerStatus s)
{
	return (s > 0 &&
	            (size_t) s < sizeof(STATUS_NAMES) / sizeof(STATUS_NAMES[0])
	        ? STATUS_NAMES[s]
	        : NULL);
}

/* The customer in columns [c, c + CUSTOMER_NCOLS) of a row. */
static Billing__V1__Customer *
from_row(srv_call *call, const PGresult *res, int row, int c)
{
	Billing__V1__Customer *m =
	    call_new(call, billing__v1__customer, Billing__V1__Customer);

	if (m == NULL)
		return (NULL);
	m->has_id = 1;
	m->id = call_int64(res, row, c + 0);
	m->email = (char *) call_text(res, row, c + 1);
	m->name = (char *) call_text(res, row, c + 2);
	m->company = (char *) call_text(res, row, c + 3);
	m->country = (char *) call_text(res, row, c + 4);
	m->vat_number = (char *) call_text(res, row, c + 5);
	m->currency = (char *) call_text(res, row, c + 6);
	m->has_balance_minor = 1;
	m->balance_minor = call_int64(res, row, c + 7);
	m->has_status = 1;
	m->status = status_from_text(call_text(res, row, c + 8));
	m->meta = meta_from_json(call, call_text(res, row, c + 9));
	if ((m->has_created_at_us = !call_isnull(res, row, c + 10)))
		m->created_at_us = call_int64(res, row, c + 10);
	m->has_updated_at_us = 1;
	m->updated_at_us = call_int64(res, row, c + 11);
	return (m);
}

/* The single customer a statement returned, or NOT_FOUND. */
static int
one(srv_call *call, const PGresult *res, int64_t id,
    Billing__V1__Customer **out)
{
	if (PQntuples(res) == 0)
		return (
		    call_error(call, BILLING_NOT_FOUND, "CUSTOMER_NOT_FOUND",
		        "customer %lld not found", (long long) id));
	if ((*out = from_row(call, res, 0, 0)) == NULL)
		return (call_oom(call));
	return (0);
}

static int
check_id(srv_call *call, bool has, int64_t id)
{
	if (!has)
		return (call_invalid(call, "id", "required"));
	if (id < 1)
		return (call_invalid(call, "id", "must be 1 or more"));
	return (0);
}

/* Text that must fit a column of max bytes (UTF-8 is checked on the wire). */
static int
check_text(srv_call *call, const char *field, const char *s, size_t max)
{
	if (s != NULL && strlen(s) > max)
		return (
		    call_invalid(call, field, "longer than %zu bytes", max));
	return (0);
}

/* The email's trimmed form (*email) and key (*key), in call memory. */
static int
check_email(
    srv_call *call, const char *in, const char **email, const char **key)
{
	const char *t;
	size_t n;
	char *k;

	email_trim(in, strlen(in), &t, &n);
	if (n == 0)
		return (call_invalid(call, "email", "required"));
	if (!email_valid(t, n))
		return (call_invalid(call, "email",
		    "must be at most %d bytes with exactly one '@' and no "
		    "white space",
		    EMAIL_MAX_BYTES));
	if ((k = call_alloc(call, n + 1)) == NULL)
		return (call_oom(call));
	email_key(t, n, k);
	*key = k;
	*email = arena_strndup(call->arena, t, n);
	return (0);
}

/* NULL for "" (the field cleared), else the country in upper case. */
static int
check_country(srv_call *call, const char *in, const char **out)
{
	char cc[3];

	if (in[0] == '\0') {
		*out = NULL;
		return (0);
	}
	if (!country_normalize(in, cc))
		return (call_invalid(
		    call, "country", "must be two ASCII letters"));
	*out = call_strdup(call, cc);
	return (0);
}

static const char *
empty_to_null(const char *s)
{
	return (s != NULL && s[0] != '\0' ? s : NULL);
}

/*
 * Locks the email key and fails ALREADY_EXISTS when a live customer
 * other than self_id holds it.
 */
static int
claim_email(srv_call *call, const char *key, int64_t self_id)
{
	char self[21];
	const char *p[2] = { key, call_fmt_int64(self, self_id) };
	PGresult *res;
	int rv;

	if ((rv = call_query(call, &LOCK_EMAIL_KEY, 1, p, &res)) != 0 ||
	    (rv = call_query(call, &EMAIL_TAKEN, 2, p, &res)) != 0)
		return (rv);
	if (PQntuples(res) > 0)
		return (call_error(call, BILLING_ALREADY_EXISTS, "EMAIL_TAKEN",
		    "email already registered to customer %s",
		    PQgetvalue(res, 0, 0)));
	return (0);
}

/* A request's writable fields, validated and normalized. */
typedef struct checked {
	const char *email;   /* trimmed; NULL when not given */
	const char *key;     /* email_key of email */
	const char *country; /* upper case; NULL when not given or "" */
	const char *meta;    /* JSON; NULL when not given */
} checked;

/* Validates the fields in the contract's order (email first). */
static int
check_fields(srv_call *call, const char *email, const char *name,
    const char *company, const char *country, const char *vat_number,
    const Billing__V1__Meta *meta, checked *out)
{
	int rv;

	memset(out, 0, sizeof(*out));
	if ((email != NULL &&
	        (rv = check_email(call, email, &out->email, &out->key)) !=
	            0) ||
	    (rv = check_text(call, "name", name, 255)) != 0 ||
	    (rv = check_text(call, "company", company, 255)) != 0 ||
	    (country != NULL &&
	        (rv = check_country(call, country, &out->country)) != 0) ||
	    (rv = check_text(call, "vat_number", vat_number, 32)) != 0 ||
	    (meta != NULL &&
	        (rv = meta_to_json(call, "meta", meta, &out->meta)) != 0))
		return (rv);
	return (0);
}

static int
customers_create(srv_call *call, const Billing__V1__CreateCustomerRequest *req,
    Billing__V1__Customer **out)
{
	checked f;
	char now[21];
	PGresult *res;
	int rv;

	if (req->email == NULL)
		return (call_invalid(call, "email", "required"));
	if ((rv = check_fields(call, req->email, req->name, req->company,
	         req->country, req->vat_number, req->meta, &f)) != 0 ||
	    (rv = claim_email(call, f.key, 0)) != 0)
		return (rv);

	const char *p[8] = { f.email, f.key,
		req->name != NULL ? req->name : "",
		empty_to_null(req->company), f.country,
		empty_to_null(req->vat_number), f.meta != NULL ? f.meta : "{}",
		call_fmt_int64(now, call->now_us) };
	if ((rv = call_query(call, &INSERT, 8, p, &res)) != 0 ||
	    (rv = one(call, res, 0, out)) != 0)
		return (rv);
	return (events_record(call, "customer.created", "customer", (*out)->id,
	    (*out)->id, NULL, "active", NULL));
}

static int
customers_get(srv_call *call, const Billing__V1__GetCustomerRequest *req,
    Billing__V1__Customer **out)
{
	char id[21];
	const char *p[1];
	PGresult *res;
	int rv;

	if ((rv = check_id(call, req->has_id, req->id)) != 0)
		return (rv);
	p[0] = call_fmt_int64(id, req->id);
	if ((rv = call_query(call, &GET, 1, p, &res)) != 0)
		return (rv);
	return (one(call, res, req->id, out));
}

static int
customers_find(srv_call *call, const Billing__V1__FindCustomerRequest *req,
    Billing__V1__Customer **out)
{
	const char *p[1];
	PGresult *res;
	char *key;
	int rv;

	if (req->email == NULL || req->email[0] == '\0')
		return (call_invalid(call, "email", "required"));
	if ((key = call_alloc(call, strlen(req->email) + 1)) == NULL)
		return (call_oom(call));
	email_key(req->email, strlen(req->email), key);
	p[0] = key;
	if ((rv = call_query(call, &FIND, 1, p, &res)) != 0)
		return (rv);
	if (PQntuples(res) == 0)
		return (
		    call_error(call, BILLING_NOT_FOUND, "CUSTOMER_NOT_FOUND",
		        "no customer with email %s", req->email));
	return (one(call, res, 0, out));
}

static int
customers_list(srv_call *call, const Billing__V1__ListCustomersRequest *req,
    Billing__V1__ListCustomersResponse **out)
{
	Billing__V1__ListCustomersResponse *r;
	const char *status = NULL;
	page_req pg;
	PGresult *res;
	int rv, n;

	if (req->has_status && (status = status_text(req->status)) == NULL)
		return (call_invalid(call, "status", "unknown status"));
	if ((rv = page_parse(call, req->page, &pg)) != 0)
		return (rv);
	const char *p[4] = { status, pg.cursor_text, pg.fetch_text,
		pg.offset_text };
	if ((rv = call_query(call, &LIST, 4, p, &res)) != 0)
		return (rv);

	r = call_new(call, billing__v1__list_customers_response,
	    Billing__V1__ListCustomersResponse);
	if (r == NULL ||
	    (n = page_items(call, &pg, res, sizeof(*r->customers),
	         (void **) &r->customers)) < 0)
		return (call_oom(call));
	for (int i = 0; i < n; i++)
		if ((r->customers[i] = from_row(call, res, i, 1)) == NULL)
			return (call_oom(call));
	r->n_customers = (size_t) n;
	r->page =
	    page_info(call, &pg, res, n > 0 ? r->customers[n - 1]->id : 0);
	*out = r;
	return (0);
}

static int
customers_update(srv_call *call, const Billing__V1__UpdateCustomerRequest *req,
    Billing__V1__Customer **out)
{
	const char *status = NULL;
	checked f;
	Billing__V1__Customer *old;
	char id[21], now[21];
	PGresult *res;
	int rv;

	if ((rv = check_id(call, req->has_id, req->id)) != 0 ||
	    (rv = check_fields(call, req->email, req->name, req->company,
	         req->country, req->vat_number, req->meta, &f)) != 0)
		return (rv);
	if (req->has_status) {
		if (req->status !=
		        BILLING__V1__CUSTOMER_STATUS__CUSTOMER_STATUS_ACTIVE &&
		    req->status !=
		        BILLING__V1__CUSTOMER_STATUS__CUSTOMER_STATUS_SUSPENDED)
			return (call_invalid(call, "status",
			    "must be ACTIVE or SUSPENDED (use Delete to "
			    "delete)"));
		status = status_text(req->status);
	}

	const char *g[1] = { call_fmt_int64(id, req->id) };
	if ((rv = call_query(call, &GET_FOR_UPDATE, 1, g, &res)) != 0 ||
	    (rv = one(call, res, req->id, &old)) != 0)
		return (rv);
	if (f.key != NULL && (rv = claim_email(call, f.key, req->id)) != 0)
		return (rv);
	if (f.email == NULL && req->name == NULL && req->company == NULL &&
	    req->country == NULL && req->vat_number == NULL &&
	    f.meta == NULL && status == NULL) {
		*out = old;
		return (0);
	}

	const char *p[13] = { id, f.email, f.key, req->name,
		req->company != NULL ? "true" : "false",
		empty_to_null(req->company),
		req->country != NULL ? "true" : "false", f.country,
		req->vat_number != NULL ? "true" : "false",
		empty_to_null(req->vat_number), f.meta, status,
		call_fmt_int64(now, call->now_us) };
	if ((rv = call_query(call, &UPDATE, 13, p, &res)) != 0 ||
	    (rv = one(call, res, req->id, out)) != 0)
		return (rv);
	return (events_record(call, "customer.updated", "customer", req->id,
	    req->id, status_text(old->status), status_text((*out)->status),
	    NULL));
}

static int
customers_delete(srv_call *call, const Billing__V1__DeleteCustomerRequest *req,
    Billing__V1__DeleteCustomerResponse **out)
{
	Billing__V1__DeleteCustomerResponse *r;
	Billing__V1__Customer *old;
	char id[21], now[21];
	PGresult *res;
	int rv;

	if ((rv = check_id(call, req->has_id, req->id)) != 0)
		return (rv);
	const char *p[3] = { call_fmt_int64(id, req->id),
		call_fmt_int64(now, call->now_us), call->request_id };
	if ((rv = call_query(call, &LOCK_SUBSCRIPTIONS, 1, p, &res)) != 0 ||
	    (rv = call_query(call, &GET_FOR_UPDATE, 1, p, &res)) != 0 ||
	    (rv = one(call, res, req->id, &old)) != 0)
		return (rv);
	r = call_new(call, billing__v1__delete_customer_response,
	    Billing__V1__DeleteCustomerResponse);
	if (r == NULL)
		return (call_oom(call));
	if ((rv = call_query(call, &MARK_DELETED, 2, p, &res)) != 0 ||
	    (rv = one(call, res, req->id, &r->customer)) != 0 ||
	    (rv = call_query(call, &CANCEL_SUBSCRIPTIONS, 3, p, &res)) != 0)
		return (rv);
	r->has_cancelled_subscriptions = 1;
	r->cancelled_subscriptions = PQntuples(res);
	*out = r;
	return (events_record(call, "customer.deleted", "customer", req->id,
	    req->id, status_text(old->status), "deleted", NULL));
}

const billing_customers_impl customers_impl = {
	.create = customers_create,
	.get = customers_get,
	.find = customers_find,
	.list = customers_list,
	.update = customers_update,
	.delete = customers_delete,
};
