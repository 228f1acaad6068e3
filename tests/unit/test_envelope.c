/*
 * The legacy response envelope and the mapping of RPC failures onto the
 * contract's error messages, codes and HTTP statuses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../http-bridge/envelope.h"

static void
assert_env(envelope e, int http, const char *want)
{
	json_error_t err;
	json_t *w = json_loads(want, 0, &err);

	assert_non_null(w);
	assert_int_equal(e.http, http);
	assert_non_null(e.body);
	if (!json_equal(e.body, w)) {
		char *got = json_dumps(e.body, JSON_SORT_KEYS);

		print_error("got  %s\nwant %s\n", got, want);
		free(got);
		fail();
	}
	json_decref(e.body);
	json_decref(w);
}

static envelope
rpc(billing_code code, const char *reason)
{
	billing_status st = BILLING_STATUS_INIT;
	envelope e;

	billing_status_set(&st, code, "detail for operators");
	billing_status_set_reason(&st, reason);
	e = envelope_rpc_error(&st);
	billing_status_fini(&st);
	return (e);
}

static void
test_success_and_lists(void **state)
{
	(void) state;
	assert_env(envelope_ok(json_pack("{s:b}", "deleted", 1)), 200,
	    "{\"success\": true, \"data\": {\"deleted\": true}}");
	assert_env(envelope_list(json_array(), 0, 1, 50), 200,
	    "{\"success\": true, \"data\": [], \"meta\": {\"total\": 0, "
	    "\"page\": 1, \"per_page\": 50}}");
	/* Out of memory while rendering: a server error, not a crash. */
	assert_env(envelope_ok(NULL), 500,
	    "{\"success\": false, \"error\": \"Internal server error\", "
	    "\"error_code\": \"server_error\"}");
}

static void
test_fixed_errors(void **state)
{
	(void) state;
	assert_env(envelope_not_found_path(), 404,
	    "{\"success\": false, \"error\": \"Not found\", \"error_code\": "
	    "\"not_found\"}");
	assert_env(envelope_unauthorized(), 401,
	    "{\"success\": false, \"error\": \"Invalid API key\", "
	    "\"error_code\": \"unauthorized\"}");
	/* The trailing space of an empty action is the contract's. */
	assert_env(envelope_unknown_action("", 0), 400,
	    "{\"success\": false, \"error\": \"Unknown action: \", "
	    "\"error_code\": \"unknown_action\"}");
	assert_env(envelope_unknown_action("LIST", 4), 400,
	    "{\"success\": false, \"error\": \"Unknown action: LIST\", "
	    "\"error_code\": \"unknown_action\"}");
	assert_env(envelope_method_not_allowed(), 405,
	    "{\"success\": false, \"error\": \"Method not allowed\", "
	    "\"error_code\": \"method_not_allowed\"}");
	assert_env(envelope_missing("email"), 200,
	    "{\"success\": false, \"error\": \"Missing parameter: email\", "
	    "\"error_code\": \"missing_parameter\"}");
	assert_env(envelope_invalid("plan_id"), 200,
	    "{\"success\": false, \"error\": \"Invalid parameter: plan_id\","
	    " \"error_code\": \"invalid_parameter\"}");
}

static void
test_rpc_reasons(void **state)
{
	static const struct {
		billing_code code;
		const char *reason, *message, *error_code;
		int http;
	} cases[] = {
		{ BILLING_NOT_FOUND, "CUSTOMER_NOT_FOUND", "User not found",
		    "not_found", 200 },
		{ BILLING_NOT_FOUND, "PLAN_NOT_FOUND", "Plan not found",
		    "not_found", 200 },
		{ BILLING_NOT_FOUND, "SUBSCRIPTION_NOT_FOUND",
		    "Subscription not found", "not_found", 200 },
		{ BILLING_NOT_FOUND, "INVOICE_NOT_FOUND", "Invoice not found",
		    "not_found", 200 },
		{ BILLING_NOT_FOUND, "PAYMENT_NOT_FOUND", "Payment not found",
		    "not_found", 200 },
		{ BILLING_ALREADY_EXISTS, "EMAIL_TAKEN",
		    "Email already registered", "conflict", 200 },
		{ BILLING_ALREADY_EXISTS, "PLAN_CODE_TAKEN",
		    "Plan code already exists", "conflict", 200 },
		{ BILLING_ALREADY_EXISTS, "DUPLICATE_TRANSACTION",
		    "Duplicate transaction", "conflict", 200 },
		{ BILLING_ALREADY_EXISTS, "INVOICE_ALREADY_PAID",
		    "Invoice already paid", "conflict", 200 },
		{ BILLING_FAILED_PRECONDITION, "CUSTOMER_SUSPENDED",
		    "User is suspended", "invalid_state", 200 },
		{ BILLING_FAILED_PRECONDITION, "CURRENCY_MISMATCH",
		    "Currency mismatch", "invalid_state", 200 },
		{ BILLING_FAILED_PRECONDITION,
		    "SUBSCRIPTION_ALREADY_CANCELLED",
		    "Subscription is already cancelled", "invalid_state",
		    200 },
		{ BILLING_FAILED_PRECONDITION,
		    "SUBSCRIPTION_NOT_REACTIVATABLE",
		    "Subscription cannot be reactivated", "invalid_state",
		    200 },
		{ BILLING_FAILED_PRECONDITION, "SUBSCRIPTION_NOT_ACTIVE",
		    "Subscription is not active", "invalid_state", 200 },
		{ BILLING_FAILED_PRECONDITION, "SUBSCRIPTION_PAST_DUE",
		    "Subscription is past due", "invalid_state", 200 },
		{ BILLING_FAILED_PRECONDITION, "ALREADY_ON_PLAN",
		    "Already on this plan", "invalid_state", 200 },
		{ BILLING_FAILED_PRECONDITION, "INVOICE_NOT_VOIDABLE",
		    "Only unpaid invoices can be voided", "invalid_state",
		    200 },
		{ BILLING_FAILED_PRECONDITION, "INVOICE_VOID",
		    "Invoice is void", "invalid_state", 200 },
		{ BILLING_FAILED_PRECONDITION, "PAYMENT_NOT_REFUNDABLE",
		    "Payment cannot be refunded", "invalid_state", 200 },
		/* An amount out of range: the legacy 500. */
		{ BILLING_OUT_OF_RANGE, "MONEY_OUT_OF_RANGE",
		    "Internal server error", "server_error", 500 },
		{ BILLING_INTERNAL, NULL, "Internal server error",
		    "server_error", 500 },
		/* The RPC server away: 503, so that clients retry. */
		{ BILLING_UNAVAILABLE, NULL, "Internal server error",
		    "server_error", 503 },
		{ BILLING_DEADLINE_EXCEEDED, NULL, "Internal server error",
		    "server_error", 503 },
	};

	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char want[300];

		snprintf(want, sizeof(want),
		    "{\"success\": false, \"error\": \"%s\", \"error_code\": "
		    "\"%s\"}",
		    cases[i].message, cases[i].error_code);
		assert_env(
		    rpc(cases[i].code, cases[i].reason), cases[i].http, want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_success_and_lists),
		cmocka_unit_test(test_fixed_errors),
		cmocka_unit_test(test_rpc_reasons),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
