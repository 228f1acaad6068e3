/*
 * test_pbjson: unit tests of billctl's JSON <-> protobuf-c conversion
 * (client/billctl/pbjson.c): a round trip of every field type through
 * JSON, the wire format and back, and every error path.
 *
 * Our protos have no oneof and no repeated scalar field, so a message of
 * the test's own ("test.Kitchen", described by hand below the way
 * protoc-c would) covers those.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "billing_methods.h"
#include "pbjson.h"

/* ---- test.Kitchen ---- */

typedef struct Kitchen {
	ProtobufCMessage base;
	uint32_t kind_case; /* oneof kind { int64 num = 1; string text = 2 } */
	union {
		int64_t num;
		char *text;
	};
	size_t n_nums;
	int64_t *nums;
	size_t n_tags;
	char **tags;
	size_t n_blobs;
	ProtobufCBinaryData *blobs;
	size_t n_cycles;
	Billing__V1__BillingCycle *cycles;
	size_t n_flags;
	protobuf_c_boolean *flags;
	protobuf_c_boolean has_big;
	uint64_t big;
	protobuf_c_boolean has_small;
	uint32_t small;
	size_t n_ints;
	int32_t *ints;
	size_t n_pages;
	Billing__V1__PageRequest **pages;
	char *label; /* optional string label = 12 [default = "none"] */
} Kitchen;

static const char kitchen_label_default[] = "none";

#define F(name, id, label, type, q, member, desc, def, flags)                \
	{                                                                    \
		name, id, PROTOBUF_C_LABEL_##label, PROTOBUF_C_TYPE_##type,  \
		    q, offsetof(Kitchen, member), desc, def, flags, 0, NULL, \
		    NULL                                                     \
	}

static const ProtobufCFieldDescriptor kitchen_fields[] = {
	F("num", 1, OPTIONAL, INT64, offsetof(Kitchen, kind_case), num, NULL,
	    NULL, PROTOBUF_C_FIELD_FLAG_ONEOF),
	F("text", 2, OPTIONAL, STRING, offsetof(Kitchen, kind_case), text,
	    NULL, NULL, PROTOBUF_C_FIELD_FLAG_ONEOF),
	F("nums", 3, REPEATED, INT64, offsetof(Kitchen, n_nums), nums, NULL,
	    NULL, 0),
	F("tags", 4, REPEATED, STRING, offsetof(Kitchen, n_tags), tags, NULL,
	    NULL, 0),
	F("blobs", 5, REPEATED, BYTES, offsetof(Kitchen, n_blobs), blobs, NULL,
	    NULL, 0),
	F("cycles", 6, REPEATED, ENUM, offsetof(Kitchen, n_cycles), cycles,
	    &billing__v1__billing_cycle__descriptor, NULL, 0),
	F("flags", 7, REPEATED, BOOL, offsetof(Kitchen, n_flags), flags, NULL,
	    NULL, 0),
	F("big", 8, OPTIONAL, UINT64, offsetof(Kitchen, has_big), big, NULL,
	    NULL, 0),
	F("small", 9, OPTIONAL, UINT32, offsetof(Kitchen, has_small), small,
	    NULL, NULL, 0),
	F("ints", 10, REPEATED, INT32, offsetof(Kitchen, n_ints), ints, NULL,
	    NULL, 0),
	F("pages", 11, REPEATED, MESSAGE, offsetof(Kitchen, n_pages), pages,
	    &billing__v1__page_request__descriptor, NULL, 0),
	F("label", 12, OPTIONAL, STRING, 0, label, NULL, kitchen_label_default,
	    0),
};

/* Indices of kitchen_fields sorted by name. */
static const unsigned kitchen_by_name[] = { 7, 4, 5, 6, 9, 11, 0, 2, 10, 8, 3,
	1 };
static const ProtobufCIntRange kitchen_ranges[] = { { 1, 0 }, { 0, 12 } };

static void kitchen_init(ProtobufCMessage *m);

static const ProtobufCMessageDescriptor kitchen_descriptor = {
	PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC, "test.Kitchen", "Kitchen",
	"Test__Kitchen", "test", sizeof(Kitchen),
	sizeof(kitchen_fields) / sizeof(kitchen_fields[0]), kitchen_fields,
	kitchen_by_name, 1, kitchen_ranges, kitchen_init, NULL, NULL, NULL
};

static void
kitchen_init(ProtobufCMessage *m)
{
	Kitchen *k = (Kitchen *) m;

	memset(k, 0, sizeof(*k));
	k->base.descriptor = &kitchen_descriptor;
	k->label = (char *) kitchen_label_default;
}

/* ---- helpers ---- */

#define CUSTOMER billing__v1__customer__descriptor

static ProtobufCMessage *
parse_ok(const ProtobufCMessageDescriptor *d, const char *json)
{
	ProtobufCMessage *m = NULL;
	char err[512];
	int rv = pbjson_parse(d, json, strlen(json), &m, err, sizeof(err));

	if (rv != 0)
		fail_msg("parsing %s as %s: %s", json, d->name, err);
	assert_non_null(m);
	return (m);
}

static void
parse_err(const ProtobufCMessageDescriptor *d, const char *json, int code,
    const char *want)
{
	ProtobufCMessage *m = (ProtobufCMessage *) 1;
	char err[512];
	int rv = pbjson_parse(d, json, strlen(json), &m, err, sizeof(err));

	if (rv != code || strstr(err, want) == NULL)
		fail_msg("parsing %s: want code %d and \"%s\", got %d \"%s\"",
		    json, code, want, rv, err);
	assert_null(m);
}

static char *
format(const ProtobufCMessage *m)
{
	char err[256], *s = NULL;

	if (pbjson_format(m, false, &s, err, sizeof(err)) != 0)
		fail_msg("formatting %s: %s", m->descriptor->name, err);
	return (s);
}

/*
 * JSON -> message -> wire -> message -> JSON; the result must be want
 * (in jansson's compact form), or the input itself when want is NULL.
 */
static void
roundtrip(
    const ProtobufCMessageDescriptor *d, const char *json, const char *want)
{
	ProtobufCMessage *m = parse_ok(d, json), *back;
	size_t len = protobuf_c_message_get_packed_size(m);
	uint8_t *buf = malloc(len + 1);
	char *s;

	assert_non_null(buf);
	assert_int_equal(protobuf_c_message_pack(m, buf), len);
	back = protobuf_c_message_unpack(d, NULL, len, buf);
	assert_non_null(back);
	s = format(back);
	assert_string_equal(s, want != NULL ? want : json);
	free(s);
	s = format(m);
	assert_string_equal(s, want != NULL ? want : json);
	free(s);
	free(buf);
	protobuf_c_message_free_unpacked(back, NULL);
	protobuf_c_message_free_unpacked(m, NULL);
}

/* ---- round trips ---- */

static void
test_scalars(void **state)
{
	(void) state;
	roundtrip(&billing__v1__customer__descriptor,
	    "{\"id\":5,\"email\":\"a@example.com\",\"name\":\"Jos\xc3\xa9 "
	    "\xe2\x82\xac \xf0\x9f\x98\x80\",\"balance_minor\":-1250,"
	    "\"status\":\"CUSTOMER_STATUS_SUSPENDED\",\"created_at_us\":"
	    "1700000000123456}",
	    NULL);
	/* int32 and bool, both values. */
	roundtrip(&billing__v1__plan__descriptor,
	    "{\"trial_days\":-2147483648,\"active\":false}", NULL);
	roundtrip(&billing__v1__plan__descriptor,
	    "{\"trial_days\":2147483647,\"active\":true}", NULL);
	/* int64 at its limits, as integers and as decimal strings. */
	roundtrip(&billing__v1__customer__descriptor,
	    "{\"id\":9223372036854775807,\"balance_minor\":"
	    "-9223372036854775808}",
	    NULL);
	roundtrip(&billing__v1__customer__descriptor,
	    "{\"id\":\"9223372036854775807\",\"balance_minor\":"
	    "\"-9223372036854775808\"}",
	    "{\"id\":9223372036854775807,\"balance_minor\":"
	    "-9223372036854775808}");
	roundtrip(&billing__v1__customer__descriptor,
	    "{\"id\":\"0\",\"balance_minor\":\"-0\"}",
	    "{\"id\":0,\"balance_minor\":0}");
	/* Empty strings are present (not NULL). */
	roundtrip(
	    &billing__v1__customer__descriptor, "{\"company\":\"\"}", NULL);
}

static void
test_bytes(void **state)
{
	(void) state;
	roundtrip(&billing__v1__request_envelope__descriptor,
	    "{\"payload\":\"AAECAwT/\"}", NULL);
	roundtrip(&billing__v1__request_envelope__descriptor,
	    "{\"payload\":\"\"}", NULL);
	/* Padding optional, URL-safe alphabet accepted; written standard. */
	roundtrip(&billing__v1__request_envelope__descriptor,
	    "{\"payload\":\"QQ\"}", "{\"payload\":\"QQ==\"}");
	roundtrip(&billing__v1__request_envelope__descriptor,
	    "{\"payload\":\"QUI\"}", "{\"payload\":\"QUI=\"}");
	roundtrip(&billing__v1__request_envelope__descriptor,
	    "{\"payload\":\"-_-_\"}", "{\"payload\":\"+/+/\"}");
}

static void
test_nested_and_repeated(void **state)
{
	(void) state;
	roundtrip(&billing__v1__create_customer_request__descriptor,
	    "{\"email\":\"x@y.z\",\"meta\":{\"entries\":[{\"key\":\"a\","
	    "\"value\":\"1\"},{\"key\":\"b\",\"value\":\"\"}]}}",
	    NULL);
	/* An empty Meta is present (it clears the meta on update). */
	roundtrip(&billing__v1__update_customer_request__descriptor,
	    "{\"id\":1,\"meta\":{}}", NULL);
	/* An empty array is as good as absent. */
	roundtrip(&billing__v1__create_customer_request__descriptor,
	    "{\"meta\":{\"entries\":[]}}", "{\"meta\":{}}");
	roundtrip(&billing__v1__list_customers_response__descriptor,
	    "{\"customers\":[{\"id\":1},{\"id\":2,\"status\":"
	    "\"CUSTOMER_STATUS_ACTIVE\"}],\"page\":{\"next_page_token\":"
	    "\"id.2\",\"total_size\":7}}",
	    NULL);
	roundtrip(&billing__v1__reply_envelope__descriptor,
	    "{\"code\":\"INVALID_ARGUMENT\",\"details\":[{\"field\":\"email\","
	    "\"description\":\"required\"}]}",
	    NULL);
}

static void
test_kitchen(void **state)
{
	Kitchen *k;

	(void) state;
	roundtrip(&kitchen_descriptor,
	    "{\"num\":-7,\"nums\":[1,-2,9223372036854775807],\"tags\":[\"a\","
	    "\"\",\"\xc3\xa9\"],\"blobs\":[\"AA==\",\"\"],\"cycles\":["
	    "\"BILLING_CYCLE_MONTHLY\",\"BILLING_CYCLE_YEARLY\"],\"flags\":"
	    "[true,false],\"big\":9223372036854775807,\"small\":4294967295,"
	    "\"ints\":[-2147483648,0,2147483647],\"pages\":[{\"page\":2},{}]"
	    ",\"label\":\"set\"}",
	    NULL);
	roundtrip(&kitchen_descriptor, "{\"text\":\"hi\"}", NULL);
	/* uint64 past int64: written as a string, read from one. */
	roundtrip(
	    &kitchen_descriptor, "{\"big\":\"18446744073709551615\"}", NULL);
	roundtrip(&kitchen_descriptor,
	    "{\"cycles\":[\"monthly\",3,"
	    "\"Quarterly\"]}",
	    "{\"cycles\":[\"BILLING_CYCLE_MONTHLY\",\"BILLING_CYCLE_YEARLY\","
	    "\"BILLING_CYCLE_QUARTERLY\"]}");

	/* The default string is left in place and is not "present". */
	k = (Kitchen *) parse_ok(&kitchen_descriptor, "{}");
	assert_ptr_equal(k->label, kitchen_label_default);
	assert_int_equal(k->kind_case, 0);
	protobuf_c_message_free_unpacked(&k->base, NULL);
	roundtrip(&kitchen_descriptor, "{}", NULL);

	k = (Kitchen *) parse_ok(&kitchen_descriptor, "{\"text\":\"x\"}");
	assert_int_equal(k->kind_case, 2);
	assert_string_equal(k->text, "x");
	protobuf_c_message_free_unpacked(&k->base, NULL);

	parse_err(&kitchen_descriptor, "{\"num\":1,\"text\":\"x\"}",
	    PBJSON_EINVAL,
	    "only one field of a oneof may be set, and \"num\"");
	/* null leaves the other member free. */
	roundtrip(&kitchen_descriptor, "{\"num\":null,\"text\":\"x\"}",
	    "{\"text\":\"x\"}");
	parse_err(&kitchen_descriptor, "{\"small\":4294967296}", PBJSON_EINVAL,
	    "field \"small\": 4294967296 is out of range for uint32");
	parse_err(&kitchen_descriptor, "{\"small\":-1}", PBJSON_EINVAL,
	    "-1 is out of range for uint32");
	parse_err(&kitchen_descriptor, "{\"big\":\"-1\"}", PBJSON_EINVAL,
	    "is not a decimal uint64");
	parse_err(&kitchen_descriptor, "{\"big\":\"18446744073709551616\"}",
	    PBJSON_EINVAL, "18446744073709551616 is out of range for uint64");
	parse_err(&kitchen_descriptor, "{\"ints\":[1,\"2\"]}", PBJSON_EINVAL,
	    "field \"ints[1]\": expected an integer, got a string");
	parse_err(&kitchen_descriptor, "{\"tags\":[\"a\",null]}",
	    PBJSON_EINVAL,
	    "field \"tags[1]\": null is not allowed in an array");
	parse_err(&kitchen_descriptor, "{\"flags\":[true,1]}", PBJSON_EINVAL,
	    "field \"flags[1]\": expected true or false, got an integer");
	parse_err(&kitchen_descriptor, "{\"blobs\":[\"AA==\",\"A\"]}",
	    PBJSON_EINVAL, "field \"blobs[1]\": not valid base64");
	parse_err(&kitchen_descriptor, "{\"pages\":[{\"page\":1},{\"x\":1}]}",
	    PBJSON_EINVAL, "unknown field \"pages[1].x\"");
	parse_err(&kitchen_descriptor, "{\"nums\":5}", PBJSON_EINVAL,
	    "field \"nums\": expected an array (repeated int64), got an "
	    "integer");
}

static void
test_enums(void **state)
{
	static const char *const monthly[] = { "BILLING_CYCLE_MONTHLY",
		"billing_cycle_monthly", "MONTHLY", "monthly", "Monthly" };
	Billing__V1__CreatePlanRequest *p;
	char json[128];

	(void) state;
	for (size_t i = 0; i < sizeof(monthly) / sizeof(monthly[0]); i++) {
		snprintf(json, sizeof(json), "{\"billing_cycle\":\"%s\"}",
		    monthly[i]);
		p = (Billing__V1__CreatePlanRequest *) parse_ok(
		    &billing__v1__create_plan_request__descriptor, json);
		assert_true(p->has_billing_cycle);
		assert_int_equal(p->billing_cycle,
		    BILLING__V1__BILLING_CYCLE__BILLING_CYCLE_MONTHLY);
		protobuf_c_message_free_unpacked(&p->base, NULL);
	}
	roundtrip(&billing__v1__create_plan_request__descriptor,
	    "{\"billing_cycle\":2}",
	    "{\"billing_cycle\":\"BILLING_CYCLE_QUARTERLY\"}");
	roundtrip(&billing__v1__create_plan_request__descriptor,
	    "{\"billing_cycle\":\"unspecified\"}",
	    "{\"billing_cycle\":\"BILLING_CYCLE_UNSPECIFIED\"}");
	/* Multi-word prefixes, and an enum without a prefix. */
	roundtrip(&billing__v1__health_check_response__descriptor,
	    "{\"status\":\"not_serving\"}",
	    "{\"status\":\"SERVING_STATUS_NOT_SERVING\"}");
	roundtrip(&billing__v1__create_payment_request__descriptor,
	    "{\"method\":\"bank_transfer\"}",
	    "{\"method\":\"PAYMENT_METHOD_BANK_TRANSFER\"}");
	roundtrip(&billing__v1__reply_envelope__descriptor,
	    "{\"code\":\"not_found\"}", "{\"code\":\"NOT_FOUND\"}");

	assert_string_equal(
	    pbjson_enum_short(&billing__v1__billing_cycle__descriptor,
	        "BILLING_CYCLE_YEARLY"),
	    "YEARLY");
	assert_string_equal(
	    pbjson_enum_short(&billing__v1__subscription_status__descriptor,
	        "SUBSCRIPTION_STATUS_PAST_DUE"),
	    "PAST_DUE");
	assert_string_equal(
	    pbjson_enum_short(&billing__v1__status_code__descriptor, "OK"),
	    "OK");

	parse_err(&billing__v1__create_plan_request__descriptor,
	    "{\"billing_cycle\":\"WEEKLY\"}", PBJSON_EINVAL,
	    "field \"billing_cycle\": \"WEEKLY\" is not a value of "
	    "billing.v1.BillingCycle (one of UNSPECIFIED, MONTHLY, "
	    "QUARTERLY, YEARLY)");
	parse_err(&billing__v1__create_plan_request__descriptor,
	    "{\"billing_cycle\":\"\"}", PBJSON_EINVAL, "is not a value of");
	parse_err(&billing__v1__create_plan_request__descriptor,
	    "{\"billing_cycle\":7}", PBJSON_EINVAL,
	    "7 is not a value of billing.v1.BillingCycle");
	parse_err(&billing__v1__create_plan_request__descriptor,
	    "{\"billing_cycle\":4294967297}", PBJSON_EINVAL,
	    "is not a value of");
	parse_err(&billing__v1__create_plan_request__descriptor,
	    "{\"billing_cycle\":true}", PBJSON_EINVAL,
	    "expected an enum name or number, got a boolean");
	parse_err(&billing__v1__create_plan_request__descriptor,
	    "{\"billing_cycle\":1.0}", PBJSON_EINVAL,
	    "expected an enum name or number");
	parse_err(&billing__v1__create_plan_request__descriptor,
	    "{\"billing_cycle\":\"MONTHLY\\u0000\"}", PBJSON_EINVAL,
	    "is not a value of");
}

/* An enum value the schema does not know is written as its number. */
static void
test_unknown_enum_value_written(void **state)
{
	Billing__V1__Customer c = BILLING__V1__CUSTOMER__INIT;
	char *s;

	(void) state;
	c.has_status = 1;
	c.status = (Billing__V1__CustomerStatus) 42;
	s = format(&c.base);
	assert_string_equal(s, "{\"status\":42}");
	free(s);
}

/* Only what is present is written. */
static void
test_presence(void **state)
{
	Billing__V1__Customer c = BILLING__V1__CUSTOMER__INIT;
	Billing__V1__ListCustomersResponse r =
	    BILLING__V1__LIST_CUSTOMERS_RESPONSE__INIT;
	char *s;

	(void) state;
	c.id = 5; /* has_id not set */
	c.email = NULL;
	s = format(&c.base);
	assert_string_equal(s, "{}");
	free(s);
	c.has_id = 1;
	c.has_balance_minor = 1; /* zero, but present */
	s = format(&c.base);
	assert_string_equal(s, "{\"id\":5,\"balance_minor\":0}");
	free(s);
	s = format(&r.base);
	assert_string_equal(s, "{}");
	free(s);
}

/* ---- errors ---- */

static void
test_unknown_key(void **state)
{
	(void) state;
	parse_err(&billing__v1__get_customer_request__descriptor,
	    "{\"id\":1,\"idd\":2}", PBJSON_EINVAL,
	    "unknown field \"idd\" (not in billing.v1.GetCustomerRequest)");
	parse_err(&billing__v1__list_customers_request__descriptor,
	    "{\"page\":{\"size\":2}}", PBJSON_EINVAL,
	    "unknown field \"page.size\" (not in billing.v1.PageRequest)");
	/* Names are the proto names, not lowerCamelCase. */
	parse_err(&billing__v1__create_customer_request__descriptor,
	    "{\"vatNumber\":\"x\"}", PBJSON_EINVAL,
	    "unknown field \"vatNumber\"");
	parse_err(&billing__v1__create_customer_request__descriptor,
	    "{\"meta\":{\"entries\":[{\"key\":\"a\",\"k\":1}]}}",
	    PBJSON_EINVAL, "unknown field \"meta.entries[0].k\"");
}

static void
test_wrong_type(void **state)
{
	const ProtobufCMessageDescriptor *c = &CUSTOMER;

	(void) state;
	parse_err(c, "{\"id\":true}", PBJSON_EINVAL,
	    "field \"id\": expected an integer or a decimal string, got a "
	    "boolean");
	parse_err(c, "{\"id\":1.5}", PBJSON_EINVAL,
	    "got a number with a fraction or exponent");
	parse_err(c, "{\"id\":1e3}", PBJSON_EINVAL,
	    "got a number with a fraction or exponent");
	parse_err(c, "{\"id\":[1]}", PBJSON_EINVAL, "got an array");
	parse_err(c, "{\"id\":\"12a\"}", PBJSON_EINVAL,
	    "\"12a\" is not a decimal int64");
	parse_err(c, "{\"id\":\" 12\"}", PBJSON_EINVAL, "is not a decimal");
	parse_err(c, "{\"id\":\"+12\"}", PBJSON_EINVAL, "is not a decimal");
	parse_err(c, "{\"id\":\"\"}", PBJSON_EINVAL, "is not a decimal");
	parse_err(c, "{\"id\":\"-\"}", PBJSON_EINVAL, "is not a decimal");
	parse_err(c, "{\"email\":5}", PBJSON_EINVAL,
	    "field \"email\": expected a string, got an integer");
	parse_err(c, "{\"meta\":[]}", PBJSON_EINVAL,
	    "field \"meta\": expected an object (billing.v1.Meta), got an "
	    "array");
	parse_err(c, "{\"meta\":{\"entries\":{}}}", PBJSON_EINVAL,
	    "field \"meta.entries\": expected an array");
	parse_err(&billing__v1__plan__descriptor, "{\"active\":\"true\"}",
	    PBJSON_EINVAL, "expected true or false, got a string");
	parse_err(&billing__v1__plan__descriptor, "{\"active\":1}",
	    PBJSON_EINVAL, "expected true or false, got an integer");
	/* int32 takes integers only. */
	parse_err(&billing__v1__plan__descriptor, "{\"trial_days\":\"5\"}",
	    PBJSON_EINVAL, "expected an integer, got a string");
	parse_err(&billing__v1__request_envelope__descriptor,
	    "{\"payload\":5}", PBJSON_EINVAL,
	    "expected a base64 string, got an integer");
	/* The top level must be an object. */
	parse_err(c, "[1]", PBJSON_EINVAL, "expected a JSON object");
	parse_err(c, "\"x\"", PBJSON_ESYNTAX, "invalid JSON");
}

static void
test_out_of_range(void **state)
{
	const ProtobufCMessageDescriptor *c = &CUSTOMER;
	const ProtobufCMessageDescriptor *p = &billing__v1__plan__descriptor;

	(void) state;
	parse_err(c, "{\"id\":\"9223372036854775808\"}", PBJSON_EINVAL,
	    "field \"id\": 9223372036854775808 is out of range for int64");
	parse_err(c, "{\"id\":\"-9223372036854775809\"}", PBJSON_EINVAL,
	    "-9223372036854775809 is out of range for int64");
	parse_err(c, "{\"id\":\"99999999999999999999999\"}", PBJSON_EINVAL,
	    "99999999999999999999999 is out of range for int64");
	parse_err(c, "{\"id\":\"-99999999999999999999999\"}", PBJSON_EINVAL,
	    "-99999999999999999999999 is out of range for int64");
	/* jansson itself refuses integers past 64 bits. */
	parse_err(c, "{\"id\":9223372036854775808}", PBJSON_ESYNTAX,
	    "too big integer");
	parse_err(p, "{\"trial_days\":2147483648}", PBJSON_EINVAL,
	    "field \"trial_days\": 2147483648 is out of range for int32");
	parse_err(p, "{\"trial_days\":-2147483649}", PBJSON_EINVAL,
	    "-2147483649 is out of range for int32");
	parse_err(&billing__v1__list_customers_request__descriptor,
	    "{\"page\":{\"page_size\":9223372036854775807}}", PBJSON_EINVAL,
	    "field \"page.page_size\": 9223372036854775807 is out of range "
	    "for int32");
}

static void
test_strings(void **state)
{
	const ProtobufCMessageDescriptor *c = &CUSTOMER;
	ProtobufCMessage *m = NULL;
	char err[256];
	json_t *j;

	(void) state;
	parse_err(c, "{\"name\":\"a\\u0000b\"}", PBJSON_EINVAL,
	    "field \"name\": contains a NUL character");
	parse_err(&billing__v1__create_customer_request__descriptor,
	    "{\"meta\":{\"entries\":[{\"value\":\"\\u0000\"}]}}",
	    PBJSON_EINVAL, "field \"meta.entries[0].value\": contains a NUL");
	/* jansson refuses invalid UTF-8 in text... */
	parse_err(c, "{\"name\":\"\xff\"}", PBJSON_ESYNTAX, "invalid JSON");
	parse_err(c, "{\"name\":\"\\udc00\"}", PBJSON_ESYNTAX, "invalid JSON");
	/* ...and pbjson in strings built without checks. */
	j = json_object();
	json_object_set_new(j, "name", json_stringn_nocheck("\xc0\x80", 2));
	assert_int_equal(
	    pbjson_from_json(c, j, &m, err, sizeof(err)), PBJSON_EINVAL);
	assert_non_null(strstr(err, "field \"name\": not valid UTF-8"));
	assert_null(m);
	json_object_set_new(j, "name",
	    json_stringn_nocheck("\xed\xa0\x80", 3)); /* a surrogate */
	assert_int_equal(
	    pbjson_from_json(c, j, &m, err, sizeof(err)), PBJSON_EINVAL);
	json_object_set_new(j, "name",
	    json_stringn_nocheck("\xf4\x90\x80\x80", 4)); /* past U+10FFFF */
	assert_int_equal(
	    pbjson_from_json(c, j, &m, err, sizeof(err)), PBJSON_EINVAL);
	json_object_set_new(j, "name", json_stringn_nocheck("\xe2\x82", 2));
	assert_int_equal(
	    pbjson_from_json(c, j, &m, err, sizeof(err)), PBJSON_EINVAL);
	json_decref(j);
	assert_int_equal(
	    pbjson_from_json(c, NULL, &m, err, sizeof(err)), PBJSON_EINVAL);
}

static void
test_base64(void **state)
{
	const ProtobufCMessageDescriptor *e =
	    &billing__v1__request_envelope__descriptor;

	(void) state;
	parse_err(e, "{\"payload\":\"AA#A\"}", PBJSON_EINVAL,
	    "field \"payload\": not valid base64 (bad character at offset 2)");
	parse_err(e, "{\"payload\":\"A\"}", PBJSON_EINVAL,
	    "not valid base64 (bad length or padding)");
	parse_err(e, "{\"payload\":\"AAAAA\"}", PBJSON_EINVAL,
	    "bad length or padding");
	parse_err(e, "{\"payload\":\"QQ=\"}", PBJSON_EINVAL,
	    "bad length or padding");
	parse_err(e, "{\"payload\":\"Q===\"}", PBJSON_EINVAL,
	    "bad character at offset 1");
	parse_err(e, "{\"payload\":\"QQ==QQ==\"}", PBJSON_EINVAL,
	    "bad character at offset 2");
	parse_err(
	    e, "{\"payload\":\"QQ ==\"}", PBJSON_EINVAL, "not valid base64");
}

static void
test_limits(void **state)
{
	const ProtobufCMessageDescriptor *c = &CUSTOMER;
	size_t n = PBJSON_MAX_INPUT + 1;
	char *big = malloc(n + 64), *p;
	int rv;

	(void) state;
	/* Size: refused before parsing. */
	assert_non_null(big);
	memset(big, ' ', n);
	memcpy(big, "{}", 2);
	parse_err(c, "", PBJSON_ESYNTAX, "invalid JSON");
	{
		ProtobufCMessage *m = NULL;
		char err[256];

		rv = pbjson_parse(c, big, n, &m, err, sizeof(err));
		assert_int_equal(rv, PBJSON_ELIMIT);
		assert_non_null(strstr(err, "the limit is 1048576"));
		/* One byte less is fine (white space after the object). */
		rv = pbjson_parse(c, big, n - 1, &m, err, sizeof(err));
		assert_int_equal(rv, 0);
		protobuf_c_message_free_unpacked(m, NULL);
	}

	/* Depth: 32 levels pass the depth check (and fail the schema), 33
	 * do not, wherever they are. */
	p = big;
	p += sprintf(p, "{\"meta\":");
	for (int i = 0; i < 30; i++)
		*p++ = '[';
	for (int i = 0; i < 30; i++)
		*p++ = ']';
	sprintf(p, "}");
	parse_err(c, big, PBJSON_EINVAL, "field \"meta\": expected an object");
	p = big;
	p += sprintf(p, "{\"meta\":");
	for (int i = 0; i < 32; i++)
		*p++ = '[';
	for (int i = 0; i < 32; i++)
		*p++ = ']';
	sprintf(p, "}");
	parse_err(c, big, PBJSON_ELIMIT, "nested deeper than 32 levels");
	p = big;
	p += sprintf(p, "{\"unknown\":");
	for (int i = 0; i < 40; i++)
		p += sprintf(p, "{\"a\":");
	p += sprintf(p, "1");
	for (int i = 0; i < 41; i++)
		*p++ = '}';
	*p = '\0';
	parse_err(c, big, PBJSON_ELIMIT, "nested deeper than 32 levels");

	/* Array length. */
	p = big;
	p += sprintf(p, "{\"meta\":{\"entries\":[");
	for (int i = 0; i < PBJSON_MAX_ARRAY + 1; i++)
		p += sprintf(p, "%s{}", i > 0 ? "," : "");
	sprintf(p, "]}}");
	parse_err(&billing__v1__create_customer_request__descriptor, big,
	    PBJSON_ELIMIT,
	    "field \"meta.entries\": array of 10001 elements; at most 10000");
	p = big;
	p += sprintf(p, "{\"meta\":{\"entries\":[");
	for (int i = 0; i < PBJSON_MAX_ARRAY; i++)
		p += sprintf(p, "%s{}", i > 0 ? "," : "");
	sprintf(p, "]}}");
	protobuf_c_message_free_unpacked(
	    parse_ok(&billing__v1__create_customer_request__descriptor, big),
	    NULL);
	free(big);
}

static void
test_syntax(void **state)
{
	const ProtobufCMessageDescriptor *c = &CUSTOMER;

	(void) state;
	parse_err(c, "{\"id\":1", PBJSON_ESYNTAX,
	    "invalid JSON at line 1, column 7");
	parse_err(
	    c, "{\"id\":1,\"id\":2}", PBJSON_ESYNTAX, "duplicate object key");
	parse_err(c, "{} {}", PBJSON_ESYNTAX, "end of file expected");
	/* null is absence, not an error, except in arrays. */
	roundtrip(c, "{\"id\":null,\"meta\":null}", "{}");
}

/* A failure half-way frees what was built (ASan checks) and the error
 * buffer may be small or absent. */
static void
test_partial_failure_and_errbuf(void **state)
{
	const char *json = "{\"customers\":[{\"id\":1,\"email\":\"a\","
	                   "\"meta\":{\"entries\":[{\"key\":\"k\"}]}},"
	                   "{\"id\":2,\"email\":\"b\",\"status\":\"nope\"}]}";
	ProtobufCMessage *m = NULL;
	char small[16];

	(void) state;
	parse_err(&billing__v1__list_customers_response__descriptor, json,
	    PBJSON_EINVAL, "field \"customers[1].status\"");
	assert_int_equal(
	    pbjson_parse(&billing__v1__list_customers_response__descriptor,
	        json, strlen(json), &m, small, sizeof(small)),
	    PBJSON_EINVAL);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_int_equal(
	    pbjson_parse(&billing__v1__list_customers_response__descriptor,
	        json, strlen(json), &m, NULL, 0),
	    PBJSON_EINVAL);
	assert_null(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_nested_and_repeated),
		cmocka_unit_test(test_kitchen),
		cmocka_unit_test(test_enums),
		cmocka_unit_test(test_unknown_enum_value_written),
		cmocka_unit_test(test_presence),
		cmocka_unit_test(test_unknown_key),
		cmocka_unit_test(test_wrong_type),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_partial_failure_and_errbuf),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
