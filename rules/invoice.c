/*
 * invoice.c: see invoice.h.
 */
#include <string.h>

#include "../util/utf8.h"
#include "caltime.h"
#include "invoice.h"
#include "money.h"
#include "tax.h"

typedef __int128 i128;

static bool
in_range128(i128 x)
{
	return (x >= -MONEY_MAX_MINOR && x <= MONEY_MAX_MINOR);
}

/*
 * A description built from parts, cut to INVOICE_DESC_MAX_BYTES on a
 * character boundary: once a part is cut nothing more is appended.
 */
typedef struct desc {
	char *buf;
	size_t len;
	bool full;
} desc;

static void
desc_add(desc *d, const char *part)
{
	size_t n, k;

	if (d->full || part == NULL)
		return;
	n = strlen(part);
	k = utf8_truncate(part, n, INVOICE_DESC_MAX_BYTES - d->len);
	memcpy(d->buf + d->len, part, k);
	d->len += k;
	d->buf[d->len] = '\0';
	if (k < n)
		d->full = true;
}

void
invoice_init(
    invoice_draft *d, int32_t period_start, int32_t period_end, int64_t now_us)
{
	memset(d, 0, sizeof(*d));
	d->period_start = period_start;
	d->period_end = period_end;
	d->due_date = cal_local_date(now_us) + INVOICE_DUE_DAYS;
}

int
invoice_add_period_item(invoice_draft *d, const char *plan_name,
    int64_t price_minor, int32_t quantity, int64_t ps_us, int64_t pe_us)
{
	invoice_item_draft *it;
	char ps[CAL_DATE_BYTES], pe[CAL_DATE_BYTES];
	i128 amount = (i128) price_minor * quantity;
	desc ds;

	if (d->n_items >= INVOICE_MAX_ITEMS)
		return (MONEY_INVALID);
	if (!money_in_range(price_minor) || !in_range128(amount))
		return (MONEY_OUT_OF_RANGE);
	it = &d->items[d->n_items];
	ds = (desc) { .buf = it->description };
	it->description[0] = '\0';
	desc_add(&ds, plan_name);
	desc_add(&ds, " (");
	desc_add(&ds, cal_date_format(cal_local_date(ps_us), ps));
	desc_add(&ds, " - ");
	desc_add(&ds, cal_date_format(cal_local_date(pe_us), pe));
	desc_add(&ds, ")");
	it->quantity = quantity;
	it->unit_price_minor = price_minor;
	it->amount_minor = (int64_t) amount;
	d->n_items++;
	return (MONEY_OK);
}

int
invoice_add_amount_item(invoice_draft *d, const char *prefix,
    const char *plan_name, int64_t amount_minor)
{
	invoice_item_draft *it;
	desc ds;

	if (d->n_items >= INVOICE_MAX_ITEMS)
		return (MONEY_INVALID);
	if (!money_in_range(amount_minor))
		return (MONEY_OUT_OF_RANGE);
	it = &d->items[d->n_items];
	ds = (desc) { .buf = it->description };
	it->description[0] = '\0';
	desc_add(&ds, prefix);
	desc_add(&ds, " ");
	desc_add(&ds, plan_name);
	it->quantity = 1;
	it->unit_price_minor = amount_minor;
	it->amount_minor = amount_minor;
	d->n_items++;
	return (MONEY_OK);
}

int
invoice_finish(invoice_draft *d, bool has_customer, const char *country,
    const char *vat_number)
{
	i128 sum = 0;
	int64_t subtotal, tax, total;
	int32_t rate;

	for (int i = 0; i < d->n_items; i++)
		sum += d->items[i].amount_minor;
	if (!in_range128(sum))
		return (MONEY_OUT_OF_RANGE);
	subtotal = (int64_t) sum;
	rate = has_customer ? tax_rate_bp(country, vat_number) : 0;
	if (tax_amount(subtotal, rate, &tax) != MONEY_OK ||
	    money_add(subtotal, tax, &total) != MONEY_OK)
		return (MONEY_OUT_OF_RANGE);
	d->subtotal_minor = subtotal;
	d->tax_rate_bp = rate;
	d->tax_minor = tax;
	d->total_minor = total;
	return (MONEY_OK);
}

int
invoice_settle(
    int64_t total_minor, int64_t balance_minor, invoice_settlement *s)
{
	invoice_settlement r = { .paid = false,
		.credit_minor = 0,
		.balance_minor = balance_minor };
	i128 bal = balance_minor;

	if (total_minor <= 0) {
		/* Paid at once; a downgrade's -total goes to the balance. */
		r.paid = true;
		bal -= total_minor;
	} else if (balance_minor > 0) {
		r.credit_minor =
		    balance_minor < total_minor ? balance_minor : total_minor;
		r.paid = r.credit_minor == total_minor;
		bal -= r.credit_minor;
	}
	if (!in_range128(bal))
		return (MONEY_OUT_OF_RANGE);
	r.balance_minor = (int64_t) bal;
	*s = r;
	return (MONEY_OK);
}

int
invoice_apply_payment(int64_t total_minor, int64_t paid_before_minor,
    int64_t amount_minor, bool *paid, int64_t *excess_minor)
{
	i128 sum = (i128) paid_before_minor + amount_minor;
	i128 excess = sum - total_minor;

	if (sum > INT64_MAX || sum < INT64_MIN)
		return (MONEY_OUT_OF_RANGE);
	if (excess > INT64_MAX)
		return (MONEY_OUT_OF_RANGE);
	*paid = sum >= total_minor;
	*excess_minor = *paid ? (int64_t) excess : 0;
	return (MONEY_OK);
}
