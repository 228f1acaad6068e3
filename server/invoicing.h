/*
 * invoicing: issuing invoices (API.md section 4), for one call or a
 * batch of the billing run alike.
 *
 * The caller computes each invoice's amounts with rules/invoice.h, then
 * invoicing_prepare locks the invoices' customers (in id order, before
 * the sequence) and settles each invoice against its customer's
 * balance, in order; an amount or balance out of range fails here,
 * before anything is written or any number or id is used up.
 * invoicing_write then takes the next gapless numbers of the year in
 * one step, and writes the invoices, their items, the credit payments,
 * the balances and the events, one statement per table.
 *
 * Lock order, everywhere: subscription, then customer, then the year's
 * invoice sequence (held to commit, which is what makes numbers
 * gapless).
 */
#ifndef SERVER_INVOICING_H
#define SERVER_INVOICING_H

#include "../rules/invoice.h"
#include "call.h"

typedef struct inv_issue {
	/* in */
	invoice_draft d;
	int64_t customer_id;
	int64_t subscription_id;     /* 0: none */
	const char *currency;        /* the plan's */
	int64_t run_period_start_us; /* the run's period; 0 for calls */
	/* out of invoicing_prepare */
	invoice_settlement s;
	/* out of invoicing_write */
	int64_t id;
	Billing__V1__Invoice *msg; /* when asked for; no items */
} inv_issue;

typedef struct inv_batch {
	inv_issue *v;
	int n;
	struct inv_balances *balances; /* set by invoicing_prepare */
} inv_batch;

int invoicing_prepare(srv_call *call, inv_batch *b);

/* want_msgs: fill v[i].msg (a call answers with its invoice). */
int invoicing_write(srv_call *call, inv_batch *b, bool want_msgs);

#endif /* SERVER_INVOICING_H */
