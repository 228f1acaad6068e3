/*
 * Invalid UTF-8 echoed in an answer (http-bridge/utf8.c): replaced with
 * U+FFFD where PHP's json_encode(JSON_INVALID_UTF8_SUBSTITUTE) did.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../http-bridge/utf8.h"

#define R "\xef\xbf\xbd"

static void
check(const char *in, size_t len, const char *want, size_t wlen)
{
	size_t olen;
	char *out = utf8_php_substitute(in, len, &olen);

	assert_non_null(out);
	assert_int_equal(olen, wlen);
	assert_memory_equal(out, want, wlen);
	assert_int_equal(out[olen], '\0');
	free(out);
}

#define CHECK(in, want) check(in, sizeof(in) - 1, want, sizeof(want) - 1)

static void
test_valid_kept(void **state)
{
	(void) state;
	CHECK("", "");
	CHECK("list", "list");
	CHECK("a\0b", "a\0b");
	CHECK("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "é€😀");
	CHECK("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"); /* U+10FFFF */
}

static void
test_invalid_replaced(void **state)
{
	(void) state;
	CHECK("\xff", R);
	CHECK("\x80\x80", R R);   /* a lone trail byte each */
	CHECK("\xc0\xaf", R R);   /* 0xc0 never leads; 0xaf alone */
	CHECK("a\xc3", "a" R);    /* cut short */
	CHECK("\xc3\x41", R "A"); /* a lead-able byte is kept */
	CHECK("\xc3\xc0", R);     /* neither lead nor trail: eaten */
	CHECK("\xe2\x82", R);     /* cut € */
	CHECK("\xe2\x82\x41", R "A");
	CHECK("\xe2\xc0\xc0", R); /* PHP eats up to three */
	CHECK("\xe2\xc3\xa9", R "é");
	CHECK("\xed\xa0\x80", R); /* a surrogate */
	CHECK("\xe0\x80\x80", R); /* overlong */
	CHECK("\xf0\x80\x80\x80", R);
	CHECK("\xf4\x90\x80\x80", R); /* above U+10FFFF */
	CHECK("\xf0\x9f\x98", R);
	CHECK("\xf0\x9f\x41", R "A");
	CHECK("\xf5\x80", R R);
}

/* Every 1-3 byte string: the output is valid UTF-8 and never longer
 * than 3 bytes per input byte. */
static void
test_exhaustive_short(void **state)
{
	unsigned char in[3];
	size_t olen;

	(void) state;
	for (unsigned v = 0; v < (1u << 24); v += 7) {
		in[0] = (unsigned char) v;
		in[1] = (unsigned char) (v >> 8);
		in[2] = (unsigned char) (v >> 16);
		char *out = utf8_php_substitute((char *) in, 3, &olen);
		char *again;
		size_t alen;

		assert_non_null(out);
		assert_true(olen <= 9);
		/* Valid already: a second pass changes nothing. */
		again = utf8_php_substitute(out, olen, &alen);
		assert_int_equal(alen, olen);
		assert_memory_equal(again, out, olen);
		free(again);
		free(out);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_kept),
		cmocka_unit_test(test_invalid_replaced),
		cmocka_unit_test(test_exhaustive_short),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
