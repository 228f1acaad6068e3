/*
 * users.c: users.php (docs/legacy-api.md sections 3 and 6). Users are
 * the engine's customers.
 */
#include <stdlib.h>
#include <string.h>

#include "../rules/codes.h"
#include "../rules/email.h"
#include "../util/utf8.h"
#include "check.h"
#include "render.h"

#define META_MAX_MEMBERS PARAMS_MAX_MEMBERS

static const char *const STATUSES[] = { "active", "suspended", "deleted",
	NULL };

static envelope
user_result(int rv, Billing__V1__Customer *c, const billing_status *st)
{
	envelope e =
	    rv == 0 ? envelope_ok(render_user(c)) : envelope_rpc_error(st);

	if (c != NULL)
		billing__v1__customer__free_unpacked(c, NULL);
	return (e);
}

/* email on create/update: trimmed, then the contract's rule. */
static bool
chk_email(const breq *r, bool required, char **out, envelope *err)
{
	const char *v, *t;
	size_t len, n;

	*out = NULL;
	switch (params_string(r->params, "email", &v, &len)) {
	case PARAMS_OK:
		break;
	case PARAMS_EARRAY:
		*err = envelope_invalid("email");
		return (false);
	default:
		if (required) {
			*err = envelope_missing("email");
			return (false);
		}
		return (true);
	}
	email_trim(v, len, &t, &n);
	if (!email_valid(t, n) || !utf8_valid(t, n)) {
		*err = envelope_invalid("email");
		return (false);
	}
	*out = strndup(t, n);
	return (true);
}

/* country: two ASCII letters; "" is absent (the column unchanged). */
static bool
chk_country(const breq *r, char out[3], bool *given, envelope *err)
{
	const char *v;

	*given = false;
	if (!chk_text(r, "country", false, 2, &v, err))
		return (false);
	if (v == NULL)
		return (true);
	if (!country_normalize(v, out)) {
		*err = envelope_invalid("country");
		return (false);
	}
	*given = true;
	return (true);
}

/*
 * meta: a JSON object or meta[k]=v fields, values scalars stored as
 * strings. *m is filled (entries pointing into the params) when given.
 */
static bool
chk_meta(const breq *r, Billing__V1__Meta *m, Billing__V1__MetaEntry *ents,
    Billing__V1__MetaEntry **ptrs, bool *given, envelope *err)
{
	const param *p = params_get(r->params, "meta");

	*given = false;
	if (p == NULL || (p->kind == PARAM_SCALAR && p->len == 0))
		return (true);
	if (p->kind != PARAM_ARRAY || p->n > META_MAX_MEMBERS)
		goto invalid;
	billing__v1__meta__init(m);
	for (size_t i = 0; i < p->n; i++) {
		const param_member *pm = &p->members[i];

		if ((pm->flags & PARAM_MEMBER_NESTED) != 0 ||
		    !utf8_valid(pm->key, pm->keylen) ||
		    !utf8_valid(pm->value, pm->len))
			goto invalid;
		billing__v1__meta_entry__init(&ents[i]);
		ents[i].key = pm->key;
		ents[i].value = pm->value;
		ptrs[i] = &ents[i];
	}
	m->n_entries = p->n;
	m->entries = ptrs;
	*given = true;
	return (true);
invalid:
	*err = envelope_invalid("meta");
	return (false);
}

/* The optional fields of create and update, in the contract's order. */
typedef struct fields {
	char *email;
	const char *name, *company, *vat_number;
	char country[3];
	bool has_country, has_meta;
	Billing__V1__Meta meta;
	Billing__V1__MetaEntry ents[META_MAX_MEMBERS];
	Billing__V1__MetaEntry *ptrs[META_MAX_MEMBERS];
} fields;

static bool
chk_fields(const breq *r, bool email_required, fields *f, envelope *err)
{
	memset(f, 0, sizeof(*f));
	return (chk_email(r, email_required, &f->email, err) &&
	    chk_text(r, "name", false, 255, &f->name, err) &&
	    chk_text(r, "company", false, 255, &f->company, err) &&
	    chk_country(r, f->country, &f->has_country, err) &&
	    chk_text(r, "vat_number", false, 32, &f->vat_number, err) &&
	    chk_meta(r, &f->meta, f->ents, f->ptrs, &f->has_meta, err));
}

static json_t *
user_item(const void *m)
{
	return (render_user(m));
}

static envelope
users_list(breq *r)
{
	Billing__V1__ListCustomersRequest req =
	    BILLING__V1__LIST_CUSTOMERS_REQUEST__INIT;
	Billing__V1__PageRequest pg = BILLING__V1__PAGE_REQUEST__INIT;
	Billing__V1__ListCustomersResponse *resp = NULL;
	billing_status st = BILLING_STATUS_INIT;
	int64_t page;
	envelope err;
	int status;

	if (!chk_enum(r, "status", false, STATUSES, &status, &err) ||
	    !chk_page(r, &pg, &page, &err))
		return (err);
	if (status >= 0) {
		req.has_status = 1;
		req.status = (Billing__V1__CustomerStatus) (status + 1);
	}
	req.page = &pg;
	if (billing_customers_list(r->client, &req, &resp, &r->opts, &st) != 0)
		return (bridge_rpc_error(&st));
	return (bridge_list(&resp->base, (void *const *) resp->customers,
	    resp->n_customers, user_item, resp->page, page, pg.page_size));
}

static envelope
users_get(breq *r)
{
	Billing__V1__GetCustomerRequest req =
	    BILLING__V1__GET_CUSTOMER_REQUEST__INIT;
	Billing__V1__Customer *c = NULL;
	billing_status st = BILLING_STATUS_INIT;
	envelope err, e;
	bool given;
	int rv;

	if (!chk_id(r, "id", true, &given, &req.id, &err))
		return (err);
	req.has_id = 1;
	rv = billing_customers_get(r->client, &req, &c, &r->opts, &st);
	e = user_result(rv, c, &st);
	billing_status_fini(&st);
	return (e);
}

static envelope
users_find(breq *r)
{
	Billing__V1__FindCustomerRequest req =
	    BILLING__V1__FIND_CUSTOMER_REQUEST__INIT;
	Billing__V1__Customer *c = NULL;
	billing_status st = BILLING_STATUS_INIT;
	const char *email, *t;
	envelope err, e;
	size_t len, n;
	bool nomatch;
	int rv;

	/*
	 * Trimmed, no format check, any length (nothing is stored). A NUL
	 * byte inside or invalid UTF-8 matches no stored email.
	 */
	if (!chk_key(r, "email", true, &email, &len, &nomatch, &err))
		return (err);
	email_trim(email, len, &t, &n);
	/* Only white space trims to "", no stored email either. */
	if (n == 0 || !utf8_valid(t, n))
		return (envelope_reason("CUSTOMER_NOT_FOUND"));
	if ((req.email = strndup(t, n)) == NULL)
		return (envelope_server_error());
	rv = billing_customers_find(r->client, &req, &c, &r->opts, &st);
	e = user_result(rv, c, &st);
	billing_status_fini(&st);
	free(req.email);
	return (e);
}

static envelope
users_create(breq *r)
{
	Billing__V1__CreateCustomerRequest req =
	    BILLING__V1__CREATE_CUSTOMER_REQUEST__INIT;
	Billing__V1__Customer *c = NULL;
	billing_status st = BILLING_STATUS_INIT;
	envelope err, e;
	fields *f = calloc(1, sizeof(*f));
	int rv;

	if (f == NULL)
		return (envelope_server_error());
	if (!chk_fields(r, true, f, &err)) {
		free(f->email);
		free(f);
		return (err);
	}
	req.email = f->email;
	req.name = (char *) f->name;
	req.company = (char *) f->company;
	req.country = f->has_country ? f->country : NULL;
	req.vat_number = (char *) f->vat_number;
	req.meta = f->has_meta ? &f->meta : NULL;
	rv = billing_customers_create(r->client, &req, &c, &r->opts, &st);
	e = user_result(rv, c, &st);
	billing_status_fini(&st);
	free(f->email);
	free(f);
	return (e);
}

static envelope
users_update(breq *r)
{
	Billing__V1__UpdateCustomerRequest req =
	    BILLING__V1__UPDATE_CUSTOMER_REQUEST__INIT;
	Billing__V1__Customer *c = NULL;
	billing_status st = BILLING_STATUS_INIT;
	static const char *const SETTABLE[] = { "active", "suspended", NULL };
	envelope err, e;
	fields *f = calloc(1, sizeof(*f));
	bool given;
	int status, rv;

	if (f == NULL)
		return (envelope_server_error());
	if (!chk_id(r, "id", true, &given, &req.id, &err) ||
	    !chk_fields(r, false, f, &err) ||
	    !chk_enum(r, "status", false, SETTABLE, &status, &err)) {
		free(f->email);
		free(f);
		return (err);
	}
	req.has_id = 1;
	req.email = f->email;
	req.name = (char *) f->name;
	req.company = (char *) f->company;
	req.country = f->has_country ? f->country : NULL;
	req.vat_number = (char *) f->vat_number;
	req.meta = f->has_meta ? &f->meta : NULL;
	if (status >= 0) {
		req.has_status = 1;
		req.status = (Billing__V1__CustomerStatus) (status + 1);
	}
	rv = billing_customers_update(r->client, &req, &c, &r->opts, &st);
	e = user_result(rv, c, &st);
	billing_status_fini(&st);
	free(f->email);
	free(f);
	return (e);
}

static envelope
users_delete(breq *r)
{
	Billing__V1__DeleteCustomerRequest req =
	    BILLING__V1__DELETE_CUSTOMER_REQUEST__INIT;
	Billing__V1__DeleteCustomerResponse *resp = NULL;
	billing_status st = BILLING_STATUS_INIT;
	envelope err, e;
	bool given;

	if (!chk_id(r, "id", true, &given, &req.id, &err))
		return (err);
	req.has_id = 1;
	if (billing_customers_delete(r->client, &req, &resp, &r->opts, &st) ==
	    0) {
		e = envelope_ok(json_pack("{s:b}", "deleted", 1));
		billing__v1__delete_customer_response__free_unpacked(
		    resp, NULL);
	} else
		e = envelope_rpc_error(&st);
	billing_status_fini(&st);
	return (e);
}

const baction users_actions[] = {
	{ "list", false, users_list },
	{ "get", false, users_get },
	{ "find", false, users_find },
	{ "create", true, users_create },
	{ "update", true, users_update },
	{ "delete", true, users_delete },
	{ NULL, false, NULL },
};
