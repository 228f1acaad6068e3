/*
 * tax: the rate by country and VAT number, the tax of a subtotal and
 * the rendering of a rate (API.md sections 4 and 6).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../rules/money.h"
#include "../../rules/tax.h"

static void
test_rate_of_every_taxed_country(void **state)
{
	(void) state;
	assert_int_equal(tax_rate_bp("DE", NULL), 1900);
	assert_int_equal(tax_rate_bp("AT", NULL), 2000);
	assert_int_equal(tax_rate_bp("FR", NULL), 2000);
	assert_int_equal(tax_rate_bp("NL", NULL), 2100);
	assert_int_equal(tax_rate_bp("GB", NULL), 2000);
}

static void
test_other_countries_pay_no_tax(void **state)
{
	(void) state;
	assert_int_equal(tax_rate_bp("US", NULL), 0);
	assert_int_equal(tax_rate_bp("CH", NULL), 0);
	assert_int_equal(tax_rate_bp("BE", NULL), 0);
	assert_int_equal(tax_rate_bp("UK", NULL), 0); /* GB is the code */
	assert_int_equal(tax_rate_bp("ED", NULL), 0);
	assert_int_equal(tax_rate_bp("DEU", NULL), 0);
	assert_int_equal(tax_rate_bp("D", NULL), 0);
	assert_int_equal(tax_rate_bp("D E", NULL), 0);
	assert_int_equal(tax_rate_bp(NULL, NULL), 0);
	assert_int_equal(tax_rate_bp("", NULL), 0);
	assert_int_equal(tax_rate_bp("  ", ""), 0);
}

static void
test_country_is_trimmed_and_upper_cased(void **state)
{
	(void) state;
	assert_int_equal(tax_rate_bp("de", NULL), 1900);
	assert_int_equal(tax_rate_bp("De", NULL), 1900);
	assert_int_equal(tax_rate_bp("dE", ""), 1900);
	assert_int_equal(tax_rate_bp(" de\t", NULL), 1900);
	assert_int_equal(tax_rate_bp("\r\n\vnl ", NULL), 2100);
	assert_int_equal(tax_rate_bp("  gb  ", NULL), 2000);
	assert_int_equal(tax_rate_bp("at\n", NULL), 2000);
	assert_int_equal(tax_rate_bp("\tfr", NULL), 2000);
	/* Form feed is not one of PHP trim()'s characters. */
	assert_int_equal(tax_rate_bp("\fDE", NULL), 0);
	/* Only ASCII letters are folded: the "Ｄ" is full width. */
	assert_int_equal(tax_rate_bp("ＤE", NULL), 0);
}

static void
test_vat_number_outside_de_is_reverse_charge(void **state)
{
	(void) state;
	assert_int_equal(tax_rate_bp("AT", "ATU12345678"), 0);
	assert_int_equal(tax_rate_bp("FR", "FR123"), 0);
	assert_int_equal(tax_rate_bp("nl", "NL1"), 0);
	assert_int_equal(tax_rate_bp("GB", " x "), 0);
	assert_int_equal(tax_rate_bp("US", "123"), 0);
	/* No country but a VAT number: 0 anyway. */
	assert_int_equal(tax_rate_bp(NULL, "123"), 0);
	assert_int_equal(tax_rate_bp("", "123"), 0);
}

static void
test_vat_number_in_de_keeps_the_tax(void **state)
{
	(void) state;
	assert_int_equal(tax_rate_bp("DE", "DE123456789"), 1900);
	assert_int_equal(tax_rate_bp("de", "x"), 1900);
	assert_int_equal(tax_rate_bp(" DE\n", "DE1"), 1900);
}

static void
test_blank_vat_number_counts_as_empty(void **state)
{
	(void) state;
	assert_int_equal(tax_rate_bp("FR", "  "), 2000);
	assert_int_equal(tax_rate_bp("FR", ""), 2000);
	assert_int_equal(tax_rate_bp("AT", " \t\r\n\v"), 2000);
	assert_int_equal(tax_rate_bp("NL", NULL), 2100);
	/* Form feed is kept by trim(): a non-empty VAT number. */
	assert_int_equal(tax_rate_bp("NL", "\f"), 0);
}

static int64_t
tax(int64_t subtotal, int32_t bp)
{
	int64_t out = -4242;

	assert_int_equal(tax_amount(subtotal, bp, &out), MONEY_OK);
	return (out);
}

static void
test_tax_rounds_half_away_from_zero(void **state)
{
	(void) state;
	/* 1.05 at 19 %: 105 * 0.19 = 19.95 cents -> 0.20. */
	assert_int_equal(tax(105, 1900), 20);
	assert_int_equal(tax(-105, 1900), -20);
	/* 9.99 at 19 %: 189.81 -> 1.90. */
	assert_int_equal(tax(999, 1900), 190);
	/*
	 * Exact halves: s * 19 / 100 ends in .5 when s * 19 = 50 mod 100,
	 * i.e. s = 50 mod 100 (19 * 79 = 1 mod 100). 0.50 -> 9.5 -> 10,
	 * 1.50 -> 28.5 -> 29 (half-even: 28), 2.50 -> 47.5 -> 48.
	 */
	assert_int_equal(tax(50, 1900), 10);
	assert_int_equal(tax(150, 1900), 29);
	assert_int_equal(tax(250, 1900), 48);
	assert_int_equal(tax(-50, 1900), -10);
	assert_int_equal(tax(-150, 1900), -29);
	/* Just below: s = 71 gives 13.49 -> 13; -71 -> -13. */
	assert_int_equal(tax(71, 1900), 13);
	assert_int_equal(tax(-71, 1900), -13);
	/* NL 21 %: 0.50 -> 10.5 -> 11, -0.50 -> -11. */
	assert_int_equal(tax(50, 2100), 11);
	assert_int_equal(tax(-50, 2100), -11);
	/* 20 %: 0.02 -> 0.4 -> 0, 0.03 -> 0.6 -> 1. */
	assert_int_equal(tax(2, 2000), 0);
	assert_int_equal(tax(3, 2000), 1);
	assert_int_equal(tax(-3, 2000), -1);
	/* Rate 0 and subtotal 0. */
	assert_int_equal(tax(123456, 0), 0);
	assert_int_equal(tax(0, 1900), 0);
	/* The range's end: 99999999.99 * 0.21 = 20999999.9979 -> .00. */
	assert_int_equal(tax(MONEY_MAX_MINOR, 2100), INT64_C(2100000000));
}

static void
test_tax_out_of_range(void **state)
{
	int64_t out = -4242;

	(void) state;
	assert_int_equal(
	    tax_amount(INT64_MAX, 1900, &out), MONEY_OUT_OF_RANGE);
	assert_int_equal(
	    tax_amount(INT64_MIN, 1900, &out), MONEY_OUT_OF_RANGE);
	/* 10000000000 cents at 100.00 %: just outside. */
	assert_int_equal(
	    tax_amount(MONEY_MAX_MINOR + 1, 10000, &out), MONEY_OUT_OF_RANGE);
	assert_int_equal(out, -4242);
}

static void
test_rate_format(void **state)
{
	char buf[TAX_RATE_FMT_BYTES];

	(void) state;
	assert_ptr_equal(tax_rate_format(1900, buf), buf);
	assert_string_equal(tax_rate_format(1900, buf), "19.00");
	assert_string_equal(tax_rate_format(2100, buf), "21.00");
	assert_string_equal(tax_rate_format(2000, buf), "20.00");
	assert_string_equal(tax_rate_format(0, buf), "0.00");
	assert_string_equal(tax_rate_format(5, buf), "0.05");
	assert_string_equal(tax_rate_format(1950, buf), "19.50");
	assert_string_equal(tax_rate_format(-5, buf), "-0.05");
	/* The int32 extremes fit TAX_RATE_FMT_BYTES. */
	assert_string_equal(tax_rate_format(INT32_MAX, buf), "21474836.47");
	assert_string_equal(tax_rate_format(INT32_MIN, buf), "-21474836.48");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_of_every_taxed_country),
		cmocka_unit_test(test_other_countries_pay_no_tax),
		cmocka_unit_test(test_country_is_trimmed_and_upper_cased),
		cmocka_unit_test(test_vat_number_outside_de_is_reverse_charge),
		cmocka_unit_test(test_vat_number_in_de_keeps_the_tax),
		cmocka_unit_test(test_blank_vat_number_counts_as_empty),
		cmocka_unit_test(test_tax_rounds_half_away_from_zero),
		cmocka_unit_test(test_tax_out_of_range),
		cmocka_unit_test(test_rate_format),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
