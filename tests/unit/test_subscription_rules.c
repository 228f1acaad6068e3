/*
 * subscription: states, the checks of cancel / reactivate /
 * change_plan with their messages (API.md 3), renewal catch-up and
 * dunning (API.md 5), in Berlin.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../rules/caltime.h"
#include "../../rules/subscription.h"
#include "rules_time.h"

static const sub_status all[] = { SUB_UNKNOWN, SUB_TRIAL, SUB_ACTIVE,
	SUB_PAST_DUE, SUB_CANCELLED, SUB_EXPIRED };
#define N_ALL ((int) (sizeof(all) / sizeof(all[0])))

static void
test_status_names_round_trip(void **state)
{
	static const struct {
		sub_status s;
		const char *name;
	} names[] = {
		{ SUB_TRIAL, "trial" },
		{ SUB_ACTIVE, "active" },
		{ SUB_PAST_DUE, "past_due" },
		{ SUB_CANCELLED, "cancelled" },
		{ SUB_EXPIRED, "expired" },
	};

	(void) state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_string_equal(
		    sub_status_name(names[i].s), names[i].name);
		assert_int_equal(sub_status_parse(names[i].name), names[i].s);
	}
	/* The values of billing.v1.SubscriptionStatus. */
	assert_int_equal(SUB_TRIAL, 1);
	assert_int_equal(SUB_EXPIRED, 5);
	assert_null(sub_status_name(SUB_UNKNOWN));
	assert_null(sub_status_name((sub_status) 6));
	assert_null(sub_status_name((sub_status) -1));
	assert_int_equal(sub_status_parse("Trial"), SUB_UNKNOWN);
	assert_int_equal(sub_status_parse("past-due"), SUB_UNKNOWN);
	assert_int_equal(sub_status_parse("canceled"), SUB_UNKNOWN);
	assert_int_equal(sub_status_parse("active "), SUB_UNKNOWN);
	assert_int_equal(sub_status_parse("deleted"), SUB_UNKNOWN);
	assert_int_equal(sub_status_parse(""), SUB_UNKNOWN);
	assert_int_equal(sub_status_parse(NULL), SUB_UNKNOWN);
}

static void
test_live_statuses(void **state)
{
	(void) state;
	assert_true(sub_is_live(SUB_TRIAL));
	assert_true(sub_is_live(SUB_ACTIVE));
	assert_true(sub_is_live(SUB_PAST_DUE));
	assert_false(sub_is_live(SUB_CANCELLED));
	assert_false(sub_is_live(SUB_EXPIRED));
	assert_false(sub_is_live(SUB_UNKNOWN));
}

static void
test_check_cancel_of_every_status(void **state)
{
	static const sub_refusal want[] = {
		[SUB_UNKNOWN] = SUB_ALREADY_CANCELLED,
		[SUB_TRIAL] = SUB_OK,
		[SUB_ACTIVE] = SUB_OK,
		[SUB_PAST_DUE] = SUB_OK,
		[SUB_CANCELLED] = SUB_ALREADY_CANCELLED,
		[SUB_EXPIRED] = SUB_ALREADY_CANCELLED,
	};

	(void) state;
	for (int i = 0; i < N_ALL; i++)
		assert_int_equal(sub_check_cancel(all[i]), want[all[i]]);
}

static void
test_check_reactivate_of_every_status(void **state)
{
	static const sub_refusal flagged[] = {
		[SUB_UNKNOWN] = SUB_CANNOT_REACTIVATE,
		[SUB_TRIAL] = SUB_OK,
		[SUB_ACTIVE] = SUB_OK,
		[SUB_PAST_DUE] = SUB_OK,
		[SUB_CANCELLED] = SUB_CANNOT_REACTIVATE,
		[SUB_EXPIRED] = SUB_CANNOT_REACTIVATE,
	};

	(void) state;
	for (int i = 0; i < N_ALL; i++) {
		assert_int_equal(
		    sub_check_reactivate(all[i], true), flagged[all[i]]);
		/* Without cancel_at_period_end there is nothing to undo. */
		assert_int_equal(sub_check_reactivate(all[i], false),
		    SUB_CANNOT_REACTIVATE);
	}
}

static void
test_check_change_plan_of_every_status(void **state)
{
	static const sub_refusal want[] = {
		[SUB_UNKNOWN] = SUB_NOT_ACTIVE,
		[SUB_TRIAL] = SUB_OK,
		[SUB_ACTIVE] = SUB_OK,
		[SUB_PAST_DUE] = SUB_IS_PAST_DUE,
		[SUB_CANCELLED] = SUB_NOT_ACTIVE,
		[SUB_EXPIRED] = SUB_NOT_ACTIVE,
	};

	(void) state;
	for (int i = 0; i < N_ALL; i++)
		assert_int_equal(sub_check_change_plan(all[i]), want[all[i]]);
}

static void
test_refusal_messages(void **state)
{
	(void) state;
	assert_string_equal(sub_refusal_message(SUB_OK), "");
	assert_string_equal(sub_refusal_message(SUB_ALREADY_CANCELLED),
	    "Subscription is already cancelled");
	assert_string_equal(sub_refusal_message(SUB_CANNOT_REACTIVATE),
	    "Subscription cannot be reactivated");
	assert_string_equal(
	    sub_refusal_message(SUB_NOT_ACTIVE), "Subscription is not active");
	assert_string_equal(
	    sub_refusal_message(SUB_IS_PAST_DUE), "Subscription is past due");
}

#define MAXP 8
#define UNSET INT64_C(-77)

typedef struct due {
	int n;
	int64_t starts[MAXP + 1]; /* one more than max, to catch overruns */
	int64_t ends[MAXP + 1];
} due;

static void
due_periods(due *d, const char *end, int anchor, period_cycle cycle,
    const char *now, int max)
{
	for (int i = 0; i <= MAXP; i++)
		d->starts[i] = d->ends[i] = UNSET;
	d->n = sub_due_periods(
	    at(end), anchor, cycle, at(now), d->starts, d->ends, max);
}

static void
assert_period(const due *d, int i, const char *start, const char *end)
{
	assert_wall(d->starts[i], start);
	assert_wall(d->ends[i], end);
}

static void
test_nothing_due_before_the_period_end(void **state)
{
	due d;

	(void) state;
	due_periods(&d, "2015-07-01 10:00:00", 1, PERIOD_MONTHLY,
	    "2015-06-20 10:00:00", MAXP);
	assert_int_equal(d.n, 0);
	assert_int_equal(d.starts[0], UNSET);
	/* One second before the end. */
	due_periods(&d, "2015-07-01 10:00:00", 1, PERIOD_MONTHLY,
	    "2015-07-01 09:59:59", MAXP);
	assert_int_equal(d.n, 0);
}

static void
test_period_end_equal_to_now_is_due(void **state)
{
	due d;

	(void) state;
	due_periods(&d, "2015-07-01 10:00:00", 1, PERIOD_MONTHLY,
	    "2015-07-01 10:00:00", MAXP);
	assert_int_equal(d.n, 1);
	assert_period(&d, 0, "2015-07-01 10:00:00", "2015-08-01 10:00:00");
	assert_int_equal(d.starts[1], UNSET);
}

static void
test_three_missed_periods(void **state)
{
	due d;

	(void) state;
	due_periods(&d, "2015-03-01 10:00:00", 1, PERIOD_MONTHLY,
	    "2015-05-15 10:00:00", MAXP);
	assert_int_equal(d.n, 3);
	assert_period(&d, 0, "2015-03-01 10:00:00", "2015-04-01 10:00:00");
	assert_period(&d, 1, "2015-04-01 10:00:00", "2015-05-01 10:00:00");
	assert_period(&d, 2, "2015-05-01 10:00:00", "2015-06-01 10:00:00");
	assert_int_equal(d.starts[3], UNSET);
	/* Each period starts at the previous end. */
	assert_int_equal(d.starts[1], d.ends[0]);
	assert_int_equal(d.starts[2], d.ends[1]);
	/* A second before the third start: two. */
	due_periods(&d, "2015-03-01 10:00:00", 1, PERIOD_MONTHLY,
	    "2015-05-01 09:59:59", MAXP);
	assert_int_equal(d.n, 2);
	/* Quarterly: 2015-01-15 .. 2015-10-15 at 2015-08-01: three. */
	due_periods(&d, "2015-01-15 00:00:00", 15, PERIOD_QUARTERLY,
	    "2015-08-01 00:00:00", MAXP);
	assert_int_equal(d.n, 3);
	assert_period(&d, 2, "2015-07-15 00:00:00", "2015-10-15 00:00:00");
}

static void
test_max_smaller_than_the_due_count(void **state)
{
	due d;

	(void) state;
	due_periods(&d, "2015-03-01 10:00:00", 1, PERIOD_MONTHLY,
	    "2015-05-15 10:00:00", 2);
	assert_int_equal(d.n, 3); /* all that are due */
	assert_period(&d, 0, "2015-03-01 10:00:00", "2015-04-01 10:00:00");
	assert_period(&d, 1, "2015-04-01 10:00:00", "2015-05-01 10:00:00");
	assert_int_equal(d.starts[2], UNSET); /* only max written */
	assert_int_equal(d.ends[2], UNSET);
	/* The caller continues from the last end it was given. */
	due_periods(&d, "2015-05-01 10:00:00", 1, PERIOD_MONTHLY,
	    "2015-05-15 10:00:00", 2);
	assert_int_equal(d.n, 1);
	assert_period(&d, 0, "2015-05-01 10:00:00", "2015-06-01 10:00:00");
	/* max 0 counts without writing (the arrays may be NULL). */
	assert_int_equal(
	    sub_due_periods(at("2015-03-01 10:00:00"), 1, PERIOD_MONTHLY,
	        at("2015-05-15 10:00:00"), NULL, NULL, 0),
	    3);
	/* A year of missed months. */
	due_periods(&d, "2014-05-15 10:00:00", 15, PERIOD_MONTHLY,
	    "2015-05-15 10:00:00", MAXP);
	assert_int_equal(d.n, 13);
	assert_period(&d, 7, "2014-12-15 10:00:00", "2015-01-15 10:00:00");
	assert_int_equal(d.starts[8], UNSET);
}

static void
test_anchor_31_catch_up_through_february(void **state)
{
	due d;

	(void) state;
	due_periods(&d, "2015-01-31 10:00:00", 31, PERIOD_MONTHLY,
	    "2015-04-01 00:00:00", MAXP);
	assert_int_equal(d.n, 3);
	assert_period(&d, 0, "2015-01-31 10:00:00", "2015-02-28 10:00:00");
	assert_period(&d, 1, "2015-02-28 10:00:00", "2015-03-31 10:00:00");
	assert_period(&d, 2, "2015-03-31 10:00:00", "2015-04-30 10:00:00");
	due_periods(&d, "2016-01-31 10:00:00", 31, PERIOD_MONTHLY,
	    "2016-03-01 00:00:00", MAXP);
	assert_int_equal(d.n, 2);
	assert_period(&d, 1, "2016-02-29 10:00:00", "2016-03-31 10:00:00");
}

static void
test_catch_up_across_the_spring_gap(void **state)
{
	due d;

	(void) state;
	/* 02:30 becomes 03:30 on 2015-03-29 and stays there. */
	due_periods(&d, "2015-02-28 02:30:00", 29, PERIOD_MONTHLY,
	    "2015-04-29 03:30:00", MAXP);
	assert_int_equal(d.n, 3);
	assert_period(&d, 0, "2015-02-28 02:30:00", "2015-03-29 03:30:00");
	assert_period(&d, 1, "2015-03-29 03:30:00", "2015-04-29 03:30:00");
	assert_period(&d, 2, "2015-04-29 03:30:00", "2015-05-29 03:30:00");
}

static void
test_due_periods_of_an_unknown_cycle(void **state)
{
	int64_t s = UNSET, e = UNSET;

	(void) state;
	assert_int_equal(
	    sub_due_periods(at("2015-03-01 10:00:00"), 1, (period_cycle) 0,
	        at("2015-05-15 10:00:00"), &s, &e, 1),
	    -1);
	assert_int_equal(s, UNSET);
	assert_int_equal(e, UNSET);
}

static void
test_dunning_of_an_active_subscription(void **state)
{
	int32_t today = day("2015-06-20");

	(void) state;
	/* Due today is not before today: no change. */
	assert_int_equal(
	    sub_dunning_step(SUB_ACTIVE, true, today, today), SUB_ACTIVE);
	assert_int_equal(
	    sub_dunning_step(SUB_ACTIVE, true, today + 5, today), SUB_ACTIVE);
	/* Due yesterday: past_due. 13 days: past_due. */
	assert_int_equal(sub_dunning_step(SUB_ACTIVE, true, today - 1, today),
	    SUB_PAST_DUE);
	assert_int_equal(sub_dunning_step(SUB_ACTIVE, true, today - 13, today),
	    SUB_PAST_DUE);
	/* 14 days: both passes in one run, expired. */
	assert_int_equal(sub_dunning_step(SUB_ACTIVE, true, today - 14, today),
	    SUB_EXPIRED);
	assert_int_equal(sub_dunning_step(SUB_ACTIVE, true, today - 40, today),
	    SUB_EXPIRED);
	/* No unpaid invoice: whatever the date says, no change. */
	assert_int_equal(
	    sub_dunning_step(SUB_ACTIVE, false, today - 40, today),
	    SUB_ACTIVE);
}

static void
test_dunning_of_a_past_due_subscription(void **state)
{
	int32_t today = day("2015-06-20");

	(void) state;
	assert_int_equal(
	    sub_dunning_step(SUB_PAST_DUE, true, today - 13, today),
	    SUB_PAST_DUE);
	assert_int_equal(
	    sub_dunning_step(SUB_PAST_DUE, true, today - 14, today),
	    SUB_EXPIRED);
	assert_int_equal(
	    sub_dunning_step(SUB_PAST_DUE, true, today - 100, today),
	    SUB_EXPIRED);
	/* Not overdue any more: dunning does not reactivate. */
	assert_int_equal(
	    sub_dunning_step(SUB_PAST_DUE, true, today, today), SUB_PAST_DUE);
	assert_int_equal(
	    sub_dunning_step(SUB_PAST_DUE, false, today - 100, today),
	    SUB_PAST_DUE);
	/* Across a month and a year end: 2015-12-18 + 14 = 2016-01-01. */
	assert_int_equal(sub_dunning_step(SUB_PAST_DUE, true,
	                     day("2015-12-18"), day("2015-12-31")),
	    SUB_PAST_DUE);
	assert_int_equal(sub_dunning_step(SUB_PAST_DUE, true,
	                     day("2015-12-18"), day("2016-01-01")),
	    SUB_EXPIRED);
}

static void
test_dunning_leaves_other_statuses_alone(void **state)
{
	static const sub_status others[] = { SUB_TRIAL, SUB_CANCELLED,
		SUB_EXPIRED, SUB_UNKNOWN };
	int32_t today = day("2015-06-20");

	(void) state;
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		assert_int_equal(
		    sub_dunning_step(others[i], true, today - 30, today),
		    others[i]);
		assert_int_equal(
		    sub_dunning_step(others[i], true, today - 1, today),
		    others[i]);
		assert_int_equal(
		    sub_dunning_step(others[i], false, today, today),
		    others[i]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_names_round_trip),
		cmocka_unit_test(test_live_statuses),
		cmocka_unit_test(test_check_cancel_of_every_status),
		cmocka_unit_test(test_check_reactivate_of_every_status),
		cmocka_unit_test(test_check_change_plan_of_every_status),
		cmocka_unit_test(test_refusal_messages),
		cmocka_unit_test(test_nothing_due_before_the_period_end),
		cmocka_unit_test(test_period_end_equal_to_now_is_due),
		cmocka_unit_test(test_three_missed_periods),
		cmocka_unit_test(test_max_smaller_than_the_due_count),
		cmocka_unit_test(test_anchor_31_catch_up_through_february),
		cmocka_unit_test(test_catch_up_across_the_spring_gap),
		cmocka_unit_test(test_due_periods_of_an_unknown_cycle),
		cmocka_unit_test(test_dunning_of_an_active_subscription),
		cmocka_unit_test(test_dunning_of_a_past_due_subscription),
		cmocka_unit_test(test_dunning_leaves_other_statuses_alone),
	};

	if (caltime_set_zone("Europe/Berlin") != 0)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
