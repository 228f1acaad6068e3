/*
 * The migration's pure conversions (migrate/conv.c): DECIMAL text to
 * cents, Berlin DATETIMEs to UTC (gap, overlap), PHP serialize() to
 * JSON, the latin1 double encoding, emails and countries; and the
 * binary COPY tuples and id maps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../migrate/conv.h"
#include "../../migrate/idmap.h"
#include "../../migrate/tuple.h"

#define S(x) x, sizeof(x) - 1

static int
setup(void **state)
{
	(void) state;
	return (conv_set_zone("Europe/Berlin"));
}

static void
test_decimal(void **state)
{
	static const struct {
		const char *s;
		int scale, rv;
		int64_t want;
	} cases[] = {
		{ "0.00", 2, CONV_OK, 0 },
		{ "9.99", 2, CONV_OK, 999 },
		{ "-3.50", 2, CONV_OK, -350 },
		{ "-0.01", 2, CONV_OK, -1 },
		{ "12.5", 2, CONV_OK, 1250 },
		{ "7", 2, CONV_OK, 700 },
		{ "007.10", 2, CONV_OK, 710 },
		{ "99999999.99", 2, CONV_OK, 9999999999 },
		{ "-99999999.99", 2, CONV_OK, -9999999999 },
		{ "100000000.00", 2, CONV_RANGE, 0 },
		{ "99999999999999999999999", 2, CONV_RANGE, 0 },
		{ "19.00", 2, CONV_OK, 1900 }, /* a tax rate in basis points */
		{ "1.234", 2, CONV_INVALID, 0 },
		{ "", 2, CONV_INVALID, 0 },
		{ "-", 2, CONV_INVALID, 0 },
		{ ".5", 2, CONV_INVALID, 0 },
		{ "1.", 2, CONV_INVALID, 0 },
		{ "+1.00", 2, CONV_INVALID, 0 },
		{ " 1.00", 2, CONV_INVALID, 0 },
		{ "1.00 ", 2, CONV_INVALID, 0 },
		{ "1e3", 2, CONV_INVALID, 0 },
		{ "1,50", 2, CONV_INVALID, 0 },
		{ "0x10", 2, CONV_INVALID, 0 },
	};

	(void) state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t v = -42;
		int rv = conv_decimal(
		    cases[i].s, strlen(cases[i].s), cases[i].scale, &v);

		assert_int_equal(rv, cases[i].rv);
		if (rv == CONV_OK)
			assert_int_equal(v, cases[i].want);
		else
			assert_int_equal(v, -42);
	}
}

/* Microseconds of a UTC wall time. */
static int64_t
utc(int y, int mo, int d, int h, int mi, int s)
{
	int64_t days = 0;
	bool null;
	unsigned f = 0;
	char buf[32];

	snprintf(buf, sizeof(buf), "%04d-%02d-%02d %02d:%02d:%02d", y, mo, d,
	    h, mi, s);
	assert_int_equal(
	    conv_timestamp_utc(buf, strlen(buf), &null, &days, &f), CONV_OK);
	assert_false(null);
	return (days);
}

static void
test_datetime(void **state)
{
	int64_t us;
	bool null;
	unsigned f;

	(void) state;
	/* Winter: +01:00; summer: +02:00. */
	f = 0;
	assert_int_equal(
	    conv_datetime(S("2015-01-31 10:00:00"), &null, &us, &f), CONV_OK);
	assert_false(null);
	assert_int_equal(us, utc(2015, 1, 31, 9, 0, 0));
	assert_int_equal(f, 0);
	assert_int_equal(
	    conv_datetime(S("2015-06-01 12:00:00"), &null, &us, &f), CONV_OK);
	assert_int_equal(us, utc(2015, 6, 1, 10, 0, 0));
	/* The spring gap: 02:30 does not exist, it moves forward by the
	 * gap (03:30 CEST = 01:30 UTC). */
	f = 0;
	assert_int_equal(
	    conv_datetime(S("2016-03-27 02:30:00"), &null, &us, &f), CONV_OK);
	assert_int_equal(us, utc(2016, 3, 27, 1, 30, 0));
	assert_int_equal(f, CONV_F_GAP);
	/* Around the gap, on the same day. */
	f = 0;
	conv_datetime(S("2016-03-27 01:59:59"), &null, &us, &f);
	assert_int_equal(us, utc(2016, 3, 27, 0, 59, 59));
	conv_datetime(S("2016-03-27 03:00:00"), &null, &us, &f);
	assert_int_equal(us, utc(2016, 3, 27, 1, 0, 0));
	assert_int_equal(f, 0);
	/* The autumn overlap: 02:30 happens twice; the first (CEST). */
	f = 0;
	assert_int_equal(
	    conv_datetime(S("2015-10-25 02:30:00"), &null, &us, &f), CONV_OK);
	assert_int_equal(us, utc(2015, 10, 25, 0, 30, 0));
	assert_int_equal(f, CONV_F_AMBIGUOUS);
	f = 0;
	conv_datetime(S("2015-10-25 02:00:00"), &null, &us, &f);
	assert_int_equal(us, utc(2015, 10, 25, 0, 0, 0));
	assert_int_equal(f, CONV_F_AMBIGUOUS);
	f = 0;
	conv_datetime(S("2015-10-25 03:00:00"), &null, &us, &f);
	assert_int_equal(us, utc(2015, 10, 25, 2, 0, 0));
	conv_datetime(S("2015-10-25 01:59:59"), &null, &us, &f);
	assert_int_equal(us, utc(2015, 10, 24, 23, 59, 59));
	assert_int_equal(f, 0);
	/* The same day twice: the cache gives the same answer. */
	conv_datetime(S("2015-10-25 02:30:00"), &null, &us, &f);
	assert_int_equal(us, utc(2015, 10, 25, 0, 30, 0));
	/* Outside the cache's years: the exact path. */
	conv_datetime(S("2250-07-01 12:00:00"), &null, &us, &f);
	assert_int_equal(us, utc(2250, 7, 1, 10, 0, 0));
	/* The zero date is NULL. */
	f = 0;
	assert_int_equal(
	    conv_datetime(S("0000-00-00 00:00:00"), &null, &us, &f), CONV_OK);
	assert_true(null);
	assert_int_equal(f, CONV_F_ZERO);
	/* Partly zero, malformed, out of range: invalid. */
	assert_int_equal(
	    conv_datetime(S("2015-00-10 00:00:00"), &null, &us, &f),
	    CONV_INVALID);
	assert_int_equal(
	    conv_datetime(S("2015-02-29 00:00:00"), &null, &us, &f),
	    CONV_INVALID);
	assert_int_equal(
	    conv_datetime(S("2015-01-01 24:00:00"), &null, &us, &f),
	    CONV_INVALID);
	assert_int_equal(
	    conv_datetime(S("2015-01-01T10:00:00"), &null, &us, &f),
	    CONV_INVALID);
	assert_int_equal(conv_datetime(S("2015-01-01 10:00"), &null, &us, &f),
	    CONV_INVALID);
	assert_int_equal(conv_datetime(S(""), &null, &us, &f), CONV_INVALID);
}

static void
test_date(void **state)
{
	int32_t d;
	bool null;
	unsigned f = 0;

	(void) state;
	assert_int_equal(conv_date(S("1970-01-02"), &null, &d, &f), CONV_OK);
	assert_int_equal(d, 1);
	assert_int_equal(conv_date(S("2015-06-15"), &null, &d, &f), CONV_OK);
	assert_int_equal(d, 16601);
	assert_int_equal(conv_date(S("0000-00-00"), &null, &d, &f), CONV_OK);
	assert_true(null);
	assert_int_equal(
	    conv_date(S("2015-13-01"), &null, &d, &f), CONV_INVALID);
}

static void
test_text(void **state)
{
	conv_buf b;
	unsigned f;

	(void) state;
	conv_buf_init(&b);
	/* ASCII as it is. */
	f = 0;
	assert_int_equal(conv_text(S("Mueller"), 255, &b, &f), CONV_OK);
	assert_string_equal(b.p, "Mueller");
	assert_int_equal(f, 0);
	/* UTF-8 bytes stored in latin1 (double encoding): the text. */
	f = 0;
	assert_int_equal(conv_text(S("Ren\xc3\xa9 Sch\xc3\xa4"
	                             "fer"),
	                     255, &b, &f),
	    CONV_OK);
	assert_string_equal(b.p,
	    "Ren\xc3\xa9 Sch\xc3\xa4"
	    "fer");
	assert_int_equal(f, CONV_F_REPAIRED);
	/* Bytes 0x80-0x9f (cp1252 in MySQL's latin1) inside UTF-8. */
	f = 0;
	conv_text(
	    S("Ma\xc5\x82gorzata \xe5\xbc\xa0\xe4\xb8\xbd"), 255, &b, &f);
	assert_string_equal(b.p, "Ma\xc5\x82gorzata \xe5\xbc\xa0\xe4\xb8\xbd");
	assert_int_equal(f, CONV_F_REPAIRED);
	/* An emoji (4 bytes). */
	f = 0;
	conv_text(S("\xf0\x9f\x9a\x80 Wei\xc3\x9f Labs"), 255, &b, &f);
	assert_string_equal(b.p, "\xf0\x9f\x9a\x80 Wei\xc3\x9f Labs");
	/* Genuine latin1 is not UTF-8: U+FFFD, as the legacy app showed. */
	f = 0;
	conv_text(S("M\xfcller"), 255, &b, &f);
	assert_string_equal(b.p, "M\xef\xbf\xbdller");
	assert_int_equal(f, CONV_F_BAD_UTF8);
	/* NUL bytes cannot be stored: removed. */
	f = 0;
	assert_int_equal(conv_text("a\0b", 3, 255, &b, &f), CONV_OK);
	assert_int_equal(b.len, 2);
	assert_string_equal(b.p, "ab");
	assert_int_equal(f, CONV_F_NUL);
	/* Cut to the column's bytes on a character boundary. */
	f = 0;
	conv_text(S("\xc3\xa9\xc3\xa9\xc3\xa9"), 5, &b, &f);
	assert_int_equal(b.len, 4);
	assert_int_equal(f, CONV_F_REPAIRED | CONV_F_TRUNCATED);
	f = 0;
	conv_text(S("abcdef"), 3, &b, &f);
	assert_string_equal(b.p, "abc");
	assert_int_equal(f, CONV_F_TRUNCATED);
	conv_buf_fini(&b);
}

static void
test_latin1_unwrap(void **state)
{
	conv_buf b;
	unsigned f;

	(void) state;
	conv_buf_init(&b);
	/* "Büro" sent as UTF-8 through latin1 into a utf8 column is stored
	 * as "BÃ¼ro": read as binary, it gives back the app's bytes. */
	f = 0;
	assert_int_equal(
	    conv_latin1_unwrap(S("B\xc3\x83\xc2\xbcro"), &b, &f), CONV_OK);
	assert_string_equal(b.p, "B\xc3\xbcro");
	assert_int_equal(f, 0);
	/* 0x82 (a UTF-8 continuation byte) is cp1252's U+201A. */
	f = 0;
	conv_latin1_unwrap(
	    S("Ma\xc3\x85\xe2\x80\x9agorzata"), &b, &f); /* "MaÅ‚gorzata" */
	assert_string_equal(b.p, "Ma\xc5\x82gorzata");
	/* One of MySQL's five holes (0x81, stored as U+0081). */
	conv_latin1_unwrap(S("\xc2\x81"), &b, &f);
	assert_int_equal(b.len, 1);
	assert_int_equal((unsigned char) b.p[0], 0x81);
	assert_int_equal(f, 0);
	/* A character latin1 has no byte for was not sent through it: kept
	 * (a latin1 connection would have read '?'). */
	conv_latin1_unwrap(S("\xe4\xb8\xad!"), &b, &f);
	assert_string_equal(b.p, "\xe4\xb8\xad!");
	assert_int_equal(f, CONV_F_WIDE);
	/* ASCII, and bytes that are not UTF-8, as they are. */
	f = 0;
	conv_latin1_unwrap(S("abc\xff"), &b, &f);
	assert_string_equal(b.p, "abc\xff");
	assert_int_equal(f, 0);
	conv_buf_fini(&b);
}

static void
test_email_country(void **state)
{
	conv_buf e, k;
	unsigned f;
	bool null;
	char c[3];

	(void) state;
	conv_buf_init(&e);
	conv_buf_init(&k);
	f = 0;
	assert_int_equal(
	    conv_email(S("  Anna.Mueller12@Gmx.de \t"), &e, &k, &f), CONV_OK);
	assert_string_equal(e.p, "Anna.Mueller12@Gmx.de");
	assert_string_equal(k.p, "anna.mueller12@gmx.de");
	assert_int_equal(f, CONV_F_TRIMMED);
	/* Cut to 190 bytes after the text is made, then trimmed again:
	 * the key and the email always agree. */
	{
		char raw[200];

		memset(raw, 'a', sizeof(raw));
		raw[189] = ' ';
		raw[190] = '\0';
		f = 0;
		assert_int_equal(
		    conv_email(raw, sizeof(raw), &e, &k, &f), CONV_OK);
		assert_int_equal(e.len, 189);
		assert_int_equal(k.len, 189);
		assert_true(f & CONV_F_TRIMMED);
		assert_true(f & CONV_F_TRUNCATED);
	}
	f = 0;
	conv_email(S("J\xc3\x96RG@x.de"), &e, &k, &f);
	/* Only ASCII letters are lowered in the key (the contract). */
	assert_string_equal(k.p, "j\xc3\x96rg@x.de");
	assert_int_equal(f, CONV_F_REPAIRED);

	f = 0;
	assert_int_equal(conv_country(S("DE"), &null, c, &f), CONV_OK);
	assert_false(null);
	assert_string_equal(c, "DE");
	assert_int_equal(f, 0);
	assert_int_equal(conv_country(S("de"), &null, c, &f), CONV_OK);
	assert_string_equal(c, "DE");
	assert_int_equal(f, CONV_F_CHANGED);
	f = 0;
	assert_int_equal(conv_country(S(" at"), &null, c, &f), CONV_OK);
	assert_string_equal(c, "AT");
	f = 0;
	assert_int_equal(conv_country(S(""), &null, c, &f), CONV_OK);
	assert_true(null);
	assert_int_equal(f, CONV_F_CHANGED);
	assert_int_equal(conv_country(S("D1"), &null, c, &f), CONV_INVALID);
	assert_int_equal(conv_country(S("DEU"), &null, c, &f), CONV_INVALID);
	assert_int_equal(
	    conv_country(S("\xc3\x9f"), &null, c, &f), CONV_INVALID);
	conv_buf_fini(&e);
	conv_buf_fini(&k);
}

/* conv_meta of s: the JSON, and the return value. */
static void
meta_is(const char *s, size_t n, bool is_null, int rv, const char *json)
{
	conv_buf b;
	unsigned f = 0;

	conv_buf_init(&b);
	assert_int_equal(conv_meta(s, n, is_null, &b, &f), rv);
	assert_string_equal(b.p, json);
	conv_buf_fini(&b);
}

static void
test_meta(void **state)
{
	(void) state;
	meta_is(NULL, 0, true, CONV_OK, "{}");
	meta_is(S(""), false, CONV_OK, "{}");
	meta_is(S("a:0:{}"), false, CONV_OK, "{}");
	meta_is(S("a:2:{s:5:\"phone\";s:12:\"0664 4456211\";s:8:\"referrer\";"
	          "s:7:\"twitter\";}"),
	    false, CONV_OK,
	    "{\"phone\":\"0664 4456211\",\"referrer\":\"twitter\"}");
	/* Lengths in bytes: "Müller" is 7 bytes. */
	meta_is(S("a:1:{s:5:\"notes\";s:7:\"M\xc3\xbcller\";}"), false,
	    CONV_OK, "{\"notes\":\"M\xc3\xbcller\"}");
	/* Other scalar types, integer keys, nested arrays. */
	meta_is(S("a:6:{i:0;s:4:\"zero\";s:1:\"t\";b:1;s:1:\"f\";b:0;"
	          "s:1:\"n\";N;s:1:\"i\";i:-5;s:1:\"a\";a:1:{i:0;i:1;}}"),
	    false, CONV_OK,
	    "{\"0\":\"zero\",\"a\":{\"0\":1},\"f\":false,\"i\":-5,"
	    "\"n\":null,\"t\":true}");
	meta_is(S("a:1:{s:1:\"d\";d:1.5;}"), false, CONV_OK, "{\"d\":1.5}");
	meta_is(
	    S("a:1:{s:1:\"d\";d:INF;}"), false, CONV_OK, "{\"d\":\"INF\"}");
	/* A repeated key: the last wins, as in PHP. */
	meta_is(S("a:2:{s:1:\"k\";s:1:\"a\";s:1:\"k\";s:1:\"b\";}"), false,
	    CONV_OK, "{\"k\":\"b\"}");
	/* Corrupt: what unserialize() refuses is kept raw by the caller,
	 * and is {} (the legacy app rendered []). */
	meta_is(S("a:1:{s:8:\"referrer"), false, CONV_INVALID, "{}");
	meta_is(S("a:2:{s:5:\"phone\";s:14:\"+1-646-8397"), false,
	    CONV_INVALID, "{}");
	/* s:N: counting characters, not bytes. */
	meta_is(S("a:1:{s:5:\"notes\";s:6:\"M\xc3\xbcller\";}"), false,
	    CONV_INVALID, "{}");
	meta_is(
	    S("a:1:{s:5:\"notes\";s:-1:\"\";}"), false, CONV_INVALID, "{}");
	meta_is(S("a:1:{s:1:\"x\";i:99999999999999999999;}"), false,
	    CONV_INVALID, "{}");
	meta_is(S("a:99999999:{}"), false, CONV_INVALID, "{}");
	meta_is(S("a:1:{O:8:\"stdClass\":0:{}}"), false, CONV_INVALID, "{}");
	meta_is(S("s:3:\"abc\";"), false, CONV_INVALID, "{}"); /* no array */
	meta_is(S("garbage"), false, CONV_INVALID, "{}");
	meta_is(S("a:1:{s:1:\"x\";d:;}"), false, CONV_INVALID, "{}");
	/* Deep nesting is refused, not recursed into. */
	{
		char deep[400];
		size_t n = 0;

		for (int i = 0; i < 40; i++)
			n += (size_t) snprintf(
			    deep + n, sizeof(deep) - n, "a:1:{i:0;");
		meta_is(deep, n, false, CONV_INVALID, "{}");
	}
	/* Invalid UTF-8 inside a value: U+FFFD, as the app rendered it. */
	meta_is(S("a:1:{s:1:\"x\";s:1:\"\xfc\";}"), false, CONV_OK,
	    "{\"x\":\"\xef\xbf\xbd\"}");
}

static void
test_tuple_and_idmap(void **state)
{
	tup t;
	idmap m;
	static const unsigned char want[] = { 0, 3, 0, 0, 0, 8, 0, 0, 0, 0, 0,
		0, 0, 7, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 4, 0, 0, 0, 0 };

	(void) state;
	tup_init(&t);
	tup_begin(&t, 3);
	tup_int8(&t, 7);
	tup_null(&t);
	tup_date(&t, 10957); /* 2000-01-01: PostgreSQL's epoch */
	assert_int_equal(t.b.len, sizeof(want));
	assert_memory_equal(t.b.p, want, sizeof(want));
	assert_true(
	    tup_hash(t.b.p, t.b.len, 1) != tup_hash(t.b.p, t.b.len, 2));
	tup_fini(&t);

	assert_int_equal(idmap_init(&m), 0);
	assert_int_equal(idmap_get(&m, 5), 0);
	assert_int_equal(idmap_set(&m, 5, 9), 0);
	assert_int_equal(idmap_set(&m, UINT32_MAX, 3), 0);
	assert_int_equal(idmap_get(&m, 5), 9);
	assert_int_equal(idmap_get(&m, 6), 0);
	assert_int_equal(idmap_get(&m, UINT32_MAX), 3);
	assert_int_equal(m.count, 2);
	idmap_fini(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decimal),
		cmocka_unit_test(test_datetime),
		cmocka_unit_test(test_date),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_latin1_unwrap),
		cmocka_unit_test(test_email_country),
		cmocka_unit_test(test_meta),
		cmocka_unit_test(test_tuple_and_idmap),
	};

	return (cmocka_run_group_tests(tests, setup, NULL));
}
