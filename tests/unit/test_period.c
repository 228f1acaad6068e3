/*
 * period: next(t) on the anchor day clamped to the month (API.md 4),
 * across leap years, year ends and Berlin's DST changes, and
 * proration in real elapsed seconds (API.md 6).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../rules/caltime.h"
#include "../../rules/money.h"
#include "../../rules/period.h"
#include "rules_time.h"

/*
 * Follows next() from the Berlin wall time start through the n wall
 * times of want[], checking each period end.
 */
static void
assert_chain(const char *start, int anchor, period_cycle cycle,
    const char *const *want, int n)
{
	int64_t t = at(start);

	for (int i = 0; i < n; i++) {
		t = period_next(t, anchor, cycle);
		assert_wall(t, want[i]);
	}
}

#define CHAIN(start, anchor, cycle, ...)                            \
	do {                                                        \
		static const char *const want_[] = { __VA_ARGS__ }; \
		assert_chain(start, anchor, cycle, want_,           \
		    (int) (sizeof(want_) / sizeof(want_[0])));      \
	} while (0)

static void
test_cycles_names_and_months(void **state)
{
	(void) state;
	assert_int_equal(period_months(PERIOD_MONTHLY), 1);
	assert_int_equal(period_months(PERIOD_QUARTERLY), 3);
	assert_int_equal(period_months(PERIOD_YEARLY), 12);
	assert_int_equal(period_months((period_cycle) 0), 0);
	assert_int_equal(period_months((period_cycle) 4), 0);

	assert_int_equal(period_cycle_parse("monthly"), PERIOD_MONTHLY);
	assert_int_equal(period_cycle_parse("quarterly"), PERIOD_QUARTERLY);
	assert_int_equal(period_cycle_parse("yearly"), PERIOD_YEARLY);
	assert_int_equal(period_cycle_parse("Monthly"), 0);
	assert_int_equal(period_cycle_parse("month"), 0);
	assert_int_equal(period_cycle_parse("monthly "), 0);
	assert_int_equal(period_cycle_parse("annually"), 0);
	assert_int_equal(period_cycle_parse(""), 0);
	assert_int_equal(period_cycle_parse(NULL), 0);

	assert_string_equal(period_cycle_name(PERIOD_MONTHLY), "monthly");
	assert_string_equal(period_cycle_name(PERIOD_QUARTERLY), "quarterly");
	assert_string_equal(period_cycle_name(PERIOD_YEARLY), "yearly");
	assert_null(period_cycle_name((period_cycle) 0));
	assert_null(period_cycle_name((period_cycle) 4));
}

static void
test_anchor_31_through_february_non_leap(void **state)
{
	(void) state;
	CHAIN("2015-01-31 10:00:00", 31, PERIOD_MONTHLY, "2015-02-28 10:00:00",
	    "2015-03-31 10:00:00", "2015-04-30 10:00:00",
	    "2015-05-31 10:00:00", "2015-06-30 10:00:00",
	    "2015-07-31 10:00:00");
}

static void
test_anchor_31_through_february_leap(void **state)
{
	(void) state;
	CHAIN("2016-01-31 10:00:00", 31, PERIOD_MONTHLY, "2016-02-29 10:00:00",
	    "2016-03-31 10:00:00", "2016-04-30 10:00:00");
	CHAIN("2020-01-31 10:00:00", 31, PERIOD_MONTHLY, "2020-02-29 10:00:00",
	    "2020-03-31 10:00:00");
	/* 2000 is a leap year (400), 2100 is not (100). */
	CHAIN("2000-01-31 10:00:00", 31, PERIOD_MONTHLY, "2000-02-29 10:00:00",
	    "2000-03-31 10:00:00");
	CHAIN("2100-01-31 10:00:00", 31, PERIOD_MONTHLY, "2100-02-28 10:00:00",
	    "2100-03-31 10:00:00");
}

static void
test_anchor_30_and_29(void **state)
{
	(void) state;
	CHAIN("2015-01-30 08:15:00", 30, PERIOD_MONTHLY, "2015-02-28 08:15:00",
	    "2015-03-30 08:15:00", "2015-04-30 08:15:00",
	    "2015-05-30 08:15:00");
	CHAIN("2016-01-30 08:15:00", 30, PERIOD_MONTHLY, "2016-02-29 08:15:00",
	    "2016-03-30 08:15:00");
	CHAIN("2015-01-29 08:15:00", 29, PERIOD_MONTHLY, "2015-02-28 08:15:00",
	    "2015-03-29 08:15:00");
	CHAIN("2016-01-29 08:15:00", 29, PERIOD_MONTHLY, "2016-02-29 08:15:00",
	    "2016-03-29 08:15:00");
}

static void
test_anchor_not_the_start_day(void **state)
{
	(void) state;
	/* A period that starts on a clamped day returns to the anchor. */
	CHAIN(
	    "2015-04-30 12:00:00", 31, PERIOD_MONTHLY, "2015-05-31 12:00:00");
	CHAIN(
	    "2015-02-28 12:00:00", 30, PERIOD_MONTHLY, "2015-03-30 12:00:00");
	/* The anchor, not t's day, picks the day (a plan change moves it). */
	CHAIN(
	    "2015-01-31 12:00:00", 15, PERIOD_MONTHLY, "2015-02-15 12:00:00");
	CHAIN("2015-01-01 12:00:00", 1, PERIOD_MONTHLY, "2015-02-01 12:00:00",
	    "2015-03-01 12:00:00");
}

static void
test_quarterly(void **state)
{
	(void) state;
	CHAIN("2015-11-30 09:00:00", 30, PERIOD_QUARTERLY,
	    "2016-02-29 09:00:00", "2016-05-30 09:00:00",
	    "2016-08-30 09:00:00", "2016-11-30 09:00:00",
	    "2017-02-28 09:00:00", "2017-05-30 09:00:00");
	CHAIN("2014-11-30 09:00:00", 30, PERIOD_QUARTERLY,
	    "2015-02-28 09:00:00", "2015-05-30 09:00:00");
	CHAIN("2015-10-31 09:00:00", 31, PERIOD_QUARTERLY,
	    "2016-01-31 09:00:00", "2016-04-30 09:00:00",
	    "2016-07-31 09:00:00");
	CHAIN("2015-12-15 09:00:00", 15, PERIOD_QUARTERLY,
	    "2016-03-15 09:00:00");
}

static void
test_yearly(void **state)
{
	(void) state;
	CHAIN("2016-02-29 12:00:00", 29, PERIOD_YEARLY, "2017-02-28 12:00:00",
	    "2018-02-28 12:00:00", "2019-02-28 12:00:00",
	    "2020-02-29 12:00:00");
	CHAIN("2015-06-01 12:00:00", 1, PERIOD_YEARLY, "2016-06-01 12:00:00");
	CHAIN("2015-12-31 23:59:59", 31, PERIOD_YEARLY, "2016-12-31 23:59:59");
}

static void
test_december_wraps_to_january(void **state)
{
	(void) state;
	CHAIN("2015-12-31 23:59:59", 31, PERIOD_MONTHLY, "2016-01-31 23:59:59",
	    "2016-02-29 23:59:59");
	CHAIN(
	    "2015-12-15 00:00:00", 15, PERIOD_MONTHLY, "2016-01-15 00:00:00");
	CHAIN("2015-11-30 00:00:00", 30, PERIOD_MONTHLY, "2015-12-30 00:00:00",
	    "2016-01-30 00:00:00");
}

/* The time of day is wall time: across DST it stays, the length not. */
static void
test_time_of_day_is_kept_across_dst(void **state)
{
	int64_t t, n;

	(void) state;
	/* 2015-03-01 10:00 CET -> 2015-04-01 10:00 CEST: 31 days - 1 h. */
	t = at("2015-03-01 10:00:00");
	n = period_next(t, 1, PERIOD_MONTHLY);
	assert_int_equal(t, utc(2015, 3, 1, 9, 0, 0));
	assert_int_equal(n, utc(2015, 4, 1, 8, 0, 0));
	assert_int_equal(n - t, 31 * DAY_US - HOUR_US);
	/* 2015-10-01 10:00 CEST -> 2015-11-01 10:00 CET: 31 days + 1 h. */
	t = at("2015-10-01 10:00:00");
	n = period_next(t, 1, PERIOD_MONTHLY);
	assert_int_equal(n - t, 31 * DAY_US + HOUR_US);
}

static void
test_spring_gap_moves_the_time_of_day_forward(void **state)
{
	int64_t t, n, n2;

	(void) state;
	/*
	 * 2015-02-28 02:30 CET (01:30 UTC), anchor 29: the end's wall time
	 * 2015-03-29 02:30 is in the gap and becomes 03:30 CEST, 01:30 UTC,
	 * exactly 29 days later.
	 */
	t = at("2015-02-28 02:30:00");
	assert_int_equal(t, utc(2015, 2, 28, 1, 30, 0));
	n = period_next(t, 29, PERIOD_MONTHLY);
	assert_int_equal(n, utc(2015, 3, 29, 1, 30, 0));
	assert_wall(n, "2015-03-29 03:30:00");
	assert_int_equal(n - t, 29 * DAY_US);
	/* The later periods keep the shifted time of day. */
	n2 = period_next(n, 29, PERIOD_MONTHLY);
	assert_wall(n2, "2015-04-29 03:30:00");
	assert_int_equal(n2, utc(2015, 4, 29, 1, 30, 0));
	CHAIN("2015-01-29 02:30:00", 29, PERIOD_MONTHLY, "2015-02-28 02:30:00",
	    "2015-03-29 03:30:00", "2015-04-29 03:30:00",
	    "2015-05-29 03:30:00");
	/* Yearly into the 2016 gap (2016-03-27 02:00-03:00). */
	CHAIN("2015-03-27 02:00:00", 27, PERIOD_YEARLY, "2016-03-27 03:00:00",
	    "2017-03-27 03:00:00");
}

static void
test_autumn_overlap_is_standard_time(void **state)
{
	int64_t t, n;

	(void) state;
	/*
	 * 2015-09-25 02:30 CEST (00:30 UTC), anchor 25: 2015-10-25 02:30
	 * happens twice and is CET (01:30 UTC): 30 days + 1 hour.
	 */
	t = at("2015-09-25 02:30:00");
	assert_int_equal(t, utc(2015, 9, 25, 0, 30, 0));
	n = period_next(t, 25, PERIOD_MONTHLY);
	assert_int_equal(n, utc(2015, 10, 25, 1, 30, 0));
	assert_int_equal(n - t, 30 * DAY_US + HOUR_US);
	/* Then 2015-11-25 02:30 CET, 31 days. */
	t = n;
	n = period_next(t, 25, PERIOD_MONTHLY);
	assert_int_equal(n, utc(2015, 11, 25, 1, 30, 0));
	assert_int_equal(n - t, 31 * DAY_US);
	/* From the first 02:30 (CEST, 00:30 UTC) the same end. */
	t = utc(2015, 10, 25, 0, 30, 0);
	assert_wall(t, "2015-10-25 02:30:00");
	n = period_next(t, 25, PERIOD_MONTHLY);
	assert_int_equal(n, utc(2015, 11, 25, 1, 30, 0));
	assert_int_equal(n - t, 31 * DAY_US + HOUR_US);
}

static void
test_next_keeps_the_sub_second_part(void **state)
{
	int64_t t = at("2015-06-01 12:00:00");

	(void) state;
	assert_int_equal(period_next(t + 123456, 1, PERIOD_MONTHLY),
	    utc(2015, 7, 1, 10, 0, 0) + 123456);
}

static void
test_next_out_of_range_arguments(void **state)
{
	int64_t t = at("2015-01-31 10:00:00");

	(void) state;
	/* Anchors are clamped to 1..31. */
	assert_int_equal(
	    period_next(t, 0, PERIOD_MONTHLY), at("2015-02-01 10:00:00"));
	assert_int_equal(
	    period_next(t, -5, PERIOD_MONTHLY), at("2015-02-01 10:00:00"));
	assert_int_equal(
	    period_next(t, 40, PERIOD_MONTHLY), at("2015-02-28 10:00:00"));
	/* An unknown cycle returns t. */
	assert_int_equal(period_next(t, 31, (period_cycle) 0), t);
	assert_int_equal(period_next(t, 31, (period_cycle) 9), t);
}

static void
test_anchor_day_is_the_local_day(void **state)
{
	(void) state;
	assert_int_equal(period_anchor_day(at("2015-01-31 10:00:00")), 31);
	assert_int_equal(period_anchor_day(at("2016-02-29 23:59:59")), 29);
	/* 2015-05-31 22:30 UTC is 2015-06-01 00:30 in Berlin. */
	assert_int_equal(period_anchor_day(utc(2015, 5, 31, 22, 30, 0)), 1);
	assert_int_equal(period_anchor_day(utc(2015, 5, 31, 21, 59, 59)), 31);
	/* Winter: midnight is 23:00 UTC. */
	assert_int_equal(period_anchor_day(utc(2015, 1, 30, 23, 0, 0)), 31);
	assert_int_equal(period_anchor_day(utc(2015, 1, 30, 22, 59, 59)), 30);
}

static int64_t
prorate(int64_t price, int32_t qty, int64_t ps, int64_t pe, int64_t now)
{
	int64_t out = -4242;

	assert_int_equal(
	    period_prorate(price, qty, ps, pe, now, &out), MONEY_OK);
	return (out);
}

/* June 2015: 30 days, 2592000 seconds, no DST change. */
#define JUNE_S at("2015-06-01 00:00:00")
#define JUNE_E at("2015-07-01 00:00:00")

static void
test_prorate_clamps_the_remaining_time(void **state)
{
	(void) state;
	/* Half of June left: 30.00 -> 15.00. */
	assert_int_equal(
	    prorate(3000, 1, JUNE_S, JUNE_E, at("2015-06-16 00:00:00")), 1500);
	/* now at or before the start: the full amount. */
	assert_int_equal(prorate(3000, 1, JUNE_S, JUNE_E, JUNE_S), 3000);
	assert_int_equal(
	    prorate(3000, 1, JUNE_S, JUNE_E, at("2015-05-01 00:00:00")), 3000);
	assert_int_equal(prorate(3000, 1, JUNE_S, JUNE_E, 0), 3000);
	/* now at or after the end: nothing. */
	assert_int_equal(prorate(3000, 1, JUNE_S, JUNE_E, JUNE_E), 0);
	assert_int_equal(prorate(3000, 1, JUNE_S, JUNE_E, JUNE_E + 1), 0);
	assert_int_equal(
	    prorate(3000, 1, JUNE_S, JUNE_E, at("2016-01-01 00:00:00")), 0);
	/* One second before the end: 3000 / 2592000 -> 0.001 -> 0. */
	assert_int_equal(
	    prorate(3000, 1, JUNE_S, JUNE_E, JUNE_E - US_PER_SEC), 0);
	/* A price of 0 and a negative price (a credit). */
	assert_int_equal(
	    prorate(0, 1, JUNE_S, JUNE_E, at("2015-06-16 00:00:00")), 0);
	assert_int_equal(
	    prorate(-3000, 1, JUNE_S, JUNE_E, at("2015-06-16 00:00:00")),
	    -1500);
}

static void
test_prorate_of_an_empty_or_reversed_period_is_zero(void **state)
{
	(void) state;
	assert_int_equal(prorate(3000, 1, JUNE_S, JUNE_S, JUNE_S), 0);
	assert_int_equal(prorate(3000, 1, JUNE_E, JUNE_S, JUNE_S), 0);
	/* Less than a second apart: T is 0 after truncation. */
	assert_int_equal(prorate(3000, 1, JUNE_S, JUNE_S + 999999, 0), 0);
}

static void
test_prorate_rounds_half_away_from_zero(void **state)
{
	int64_t half = at("2015-06-16 00:00:00");

	(void) state;
	/* 0.01 for half of June: 0.5 cent -> 1; -0.01 -> -1. */
	assert_int_equal(prorate(1, 1, JUNE_S, JUNE_E, half), 1);
	assert_int_equal(prorate(-1, 1, JUNE_S, JUNE_E, half), -1);
	/* 0.03: 1.5 -> 2; 0.05: 2.5 -> 3 (not 2); -0.03: -2. */
	assert_int_equal(prorate(3, 1, JUNE_S, JUNE_E, half), 2);
	assert_int_equal(prorate(5, 1, JUNE_S, JUNE_E, half), 3);
	assert_int_equal(prorate(-3, 1, JUNE_S, JUNE_E, half), -2);
	/* One second more than half elapsed: 1295999 / 2592000 < 0.5. */
	assert_int_equal(prorate(1, 1, JUNE_S, JUNE_E, half + US_PER_SEC), 0);
	assert_int_equal(prorate(-1, 1, JUNE_S, JUNE_E, half + US_PER_SEC), 0);
	/* One second less: 1296001 / 2592000 > 0.5. */
	assert_int_equal(prorate(1, 1, JUNE_S, JUNE_E, half - US_PER_SEC), 1);
}

static void
test_prorate_truncates_instants_to_the_second(void **state)
{
	int64_t s = at("2015-06-01 00:00:00");

	(void) state;
	/*
	 * [s + 0.9 s, s + 2.9 s] at s + 1.999999 s is [s, s + 2] at
	 * s + 1: r / T = 1 / 2, 0.01 -> 1 cent. Unrounded it would be
	 * 0.900001 / 2 -> 0.45 -> 0.
	 */
	assert_int_equal(
	    prorate(1, 1, s + 900000, s + 2900000, s + 1999999), 1);
}

static void
test_prorate_counts_real_seconds_in_dst_months(void **state)
{
	int64_t ms = at("2015-03-01 00:00:00"), me = at("2015-04-01 00:00:00");
	int64_t os = at("2015-10-01 00:00:00"), oe = at("2015-11-01 00:00:00");

	(void) state;
	/* March 2015 has 743 hours, October 745. */
	assert_int_equal(me - ms, 743 * HOUR_US);
	assert_int_equal(oe - os, 745 * HOUR_US);
	/*
	 * From 2015-03-29 00:00 CET to the end: 71 real hours (3 days on
	 * the wall, one of them 23 hours). 743.00 * 71 / 743 = 71.00.
	 */
	assert_int_equal(
	    prorate(74300, 1, ms, me, at("2015-03-29 00:00:00")), 7100);
	/* From 03:00 CEST on the same day: 69 hours. */
	assert_int_equal(
	    prorate(74300, 1, ms, me, at("2015-03-29 03:00:00")), 6900);
	/* From 2015-10-25 00:00 CEST: 7 days and 1 hour, 169 hours. */
	assert_int_equal(
	    prorate(74500, 1, os, oe, at("2015-10-25 00:00:00")), 16900);
	/* 10.00 for half of March's real time (371.5 hours) -> 5.00. */
	assert_int_equal(prorate(1000, 1, ms, me,
	                     me - 371 * HOUR_US - 30 * 60 * US_PER_SEC),
	    500);
}

static void
test_prorate_with_quantity(void **state)
{
	int64_t third = JUNE_E - 10 * DAY_US;        /* 10 of 30 days left */
	int64_t quarter = at("2015-06-23 12:00:00"); /* 7.5 of 30 days */

	(void) state;
	/* 10.00 x 3 x 1/3 = 10.00. */
	assert_int_equal(prorate(1000, 3, JUNE_S, JUNE_E, third), 1000);
	/* 9.99 x 2 x 1/4 = 4.995 -> 5.00; negative -> -5.00. */
	assert_int_equal(prorate(999, 2, JUNE_S, JUNE_E, quarter), 500);
	assert_int_equal(prorate(-999, 2, JUNE_S, JUNE_E, quarter), -500);
	/* 0.01 x 1000 x 1/3 = 3.333 -> 3.33. */
	assert_int_equal(prorate(1, 1000, JUNE_S, JUNE_E, third), 333);
	/* 0.02 x 1000 x 1/3 = 6.666 -> 6.67. */
	assert_int_equal(prorate(2, 1000, JUNE_S, JUNE_E, third), 667);
}

static void
test_prorate_out_of_range(void **state)
{
	int64_t half = at("2015-06-16 00:00:00");
	int64_t out = -4242;

	(void) state;
	/* 99999999.99 x 1000 for 1/1000 of a 1000 s period: the maximum. */
	assert_int_equal(
	    prorate(MONEY_MAX_MINOR, 1000, JUNE_S, JUNE_S + 1000 * US_PER_SEC,
	        JUNE_S + 999 * US_PER_SEC),
	    MONEY_MAX_MINOR);
	/* x 2 x 1/2 is exactly the maximum, the price x 2 is not. */
	assert_int_equal(prorate(MONEY_MAX_MINOR, 2, JUNE_S, JUNE_E, half),
	    MONEY_MAX_MINOR);
	assert_int_equal(prorate(-MONEY_MAX_MINOR, 2, JUNE_S, JUNE_E, half),
	    -MONEY_MAX_MINOR);
	assert_int_equal(
	    period_prorate(MONEY_MAX_MINOR, 2, JUNE_S, JUNE_E, JUNE_S, &out),
	    MONEY_OUT_OF_RANGE);
	assert_int_equal(
	    period_prorate(-MONEY_MAX_MINOR, 1000, JUNE_S, JUNE_E, half, &out),
	    MONEY_OUT_OF_RANGE);
	/* int64 extremes: no overflow, just out of range. */
	assert_int_equal(
	    period_prorate(INT64_MAX, INT32_MAX, JUNE_S, JUNE_E, half, &out),
	    MONEY_OUT_OF_RANGE);
	assert_int_equal(period_prorate(INT64_MIN, INT32_MAX, INT64_MIN,
	                     INT64_MAX, 0, &out),
	    MONEY_OUT_OF_RANGE);
	assert_int_equal(out, -4242);
	/*
	 * ... and in range when r / T is small enough: T = 9223372036854 s
	 * (INT64_MAX us truncated), r = 1 s, INT64_MAX / T = 1000000.00000008.
	 */
	assert_int_equal(
	    prorate(INT64_MAX, 1, 0, INT64_MAX, INT64_MAX - US_PER_SEC),
	    1000000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cycles_names_and_months),
		cmocka_unit_test(test_anchor_31_through_february_non_leap),
		cmocka_unit_test(test_anchor_31_through_february_leap),
		cmocka_unit_test(test_anchor_30_and_29),
		cmocka_unit_test(test_anchor_not_the_start_day),
		cmocka_unit_test(test_quarterly),
		cmocka_unit_test(test_yearly),
		cmocka_unit_test(test_december_wraps_to_january),
		cmocka_unit_test(test_time_of_day_is_kept_across_dst),
		cmocka_unit_test(
		    test_spring_gap_moves_the_time_of_day_forward),
		cmocka_unit_test(test_autumn_overlap_is_standard_time),
		cmocka_unit_test(test_next_keeps_the_sub_second_part),
		cmocka_unit_test(test_next_out_of_range_arguments),
		cmocka_unit_test(test_anchor_day_is_the_local_day),
		cmocka_unit_test(test_prorate_clamps_the_remaining_time),
		cmocka_unit_test(
		    test_prorate_of_an_empty_or_reversed_period_is_zero),
		cmocka_unit_test(test_prorate_rounds_half_away_from_zero),
		cmocka_unit_test(
		    test_prorate_truncates_instants_to_the_second),
		cmocka_unit_test(
		    test_prorate_counts_real_seconds_in_dst_months),
		cmocka_unit_test(test_prorate_with_quantity),
		cmocka_unit_test(test_prorate_out_of_range),
	};

	if (caltime_set_zone("Europe/Berlin") != 0)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
