/*
 * caltime: civil dates, the billing zone, wall time <-> instant with
 * the contract's rules for DST gaps and overlaps (API.md 4 and 6), and
 * strict parsing. Berlin: CET is UTC+1, CEST UTC+2; in 2015 summer time
 * ran from 2015-03-29 01:00 UTC to 2015-10-25 01:00 UTC, in 2016 from
 * 2016-03-27 to 2016-10-30.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../rules/caltime.h"
#include "rules_time.h"

static int
restore_berlin(void **state)
{
	(void) state;
	return (caltime_set_zone("Europe/Berlin"));
}

static cal_wall
wall(int y, int mo, int d, int h, int mi, int s)
{
	cal_wall w = { .year = y,
		.month = mo,
		.day = d,
		.hour = h,
		.min = mi,
		.sec = s };

	return (w);
}

static int64_t
from(int y, int mo, int d, int h, int mi, int s)
{
	cal_wall w = wall(y, mo, d, h, mi, s);

	return (cal_from_wall(&w));
}

static void
test_days_in_month(void **state)
{
	(void) state;
	assert_int_equal(cal_days_in_month(2015, 1), 31);
	assert_int_equal(cal_days_in_month(2015, 2), 28);
	assert_int_equal(cal_days_in_month(2016, 2), 29);
	assert_int_equal(cal_days_in_month(2020, 2), 29);
	assert_int_equal(cal_days_in_month(2000, 2), 29); /* 400 rule */
	assert_int_equal(cal_days_in_month(1900, 2), 28); /* 100 rule */
	assert_int_equal(cal_days_in_month(2100, 2), 28);
	assert_int_equal(cal_days_in_month(2400, 2), 29);
	assert_int_equal(cal_days_in_month(2015, 4), 30);
	assert_int_equal(cal_days_in_month(2015, 6), 30);
	assert_int_equal(cal_days_in_month(2015, 9), 30);
	assert_int_equal(cal_days_in_month(2015, 11), 30);
	assert_int_equal(cal_days_in_month(2015, 12), 31);
	assert_int_equal(cal_days_in_month(2015, 0), 0);
	assert_int_equal(cal_days_in_month(2015, 13), 0);
}

static void
test_days_from_civil_known_dates(void **state)
{
	int y, m, d;

	(void) state;
	assert_int_equal(cal_days_from_civil(1970, 1, 1), 0);
	assert_int_equal(cal_days_from_civil(1969, 12, 31), -1);
	/* 45 years of 365 days and 11 leap days (1972 .. 2012). */
	assert_int_equal(cal_days_from_civil(2015, 1, 1), 16436);
	/* + 31 + 28 + 31 + 30 + 31 days of January to May. */
	assert_int_equal(cal_days_from_civil(2015, 6, 1), 16587);
	assert_int_equal(cal_days_from_civil(2000, 3, 1), 11017);
	assert_int_equal(cal_days_from_civil(2016, 2, 29), 16860);
	assert_int_equal(cal_days_from_civil(1, 1, 1), -719162);
	assert_int_equal(cal_days_from_civil(9999, 12, 31), 2932896);

	cal_civil_from_days(16860, &y, &m, &d);
	assert_int_equal(y, 2016);
	assert_int_equal(m, 2);
	assert_int_equal(d, 29);
	cal_civil_from_days(-1, &y, &m, &d);
	assert_int_equal(y, 1969);
	assert_int_equal(m, 12);
	assert_int_equal(d, 31);
	cal_civil_from_days(-719162, &y, &m, &d);
	assert_int_equal(y, 1);
	assert_int_equal(m, 1);
	assert_int_equal(d, 1);
}

/* Every day of years 1 to 9999 follows the previous one. */
static void
test_civil_days_round_trip_every_day(void **state)
{
	int32_t first = cal_days_from_civil(1, 1, 1);
	int32_t last = cal_days_from_civil(9999, 12, 31);
	int py = 0, pm = 12, pd = 31;

	(void) state;
	for (int32_t n = first; n <= last; n++) {
		int y, m, d;

		cal_civil_from_days(n, &y, &m, &d);
		if (pd < cal_days_in_month(py, pm)) {
			assert_int_equal(y, py);
			assert_int_equal(m, pm);
			assert_int_equal(d, pd + 1);
		} else if (pm < 12) {
			assert_int_equal(y, py);
			assert_int_equal(m, pm + 1);
			assert_int_equal(d, 1);
		} else {
			assert_int_equal(y, py + 1);
			assert_int_equal(m, 1);
			assert_int_equal(d, 1);
		}
		assert_int_equal(cal_days_from_civil(y, m, d), n);
		py = y;
		pm = m;
		pd = d;
	}
	assert_int_equal(py, 9999);
}

static void
test_zone_defaults_and_selection(void **state)
{
	(void) state;
	assert_string_equal(CALTIME_DEFAULT_ZONE, "Europe/Berlin");
	assert_string_equal(caltime_zone(), "Europe/Berlin");
	assert_int_equal(caltime_set_zone("UTC"), 0);
	assert_string_equal(caltime_zone(), "UTC");
	assert_int_equal(caltime_set_zone("America/New_York"), 0);
	assert_string_equal(caltime_zone(), "America/New_York");
	assert_int_equal(caltime_set_zone("Europe/Berlin"), 0);
	assert_string_equal(caltime_zone(), "Europe/Berlin");
}

static void
test_zone_rejects_unknown_and_unsafe_names(void **state)
{
	(void) state;
	assert_int_equal(caltime_set_zone(NULL), -1);
	assert_int_equal(caltime_set_zone(""), -1);
	assert_int_equal(caltime_set_zone("Mars/Olympus_Mons"), -1);
	assert_int_equal(caltime_set_zone("Europe/Berlin "), -1);
	assert_int_equal(caltime_set_zone("Europe/berlin"), -1);
	/* Paths: absolute, or leaving the tz database, even when real. */
	assert_int_equal(
	    caltime_set_zone("/usr/share/zoneinfo/Europe/Berlin"), -1);
	assert_int_equal(caltime_set_zone("Europe/../Europe/Berlin"), -1);
	assert_int_equal(caltime_set_zone("../../../etc/passwd"), -1);
	assert_int_equal(caltime_set_zone(".."), -1);
	/* A folder and a data file of the database are not zones. */
	assert_int_equal(caltime_set_zone("Europe"), -1);
	assert_int_equal(caltime_set_zone("Europe/"), -1);
	assert_int_equal(caltime_set_zone("zone.tab"), -1);
	assert_int_equal(caltime_set_zone("iso3166.tab"), -1);
	/* A POSIX TZ rule is not a zone name. */
	assert_int_equal(caltime_set_zone("CET-1CEST,M3.5.0,M10.5.0/3"), -1);
	assert_int_equal(caltime_set_zone(":Europe/Berlin"), -1);
	/* The zone in force is unchanged. */
	assert_string_equal(caltime_zone(), "Europe/Berlin");
	assert_wall(utc(2015, 6, 1, 10, 0, 0), "2015-06-01 12:00:00");
}

static void
test_to_wall_of_ordinary_instants(void **state)
{
	(void) state;
	assert_wall(utc(2015, 6, 1, 10, 0, 0), "2015-06-01 12:00:00");
	assert_wall(utc(2015, 1, 15, 23, 30, 0), "2015-01-16 00:30:00");
	assert_wall(utc(2015, 12, 31, 23, 0, 0), "2016-01-01 00:00:00");
	assert_wall(0, "1970-01-01 01:00:00");
	/* The sub-second part is dropped, also before the epoch. */
	assert_wall(utc(2015, 6, 1, 10, 0, 0) + 999999, "2015-06-01 12:00:00");
	assert_wall(-1, "1970-01-01 00:59:59");
	assert_wall(-US_PER_SEC, "1970-01-01 00:59:59");
	assert_wall(-US_PER_SEC - 1, "1970-01-01 00:59:58");
}

static void
test_from_wall_of_ordinary_times(void **state)
{
	(void) state;
	assert_int_equal(
	    from(2015, 6, 1, 12, 0, 0), utc(2015, 6, 1, 10, 0, 0));
	assert_int_equal(
	    from(2015, 1, 16, 0, 30, 0), utc(2015, 1, 15, 23, 30, 0));
	assert_int_equal(from(1970, 1, 1, 1, 0, 0), 0);
	assert_int_equal(
	    from(2016, 2, 29, 23, 59, 59), utc(2016, 2, 29, 22, 59, 59));
	assert_int_equal(from(2015, 3, 29, 1, 59, 59),
	    utc(2015, 3, 29, 0, 59, 59)); /* last CET second */
	assert_int_equal(from(2015, 3, 29, 3, 0, 0),
	    utc(2015, 3, 29, 1, 0, 0)); /* first CEST second */
	assert_int_equal(from(2015, 10, 25, 1, 59, 59),
	    utc(2015, 10, 24, 23, 59, 59)); /* CEST, unambiguous */
	assert_int_equal(from(2015, 10, 25, 3, 0, 0),
	    utc(2015, 10, 25, 2, 0, 0)); /* CET, unambiguous */
}

/*
 * Every quarter hour of 2015 and 2016 maps back to itself, except the
 * first occurrence of the autumn's repeated hour (02:00-02:59 CEST),
 * which maps to its second occurrence one hour later.
 */
static void
test_wall_round_trip_every_quarter_hour(void **state)
{
	int64_t end = utc(2017, 1, 1, 0, 0, 0);
	int64_t o1s = utc(2015, 10, 25, 0, 0, 0);
	int64_t o2s = utc(2016, 10, 30, 0, 0, 0);
	int shifted = 0;

	(void) state;
	for (int64_t t = utc(2015, 1, 1, 0, 0, 0); t < end;
	     t += 15 * 60 * US_PER_SEC) {
		cal_wall w;
		int64_t back;

		cal_to_wall(t, &w);
		back = cal_from_wall(&w);
		if ((t >= o1s && t < o1s + HOUR_US) ||
		    (t >= o2s && t < o2s + HOUR_US)) {
			assert_int_equal(back, t + HOUR_US);
			shifted++;
		} else
			assert_int_equal(back, t);
	}
	assert_int_equal(shifted, 8);
}

static void
test_spring_gap_moves_forward_by_the_gap(void **state)
{
	(void) state;
	/* 02:00-02:59:59 do not exist on 2015-03-29: read as 03:xx CEST. */
	assert_int_equal(
	    from(2015, 3, 29, 2, 0, 0), utc(2015, 3, 29, 1, 0, 0));
	assert_int_equal(
	    from(2015, 3, 29, 2, 30, 0), utc(2015, 3, 29, 1, 30, 0));
	assert_int_equal(
	    from(2015, 3, 29, 2, 59, 59), utc(2015, 3, 29, 1, 59, 59));
	assert_wall(from(2015, 3, 29, 2, 30, 0), "2015-03-29 03:30:00");
	assert_wall(from(2015, 3, 29, 2, 0, 0), "2015-03-29 03:00:00");
	/* 2016: the gap is on 2016-03-27. */
	assert_int_equal(
	    from(2016, 3, 27, 2, 15, 0), utc(2016, 3, 27, 1, 15, 0));
	assert_wall(from(2016, 3, 27, 2, 15, 0), "2016-03-27 03:15:00");
	/* The same wall time a day earlier and later is ordinary. */
	assert_int_equal(
	    from(2015, 3, 28, 2, 30, 0), utc(2015, 3, 28, 1, 30, 0));
	assert_int_equal(
	    from(2015, 3, 30, 2, 30, 0), utc(2015, 3, 30, 0, 30, 0));
}

static void
test_autumn_overlap_is_standard_time(void **state)
{
	(void) state;
	/* 02:30 happens at 00:30 UTC (CEST) and 01:30 UTC (CET). */
	assert_wall(utc(2015, 10, 25, 0, 30, 0), "2015-10-25 02:30:00");
	assert_wall(utc(2015, 10, 25, 1, 30, 0), "2015-10-25 02:30:00");
	assert_int_equal(
	    from(2015, 10, 25, 2, 30, 0), utc(2015, 10, 25, 1, 30, 0));
	assert_int_equal(
	    from(2015, 10, 25, 2, 0, 0), utc(2015, 10, 25, 1, 0, 0));
	assert_int_equal(
	    from(2015, 10, 25, 2, 59, 59), utc(2015, 10, 25, 1, 59, 59));
	assert_int_equal(
	    from(2016, 10, 30, 2, 30, 0), utc(2016, 10, 30, 1, 30, 0));
}

static void
test_utc_zone_has_no_gaps(void **state)
{
	(void) state;
	assert_int_equal(caltime_set_zone("UTC"), 0);
	assert_wall(utc(2015, 6, 1, 10, 0, 0), "2015-06-01 10:00:00");
	assert_int_equal(
	    from(2015, 3, 29, 2, 30, 0), utc(2015, 3, 29, 2, 30, 0));
	assert_int_equal(
	    from(2015, 10, 25, 2, 30, 0), utc(2015, 10, 25, 2, 30, 0));
	assert_int_equal(cal_local_date(utc(2015, 6, 1, 23, 59, 59)),
	    cal_days_from_civil(2015, 6, 1));
}

/* The rules do not depend on Berlin: New York and India (+05:30). */
static void
test_other_zones(void **state)
{
	(void) state;
	assert_int_equal(caltime_set_zone("America/New_York"), 0);
	/* 2015-03-08 02:30 does not exist: 03:30 EDT = 07:30 UTC. */
	assert_int_equal(
	    from(2015, 3, 8, 2, 30, 0), utc(2015, 3, 8, 7, 30, 0));
	/* 2015-11-01 01:30 happens twice: EST (UTC-5), 06:30 UTC. */
	assert_int_equal(
	    from(2015, 11, 1, 1, 30, 0), utc(2015, 11, 1, 6, 30, 0));
	assert_wall(utc(2015, 6, 1, 10, 0, 0), "2015-06-01 06:00:00");

	assert_int_equal(caltime_set_zone("Asia/Kolkata"), 0);
	assert_int_equal(
	    from(2015, 6, 1, 12, 0, 0), utc(2015, 6, 1, 6, 30, 0));
	assert_wall(utc(2015, 6, 1, 18, 30, 0), "2015-06-02 00:00:00");
}

static void
test_local_date_around_midnight(void **state)
{
	(void) state;
	/* Summer: Berlin midnight is 22:00 UTC. */
	assert_int_equal(cal_local_date(utc(2015, 6, 1, 21, 59, 59)),
	    cal_days_from_civil(2015, 6, 1));
	assert_int_equal(cal_local_date(utc(2015, 6, 1, 22, 0, 0)),
	    cal_days_from_civil(2015, 6, 2));
	assert_int_equal(cal_local_date(utc(2015, 6, 1, 0, 0, 0)),
	    cal_days_from_civil(2015, 6, 1));
	/* Winter: 23:00 UTC. */
	assert_int_equal(cal_local_date(utc(2015, 1, 15, 22, 59, 59)),
	    cal_days_from_civil(2015, 1, 15));
	assert_int_equal(cal_local_date(utc(2015, 1, 15, 23, 0, 0)),
	    cal_days_from_civil(2015, 1, 16));
	/* New year comes an hour before UTC's. */
	assert_int_equal(cal_local_date(utc(2015, 12, 31, 23, 0, 0)),
	    cal_days_from_civil(2016, 1, 1));
	assert_int_equal(
	    cal_local_date(utc(2015, 12, 31, 22, 59, 59) + 999999),
	    cal_days_from_civil(2015, 12, 31));
	/* Before the epoch: 1969-12-31 23:00 UTC is 1970-01-01 00:00. */
	assert_int_equal(cal_local_date(-HOUR_US), 0);
	assert_int_equal(cal_local_date(-HOUR_US - 1), -1);
}

static void
test_wall_parse_accepts_real_times(void **state)
{
	cal_wall w;

	(void) state;
	assert_true(cal_wall_parse("2015-06-01 12:34:56", &w));
	assert_int_equal(w.year, 2015);
	assert_int_equal(w.month, 6);
	assert_int_equal(w.day, 1);
	assert_int_equal(w.hour, 12);
	assert_int_equal(w.min, 34);
	assert_int_equal(w.sec, 56);
	assert_true(cal_wall_parse("2016-02-29 00:00:00", &w));
	assert_true(cal_wall_parse("2000-02-29 23:59:59", &w));
	assert_true(cal_wall_parse("0001-01-01 00:00:00", &w));
	assert_true(cal_wall_parse("9999-12-31 23:59:59", &w));
	assert_int_equal(w.year, 9999);
	assert_int_equal(w.sec, 59);
	/* A wall time in the gap parses; cal_from_wall resolves it. */
	assert_true(cal_wall_parse("2015-03-29 02:30:00", &w));
}

static void
test_wall_parse_is_strict(void **state)
{
	static const char *bad[] = {
		"2015-02-29 00:00:00", /* not a leap year */
		"1900-02-29 00:00:00",
		"2015-04-31 00:00:00",
		"2015-06-00 00:00:00",
		"2015-00-10 00:00:00",
		"2015-13-01 00:00:00",
		"0000-01-01 00:00:00", /* no year 0 */
		"2015-06-01 24:00:00",
		"2015-06-01 23:60:00",
		"2015-06-01 23:59:60",
		"2015-1-01 00:00:00",
		"2015-01-1 00:00:00",
		"2015-06-01 1:00:00",
		"2015-06-01 12:00:00x",
		"2015-06-01 12:00:00 ",
		" 2015-06-01 12:00:00",
		"2015-06-01 12:00",
		"2015-06-01T12:00:00",
		"2015/06/01 12:00:00",
		"2015-06-01 12.00.00",
		"+015-06-01 12:00:00",
		"2015-06-01 -1:00:00",
		"2015-06-01 12:00:0x",
		"2015-06-01",
		"",
	};
	cal_wall w = wall(1, 2, 3, 4, 5, 6);

	(void) state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (cal_wall_parse(bad[i], &w))
			fail_msg("accepted '%s'", bad[i]);
	}
	assert_false(cal_wall_parse(NULL, &w));
	/* *w is untouched by a failure. */
	assert_int_equal(w.year, 1);
	assert_int_equal(w.month, 2);
	assert_int_equal(w.day, 3);
	assert_int_equal(w.hour, 4);
	assert_int_equal(w.min, 5);
	assert_int_equal(w.sec, 6);
}

static void
test_date_parse_and_format(void **state)
{
	char buf[CAL_DATE_BYTES];
	int32_t d = 42;

	(void) state;
	assert_true(cal_date_parse("2015-06-01", &d));
	assert_int_equal(d, 16587);
	assert_true(cal_date_parse("1970-01-01", &d));
	assert_int_equal(d, 0);
	assert_true(cal_date_parse("2016-02-29", &d));
	assert_int_equal(d, 16860);
	d = 42;
	assert_false(cal_date_parse("2015-02-29", &d));
	assert_false(cal_date_parse("2015-06-01 ", &d));
	assert_false(cal_date_parse("2015-6-01", &d));
	assert_false(cal_date_parse("2015-06-1", &d));
	assert_false(cal_date_parse("2015-06-01 00:00:00", &d));
	assert_false(cal_date_parse("0000-00-00", &d));
	assert_false(cal_date_parse("", &d));
	assert_false(cal_date_parse(NULL, &d));
	assert_int_equal(d, 42);

	assert_ptr_equal(cal_date_format(0, buf), buf);
	assert_string_equal(cal_date_format(0, buf), "1970-01-01");
	assert_string_equal(cal_date_format(-1, buf), "1969-12-31");
	assert_string_equal(cal_date_format(16587, buf), "2015-06-01");
	assert_string_equal(cal_date_format(16860, buf), "2016-02-29");
	assert_string_equal(cal_date_format(-719162, buf), "0001-01-01");
	assert_string_equal(cal_date_format(2932896, buf), "9999-12-31");
}

static void
test_wall_format(void **state)
{
	char buf[CAL_WALL_BYTES];
	cal_wall w = wall(2015, 6, 1, 9, 5, 7);

	(void) state;
	assert_ptr_equal(cal_wall_format(&w, buf), buf);
	assert_string_equal(buf, "2015-06-01 09:05:07");
	w = wall(1, 1, 1, 0, 0, 0);
	assert_string_equal(cal_wall_format(&w, buf), "0001-01-01 00:00:00");
	w = wall(9999, 12, 31, 23, 59, 59);
	assert_string_equal(cal_wall_format(&w, buf), "9999-12-31 23:59:59");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_days_in_month),
		cmocka_unit_test(test_days_from_civil_known_dates),
		cmocka_unit_test(test_civil_days_round_trip_every_day),
		cmocka_unit_test_teardown(
		    test_zone_defaults_and_selection, restore_berlin),
		cmocka_unit_test_teardown(
		    test_zone_rejects_unknown_and_unsafe_names,
		    restore_berlin),
		cmocka_unit_test(test_to_wall_of_ordinary_instants),
		cmocka_unit_test(test_from_wall_of_ordinary_times),
		cmocka_unit_test(test_wall_round_trip_every_quarter_hour),
		cmocka_unit_test(test_spring_gap_moves_forward_by_the_gap),
		cmocka_unit_test(test_autumn_overlap_is_standard_time),
		cmocka_unit_test_teardown(
		    test_utc_zone_has_no_gaps, restore_berlin),
		cmocka_unit_test_teardown(test_other_zones, restore_berlin),
		cmocka_unit_test(test_local_date_around_midnight),
		cmocka_unit_test(test_wall_parse_accepts_real_times),
		cmocka_unit_test(test_wall_parse_is_strict),
		cmocka_unit_test(test_date_parse_and_format),
		cmocka_unit_test(test_wall_format),
	};

	/* Before any call the default is reported. */
	if (strcmp(caltime_zone(), CALTIME_DEFAULT_ZONE) != 0)
		return (1);
	if (caltime_set_zone("Europe/Berlin") != 0)
		return (1);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
