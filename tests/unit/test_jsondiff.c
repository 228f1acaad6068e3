/*
 * The rollout's comparison of two answers (jsondiff) and the accepted
 * differences (accept).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "accept.h"
#include "jsondiff.h"

static jsondiff D;

/* Compares two JSON texts with status 200 each; the paths' count. */
static size_t
cmp(const char *a, const char *b)
{
	return (jsondiff_answers(
	    200, a, strlen(a), 200, b, strlen(b), NULL, NULL, &D));
}

typedef struct ctx {
	const accept_rules *rules;
	const char *endpoint, *action;
} ctx;

static bool
accept_cb(void *arg, const char *path, const json_t *a, const json_t *b)
{
	const ctx *c = arg;

	return (accept_match(c->rules, c->endpoint, c->action, path, a, b));
}

static size_t
cmp_with(
    const accept_rules *r, const char *endpoint, const char *a, const char *b)
{
	ctx c = { r, endpoint, "get" };

	return (jsondiff_answers(
	    200, a, strlen(a), 200, b, strlen(b), accept_cb, &c, &D));
}

static void
test_equal_answers(void **state)
{
	(void) state;
	assert_int_equal(cmp("{\"status\":\"ok\",\"data\":{\"a\":1,\"b\":[1,"
	                     "2]}}",
	                     " { \"data\" : {\"b\":[1,2],\"a\":1}, "
	                     "\"status\":\"ok\"}\n"),
	    0);
	assert_int_equal(cmp("[]", "[]"), 0);
	assert_int_equal(cmp("1.5", "1.50"), 0);
	assert_int_equal(cmp("not json", "not json"), 0);
	assert_int_equal(cmp("", ""), 0);
}

/* Equal bytes match unparsed; a result left over is not carried on. */
static void
test_same_bytes(void **state)
{
	(void) state;
	assert_int_equal(cmp("{\"a\":1}", "{\"a\":2}"), 1);
	assert_int_equal(D.n, 1);
	assert_int_equal(cmp("{\"a\":1}", "{\"a\":1}"), 0);
	assert_int_equal(D.n, 0);
	assert_false(D.truncated);
	assert_int_equal(D.accepted, 0);
	/* Bytes that are not JSON, and bodies with NUL bytes. */
	assert_int_equal(
	    jsondiff_answers(502, "a\0b", 3, 502, "a\0b", 3, NULL, NULL, &D),
	    0);
	assert_int_equal(
	    jsondiff_answers(200, "a\0b", 3, 200, "a\0c", 3, NULL, NULL, &D),
	    1);
	/* Same bytes, another status: only the status differs. */
	assert_int_equal(
	    jsondiff_answers(200, "{}", 2, 201, "{}", 2, NULL, NULL, &D), 1);
	assert_string_equal(D.paths[0], "$status");
}

static void
test_paths_of_differences(void **state)
{
	(void) state;
	assert_int_equal(cmp("{\"data\":{\"total\":\"9.99\",\"x\":1}}",
	                     "{\"data\":{\"total\":\"9.98\",\"x\":1}}"),
	    1);
	assert_string_equal(D.paths[0], "$.data.total");

	/* Missing and extra members, array elements, types. */
	assert_int_equal(cmp("{\"a\":1,\"b\":[1,2,3],\"c\":null}",
	                     "{\"b\":[1,5],\"c\":false,\"d\":0}"),
	    5);
	assert_string_equal(D.paths[0], "$.a");
	assert_string_equal(D.paths[1], "$.b[1]");
	assert_string_equal(D.paths[2], "$.b[2]");
	assert_string_equal(D.paths[3], "$.c");
	assert_string_equal(D.paths[4], "$.d");

	/* An integer is not a real, as in PHP. */
	assert_int_equal(cmp("{\"n\":1}", "{\"n\":1.0}"), 1);
	assert_string_equal(D.paths[0], "$.n");

	/* Keys that are no identifiers, escaped: no control character. */
	assert_int_equal(cmp("{\"a b\":1,\"q\\\"\\n\":1,\"1x\":1}",
	                     "{\"a b\":2,\"q\\\"\\n\":2,\"1x\":2}"),
	    3);
	assert_string_equal(D.paths[0], "$[\"a b\"]");
	assert_string_equal(D.paths[1], "$[\"q\\\"\\u000a\"]");
	assert_string_equal(D.paths[2], "$[\"1x\"]");

	/* Root types. */
	assert_int_equal(cmp("{}", "[]"), 1);
	assert_string_equal(D.paths[0], "$");
}

static void
test_status_and_non_json(void **state)
{
	(void) state;
	assert_int_equal(
	    jsondiff_answers(200, "{}", 2, 404, "{}", 2, NULL, NULL, &D), 1);
	assert_string_equal(D.paths[0], "$status");
	assert_int_equal(jsondiff_answers(500, "{\"a\":1}", 7, 200,
	                     "{\"a\":2}", 7, NULL, NULL, &D),
	    2);
	assert_string_equal(D.paths[0], "$status");
	assert_string_equal(D.paths[1], "$.a");
	/* Not JSON on one side, or both and different: the bytes. */
	assert_int_equal(cmp("<html>", "{}"), 1);
	assert_string_equal(D.paths[0], "$");
	assert_int_equal(cmp("<html>a", "<html>b"), 1);
	assert_string_equal(D.paths[0], "$");
}

static void
test_bounded(void **state)
{
	char *a = malloc(200000), *b = malloc(200000);
	size_t n = 0, m = 0;

	(void) state;
	assert_non_null(a);
	assert_non_null(b);
	/* 1000 differing elements: 64 paths kept, truncated. */
	n += (size_t) sprintf(a + n, "[");
	m += (size_t) sprintf(b + m, "[");
	for (int i = 0; i < 1000; i++) {
		n += (size_t) sprintf(a + n, "%s%d", i ? "," : "", i);
		m += (size_t) sprintf(b + m, "%s%d", i ? "," : "", i + 1);
	}
	a[n++] = ']';
	b[m++] = ']';
	assert_int_equal(
	    jsondiff_answers(200, a, n, 200, b, m, NULL, NULL, &D),
	    JSONDIFF_MAX_PATHS);
	assert_true(D.truncated);
	assert_string_equal(D.paths[63], "$[63]");
	/* With a status difference too: the status first, still 64. */
	assert_int_equal(
	    jsondiff_answers(200, a, n, 500, b, m, NULL, NULL, &D),
	    JSONDIFF_MAX_PATHS);
	assert_string_equal(D.paths[0], "$status");
	assert_string_equal(D.paths[1], "$[0]");

	/* Nesting deeper than a path can name: one path at the cut. */
	n = m = 0;
	for (int i = 0; i < 300; i++) {
		a[n++] = '[';
		b[m++] = '[';
	}
	a[n++] = '1';
	b[m++] = '2';
	for (int i = 0; i < 300; i++) {
		a[n++] = ']';
		b[m++] = ']';
	}
	assert_int_equal(
	    jsondiff_answers(200, a, n, 200, b, m, NULL, NULL, &D), 1);
	assert_true(strlen(D.paths[0]) < JSONDIFF_PATH_MAX);
	assert_true(strlen(D.paths[0]) > 400);
	free(a);
	free(b);
}

static const char RULES[] =
    "{\"accept\": ["
    " {\"path\": \"$.data.created_at\", \"kind\": "
    "\"datetime_within_seconds\", \"seconds\": 1},"
    " {\"endpoint\": \"cron.php\", \"path\": \"$.data.took_*\","
    "  \"kind\": \"ignore\", \"comment\": \"timing\"},"
    " {\"endpoint\": \"*\", \"action\": \"get\", \"path\": "
    "\"$.data.items[?].updated\", \"kind\": \"ignore\"}"
    "]}";

static void
test_accepted_differences(void **state)
{
	accept_rules *r = NULL;
	char err[256];

	(void) state;
	assert_int_equal(
	    accept_parse(RULES, strlen(RULES), &r, err, sizeof(err)), 0);
	assert_int_equal(accept_count(r), 3);

	/* A datetime one second off is accepted; two seconds are not. */
	assert_int_equal(cmp_with(r, "users.php",
	                     "{\"data\":{\"created_at\":\"2024-01-31 "
	                     "23:59:59\"}}",
	                     "{\"data\":{\"created_at\":\"2024-02-01 "
	                     "00:00:00\"}}"),
	    0);
	assert_int_equal(D.accepted, 1);
	assert_int_equal(cmp_with(r, "users.php",
	                     "{\"data\":{\"created_at\":\"2024-01-31 "
	                     "23:59:58\"}}",
	                     "{\"data\":{\"created_at\":\"2024-02-01 "
	                     "00:00:00\"}}"),
	    1);
	/* Not a datetime: no acceptance. */
	assert_int_equal(
	    cmp_with(r, "users.php", "{\"data\":{\"created_at\":\"x\"}}",
	        "{\"data\":{\"created_at\":\"y\"}}"),
	    1);
	/* Endpoint globs. */
	assert_int_equal(cmp_with(r, "cron.php", "{\"data\":{\"took_ms\":3}}",
	                     "{\"data\":{\"took_ms\":9}}"),
	    0);
	assert_int_equal(cmp_with(r, "users.php", "{\"data\":{\"took_ms\":3}}",
	                     "{\"data\":{\"took_ms\":9}}"),
	    1);
	/* '[' is literal, '?' one character. */
	assert_int_equal(cmp_with(r, "plans.php",
	                     "{\"data\":{\"items\":[{\"updated\":1},"
	                     "{\"updated\":1}]}}",
	                     "{\"data\":{\"items\":[{\"updated\":2},"
	                     "{\"updated\":2}]}}"),
	    0);
	accept_free(r);
}

static void
test_rules_are_strict(void **state)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{\"accept\": {}}",
		"{\"accept\": [], \"x\": 1}",
		"{\"accept\": [1]}",
		"{\"accept\": [{\"kind\": \"ignore\"}]}",
		"{\"accept\": [{\"path\": \"$\", \"kind\": \"nope\"}]}",
		"{\"accept\": [{\"path\": \"$\", \"kind\": \"ignore\", "
		"\"seconds\": 1}]}",
		"{\"accept\": [{\"path\": \"$\", \"kind\": "
		"\"datetime_within_seconds\"}]}",
		"{\"accept\": [{\"path\": \"$\", \"kind\": "
		"\"datetime_within_seconds\", \"seconds\": -1}]}",
		"{\"accept\": [{\"path\": \"$\", \"kind\": "
		"\"datetime_within_seconds\", \"seconds\": 1.5}]}",
		"{\"accept\": [{\"path\": \"\", \"kind\": \"ignore\"}]}",
		"{\"accept\": [{\"path\": \"$\", \"kind\": \"ignore\", "
		"\"typo\": 1}]}",
		"{\"accept\": [{\"path\": \"$\", \"path\": \"$\", \"kind\": "
		"\"ignore\"}]}",
		"{\"accept\": [{\"path\": \"a\\u0000b\", \"kind\": "
		"\"ignore\"}]}",
	};
	accept_rules *r = NULL;
	char err[256];

	(void) state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(
		    accept_parse(bad[i], strlen(bad[i]), &r, err, sizeof(err)),
		    -1);
		assert_null(r);
		assert_true(err[0] != '\0');
	}
	assert_int_equal(
	    accept_load("/nonexistent/rules.json", &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent/rules.json"));
}

static void
test_glob_and_datetime(void **state)
{
	long long t;

	(void) state;
	assert_true(accept_glob("*", ""));
	assert_true(accept_glob("$.a*", "$.abc"));
	assert_true(accept_glob("*.b", "$.a.b"));
	assert_true(accept_glob("$[?]", "$[7]"));
	assert_false(accept_glob("$[?]", "$[10]"));
	assert_true(accept_glob("a*b*c", "aXbYbZc"));
	assert_false(accept_glob("a*b*c", "aXbYbZ"));
	assert_false(accept_glob("", "a"));
	assert_true(accept_glob("**", "abc"));

	assert_int_equal(accept_datetime("1970-01-01 00:00:00", &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(accept_datetime("2024-02-29T12:00:01Z", &t), 0);
	assert_int_equal(t, 1709208001);
	assert_int_equal(accept_datetime("2023-02-29 12:00:00", &t), -1);
	assert_int_equal(accept_datetime("2024-01-31 24:00:00", &t), -1);
	assert_int_equal(accept_datetime("2024-01-31 12:00:00Z", &t), -1);
	assert_int_equal(accept_datetime("2024-1-31 12:00:00", &t), -1);
	assert_int_equal(accept_datetime("", &t), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equal_answers),
		cmocka_unit_test(test_same_bytes),
		cmocka_unit_test(test_paths_of_differences),
		cmocka_unit_test(test_status_and_non_json),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_accepted_differences),
		cmocka_unit_test(test_rules_are_strict),
		cmocka_unit_test(test_glob_and_datetime),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
