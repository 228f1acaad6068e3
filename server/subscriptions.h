/*
 * subscriptions: the Subscriptions service, and the subscription row
 * shared with the billing run.
 */
#ifndef SERVER_SUBSCRIPTIONS_H
#define SERVER_SUBSCRIPTIONS_H

#include "call.h"

#define SUB_COLS                                                          \
	"id, customer_id, plan_id, status, quantity, billing_anchor_day," \
	" billing_us(started_at), billing_us(trial_ends_at),"             \
	" trial_ends_at_legacy_zero, billing_us(current_period_start),"   \
	" billing_us(current_period_end), cancel_at_period_end,"          \
	" billing_us(cancelled_at), billing_us(created_at)"
#define SUB_NCOLS 14

/* The subscription in columns [c, c + SUB_NCOLS) of a row; NULL: OOM. */
Billing__V1__Subscription *subscriptions_from_row(
    srv_call *call, const PGresult *res, int row, int c);

extern const billing_subscriptions_impl subscriptions_impl;

#endif /* SERVER_SUBSCRIPTIONS_H */
