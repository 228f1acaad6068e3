/*
 * params: the bridge's request parameters read by PHP's rules
 * (docs/legacy-api.md 1 and 6 "Parameters", http-bridge/params.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "params.h"

#define FORM "application/x-www-form-urlencoded"
#define JSON "application/json"

static params *
parse(const char *query, const char *ctype, const char *body)
{
	params *p = NULL;

	assert_int_equal(
	    params_parse(&p, "POST", query, query != NULL ? strlen(query) : 0,
	        ctype, body, body != NULL ? strlen(body) : 0),
	    PARAMS_OK);
	assert_non_null(p);
	return (p);
}

static params *
q(const char *query)
{
	return (parse(query, NULL, NULL));
}

static params *
form(const char *body)
{
	return (parse(NULL, FORM, body));
}

static params *
json(const char *body)
{
	return (parse(NULL, JSON, body));
}

/* name is the scalar val (len bytes). */
static void
scalar_n(const params *p, const char *name, const char *val, size_t len)
{
	const param *x = params_get(p, name);

	assert_non_null(x);
	assert_int_equal(x->kind, PARAM_SCALAR);
	assert_int_equal(x->len, len);
	assert_memory_equal(x->value, val, len);
	assert_int_equal(x->value[len], '\0');
}

static void
scalar(const params *p, const char *name, const char *val)
{
	scalar_n(p, name, val, strlen(val));
}

static const param *
array(const params *p, const char *name, size_t n)
{
	const param *x = params_get(p, name);

	assert_non_null(x);
	assert_int_equal(x->kind, PARAM_ARRAY);
	assert_int_equal(x->n, n);
	return (x);
}

static void
member(
    const param *a, size_t i, const char *key, const char *val, unsigned flags)
{
	assert_true(i < a->n);
	assert_string_equal(a->members[i].key, key);
	assert_int_equal(a->members[i].keylen, strlen(key));
	assert_int_equal(a->members[i].len, strlen(val));
	assert_string_equal(a->members[i].value, val);
	assert_int_equal(a->members[i].flags, flags);
}

/* A JSON body's one value "v" as a string. */
static void
json_value(const char *jv, const char *want)
{
	char buf[256];
	params *p;

	snprintf(buf, sizeof(buf), "{\"v\": %s}", jv);
	p = json(buf);
	scalar(p, "v", want);
	params_free(p);
}

static void
json_empty(const char *body)
{
	params *p = parse("a=1", JSON, body);

	assert_int_equal(params_count(p), 1);
	scalar(p, "a", "1");
	params_free(p);
}

static void
test_percent_and_plus(void **state)
{
	params *p;

	(void) state;
	p = q("a=x+y%20z&b=%41%62%2b%26%3D&c=%e2%82%AC&d=a%2Bb");
	scalar(p, "a", "x y z");
	scalar(p, "b", "Ab+&=");
	scalar(p, "c", "\xe2\x82\xac");
	scalar(p, "d", "a+b");
	params_free(p);

	/* Names are decoded too: "%61" is "a", '+' a space -> '_'. */
	p = q("%61=1&x+y=2&%78%2E%79=3");
	scalar(p, "a", "1");
	scalar(p, "x_y", "3"); /* "x+y" and "x.y" are both "x_y" */
	assert_int_equal(params_count(p), 2);
	params_free(p);

	/* NUL and invalid UTF-8 in values are kept (len counts). */
	p = q("a=x%00y&b=%ff%fe");
	scalar_n(p, "a", "x\0y", 3);
	scalar_n(p, "b", "\xff\xfe", 2);
	params_free(p);
}

static void
test_malformed_escapes(void **state)
{
	params *p;

	(void) state;
	p = q("a=%&b=%4&c=%zz&d=100%&e=%%41&f=%4g1&g=%");
	scalar(p, "a", "%");
	scalar(p, "b", "%4");
	scalar(p, "c", "%zz");
	scalar(p, "d", "100%");
	scalar(p, "e", "%A");
	scalar(p, "f", "%4g1");
	scalar(p, "g", "%");
	params_free(p);
}

static void
test_name_mangling(void **state)
{
	params *p;
	const param *a;

	(void) state;
	p = q("a.b=1&c d=2&e.f.g=3&.x=4&%20%20lead=5&lead%20sp=6");
	scalar(p, "a_b", "1");
	scalar(p, "c_d", "2");
	scalar(p, "e_f_g", "3");
	scalar(p, "_x", "4");
	scalar(p, "lead", "5"); /* leading spaces are dropped */
	scalar(p, "lead_sp", "6");
	assert_null(params_get(p, "a.b"));
	params_free(p);

	/* Only before the first '[': the key keeps '.' and ' '. */
	p = q("m.x[a.b]=1&m.x[c d]=2");
	a = array(p, "m_x", 2);
	member(a, 0, "a.b", "1", 0);
	member(a, 1, "c d", "2", 0);
	params_free(p);

	/* '[' without ']': no array, and '.', ' ', '[' after it -> '_'. */
	p = q("a[b.c=1&x.y[z=2&u[v w[=3");
	scalar(p, "a_b_c", "1");
	scalar(p, "x_y_z", "2");
	scalar(p, "u_v_w_", "3");
	params_free(p);

	/* The name stops at NUL. */
	p = q("ab%00cd=1");
	scalar(p, "ab", "1");
	assert_int_equal(params_count(p), 1);
	params_free(p);
}

static void
test_empty_and_missing(void **state)
{
	params *p;

	(void) state;
	p = q("a=&b&c=1=2&&&=x&=&%20=y&[k]=z&.=d");
	scalar(p, "a", "");
	scalar(p, "b", "");
	scalar(p, "c", "1=2");
	scalar(p, "_", "d");
	/* "=x", "=", " =y" and "[k]=z" have empty names: ignored. */
	assert_int_equal(params_count(p), 4);
	assert_false(params_given(p, "a"));
	assert_false(params_given(p, "b"));
	assert_true(params_given(p, "c"));
	assert_false(params_given(p, "zz"));
	params_free(p);

	p = q("");
	assert_int_equal(params_count(p), 0);
	params_free(p);
	p = parse(NULL, NULL, NULL);
	assert_int_equal(params_count(p), 0);
	params_free(p);
}

static void
test_duplicates(void **state)
{
	params *p;
	const param *a;

	(void) state;
	p = q("a=1&b=x&a=2&a=3");
	scalar(p, "a", "3");
	assert_int_equal(params_count(p), 2);
	assert_string_equal(params_at(p, 0)->name, "a"); /* first's place */
	params_free(p);

	/* Scalar then array, array then scalar: the later one replaces. */
	p = q("a=1&a[x]=2&b[]=1&b=2");
	a = array(p, "a", 1);
	member(a, 0, "x", "2", 0);
	scalar(p, "b", "2");
	params_free(p);

	/* Equal keys in an array: the later wins in its place. */
	p = q("m[x]=1&m[y]=2&m[x]=3");
	a = array(p, "m", 2);
	member(a, 0, "x", "3", 0);
	member(a, 1, "y", "2", 0);
	params_free(p);

	/* "a.b" and "a_b" are the same name. */
	p = q("a.b=1&a_b=2");
	scalar(p, "a_b", "2");
	assert_int_equal(params_count(p), 1);
	params_free(p);
}

static void
test_arrays(void **state)
{
	params *p;
	const param *a;

	(void) state;
	p = q("meta[phone]=1&meta[x]=2&id[]=1");
	a = array(p, "meta", 2);
	member(a, 0, "phone", "1", 0);
	member(a, 1, "x", "2", 0);
	a = array(p, "id", 1);
	member(a, 0, "0", "1", 0);
	assert_true(params_given(p, "id"));
	params_free(p);

	/* "[]" counts on from the largest integer key. */
	p = q("a[]=x&a[]=y&a[5]=z&a[]=w&a[k]=v&a[]=u&a[07]=s&a[]=t&a[-3]=n&"
	      "a[]=o");
	a = array(p, "a", 10);
	member(a, 0, "0", "x", 0);
	member(a, 1, "1", "y", 0);
	member(a, 2, "5", "z", 0);
	member(a, 3, "6", "w", 0);
	member(a, 4, "k", "v", 0);
	member(a, 5, "7", "u", 0);
	member(a, 6, "07", "s", 0); /* not an integer key */
	member(a, 7, "8", "t", 0);
	member(a, 8, "-3", "n", 0);
	member(a, 9, "9", "o", 0);
	params_free(p);

	/* "[ ]" appends, "[ x]" keeps its space, text after ']' ignored,
	 * empty key, encoded brackets. */
	p = q("a[ ]=1&a[ x]=2&b[k]junk=3&c[]=&d%5Bk%5D=4&e[]");
	a = array(p, "a", 2);
	member(a, 0, "0", "1", 0);
	member(a, 1, " x", "2", 0);
	a = array(p, "b", 1);
	member(a, 0, "k", "3", 0);
	a = array(p, "c", 1);
	member(a, 0, "0", "", 0);
	a = array(p, "d", 1);
	member(a, 0, "k", "4", 0);
	a = array(p, "e", 1);
	member(a, 0, "0", "", 0);
	params_free(p);

	p = q("f[]]=1&g[a[b]=2");
	a = array(p, "f", 1);
	member(a, 0, "0", "1", 0);
	a = array(p, "g", 1);
	member(a, 0, "a[b", "2", 0);
	params_free(p);

	/* Deeper than one level: flagged, value "". */
	p = q("a[x][y]=1&a[z][]=2&a[][k]=3&b[x]=1&b[x][y]=2&c[x][y]=1&c[x]=3&"
	      "d[x][y=4");
	a = array(p, "a", 3);
	member(a, 0, "x", "", PARAM_MEMBER_NESTED);
	member(a, 1, "z", "", PARAM_MEMBER_NESTED);
	member(a, 2, "0", "", PARAM_MEMBER_NESTED);
	a = array(p, "b", 1);
	member(a, 0, "x", "", PARAM_MEMBER_NESTED);
	a = array(p, "c", 1);
	member(a, 0, "x", "3", 0);
	a = array(p, "d", 1); /* second '[' without ']': plain key */
	member(a, 0, "x", "4", 0);
	params_free(p);
}

static void
test_string_helper(void **state)
{
	params *p;
	const char *v = NULL;
	size_t len = 0;

	(void) state;
	p = q("a=1&b=&c[]=1&d=x%00");
	assert_int_equal(params_string(p, "a", &v, &len), PARAMS_OK);
	assert_string_equal(v, "1");
	assert_int_equal(len, 1);
	assert_int_equal(params_string(p, "b", &v, &len), PARAMS_ENOENT);
	assert_int_equal(params_string(p, "c", &v, &len), PARAMS_EARRAY);
	assert_int_equal(params_string(p, "zz", &v, &len), PARAMS_ENOENT);
	assert_int_equal(params_string(p, "d", &v, &len), PARAMS_OK);
	assert_int_equal(len, 2);
	params_free(p);
}

static void
test_form_body(void **state)
{
	params *p;

	(void) state;
	p = parse("a=q&b=q&c=q", FORM, "a=b&d=b");
	scalar(p, "a", "b");
	scalar(p, "b", "q");
	scalar(p, "c", "q");
	scalar(p, "d", "b");
	params_free(p);

	/* A body array replaces a query array as a whole. */
	p = parse("meta[a]=1&id=2", FORM, "meta[b]=2&id[]=3");
	member(array(p, "meta", 1), 0, "b", "2", 0);
	member(array(p, "id", 1), 0, "0", "3", 0);
	params_free(p);

	p = form("a.b=1&m[k]=v");
	scalar(p, "a_b", "1");
	member(array(p, "m", 1), 0, "k", "v", 0);
	params_free(p);

	/* A body "" still wins. */
	p = parse("a=1", FORM, "a=");
	scalar(p, "a", "");
	params_free(p);
}

static void
test_content_types(void **state)
{
	static const char *forms[] = {
		"application/x-www-form-urlencoded",
		"application/x-www-form-urlencoded; charset=utf-8",
		"Application/X-WWW-Form-Urlencoded;charset=UTF-8",
		"  APPLICATION/X-WWW-FORM-URLENCODED  ; x=y",
	};
	static const char *jsons[] = {
		"application/json",
		"application/json; charset=utf-8",
		"Application/JSON",
		"application/json ;charset=utf-8",
	};
	static const char *others[] = {
		"text/plain",
		"application/jsonx",
		"application/x-json",
		"application/json-patch+json",
		"application/x-www-form-urlencodedx",
		"multipart/form-data; boundary=xx",
		"",
		NULL,
	};
	params *p;

	(void) state;
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		assert_int_equal(params_ctype(forms[i]), PARAMS_CT_FORM);
		p = parse("a=1", forms[i], "a=2");
		scalar(p, "a", "2");
		params_free(p);
	}
	for (size_t i = 0; i < sizeof(jsons) / sizeof(jsons[0]); i++) {
		assert_int_equal(params_ctype(jsons[i]), PARAMS_CT_JSON);
		p = parse("a=1", jsons[i], "{\"a\":\"2\"}");
		scalar(p, "a", "2");
		params_free(p);
	}
	assert_int_equal(params_ctype("Multipart/Form-Data; boundary=x"),
	    PARAMS_CT_MULTIPART);
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		p = parse("a=1", others[i], "a=2");
		scalar(p, "a", "1");
		assert_int_equal(params_count(p), 1);
		params_free(p);
		p = parse("a=1", others[i], "{\"a\":\"2\"}");
		scalar(p, "a", "1");
		params_free(p);
	}
	/* The method does not matter for form and JSON bodies. */
	p = NULL;
	assert_int_equal(
	    params_parse(&p, "PUT", "a=1", 3, JSON, "{\"a\":2}", 7),
	    PARAMS_OK);
	scalar(p, "a", "2");
	params_free(p);
	assert_int_equal(
	    params_parse(&p, "GET", NULL, 0, FORM, "a=3", 3), PARAMS_OK);
	scalar(p, "a", "3");
	params_free(p);
}

static void
test_json_scalars(void **state)
{
	(void) state;
	json_value("\"x y+%41\"", "x y+%41"); /* no form decoding */
	json_value("\"\"", "");
	json_value("0", "0");
	json_value("12", "12");
	json_value("-7", "-7");
	json_value("9223372036854775807", "9223372036854775807");
	json_value("-9223372036854775808", "-9223372036854775808");
	json_value("12.5", "12.5");
	json_value("10.10", "10.1");
	json_value("1e2", "100");
	json_value("1E2", "100");
	json_value("0.1", "0.1");
	json_value("1.5e300", "1.5E+300");
	json_value("-0.0", "-0");
	json_value("0.0", "0");
	json_value("-12.50", "-12.5");
	json_value("99999999.99", "99999999.99");
	json_value("0.30000000000000004", "0.30000000000000004");
	json_value("1e-5", "1.0E-5");
	json_value("0.0001", "0.0001");
	json_value("1e16", "10000000000000000");
	json_value("1e17", "1.0E+17");
	json_value(
	    "123456789012345678901234567890.0", "1.2345678901234568E+29");
	json_value("true", "true");
	json_value("false", "false");
}

static void
test_json_strings_bytes(void **state)
{
	params *p;

	(void) state;
	p = json("{\"a\": \"x\\u0000y\", \"b\": \"\\u20ac\"}");
	scalar_n(p, "a", "x\0y", 3);
	scalar(p, "b", "\xe2\x82\xac");
	params_free(p);
	/* Invalid UTF-8 makes the JSON invalid (PHP: json_decode fails). */
	json_empty("{\"a\": \"\xff\"}");
	/* Keys are not mangled in JSON. */
	p = json("{\"a.b\": \"1\", \"c d\": 2}");
	scalar(p, "a.b", "1");
	scalar(p, "c d", "2");
	params_free(p);
}

static void
test_json_null_and_bodywins(void **state)
{
	params *p;

	(void) state;
	p = parse("a=1&b=2&c=3&d=4", JSON,
	    "{\"a\": null, \"b\": \"x\", \"e\": null, \"d\": \"\"}");
	assert_null(params_get(p, "a")); /* null masks the query */
	scalar(p, "b", "x");
	scalar(p, "c", "3");
	scalar(p, "d", "");
	assert_null(params_get(p, "e"));
	assert_false(params_given(p, "a"));
	assert_false(params_given(p, "d"));
	assert_int_equal(params_count(p), 3);
	params_free(p);

	/* Duplicate JSON keys: the later wins (as PHP). */
	p = json("{\"a\": 1, \"a\": 2, \"\": 3}");
	scalar(p, "a", "2");
	assert_int_equal(params_count(p), 1); /* "" ignored */
	params_free(p);
}

/* multipart fields: form rules without percent-decoding, body wins. */
static void
test_merge_fields(void **state)
{
	static const char nul[] = { 'a', '\0', 'b' };
	const params_field f[] = {
		{ "action", 6, "create", 6 },
		{ "meta[k]", 7, "1", 1 },
		{ "meta[]", 6, "2", 1 },
		{ "a.b c", 5, "%41", 3 },
		{ "bin", 3, nul, 3 },
		{ "q", 1, "", 0 },
	};
	params_field many[PARAMS_MAX_PARAMS + 1];
	char longname[PARAMS_NAME_MAX + 2];
	params *p;
	const param *a;

	(void) state;
	p = q("action=list&meta[x]=9&q=1&keep=1");
	assert_int_equal(params_merge_fields(p, f, 6), PARAMS_OK);
	scalar(p, "action", "create");
	a = array(p, "meta", 2); /* the body's array replaces the query's */
	member(a, 0, "k", "1", 0);
	member(a, 1, "0", "2", 0);
	scalar(p, "a_b_c", "%41");
	scalar_n(p, "bin", nul, 3);
	scalar(p, "q", "");
	scalar(p, "keep", "1");
	assert_false(params_given(p, "q"));

	/* Bounds, and p unchanged on failure. */
	for (size_t i = 0; i < PARAMS_MAX_PARAMS + 1; i++)
		many[i] = (params_field) { "x", 1, "1", 1 };
	assert_int_equal(params_merge_fields(p, many, PARAMS_MAX_PARAMS + 1),
	    PARAMS_ETOOMANY);
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	many[0] = (params_field) { longname, sizeof(longname) - 1, "1", 1 };
	assert_int_equal(params_merge_fields(p, many, 1), PARAMS_ETOOLONG);
	scalar(p, "action", "create");
	assert_null(params_get(p, "x"));
	assert_int_equal(params_merge_fields(p, NULL, 0), PARAMS_OK);
	params_free(p);
}

static void
test_json_nested(void **state)
{
	params *p;
	const param *a;

	(void) state;
	p = parse("meta[q]=1", JSON,
	    "{\"meta\": {\"phone\": \"123\", \"n\": 5, \"r\": 1.50, "
	    "\"t\": true, \"f\": false, \"z\": null, \"o\": {\"x\": 1}, "
	    "\"l\": [1], \"s\": \"\"}}");
	a = array(p, "meta", 9);
	member(a, 0, "phone", "123", 0);
	member(a, 1, "n", "5", 0);
	member(a, 2, "r", "1.5", 0);
	member(a, 3, "t", "true", 0);
	member(a, 4, "f", "false", 0);
	member(a, 5, "z", "", PARAM_MEMBER_NULL);
	member(a, 6, "o", "", PARAM_MEMBER_NESTED);
	member(a, 7, "l", "", PARAM_MEMBER_NESTED);
	member(a, 8, "s", "", 0);
	params_free(p);

	p = json("{\"meta\": {}, \"id\": [1, \"x\", null, [2], 2.0]}");
	array(p, "meta", 0);
	assert_true(params_given(p, "meta"));
	a = array(p, "id", 5);
	member(a, 0, "0", "1", 0);
	member(a, 1, "1", "x", 0);
	member(a, 2, "2", "", PARAM_MEMBER_NULL);
	member(a, 3, "3", "", PARAM_MEMBER_NESTED);
	member(a, 4, "4", "2", 0);
	params_free(p);

	/* A JSON object replaces a query scalar, a scalar a query array. */
	p = parse("meta=x&id[]=1", JSON, "{\"meta\": {\"a\": 1}, \"id\": 2}");
	member(array(p, "meta", 1), 0, "a", "1", 0);
	scalar(p, "id", "2");
	params_free(p);
}

static void
test_json_not_an_object(void **state)
{
	(void) state;
	json_empty("[1, 2]");
	json_empty("\"a=2\"");
	json_empty("12");
	json_empty("null");
	json_empty("true");
	json_empty("");
	json_empty("   ");
	json_empty("{");
	json_empty("{\"a\": 2,}");
	json_empty("{\"a\": 2} x");
	json_empty("{\"a\": 2}{}");
	json_empty("{'a': 2}");
	json_empty("a=2");
	/* Integers beyond int64, reals beyond double: jansson refuses. */
	json_empty("{\"a\": 9223372036854775808}");
	json_empty("{\"a\": -9223372036854775809}");
	json_empty("{\"a\": 1e400}");
}

static void
test_php_double(void **state)
{
	char buf[PARAMS_DOUBLE_BUFSZ];

	(void) state;
	assert_int_equal(
	    params_php_double(0.1 + 0.2, 14, buf, sizeof(buf)), PARAMS_OK);
	assert_string_equal(buf, "0.3");
	assert_int_equal(
	    params_php_double(0.1 + 0.2, -1, buf, sizeof(buf)), PARAMS_OK);
	assert_string_equal(buf, "0.30000000000000004");
	params_php_double(1e15, 14, buf, sizeof(buf));
	assert_string_equal(buf, "1.0E+15");
	params_php_double(1e15, -1, buf, sizeof(buf));
	assert_string_equal(buf, "1000000000000000");
	params_php_double(-1.5e-7, -1, buf, sizeof(buf));
	assert_string_equal(buf, "-1.5E-7");
	params_php_double(5e-324, -1, buf, sizeof(buf));
	assert_string_equal(buf, "5.0E-324"); /* shortest */
	params_php_double(1.7976931348623157e308, -1, buf, sizeof(buf));
	assert_string_equal(buf, "1.7976931348623157E+308");
	params_php_double(-1.7976931348623157e308, -1, buf, sizeof(buf));
	assert_string_equal(buf, "-1.7976931348623157E+308");
	params_php_double(0.1, 17, buf, sizeof(buf));
	assert_string_equal(buf, "0.10000000000000001");
	params_php_double(0.05, -1, buf, sizeof(buf));
	assert_string_equal(buf, "0.05");
	params_php_double(123.456, 4, buf, sizeof(buf));
	assert_string_equal(buf, "123.5");
	params_php_double(1.0 / 0.0, -1, buf, sizeof(buf));
	assert_string_equal(buf, "INF");
	params_php_double(-1.0 / 0.0, -1, buf, sizeof(buf));
	assert_string_equal(buf, "-INF");
	assert_int_equal(
	    params_php_double(1, 0, buf, sizeof(buf)), PARAMS_EINVAL);
	assert_int_equal(
	    params_php_double(1, 18, buf, sizeof(buf)), PARAMS_EINVAL);
	assert_int_equal(params_php_double(1, -1, buf, 8), PARAMS_EINVAL);
}

/* A query of n pieces "pN=1" (or "a[]=1" when arr). */
static char *
pieces(size_t n, bool arr)
{
	char *s = malloc(n * 16 + 1), *o = s;

	assert_non_null(s);
	*o = '\0';
	for (size_t i = 0; i < n; i++)
		o += arr ? sprintf(o, "%sa[]=1", i ? "&" : "")
		         : sprintf(o, "%sp%zu=1", i ? "&" : "", i);
	return (s);
}

static int
try(const char *query, const char *ctype, const char *body)
{
	params *p = NULL;
	int rv;

	rv = params_parse(&p, "POST", query, query ? strlen(query) : 0, ctype,
	    body, body ? strlen(body) : 0);
	if (rv == PARAMS_OK)
		params_free(p);
	else
		assert_null(p);
	return (rv);
}

static void
test_limits(void **state)
{
	char *s, name[PARAMS_NAME_MAX + 8], *big;
	size_t n;

	(void) state;
	s = pieces(PARAMS_MAX_PARAMS, false);
	assert_int_equal(try(s, NULL, NULL), PARAMS_OK);
	assert_int_equal(try(NULL, FORM, s), PARAMS_OK);
	assert_int_equal(try(s, FORM, s), PARAMS_OK);
	free(s);
	s = pieces(PARAMS_MAX_PARAMS + 1, false);
	assert_int_equal(try(s, NULL, NULL), PARAMS_ETOOMANY);
	assert_int_equal(try(NULL, FORM, s), PARAMS_ETOOMANY);
	free(s);
	/* Pieces count, even equal names. */
	s = pieces(PARAMS_MAX_PARAMS + 1, true);
	assert_int_equal(try(s, NULL, NULL), PARAMS_ETOOMANY);
	free(s);

	s = pieces(PARAMS_MAX_MEMBERS, true);
	assert_int_equal(try(s, NULL, NULL), PARAMS_OK);
	free(s);
	s = pieces(PARAMS_MAX_MEMBERS + 1, true);
	assert_int_equal(try(s, NULL, NULL), PARAMS_ETOOMANY);
	free(s);
	/* Replacing a key does not add a member. */
	s = malloc(PARAMS_MAX_PARAMS * 8);
	assert_non_null(s);
	s[0] = '\0';
	for (n = 0; n < 500; n++)
		strcat(s, n ? "&a[k]=1" : "a[k]=1");
	assert_int_equal(try(s, NULL, NULL), PARAMS_OK);
	free(s);

	/* JSON: members and nested members. */
	s = malloc(PARAMS_MAX_PARAMS * 16 + 64);
	assert_non_null(s);
	strcpy(s, "{");
	for (n = 0; n <= PARAMS_MAX_PARAMS; n++)
		sprintf(s + strlen(s), "%s\"p%zu\":1", n ? "," : "", n);
	strcat(s, "}");
	assert_int_equal(try(NULL, JSON, s), PARAMS_ETOOMANY);
	strcpy(s, "{\"m\":{");
	for (n = 0; n <= PARAMS_MAX_MEMBERS; n++)
		sprintf(s + strlen(s), "%s\"k%zu\":1", n ? "," : "", n);
	strcat(s, "}}");
	assert_int_equal(try(NULL, JSON, s), PARAMS_ETOOMANY);
	strcpy(s, "{\"m\":[");
	for (n = 0; n <= PARAMS_MAX_MEMBERS; n++)
		strcat(s, n ? ",1" : "1");
	strcat(s, "]}");
	assert_int_equal(try(NULL, JSON, s), PARAMS_ETOOMANY);
	strcpy(s, "{\"m\":[");
	for (n = 0; n < PARAMS_MAX_MEMBERS; n++)
		strcat(s, n ? ",1" : "1");
	strcat(s, "]}");
	assert_int_equal(try(NULL, JSON, s), PARAMS_OK);
	free(s);

	/* Names: 256 bytes pass, 257 do not (decoded length). */
	memset(name, 'n', PARAMS_NAME_MAX);
	strcpy(name + PARAMS_NAME_MAX, "=1");
	assert_int_equal(try(name, NULL, NULL), PARAMS_OK);
	strcpy(name + PARAMS_NAME_MAX, "n=1");
	assert_int_equal(try(name, NULL, NULL), PARAMS_ETOOLONG);
	assert_int_equal(try(NULL, FORM, name), PARAMS_ETOOLONG);
	big = malloc(PARAMS_NAME_MAX * 3 + 16);
	assert_non_null(big);
	big[0] = '\0';
	for (n = 0; n < PARAMS_NAME_MAX; n++)
		strcat(big, "%41");
	strcat(big, "=1");
	assert_int_equal(try(big, NULL, NULL), PARAMS_OK);
	sprintf(big, "{\"%.*s\": 1}", PARAMS_NAME_MAX + 1, name);
	assert_int_equal(try(NULL, JSON, big), PARAMS_ETOOLONG);
	sprintf(big, "{\"m\": {\"%.*s\": 1}}", PARAMS_NAME_MAX + 1, name);
	assert_int_equal(try(NULL, JSON, big), PARAMS_ETOOLONG);
	free(big);

	/* Sizes and arguments. */
	big = calloc(1, PARAMS_BODY_MAX + 2);
	assert_non_null(big);
	memset(big, 'a', PARAMS_BODY_MAX + 1);
	assert_int_equal(try(NULL, FORM, big), PARAMS_ETOOBIG);
	assert_int_equal(try(big, NULL, NULL), PARAMS_ETOOBIG);
	big[PARAMS_BODY_MAX] = '\0';
	assert_int_equal(try(NULL, FORM, big), PARAMS_ETOOLONG);
	assert_int_equal(try(NULL, JSON, big), PARAMS_OK); /* invalid JSON */
	free(big);
	assert_int_equal(
	    params_parse(NULL, "GET", NULL, 0, NULL, NULL, 0), PARAMS_EINVAL);
	{
		params *p = NULL;

		assert_int_equal(
		    params_parse(&p, "GET", NULL, 1, NULL, NULL, 0),
		    PARAMS_EINVAL);
		assert_int_equal(
		    params_parse(&p, "GET", NULL, 0, FORM, NULL, 1),
		    PARAMS_EINVAL);
		assert_null(p);
	}
	assert_null(params_get(NULL, "a"));
	assert_int_equal(params_count(NULL), 0);
	params_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_percent_and_plus),
		cmocka_unit_test(test_malformed_escapes),
		cmocka_unit_test(test_name_mangling),
		cmocka_unit_test(test_empty_and_missing),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_arrays),
		cmocka_unit_test(test_string_helper),
		cmocka_unit_test(test_form_body),
		cmocka_unit_test(test_content_types),
		cmocka_unit_test(test_json_scalars),
		cmocka_unit_test(test_json_strings_bytes),
		cmocka_unit_test(test_json_null_and_bodywins),
		cmocka_unit_test(test_merge_fields),
		cmocka_unit_test(test_json_nested),
		cmocka_unit_test(test_json_not_an_object),
		cmocka_unit_test(test_php_double),
		cmocka_unit_test(test_limits),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
