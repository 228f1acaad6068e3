/*
 * test_cmds: unit tests of billctl's friendly commands without a server
 * (client/billctl/group.c and cmd_*.c): every option table against the
 * request message of its method, the arguments of the subscriptions,
 * invoices, payments, billing and events commands turned into requests,
 * their usage errors, and the tables their responses print as.
 *
 * The test links everything of billctl but main.c, and has its own
 * bctl_usage_error, which keeps the last message for the checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "billctl.h"
#include "output.h"
#include "pbjson.h"

static char last_error[1024];

int
bctl_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	return (BCTL_EXIT_USAGE);
}

static const bctl_group *const GROUPS[] = { &customers_group, &plans_group,
	&subscriptions_group, &invoices_group, &payments_group, &billing_group,
	&events_group, &health_group, &api_keys_group };

#define N_GROUPS (sizeof(GROUPS) / sizeof(GROUPS[0]))

/* ---- helpers ---- */

/* "subscriptions", "create", "--customer", "5", NULL */
#define ARGS(...) ((const char *const[]) { __VA_ARGS__, NULL })

/*
 * Runs the arguments of g's command args[0] through group_request. The
 * request as compact JSON with sorted keys (free it), or NULL with the
 * exit code in *rv and the message in last_error.
 */
static char *
request(const bctl_group *g, const char *const *args, int *rv,
    const billing_method **m)
{
	const bctl_cmd *c = group_cmd(g, args[0]);
	char *argv[32];
	int argc = 0;
	json_t *req;
	bool json;
	char *text;

	assert_non_null(c);
	while (args[argc] != NULL) {
		assert_true(argc < 31);
		argv[argc] = (char *) args[argc];
		argc++;
	}
	argv[argc] = NULL;
	last_error[0] = '\0';
	*rv = group_request(g, c, argc, argv, &req, &json);
	if (*rv != 0 || req == NULL)
		return (NULL);
	if (m != NULL)
		*m = group_method(c, req);
	text = json_dumps(req, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(req);
	assert_non_null(text);
	return (text);
}

/* The command makes exactly the request want, for method m. */
static void
expect_request(const bctl_group *g, const char *const *args, const char *want,
    const billing_method *want_m)
{
	const billing_method *m = NULL;
	int rv;
	char *got = request(g, args, &rv, &m);

	if (got == NULL)
		fail_msg(
		    "%s %s: exit %d: %s", g->name, args[0], rv, last_error);
	if (strcmp(got, want) != 0)
		fail_msg(
		    "%s %s: request %s, want %s", g->name, args[0], got, want);
	assert_ptr_equal(m, want_m);
	free(got);
}

/* The command is a usage error whose message contains want. */
static void
expect_usage(const bctl_group *g, const char *const *args, const char *want)
{
	int rv;
	char *got = request(g, args, &rv, NULL);

	if (got != NULL)
		fail_msg("%s %s: made %s, want the error \"%s\"", g->name,
		    args[0], got, want);
	assert_int_equal(rv, BCTL_EXIT_USAGE);
	if (strstr(last_error, want) == NULL)
		fail_msg("%s %s: error \"%s\" lacks \"%s\"", g->name, args[0],
		    last_error, want);
}

/* The message the command makes of args (free it unpacked). */
static ProtobufCMessage *
message(const bctl_group *g, const char *const *args)
{
	const billing_method *m;
	ProtobufCMessage *msg = NULL;
	char err[256];
	json_t *req;
	char *text;
	int rv;

	text = request(g, args, &rv, &m);
	assert_non_null(text);
	req = json_loads(text, 0, NULL);
	free(text);
	assert_non_null(req);
	if (pbjson_from_json(m->input, req, &msg, err, sizeof(err)) != 0)
		fail_msg("%s %s: %s", g->name, args[0], err);
	json_decref(req);
	return (msg);
}

/* What show prints for m (free it). */
static char *
render(
    int (*show)(FILE *, const ProtobufCMessage *), const ProtobufCMessage *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	assert_non_null(fp);
	assert_int_equal(show(fp, m), BCTL_EXIT_OK);
	assert_int_equal(fclose(fp), 0);
	return (buf);
}

static void
expect_render(const bctl_group *g, const char *cmd, const ProtobufCMessage *m,
    const char *want)
{
	const bctl_cmd *c = group_cmd(g, cmd);
	char *got;

	assert_non_null(c);
	assert_non_null(c->show);
	got = render(c->show, m);
	if (strcmp(got, want) != 0)
		fail_msg(
		    "%s %s printed\n%s\nwant\n%s", g->name, cmd, got, want);
	free(got);
}

/* ---- every table ---- */

/* A value for option o as JSON, as apply() would make it. */
static json_t *
sample(const bctl_opt *o, const char *choice)
{
	switch (o->kind) {
	case BCTL_STRING:
		return (json_string("x"));
	case BCTL_INT32:
	case BCTL_INT64:
	case BCTL_PRICE:
	case BCTL_TIME:
		return (json_integer(1));
	case BCTL_ENUM:
		return (json_string(choice));
	case BCTL_BOOL:
		return (json_true());
	case BCTL_SET:
		return (json_loads(o->choices, JSON_DECODE_ANY, NULL));
	case BCTL_EMPTY:
		return (json_object());
	case BCTL_META:
		return (json_pack("[{s:s, s:s}]", "key", "k", "value", "v"));
	}
	return (NULL);
}

/* {"a": {"b": v}} for the path "a.b" (v stolen). */
static json_t *
nest(const char *path, json_t *v)
{
	const char *dot = strchr(path, '.');
	json_t *o = json_object();
	char head[64];

	assert_non_null(o);
	if (dot == NULL) {
		json_object_set_new(o, path, v);
		return (o);
	}
	snprintf(head, sizeof(head), "%.*s", (int) (dot - path), path);
	json_object_set_new(o, head, nest(dot + 1, v));
	return (o);
}

/* Option o of c makes a request its method takes. */
static void
check_opt(const bctl_group *g, const bctl_cmd *c, const bctl_opt *o,
    const char *choice)
{
	ProtobufCMessage *msg = NULL;
	json_t *v = sample(o, choice), *req;
	const billing_method *m;
	char err[256];

	/* A BCTL_SET value that is not JSON would vanish from requests. */
	if (v == NULL)
		fail_msg("%s %s --%s: no value", g->name, c->name, o->name);
	req = nest(o->field, v);
	m = group_method(c, req);
	if (pbjson_from_json(m->input, req, &msg, err, sizeof(err)) != 0)
		fail_msg("%s %s --%s: %s", g->name, c->name, o->name, err);
	protobuf_c_message_free_unpacked(msg, NULL);
	json_decref(req);
}

/* Every line of the usage of c (of g when NULL) fits in 79 columns. */
static void
check_usage(const bctl_group *g, const bctl_cmd *c)
{
	char *buf = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	assert_non_null(fp);
	if (c != NULL)
		group_cmd_usage(fp, g, c);
	else
		group_usage(fp, g);
	assert_int_equal(fclose(fp), 0);
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save))
		if (strlen(line) > 79)
			fail_msg("%s %s -h: a line of %zu columns: %s",
			    g->name, c != NULL ? c->name : "", strlen(line),
			    line);
	free(buf);
}

static void
check_cmd(const bctl_group *g, const bctl_cmd *c)
{
	const bctl_opt *alt = NULL;

	assert_non_null(c->method);
	assert_non_null(c->summary);
	for (const bctl_opt *o = c->opts; o->name != NULL; o++) {
		assert_non_null(o->field);
		assert_non_null(o->help);
		if (c->alt_field != NULL &&
		    strcmp(o->field, c->alt_field) == 0)
			alt = o;
		if (o->kind == BCTL_ENUM) {
			char buf[128], *p, *save = NULL;

			/* Every choice is a value of the enum. */
			assert_non_null(o->choices);
			snprintf(buf, sizeof(buf), "%s", o->choices);
			for (p = strtok_r(buf, "|", &save); p != NULL;
			     p = strtok_r(NULL, "|", &save))
				check_opt(g, c, o, p);
		} else
			check_opt(g, c, o, NULL);
		/* Flags without value have no metavar; the others do. */
		if (!(o->flags & BCTL_POSITIONAL))
			assert_true((o->metavar == NULL) ==
			    (o->kind == BCTL_BOOL || o->kind == BCTL_EMPTY ||
			        o->kind == BCTL_SET));
	}
	/* An alternative method needs the option that selects it. */
	assert_true((c->alt == NULL) == (c->alt_field == NULL));
	if (c->alt != NULL)
		assert_non_null(alt);
	check_usage(g, c);
}

static void
test_tables(void **state)
{
	(void) state;
	for (size_t i = 0; i < N_GROUPS; i++) {
		const bctl_group *g = GROUPS[i];

		check_usage(g, NULL);
		if (g->self != NULL) {
			check_cmd(g, g->self);
			continue;
		}
		for (const bctl_cmd *c = g->cmds; c->name != NULL; c++) {
			check_cmd(g, c);
			assert_ptr_equal(group_cmd(g, c->name), c);
		}
	}
}

/* ---- requests ---- */

static void
test_subscriptions_requests(void **state)
{
	const bctl_group *g = &subscriptions_group;
	Billing__V1__CreateSubscriptionRequest *cr;
	Billing__V1__CancelSubscriptionRequest *ca;
	Billing__V1__ChangePlanRequest *ch;

	(void) state;
	expect_request(g,
	    ARGS("create", "--customer", "5", "--plan-code", "gold",
	        "--quantity", "3", "--no-trial"),
	    "{\"customer_id\":5,\"plan_code\":\"gold\",\"quantity\":3,"
	    "\"trial\":false}",
	    &billing_method_subscriptions_create);
	expect_request(g, ARGS("create", "--plan=2", "--customer=5", "--json"),
	    "{\"customer_id\":5,\"plan_id\":2}",
	    &billing_method_subscriptions_create);
	/* Without --no-trial the proto's default (true) holds. */
	cr = (Billing__V1__CreateSubscriptionRequest *) message(
	    g, ARGS("create", "--customer", "5", "--plan", "2"));
	assert_false(cr->has_trial);
	assert_true(cr->trial);
	assert_false(cr->has_quantity);
	protobuf_c_message_free_unpacked(&cr->base, NULL);
	cr = (Billing__V1__CreateSubscriptionRequest *) message(
	    g, ARGS("create", "--customer", "5", "--plan", "2", "--no-trial"));
	assert_true(cr->has_trial);
	assert_false(cr->trial);
	protobuf_c_message_free_unpacked(&cr->base, NULL);

	expect_usage(
	    g, ARGS("create", "--plan", "2"), "--customer is required");
	expect_usage(g, ARGS("create", "--customer", "5"),
	    "give --plan or --plan-code");
	expect_usage(g,
	    ARGS("create", "--customer", "5", "--plan", "2", "--plan-code",
	        "gold"),
	    "not both");
	expect_usage(g, ARGS("create", "--customer", "5", "--plan", "gold"),
	    "--plan: \"gold\" is not an integer");
	expect_usage(g,
	    ARGS("create", "--customer", "5", "--plan", "2", "--no-trial=yes"),
	    "--no-trial takes no value");
	expect_usage(g,
	    ARGS("create", "--customer", "5", "--plan", "2", "--quantity",
	        "9999999999"),
	    "is not a 32-bit integer");

	expect_request(g, ARGS("get", "12"), "{\"id\":12}",
	    &billing_method_subscriptions_get);
	expect_usage(g, ARGS("get"), "ID is required");
	expect_usage(g, ARGS("get", "12", "13"), "unexpected argument \"13\"");

	expect_request(g,
	    ARGS("list", "--customer", "5", "--status", "PAST_DUE",
	        "--page-size", "10", "--page-token", "t"),
	    "{\"customer_id\":5,\"page\":{\"page_size\":10,"
	    "\"page_token\":\"t\"},\"status\":\"PAST_DUE\"}",
	    &billing_method_subscriptions_list);
	expect_request(
	    g, ARGS("list"), "{}", &billing_method_subscriptions_list);
	expect_usage(g, ARGS("list", "--status", "paused"),
	    "\"paused\" is not one of trial|active|past_due|cancelled|"
	    "expired");

	expect_request(g, ARGS("cancel", "12"), "{\"id\":12}",
	    &billing_method_subscriptions_cancel);
	expect_request(g, ARGS("cancel", "12", "--immediately"),
	    "{\"at_period_end\":false,\"id\":12}",
	    &billing_method_subscriptions_cancel);
	expect_request(g, ARGS("cancel", "--now-cancel", "12"),
	    "{\"at_period_end\":false,\"id\":12}",
	    &billing_method_subscriptions_cancel);
	ca = (Billing__V1__CancelSubscriptionRequest *) message(
	    g, ARGS("cancel", "12"));
	assert_false(ca->has_at_period_end);
	assert_true(ca->at_period_end);
	protobuf_c_message_free_unpacked(&ca->base, NULL);
	ca = (Billing__V1__CancelSubscriptionRequest *) message(
	    g, ARGS("cancel", "12", "--immediately"));
	assert_true(ca->has_at_period_end);
	assert_false(ca->at_period_end);
	protobuf_c_message_free_unpacked(&ca->base, NULL);
	/* --now is the global test clock, not "cancel now". */
	expect_usage(g, ARGS("cancel", "12", "--now"),
	    "global options go before the command");

	expect_request(g, ARGS("reactivate", "12"), "{\"id\":12}",
	    &billing_method_subscriptions_reactivate);

	expect_request(g,
	    ARGS("change-plan", "12", "--plan-code", "silver", "--no-prorate"),
	    "{\"id\":12,\"plan_code\":\"silver\",\"prorate\":false}",
	    &billing_method_subscriptions_change_plan);
	ch = (Billing__V1__ChangePlanRequest *) message(
	    g, ARGS("change-plan", "12", "--plan", "3"));
	assert_int_equal(ch->id, 12);
	assert_int_equal(ch->plan_id, 3);
	assert_false(ch->has_prorate);
	protobuf_c_message_free_unpacked(&ch->base, NULL);
	expect_usage(
	    g, ARGS("change-plan", "12"), "give --plan or --plan-code");
	expect_usage(g, ARGS("change-plan", "--plan", "3"), "ID is required");
}

static void
test_invoices_requests(void **state)
{
	const bctl_group *g = &invoices_group;
	Billing__V1__ListInvoicesRequest *l;

	(void) state;
	expect_request(
	    g, ARGS("show", "7"), "{\"id\":7}", &billing_method_invoices_get);
	expect_request(g, ARGS("show", "--number", "INV-2024-000001"),
	    "{\"number\":\"INV-2024-000001\"}",
	    &billing_method_invoices_get_by_number);
	expect_usage(g, ARGS("show"), "give an ID or --number");
	expect_usage(
	    g, ARGS("show", "7", "--number", "INV-2024-000001"), "not both");

	expect_request(g,
	    ARGS("list", "--customer", "3", "--subscription", "12", "--status",
	        "unpaid", "--page", "2"),
	    "{\"customer_id\":3,\"page\":{\"page\":2},\"status\":\"unpaid\","
	    "\"subscription_id\":12}",
	    &billing_method_invoices_list);
	l = (Billing__V1__ListInvoicesRequest *) message(
	    g, ARGS("list", "--status", "void"));
	assert_true(l->has_status);
	assert_int_equal(
	    l->status, BILLING__V1__INVOICE_STATUS__INVOICE_STATUS_VOID);
	protobuf_c_message_free_unpacked(&l->base, NULL);
	expect_usage(g, ARGS("list", "--status", "open"),
	    "is not one of unpaid|paid|void|refunded");

	expect_request(g, ARGS("void", "7"), "{\"id\":7}",
	    &billing_method_invoices_void_invoice);
	expect_usage(g, ARGS("void"), "ID is required");
}

static void
test_payments_requests(void **state)
{
	const bctl_group *g = &payments_group;
	Billing__V1__CreatePaymentRequest *p;

	(void) state;
	expect_request(g,
	    ARGS("create", "--invoice", "7", "--amount", "12.50", "--method",
	        "bank_transfer", "--transaction-id", "tx-1", "--failed"),
	    "{\"amount_minor\":1250,\"invoice_id\":7,\"method\":"
	    "\"bank_transfer\",\"status\":\"FAILED\",\"transaction_id\":"
	    "\"tx-1\"}",
	    &billing_method_payments_create);
	p = (Billing__V1__CreatePaymentRequest *) message(g,
	    ARGS("create", "--invoice", "7", "--amount", "0.29", "--method",
	        "card"));
	assert_int_equal(p->amount_minor, 29);
	assert_int_equal(
	    p->method, BILLING__V1__PAYMENT_METHOD__PAYMENT_METHOD_CARD);
	/* Without --failed: the default, SUCCESS. */
	assert_false(p->has_status);
	assert_int_equal(
	    p->status, BILLING__V1__PAYMENT_STATUS__PAYMENT_STATUS_SUCCESS);
	protobuf_c_message_free_unpacked(&p->base, NULL);
	p = (Billing__V1__CreatePaymentRequest *) message(g,
	    ARGS("create", "--invoice", "7", "--amount", "10", "--method",
	        "PayPal", "--failed"));
	assert_int_equal(p->amount_minor, 1000);
	assert_int_equal(
	    p->method, BILLING__V1__PAYMENT_METHOD__PAYMENT_METHOD_PAYPAL);
	assert_true(p->has_status);
	assert_int_equal(
	    p->status, BILLING__V1__PAYMENT_STATUS__PAYMENT_STATUS_FAILED);
	protobuf_c_message_free_unpacked(&p->base, NULL);

	expect_usage(g,
	    ARGS("create", "--invoice", "7", "--amount", "12.505", "--method",
	        "card"),
	    "--amount: \"12.505\" is not an amount such as 9.99");
	expect_usage(g,
	    ARGS("create", "--invoice", "7", "--amount", "-1", "--method",
	        "card"),
	    "is not an amount");
	/* Credit is the engine's; it is never an input. */
	expect_usage(g,
	    ARGS("create", "--invoice", "7", "--amount", "1", "--method",
	        "credit"),
	    "\"credit\" is not one of card|paypal|bank_transfer");
	expect_usage(g, ARGS("create", "--invoice", "7", "--amount", "1"),
	    "--method is required");
	expect_usage(g, ARGS("create", "--amount", "1", "--method", "card"),
	    "--invoice is required");

	expect_request(g,
	    ARGS("list", "--customer", "3", "--invoice", "7", "--page-size",
	        "5"),
	    "{\"customer_id\":3,\"invoice_id\":7,\"page\":{\"page_size\":5}}",
	    &billing_method_payments_list);
	expect_usage(
	    g, ARGS("list", "--invoice", "7"), "--customer is required");

	expect_request(g, ARGS("refund", "4"), "{\"id\":4}",
	    &billing_method_payments_refund);
	expect_usage(g, ARGS("refund"), "ID is required");
}

static void
test_billing_requests(void **state)
{
	const bctl_group *g = &billing_group;

	(void) state;
	expect_request(
	    g, ARGS("run"), "{}", &billing_method_billing_run_cycle);
	expect_request(
	    g, ARGS("run", "--json"), "{}", &billing_method_billing_run_cycle);
	expect_usage(g, ARGS("run", "now"), "unexpected argument \"now\"");
	expect_usage(g, ARGS("run", "--now", "2024-01-01 00:00:00"),
	    "global options go before the command");
	expect_request(g, ARGS("runs", "--page-size", "20"),
	    "{\"page\":{\"page_size\":20}}",
	    &billing_method_billing_list_runs);
}

static void
test_events_requests(void **state)
{
	const bctl_group *g = &events_group;
	Billing__V1__ListEventsRequest *e;

	(void) state;
	expect_request(g,
	    ARGS("list", "--object-type", "invoice", "--object-id", "7",
	        "--customer-id", "3", "--since", "2024-01-31T23:00:00Z",
	        "--until", "2024-02-29T23:00:00Z"),
	    "{\"customer_id\":3,\"object_id\":7,\"object_type\":\"invoice\","
	    "\"since_us\":1706742000000000,\"until_us\":1709247600000000}",
	    &billing_method_events_list);
	e = (Billing__V1__ListEventsRequest *) message(
	    g, ARGS("list", "--since", "1970-01-01T00:00:00Z"));
	assert_true(e->has_since_us);
	assert_int_equal(e->since_us, 0);
	assert_false(e->has_until_us);
	protobuf_c_message_free_unpacked(&e->base, NULL);
	expect_usage(g, ARGS("list", "--since", "2024-01-31"),
	    "--since: \"2024-01-31\" is not an instant such as "
	    "2024-01-31T23:00:00Z (UTC)");
	expect_usage(g, ARGS("list", "--until", "2024-01-31 23:00:00"),
	    "is not an instant");
}

static void
test_api_keys_commands(void **state)
{
	const bctl_group *g = &api_keys_group;
	Billing__V1__ApiKey k = BILLING__V1__API_KEY__INIT;
	Billing__V1__CreateApiKeyResponse r =
	    BILLING__V1__CREATE_API_KEY_RESPONSE__INIT;

	(void) state;
	expect_request(g, ARGS("create", "--name", "bridge"),
	    "{\"name\":\"bridge\"}", &billing_method_api_keys_create);
	expect_request(g,
	    ARGS("create", "--name", "bridge", "--key", "test-key-123"),
	    "{\"key\":\"test-key-123\",\"name\":\"bridge\"}",
	    &billing_method_api_keys_create);
	expect_request(g, ARGS("list", "--all"), "{\"include_revoked\":true}",
	    &billing_method_api_keys_list);
	expect_request(g, ARGS("revoke", "7"), "{\"id\":7}",
	    &billing_method_api_keys_revoke);
	expect_usage(g, ARGS("create"), "--name");

	k.has_id = 1;
	k.id = 7;
	k.name = "bridge";
	k.prefix = "0123abcd";
	k.has_active = 1;
	k.active = 1;
	r.api_key = &k;
	r.key = "0123abcdef";
	expect_render(g, "create", &r.base,
	    "id       7\n"
	    "name     bridge\n"
	    "prefix   0123abcd\n"
	    "active   yes\n"
	    "created  -\n"
	    "revoked  -\n"
	    "key      0123abcdef\n"
	    "Keep the key now: it is not stored and will not be shown "
	    "again.\n");
}

/* ---- rendering ---- */

#define T0 1706742000000000LL /* 2024-01-31T23:00:00Z */
#define T1 1709247600000000LL /* 2024-02-29T23:00:00Z */

static void
fill_subscription(Billing__V1__Subscription *s)
{
	billing__v1__subscription__init(s);
	s->has_id = s->has_customer_id = s->has_plan_id = 1;
	s->id = 12;
	s->customer_id = 3;
	s->plan_id = 2;
	s->has_status = 1;
	s->status =
	    BILLING__V1__SUBSCRIPTION_STATUS__SUBSCRIPTION_STATUS_ACTIVE;
	s->has_quantity = 1;
	s->quantity = 2;
	s->has_billing_anchor_day = 1;
	s->billing_anchor_day = 31;
	s->has_started_at_us = s->has_created_at_us = 1;
	s->started_at_us = s->created_at_us = T0;
	s->has_current_period_start_us = s->has_current_period_end_us = 1;
	s->current_period_start_us = T0;
	s->current_period_end_us = T1;
	s->has_cancel_at_period_end = 1;
}

#define SUBSCRIPTION_TEXT                              \
	"id                    12\n"                   \
	"customer              3\n"                    \
	"plan                  2\n"                    \
	"status                active\n"               \
	"quantity              2\n"                    \
	"anchor_day            31\n"                   \
	"started               2024-01-31T23:00:00Z\n" \
	"trial_ends            -\n"                    \
	"period_start          2024-01-31T23:00:00Z\n" \
	"period_end            2024-02-29T23:00:00Z\n" \
	"cancel_at_period_end  no\n"                   \
	"cancelled             -\n"                    \
	"created               2024-01-31T23:00:00Z\n"
/* The invoice the tests print; items[] its two items. */
static void
fill_invoice(Billing__V1__Invoice *inv, Billing__V1__InvoiceItem *items,
    Billing__V1__InvoiceItem **ptrs)
{
	billing__v1__invoice__init(inv);
	inv->has_id = 1;
	inv->id = 7;
	inv->number = "INV-2024-000001";
	inv->has_customer_id = inv->has_subscription_id = 1;
	inv->customer_id = 3;
	inv->subscription_id = 12;
	inv->currency = "EUR";
	inv->has_subtotal_minor = inv->has_tax_minor = 1;
	inv->subtotal_minor = 1498;
	inv->tax_minor = 285;
	inv->has_total_minor = 1;
	inv->total_minor = 1783;
	inv->has_tax_rate_bp = 1;
	inv->tax_rate_bp = 1900;
	inv->has_status = 1;
	inv->status = BILLING__V1__INVOICE_STATUS__INVOICE_STATUS_UNPAID;
	inv->period_start = "2024-02-01";
	inv->period_end = "2024-03-01";
	inv->due_date = "2024-02-15";
	inv->has_created_at_us = 1;
	inv->created_at_us = T0;
	if (items == NULL)
		return;
	for (int i = 0; i < 2; i++) {
		billing__v1__invoice_item__init(&items[i]);
		items[i].has_id = items[i].has_quantity = 1;
		items[i].has_unit_price_minor = items[i].has_amount_minor = 1;
		ptrs[i] = &items[i];
	}
	items[0].id = 1;
	items[0].description = "Gold Ø";
	items[0].quantity = 2;
	items[0].unit_price_minor = 999;
	items[0].amount_minor = 1998;
	items[1].id = 2;
	items[1].description = "Unused time on Silver";
	items[1].quantity = 1;
	items[1].unit_price_minor = -500;
	items[1].amount_minor = -500;
	inv->n_items = 2;
	inv->items = ptrs;
}

/* The invoice's rows, each line after indent (a string of spaces). */
/* clang-format off */
#define INVOICE_TEXT(in)                                                   \
	in "id            7\n"                                             \
	in "number        INV-2024-000001\n"                               \
	in "customer      3\n"                                             \
	in "subscription  12\n"                                            \
	in "status        unpaid\n"                                        \
	in "period_start  2024-02-01\n"                                    \
	in "period_end    2024-03-01\n"                                    \
	in "due_date      2024-02-15\n"                                    \
	in "subtotal      14.98 EUR\n"                                     \
	in "tax_rate      19.00%\n"                                        \
	in "tax           2.85 EUR\n"                                      \
	in "total         17.83 EUR\n"                                     \
	in "paid          -\n"                                             \
	in "created       2024-01-31T23:00:00Z\n"

#define ITEMS_TEXT(in)                                                     \
	"\n" in "items:\n"                                                 \
	in "  ID  DESCRIPTION            QTY  UNIT_PRICE  AMOUNT\n"         \
	in "  1   Gold Ø                 2    9.99 EUR    19.98 EUR\n"      \
	in "  2   Unused time on Silver  1    -5.00 EUR   -5.00 EUR\n"
/* clang-format on */

static void
test_render_subscriptions(void **state)
{
	const bctl_group *g = &subscriptions_group;
	Billing__V1__Subscription s;
	Billing__V1__SubscriptionResult r =
	    BILLING__V1__SUBSCRIPTION_RESULT__INIT;
	Billing__V1__Invoice inv;
	Billing__V1__InvoiceItem items[2], *ptrs[2];
	Billing__V1__Subscription *list[2];
	Billing__V1__ListSubscriptionsResponse l =
	    BILLING__V1__LIST_SUBSCRIPTIONS_RESPONSE__INIT;
	Billing__V1__PageInfo page = BILLING__V1__PAGE_INFO__INIT;
	Billing__V1__Subscription s2;

	(void) state;
	fill_subscription(&s);
	expect_render(g, "get", &s.base, SUBSCRIPTION_TEXT);
	expect_render(g, "cancel", &s.base, SUBSCRIPTION_TEXT);

	/* A trial; a legacy row's zero date; a cancelled one. */
	s.has_trial_ends_at_us = 1;
	s.trial_ends_at_us = T1;
	s.has_cancel_at_period_end = 1;
	s.cancel_at_period_end = 1;
	s.has_cancelled_at_us = 1;
	s.cancelled_at_us = T1;
	{
		char *got = render(group_cmd(g, "get")->show, &s.base);

		assert_non_null(strstr(
		    got, "\ntrial_ends            2024-02-29T23:00:00Z\n"));
		assert_non_null(strstr(got, "\ncancel_at_period_end  yes\n"));
		assert_non_null(strstr(
		    got, "\ncancelled             2024-02-29T23:00:00Z\n"));
		free(got);
		s.has_trial_ends_at_us = 0;
		s.has_trial_ends_at_legacy_zero = 1;
		s.trial_ends_at_legacy_zero = 1;
		got = render(group_cmd(g, "get")->show, &s.base);
		assert_non_null(strstr(
		    got, "\ntrial_ends            0000-00-00 00:00:00\n"));
		free(got);
	}

	/* Create and change-plan: the invoice only when there is one. */
	fill_subscription(&s);
	r.subscription = &s;
	expect_render(g, "create", &r.base, SUBSCRIPTION_TEXT);
	fill_invoice(&inv, NULL, NULL);
	r.invoice = &inv;
	expect_render(g, "change-plan", &r.base,
	    SUBSCRIPTION_TEXT "\ninvoice:\n" INVOICE_TEXT("  "));
	fill_invoice(&inv, items, ptrs);
	expect_render(g, "create", &r.base,
	    SUBSCRIPTION_TEXT "\ninvoice:\n" INVOICE_TEXT("  ")
	        ITEMS_TEXT("  "));

	/* A list, and its footer. */
	fill_subscription(&s);
	billing__v1__subscription__init(&s2);
	s2.has_id = 1;
	s2.id = 13;
	s2.has_status = 1;
	s2.status =
	    BILLING__V1__SUBSCRIPTION_STATUS__SUBSCRIPTION_STATUS_PAST_DUE;
	list[0] = &s;
	list[1] = &s2;
	l.n_subscriptions = 2;
	l.subscriptions = list;
	page.has_total_size = 1;
	page.total_size = 9;
	page.next_page_token = "abc";
	l.page = &page;
	expect_render(g, "list", &l.base,
	    "ID  CUSTOMER  PLAN  STATUS    QTY  PERIOD_START          "
	    "PERIOD_END            CANCEL_AT_END\n"
	    "12  3         2     active    2    2024-01-31T23:00:00Z  "
	    "2024-02-29T23:00:00Z  no\n"
	    "13  -         -     past_due  -    -                     "
	    "-                     -\n"
	    "2 shown, 9 in all\n"
	    "next page: --page-token abc\n");
}

static void
test_render_invoices(void **state)
{
	const bctl_group *g = &invoices_group;
	Billing__V1__Invoice inv;
	Billing__V1__InvoiceItem items[2], *ptrs[2];
	Billing__V1__Invoice *list[1];
	Billing__V1__ListInvoicesResponse l =
	    BILLING__V1__LIST_INVOICES_RESPONSE__INIT;

	(void) state;
	fill_invoice(&inv, items, ptrs);
	expect_render(g, "show", &inv.base, INVOICE_TEXT("") ITEMS_TEXT(""));
	/* show says so when there are no items; void prints none. */
	fill_invoice(&inv, NULL, NULL);
	expect_render(
	    g, "show", &inv.base, INVOICE_TEXT("") "\nitems: none\n");
	expect_render(g, "void", &inv.base, INVOICE_TEXT(""));

	/* Paid, reverse charge (0 %), no subscription. */
	inv.has_paid_at_us = 1;
	inv.paid_at_us = T1;
	inv.tax_rate_bp = 0;
	inv.has_subscription_id = 0;
	inv.has_status = 1;
	inv.status = BILLING__V1__INVOICE_STATUS__INVOICE_STATUS_PAID;
	{
		char *got = render(group_cmd(g, "void")->show, &inv.base);

		assert_non_null(
		    strstr(got, "\npaid          2024-02-29T23:00:00Z\n"));
		assert_non_null(strstr(got, "\ntax_rate      0.00%\n"));
		assert_non_null(strstr(got, "\nsubscription  -\n"));
		assert_non_null(strstr(got, "\nstatus        paid\n"));
		free(got);
	}
	inv.tax_rate_bp = 750; /* 7.50 % */
	{
		char *got = render(group_cmd(g, "void")->show, &inv.base);

		assert_non_null(strstr(got, "\ntax_rate      7.50%\n"));
		free(got);
	}

	fill_invoice(&inv, NULL, NULL);
	list[0] = &inv;
	l.n_invoices = 1;
	l.invoices = list;
	expect_render(g, "list", &l.base,
	    "ID  NUMBER           CUSTOMER  SUBSCRIPTION  STATUS  TOTAL      "
	    "PERIOD_START  PERIOD_END  DUE_DATE    PAID\n"
	    "7   INV-2024-000001  3         12            unpaid  17.83 EUR  "
	    "2024-02-01    2024-03-01  2024-02-15  -\n"
	    "1 shown\n");
}

#define PAYMENT_TEXT                      \
	"id              4\n"             \
	"invoice         7\n"             \
	"customer        3\n"             \
	"amount          17.83 EUR\n"     \
	"method          bank_transfer\n" \
	"transaction_id  tx-1\n"          \
	"status          success\n"       \
	"created         2024-01-31T23:00:00Z\n"

static void
test_render_payments(void **state)
{
	const bctl_group *g = &payments_group;
	Billing__V1__Payment p = BILLING__V1__PAYMENT__INIT;
	Billing__V1__PaymentResult r = BILLING__V1__PAYMENT_RESULT__INIT;
	Billing__V1__Invoice inv;
	Billing__V1__Payment *list[1];
	Billing__V1__ListPaymentsResponse l =
	    BILLING__V1__LIST_PAYMENTS_RESPONSE__INIT;

	(void) state;
	p.has_id = p.has_invoice_id = p.has_customer_id = 1;
	p.id = 4;
	p.invoice_id = 7;
	p.customer_id = 3;
	p.has_amount_minor = 1;
	p.amount_minor = 1783;
	p.currency = "EUR";
	p.has_method = 1;
	p.method = BILLING__V1__PAYMENT_METHOD__PAYMENT_METHOD_BANK_TRANSFER;
	p.transaction_id = "tx-1";
	p.has_status = 1;
	p.status = BILLING__V1__PAYMENT_STATUS__PAYMENT_STATUS_SUCCESS;
	p.has_created_at_us = 1;
	p.created_at_us = T0;
	r.payment = &p;
	/* A refund of a payment without an invoice (legacy). */
	expect_render(g, "refund", &r.base, PAYMENT_TEXT);
	fill_invoice(&inv, NULL, NULL);
	r.invoice = &inv;
	expect_render(g, "create", &r.base,
	    PAYMENT_TEXT "\ninvoice:\n" INVOICE_TEXT("  "));

	list[0] = &p;
	l.n_payments = 1;
	l.payments = list;
	p.method = BILLING__V1__PAYMENT_METHOD__PAYMENT_METHOD_CREDIT;
	p.transaction_id = NULL;
	expect_render(g, "list", &l.base,
	    "ID  INVOICE  CUSTOMER  AMOUNT     METHOD  STATUS   TRANSACTION  "
	    "CREATED\n"
	    "4   7        3         17.83 EUR  credit  success  -            "
	    "2024-01-31T23:00:00Z\n"
	    "1 shown\n");
}

static void
test_render_billing(void **state)
{
	const bctl_group *g = &billing_group;
	Billing__V1__RunCycleResponse c =
	    BILLING__V1__RUN_CYCLE_RESPONSE__INIT;
	Billing__V1__BillingRun runs[2], *list[2];
	Billing__V1__ListRunsResponse l =
	    BILLING__V1__LIST_RUNS_RESPONSE__INIT;

	(void) state;
	c.has_run_id = 1;
	c.run_id = 5;
	c.has_trials_converted = c.has_renewed = c.has_cancelled = 1;
	c.trials_converted = 1;
	c.renewed = 2;
	c.cancelled = 0;
	c.has_past_due = c.has_expired = c.has_invoices_created = 1;
	c.past_due = 3;
	c.expired = 4;
	c.invoices_created = 3;
	expect_render(g, "run", &c.base,
	    "run               5\n"
	    "trials_converted  1\n"
	    "renewed           2\n"
	    "cancelled         0\n"
	    "past_due          3\n"
	    "expired           4\n"
	    "invoices_created  3\n");

	for (int i = 0; i < 2; i++) {
		billing__v1__billing_run__init(&runs[i]);
		runs[i].has_id = runs[i].has_status = 1;
		runs[i].has_now_us = runs[i].has_started_at_us = 1;
		runs[i].now_us = T0;
		runs[i].started_at_us = T1;
		list[i] = &runs[i];
	}
	runs[0].id = 1;
	runs[0].status = BILLING__V1__RUN_STATUS__RUN_STATUS_SUCCEEDED;
	runs[0].trigger = "rpc";
	runs[0].has_finished_at_us = 1;
	runs[0].finished_at_us = T1;
	runs[0].counts = &c;
	runs[1].id = 2;
	runs[1].status = BILLING__V1__RUN_STATUS__RUN_STATUS_FAILED;
	runs[1].trigger = "schedule";
	runs[1].error = "database unreachable";
	l.n_runs = 2;
	l.runs = list;
	expect_render(g, "runs", &l.base,
	    "ID  STATUS     TRIGGER   NOW                   STARTED        "
	    "       FINISHED              TRIALS  RENEWED  CANCELLED  "
	    "PAST_DUE  EXPIRED  INVOICES  ERROR\n"
	    "1   succeeded  rpc       2024-01-31T23:00:00Z  "
	    "2024-02-29T23:00:00Z  2024-02-29T23:00:00Z  1       2        "
	    "0          3         4        3         -\n"
	    "2   failed     schedule  2024-01-31T23:00:00Z  "
	    "2024-02-29T23:00:00Z  -                     -       -        "
	    "-          -         -        -         database unreachable\n"
	    "2 shown\n");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_subscriptions_requests),
		cmocka_unit_test(test_invoices_requests),
		cmocka_unit_test(test_payments_requests),
		cmocka_unit_test(test_billing_requests),
		cmocka_unit_test(test_events_requests),
		cmocka_unit_test(test_api_keys_commands),
		cmocka_unit_test(test_render_subscriptions),
		cmocka_unit_test(test_render_invoices),
		cmocka_unit_test(test_render_payments),
		cmocka_unit_test(test_render_billing),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
