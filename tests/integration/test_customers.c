/*
 * Customers over the wire: every call, its validation rules and errors,
 * against a real server and PostgreSQL.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

/* Creates a customer with email; returns its id (asserts success). */
static int64_t
create(const char *email)
{
	Billing__V1__CreateCustomerRequest req =
	    BILLING__V1__CREATE_CUSTOMER_REQUEST__INIT;
	Billing__V1__Customer *c = NULL;
	billing_status st = BILLING_STATUS_INIT;
	int64_t id;

	req.email = (char *) email;
	assert_int_equal(
	    billing_customers_create(TH.client, &req, &c, NULL, &st), 0);
	id = c->id;
	billing__v1__customer__free_unpacked(c, NULL);
	return (id);
}

/* Expects create to fail with code (and reason, when not NULL). */
static void
create_fails(const Billing__V1__CreateCustomerRequest *req, int code,
    const char *reason, const char *field)
{
	Billing__V1__Customer *c = NULL;
	billing_status st = BILLING_STATUS_INIT;

	assert_int_equal(
	    billing_customers_create(TH.client, req, &c, NULL, &st), code);
	assert_null(c);
	assert_int_equal(st.code, code);
	assert_non_null(st.message);
	if (reason != NULL)
		assert_string_equal(st.reason, reason);
	if (field != NULL) {
		assert_int_equal(st.n_details, 1);
		assert_string_equal(st.details[0].field, field);
	}
	billing_status_fini(&st);
}

static void
test_create_returns_the_stored_customer(void **state)
{
	Billing__V1__CreateCustomerRequest req =
	    BILLING__V1__CREATE_CUSTOMER_REQUEST__INIT;
	Billing__V1__Meta meta = BILLING__V1__META__INIT;
	Billing__V1__MetaEntry e1 = BILLING__V1__META_ENTRY__INIT;
	Billing__V1__MetaEntry *entries[1] = { &e1 };
	Billing__V1__Customer *c = NULL;
	billing_status st = BILLING_STATUS_INIT;

	(void) state;
	req.email = " Anna.Mueller@Example.DE \t";
	req.name = "Anna Müller";
	req.company = "Müller GmbH";
	req.country = "de";
	req.vat_number = "DE123456789";
	e1.key = "phone";
	e1.value = "+49 30 1234";
	meta.n_entries = 1;
	meta.entries = entries;
	req.meta = &meta;
	assert_int_equal(
	    billing_customers_create(TH.client, &req, &c, NULL, &st), 0);
	assert_true(c->id > 0);
	assert_string_equal(c->email, "Anna.Mueller@Example.DE");
	assert_string_equal(c->name, "Anna Müller");
	assert_string_equal(c->company, "Müller GmbH");
	assert_string_equal(c->country, "DE");
	assert_string_equal(c->vat_number, "DE123456789");
	assert_null(c->currency);
	assert_true(c->has_balance_minor);
	assert_int_equal(c->balance_minor, 0);
	assert_int_equal(
	    c->status, BILLING__V1__CUSTOMER_STATUS__CUSTOMER_STATUS_ACTIVE);
	assert_non_null(c->meta);
	assert_int_equal(c->meta->n_entries, 1);
	assert_string_equal(c->meta->entries[0]->key, "phone");
	assert_string_equal(c->meta->entries[0]->value, "+49 30 1234");
	assert_true(c->has_created_at_us && c->created_at_us > 0);
	billing__v1__customer__free_unpacked(c, NULL);
}

static void
test_create_defaults_name_and_leaves_optional_fields_null(void **state)
{
	Billing__V1__CreateCustomerRequest req =
	    BILLING__V1__CREATE_CUSTOMER_REQUEST__INIT;
	Billing__V1__Customer *c = NULL;
	billing_status st = BILLING_STATUS_INIT;

	(void) state;
	req.email = "plain@example.com";
	req.company = "";
	req.country = "";
	assert_int_equal(
	    billing_customers_create(TH.client, &req, &c, NULL, &st), 0);
	assert_string_equal(c->name, "");
	assert_null(c->company);
	assert_null(c->country);
	assert_null(c->vat_number);
	assert_non_null(c->meta);
	assert_int_equal(c->meta->n_entries, 0);
	billing__v1__customer__free_unpacked(c, NULL);
}

static void
test_create_rejects_bad_emails(void **state)
{
	Billing__V1__CreateCustomerRequest req =
	    BILLING__V1__CREATE_CUSTOMER_REQUEST__INIT;
	static const char *const bad[] = { "", "   ", "no-at-sign",
		"two@@example.com", "a@b@c", "with space@example.com",
		"tab\t@example.com", "ff\f@example.com", "vt\v@example.com" };
	char long_email[200];

	(void) state;
	create_fails(&req, BILLING_INVALID_ARGUMENT, "INVALID_FIELD", "email");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		req.email = (char *) bad[i];
		create_fails(
		    &req, BILLING_INVALID_ARGUMENT, "INVALID_FIELD", "email");
	}
	/* 191 bytes is one too many; 190 passes. */
	memset(long_email, 'a', 191);
	long_email[0] = '@';
	long_email[191] = '\0';
	req.email = long_email;
	create_fails(&req, BILLING_INVALID_ARGUMENT, NULL, "email");
	long_email[190] = '\0';
	create(long_email);
}

static void
test_create_accepts_a_lone_at_sign(void **state)
{
	(void) state;
	/* The legacy rule: exactly one '@', nothing more is required. */
	assert_true(create("@") > 0);
}

static void
test_create_rejects_bad_fields(void **state)
{
	Billing__V1__CreateCustomerRequest req =
	    BILLING__V1__CREATE_CUSTOMER_REQUEST__INIT;
	char big[300];

	(void) state;
	req.email = "fields@example.com";
	memset(big, 'x', 256);
	big[256] = '\0';
	req.name = big;
	create_fails(&req, BILLING_INVALID_ARGUMENT, NULL, "name");
	req.name = NULL;
	req.company = big;
	create_fails(&req, BILLING_INVALID_ARGUMENT, NULL, "company");
	req.company = NULL;
	req.country = "DEU";
	create_fails(&req, BILLING_INVALID_ARGUMENT, NULL, "country");
	req.country = "D1";
	create_fails(&req, BILLING_INVALID_ARGUMENT, NULL, "country");
	req.country = NULL;
	big[33] = '\0';
	req.vat_number = big;
	create_fails(&req, BILLING_INVALID_ARGUMENT, NULL, "vat_number");
	req.vat_number = NULL;
	/* Invalid UTF-8 is refused on the wire, naming the field. */
	req.name = "caf\xe9";
	create_fails(&req, BILLING_INVALID_ARGUMENT, NULL, "name");
	req.name = NULL;
	/* 255 bytes fit. */
	big[255] = '\0';
	memset(big, 'y', 255);
	req.name = big;
	{
		Billing__V1__Customer *c = NULL;
		billing_status st = BILLING_STATUS_INIT;

		assert_int_equal(
		    billing_customers_create(TH.client, &req, &c, NULL, &st),
		    0);
		assert_int_equal(strlen(c->name), 255);
		billing__v1__customer__free_unpacked(c, NULL);
	}
}

static void
test_duplicate_email_is_refused_case_insensitively(void **state)
{
	Billing__V1__CreateCustomerRequest req =
	    BILLING__V1__CREATE_CUSTOMER_REQUEST__INIT;

	(void) state;
	create("dup@example.com");
	req.email = "  DUP@Example.com ";
	create_fails(&req, BILLING_ALREADY_EXISTS, "EMAIL_TAKEN", NULL);
	/* Only ASCII letters fold: a different non-ASCII byte is another
	 * email. */
	create("dupé@example.com");
	req.email = "dupÉ@example.com";
	assert_true(create(req.email) > 0);
}

static void
test_deleted_customers_free_their_email(void **state)
{
	Billing__V1__DeleteCustomerRequest del =
	    BILLING__V1__DELETE_CUSTOMER_REQUEST__INIT;
	Billing__V1__DeleteCustomerResponse *r = NULL;
	billing_status st = BILLING_STATUS_INIT;
	int64_t first, second;

	(void) state;
	first = create("reuse@example.com");
	del.has_id = 1;
	del.id = first;
	assert_int_equal(
	    billing_customers_delete(TH.client, &del, &r, NULL, &st), 0);
	billing__v1__delete_customer_response__free_unpacked(r, NULL);
	second = create("Reuse@example.com");
	assert_true(second > first);
}

static void
test_get_finds_live_customers_only(void **state)
{
	Billing__V1__GetCustomerRequest req =
	    BILLING__V1__GET_CUSTOMER_REQUEST__INIT;
	Billing__V1__DeleteCustomerRequest del =
	    BILLING__V1__DELETE_CUSTOMER_REQUEST__INIT;
	Billing__V1__DeleteCustomerResponse *dr = NULL;
	Billing__V1__Customer *c = NULL;
	billing_status st = BILLING_STATUS_INIT;
	int64_t id = create("get@example.com");

	(void) state;
	req.has_id = 1;
	req.id = id;
	assert_int_equal(
	    billing_customers_get(TH.client, &req, &c, NULL, &st), 0);
	assert_int_equal(c->id, id);
	assert_string_equal(c->email, "get@example.com");
	billing__v1__customer__free_unpacked(c, NULL);

	req.id = 987654321;
	assert_int_equal(billing_customers_get(TH.client, &req, &c, NULL, &st),
	    BILLING_NOT_FOUND);
	assert_string_equal(st.reason, "CUSTOMER_NOT_FOUND");
	req.id = 0;
	assert_int_equal(billing_customers_get(TH.client, &req, &c, NULL, &st),
	    BILLING_INVALID_ARGUMENT);
	req.has_id = 0;
	assert_int_equal(billing_customers_get(TH.client, &req, &c, NULL, &st),
	    BILLING_INVALID_ARGUMENT);
	assert_string_equal(st.details[0].field, "id");

	del.has_id = 1;
	del.id = id;
	assert_int_equal(
	    billing_customers_delete(TH.client, &del, &dr, NULL, &st), 0);
	assert_int_equal(dr->customer->status,
	    BILLING__V1__CUSTOMER_STATUS__CUSTOMER_STATUS_DELETED);
	billing__v1__delete_customer_response__free_unpacked(dr, NULL);
	req.has_id = 1;
	req.id = id;
	assert_int_equal(billing_customers_get(TH.client, &req, &c, NULL, &st),
	    BILLING_NOT_FOUND);
	/* Deleting twice: the customer is gone. */
	assert_int_equal(
	    billing_customers_delete(TH.client, &del, &dr, NULL, &st),
	    BILLING_NOT_FOUND);
	billing_status_fini(&st);
}

static void
test_find_is_trimmed_case_insensitive_and_lowest_id_wins(void **state)
{
	Billing__V1__FindCustomerRequest req =
	    BILLING__V1__FIND_CUSTOMER_REQUEST__INIT;
	Billing__V1__Customer *c = NULL;
	billing_status st = BILLING_STATUS_INIT;
	int64_t id = create("Find.Me@Example.com");
	char sql[512];

	(void) state;
	req.email = "  find.me@EXAMPLE.com\n";
	assert_int_equal(
	    billing_customers_find(TH.client, &req, &c, NULL, &st), 0);
	assert_int_equal(c->id, id);
	billing__v1__customer__free_unpacked(c, NULL);

	/* Legacy data holds live duplicates; the lowest id wins. */
	snprintf(sql, sizeof(sql),
	    "INSERT INTO customers (email, email_key, created_at) VALUES"
	    " ('FIND.ME@example.com', 'find.me@example.com', now())");
	assert_int_equal(th_psql(&TH, sql), 0);
	assert_int_equal(
	    billing_customers_find(TH.client, &req, &c, NULL, &st), 0);
	assert_int_equal(c->id, id);
	billing__v1__customer__free_unpacked(c, NULL);

	req.email = "nobody@example.com";
	assert_int_equal(
	    billing_customers_find(TH.client, &req, &c, NULL, &st),
	    BILLING_NOT_FOUND);
	req.email = "";
	assert_int_equal(
	    billing_customers_find(TH.client, &req, &c, NULL, &st),
	    BILLING_INVALID_ARGUMENT);
	billing_status_fini(&st);
}

static int
list(Billing__V1__CustomerStatus status, int page, int size, const char *token,
    Billing__V1__ListCustomersResponse **out)
{
	Billing__V1__ListCustomersRequest req =
	    BILLING__V1__LIST_CUSTOMERS_REQUEST__INIT;
	Billing__V1__PageRequest pr = BILLING__V1__PAGE_REQUEST__INIT;
	billing_status st = BILLING_STATUS_INIT;
	int rv;

	if (status != 0) {
		req.has_status = 1;
		req.status = status;
	}
	pr.has_page = page != 0;
	pr.page = page;
	pr.has_page_size = size > 0;
	pr.page_size = size;
	pr.page_token = (char *) token;
	req.page = &pr;
	rv = billing_customers_list(TH.client, &req, out, NULL, &st);
	billing_status_fini(&st);
	return (rv);
}

static void
test_list_pages_by_number_and_by_token(void **state)
{
	Billing__V1__ListCustomersResponse *r = NULL;
	char total_live[32], total_deleted[32];
	int64_t seen = 0, last = 0;
	char token[64] = "";

	(void) state;
	for (int i = 0; i < 7; i++) {
		char e[64];

		snprintf(e, sizeof(e), "list%d@example.com", i);
		create(e);
	}
	th_psql_value(&TH,
	    "SELECT count(*) FROM customers WHERE status <> "
	    "'deleted'",
	    total_live, sizeof(total_live));
	th_psql_value(&TH,
	    "SELECT count(*) FROM customers WHERE status = "
	    "'deleted'",
	    total_deleted, sizeof(total_deleted));

	assert_int_equal(list(0, 2, 3, NULL, &r), 0);
	assert_int_equal(r->page->total_size, atoll(total_live));
	assert_int_equal(r->n_customers, 3);
	assert_int_equal(r->page->page, 2);
	assert_int_equal(r->page->page_size, 3);
	billing__v1__list_customers_response__free_unpacked(r, NULL);

	/* Token paging visits every live customer once, in id order. */
	do {
		assert_int_equal(
		    list(0, 0, 4, token[0] ? token : NULL, &r), 0);
		for (size_t i = 0; i < r->n_customers; i++) {
			assert_true(r->customers[i]->id > last);
			assert_int_not_equal(r->customers[i]->status,
			    BILLING__V1__CUSTOMER_STATUS__CUSTOMER_STATUS_DELETED);
			last = r->customers[i]->id;
			seen++;
		}
		snprintf(token, sizeof(token), "%s",
		    r->page->next_page_token != NULL ? r->page->next_page_token
		                                     : "");
		billing__v1__list_customers_response__free_unpacked(r, NULL);
	} while (token[0] != '\0');
	assert_int_equal(seen, atoll(total_live));

	/* A page past the end is empty but still counts. */
	assert_int_equal(list(0, 1000, 50, NULL, &r), 0);
	assert_int_equal(r->n_customers, 0);
	assert_int_equal(r->page->total_size, atoll(total_live));
	billing__v1__list_customers_response__free_unpacked(r, NULL);

	assert_int_equal(
	    list(BILLING__V1__CUSTOMER_STATUS__CUSTOMER_STATUS_DELETED, 0, 0,
	        NULL, &r),
	    0);
	assert_int_equal(r->page->total_size, atoll(total_deleted));
	for (size_t i = 0; i < r->n_customers; i++)
		assert_int_equal(r->customers[i]->status,
		    BILLING__V1__CUSTOMER_STATUS__CUSTOMER_STATUS_DELETED);
	billing__v1__list_customers_response__free_unpacked(r, NULL);

	/* Page size above 500 is cut to 500. */
	assert_int_equal(list(0, 0, 100000, NULL, &r), 0);
	assert_int_equal(r->page->page_size, 500);
	billing__v1__list_customers_response__free_unpacked(r, NULL);

	assert_int_equal(
	    list(0, 0, 0, "garbage", &r), BILLING_INVALID_ARGUMENT);
	assert_int_equal(list(0, 2, 0, "id.5", &r), BILLING_INVALID_ARGUMENT);
	assert_int_equal(list(0, -1, 0, NULL, &r), BILLING_INVALID_ARGUMENT);
}

static int
update(Billing__V1__UpdateCustomerRequest *req, Billing__V1__Customer **out,
    billing_status *st)
{
	return (billing_customers_update(TH.client, req, out, NULL, st));
}

static void
test_update_changes_given_fields_only(void **state)
{
	Billing__V1__UpdateCustomerRequest req =
	    BILLING__V1__UPDATE_CUSTOMER_REQUEST__INIT;
	Billing__V1__Meta meta = BILLING__V1__META__INIT;
	Billing__V1__MetaEntry e1 = BILLING__V1__META_ENTRY__INIT;
	Billing__V1__MetaEntry e2 = BILLING__V1__META_ENTRY__INIT;
	Billing__V1__MetaEntry *entries[2] = { &e1, &e2 };
	Billing__V1__Customer *c = NULL;
	billing_status st = BILLING_STATUS_INIT;
	int64_t id = create("update@example.com");

	(void) state;
	req.has_id = 1;
	req.id = id;
	/* No field: the customer comes back unchanged. */
	assert_int_equal(update(&req, &c, &st), 0);
	assert_string_equal(c->email, "update@example.com");
	billing__v1__customer__free_unpacked(c, NULL);

	req.name = "New Name";
	req.country = "at";
	req.company = "ACME";
	e1.key = "a";
	e1.value = "1";
	e2.key = "a";
	e2.value = "2"; /* a repeated key keeps its last value */
	meta.n_entries = 2;
	meta.entries = entries;
	req.meta = &meta;
	req.has_status = 1;
	req.status = BILLING__V1__CUSTOMER_STATUS__CUSTOMER_STATUS_SUSPENDED;
	assert_int_equal(update(&req, &c, &st), 0);
	assert_string_equal(c->name, "New Name");
	assert_string_equal(c->country, "AT");
	assert_string_equal(c->company, "ACME");
	assert_string_equal(c->email, "update@example.com");
	assert_int_equal(c->meta->n_entries, 1);
	assert_string_equal(c->meta->entries[0]->value, "2");
	assert_int_equal(c->status,
	    BILLING__V1__CUSTOMER_STATUS__CUSTOMER_STATUS_SUSPENDED);
	billing__v1__customer__free_unpacked(c, NULL);

	/* Empty strings clear nullable fields; an empty meta clears meta. */
	memset(&req, 0, sizeof(req));
	billing__v1__update_customer_request__init(&req);
	req.has_id = 1;
	req.id = id;
	req.company = "";
	meta.n_entries = 0;
	req.meta = &meta;
	req.email = " UPDATE@example.com ";
	assert_int_equal(update(&req, &c, &st), 0);
	assert_null(c->company);
	assert_int_equal(c->meta->n_entries, 0);
	assert_string_equal(c->email, "UPDATE@example.com");
	assert_string_equal(c->name, "New Name");
	billing__v1__customer__free_unpacked(c, NULL);
	billing_status_fini(&st);
}

static void
test_update_errors(void **state)
{
	Billing__V1__UpdateCustomerRequest req =
	    BILLING__V1__UPDATE_CUSTOMER_REQUEST__INIT;
	Billing__V1__Customer *c = NULL;
	billing_status st = BILLING_STATUS_INIT;
	int64_t id = create("upd-err@example.com");

	(void) state;
	create("taken@example.com");
	req.has_id = 1;
	req.id = id;
	req.email = "Taken@Example.com";
	assert_int_equal(update(&req, &c, &st), BILLING_ALREADY_EXISTS);
	assert_string_equal(st.reason, "EMAIL_TAKEN");
	req.email = "bad email@example.com";
	assert_int_equal(update(&req, &c, &st), BILLING_INVALID_ARGUMENT);
	req.email = NULL;
	req.has_status = 1;
	req.status = BILLING__V1__CUSTOMER_STATUS__CUSTOMER_STATUS_DELETED;
	assert_int_equal(update(&req, &c, &st), BILLING_INVALID_ARGUMENT);
	assert_string_equal(st.details[0].field, "status");
	req.has_status = 0;
	req.id = 99999999;
	req.name = "x";
	assert_int_equal(update(&req, &c, &st), BILLING_NOT_FOUND);
	/* Validation comes before the lookup. */
	req.country = "XYZ";
	assert_int_equal(update(&req, &c, &st), BILLING_INVALID_ARGUMENT);
	billing_status_fini(&st);
}

static void
test_delete_cancels_live_subscriptions_and_records_events(void **state)
{
	Billing__V1__DeleteCustomerRequest del =
	    BILLING__V1__DELETE_CUSTOMER_REQUEST__INIT;
	Billing__V1__DeleteCustomerResponse *r = NULL;
	Billing__V1__ListEventsRequest ev =
	    BILLING__V1__LIST_EVENTS_REQUEST__INIT;
	Billing__V1__ListEventsResponse *er = NULL;
	billing_status st = BILLING_STATUS_INIT;
	int64_t id = create("subs@example.com");
	char sql[1024], buf[64];

	(void) state;
	snprintf(sql, sizeof(sql),
	    "INSERT INTO plans (code, name, price_minor, currency,"
	    " billing_cycle) VALUES ('del-plan', 'P', 100, 'EUR', 'monthly');"
	    "INSERT INTO subscriptions (customer_id, plan_id, status,"
	    " quantity, billing_anchor_day) SELECT %lld, id, s, 1, 1"
	    " FROM plans, unnest(array['trial','active','past_due',"
	    "'cancelled','expired']) s WHERE code = 'del-plan'",
	    (long long) id);
	assert_int_equal(th_psql(&TH, sql), 0);

	del.has_id = 1;
	del.id = id;
	assert_int_equal(
	    billing_customers_delete(TH.client, &del, &r, NULL, &st), 0);
	assert_int_equal(r->cancelled_subscriptions, 3);
	assert_int_equal(r->customer->status,
	    BILLING__V1__CUSTOMER_STATUS__CUSTOMER_STATUS_DELETED);
	billing__v1__delete_customer_response__free_unpacked(r, NULL);

	snprintf(sql, sizeof(sql),
	    "SELECT count(*) FROM subscriptions WHERE customer_id = %lld AND"
	    " status = 'cancelled' AND cancelled_at IS NOT NULL AND NOT"
	    " cancel_at_period_end",
	    (long long) id);
	th_psql_value(&TH, sql, buf, sizeof(buf));
	assert_string_equal(buf, "3"); /* 3 cancelled now + 1 before */

	ev.has_customer_id = 1;
	ev.customer_id = id;
	assert_int_equal(
	    billing_events_list(TH.client, &ev, &er, NULL, &st), 0);
	/* created, 3 subscriptions cancelled, deleted */
	assert_int_equal(er->n_events, 5);
	assert_string_equal(er->events[0]->type, "customer.created");
	assert_string_equal(er->events[4]->type, "customer.deleted");
	assert_string_equal(er->events[4]->before_status, "active");
	assert_string_equal(er->events[4]->after_status, "deleted");
	assert_non_null(er->events[4]->request_id);
	billing__v1__list_events_response__free_unpacked(er, NULL);
	billing_status_fini(&st);
}

#define RACERS 8

static void *
race_create(void *arg)
{
	Billing__V1__CreateCustomerRequest req =
	    BILLING__V1__CREATE_CUSTOMER_REQUEST__INIT;
	Billing__V1__Customer *c = NULL;
	billing_status st = BILLING_STATUS_INIT;
	int *rv = arg;

	req.email = "race@example.com";
	*rv = billing_customers_create(TH.client, &req, &c, NULL, &st);
	if (c != NULL)
		billing__v1__customer__free_unpacked(c, NULL);
	billing_status_fini(&st);
	return (NULL);
}

static void
test_concurrent_creates_with_one_email_make_one_customer(void **state)
{
	pthread_t t[RACERS];
	int rv[RACERS], ok = 0, dup = 0;
	char buf[32];

	(void) state;
	for (int i = 0; i < RACERS; i++)
		pthread_create(&t[i], NULL, race_create, &rv[i]);
	for (int i = 0; i < RACERS; i++) {
		pthread_join(t[i], NULL);
		ok += rv[i] == 0;
		dup += rv[i] == BILLING_ALREADY_EXISTS;
	}
	assert_int_equal(ok, 1);
	assert_int_equal(dup, RACERS - 1);
	th_psql_value(&TH,
	    "SELECT count(*) FROM customers WHERE email_key ="
	    " 'race@example.com'",
	    buf, sizeof(buf));
	assert_string_equal(buf, "1");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_returns_the_stored_customer),
		cmocka_unit_test(
		    test_create_defaults_name_and_leaves_optional_fields_null),
		cmocka_unit_test(test_create_rejects_bad_emails),
		cmocka_unit_test(test_create_accepts_a_lone_at_sign),
		cmocka_unit_test(test_create_rejects_bad_fields),
		cmocka_unit_test(
		    test_duplicate_email_is_refused_case_insensitively),
		cmocka_unit_test(test_deleted_customers_free_their_email),
		cmocka_unit_test(test_get_finds_live_customers_only),
		cmocka_unit_test(
		    test_find_is_trimmed_case_insensitive_and_lowest_id_wins),
		cmocka_unit_test(test_list_pages_by_number_and_by_token),
		cmocka_unit_test(test_update_changes_given_fields_only),
		cmocka_unit_test(test_update_errors),
		cmocka_unit_test(
		    test_delete_cancels_live_subscriptions_and_records_events),
		cmocka_unit_test(
		    test_concurrent_creates_with_one_email_make_one_customer),
	};

	return (cmocka_run_group_tests(tests, th_setup, th_teardown));
}
