/*
 * subscription: the states of a subscription and the transitions the
 * contract allows (API.md sections 3 and 5). Pure.
 *
 *   trial ---(trial end)---> active ---(unpaid, overdue)---> past_due
 *     |                        ^  <------(all paid)------------|
 *     |                        |                               |
 *     +--> cancelled <---------+---------(cancel)--------------+
 *                                    past_due ---(14 days)---> expired
 */
#ifndef RULES_SUBSCRIPTION_H
#define RULES_SUBSCRIPTION_H

#include <stdbool.h>
#include <stdint.h>

#include "period.h"

/* The values match billing.v1.SubscriptionStatus. */
typedef enum sub_status {
	SUB_UNKNOWN = 0,
	SUB_TRIAL = 1,
	SUB_ACTIVE = 2,
	SUB_PAST_DUE = 3,
	SUB_CANCELLED = 4,
	SUB_EXPIRED = 5,
} sub_status;

/* Why a transition is refused; SUB_OK when it is allowed. */
typedef enum sub_refusal {
	SUB_OK = 0,
	SUB_ALREADY_CANCELLED, /* "Subscription is already cancelled" */
	SUB_CANNOT_REACTIVATE, /* "Subscription cannot be reactivated" */
	SUB_NOT_ACTIVE,        /* "Subscription is not active" */
	SUB_IS_PAST_DUE,       /* "Subscription is past due" */
} sub_refusal;

const char *sub_status_name(sub_status s);  /* "trial", ...; NULL */
sub_status sub_status_parse(const char *s); /* SUB_UNKNOWN if unknown */

/* trial, active or past_due: the subscription still runs. */
bool sub_is_live(sub_status s);

/*
 * The checks of cancel, reactivate and change_plan (API.md section 3).
 * SUB_UNKNOWN counts as a status that no longer runs: cancel gives
 * SUB_ALREADY_CANCELLED, reactivate SUB_CANNOT_REACTIVATE, change_plan
 * SUB_NOT_ACTIVE.
 */
sub_refusal sub_check_cancel(sub_status s);
sub_refusal sub_check_reactivate(sub_status s, bool cancel_at_period_end);
sub_refusal sub_check_change_plan(sub_status s);

/* The contract's message of a refusal ("" for SUB_OK). */
const char *sub_refusal_message(sub_refusal r);

/*
 * Renewal with catch-up (API.md section 5, step 2): from a period that
 * ends at end_us, the periods due at now are [end, next(end)],
 * [next(end), next(next(end))], ... while a period's start (the previous
 * end) is <= now. Writes up to max period starts and ends, and returns
 * how many periods are due in all (which may exceed max; the caller
 * then continues from the last end it was given). starts and ends may
 * be NULL when max is 0. -1 for an unknown cycle.
 */
int sub_due_periods(int64_t end_us, int anchor_day, period_cycle cycle,
    int64_t now_us, int64_t *starts, int64_t *ends, int max);

/*
 * Dunning (API.md section 5, step 3), given the due date of the
 * subscription's oldest unpaid invoice (has_unpaid false when it has
 * none) and today's local date:
 *  - active with an unpaid invoice due before today -> past_due;
 *  - past_due whose oldest unpaid invoice is due 14 or more days before
 *    today -> expired.
 * Returns the new status, or s when nothing changes. One run applies the
 * two passes in turn, and so does this function: active with an unpaid
 * invoice due 14 or more days before today becomes expired.
 */
sub_status sub_dunning_step(
    sub_status s, bool has_unpaid, int32_t oldest_unpaid_due, int32_t today);

#define SUB_EXPIRE_AFTER_DAYS 14

#endif /* RULES_SUBSCRIPTION_H */
