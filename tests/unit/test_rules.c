/*
 * The contract's text rules, pure: UTF-8, email, country, currency and
 * plan codes (API.md section 6).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "../../rules/codes.h"
#include "../../rules/email.h"
#include "../../util/utf8.h"

static bool
valid(const char *s)
{
	return (utf8_valid(s, strlen(s)));
}

static void
test_utf8_accepts_every_plane(void **state)
{
	(void) state;
	assert_true(valid(""));
	assert_true(valid("plain ascii"));
	assert_true(valid("Müller"));           /* 2 bytes */
	assert_true(valid("张丽"));             /* 3 bytes */
	assert_true(valid("🚀 Weiß Labs"));      /* 4 bytes */
	assert_true(valid("\xed\x9f\xbf"));     /* U+D7FF, below surrogates */
	assert_true(valid("\xf4\x8f\xbf\xbf")); /* U+10FFFF */
}

static void
test_utf8_rejects_malformed_sequences(void **state)
{
	(void) state;
	assert_false(valid("caf\xe9"));          /* latin1 */
	assert_false(valid("\xc0\xaf"));         /* overlong '/' */
	assert_false(valid("\xe0\x80\xaf"));     /* overlong, 3 bytes */
	assert_false(valid("\xed\xa0\x80"));     /* surrogate U+D800 */
	assert_false(valid("\xf4\x90\x80\x80")); /* above U+10FFFF */
	assert_false(valid("\xf5\x80\x80\x80"));
	assert_false(valid("\x80")); /* lone continuation */
	assert_false(valid("\xc3")); /* truncated */
	assert_false(valid("\xe2\x82"));
	assert_false(utf8_valid("a\0b", 3)); /* NUL */
}

static void
test_utf8_truncate_keeps_whole_characters(void **state)
{
	const char *s = "ab€"; /* € is 3 bytes */

	(void) state;
	assert_int_equal(utf8_truncate(s, strlen(s), 10), 5);
	assert_int_equal(utf8_truncate(s, strlen(s), 5), 5);
	assert_int_equal(utf8_truncate(s, strlen(s), 4), 2);
	assert_int_equal(utf8_truncate(s, strlen(s), 3), 2);
	assert_int_equal(utf8_truncate(s, strlen(s), 2), 2);
}

static void
test_email_trim_takes_php_trim_characters(void **state)
{
	const char in[] = " \t\r\n\v a@b \0";
	const char *t;
	size_t n;

	(void) state;
	email_trim(in, sizeof(in) - 1, &t, &n);
	assert_int_equal(n, 3);
	assert_memory_equal(t, "a@b", 3);
	email_trim("   ", 3, &t, &n);
	assert_int_equal(n, 0);
	/* Form feed is not trimmed (PHP's trim() leaves it). */
	email_trim("\fa@b", 4, &t, &n);
	assert_int_equal(n, 4);
}

static bool
email_ok(const char *s)
{
	return (email_valid(s, strlen(s)));
}

static void
test_email_needs_exactly_one_at_and_no_white_space(void **state)
{
	char e[200];

	(void) state;
	assert_true(email_ok("a@b"));
	assert_true(email_ok("@"));
	assert_true(email_ok("ünïcode@bücher.de"));
	assert_false(email_ok(""));
	assert_false(email_ok("ab"));
	assert_false(email_ok("a@@b"));
	assert_false(email_ok("a@b@c"));
	assert_false(email_ok("a b@c"));
	assert_false(email_ok("a\tb@c"));
	assert_false(email_ok("a\rb@c"));
	assert_false(email_ok("a\nb@c"));
	assert_false(email_ok("a\vb@c"));
	assert_false(email_ok("a\fb@c"));
	memset(e, 'x', sizeof(e));
	e[0] = '@';
	e[190] = '\0';
	assert_true(email_ok(e));
	e[190] = 'x';
	e[191] = '\0';
	assert_false(email_ok(e));
}

static void
test_email_key_folds_ascii_letters_only(void **state)
{
	char k[64];

	(void) state;
	assert_int_equal(email_key(" Anna.Mueller@GMX.de ", 21, k), 19);
	assert_string_equal(k, "anna.mueller@gmx.de");
	email_key("ÄBC@X.DE", strlen("ÄBC@X.DE"), k);
	assert_string_equal(k, "Äbc@x.de"); /* Ä stays Ä */
}

static void
test_country_is_two_ascii_letters_upper_cased(void **state)
{
	char cc[3];

	(void) state;
	assert_true(country_normalize("de", cc));
	assert_string_equal(cc, "DE");
	assert_true(country_normalize("Gb", cc));
	assert_string_equal(cc, "GB");
	assert_false(country_normalize("", cc));
	assert_false(country_normalize("D", cc));
	assert_false(country_normalize("DEU", cc));
	assert_false(country_normalize("D1", cc));
	assert_false(country_normalize(" D", cc));
	assert_false(country_normalize("Ü", cc)); /* two bytes, not letters */
	assert_false(country_normalize(NULL, cc));
}

static void
test_currency_is_eur_usd_or_gbp_exactly(void **state)
{
	(void) state;
	assert_true(currency_valid("EUR"));
	assert_true(currency_valid("USD"));
	assert_true(currency_valid("GBP"));
	assert_false(currency_valid("eur"));
	assert_false(currency_valid("CHF"));
	assert_false(currency_valid("EURO"));
	assert_false(currency_valid(""));
	assert_false(currency_valid(NULL));
}

static void
test_plan_code_is_lower_alnum_and_dash_up_to_64(void **state)
{
	char c[70];

	(void) state;
	assert_true(plan_code_valid("basic"));
	assert_true(plan_code_valid("pro-2015-v2"));
	assert_true(plan_code_valid("-"));
	assert_false(plan_code_valid(""));
	assert_false(plan_code_valid("Basic"));
	assert_false(plan_code_valid("a_b"));
	assert_false(plan_code_valid("a b"));
	assert_false(plan_code_valid("bür"));
	memset(c, 'a', sizeof(c));
	c[64] = '\0';
	assert_true(plan_code_valid(c));
	c[64] = 'a';
	c[65] = '\0';
	assert_false(plan_code_valid(c));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_accepts_every_plane),
		cmocka_unit_test(test_utf8_rejects_malformed_sequences),
		cmocka_unit_test(test_utf8_truncate_keeps_whole_characters),
		cmocka_unit_test(test_email_trim_takes_php_trim_characters),
		cmocka_unit_test(
		    test_email_needs_exactly_one_at_and_no_white_space),
		cmocka_unit_test(test_email_key_folds_ascii_letters_only),
		cmocka_unit_test(
		    test_country_is_two_ascii_letters_upper_cased),
		cmocka_unit_test(test_currency_is_eur_usd_or_gbp_exactly),
		cmocka_unit_test(
		    test_plan_code_is_lower_alnum_and_dash_up_to_64),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
