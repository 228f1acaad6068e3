/*
 * The RPC runtime against hostile and unlucky callers: malformed and
 * oversized frames, unknown methods, deadlines (expired, and bounding a
 * blocked statement), many threads, graceful shutdown with a call in
 * flight, a server killed mid-call (no resend of a mutating call, retry
 * of a read), and a client with no server.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "../../rpc/codec.h"
#include "harness.h"

static int64_t
wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

/*
 * Sends frame on a fresh REQ socket; returns the decoded reply, or NULL
 * when none came within timeout_ms.
 */
static Billing__V1__ReplyEnvelope *
raw_call(const void *frame, size_t len, int timeout_ms)
{
	Billing__V1__ReplyEnvelope *r = NULL;
	nng_socket s;
	nng_msg *m;

	assert_int_equal(nng_req0_open(&s), 0);
	nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, timeout_ms);
	nng_socket_set_ms(s, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE);
	assert_int_equal(nng_dial(s, TH.url, NULL, 0), 0);
	assert_int_equal(nng_msg_alloc(&m, 0), 0);
	assert_int_equal(nng_msg_append(m, frame, len), 0);
	assert_int_equal(nng_sendmsg(s, m, 0), 0);
	if (nng_recvmsg(s, &m, 0) == 0) {
		r = billing__v1__reply_envelope__unpack(
		    NULL, nng_msg_len(m), nng_msg_body(m));
		assert_non_null(r);
		nng_msg_free(m);
	}
	nng_close(s);
	return (r);
}

/* A packed RequestEnvelope (malloc'd) around payload bytes. */
static uint8_t *
envelope(const char *method, int64_t deadline_us, const void *payload,
    size_t plen, Billing__V1__MetadataEntry **meta, size_t n_meta, size_t *len)
{
	Billing__V1__RequestEnvelope env = BILLING__V1__REQUEST_ENVELOPE__INIT;
	uint8_t *buf;

	env.method = (char *) method;
	env.request_id = "raw-1";
	env.has_deadline_us = deadline_us != 0;
	env.deadline_us = deadline_us;
	env.has_payload = 1;
	env.payload.data = (uint8_t *) payload;
	env.payload.len = plen;
	env.metadata = meta;
	env.n_metadata = n_meta;
	*len = billing__v1__request_envelope__get_packed_size(&env);
	buf = malloc(*len + 1);
	billing__v1__request_envelope__pack(&env, buf);
	return (buf);
}

static void
expect(Billing__V1__ReplyEnvelope *r, int code)
{
	assert_non_null(r);
	assert_true(r->has_code);
	assert_int_equal(r->code, code);
	if (code != 0) {
		assert_non_null(r->message);
		assert_false(r->has_payload);
	}
	billing__v1__reply_envelope__free_unpacked(r, NULL);
}

static void
test_garbage_frame_is_invalid_argument(void **state)
{
	static const uint8_t junk[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f };
	static const uint8_t truncated[] = { 0x0a, 0x20, 'a' };

	(void) state;
	expect(raw_call(junk, sizeof(junk), 5000), BILLING_INVALID_ARGUMENT);
	expect(raw_call(truncated, sizeof(truncated), 5000),
	    BILLING_INVALID_ARGUMENT);
	/* An empty frame is an envelope without a method. */
	expect(raw_call("", 0, 5000), BILLING_INVALID_ARGUMENT);
}

static void
test_unknown_method_is_unimplemented(void **state)
{
	Billing__V1__ReplyEnvelope *r;
	uint8_t *f;
	size_t len;

	(void) state;
	f = envelope("/billing.v1.Nope/Nothing", 0, "", 0, NULL, 0, &len);
	r = raw_call(f, len, 5000);
	assert_non_null(r);
	assert_string_equal(r->reason, "UNKNOWN_METHOD");
	assert_string_equal(r->request_id, "raw-1");
	expect(r, BILLING_UNIMPLEMENTED);
	free(f);
	/* A known service does not make an unknown method of it known. */
	f = envelope("/billing.v1.Plans/Nothing", 0, "", 0, NULL, 0, &len);
	r = raw_call(f, len, 5000);
	assert_non_null(r);
	assert_string_equal(r->reason, "UNKNOWN_METHOD");
	expect(r, BILLING_UNIMPLEMENTED);
	free(f);
}

static void
test_bad_payloads_are_invalid_argument(void **state)
{
	/* Field 1 (email) with a NUL inside: C would silently cut it. */
	static const uint8_t nul_email[] = { 0x0a, 0x03, 'a', 0x00, '@' };
	static const uint8_t bad_utf8[] = { 0x0a, 0x02, 0xc3, 0x28 };
	static const uint8_t wrong_type[] = { 0x08, 0x01 }; /* varint email */
	Billing__V1__ReplyEnvelope *r;
	uint8_t *f;
	size_t len;

	(void) state;
	f = envelope("/billing.v1.Customers/Create", 0, nul_email,
	    sizeof(nul_email), NULL, 0, &len);
	r = raw_call(f, len, 5000);
	assert_non_null(r);
	assert_int_equal(r->n_details, 1);
	assert_string_equal(r->details[0]->field, "email");
	expect(r, BILLING_INVALID_ARGUMENT);
	free(f);
	f = envelope("/billing.v1.Customers/Create", 0, bad_utf8,
	    sizeof(bad_utf8), NULL, 0, &len);
	expect(raw_call(f, len, 5000), BILLING_INVALID_ARGUMENT);
	free(f);
	f = envelope("/billing.v1.Customers/Create", 0, wrong_type,
	    sizeof(wrong_type), NULL, 0, &len);
	expect(raw_call(f, len, 5000), BILLING_INVALID_ARGUMENT);
	free(f);
}

static void
test_bad_metadata_is_invalid_argument(void **state)
{
	Billing__V1__MetadataEntry e = BILLING__V1__METADATA_ENTRY__INIT;
	Billing__V1__MetadataEntry *ep = &e;
	uint8_t *f;
	size_t len;

	(void) state;
	e.key = "Upper Case";
	e.value = "x";
	f = envelope("/billing.v1.Health/Check", 0, "", 0, &ep, 1, &len);
	expect(raw_call(f, len, 5000), BILLING_INVALID_ARGUMENT);
	free(f);
}

static void
test_oversized_frames(void **state)
{
	size_t big = RPC_MAX_MESSAGE_BYTES + 1024, len;
	uint8_t *payload = calloc(1, big), *f;
	Billing__V1__HealthCheckRequest hc =
	    BILLING__V1__HEALTH_CHECK_REQUEST__INIT;
	Billing__V1__HealthCheckResponse *resp = NULL;
	billing_status st = BILLING_STATUS_INIT;

	(void) state;
	/* Over our limit but under nng's: answered RESOURCE_EXHAUSTED. */
	f = envelope(
	    "/billing.v1.Health/Check", 0, payload, big, NULL, 0, &len);
	expect(raw_call(f, len, 5000), BILLING_RESOURCE_EXHAUSTED);
	free(f);
	free(payload);
	/* Over nng's limit: the connection is dropped unread... */
	big = RPC_RECV_LIMIT_BYTES + 1024;
	payload = calloc(1, big);
	f = envelope(
	    "/billing.v1.Health/Check", 0, payload, big, NULL, 0, &len);
	assert_null(raw_call(f, len, 1000));
	free(f);
	free(payload);
	/* ...and the server serves on. */
	assert_int_equal(
	    billing_health_check(TH.client, &hc, &resp, NULL, &st), 0);
	assert_int_equal(
	    resp->status, BILLING__V1__SERVING_STATUS__SERVING_STATUS_SERVING);
	billing__v1__health_check_response__free_unpacked(resp, NULL);
	/* The client refuses to send an oversized request. */
	{
		Billing__V1__CreateCustomerRequest req =
		    BILLING__V1__CREATE_CUSTOMER_REQUEST__INIT;
		Billing__V1__Customer *c = NULL;
		char *name = malloc(RPC_MAX_MESSAGE_BYTES + 1);

		memset(name, 'x', RPC_MAX_MESSAGE_BYTES);
		name[RPC_MAX_MESSAGE_BYTES] = '\0';
		req.email = "big@example.com";
		req.name = name;
		assert_int_equal(
		    billing_customers_create(TH.client, &req, &c, NULL, &st),
		    BILLING_RESOURCE_EXHAUSTED);
		free(name);
	}
	billing_status_fini(&st);
}

static void
test_expired_deadline_is_refused_without_a_write(void **state)
{
	Billing__V1__CreateCustomerRequest req =
	    BILLING__V1__CREATE_CUSTOMER_REQUEST__INIT;
	uint8_t payload[256], *f;
	size_t plen, len;
	char buf[32];

	(void) state;
	req.email = "late@example.com";
	plen = billing__v1__create_customer_request__pack(&req, payload);
	f = envelope("/billing.v1.Customers/Create", wall_us() - 1000000,
	    payload, plen, NULL, 0, &len);
	expect(raw_call(f, len, 5000), BILLING_DEADLINE_EXCEEDED);
	free(f);
	th_psql_value(&TH,
	    "SELECT count(*) FROM customers WHERE email ="
	    " 'late@example.com'",
	    buf, sizeof(buf));
	assert_string_equal(buf, "0");
}

/* Waits until the count the SQL fmt makes reaches want (5 s at most). */
static void
wait_count(int want, const char *fmt, ...)
{
	char sql[400], buf[32];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	/* Polled, not slept: a loaded machine may take longer. */
	for (int i = 0; i < 100; i++) {
		th_psql_value(&TH, sql, buf, sizeof(buf));
		if (atoi(buf) >= want)
			return;
		th_sleep_ms(50);
	}
}

/* Backends waiting on a lock now. */
static const char LOCK_WAITERS[] = "SELECT count(*) FROM pg_stat_activity"
                                   " WHERE wait_event_type = 'Lock'";

/* Holds an exclusive lock on table for ms in a background psql. */
static void
lock_table(const char *table, int ms)
{
	th_sh("psql -X -q '%s' -c 'BEGIN; LOCK TABLE %s; SELECT "
	      "pg_sleep(%d.%03d);"
	      " COMMIT;' >/dev/null 2>&1 &",
	    TH.db_url, table, ms / 1000, ms % 1000);
	wait_count(1,
	    "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid ="
	    " l.relation WHERE c.relname = '%s' AND l.granted AND l.mode ="
	    " 'AccessExclusiveLock'",
	    table);
}

static void
test_deadline_bounds_a_blocked_statement(void **state)
{
	Billing__V1__CreateCustomerRequest req =
	    BILLING__V1__CREATE_CUSTOMER_REQUEST__INIT;
	billing_call_opts o = { 0 };
	Billing__V1__Customer *c = NULL;
	billing_status st = BILLING_STATUS_INIT;
	int64_t t0, took;
	char buf[32];

	(void) state;
	lock_table("customers", 2500);
	req.email = "blocked@example.com";
	o.timeout_ms = 400;
	t0 = th_now_ms();
	assert_int_equal(
	    billing_customers_create(TH.client, &req, &c, &o, &st),
	    BILLING_DEADLINE_EXCEEDED);
	took = th_now_ms() - t0;
	assert_true(took >= 350 && took < 1500);
	billing_status_fini(&st);
	th_sleep_ms(2600);
	th_psql_value(&TH,
	    "SELECT count(*) FROM customers WHERE email ="
	    " 'blocked@example.com'",
	    buf, sizeof(buf));
	assert_string_equal(buf, "0");
	/* The worker's connection is fine afterwards. */
	assert_int_equal(
	    billing_customers_create(TH.client, &req, &c, NULL, &st), 0);
	billing__v1__customer__free_unpacked(c, NULL);
}

#define THREADS 16
#define CALLS_PER_THREAD 40

static void *
hammer(void *arg)
{
	int t = (int) (intptr_t) arg, failures = 0;

	for (int i = 0; i < CALLS_PER_THREAD; i++) {
		Billing__V1__CreateCustomerRequest req =
		    BILLING__V1__CREATE_CUSTOMER_REQUEST__INIT;
		Billing__V1__GetCustomerRequest get =
		    BILLING__V1__GET_CUSTOMER_REQUEST__INIT;
		Billing__V1__Customer *c = NULL, *g = NULL;
		billing_status st = BILLING_STATUS_INIT;
		char email[64];

		snprintf(email, sizeof(email), "t%d-%d@load.example", t, i);
		req.email = email;
		if (billing_customers_create(TH.client, &req, &c, NULL, &st) !=
		    0) {
			failures++;
			continue;
		}
		get.has_id = 1;
		get.id = c->id;
		if (billing_customers_get(TH.client, &get, &g, NULL, &st) !=
		        0 ||
		    strcmp(g->email, email) != 0)
			failures++;
		billing__v1__customer__free_unpacked(c, NULL);
		if (g != NULL)
			billing__v1__customer__free_unpacked(g, NULL);
		billing_status_fini(&st);
	}
	return ((void *) (intptr_t) failures);
}

static void
test_sixteen_threads_share_one_client(void **state)
{
	pthread_t t[THREADS];
	intptr_t failures = 0;
	char buf[32];

	(void) state;
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, hammer, (void *) (intptr_t) i);
	for (int i = 0; i < THREADS; i++) {
		void *f;

		pthread_join(t[i], &f);
		failures += (intptr_t) f;
	}
	assert_int_equal(failures, 0);
	th_psql_value(&TH,
	    "SELECT count(*) FROM customers WHERE email LIKE"
	    " '%@load.example'",
	    buf, sizeof(buf));
	assert_int_equal(atoi(buf), THREADS * CALLS_PER_THREAD);
}

static void
test_health_check(void **state)
{
	Billing__V1__HealthCheckRequest req =
	    BILLING__V1__HEALTH_CHECK_REQUEST__INIT;
	Billing__V1__HealthCheckResponse *r = NULL;
	billing_status st = BILLING_STATUS_INIT;

	(void) state;
	assert_int_equal(
	    billing_health_check(TH.client, &req, &r, NULL, &st), 0);
	assert_int_equal(
	    r->status, BILLING__V1__SERVING_STATUS__SERVING_STATUS_SERVING);
	billing__v1__health_check_response__free_unpacked(r, NULL);
	req.service = "billing.v1.Plans";
	assert_int_equal(
	    billing_health_check(TH.client, &req, &r, NULL, &st), 0);
	billing__v1__health_check_response__free_unpacked(r, NULL);
	req.service = "billing.v1.Nope";
	assert_int_equal(billing_health_check(TH.client, &req, &r, NULL, &st),
	    BILLING_NOT_FOUND);
	billing_status_fini(&st);
}

static void
test_no_server_is_unavailable_fast(void **state)
{
	billing_client_opts co = { .connect_timeout_ms = 300 };
	Billing__V1__HealthCheckRequest req =
	    BILLING__V1__HEALTH_CHECK_REQUEST__INIT;
	Billing__V1__HealthCheckResponse *r = NULL;
	billing_status st = BILLING_STATUS_INIT;
	billing_client *c;
	char url[300];
	int64_t t0;

	(void) state;
	snprintf(url, sizeof(url), "ipc://%s/nobody.sock", TH.dir);
	assert_int_equal(billing_client_open(&c, url, &co, &st), 0);
	t0 = th_now_ms();
	assert_int_equal(
	    billing_health_check(c, &req, &r, NULL, &st), BILLING_UNAVAILABLE);
	assert_true(th_now_ms() - t0 < 1500);
	billing_client_close(c);
	/* A malformed URL is refused at open. */
	assert_int_equal(billing_client_open(&c, "http://x", NULL, &st),
	    BILLING_INVALID_ARGUMENT);
	billing_status_fini(&st);
}

typedef struct bg_call {
	pthread_t t;
	const char *email; /* Customers.Create when set, else Plans.Get */
	int rv;
} bg_call;

static void *
bg_main(void *arg)
{
	bg_call *b = arg;
	billing_status st = BILLING_STATUS_INIT;
	billing_call_opts o = { .timeout_ms = 15000 };

	if (b->email != NULL) {
		Billing__V1__CreateCustomerRequest req =
		    BILLING__V1__CREATE_CUSTOMER_REQUEST__INIT;
		Billing__V1__Customer *c = NULL;

		req.email = (char *) b->email;
		b->rv = billing_customers_create(TH.client, &req, &c, &o, &st);
		if (c != NULL)
			billing__v1__customer__free_unpacked(c, NULL);
	} else {
		Billing__V1__GetPlanRequest req =
		    BILLING__V1__GET_PLAN_REQUEST__INIT;
		Billing__V1__Plan *p = NULL;

		req.code = "no-such-plan";
		b->rv = billing_plans_get(TH.client, &req, &p, &o, &st);
		if (p != NULL)
			billing__v1__plan__free_unpacked(p, NULL);
	}
	billing_status_fini(&st);
	return (NULL);
}

static void
test_sigterm_finishes_the_call_in_flight(void **state)
{
	bg_call b = { .email = "inflight@example.com" };
	char buf[32];

	(void) state;
	lock_table("customers", 1500);
	pthread_create(&b.t, NULL, bg_main, &b);
	wait_count(1, "%s", LOCK_WAITERS); /* the call is blocked */
	assert_int_equal(th_server_stop(&TH), 0);
	pthread_join(b.t, NULL);
	assert_int_equal(b.rv, 0);
	th_psql_value(&TH,
	    "SELECT count(*) FROM customers WHERE email ="
	    " 'inflight@example.com'",
	    buf, sizeof(buf));
	assert_string_equal(buf, "1");
	th_server_start(&TH, NULL);
}

static void
test_killed_server_never_gets_a_mutating_call_twice(void **state)
{
	bg_call write = { .email = "once@example.com" };
	bg_call read = { .email = NULL };
	char buf[32];

	(void) state;
	lock_table("customers", 2000);
	lock_table("plans", 2000);
	pthread_create(&write.t, NULL, bg_main, &write);
	pthread_create(&read.t, NULL, bg_main, &read);
	wait_count(2, "%s", LOCK_WAITERS); /* both are in the server */
	assert_true(TH.server_pid > 0); /* kill(0) would hit the test runner */
	kill(TH.server_pid, SIGKILL);
	waitpid(TH.server_pid, NULL, 0);
	TH.server_pid = 0;
	th_server_start(&TH, NULL);
	pthread_join(write.t, NULL);
	pthread_join(read.t, NULL);
	/* The write's outcome is unknown to the client: UNAVAILABLE. */
	assert_int_equal(write.rv, BILLING_UNAVAILABLE);
	/* The read was retried on the new server (NOT_FOUND is its answer). */
	assert_int_equal(read.rv, BILLING_NOT_FOUND);
	th_sleep_ms(2200);
	/* The killed server's transaction died with it, and nng did not
	 * resend the request to the new server. */
	th_psql_value(&TH,
	    "SELECT count(*) FROM customers WHERE email ="
	    " 'once@example.com'",
	    buf, sizeof(buf));
	assert_string_equal(buf, "0");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_garbage_frame_is_invalid_argument),
		cmocka_unit_test(test_unknown_method_is_unimplemented),
		cmocka_unit_test(test_bad_payloads_are_invalid_argument),
		cmocka_unit_test(test_bad_metadata_is_invalid_argument),
		cmocka_unit_test(test_oversized_frames),
		cmocka_unit_test(
		    test_expired_deadline_is_refused_without_a_write),
		cmocka_unit_test(test_deadline_bounds_a_blocked_statement),
		cmocka_unit_test(test_sixteen_threads_share_one_client),
		cmocka_unit_test(test_health_check),
		cmocka_unit_test(test_no_server_is_unavailable_fast),
		cmocka_unit_test(test_sigterm_finishes_the_call_in_flight),
		cmocka_unit_test(
		    test_killed_server_never_gets_a_mutating_call_twice),
	};

	return (cmocka_run_group_tests(tests, th_setup, th_teardown));
}
