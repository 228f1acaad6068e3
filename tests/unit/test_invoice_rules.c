/*
 * invoice: the draft of an invoice (items, subtotal, tax, total, due
 * date) and what the balance does to it (API.md 4 and 6), in Berlin.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../rules/caltime.h"
#include "../../rules/invoice.h"
#include "../../rules/money.h"
#include "../../util/utf8.h"
#include "rules_time.h"

#define EURO "\xe2\x82\xac"                 /* U+20AC, 3 bytes */
#define ROCKET "\xf0\x9f\x9a\x80"           /* U+1F680, 4 bytes */
#define E_ACUTE "\xc3\xa9"                  /* U+00E9, 2 bytes */
#define SUFFIX " (2015-06-01 - 2015-07-01)" /* 26 bytes */

/* A June 2015 draft issued on 2015-06-01 12:00. */
static void
june(invoice_draft *d)
{
	invoice_init(d, day("2015-06-01"), day("2015-07-01"),
	    at("2015-06-01 12:00:00"));
}

/* n copies of s. */
static char *
rep(char *buf, const char *s, int n)
{
	buf[0] = '\0';
	for (int i = 0; i < n; i++)
		strcat(buf, s);
	return (buf);
}

static int32_t
due(const char *now)
{
	invoice_draft d;

	invoice_init(&d, 0, 0, at(now));
	return (d.due_date);
}

static void
test_init_gives_an_empty_draft(void **state)
{
	invoice_draft d;

	(void) state;
	memset(&d, 0x5a, sizeof(d));
	june(&d);
	assert_int_equal(d.n_items, 0);
	assert_int_equal(d.subtotal_minor, 0);
	assert_int_equal(d.tax_rate_bp, 0);
	assert_int_equal(d.tax_minor, 0);
	assert_int_equal(d.total_minor, 0);
	assert_int_equal(d.period_start, day("2015-06-01"));
	assert_int_equal(d.period_end, day("2015-07-01"));
	assert_int_equal(d.due_date, day("2015-06-15"));
}

static void
test_due_date_is_the_local_date_plus_14_days(void **state)
{
	(void) state;
	assert_int_equal(due("2015-06-01 12:00:00"), day("2015-06-15"));
	assert_int_equal(due("2015-01-20 10:00:00"), day("2015-02-03"));
	assert_int_equal(due("2015-02-20 10:00:00"), day("2015-03-06"));
	assert_int_equal(due("2016-02-20 10:00:00"), day("2016-03-05"));
	assert_int_equal(due("2015-12-20 10:00:00"), day("2016-01-03"));
	assert_int_equal(due("2015-12-31 23:59:59"), day("2016-01-14"));
	/*
	 * Local date, not UTC: 2015-06-01 00:30 CEST is 2015-05-31 22:30
	 * UTC, whose date would give 2015-06-14.
	 */
	assert_int_equal(due("2015-06-01 00:30:00"), day("2015-06-15"));
	/*
	 * Days, not 14 x 24 hours: 2015-03-20 23:30 CET plus 336 hours is
	 * 2015-04-04 00:30 CEST (the spring change is in between); the
	 * due date is 2015-04-03. In autumn, 2015-10-20 00:30 CEST plus
	 * 336 hours is 2015-11-02 23:30 CET; the due date is 2015-11-03.
	 */
	assert_int_equal(due("2015-03-20 23:30:00"), day("2015-04-03"));
	assert_int_equal(due("2015-10-20 00:30:00"), day("2015-11-03"));
}

static void
test_period_item_names_the_local_dates(void **state)
{
	invoice_draft d;

	(void) state;
	june(&d);
	assert_int_equal(
	    invoice_add_period_item(&d, "Basic", 999, 1,
	        at("2015-06-01 12:00:00"), at("2015-07-01 12:00:00")),
	    MONEY_OK);
	assert_int_equal(d.n_items, 1);
	assert_string_equal(
	    d.items[0].description, "Basic (2015-06-01 - 2015-07-01)");
	assert_int_equal(d.items[0].quantity, 1);
	assert_int_equal(d.items[0].unit_price_minor, 999);
	assert_int_equal(d.items[0].amount_minor, 999);

	/* 00:30 CEST is 22:30 UTC the day before: the Berlin date counts. */
	june(&d);
	assert_int_equal(
	    invoice_add_period_item(&d, "Größe Ü", 999, 3,
	        at("2015-06-01 00:30:00"), at("2015-06-30 23:59:59")),
	    MONEY_OK);
	assert_string_equal(
	    d.items[0].description, "Größe Ü (2015-06-01 - 2015-06-30)");
	assert_int_equal(d.items[0].quantity, 3);
	assert_int_equal(d.items[0].unit_price_minor, 999);
	assert_int_equal(d.items[0].amount_minor, 2997);
}

static const char *
period_desc(invoice_draft *d, const char *name)
{
	june(d);
	assert_int_equal(
	    invoice_add_period_item(d, name, 100, 1, at("2015-06-01 10:00:00"),
	        at("2015-07-01 10:00:00")),
	    MONEY_OK);
	assert_true(strlen(d->items[0].description) <= INVOICE_DESC_MAX_BYTES);
	assert_true(utf8_valid(
	    d->items[0].description, strlen(d->items[0].description)));
	return (d->items[0].description);
}

static void
test_period_item_is_cut_at_255_bytes_on_a_character(void **state)
{
	char name[1200], want[1200];
	invoice_draft d;

	(void) state;
	/* 85 x 3 = 255 bytes of name: the suffix does not fit at all. */
	assert_string_equal(
	    period_desc(&d, rep(name, EURO, 85)), rep(want, EURO, 85));
	/* "a" + 100 x 3 bytes: 1 + 84 x 3 = 253; the 85th would end at 256. */
	rep(name + 1, EURO, 100);
	name[0] = 'a';
	rep(want + 1, EURO, 84);
	want[0] = 'a';
	assert_string_equal(period_desc(&d, name), want);
	assert_int_equal(strlen(d.items[0].description), 253);
	/* 64 x 4 = 256 bytes: 63 rockets, 252 bytes. */
	assert_string_equal(
	    period_desc(&d, rep(name, ROCKET, 64)), rep(want, ROCKET, 63));
	/* 229 + 26 = 255 bytes: all of it. */
	rep(name, "x", 229);
	strcat(strcpy(want, name), SUFFIX);
	assert_string_equal(period_desc(&d, name), want);
	assert_int_equal(strlen(d.items[0].description), 255);
	/* 230 + 26 = 256: the closing parenthesis goes. */
	rep(name, "x", 230);
	strcat(strcpy(want, name), SUFFIX);
	want[255] = '\0';
	assert_string_equal(period_desc(&d, name), want);
	assert_int_equal(want[254], '1');
	/* 254 ASCII bytes + "é": the é does not fit, nor what follows. */
	strcat(rep(name, "x", 254), E_ACUTE);
	assert_string_equal(period_desc(&d, name), rep(want, "x", 254));
	/* 252 + "é" = 254 bytes, then the suffix's space. */
	strcat(rep(name, "x", 252), E_ACUTE);
	strcat(strcpy(want, name), " ");
	assert_string_equal(period_desc(&d, name), want);
	/* An empty name. */
	assert_string_equal(period_desc(&d, ""), SUFFIX);
}

static void
test_amount_items(void **state)
{
	char name[600], want[600];
	invoice_draft d;

	(void) state;
	june(&d);
	assert_int_equal(
	    invoice_add_amount_item(&d, "Unused time on", "Basic", -1234),
	    MONEY_OK);
	assert_int_equal(
	    invoice_add_amount_item(&d, "Remaining time on", "Pro", 2500),
	    MONEY_OK);
	assert_int_equal(d.n_items, 2);
	assert_string_equal(d.items[0].description, "Unused time on Basic");
	assert_int_equal(d.items[0].quantity, 1);
	assert_int_equal(d.items[0].unit_price_minor, -1234);
	assert_int_equal(d.items[0].amount_minor, -1234);
	assert_string_equal(d.items[1].description, "Remaining time on Pro");
	assert_int_equal(d.items[1].quantity, 1);
	assert_int_equal(d.items[1].unit_price_minor, 2500);
	assert_int_equal(d.items[1].amount_minor, 2500);

	/* A credit of 0 still makes a 0.00 item. */
	june(&d);
	assert_int_equal(
	    invoice_add_amount_item(&d, "Unused time on", "Basic", 0),
	    MONEY_OK);
	assert_int_equal(d.n_items, 1);
	assert_int_equal(d.items[0].amount_minor, 0);

	/* "Remaining time on " is 18 bytes; 237 left hold 118 x 2 bytes. */
	june(&d);
	assert_int_equal(invoice_add_amount_item(&d, "Remaining time on",
	                     rep(name, E_ACUTE, 240), 100),
	    MONEY_OK);
	strcat(strcpy(want, "Remaining time on "), rep(name, E_ACUTE, 118));
	assert_string_equal(d.items[0].description, want);
	assert_int_equal(strlen(d.items[0].description), 254);
}

static void
test_a_full_draft_takes_no_more_items(void **state)
{
	invoice_draft d;

	(void) state;
	june(&d);
	assert_int_equal(
	    invoice_add_amount_item(&d, "Unused time on", "A", -100),
	    MONEY_OK);
	assert_int_equal(
	    invoice_add_period_item(&d, "B", 100, 1, at("2015-06-01 10:00:00"),
	        at("2015-07-01 10:00:00")),
	    MONEY_OK);
	assert_int_equal(
	    invoice_add_amount_item(&d, "x", "C", 1), MONEY_INVALID);
	assert_int_equal(
	    invoice_add_period_item(&d, "D", 1, 1, 0, 0), MONEY_INVALID);
	assert_int_equal(d.n_items, INVOICE_MAX_ITEMS);
	assert_string_equal(
	    d.items[1].description, "B (2015-06-01 - 2015-07-01)");
}

static void
test_item_amounts_out_of_range(void **state)
{
	int64_t ps = at("2015-06-01 10:00:00"), pe = at("2015-07-01 10:00:00");
	invoice_draft d;

	(void) state;
	june(&d);
	/* 99999999.99 x 1000 */
	assert_int_equal(
	    invoice_add_period_item(&d, "Big", MONEY_MAX_MINOR, 1000, ps, pe),
	    MONEY_OUT_OF_RANGE);
	/* 50000000.00 x 2 = 100000000.00 */
	assert_int_equal(
	    invoice_add_period_item(&d, "Big", INT64_C(5000000000), 2, ps, pe),
	    MONEY_OUT_OF_RANGE);
	/* int64 overflow of the product, and a price out of range. */
	assert_int_equal(
	    invoice_add_period_item(&d, "Big", INT64_MAX, INT32_MAX, ps, pe),
	    MONEY_OUT_OF_RANGE);
	assert_int_equal(
	    invoice_add_period_item(&d, "Big", MONEY_MAX_MINOR + 1, 0, ps, pe),
	    MONEY_OUT_OF_RANGE);
	assert_int_equal(invoice_add_amount_item(&d, "Unused time on", "Big",
	                     -MONEY_MAX_MINOR - 1),
	    MONEY_OUT_OF_RANGE);
	assert_int_equal(d.n_items, 0); /* unchanged */
	/* The edges fit. */
	assert_int_equal(
	    invoice_add_period_item(&d, "Big", MONEY_MAX_MINOR, 1, ps, pe),
	    MONEY_OK);
	assert_int_equal(invoice_add_amount_item(
	                     &d, "Unused time on", "Big", -MONEY_MAX_MINOR),
	    MONEY_OK);
	assert_int_equal(d.items[0].amount_minor, MONEY_MAX_MINOR);
	assert_int_equal(d.items[1].amount_minor, -MONEY_MAX_MINOR);
}

/* A June draft with the given item amounts. */
static void
draft_of(invoice_draft *d, int64_t a, int64_t b, int n)
{
	june(d);
	if (n >= 1)
		assert_int_equal(
		    invoice_add_amount_item(d, "Unused time on", "A", a),
		    MONEY_OK);
	if (n >= 2)
		assert_int_equal(
		    invoice_add_amount_item(d, "Remaining time on", "B", b),
		    MONEY_OK);
}

static void
assert_totals(const invoice_draft *d, int64_t subtotal, int32_t rate,
    int64_t tax, int64_t total)
{
	assert_int_equal(d->subtotal_minor, subtotal);
	assert_int_equal(d->tax_rate_bp, rate);
	assert_int_equal(d->tax_minor, tax);
	assert_int_equal(d->total_minor, total);
}

static void
test_finish_with_a_customer(void **state)
{
	invoice_draft d;

	(void) state;
	/* 9.99 in DE: tax 1.8981 -> 1.90, total 11.89. */
	draft_of(&d, 999, 0, 1);
	assert_int_equal(invoice_finish(&d, true, "DE", NULL), MONEY_OK);
	assert_totals(&d, 999, 1900, 190, 1189);
	/* AT: 1.998 -> 2.00. */
	draft_of(&d, 999, 0, 1);
	assert_int_equal(invoice_finish(&d, true, " at ", ""), MONEY_OK);
	assert_totals(&d, 999, 2000, 200, 1199);
	/* NL, two items: -15.00 + 30.00 = 15.00, tax 3.15. */
	draft_of(&d, -1500, 3000, 2);
	assert_int_equal(invoice_finish(&d, true, "nl", "  "), MONEY_OK);
	assert_totals(&d, 1500, 2100, 315, 1815);
	/* No tax outside the five countries. */
	draft_of(&d, 999, 0, 1);
	assert_int_equal(invoice_finish(&d, true, "US", NULL), MONEY_OK);
	assert_totals(&d, 999, 0, 0, 999);
	draft_of(&d, 999, 0, 1);
	assert_int_equal(invoice_finish(&d, true, NULL, NULL), MONEY_OK);
	assert_totals(&d, 999, 0, 0, 999);
	/* An empty draft. */
	june(&d);
	assert_int_equal(invoice_finish(&d, true, "DE", NULL), MONEY_OK);
	assert_totals(&d, 0, 1900, 0, 0);
}

static void
test_finish_reverse_charge(void **state)
{
	invoice_draft d;

	(void) state;
	draft_of(&d, 999, 0, 1);
	assert_int_equal(invoice_finish(&d, true, "AT", "ATU1"), MONEY_OK);
	assert_totals(&d, 999, 0, 0, 999);
	/* A VAT number in DE changes nothing. */
	draft_of(&d, 999, 0, 1);
	assert_int_equal(invoice_finish(&d, true, "DE", "DE1"), MONEY_OK);
	assert_totals(&d, 999, 1900, 190, 1189);
}

static void
test_finish_without_a_customer_has_no_tax(void **state)
{
	invoice_draft d;

	(void) state;
	draft_of(&d, 999, 0, 1);
	assert_int_equal(invoice_finish(&d, false, "DE", NULL), MONEY_OK);
	assert_totals(&d, 999, 0, 0, 999);
}

static void
test_finish_of_negative_subtotals(void **state)
{
	invoice_draft d;

	(void) state;
	/* Downgrade: -30.00 + 10.00 = -20.00, DE tax -3.80. */
	draft_of(&d, -3000, 1000, 2);
	assert_int_equal(invoice_finish(&d, true, "DE", NULL), MONEY_OK);
	assert_totals(&d, -2000, 1900, -380, -2380);
	/* -1.50 at 19 %: -0.285 -> -0.29 (away from zero). */
	draft_of(&d, -150, 0, 1);
	assert_int_equal(invoice_finish(&d, true, "DE", NULL), MONEY_OK);
	assert_totals(&d, -150, 1900, -29, -179);
}

static void
test_finish_out_of_range(void **state)
{
	invoice_draft d;

	(void) state;
	/* Subtotal 2 x 99999999.99. */
	draft_of(&d, MONEY_MAX_MINOR, MONEY_MAX_MINOR, 2);
	assert_int_equal(
	    invoice_finish(&d, true, "US", NULL), MONEY_OUT_OF_RANGE);
	assert_totals(&d, 0, 0, 0, 0); /* unchanged */
	draft_of(&d, -MONEY_MAX_MINOR, -1, 2);
	assert_int_equal(
	    invoice_finish(&d, true, "US", NULL), MONEY_OUT_OF_RANGE);
	/* 90000000.00 + 19 % = 107100000.00. */
	draft_of(&d, INT64_C(9000000000), 0, 1);
	assert_int_equal(
	    invoice_finish(&d, true, "DE", NULL), MONEY_OUT_OF_RANGE);
	assert_totals(&d, 0, 0, 0, 0);
	/* ... but fine without tax, and a subtotal of exactly the max. */
	assert_int_equal(invoice_finish(&d, true, "US", NULL), MONEY_OK);
	assert_totals(&d, INT64_C(9000000000), 0, 0, INT64_C(9000000000));
	draft_of(&d, MONEY_MAX_MINOR - 1, 1, 2);
	assert_int_equal(invoice_finish(&d, false, "DE", NULL), MONEY_OK);
	assert_totals(&d, MONEY_MAX_MINOR, 0, 0, MONEY_MAX_MINOR);
}

static void
assert_settle(
    int64_t total, int64_t balance, bool paid, int64_t credit, int64_t after)
{
	invoice_settlement s = {
		.paid = !paid, .credit_minor = -1, .balance_minor = -1
	};

	assert_int_equal(invoice_settle(total, balance, &s), MONEY_OK);
	assert_int_equal(s.paid, paid);
	assert_int_equal(s.credit_minor, credit);
	assert_int_equal(s.balance_minor, after);
}

static void
test_settle(void **state)
{
	(void) state;
	/* Total 0: paid at once; the balance is untouched. */
	assert_settle(0, 0, true, 0, 0);
	assert_settle(0, 500, true, 0, 500);
	/* Negative total: paid, -total goes to the balance. */
	assert_settle(-2380, 0, true, 0, 2380);
	assert_settle(-2380, 100, true, 0, 2480);
	assert_settle(-300, -500, true, 0, -200);
	/* No balance: unpaid. */
	assert_settle(1000, 0, false, 0, 0);
	/* Partial credit: 3.00 of 10.00. */
	assert_settle(1000, 300, false, 300, 0);
	/* Credit that covers the total exactly, and more than it. */
	assert_settle(1000, 1000, true, 1000, 0);
	assert_settle(1000, 5000, true, 1000, 4000);
	assert_settle(1, MONEY_MAX_MINOR, true, 1, MONEY_MAX_MINOR - 1);
	/* A negative balance is not credit. */
	assert_settle(1000, -500, false, 0, -500);
}

static void
test_settle_balance_overflow(void **state)
{
	invoice_settlement s = {
		.paid = false, .credit_minor = 7, .balance_minor = 7
	};

	(void) state;
	assert_int_equal(
	    invoice_settle(-1, MONEY_MAX_MINOR, &s), MONEY_OUT_OF_RANGE);
	assert_int_equal(
	    invoice_settle(-MONEY_MAX_MINOR, 1, &s), MONEY_OUT_OF_RANGE);
	assert_int_equal(
	    invoice_settle(INT64_MIN, INT64_MAX, &s), MONEY_OUT_OF_RANGE);
	assert_false(s.paid); /* unchanged */
	assert_int_equal(s.credit_minor, 7);
	assert_int_equal(s.balance_minor, 7);
	/* Up to the maximum is fine. */
	assert_settle(-1, MONEY_MAX_MINOR - 1, true, 0, MONEY_MAX_MINOR);
}

static void
test_apply_payment(void **state)
{
	int64_t excess = -1;
	bool paid = true;

	(void) state;
	/* Partial: 4.00 of 10.00. */
	assert_int_equal(
	    invoice_apply_payment(1000, 0, 400, &paid, &excess), MONEY_OK);
	assert_false(paid);
	assert_int_equal(excess, 0);
	/* The rest: exactly paid. */
	assert_int_equal(
	    invoice_apply_payment(1000, 400, 600, &paid, &excess), MONEY_OK);
	assert_true(paid);
	assert_int_equal(excess, 0);
	/* Over: 4.00 + 10.00 on 10.00, 4.00 to the balance. */
	assert_int_equal(
	    invoice_apply_payment(1000, 400, 1000, &paid, &excess), MONEY_OK);
	assert_true(paid);
	assert_int_equal(excess, 400);
	/* One payment over the total; a credit already counted. */
	assert_int_equal(
	    invoice_apply_payment(1000, 0, 1500, &paid, &excess), MONEY_OK);
	assert_true(paid);
	assert_int_equal(excess, 500);
	assert_int_equal(
	    invoice_apply_payment(1189, 300, 888, &paid, &excess), MONEY_OK);
	assert_false(paid);
	assert_int_equal(excess, 0);
	assert_int_equal(
	    invoice_apply_payment(1189, 300, 889, &paid, &excess), MONEY_OK);
	assert_true(paid);
	assert_int_equal(excess, 0);
}

static void
test_apply_payment_overflow(void **state)
{
	int64_t excess = -1;
	bool paid = false;

	(void) state;
	assert_int_equal(
	    invoice_apply_payment(1000, INT64_MAX, 1, &paid, &excess),
	    MONEY_OUT_OF_RANGE);
	assert_int_equal(
	    invoice_apply_payment(1000, INT64_MIN, -1, &paid, &excess),
	    MONEY_OUT_OF_RANGE);
	assert_false(paid); /* unchanged */
	assert_int_equal(excess, -1);
	/* The sum fits int64: the caller range-checks the balance. */
	assert_int_equal(
	    invoice_apply_payment(1, INT64_MAX - 1, 1, &paid, &excess),
	    MONEY_OK);
	assert_true(paid);
	assert_int_equal(excess, INT64_MAX - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_gives_an_empty_draft),
		cmocka_unit_test(test_due_date_is_the_local_date_plus_14_days),
		cmocka_unit_test(test_period_item_names_the_local_dates),
		cmocka_unit_test(
		    test_period_item_is_cut_at_255_bytes_on_a_character),
		cmocka_unit_test(test_amount_items),
		cmocka_unit_test(test_a_full_draft_takes_no_more_items),
		cmocka_unit_test(test_item_amounts_out_of_range),
		cmocka_unit_test(test_finish_with_a_customer),
		cmocka_unit_test(test_finish_reverse_charge),
		cmocka_unit_test(test_finish_without_a_customer_has_no_tax),
		cmocka_unit_test(test_finish_of_negative_subtotals),
		cmocka_unit_test(test_finish_out_of_range),
		cmocka_unit_test(test_settle),
		cmocka_unit_test(test_settle_balance_overflow),
		cmocka_unit_test(test_apply_payment),
		cmocka_unit_test(test_apply_payment_overflow),
	};

	if (caltime_set_zone("Europe/Berlin") != 0)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
