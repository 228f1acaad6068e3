/*
 * period: billing periods (API.md section 4). next(t) adds 1, 3 or 12
 * months to t's month, on the anchor day clamped to that month's last
 * day, at t's wall-clock time of day; a wall time the zone skips moves
 * forward by the gap (see caltime.h). Pure.
 */
#ifndef RULES_PERIOD_H
#define RULES_PERIOD_H

#include <stdint.h>

typedef enum period_cycle {
	PERIOD_MONTHLY = 1,
	PERIOD_QUARTERLY = 2,
	PERIOD_YEARLY = 3,
} period_cycle;

/* Months in a cycle: 1, 3 or 12 (0 for an unknown cycle). */
int period_months(period_cycle cycle);

/* "monthly", "quarterly", "yearly" -> cycle; 0 for anything else. */
period_cycle period_cycle_parse(const char *s);
const char *period_cycle_name(period_cycle cycle); /* NULL if unknown */

/*
 * next(t): the instant that ends the period starting at t_us.
 * anchor_day is 1..31 (values outside are clamped to it). Example
 * (Berlin, anchor 31, monthly):
 * 2015-01-31 10:00 -> 2015-02-28 10:00 -> 2015-03-31 10:00.
 * The time of day includes t's sub-second part. An unknown cycle
 * returns t_us.
 */
int64_t period_next(int64_t t_us, int anchor_day, period_cycle cycle);

/* The anchor day of a period starting at t: t's local day of month. */
int period_anchor_day(int64_t t_us);

/*
 * Proration (API.md section 6): price x quantity x r / T rounded half
 * away from zero at the cent, where r = clamp(period_end - now, 0, T)
 * and T = period_end - period_start, both in whole seconds (instants are
 * truncated to the second first); T <= 0 gives 0. Returns MONEY_OK or
 * MONEY_OUT_OF_RANGE (see money.h).
 */
int period_prorate(int64_t price_minor, int32_t quantity,
    int64_t period_start_us, int64_t period_end_us, int64_t now_us,
    int64_t *out);

#endif /* RULES_PERIOD_H */
