/*
 * timefmt.c: see timefmt.h. The calendar is computed with integers
 * (Howard Hinnant's civil_from_days) rather than gmtime: no time_t
 * range to overflow and no locale or time zone to consult.
 */
#include <stdio.h>
#include <string.h>

#include "timefmt.h"

#define MAX_DURATION_MS (24LL * 3600 * 1000)

int
timefmt_duration_ms(const char *s, int *ms)
{
	static const struct {
		const char *unit;
		long long ms;
	} units[] = { { "ms", 1 }, { "s", 1000 }, { "m", 60000 },
		{ "h", 3600000 }, { "", 1000 } };
	long long v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return (-1);
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (*p - '0');
		if (v > MAX_DURATION_MS)
			return (-1);
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(p, units[i].unit) == 0) {
			if (v > MAX_DURATION_MS / units[i].ms ||
			    v * units[i].ms < 1)
				return (-1);
			*ms = (int) (v * units[i].ms);
			return (0);
		}
	return (-1);
}

/* Floor division: the instant before the epoch is 1969-12-31T23:59:59. */
static int64_t
floor_div(int64_t a, int64_t b)
{
	return (a / b - (a % b != 0 && (a < 0) != (b < 0)));
}

void
timefmt_iso(int64_t us, char *buf, size_t cap)
{
	int64_t secs = floor_div(us, 1000000);
	int64_t days = floor_div(secs, 86400);
	int64_t sod = secs - days * 86400;
	int64_t z = days + 719468;
	int64_t era = floor_div(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;
	int64_t y = yoe + era * 400 + (m <= 2);

	snprintf(buf, cap, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ",
	    (long long) y, (long long) m, (long long) d,
	    (long long) (sod / 3600), (long long) (sod / 60 % 60),
	    (long long) (sod % 60));
}

/* Reads exactly n digits. */
static bool
digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (false);
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return (true);
}

/* The fields of "YYYY-MM-DD?HH:MM:SS" (? being sep), checked as a date. */
typedef struct civil {
	int y, mo, d, h, mi, se;
} civil;

static bool
parse_civil(const char *s, char sep, civil *c)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };

	if (strlen(s) < 19 || s[4] != '-' || s[7] != '-' || s[10] != sep ||
	    s[13] != ':' || s[16] != ':')
		return (false);
	if (!digits(s, 4, &c->y) || !digits(s + 5, 2, &c->mo) ||
	    !digits(s + 8, 2, &c->d) || !digits(s + 11, 2, &c->h) ||
	    !digits(s + 14, 2, &c->mi) || !digits(s + 17, 2, &c->se))
		return (false);
	if (c->y < 1 || c->mo < 1 || c->mo > 12 || c->d < 1 ||
	    c->d > mdays[c->mo - 1] || c->h > 23 || c->mi > 59 || c->se > 59)
		return (false);
	/* 29 February only in leap years. */
	if (c->mo == 2 && c->d == 29 &&
	    !(c->y % 4 == 0 && (c->y % 100 != 0 || c->y % 400 == 0)))
		return (false);
	return (true);
}

int
timefmt_parse_iso(const char *s, int64_t *us)
{
	civil c;
	int64_t y, m, era, yoe, doy, doe, days;

	if (!parse_civil(s, 'T', &c) || strcmp(s + 19, "Z") != 0)
		return (-1);
	/* Howard Hinnant's days_from_civil; years are positive here. */
	y = c.y - (c.mo <= 2);
	m = c.mo;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + c.d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	days = era * 146097 + doe - 719468;
	*us = ((days * 86400) + c.h * 3600 + c.mi * 60 + c.se) * 1000000;
	return (0);
}

bool
timefmt_wall_valid(const char *s)
{
	civil c;

	return (strlen(s) == 19 && parse_civil(s, ' ', &c));
}
