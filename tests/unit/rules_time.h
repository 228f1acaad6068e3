/*
 * Time helpers of the rules' unit tests. Include after <cmocka.h>.
 *
 * Expected instants are written in UTC through the C library's timegm,
 * which knows no time zone, so they do not depend on the caltime code
 * under test; Berlin wall times go through cal_wall_parse and
 * cal_from_wall, which test_caltime checks against those UTC instants.
 */
#ifndef TESTS_UNIT_RULES_TIME_H
#define TESTS_UNIT_RULES_TIME_H

#include <stdint.h>
#include <time.h>

#include "../../rules/caltime.h"

/* The instant of a UTC date and time. */
static inline int64_t
utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = { .tm_year = y - 1900,
		.tm_mon = mo - 1,
		.tm_mday = d,
		.tm_hour = h,
		.tm_min = mi,
		.tm_sec = s };

	return ((int64_t) timegm(&tm) * US_PER_SEC);
}

/* The instant of a wall time "YYYY-MM-DD HH:MM:SS" in the zone. */
static inline int64_t
at(const char *wall)
{
	cal_wall w;

	assert_true(cal_wall_parse(wall, &w));
	return (cal_from_wall(&w));
}

/* The instant us shows the wall time expect in the zone. */
static inline void
assert_wall(int64_t us, const char *expect)
{
	char buf[CAL_WALL_BYTES];
	cal_wall w;

	cal_to_wall(us, &w);
	assert_string_equal(cal_wall_format(&w, buf), expect);
}

/* The days since the epoch of a date "YYYY-MM-DD". */
static inline int32_t
day(const char *date)
{
	int32_t d = 0;

	assert_true(cal_date_parse(date, &d));
	return (d);
}

#define HOUR_US (3600 * US_PER_SEC)
#define DAY_US (86400 * US_PER_SEC)

#endif /* TESTS_UNIT_RULES_TIME_H */
