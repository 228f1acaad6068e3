/*
 * The wire library: status values, envelope limits, method lookup, the
 * bounded codec and its wire walk (rpc/).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../rpc/codec.h"
#include "../../rpc/envelope.h"

static void
test_status_codes_have_grpc_names_and_numbers(void **state)
{
	billing_code c;

	(void) state;
	assert_string_equal(billing_code_name(BILLING_OK), "OK");
	assert_string_equal(billing_code_name(3), "INVALID_ARGUMENT");
	assert_string_equal(billing_code_name(14), "UNAVAILABLE");
	assert_string_equal(billing_code_name(16), "UNAUTHENTICATED");
	assert_string_equal(billing_code_name(99), "UNKNOWN");
	assert_string_equal(billing_code_name(-1), "UNKNOWN");
	for (int i = 0; i <= BILLING_CODE_MAX; i++) {
		assert_int_equal(
		    billing_code_parse(billing_code_name(i), &c), 0);
		assert_int_equal(c, i);
	}
	assert_int_equal(billing_code_parse("NOPE", &c), EINVAL);
	/* The proto enum and the C enum agree. */
	assert_int_equal(BILLING__V1__STATUS_CODE__UNAUTHENTICATED,
	    BILLING_UNAUTHENTICATED);
	assert_int_equal(BILLING__V1__STATUS_CODE__FAILED_PRECONDITION,
	    BILLING_FAILED_PRECONDITION);
}

static void
test_status_owns_its_strings(void **state)
{
	billing_status st = BILLING_STATUS_INIT;

	(void) state;
	assert_int_equal(billing_status_set(&st, BILLING_NOT_FOUND,
	                     "customer %d not found", 7),
	    BILLING_NOT_FOUND);
	assert_string_equal(st.message, "customer 7 not found");
	billing_status_set_reason(&st, "CUSTOMER_NOT_FOUND");
	assert_int_equal(billing_status_add_violation(&st, "id", "bad"), 0);
	assert_int_equal(billing_status_add_violation(&st, "x", "y"), 0);
	assert_int_equal(st.n_details, 2);
	assert_string_equal(st.details[1].field, "x");
	billing_status_fini(&st);
	assert_int_equal(st.code, BILLING_OK);
	assert_null(st.message);
	assert_null(st.details);
	/* A NULL status is allowed and the code still comes back. */
	assert_int_equal(
	    billing_status_set(NULL, BILLING_INTERNAL, "x"), BILLING_INTERNAL);
}

static void
test_method_lookup_by_full_name(void **state)
{
	const billing_method *m;

	(void) state;
	m = rpc_method_find("/billing.v1.Customers/Create");
	assert_non_null(m);
	assert_ptr_equal(m, &billing_method_customers_create);
	assert_false(m->read_only);
	assert_ptr_equal(
	    m->input, &billing__v1__create_customer_request__descriptor);
	assert_ptr_equal(billing_methods[m->id], m);
	assert_true(rpc_method_find("/billing.v1.Plans/Get")->read_only);
	assert_true(rpc_method_find("/billing.v1.Health/Check")->read_only);
	assert_false(
	    rpc_method_find("/billing.v1.Invoices/VoidInvoice")->read_only);
	assert_null(rpc_method_find("/billing.v1.Plans/get"));
	assert_null(rpc_method_find("billing.v1.Plans/Get"));
	assert_null(rpc_method_find(""));
	assert_null(rpc_method_find(NULL));
	/* The table is sorted, which the lookup relies on. */
	for (size_t i = 1; i < BILLING_METHODS_COUNT; i++)
		assert_true(strcmp(billing_methods[i - 1]->full_name,
		                billing_methods[i]->full_name) < 0);
}

static void
test_envelope_limits(void **state)
{
	Billing__V1__RequestEnvelope env = BILLING__V1__REQUEST_ENVELOPE__INIT;
	Billing__V1__MetadataEntry e = BILLING__V1__METADATA_ENTRY__INIT;
	Billing__V1__MetadataEntry *ep[RPC_MAX_METADATA + 1];
	billing_status st = BILLING_STATUS_INIT;
	char big[2048];

	(void) state;
	assert_int_equal(
	    rpc_request_validate(&env, &st), BILLING_INVALID_ARGUMENT);
	env.method = "/billing.v1.Plans/Get";
	assert_int_equal(rpc_request_validate(&env, &st), 0);
	memset(big, 'a', sizeof(big));
	big[RPC_MAX_METHOD_BYTES + 1] = '\0';
	env.method = big;
	assert_int_equal(
	    rpc_request_validate(&env, &st), BILLING_INVALID_ARGUMENT);
	env.method = "/billing.v1.Plans/Get";
	e.key = "idempotency-key";
	e.value = "k1";
	for (int i = 0; i <= RPC_MAX_METADATA; i++)
		ep[i] = &e;
	env.metadata = ep;
	env.n_metadata = 1;
	assert_int_equal(rpc_request_validate(&env, &st), 0);
	assert_string_equal(rpc_request_meta(&env, "idempotency-key"), "k1");
	assert_null(rpc_request_meta(&env, "x-billing-now"));
	env.n_metadata = RPC_MAX_METADATA + 1;
	assert_int_equal(
	    rpc_request_validate(&env, &st), BILLING_INVALID_ARGUMENT);
	env.n_metadata = 1;
	e.key = "Idempotency-Key";
	assert_int_equal(
	    rpc_request_validate(&env, &st), BILLING_INVALID_ARGUMENT);
	e.key = "k";
	memset(big, 'v', sizeof(big));
	big[RPC_MAX_METADATA_VALUE_BYTES + 1] = '\0';
	e.value = big;
	assert_int_equal(
	    rpc_request_validate(&env, &st), BILLING_INVALID_ARGUMENT);
	billing_status_fini(&st);
}

static void
test_reply_maps_to_status(void **state)
{
	Billing__V1__ReplyEnvelope r = BILLING__V1__REPLY_ENVELOPE__INIT;
	Billing__V1__FieldViolation fv = BILLING__V1__FIELD_VIOLATION__INIT;
	Billing__V1__FieldViolation *fvp = &fv;
	billing_status st = BILLING_STATUS_INIT;

	(void) state;
	assert_int_equal(rpc_status_from_reply(&r, &st), 0);
	r.has_code = 1;
	r.code = BILLING__V1__STATUS_CODE__INVALID_ARGUMENT;
	r.message = "invalid id";
	r.reason = "INVALID_FIELD";
	fv.field = "id";
	fv.description = "required";
	r.details = &fvp;
	r.n_details = 1;
	assert_int_equal(
	    rpc_status_from_reply(&r, &st), BILLING_INVALID_ARGUMENT);
	assert_string_equal(st.message, "invalid id");
	assert_string_equal(st.reason, "INVALID_FIELD");
	assert_string_equal(st.details[0].field, "id");
	billing_status_fini(&st);
	/* An out-of-range code from a peer is UNKNOWN; no message gets the
	 * code's name. */
	r.code = 77;
	r.message = NULL;
	r.n_details = 0;
	assert_int_equal(rpc_status_from_reply(&r, &st), BILLING_UNKNOWN);
	assert_string_equal(st.message, "UNKNOWN");
	billing_status_fini(&st);
}

static int
unpack_customer_request(
    const uint8_t *buf, size_t len, size_t max, billing_status *st)
{
	ProtobufCMessage *m = NULL;
	int rv = rpc_unpack(&billing__v1__create_customer_request__descriptor,
	    buf, len, max, NULL, "request", &m, st);

	if (m != NULL)
		protobuf_c_message_free_unpacked(m, NULL);
	return (rv);
}

static void
test_codec_round_trip_and_size_bound(void **state)
{
	Billing__V1__CreateCustomerRequest req =
	    BILLING__V1__CREATE_CUSTOMER_REQUEST__INIT;
	billing_status st = BILLING_STATUS_INIT;
	ProtobufCMessage *out = NULL;
	uint8_t *buf;
	size_t len;

	(void) state;
	req.email = "a@b";
	req.name = "Zoë";
	assert_int_equal(rpc_pack_buf(&req.base, 1024, &buf, &len, &st), 0);
	assert_int_equal(
	    rpc_unpack(&billing__v1__create_customer_request__descriptor, buf,
	        len, 1024, NULL, "request", &out, &st),
	    0);
	assert_string_equal(
	    ((Billing__V1__CreateCustomerRequest *) out)->name, "Zoë");
	protobuf_c_message_free_unpacked(out, NULL);
	assert_int_equal(unpack_customer_request(buf, len, len - 1, &st),
	    BILLING_RESOURCE_EXHAUSTED);
	assert_int_equal(rpc_pack_buf(&req.base, len - 1, &buf, &len, &st),
	    BILLING_RESOURCE_EXHAUSTED);
	free(buf);
	billing_status_fini(&st);
}

static void
test_wire_walk_rejects_what_protobuf_c_would_pass(void **state)
{
	/* email = "a\0b": protobuf-c would hand back "a". */
	static const uint8_t nul[] = { 0x0a, 0x03, 'a', 0x00, 'b' };
	static const uint8_t latin1[] = { 0x12, 0x01, 0xe9 };
	/* meta.entries[0].key with invalid UTF-8, two levels down. */
	static const uint8_t nested[] = { 0x32, 0x05, 0x0a, 0x03, 0x0a, 0x01,
		0xff };
	static const uint8_t long_len[] = { 0x0a, 0x7f, 'a' };
	static const uint8_t bad_varint[] = { 0x08, 0xff, 0xff, 0xff, 0xff,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };
	static const uint8_t group[] = { 0x0b };
	static const uint8_t field_zero[] = { 0x02, 0x00 };
	/* Unknown fields are skipped, as protobuf requires. */
	static const uint8_t unknown[] = { 0xf8, 0x07, 0x01, 0x0a, 0x01, 'x' };
	billing_status st = BILLING_STATUS_INIT;

	(void) state;
	assert_int_equal(unpack_customer_request(nul, sizeof(nul), 100, &st),
	    BILLING_INVALID_ARGUMENT);
	assert_string_equal(st.details[0].field, "email");
	billing_status_fini(&st);
	assert_int_equal(
	    unpack_customer_request(latin1, sizeof(latin1), 100, &st),
	    BILLING_INVALID_ARGUMENT);
	assert_string_equal(st.details[0].field, "name");
	billing_status_fini(&st);
	assert_int_equal(
	    unpack_customer_request(nested, sizeof(nested), 100, &st),
	    BILLING_INVALID_ARGUMENT);
	assert_string_equal(st.details[0].field, "meta.entries.key");
	assert_string_equal(st.message,
	    "malformed request: meta.entries.key: not valid UTF-8, or holds "
	    "a NUL byte");
	billing_status_fini(&st);
	assert_int_equal(
	    unpack_customer_request(long_len, sizeof(long_len), 100, &st),
	    BILLING_INVALID_ARGUMENT);
	assert_int_equal(
	    unpack_customer_request(bad_varint, sizeof(bad_varint), 100, &st),
	    BILLING_INVALID_ARGUMENT);
	assert_int_equal(
	    unpack_customer_request(group, sizeof(group), 100, &st),
	    BILLING_INVALID_ARGUMENT);
	billing_status_fini(&st);
	assert_int_equal(
	    unpack_customer_request(field_zero, sizeof(field_zero), 100, &st),
	    BILLING_INVALID_ARGUMENT);
	assert_string_equal(st.details[0].field, "message");
	assert_string_equal(
	    st.message, "malformed request: message: invalid field number");
	billing_status_fini(&st);
	assert_int_equal(
	    unpack_customer_request(unknown, sizeof(unknown), 100, &st), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_status_codes_have_grpc_names_and_numbers),
		cmocka_unit_test(test_status_owns_its_strings),
		cmocka_unit_test(test_method_lookup_by_full_name),
		cmocka_unit_test(test_envelope_limits),
		cmocka_unit_test(test_reply_maps_to_status),
		cmocka_unit_test(test_codec_round_trip_and_size_bound),
		cmocka_unit_test(
		    test_wire_walk_rejects_what_protobuf_c_would_pass),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
