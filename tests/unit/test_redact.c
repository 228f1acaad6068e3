/*
 * The rollout's request records without secrets (redact) and canary
 * routing (canary).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "canary.h"
#include "redact.h"

static char OUT[REDACT_MAX + 1];

static const char *
rec(const char *method, const char *path, const char *query, const char *ctype,
    const char *body)
{
	redact_request(method, path, query, ctype, body,
	    body != NULL ? strlen(body) : 0, OUT);
	return (OUT);
}

static void
test_api_key_removed_from_query(void **state)
{
	(void) state;
	assert_string_equal(rec("GET", "/api/invoices.php",
	                        "action=get&api_key=SECRET&id=7", NULL, NULL),
	    "GET /api/invoices.php?action=get&id=7");
	/* Every spelling PHP reads as api_key. */
	assert_string_equal(rec("GET", "/p",
	                        "api_key=1&api.key=2&api+key=3&api%5Fkey=4&"
	                        "%61pi_key=5&api[key=6&API_KEY=7&api_key[]=8&"
	                        "+api_key=9&a=1",
	                        NULL, NULL),
	    "GET /p?a=1");
	assert_string_equal(
	    rec("GET", "/p", "api_key", NULL, NULL), "GET /p?");
	assert_string_equal(rec("GET", "/p", "apikey=1&api_ke=2", NULL, NULL),
	    "GET /p?apikey=1&api_ke=2");
	assert_string_equal(rec("GET", "/p", "", NULL, NULL), "GET /p");
	/* PHP drops any number of leading spaces from a name. */
	assert_string_equal(rec("GET", "/p",
	                        "++++++++++++++++++++++++++++++"
	                        "++++++++++++++++++++++++++++++"
	                        "%20%20api_key=1&a=1",
	                        NULL, NULL),
	    "GET /p?a=1");
}

static void
test_bodies(void **state)
{
	(void) state;
	assert_string_equal(rec("POST", "/api/users.php", "action=create",
	                        "application/x-www-form-urlencoded; "
	                        "charset=utf-8",
	                        "email=a%40b.c&api_key=SECRET&name=A"),
	    "POST /api/users.php?action=create\nemail=a%40b.c&name=A");
	assert_string_equal(rec("POST", "/u", NULL, "Application/JSON",
	                        "{\"api_key\":\"S\",\"name\":\"\xc3\xa9\","
	                        "\"API_KEY\":1,\"n\":{\"api_key\":2}}"),
	    "POST /u\n{\"name\":\"\\u00E9\",\"n\":{\"api_key\":2}}");
	assert_string_equal(
	    rec("POST", "/u", NULL, "application/json", "{\"api_key\":"),
	    "POST /u\n[11 bytes, not JSON: not recorded]");
	assert_string_equal(
	    rec("POST", "/u", NULL, "multipart/form-data; boundary=x",
	        "--x\r\napi_key..."),
	    "POST /u\n[15 bytes of multipart/form-data; boundary=x: not "
	    "recorded]");
	/* Control and non-ASCII bytes as %XX. */
	assert_string_equal(rec("GET", "/p\n", "a=\xff\x01", NULL, NULL),
	    "GET /p%0A?a=%FF%01");
}

static void
test_bounded(void **state)
{
	char *q = malloc(100001);
	size_t n;

	(void) state;
	assert_non_null(q);
	memset(q, '\x80', 100000);
	q[100000] = '\0';
	n = redact_request("GET", "/p", q, NULL, NULL, 0, OUT);
	assert_true(n <= REDACT_MAX);
	assert_int_equal(strlen(OUT), n);
	free(q);
}

static void
test_canary(void **state)
{
	canary *c = calloc(1, sizeof(*c));
	int64_t ids[] = { 9, 3, 5 };
	int in = 0, counts[100] = { 0 };
	char id[24];

	(void) state;
	assert_non_null(c);
	assert_int_equal(canary_set(c, ids, 3, 0), 0);
	assert_true(canary_match(c, 3, NULL, 0));
	assert_true(canary_match(c, 9, "1", 1));
	assert_false(canary_match(c, 4, "1", 1));
	assert_false(canary_match(c, 0, NULL, 0));
	assert_int_equal(canary_set(c, ids, 3, 101), -1);
	assert_int_equal(canary_set(c, ids, CANARY_MAX_KEYS + 1, 1), -1);

	/* Stable, known values (FNV-1a of the decimal text). */
	assert_int_equal(canary_bucket("", 0), (int) (2166136261u % 100));
	assert_int_equal(canary_bucket("1", 1), canary_bucket("1", 1));

	/* 10% of 10,000 users, near enough; raising the percent only adds. */
	assert_int_equal(canary_set(c, NULL, 0, 10), 0);
	for (int u = 1; u <= 10000; u++) {
		int len = snprintf(id, sizeof(id), "%d", u);

		counts[canary_bucket(id, (size_t) len)]++;
		if (canary_match(c, 0, id, (size_t) len)) {
			in++;
			assert_true(canary_bucket(id, (size_t) len) < 10);
		}
	}
	assert_true(in > 800 && in < 1200);
	for (int b = 0; b < 100; b++)
		assert_true(counts[b] > 50 && counts[b] < 150);
	assert_int_equal(canary_set(c, NULL, 0, 0), 0);
	assert_false(canary_match(c, 0, "1", 1));
	assert_int_equal(canary_set(c, NULL, 0, 100), 0);
	assert_true(canary_match(c, 0, "1", 1));
	assert_false(canary_match(c, 0, "", 0));
	free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_api_key_removed_from_query),
		cmocka_unit_test(test_bodies),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_canary),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
