/*
 * caltime.c: see caltime.h.
 *
 * Local time comes only from localtime_r (and its tm_gmtoff); mktime is
 * never used, so its guessing of tm_isdst plays no part in gaps and
 * overlaps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "caltime.h"

#define ZONEINFO_DIR "/usr/share/zoneinfo/"
#define ZONE_MAX_BYTES 128
#define SEC_PER_DAY INT64_C(86400)

static char cur_zone[ZONE_MAX_BYTES] = CALTIME_DEFAULT_ZONE;

/* Floor division, for instants before the epoch. */
static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return (q);
}

static bool
zone_name_ok(const char *zone)
{
	size_t n;

	if (zone == NULL || (n = strlen(zone)) == 0 || n >= ZONE_MAX_BYTES)
		return (false);
	if (zone[0] == '/' || strstr(zone, "..") != NULL)
		return (false);
	for (size_t i = 0; i < n; i++) {
		char c = zone[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		        (c >= '0' && c <= '9') || c == '/' || c == '_' ||
		        c == '-' || c == '+' || c == '.'))
			return (false);
	}
	return (true);
}

/* The zone's file exists under ZONEINFO_DIR and is a TZif file. */
static bool
zone_file_ok(const char *zone)
{
	char path[sizeof(ZONEINFO_DIR) + ZONE_MAX_BYTES];
	char magic[4];
	FILE *f;
	bool ok;

	snprintf(path, sizeof(path), "%s%s", ZONEINFO_DIR, zone);
	if ((f = fopen(path, "rb")) == NULL)
		return (false);
	ok = fread(magic, 1, sizeof(magic), f) == sizeof(magic) &&
	    memcmp(magic, "TZif", sizeof(magic)) == 0;
	fclose(f);
	return (ok);
}

int
caltime_set_zone(const char *zone)
{
	if (!zone_name_ok(zone) || !zone_file_ok(zone))
		return (-1);
	if (setenv("TZ", zone, 1) != 0)
		return (-1);
	tzset();
	snprintf(cur_zone, sizeof(cur_zone), "%s", zone);
	return (0);
}

const char *
caltime_zone(void)
{
	return (cur_zone);
}

static bool
is_leap(int year)
{
	return (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0));
}

int
cal_days_in_month(int year, int month)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };

	if (month < 1 || month > 12)
		return (0);
	if (month == 2 && is_leap(year))
		return (29);
	return (days[month - 1]);
}

/*
 * Howard Hinnant's days_from_civil and civil_from_days
 * (http://howardhinnant.github.io/date_algorithms.html), in 64 bits.
 */
static int64_t
days_from_civil64(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	/* yoe in [0, 399], doy in [0, 365], doe in [0, 146096]. */
	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (era * 146097 + doe - 719468);
}

static void
civil_from_days64(int64_t z, int64_t *year, int *month, int *day)
{
	int64_t era, doe, yoe, y, doy, mp;
	int m;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*day = (int) (doy - (153 * mp + 2) / 5 + 1);
	m = (int) (mp < 10 ? mp + 3 : mp - 9);
	*month = m;
	*year = y + (m <= 2);
}

int32_t
cal_days_from_civil(int year, int month, int day)
{
	return ((int32_t) days_from_civil64(year, month, day));
}

void
cal_civil_from_days(int32_t days, int *year, int *month, int *day)
{
	int64_t y;

	civil_from_days64(days, &y, month, day);
	*year = (int) y;
}

/* The UTC offset in seconds in force at the instant t (seconds). */
static int64_t
gmtoff_at(int64_t t)
{
	time_t tt = (time_t) t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL)
		return (0);
	return (tm.tm_gmtoff);
}

void
cal_to_wall(int64_t us, cal_wall *w)
{
	int64_t s = floor_div(us, US_PER_SEC);
	int64_t local = s + gmtoff_at(s);
	int64_t days = floor_div(local, SEC_PER_DAY);
	int64_t sod = local - days * SEC_PER_DAY;
	int64_t y;

	civil_from_days64(days, &y, &w->month, &w->day);
	w->year = (int) y;
	w->hour = (int) (sod / 3600);
	w->min = (int) (sod / 60 % 60);
	w->sec = (int) (sod % 60);
}

int64_t
cal_from_wall(const cal_wall *w)
{
	/* The wall time read as if it were UTC, in seconds. */
	int64_t l =
	    days_from_civil64(w->year, w->month, w->day) * SEC_PER_DAY +
	    w->hour * 3600 + w->min * 60 + w->sec;
	int64_t off_before = gmtoff_at(l - SEC_PER_DAY);
	int64_t off_after = gmtoff_at(l + SEC_PER_DAY);
	int64_t c_before = l - off_before;
	int64_t c_after = l - off_after;
	bool ok_before = c_before + gmtoff_at(c_before) == l;
	bool ok_after = c_after + gmtoff_at(c_after) == l;
	int64_t s;

	if (ok_before && ok_after)
		s = c_before > c_after ? c_before : c_after; /* the later */
	else if (ok_after)
		s = c_after;
	else
		/*
		 * ok_before alone, or a gap: read with the offset before the
		 * gap, the wall time moves forward by the gap.
		 */
		s = c_before;
	return (s * US_PER_SEC);
}

int32_t
cal_local_date(int64_t us)
{
	int64_t s = floor_div(us, US_PER_SEC);

	return ((int32_t) floor_div(s + gmtoff_at(s), SEC_PER_DAY));
}

/* n decimal digits at s: true and *v. */
static bool
digits(const char *s, int n, int *v)
{
	int x = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (false);
		x = x * 10 + (s[i] - '0');
	}
	*v = x;
	return (true);
}

/* Strict "YYYY-MM-DD" at the start of s, of a real date (year >= 1). */
static bool
date_prefix(const char *s, int *y, int *m, int *d)
{
	if (!digits(s, 4, y) || s[4] != '-' || !digits(s + 5, 2, m) ||
	    s[7] != '-' || !digits(s + 8, 2, d))
		return (false);
	return (*y >= 1 && *m >= 1 && *m <= 12 && *d >= 1 &&
	    *d <= cal_days_in_month(*y, *m));
}

bool
cal_wall_parse(const char *s, cal_wall *w)
{
	cal_wall v;

	if (s == NULL || strlen(s) != 19)
		return (false);
	if (!date_prefix(s, &v.year, &v.month, &v.day) || s[10] != ' ' ||
	    !digits(s + 11, 2, &v.hour) || s[13] != ':' ||
	    !digits(s + 14, 2, &v.min) || s[16] != ':' ||
	    !digits(s + 17, 2, &v.sec))
		return (false);
	if (v.hour > 23 || v.min > 59 || v.sec > 59)
		return (false);
	*w = v;
	return (true);
}

bool
cal_date_parse(const char *s, int32_t *days)
{
	int y, m, d;

	if (s == NULL || strlen(s) != 10 || !date_prefix(s, &y, &m, &d))
		return (false);
	*days = cal_days_from_civil(y, m, d);
	return (true);
}

const char *
cal_wall_format(const cal_wall *w, char *buf)
{
	/* Only years 0-9999 fit; others are cut short, never overrun. */
	if (snprintf(buf, CAL_WALL_BYTES, "%04d-%02d-%02d %02d:%02d:%02d",
	        w->year, w->month, w->day, w->hour, w->min,
	        w->sec) >= CAL_WALL_BYTES)
		buf[CAL_WALL_BYTES - 1] = '\0';
	return (buf);
}

const char *
cal_date_format(int32_t days, char *buf)
{
	int y, m, d;

	cal_civil_from_days(days, &y, &m, &d);
	if (snprintf(buf, CAL_DATE_BYTES, "%04d-%02d-%02d", y, m, d) >=
	    CAL_DATE_BYTES)
		buf[CAL_DATE_BYTES - 1] = '\0'; /* a year beyond 9999 */
	return (buf);
}
