/*
 * caltime: the billing calendar. Instants are int64 microseconds since
 * the Unix epoch (UTC); wall-clock times are in the billing time zone
 * (Europe/Berlin by default), which caltime_set_zone selects once per
 * process. Dates are days since 1970-01-01 (proleptic Gregorian).
 *
 * The zone's rules come from the C library (TZ and localtime_r), which
 * reads the tz database once; after that every function here is pure
 * and thread-safe.
 *
 * Local times that the zone skips or repeats follow the contract
 * (API.md sections 4 and 6):
 *  - a wall time in a spring gap moves forward by the gap
 *    (Berlin 2015-03-29 02:30 is 03:30 CEST, 01:30 UTC);
 *  - an ambiguous autumn wall time is standard time, its second
 *    occurrence (Berlin 2015-10-25 02:30 is 02:30 CET, 01:30 UTC).
 */
#ifndef RULES_CALTIME_H
#define RULES_CALTIME_H

#include <stdbool.h>
#include <stdint.h>

#define CALTIME_DEFAULT_ZONE "Europe/Berlin"
#define US_PER_SEC INT64_C(1000000)

typedef struct cal_wall {
	int year;  /* 1..9999 */
	int month; /* 1..12 */
	int day;   /* 1..31 */
	int hour, min, sec;
} cal_wall;

/*
 * Selects the billing time zone (an IANA name such as "Europe/Berlin"
 * or "UTC") for the whole process: sets TZ and calls tzset(). Call it
 * before any thread starts, and before the other functions: until it
 * succeeds the C library's own zone (TZ, /etc/localtime) is in force.
 * Returns 0, or -1 (nothing changed) when the name is not a TZif file
 * under /usr/share/zoneinfo; absolute names and ".." are refused.
 */
int caltime_set_zone(const char *zone);

/* The zone set last (CALTIME_DEFAULT_ZONE before any call). */
const char *caltime_zone(void);

/* Days in a month; a leap year has a 29-day February. */
int cal_days_in_month(int year, int month);

/* Days since 1970-01-01 of a civil date, and back. */
int32_t cal_days_from_civil(int year, int month, int day);
void cal_civil_from_days(int32_t days, int *year, int *month, int *day);

/*
 * The wall-clock time of an instant (the sub-second part is dropped,
 * toward the past).
 */
void cal_to_wall(int64_t us, cal_wall *w);

/*
 * The instant of a wall-clock time, resolving gaps and overlaps as
 * described above. The wall time's fields must be in range.
 */
int64_t cal_from_wall(const cal_wall *w);

/* The local date (days since the epoch) of an instant. */
int32_t cal_local_date(int64_t us);

/*
 * Strict "YYYY-MM-DD HH:MM:SS" (exactly 19 characters, a real calendar
 * date of year 0001-9999, hour 0-23, minute and second 0-59). Returns
 * true and fills *w; false leaves *w unchanged.
 */
bool cal_wall_parse(const char *s, cal_wall *w);

/*
 * Formats "YYYY-MM-DD HH:MM:SS" (buf >= CAL_WALL_BYTES) and
 * "YYYY-MM-DD" (buf >= CAL_DATE_BYTES). Return buf.
 */
#define CAL_WALL_BYTES 20
#define CAL_DATE_BYTES 11
const char *cal_wall_format(const cal_wall *w, char *buf);
const char *cal_date_format(int32_t days, char *buf);

/* Strict "YYYY-MM-DD" of a real date (as above): true and *days. */
bool cal_date_parse(const char *s, int32_t *days);

#endif /* RULES_CALTIME_H */
