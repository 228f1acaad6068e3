/*
 * render.c: see render.h.
 */
#include <string.h>

#include "../rules/caltime.h"
#include "../rules/money.h"
#include "../rules/tax.h"
#include "render.h"

/*
 * The values the bridge formats itself (digits, dates, money, flags,
 * enumeration names) are ASCII, so they skip jansson's UTF-8 check; and
 * they are written by hand: snprintf cost a fifth of rendering a plan,
 * and a list renders up to 500 of them.
 */

/* Writes the decimal digits of v backwards from end; returns the first. */
static char *
digits(uint64_t v, char *end)
{
	char *p = end;

	do
		*--p = (char) ('0' + v % 10);
	while ((v /= 10) != 0);
	return (p);
}

/* An ASCII string the bridge wrote: no UTF-8 check. */
static json_t *
ascii(const char *s, size_t len)
{
	return (json_stringn_nocheck(s, len));
}

json_t *
render_id(int64_t id)
{
	char buf[24], *end = buf + sizeof(buf), *p;

	/* As "%" PRId64; the magnitude unsigned: INT64_MIN has none. */
	p = digits(id < 0 ? (uint64_t) 0 - (uint64_t) id : (uint64_t) id, end);
	if (id < 0)
		*--p = '-';
	return (ascii(p, (size_t) (end - p)));
}

static json_t *
opt_id(bool has, int64_t id)
{
	return (has ? render_id(id) : json_null());
}

json_t *
render_money(int64_t minor)
{
	/* As money_format: "-" for a negative amount, units, two decimals. */
	uint64_t m =
	    minor < 0 ? (uint64_t) 0 - (uint64_t) minor : (uint64_t) minor;
	char buf[MONEY_FMT_BYTES + 8], *end = buf + sizeof(buf), *p;

	*--end = (char) ('0' + m % 10);
	*--end = (char) ('0' + m / 10 % 10);
	*--end = '.';
	p = digits(m / 100, end);
	if (minor < 0)
		*--p = '-';
	return (ascii(p, (size_t) (buf + sizeof(buf) - p)));
}

/* Two digits of v (0-99) at p. */
static void
two(char *p, int v)
{
	p[0] = (char) ('0' + v / 10);
	p[1] = (char) ('0' + v % 10);
}

json_t *
render_datetime(bool has, int64_t us)
{
	char buf[CAL_WALL_BYTES];
	cal_wall w;

	if (!has)
		return (json_null());
	cal_to_wall(us, &w);
	/* cal_wall_format's "%04d-%02d-%02d %02d:%02d:%02d", by hand for
	 * the fields' ranges, by cal_wall_format outside them. */
	if (w.year < 0 || w.year > 9999 || w.month < 0 || w.month > 99 ||
	    w.day < 0 || w.day > 99 || w.hour < 0 || w.hour > 99 ||
	    w.min < 0 || w.min > 99 || w.sec < 0 || w.sec > 99)
		return (json_string(cal_wall_format(&w, buf)));
	two(buf, w.year / 100);
	two(buf + 2, w.year % 100);
	buf[4] = '-';
	two(buf + 5, w.month);
	buf[7] = '-';
	two(buf + 8, w.day);
	buf[10] = ' ';
	two(buf + 11, w.hour);
	buf[13] = ':';
	two(buf + 14, w.min);
	buf[16] = ':';
	two(buf + 17, w.sec);
	return (ascii(buf, 19));
}

json_t *
render_datetime_or_zero(bool has, int64_t us)
{
	return (has ? render_datetime(true, us)
	            : ascii(RENDER_ZERO_DATETIME,
	                  sizeof(RENDER_ZERO_DATETIME) - 1));
}

json_t *
render_flag(bool v)
{
	return (ascii(v ? "1" : "0", 1));
}

/* A string column; NULL is null. */
static json_t *
text(const char *s)
{
	return (s != NULL ? json_string(s) : json_null());
}

/* An enumeration's name (the tables below); NULL is null. */
static json_t *
label(const char *s)
{
	return (s != NULL ? json_string_nocheck(s) : json_null());
}

/* A date column ("YYYY-MM-DD" on the wire); absent is null. */
static json_t *
date(const char *s)
{
	return (s != NULL && s[0] != '\0' ? json_string(s) : json_null());
}

static json_t *
int_text(int64_t v)
{
	return (render_id(v));
}

#define NAME_OF(table, v)                                             \
	((v) > 0 && (size_t) (v) < sizeof(table) / sizeof((table)[0]) \
	        ? (table)[(v)]                                        \
	        : NULL)

const char *
render_subscription_status(Billing__V1__SubscriptionStatus s)
{
	static const char *const names[] = { NULL, "trial", "active",
		"past_due", "cancelled", "expired" };

	return (NAME_OF(names, s));
}

const char *
render_invoice_status(Billing__V1__InvoiceStatus s)
{
	static const char *const names[] = { NULL, "unpaid", "paid", "void",
		"refunded" };

	return (NAME_OF(names, s));
}

const char *
render_payment_method(Billing__V1__PaymentMethod m)
{
	static const char *const names[] = { NULL, "card", "paypal",
		"bank_transfer", "credit" };

	return (NAME_OF(names, m));
}

const char *
render_payment_status(Billing__V1__PaymentStatus s)
{
	static const char *const names[] = { NULL, "success", "failed",
		"refunded" };

	return (NAME_OF(names, s));
}

const char *
render_customer_status(Billing__V1__CustomerStatus s)
{
	static const char *const names[] = { NULL, "active", "suspended",
		"deleted" };

	return (NAME_OF(names, s));
}

const char *
render_billing_cycle(Billing__V1__BillingCycle c)
{
	static const char *const names[] = { NULL, "monthly", "quarterly",
		"yearly" };

	return (NAME_OF(names, c));
}

/* Sets key to v (which may be NULL after a failed allocation). */
static int
put(json_t *o, const char *key, json_t *v)
{
	return (v == NULL ? -1 : json_object_set_new(o, key, v));
}

/*
 * Builds an object from pairs (its keys the ASCII literals of the
 * render functions); NULL if any value could not be made.
 */
static json_t *
object(const char *const *keys, json_t *const *vals, size_t n)
{
	json_t *o = json_object();
	int bad = o == NULL;

	for (size_t i = 0; i < n; i++)
		if (bad || vals[i] == NULL ||
		    json_object_set_new_nocheck(o, keys[i], vals[i]) != 0) {
			bad = 1;
			json_decref(vals[i]);
		}
	if (bad) {
		json_decref(o);
		return (NULL);
	}
	return (o);
}

#define OBJECT(keys, vals) object(keys, vals, sizeof(keys) / sizeof(keys[0]))

/* `meta`: an object of strings, or [] when empty (PHP's empty array). */
static json_t *
meta(const Billing__V1__Meta *m)
{
	json_t *o;

	if (m == NULL || m->n_entries == 0)
		return (json_array());
	if ((o = json_object()) == NULL)
		return (NULL);
	for (size_t i = 0; i < m->n_entries; i++) {
		const Billing__V1__MetaEntry *e = m->entries[i];

		if (e->key == NULL ||
		    put(o, e->key,
		        json_string(e->value != NULL ? e->value : "")) != 0) {
			json_decref(o);
			return (NULL);
		}
	}
	return (o);
}

json_t *
render_user(const Billing__V1__Customer *c)
{
	static const char *const keys[] = { "id", "email", "name", "company",
		"country", "vat_number", "currency", "balance", "status",
		"meta", "created_at" };
	json_t *vals[] = { render_id(c->id), text(c->email), text(c->name),
		text(c->company), text(c->country), text(c->vat_number),
		text(c->currency), render_money(c->balance_minor),
		label(render_customer_status(c->status)), meta(c->meta),
		render_datetime_or_zero(
		    c->has_created_at_us, c->created_at_us) };

	return (OBJECT(keys, vals));
}

json_t *
render_plan(const Billing__V1__Plan *p)
{
	static const char *const keys[] = { "id", "code", "name", "price",
		"currency", "billing_cycle", "trial_days", "is_active",
		"created_at" };
	json_t *vals[] = { render_id(p->id), text(p->code), text(p->name),
		render_money(p->price_minor), text(p->currency),
		label(render_billing_cycle(p->billing_cycle)),
		int_text(p->trial_days), render_flag(p->active),
		render_datetime_or_zero(
		    p->has_created_at_us, p->created_at_us) };

	return (OBJECT(keys, vals));
}

json_t *
render_subscription(const Billing__V1__Subscription *s)
{
	static const char *const keys[] = { "id", "user_id", "plan_id",
		"status", "quantity", "started_at", "trial_ends_at",
		"current_period_start", "current_period_end",
		"cancel_at_period_end", "cancelled_at", "created_at" };
	/* trial_ends_at: null without trial, the zero date for legacy zero. */
	json_t *trial = s->trial_ends_at_legacy_zero
	    ? json_string(RENDER_ZERO_DATETIME)
	    : render_datetime(s->has_trial_ends_at_us, s->trial_ends_at_us);
	json_t *vals[] = { render_id(s->id), render_id(s->customer_id),
		render_id(s->plan_id),
		label(render_subscription_status(s->status)),
		int_text(s->quantity),
		render_datetime_or_zero(
		    s->has_started_at_us, s->started_at_us),
		trial,
		render_datetime_or_zero(s->has_current_period_start_us,
		    s->current_period_start_us),
		render_datetime_or_zero(
		    s->has_current_period_end_us, s->current_period_end_us),
		render_flag(s->cancel_at_period_end),
		render_datetime_or_zero(
		    s->has_cancelled_at_us, s->cancelled_at_us),
		render_datetime_or_zero(
		    s->has_created_at_us, s->created_at_us) };

	return (OBJECT(keys, vals));
}

static json_t *
items(const Billing__V1__Invoice *in)
{
	static const char *const keys[] = { "id", "description", "quantity",
		"unit_price", "amount" };
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < in->n_items; i++) {
		const Billing__V1__InvoiceItem *it = in->items[i];
		json_t *vals[] = { render_id(it->id), text(it->description),
			int_text(it->quantity),
			render_money(it->unit_price_minor),
			render_money(it->amount_minor) };
		json_t *o = OBJECT(keys, vals);

		if (o == NULL || json_array_append_new(a, o) != 0) {
			json_decref(a);
			return (NULL);
		}
	}
	return (a);
}

json_t *
render_invoice(const Billing__V1__Invoice *in, bool with_items)
{
	static const char *const keys[] = { "id", "number", "user_id",
		"subscription_id", "currency", "subtotal", "tax_rate", "tax",
		"total", "status", "period_start", "period_end", "due_date",
		"paid_at", "created_at" };
	char rate[TAX_RATE_FMT_BYTES];
	json_t *vals[] = { render_id(in->id), text(in->number),
		render_id(in->customer_id),
		opt_id(in->has_subscription_id, in->subscription_id),
		text(in->currency), render_money(in->subtotal_minor),
		json_string(tax_rate_format(in->tax_rate_bp, rate)),
		render_money(in->tax_minor), render_money(in->total_minor),
		label(render_invoice_status(in->status)),
		date(in->period_start), date(in->period_end),
		date(in->due_date),
		render_datetime_or_zero(in->has_paid_at_us, in->paid_at_us),
		render_datetime_or_zero(
		    in->has_created_at_us, in->created_at_us) };
	json_t *o = OBJECT(keys, vals);

	if (o != NULL && with_items && put(o, "items", items(in)) != 0) {
		json_decref(o);
		return (NULL);
	}
	return (o);
}

json_t *
render_payment(const Billing__V1__Payment *p)
{
	static const char *const keys[] = { "id", "invoice_id", "user_id",
		"amount", "currency", "method", "transaction_id", "status",
		"created_at" };
	json_t *vals[] = {
		render_id(p->id), opt_id(p->has_invoice_id, p->invoice_id),
		render_id(p->customer_id), render_money(p->amount_minor),
		text(p->currency), label(render_payment_method(p->method)),
		text(p->transaction_id),
		label(render_payment_status(p->status)),
		render_datetime_or_zero(p->has_created_at_us, p->created_at_us)
	};

	return (OBJECT(keys, vals));
}

json_t *
render_run_counts(const Billing__V1__RunCycleResponse *r)
{
	return (json_pack("{s:i, s:i, s:i, s:i, s:i, s:i}", "trials_converted",
	    (int) r->trials_converted, "renewed", (int) r->renewed,
	    "cancelled", (int) r->cancelled, "past_due", (int) r->past_due,
	    "expired", (int) r->expired, "invoices_created",
	    (int) r->invoices_created));
}
