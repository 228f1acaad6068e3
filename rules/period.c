/*
 * period.c: see period.h.
 */
#include <stddef.h>
#include <string.h>

#include "caltime.h"
#include "money.h"
#include "period.h"

typedef __int128 i128;

int
period_months(period_cycle cycle)
{
	switch (cycle) {
	case PERIOD_MONTHLY:
		return (1);
	case PERIOD_QUARTERLY:
		return (3);
	case PERIOD_YEARLY:
		return (12);
	}
	return (0);
}

static const char *const cycle_names[] = {
	[PERIOD_MONTHLY] = "monthly",
	[PERIOD_QUARTERLY] = "quarterly",
	[PERIOD_YEARLY] = "yearly",
};

period_cycle
period_cycle_parse(const char *s)
{
	if (s == NULL)
		return ((period_cycle) 0);
	for (int c = PERIOD_MONTHLY; c <= PERIOD_YEARLY; c++)
		if (strcmp(s, cycle_names[c]) == 0)
			return ((period_cycle) c);
	return ((period_cycle) 0);
}

const char *
period_cycle_name(period_cycle cycle)
{
	if (period_months(cycle) == 0)
		return (NULL);
	return (cycle_names[cycle]);
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return (q);
}

int64_t
period_next(int64_t t_us, int anchor_day, period_cycle cycle)
{
	int months = period_months(cycle);
	int64_t frac = t_us - floor_div(t_us, US_PER_SEC) * US_PER_SEC;
	int64_t m0;
	int last;
	cal_wall w;

	if (months == 0)
		return (t_us);
	if (anchor_day < 1)
		anchor_day = 1;
	else if (anchor_day > 31)
		anchor_day = 31;
	cal_to_wall(t_us, &w);
	m0 = (int64_t) w.year * 12 + (w.month - 1) + months;
	w.year = (int) (m0 / 12);
	w.month = (int) (m0 % 12) + 1;
	last = cal_days_in_month(w.year, w.month);
	w.day = anchor_day < last ? anchor_day : last;
	return (cal_from_wall(&w) + frac);
}

int
period_anchor_day(int64_t t_us)
{
	cal_wall w;

	cal_to_wall(t_us, &w);
	return (w.day);
}

int
period_prorate(int64_t price_minor, int32_t quantity, int64_t period_start_us,
    int64_t period_end_us, int64_t now_us, int64_t *out)
{
	int64_t ps = floor_div(period_start_us, US_PER_SEC);
	int64_t pe = floor_div(period_end_us, US_PER_SEC);
	int64_t now = floor_div(now_us, US_PER_SEC);
	i128 t, r, pq, mag, a, b, num, q, rem;

	t = (i128) pe - ps;
	if (t <= 0) {
		*out = 0;
		return (MONEY_OK);
	}
	r = (i128) pe - now;
	if (r < 0)
		r = 0;
	if (r > t)
		r = t;
	/*
	 * pq * r / t exactly, without the 128-bit overflow of pq * r:
	 * |pq| = a * t + b with 0 <= b < t, so |pq| * r / t =
	 * a * r + b * r / t, where a * r <= |pq| (r <= t) and
	 * b * r < t * t < 2^90 (int64 microseconds are < 2^44 seconds,
	 * so t < 2^45).
	 */
	pq = (i128) price_minor * quantity;
	mag = pq < 0 ? -pq : pq;
	a = mag / t;
	b = mag % t;
	num = b * r;
	q = a * r + num / t;
	rem = num % t;
	if (2 * rem >= t)
		q++; /* half away from zero, on the magnitude */
	if (pq < 0)
		q = -q;
	if (q < -MONEY_MAX_MINOR || q > MONEY_MAX_MINOR)
		return (MONEY_OUT_OF_RANGE);
	*out = (int64_t) q;
	return (MONEY_OK);
}
