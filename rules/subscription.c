/*
 * subscription.c: see subscription.h.
 */
#include <stddef.h>
#include <string.h>

#include "subscription.h"

static const char *const status_names[] = {
	[SUB_TRIAL] = "trial",
	[SUB_ACTIVE] = "active",
	[SUB_PAST_DUE] = "past_due",
	[SUB_CANCELLED] = "cancelled",
	[SUB_EXPIRED] = "expired",
};

const char *
sub_status_name(sub_status s)
{
	if (s < SUB_TRIAL || s > SUB_EXPIRED)
		return (NULL);
	return (status_names[s]);
}

sub_status
sub_status_parse(const char *s)
{
	if (s == NULL)
		return (SUB_UNKNOWN);
	for (int i = SUB_TRIAL; i <= SUB_EXPIRED; i++)
		if (strcmp(s, status_names[i]) == 0)
			return ((sub_status) i);
	return (SUB_UNKNOWN);
}

bool
sub_is_live(sub_status s)
{
	return (s == SUB_TRIAL || s == SUB_ACTIVE || s == SUB_PAST_DUE);
}

sub_refusal
sub_check_cancel(sub_status s)
{
	return (sub_is_live(s) ? SUB_OK : SUB_ALREADY_CANCELLED);
}

sub_refusal
sub_check_reactivate(sub_status s, bool cancel_at_period_end)
{
	return (sub_is_live(s) && cancel_at_period_end
	        ? SUB_OK
	        : SUB_CANNOT_REACTIVATE);
}

sub_refusal
sub_check_change_plan(sub_status s)
{
	if (s == SUB_PAST_DUE)
		return (SUB_IS_PAST_DUE);
	return (sub_is_live(s) ? SUB_OK : SUB_NOT_ACTIVE);
}

const char *
sub_refusal_message(sub_refusal r)
{
	switch (r) {
	case SUB_OK:
		return ("");
	case SUB_ALREADY_CANCELLED:
		return ("Subscription is already cancelled");
	case SUB_CANNOT_REACTIVATE:
		return ("Subscription cannot be reactivated");
	case SUB_NOT_ACTIVE:
		return ("Subscription is not active");
	case SUB_IS_PAST_DUE:
		return ("Subscription is past due");
	}
	return ("");
}

int
sub_due_periods(int64_t end_us, int anchor_day, period_cycle cycle,
    int64_t now_us, int64_t *starts, int64_t *ends, int max)
{
	int64_t s = end_us;
	int n = 0;

	if (period_months(cycle) == 0)
		return (-1);
	while (s <= now_us) {
		int64_t e = period_next(s, anchor_day, cycle);

		if (e <= s)
			return (
			    -1); /* cannot happen: a period is >= 28 days */
		if (n < max) {
			starts[n] = s;
			ends[n] = e;
		}
		n++;
		s = e;
	}
	return (n);
}

sub_status
sub_dunning_step(
    sub_status s, bool has_unpaid, int32_t oldest_unpaid_due, int32_t today)
{
	if (!has_unpaid)
		return (s);
	/* Pass 1: active -> past_due once an unpaid invoice is overdue. */
	if (s == SUB_ACTIVE && oldest_unpaid_due < today)
		s = SUB_PAST_DUE;
	/* Pass 2: past_due -> expired after SUB_EXPIRE_AFTER_DAYS. */
	if (s == SUB_PAST_DUE &&
	    (int64_t) today - oldest_unpaid_due >= SUB_EXPIRE_AFTER_DAYS)
		s = SUB_EXPIRED;
	return (s);
}
