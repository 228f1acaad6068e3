/*
 * invoice: the amounts of an invoice and what the customer's balance
 * does to it (API.md section 4), computed before anything is written so
 * that an amount out of range refuses the call with no side effect.
 * Pure.
 */
#ifndef RULES_INVOICE_H
#define RULES_INVOICE_H

#include <stdbool.h>
#include <stdint.h>

#define INVOICE_MAX_ITEMS 2
#define INVOICE_DESC_MAX_BYTES 255
#define INVOICE_DUE_DAYS 14

typedef struct invoice_item_draft {
	char description[INVOICE_DESC_MAX_BYTES + 1];
	int32_t quantity;
	int64_t unit_price_minor;
	int64_t amount_minor;
} invoice_item_draft;

typedef struct invoice_draft {
	invoice_item_draft items[INVOICE_MAX_ITEMS];
	int n_items;
	int64_t subtotal_minor;
	int32_t tax_rate_bp;
	int64_t tax_minor;
	int64_t total_minor;
	int32_t period_start; /* local dates, days since the epoch */
	int32_t period_end;
	int32_t due_date; /* the local date of now + INVOICE_DUE_DAYS */
} invoice_draft;

/* An empty draft for [period_start, period_end] issued at now. */
void invoice_init(invoice_draft *d, int32_t period_start, int32_t period_end,
    int64_t now_us);

/*
 * Adds the item of a plan's period: "NAME (YYYY-MM-DD - YYYY-MM-DD)"
 * with the local dates of ps and pe, cut to 255 bytes on a UTF-8
 * character boundary (name must be valid UTF-8); amount = quantity x
 * unit price. MONEY_OK or MONEY_OUT_OF_RANGE (the unit price or the
 * amount; the draft is unchanged). MONEY_INVALID when the draft holds
 * INVOICE_MAX_ITEMS items already.
 */
int invoice_add_period_item(invoice_draft *d, const char *plan_name,
    int64_t price_minor, int32_t quantity, int64_t ps_us, int64_t pe_us);

/*
 * Adds an item "PREFIX NAME" (prefix, one space, name; cut like above)
 * of quantity 1 whose unit price and amount are amount_minor: the
 * proration items "Unused time on OLD" (negative) and "Remaining time
 * on NEW". Returns like invoice_add_period_item.
 */
int invoice_add_amount_item(invoice_draft *d, const char *prefix,
    const char *plan_name, int64_t amount_minor);

/*
 * Sums the items, and sets the tax rate (tax.h) and the tax and total.
 * has_customer false (a legacy subscription whose customer row is
 * missing) gives rate 0. MONEY_OK or MONEY_OUT_OF_RANGE for a subtotal,
 * tax or total outside the range (the draft is then unchanged).
 */
int invoice_finish(invoice_draft *d, bool has_customer, const char *country,
    const char *vat_number);

/*
 * What issuing an invoice of total does with a balance:
 *  - total 0: paid at once;
 *  - total < 0: paid at once, and -total is added to the balance;
 *  - total > 0 and balance > 0: a credit payment of min(balance, total)
 *    is taken from the balance; paid when it covers the total;
 *  - otherwise unpaid.
 * Without a customer row (no balance handling) pass balance 0 and
 * write nothing back: 0 and negative totals are still paid at once.
 */
typedef struct invoice_settlement {
	bool paid;
	int64_t credit_minor;  /* the credit payment, 0 for none */
	int64_t balance_minor; /* the balance afterwards */
} invoice_settlement;

/* MONEY_OK or MONEY_OUT_OF_RANGE (the new balance; *s unchanged). */
int invoice_settle(
    int64_t total_minor, int64_t balance_minor, invoice_settlement *s);

/*
 * A successful payment of amount on an invoice of total whose
 * successful payments (credit included, this one excluded) sum to
 * paid_before: *paid is true when the sum reaches the total, and
 * *excess_minor is what goes to the balance (sum - total, or 0).
 * MONEY_OUT_OF_RANGE when the sum overflows int64 (*paid and
 * *excess_minor unchanged); the caller range-checks the new balance.
 */
int invoice_apply_payment(int64_t total_minor, int64_t paid_before_minor,
    int64_t amount_minor, bool *paid, int64_t *excess_minor);

#endif /* RULES_INVOICE_H */
