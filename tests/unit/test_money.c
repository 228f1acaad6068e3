/*
 * money: exact integer cents, rounding half away from zero, the
 * DECIMAL(10,2) range, and the contract's money syntax (API.md 6).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../rules/money.h"

#define SENTINEL INT64_C(-4242)

/* money_mul_div's result, or SENTINEL when it refuses. */
static int64_t
md(int64_t a, int64_t b, int64_t c)
{
	int64_t out = SENTINEL;

	assert_int_equal(money_mul_div(a, b, c, &out), MONEY_OK);
	return (out);
}

static void
assert_md_out_of_range(int64_t a, int64_t b, int64_t c)
{
	int64_t out = SENTINEL;

	assert_int_equal(money_mul_div(a, b, c, &out), MONEY_OUT_OF_RANGE);
	assert_int_equal(out, SENTINEL); /* unchanged */
}

static void
test_range_is_decimal_10_2(void **state)
{
	(void) state;
	assert_true(money_in_range(0));
	assert_true(money_in_range(INT64_C(9999999999)));
	assert_true(money_in_range(INT64_C(-9999999999)));
	assert_false(money_in_range(INT64_C(10000000000)));
	assert_false(money_in_range(INT64_C(-10000000000)));
	assert_false(money_in_range(INT64_MAX));
	assert_false(money_in_range(INT64_MIN));
}

static void
test_mul_div_rounds_exact_halves_away_from_zero(void **state)
{
	(void) state;
	/* 1 * 1 / 2 = 0.5 cent, in every sign combination. */
	assert_int_equal(md(1, 1, 2), 1);
	assert_int_equal(md(-1, 1, 2), -1);
	assert_int_equal(md(1, -1, 2), -1);
	assert_int_equal(md(1, 1, -2), -1);
	assert_int_equal(md(-1, -1, 2), 1);
	assert_int_equal(md(-1, 1, -2), 1);
	/* 1.5 -> 2, 2.5 -> 3 (not 2: no banker's rounding), -2.5 -> -3. */
	assert_int_equal(md(3, 1, 2), 2);
	assert_int_equal(md(5, 1, 2), 3);
	assert_int_equal(md(-5, 1, 2), -3);
	/* 1 * 1 / 200 = 0.005 cent: far below the half, 0. */
	assert_int_equal(md(1, 1, 200), 0);
	assert_int_equal(md(-1, 1, 200), 0);
	/* 100 * 1 / 200 = 0.5 cent exactly: 1. */
	assert_int_equal(md(100, 1, 200), 1);
	assert_int_equal(md(-100, 1, 200), -1);
}

static void
test_mul_div_rounds_just_below_half_toward_zero(void **state)
{
	(void) state;
	/* 4999 / 10000 = 0.4999 -> 0; 5000 / 10000 -> 1; 5001 -> 1. */
	assert_int_equal(md(4999, 1, 10000), 0);
	assert_int_equal(md(5000, 1, 10000), 1);
	assert_int_equal(md(5001, 1, 10000), 1);
	assert_int_equal(md(-4999, 1, 10000), 0);
	assert_int_equal(md(-5000, 1, 10000), -1);
	assert_int_equal(md(-5001, 1, 10000), -1);
	/* 1.4999 -> 1, 1.5 -> 2, -1.4999 -> -1, -1.5 -> -2. */
	assert_int_equal(md(14999, 1, 10000), 1);
	assert_int_equal(md(15000, 1, 10000), 2);
	assert_int_equal(md(-14999, 1, 10000), -1);
	assert_int_equal(md(-15000, 1, 10000), -2);
	/* Thirds: 1/3 -> 0, 2/3 -> 1, -2/3 -> -1. */
	assert_int_equal(md(1, 1, 3), 0);
	assert_int_equal(md(2, 1, 3), 1);
	assert_int_equal(md(-2, 1, 3), -1);
	/* Tax on 1.05 at 19 %: 105 * 1900 / 10000 = 19.95 -> 20. */
	assert_int_equal(md(105, 1900, 10000), 20);
	/* Tax on 1.50 at 19 %: 28.5 -> 29 (half-even would give 28). */
	assert_int_equal(md(150, 1900, 10000), 29);
	assert_int_equal(md(-150, 1900, 10000), -29);
}

static void
test_mul_div_is_exact_in_128_bits(void **state)
{
	(void) state;
	/* The product overflows int64; the quotient is small. */
	assert_int_equal(md(INT64_MAX, 1000, INT64_MAX), 1000);
	/* 5 (2^63 - 1) / (2^62 - 1) = 10 + 5 / (2^62 - 1) -> 10. */
	assert_int_equal(md(INT64_MAX, 5, INT64_MAX / 2), 10);
	/* (3 * 2^61) * 5 / 2^62 = 7.5 exactly, past int64 -> 8 and -8. */
	assert_int_equal(
	    md(INT64_C(6917529027641081856), 5, INT64_C(4611686018427387904)),
	    8);
	assert_int_equal(
	    md(INT64_C(-6917529027641081856), 5, INT64_C(4611686018427387904)),
	    -8);
	/* 2^63 / (2^63 - 1) = 1.0000000000000000001 -> 1. */
	assert_int_equal(md(INT64_MIN, -1, INT64_MAX), 1);
	assert_int_equal(md(INT64_MIN, 1, INT64_MIN), 1);
	/* 3 (2^63 - 1) / (2^63 - 2) = 3 + 3 / (2^63 - 2) -> 3. */
	assert_int_equal(md(INT64_MAX, 3, INT64_MAX - 1), 3);
	/* MAX * 7 / 7 exactly, and -MAX. */
	assert_int_equal(md(MONEY_MAX_MINOR, 7, 7), MONEY_MAX_MINOR);
	assert_int_equal(md(-MONEY_MAX_MINOR, 7, 7), -MONEY_MAX_MINOR);
}

static void
test_mul_div_refuses_results_out_of_range(void **state)
{
	(void) state;
	assert_int_equal(md(MONEY_MAX_MINOR, 1, 1), MONEY_MAX_MINOR);
	assert_md_out_of_range(MONEY_MAX_MINOR + 1, 1, 1);
	assert_md_out_of_range(-MONEY_MAX_MINOR - 1, 1, 1);
	assert_md_out_of_range(MONEY_MAX_MINOR, 2, 1);
	/* 19999999997 / 2 = 9999999998.5 -> 9999999999, the maximum. */
	assert_int_equal(md(INT64_C(19999999997), 1, 2), MONEY_MAX_MINOR);
	assert_int_equal(md(INT64_C(-19999999997), 1, 2), -MONEY_MAX_MINOR);
	/* 19999999999 / 2 = 9999999999.5: rounding leaves the range. */
	assert_md_out_of_range(INT64_C(19999999999), 1, 2);
	assert_md_out_of_range(INT64_C(-19999999999), 1, 2);
	/* int64 extremes. */
	assert_md_out_of_range(INT64_MAX, INT64_MAX, INT64_MAX);
	assert_md_out_of_range(INT64_MIN, INT64_MIN, INT64_MIN);
	assert_md_out_of_range(INT64_MIN, INT64_MAX, INT64_MIN);
	assert_md_out_of_range(INT64_MAX, INT64_MAX, INT64_MIN);
	assert_md_out_of_range(INT64_MIN, 1, 1);
	/* c == 0 is refused rather than divided by. */
	assert_md_out_of_range(1, 1, 0);
	assert_md_out_of_range(0, 0, 0);
}

static void
test_add_checks_the_range_without_overflowing(void **state)
{
	int64_t out = SENTINEL;

	(void) state;
	assert_int_equal(money_add(999, 1, &out), MONEY_OK);
	assert_int_equal(out, 1000);
	assert_int_equal(money_add(-350, 100, &out), MONEY_OK);
	assert_int_equal(out, -250);
	assert_int_equal(money_add(MONEY_MAX_MINOR, 0, &out), MONEY_OK);
	assert_int_equal(out, MONEY_MAX_MINOR);
	assert_int_equal(
	    money_add(MONEY_MAX_MINOR, -MONEY_MAX_MINOR, &out), MONEY_OK);
	assert_int_equal(out, 0);
	/* Only the result is checked: INT64_MAX + INT64_MIN = -1. */
	assert_int_equal(money_add(INT64_MAX, INT64_MIN, &out), MONEY_OK);
	assert_int_equal(out, -1);

	out = SENTINEL;
	assert_int_equal(
	    money_add(MONEY_MAX_MINOR, 1, &out), MONEY_OUT_OF_RANGE);
	assert_int_equal(
	    money_add(-MONEY_MAX_MINOR, -1, &out), MONEY_OUT_OF_RANGE);
	assert_int_equal(money_add(INT64_MAX, INT64_MAX, &out),
	    MONEY_OUT_OF_RANGE); /* would overflow int64 */
	assert_int_equal(
	    money_add(INT64_MIN, INT64_MIN, &out), MONEY_OUT_OF_RANGE);
	assert_int_equal(money_add(INT64_MAX, 1, &out), MONEY_OUT_OF_RANGE);
	assert_int_equal(out, SENTINEL);
}

static int64_t
parse_ok(const char *s)
{
	int64_t out = SENTINEL;

	assert_int_equal(money_parse(s, &out), MONEY_OK);
	return (out);
}

static int
parse_err(const char *s)
{
	int64_t out = SENTINEL;
	int rv = money_parse(s, &out);

	assert_int_equal(out, SENTINEL); /* unchanged on failure */
	return (rv);
}

static void
test_parse_accepts_the_contract_syntax(void **state)
{
	(void) state;
	assert_int_equal(parse_ok("9.99"), 999);
	assert_int_equal(parse_ok("12.5"), 1250);
	assert_int_equal(parse_ok("12.50"), 1250);
	assert_int_equal(parse_ok("1.05"), 105);
	assert_int_equal(parse_ok("0.01"), 1);
	assert_int_equal(parse_ok("0"), 0);
	assert_int_equal(parse_ok("0.0"), 0);
	assert_int_equal(parse_ok("0.00"), 0);
	assert_int_equal(parse_ok("007"), 700);
	assert_int_equal(parse_ok("10"), 1000);
	assert_int_equal(parse_ok("99999999.99"), MONEY_MAX_MINOR);
	assert_int_equal(parse_ok("99999999.9"), INT64_C(9999999990));
	assert_int_equal(parse_ok("99999999"), INT64_C(9999999900));
	/* Leading zeros do not count toward the range. */
	assert_int_equal(parse_ok("099999999.99"), MONEY_MAX_MINOR);
	assert_int_equal(
	    parse_ok("00000000000000000000000000000000000001.25"), 125);
	assert_int_equal(parse_ok("0000000000000000000000000000"), 0);
}

static void
test_parse_refuses_amounts_above_the_range(void **state)
{
	(void) state;
	assert_int_equal(parse_err("100000000.00"), MONEY_OUT_OF_RANGE);
	assert_int_equal(parse_err("100000000"), MONEY_OUT_OF_RANGE);
	assert_int_equal(parse_err("099999999999"), MONEY_OUT_OF_RANGE);
	/* 30 and 40 digits: beyond int64, no overflow. */
	assert_int_equal(
	    parse_err("999999999999999999999999999999"), MONEY_OUT_OF_RANGE);
	assert_int_equal(
	    parse_err("1234567890123456789012345678901234567890.99"),
	    MONEY_OUT_OF_RANGE);
	assert_int_equal(
	    parse_err("18446744073709551616"), MONEY_OUT_OF_RANGE); /* 2^64 */
}

static void
test_parse_refuses_anything_else(void **state)
{
	(void) state;
	assert_int_equal(parse_err(NULL), MONEY_INVALID);
	assert_int_equal(parse_err(""), MONEY_INVALID);
	assert_int_equal(parse_err("1."), MONEY_INVALID);
	assert_int_equal(parse_err(".5"), MONEY_INVALID);
	assert_int_equal(parse_err("."), MONEY_INVALID);
	assert_int_equal(parse_err("-1"), MONEY_INVALID);
	assert_int_equal(parse_err("+1"), MONEY_INVALID);
	assert_int_equal(parse_err("-0.00"), MONEY_INVALID);
	assert_int_equal(parse_err("1e2"), MONEY_INVALID);
	assert_int_equal(parse_err(" 1"), MONEY_INVALID);
	assert_int_equal(parse_err("1 "), MONEY_INVALID);
	assert_int_equal(parse_err("1.234"), MONEY_INVALID);
	assert_int_equal(parse_err("1.2.3"), MONEY_INVALID);
	assert_int_equal(parse_err("1..5"), MONEY_INVALID);
	assert_int_equal(parse_err("1,50"), MONEY_INVALID);
	assert_int_equal(parse_err("0x10"), MONEY_INVALID);
	assert_int_equal(parse_err("1.5\n"), MONEY_INVALID);
	assert_int_equal(parse_err("١"), MONEY_INVALID); /* Arabic one */
	/* Syntax is checked before the range. */
	assert_int_equal(
	    parse_err("999999999999999999999999999999x"), MONEY_INVALID);
	assert_int_equal(parse_err("100000000.001"), MONEY_INVALID);
}

static void
test_format_has_exactly_two_decimals(void **state)
{
	char buf[MONEY_FMT_BYTES];

	(void) state;
	assert_ptr_equal(money_format(999, buf), buf);
	assert_string_equal(money_format(999, buf), "9.99");
	assert_string_equal(money_format(-350, buf), "-3.50");
	assert_string_equal(money_format(0, buf), "0.00");
	assert_string_equal(money_format(5, buf), "0.05");
	assert_string_equal(money_format(-5, buf), "-0.05");
	assert_string_equal(money_format(50, buf), "0.50");
	assert_string_equal(money_format(-1, buf), "-0.01");
	assert_string_equal(money_format(-100, buf), "-1.00");
	assert_string_equal(money_format(1250, buf), "12.50");
	assert_string_equal(money_format(MONEY_MAX_MINOR, buf), "99999999.99");
	assert_string_equal(
	    money_format(-MONEY_MAX_MINOR, buf), "-99999999.99");
	/* The extremes fit MONEY_FMT_BYTES (INT64_MIN has no negation). */
	assert_string_equal(
	    money_format(INT64_MAX, buf), "92233720368547758.07");
	assert_string_equal(
	    money_format(INT64_MIN, buf), "-92233720368547758.08");
}

static void
test_format_and_parse_round_trip(void **state)
{
	static const int64_t v[] = { 0, 1, 9, 10, 99, 100, 101, 999, 1250,
		123456789, MONEY_MAX_MINOR - 1, MONEY_MAX_MINOR };
	char buf[MONEY_FMT_BYTES];

	(void) state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_int_equal(parse_ok(money_format(v[i], buf)), v[i]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_range_is_decimal_10_2),
		cmocka_unit_test(
		    test_mul_div_rounds_exact_halves_away_from_zero),
		cmocka_unit_test(
		    test_mul_div_rounds_just_below_half_toward_zero),
		cmocka_unit_test(test_mul_div_is_exact_in_128_bits),
		cmocka_unit_test(test_mul_div_refuses_results_out_of_range),
		cmocka_unit_test(
		    test_add_checks_the_range_without_overflowing),
		cmocka_unit_test(test_parse_accepts_the_contract_syntax),
		cmocka_unit_test(test_parse_refuses_amounts_above_the_range),
		cmocka_unit_test(test_parse_refuses_anything_else),
		cmocka_unit_test(test_format_has_exactly_two_decimals),
		cmocka_unit_test(test_format_and_parse_round_trip),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
