/*
 * invoicing.c: see invoicing.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../rules/caltime.h"
#include "../rules/money.h"
#include "events.h"
#include "invoices.h"
#include "invoicing.h"
#include "pgarray.h"

/*
 * The customers of the invoices, locked in id order before the number
 * sequence: inserting an invoice locks its customer (the foreign key's
 * KEY SHARE), which done after the sequence would deadlock with a call
 * that holds the customer and waits for the sequence. The third column
 * says whose balance the invoices may use or add to: customers with a
 * positive balance ($1: those with an invoice to pay) and every
 * customer with a negative total ($2: a downgrade's credit goes to the
 * balance). $3: every customer.
 */
static const db_stmt LOCK_BALANCES = { "invoicing_lock_balances",
	"SELECT id, balance_minor, (id = ANY($1::bigint[])"
	"   AND balance_minor > 0) OR id = ANY($2::bigint[])"
	" FROM customers WHERE id = ANY($3::bigint[])"
	" ORDER BY id FOR UPDATE" };

/* The last of $2 numbers taken from the year $1 (locked to commit). */
static const db_stmt TAKE_NUMBERS = { "invoicing_take_numbers",
	"INSERT INTO invoice_sequences AS s (year, last_no) VALUES ($1, $2)"
	" ON CONFLICT (year) DO UPDATE SET last_no = s.last_no + $2"
	" RETURNING last_no" };

/*
 * Ids come from the identity column; RETURNING gives each row's id with
 * its number, which says which draft it is. Calls also want the row.
 */
#define INSERT_INVOICES_SQL                                                   \
	"INSERT INTO invoices (customer_id, subscription_id, number,"         \
	" currency, subtotal_minor, tax_rate_bp, tax_minor, total_minor,"     \
	" status, period_start, period_end, due_date, paid_at, created_at,"   \
	" run_period_start)"                                                  \
	" SELECT u.c, u.s, u.num, u.cur, u.sub, u.rate, u.tax, u.tot, u.st,"  \
	"   u.ps, u.pe, u.due, CASE WHEN u.st = 'paid'"                       \
	"   THEN billing_ts($14) END, billing_ts($14), billing_ts(u.rps)"     \
	" FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[],"    \
	"   $5::bigint[], $6::int[], $7::bigint[], $8::bigint[], $9::text[]," \
	"   $10::date[], $11::date[], $12::date[], $13::bigint[])"            \
	"   AS u(c, s, num, cur, sub, rate, tax, tot, st, ps, pe, due, rps)"  \
	" RETURNING id, number"

static const db_stmt INSERT_INVOICES[2] = {
	{ "invoicing_insert_invoices", INSERT_INVOICES_SQL },
	{ "invoicing_insert_invoices_rows",
	    INSERT_INVOICES_SQL ", " INVOICE_COLS },
};

static const db_stmt INSERT_ITEMS = { "invoicing_insert_items",
	"INSERT INTO invoice_items (customer_id, invoice_id, description,"
	" quantity, unit_price_minor, amount_minor)"
	" SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[],"
	"   $4::int[], $5::bigint[], $6::bigint[])" };

static const db_stmt INSERT_CREDITS = { "invoicing_insert_credits",
	"INSERT INTO payments (customer_id, invoice_id, amount_minor, "
	"currency,"
	" method, transaction_id, status, created_at)"
	" SELECT u.c, u.i, u.a, u.cur, 'credit', NULL, 'success',"
	"   billing_ts($5)"
	" FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[])"
	"   AS u(c, i, a, cur) RETURNING id, invoice_id, customer_id" };

static const db_stmt SET_BALANCES = { "invoicing_set_balances",
	"UPDATE customers c SET balance_minor = u.b, updated_at = "
	"billing_ts($3)"
	" FROM unnest($1::bigint[], $2::bigint[]) AS u(id, b)"
	" WHERE c.id = u.id" };

/* The balances of one batch: customer ids sorted, as locked. */
typedef struct inv_balances {
	int64_t *id, *minor;
	bool *changed;
	int n;
} balances;

static int
find_balance(const balances *b, int64_t id)
{
	int lo = 0, hi = b->n - 1;

	while (lo <= hi) {
		int mid = lo + (hi - lo) / 2;

		if (b->id[mid] == id)
			return (mid);
		if (b->id[mid] < id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return (-1);
}

static int
lock_balances(srv_call *call, const inv_issue *v, int n, balances *b)
{
	pgarray pay, neg, all;
	const char *p[3];
	PGresult *res;
	int rv, rows;

	pgarray_init(&pay, call->arena);
	pgarray_init(&neg, call->arena);
	pgarray_init(&all, call->arena);
	for (int i = 0; i < n; i++) {
		if (v[i].d.total_minor > 0)
			pgarray_int64(&pay, v[i].customer_id);
		else if (v[i].d.total_minor < 0)
			pgarray_int64(&neg, v[i].customer_id);
		pgarray_int64(&all, v[i].customer_id);
	}
	if ((p[0] = pgarray_text(&pay)) == NULL ||
	    (p[1] = pgarray_text(&neg)) == NULL ||
	    (p[2] = pgarray_text(&all)) == NULL)
		return (call_oom(call));
	if ((rv = call_query(call, &LOCK_BALANCES, 3, p, &res)) != 0)
		return (rv);
	rows = PQntuples(res);
	b->n = 0;
	b->id = call_alloc(call, sizeof(*b->id) * (size_t) (rows + 1));
	b->minor = call_alloc(call, sizeof(*b->minor) * (size_t) (rows + 1));
	b->changed =
	    call_alloc(call, sizeof(*b->changed) * (size_t) (rows + 1));
	if (b->id == NULL || b->minor == NULL || b->changed == NULL)
		return (call_oom(call));
	for (int i = 0; i < rows; i++)
		if (call_bool(res, i, 2)) {
			b->id[b->n] = call_int64(res, i, 0);
			b->minor[b->n] = call_int64(res, i, 1);
			b->n++;
		}
	return (0);
}

int
invoicing_prepare(srv_call *call, inv_batch *batch)
{
	balances *b = call_alloc(call, sizeof(*b));
	inv_issue *v = batch->v;
	int rv;

	if (b == NULL)
		return (call_oom(call));
	if ((rv = lock_balances(call, v, batch->n, b)) != 0)
		return (rv);
	for (int i = 0; i < batch->n; i++) {
		int k = find_balance(b, v[i].customer_id);
		int64_t bal = k >= 0 ? b->minor[k] : 0;

		if (invoice_settle(v[i].d.total_minor, bal, &v[i].s) !=
		    MONEY_OK)
			return (call_error(call, BILLING_OUT_OF_RANGE,
			    "MONEY_OUT_OF_RANGE",
			    "the balance of customer %" PRId64
			    " would leave the money range",
			    v[i].customer_id));
		if (k >= 0 && v[i].s.balance_minor != bal) {
			b->minor[k] = v[i].s.balance_minor;
			b->changed[k] = true;
		}
	}
	batch->balances = b;
	return (0);
}

/* The year's numbers: *first is the first of n. */
static int
take_numbers(srv_call *call, int n, int *year, int64_t *first)
{
	char y[12], cnt[12];
	const char *p[2];
	PGresult *res;
	cal_wall w;
	int rv;

	cal_to_wall(call->now_us, &w);
	*year = w.year;
	snprintf(y, sizeof(y), "%d", w.year);
	snprintf(cnt, sizeof(cnt), "%d", n);
	p[0] = y;
	p[1] = cnt;
	if ((rv = call_query(call, &TAKE_NUMBERS, 2, p, &res)) != 0)
		return (rv);
	*first = call_int64(res, 0, 0) - n + 1;
	return (0);
}

static int
insert_invoices(srv_call *call, inv_issue *v, int n, int year, int64_t first,
    bool want_msgs)
{
	pgarray a[13];
	const char *p[14];
	char now[21], num[32], date[CAL_DATE_BYTES];
	PGresult *res;
	int rv;

	for (int k = 0; k < 13; k++)
		pgarray_init(&a[k], call->arena);
	for (int i = 0; i < n; i++) {
		const invoice_draft *d = &v[i].d;

		snprintf(
		    num, sizeof(num), "INV-%04d-%06" PRId64, year, first + i);
		pgarray_int64(&a[0], v[i].customer_id);
		if (v[i].subscription_id > 0)
			pgarray_int64(&a[1], v[i].subscription_id);
		else
			pgarray_null(&a[1]);
		pgarray_str(&a[2], num);
		pgarray_str(&a[3], v[i].currency);
		pgarray_int64(&a[4], d->subtotal_minor);
		pgarray_int64(&a[5], d->tax_rate_bp);
		pgarray_int64(&a[6], d->tax_minor);
		pgarray_int64(&a[7], d->total_minor);
		pgarray_str(&a[8], v[i].s.paid ? "paid" : "unpaid");
		pgarray_str(&a[9], cal_date_format(d->period_start, date));
		pgarray_str(&a[10], cal_date_format(d->period_end, date));
		pgarray_str(&a[11], cal_date_format(d->due_date, date));
		if (v[i].run_period_start_us != 0)
			pgarray_int64(&a[12], v[i].run_period_start_us);
		else
			pgarray_null(&a[12]);
	}
	for (int k = 0; k < 13; k++)
		if ((p[k] = pgarray_text(&a[k])) == NULL)
			return (call_oom(call));
	p[13] = call_fmt_int64(now, call->now_us);
	rv =
	    call_query(call, &INSERT_INVOICES[want_msgs ? 1 : 0], 14, p, &res);
	if (rv != 0)
		return (rv);
	if (PQntuples(res) != n)
		return (call_error(call, BILLING_INTERNAL, NULL,
		    "inserted %d invoices of %d", PQntuples(res), n));
	for (int r = 0; r < n; r++) {
		/* "INV-YYYY-" is 9 bytes; the rest is the sequence number. */
		int64_t i =
		    strtoll(PQgetvalue(res, r, 1) + 9, NULL, 10) - first;

		if (i < 0 || i >= n)
			return (call_error(call, BILLING_INTERNAL, NULL,
			    "unexpected invoice number %s",
			    PQgetvalue(res, r, 1)));
		v[i].id = call_int64(res, r, 0);
		if (want_msgs &&
		    (v[i].msg = invoices_from_row(call, res, r, 2)) == NULL)
			return (call_oom(call));
	}
	return (0);
}

static int
insert_items(srv_call *call, const inv_issue *v, int n)
{
	pgarray a[6];
	const char *p[6];
	PGresult *res;

	for (int k = 0; k < 6; k++)
		pgarray_init(&a[k], call->arena);
	for (int i = 0; i < n; i++)
		for (int j = 0; j < v[i].d.n_items; j++) {
			const invoice_item_draft *it = &v[i].d.items[j];

			pgarray_int64(&a[0], v[i].customer_id);
			pgarray_int64(&a[1], v[i].id);
			pgarray_str(&a[2], it->description);
			pgarray_int64(&a[3], it->quantity);
			pgarray_int64(&a[4], it->unit_price_minor);
			pgarray_int64(&a[5], it->amount_minor);
		}
	for (int k = 0; k < 6; k++)
		if ((p[k] = pgarray_text(&a[k])) == NULL)
			return (call_oom(call));
	return (call_query(call, &INSERT_ITEMS, 6, p, &res));
}

/* Credit payments and the balances they (or downgrades) changed. */
static int
write_credits(srv_call *call, const inv_batch *batch, events_batch *ev)
{
	const inv_issue *v = batch->v;
	const balances *b = batch->balances;
	int n = batch->n;
	pgarray a[4], bid, bmin;
	const char *p[5];
	char now[21];
	PGresult *res;
	int rv, credits = 0, changed = 0;

	for (int k = 0; k < 4; k++)
		pgarray_init(&a[k], call->arena);
	for (int i = 0; i < n; i++) {
		if (v[i].s.credit_minor <= 0)
			continue;
		pgarray_int64(&a[0], v[i].customer_id);
		pgarray_int64(&a[1], v[i].id);
		pgarray_int64(&a[2], v[i].s.credit_minor);
		pgarray_str(&a[3], v[i].currency);
		credits++;
	}
	call_fmt_int64(now, call->now_us);
	if (credits > 0) {
		for (int k = 0; k < 4; k++)
			if ((p[k] = pgarray_text(&a[k])) == NULL)
				return (call_oom(call));
		p[4] = now;
		if ((rv = call_query(call, &INSERT_CREDITS, 5, p, &res)) != 0)
			return (rv);
		for (int r = 0; r < PQntuples(res); r++)
			events_batch_add(ev, "payment.created", "payment",
			    call_int64(res, r, 0), call_int64(res, r, 2), NULL,
			    "success", "{\"method\": \"credit\"}");
	}
	if (b == NULL)
		return (0);
	pgarray_init(&bid, call->arena);
	pgarray_init(&bmin, call->arena);
	for (int k = 0; k < b->n; k++)
		if (b->changed[k]) {
			pgarray_int64(&bid, b->id[k]);
			pgarray_int64(&bmin, b->minor[k]);
			changed++;
		}
	if (changed == 0)
		return (0);
	if ((p[0] = pgarray_text(&bid)) == NULL ||
	    (p[1] = pgarray_text(&bmin)) == NULL)
		return (call_oom(call));
	p[2] = now;
	return (call_query(call, &SET_BALANCES, 3, p, &res));
}

int
invoicing_write(srv_call *call, inv_batch *batch, bool want_msgs)
{
	inv_issue *v = batch->v;
	int n = batch->n;
	events_batch ev;
	int64_t first;
	int year, rv;

	if (n == 0)
		return (0);
	if ((rv = take_numbers(call, n, &year, &first)) != 0 ||
	    (rv = insert_invoices(call, v, n, year, first, want_msgs)) != 0 ||
	    (rv = insert_items(call, v, n)) != 0)
		return (rv);
	events_batch_init(&ev, call);
	for (int i = 0; i < n; i++) {
		char data[96];

		snprintf(data, sizeof(data),
		    "{\"number\": \"INV-%04d-%06" PRId64
		    "\", \"total_minor\": %" PRId64 "}",
		    year, first + i, v[i].d.total_minor);
		events_batch_add(&ev, "invoice.created", "invoice", v[i].id,
		    v[i].customer_id, NULL, v[i].s.paid ? "paid" : "unpaid",
		    data);
	}
	if ((rv = write_credits(call, batch, &ev)) != 0)
		return (rv);
	return (events_batch_flush(call, &ev));
}
