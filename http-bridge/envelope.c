/*
 * envelope.c: see envelope.h.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "utf8.h"

/* The engine's reasons (docs/billing.md, "Errors") and their messages. */
static const struct {
	const char *reason;
	int http;
	const char *code;
	const char *message;
} REASONS[] = {
	{ "CUSTOMER_NOT_FOUND", 200, "not_found", "User not found" },
	{ "PLAN_NOT_FOUND", 200, "not_found", "Plan not found" },
	{ "SUBSCRIPTION_NOT_FOUND", 200, "not_found",
	    "Subscription not found" },
	{ "INVOICE_NOT_FOUND", 200, "not_found", "Invoice not found" },
	{ "PAYMENT_NOT_FOUND", 200, "not_found", "Payment not found" },
	{ "EMAIL_TAKEN", 200, "conflict", "Email already registered" },
	{ "PLAN_CODE_TAKEN", 200, "conflict", "Plan code already exists" },
	{ "DUPLICATE_TRANSACTION", 200, "conflict", "Duplicate transaction" },
	{ "INVOICE_ALREADY_PAID", 200, "conflict", "Invoice already paid" },
	{ "CUSTOMER_SUSPENDED", 200, "invalid_state", "User is suspended" },
	{ "CURRENCY_MISMATCH", 200, "invalid_state", "Currency mismatch" },
	{ "SUBSCRIPTION_ALREADY_CANCELLED", 200, "invalid_state",
	    "Subscription is already cancelled" },
	{ "SUBSCRIPTION_NOT_REACTIVATABLE", 200, "invalid_state",
	    "Subscription cannot be reactivated" },
	{ "SUBSCRIPTION_NOT_ACTIVE", 200, "invalid_state",
	    "Subscription is not active" },
	{ "SUBSCRIPTION_PAST_DUE", 200, "invalid_state",
	    "Subscription is past due" },
	{ "ALREADY_ON_PLAN", 200, "invalid_state", "Already on this plan" },
	{ "INVOICE_NOT_VOIDABLE", 200, "invalid_state",
	    "Only unpaid invoices can be voided" },
	{ "INVOICE_VOID", 200, "invalid_state", "Invoice is void" },
	{ "PAYMENT_NOT_REFUNDABLE", 200, "invalid_state",
	    "Payment cannot be refunded" },
	{ "INVALID_API_KEY", 401, "unauthorized", "Invalid API key" },
};

#define SERVER_ERROR "Internal server error"

/* The contract's error of an engine reason; false if it has none. */
static bool
reason_error(const char *reason, legacy_error *out)
{
	for (size_t i = 0;
	     reason != NULL && i < sizeof(REASONS) / sizeof(REASONS[0]); i++)
		if (strcmp(reason, REASONS[i].reason) == 0) {
			out->http = REASONS[i].http;
			out->code = REASONS[i].code;
			out->message = REASONS[i].message;
			return (true);
		}
	return (false);
}

void
envelope_error_of(const billing_status *st, legacy_error *out)
{
	if (reason_error(st->reason, out))
		return;
	/*
	 * Anything else is unexpected for a request the bridge validated:
	 * an amount out of range, a database failure. The server being
	 * unreachable is 503, so that clients and balancers retry.
	 */
	out->code = "server_error";
	out->message = SERVER_ERROR;
	out->http = st->code == BILLING_UNAVAILABLE ||
	        st->code == BILLING_DEADLINE_EXCEEDED
	    ? 503
	    : 500;
}

envelope
envelope_error(int http, const char *message, const char *code)
{
	envelope e = { http,
		json_pack("{s:b, s:s, s:s}", "success", 0, "error", message,
		    "error_code", code) };

	return (e);
}

envelope
envelope_server_error(void)
{
	return (envelope_error(500, SERVER_ERROR, "server_error"));
}

envelope
envelope_ok(json_t *data)
{
	envelope e = { 200, NULL };

	if (data == NULL)
		return (envelope_server_error());
	e.body = json_pack("{s:b, s:o}", "success", 1, "data", data);
	return (e);
}

envelope
envelope_list(json_t *items, int64_t total, int64_t page, int per_page)
{
	envelope e = { 200, NULL };

	if (items == NULL)
		return (envelope_server_error());
	e.body = json_pack("{s:b, s:o, s:{s:I, s:I, s:i}}", "success", 1,
	    "data", items, "meta", "total", (json_int_t) total, "page",
	    (json_int_t) page, "per_page", per_page);
	return (e);
}

envelope
envelope_reason(const char *reason)
{
	legacy_error le;

	if (!reason_error(reason, &le))
		return (envelope_server_error());
	return (envelope_error(le.http, le.message, le.code));
}

envelope
envelope_rpc_error(const billing_status *st)
{
	legacy_error le;

	envelope_error_of(st, &le);
	return (envelope_error(le.http, le.message, le.code));
}

envelope
envelope_not_found_path(void)
{
	return (envelope_error(404, "Not found", "not_found"));
}

envelope
envelope_unauthorized(void)
{
	return (envelope_error(401, "Invalid API key", "unauthorized"));
}

envelope
envelope_unknown_action(const char *action, size_t len)
{
	static const char prefix[] = "Unknown action: ";
	size_t n, plen = sizeof(prefix) - 1;
	char *text = utf8_php_substitute(action, len, &n), *msg;
	envelope e = { 400, NULL };

	/* Echoed whole, invalid UTF-8 as U+FFFD, NUL bytes kept. */
	if (text == NULL || (msg = malloc(plen + n + 1)) == NULL) {
		free(text);
		return (envelope_server_error());
	}
	memcpy(msg, prefix, plen);
	memcpy(msg + plen, text, n + 1);
	e.body = json_pack("{s:b, s:s#, s:s}", "success", 0, "error", msg,
	    plen + n, "error_code", "unknown_action");
	free(text);
	free(msg);
	return (e);
}

envelope
envelope_method_not_allowed(void)
{
	return (
	    envelope_error(405, "Method not allowed", "method_not_allowed"));
}

envelope
envelope_missing(const char *param)
{
	char msg[300];

	snprintf(msg, sizeof(msg), "Missing parameter: %s", param);
	return (envelope_error(200, msg, "missing_parameter"));
}

envelope
envelope_invalid(const char *param)
{
	char msg[300];

	snprintf(msg, sizeof(msg), "Invalid parameter: %s", param);
	return (envelope_error(200, msg, "invalid_parameter"));
}
