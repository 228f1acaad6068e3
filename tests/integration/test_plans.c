/*
 * Plans over the wire: create, get by id or code, list, archive, and the
 * validation rules of the contract.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

static Billing__V1__CreatePlanRequest
plan_req(const char *code, int64_t price)
{
	Billing__V1__CreatePlanRequest r =
	    BILLING__V1__CREATE_PLAN_REQUEST__INIT;

	r.code = (char *) code;
	r.name = "Basic";
	r.has_price_minor = 1;
	r.price_minor = price;
	return (r);
}

static int
create(const Billing__V1__CreatePlanRequest *req, Billing__V1__Plan **out,
    billing_status *st)
{
	return (billing_plans_create(TH.client, req, out, NULL, st));
}

static void
test_create_applies_defaults(void **state)
{
	Billing__V1__CreatePlanRequest req = plan_req("basic", 999);
	Billing__V1__Plan *p = NULL;
	billing_status st = BILLING_STATUS_INIT;

	(void) state;
	assert_int_equal(create(&req, &p, &st), 0);
	assert_true(p->id > 0);
	assert_string_equal(p->code, "basic");
	assert_string_equal(p->name, "Basic");
	assert_int_equal(p->price_minor, 999);
	assert_string_equal(p->currency, "EUR");
	assert_int_equal(p->billing_cycle,
	    BILLING__V1__BILLING_CYCLE__BILLING_CYCLE_MONTHLY);
	assert_int_equal(p->trial_days, 0);
	assert_true(p->has_active && p->active);
	assert_true(p->has_created_at_us);
	billing__v1__plan__free_unpacked(p, NULL);
}

static void
test_create_takes_every_field(void **state)
{
	Billing__V1__CreatePlanRequest req = plan_req("pro-yearly-2", 0);
	Billing__V1__Plan *p = NULL;
	billing_status st = BILLING_STATUS_INIT;

	(void) state;
	req.name = "Büro Flatrate";
	req.currency = "GBP";
	req.has_billing_cycle = 1;
	req.billing_cycle = BILLING__V1__BILLING_CYCLE__BILLING_CYCLE_YEARLY;
	req.has_trial_days = 1;
	req.trial_days = 365;
	req.price_minor = 9999999999LL; /* 99,999,999.99, the largest */
	assert_int_equal(create(&req, &p, &st), 0);
	assert_string_equal(p->name, "Büro Flatrate");
	assert_string_equal(p->currency, "GBP");
	assert_int_equal(p->billing_cycle,
	    BILLING__V1__BILLING_CYCLE__BILLING_CYCLE_YEARLY);
	assert_int_equal(p->trial_days, 365);
	assert_int_equal(p->price_minor, 9999999999LL);
	billing__v1__plan__free_unpacked(p, NULL);
}

/* Expects req to fail INVALID_ARGUMENT on field. */
static void
invalid(const Billing__V1__CreatePlanRequest *req, const char *field)
{
	Billing__V1__Plan *p = NULL;
	billing_status st = BILLING_STATUS_INIT;

	assert_int_equal(create(req, &p, &st), BILLING_INVALID_ARGUMENT);
	assert_null(p);
	assert_int_equal(st.n_details, 1);
	assert_string_equal(st.details[0].field, field);
	billing_status_fini(&st);
}

static void
test_create_validates_in_order(void **state)
{
	Billing__V1__CreatePlanRequest req = plan_req(NULL, 100);
	static const char *const bad_codes[] = { "UPPER", "with space",
		"under_score", "ü",
		"a123456789012345678901234567890123456789012345678901234567890"
		"1234" };
	char long_name[300];

	(void) state;
	invalid(&req, "code");
	for (size_t i = 0; i < sizeof(bad_codes) / sizeof(bad_codes[0]); i++) {
		req.code = (char *) bad_codes[i];
		invalid(&req, "code");
	}
	req.code = "ok-code";
	req.name = NULL;
	invalid(&req, "name");
	req.name = "";
	invalid(&req, "name");
	memset(long_name, 'n', 256);
	long_name[256] = '\0';
	req.name = long_name;
	invalid(&req, "name");
	req.name = "Name";
	req.has_price_minor = 0;
	invalid(&req, "price_minor");
	req.has_price_minor = 1;
	req.price_minor = -1;
	invalid(&req, "price_minor");
	req.price_minor = 10000000000LL;
	invalid(&req, "price_minor");
	req.price_minor = 100;
	req.currency = "eur";
	invalid(&req, "currency");
	req.currency = "CHF";
	invalid(&req, "currency");
	req.currency = NULL;
	req.has_billing_cycle = 1;
	req.billing_cycle =
	    BILLING__V1__BILLING_CYCLE__BILLING_CYCLE_UNSPECIFIED;
	invalid(&req, "billing_cycle");
	req.has_billing_cycle = 0;
	req.has_trial_days = 1;
	req.trial_days = 366;
	invalid(&req, "trial_days");
	req.trial_days = -1;
	invalid(&req, "trial_days");
	/* An invalid code is reported before an invalid price. */
	req.code = "BAD";
	req.price_minor = -5;
	invalid(&req, "code");
}

static void
test_duplicate_code_is_refused(void **state)
{
	Billing__V1__CreatePlanRequest req = plan_req("dup-code", 100);
	Billing__V1__Plan *p = NULL;
	billing_status st = BILLING_STATUS_INIT;

	(void) state;
	assert_int_equal(create(&req, &p, &st), 0);
	billing__v1__plan__free_unpacked(p, NULL);
	p = NULL;
	assert_int_equal(create(&req, &p, &st), BILLING_ALREADY_EXISTS);
	assert_string_equal(st.reason, "PLAN_CODE_TAKEN");
	assert_null(p);
	billing_status_fini(&st);
}

#define RACERS 8

static void *
race(void *arg)
{
	Billing__V1__CreatePlanRequest req = plan_req("race-code", 100);
	Billing__V1__Plan *p = NULL;
	billing_status st = BILLING_STATUS_INIT;

	*(int *) arg = create(&req, &p, &st);
	if (p != NULL)
		billing__v1__plan__free_unpacked(p, NULL);
	billing_status_fini(&st);
	return (NULL);
}

static void
test_concurrent_creates_of_one_code_make_one_plan(void **state)
{
	pthread_t t[RACERS];
	int rv[RACERS], ok = 0, dup = 0;

	(void) state;
	for (int i = 0; i < RACERS; i++)
		pthread_create(&t[i], NULL, race, &rv[i]);
	for (int i = 0; i < RACERS; i++) {
		pthread_join(t[i], NULL);
		ok += rv[i] == 0;
		dup += rv[i] == BILLING_ALREADY_EXISTS;
	}
	assert_int_equal(ok, 1);
	assert_int_equal(dup, RACERS - 1);
}

static int
get(int64_t id, const char *code, Billing__V1__Plan **out, billing_status *st)
{
	Billing__V1__GetPlanRequest req = BILLING__V1__GET_PLAN_REQUEST__INIT;

	req.has_id = id != 0;
	req.id = id;
	req.code = (char *) code;
	return (billing_plans_get(TH.client, &req, out, NULL, st));
}

static void
test_get_by_id_or_code(void **state)
{
	Billing__V1__CreatePlanRequest req = plan_req("get-me", 500);
	Billing__V1__Plan *p = NULL, *q = NULL;
	billing_status st = BILLING_STATUS_INIT;
	int64_t id;

	(void) state;
	assert_int_equal(create(&req, &p, &st), 0);
	id = p->id;
	billing__v1__plan__free_unpacked(p, NULL);

	assert_int_equal(get(id, NULL, &q, &st), 0);
	assert_string_equal(q->code, "get-me");
	billing__v1__plan__free_unpacked(q, NULL);
	assert_int_equal(get(0, "get-me", &q, &st), 0);
	assert_int_equal(q->id, id);
	billing__v1__plan__free_unpacked(q, NULL);
	/* Codes match byte for byte. */
	assert_int_equal(get(0, "GET-ME", &q, &st), BILLING_NOT_FOUND);
	assert_string_equal(st.reason, "PLAN_NOT_FOUND");
	/* The id wins over the code, and is validated even then. */
	assert_int_equal(get(id, "nope", &q, &st), 0);
	billing__v1__plan__free_unpacked(q, NULL);
	assert_int_equal(get(-1, "get-me", &q, &st), BILLING_INVALID_ARGUMENT);
	assert_int_equal(get(4294967296LL, NULL, &q, &st), BILLING_NOT_FOUND);
	assert_int_equal(get(0, NULL, &q, &st), BILLING_INVALID_ARGUMENT);
	assert_string_equal(st.details[0].field, "id");
	billing_status_fini(&st);
}

static int
list(bool all, int page, int size, Billing__V1__ListPlansResponse **out)
{
	Billing__V1__ListPlansRequest req =
	    BILLING__V1__LIST_PLANS_REQUEST__INIT;
	Billing__V1__PageRequest pr = BILLING__V1__PAGE_REQUEST__INIT;
	billing_status st = BILLING_STATUS_INIT;
	int rv;

	req.has_include_archived = all;
	req.include_archived = all;
	pr.has_page = page != 0;
	pr.page = page;
	pr.has_page_size = size != 0;
	pr.page_size = size;
	req.page = &pr;
	rv = billing_plans_list(TH.client, &req, out, NULL, &st);
	billing_status_fini(&st);
	return (rv);
}

static void
test_archive_hides_from_list_but_not_from_get(void **state)
{
	Billing__V1__CreatePlanRequest req = plan_req("to-archive", 100);
	Billing__V1__ArchivePlanRequest ar =
	    BILLING__V1__ARCHIVE_PLAN_REQUEST__INIT;
	Billing__V1__ListEventsRequest ev =
	    BILLING__V1__LIST_EVENTS_REQUEST__INIT;
	Billing__V1__ListEventsResponse *er = NULL;
	Billing__V1__ListPlansResponse *l = NULL;
	Billing__V1__Plan *p = NULL;
	billing_status st = BILLING_STATUS_INIT;
	int64_t id, active_before, all_before;

	(void) state;
	assert_int_equal(list(false, 0, 0, &l), 0);
	active_before = l->page->total_size;
	billing__v1__list_plans_response__free_unpacked(l, NULL);
	assert_int_equal(list(true, 0, 0, &l), 0);
	all_before = l->page->total_size;
	billing__v1__list_plans_response__free_unpacked(l, NULL);

	assert_int_equal(create(&req, &p, &st), 0);
	id = p->id;
	billing__v1__plan__free_unpacked(p, NULL);
	ar.has_id = 1;
	ar.id = id;
	for (int i = 0; i < 2; i++) { /* archiving twice returns it again */
		assert_int_equal(
		    billing_plans_archive(TH.client, &ar, &p, NULL, &st), 0);
		assert_int_equal(p->id, id);
		assert_false(p->active);
		billing__v1__plan__free_unpacked(p, NULL);
	}
	assert_int_equal(get(id, NULL, &p, &st), 0);
	assert_false(p->active);
	billing__v1__plan__free_unpacked(p, NULL);

	assert_int_equal(list(false, 0, 0, &l), 0);
	assert_int_equal(l->page->total_size, active_before);
	for (size_t i = 0; i < l->n_plans; i++)
		assert_true(l->plans[i]->active);
	billing__v1__list_plans_response__free_unpacked(l, NULL);
	assert_int_equal(list(true, 0, 0, &l), 0);
	assert_int_equal(l->page->total_size, all_before + 1);
	billing__v1__list_plans_response__free_unpacked(l, NULL);

	/* One event for the archive, none for the repeat. */
	ev.object_type = "plan";
	ev.has_object_id = 1;
	ev.object_id = id;
	assert_int_equal(
	    billing_events_list(TH.client, &ev, &er, NULL, &st), 0);
	assert_int_equal(er->n_events, 2);
	assert_string_equal(er->events[0]->type, "plan.created");
	assert_string_equal(er->events[1]->type, "plan.archived");
	billing__v1__list_events_response__free_unpacked(er, NULL);

	ar.id = 99999999;
	assert_int_equal(billing_plans_archive(TH.client, &ar, &p, NULL, &st),
	    BILLING_NOT_FOUND);
	ar.has_id = 0;
	assert_int_equal(billing_plans_archive(TH.client, &ar, &p, NULL, &st),
	    BILLING_INVALID_ARGUMENT);
	billing_status_fini(&st);
}

static void
test_list_is_ordered_by_id_and_pages(void **state)
{
	Billing__V1__ListPlansResponse *l = NULL;
	Billing__V1__Plan *p = NULL;
	billing_status st = BILLING_STATUS_INIT;

	(void) state;
	for (int i = 0; i < 5; i++) {
		char code[32];
		Billing__V1__CreatePlanRequest req;

		snprintf(code, sizeof(code), "page-%d", i);
		req = plan_req(code, 100 + i);
		assert_int_equal(create(&req, &p, &st), 0);
		billing__v1__plan__free_unpacked(p, NULL);
	}
	assert_int_equal(list(true, 0, 0, &l), 0);
	for (size_t i = 1; i < l->n_plans; i++)
		assert_true(l->plans[i]->id > l->plans[i - 1]->id);
	billing__v1__list_plans_response__free_unpacked(l, NULL);
	assert_int_equal(list(true, 2, 2, &l), 0);
	assert_int_equal(l->n_plans, 2);
	assert_int_equal(l->page->page, 2);
	assert_non_null(l->page->next_page_token);
	billing__v1__list_plans_response__free_unpacked(l, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_applies_defaults),
		cmocka_unit_test(test_create_takes_every_field),
		cmocka_unit_test(test_create_validates_in_order),
		cmocka_unit_test(test_duplicate_code_is_refused),
		cmocka_unit_test(
		    test_concurrent_creates_of_one_code_make_one_plan),
		cmocka_unit_test(test_get_by_id_or_code),
		cmocka_unit_test(
		    test_archive_hides_from_list_but_not_from_get),
		cmocka_unit_test(test_list_is_ordered_by_id_and_pages),
	};

	return (cmocka_run_group_tests(tests, th_setup, th_teardown));
}
