/*
 * billing_run.c: see billing_run.h.
 */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "../rules/caltime.h"
#include "../rules/invoice.h"
#include "../rules/money.h"
#include "../rules/period.h"
#include "../rules/subscription.h"
#include "billing_run.h"
#include "events.h"
#include "invoicing.h"
#include "pgarray.h"

/* A batch whose transaction lost a deadlock is run again this often. */
#define BATCH_ATTEMPTS 3
/* Passes that wait for other runs' locks before leaving the rest. */
#define WAIT_PASSES 3

#define DUE_COLS                                                           \
	"s.id, s.customer_id, s.status, s.quantity, s.billing_anchor_day," \
	" billing_us(s.trial_ends_at), billing_us(s.current_period_end),"  \
	" s.cancel_at_period_end, p.name, p.price_minor, p.currency,"      \
	" p.billing_cycle, c.country, c.vat_number"

#define DUE_FROM                                                 \
	" FROM subscriptions s JOIN plans p ON p.id = s.plan_id" \
	" JOIN customers c ON c.id = s.customer_id"

/* $1 now. Trials with a NULL (legacy zero) end are left alone. */
#define TRIALS_DUE " s.status = 'trial' AND s.trial_ends_at <= billing_ts($1)"
#define RENEWALS_DUE                          \
	" s.status IN ('active', 'past_due')" \
	" AND s.current_period_end <= billing_ts($1)"

/*
 * $1 today. The dunning rule of sub_dunning_step, as a filter: an
 * active subscription with an overdue unpaid invoice, or a past_due one
 * whose oldest unpaid invoice is SUB_EXPIRE_AFTER_DAYS overdue. The
 * oldest due date comes from a LATERAL subquery per subscription (an
 * index-only scan of invoices_unpaid_due): an EXISTS here is planned as
 * a hash of every unpaid invoice, built again for every batch.
 */
#define DUNNING_FROM                                                       \
	" FROM subscriptions s CROSS JOIN LATERAL (SELECT min(i.due_date)" \
	" AS oldest FROM invoices i WHERE i.subscription_id = s.id"        \
	" AND i.status = 'unpaid') d"
#define DUNNING_DUE                                                     \
	" s.status IN ('active', 'past_due') AND ((s.status = 'active'" \
	" AND d.oldest < $1::date) OR (s.status = 'past_due'"           \
	" AND d.oldest <= $1::date - 14))"
#define DUNNING_COLS \
	"s.id, s.customer_id, s.status, d.oldest - date '1970-01-01'"

#define PAGE " AND s.id > $2 ORDER BY s.id LIMIT $3 FOR UPDATE OF s"

static const db_stmt TRIALS[2] = {
	{ "run_trials_skip",
	    "SELECT " DUE_COLS DUE_FROM " WHERE" TRIALS_DUE PAGE
	    " SKIP LOCKED" },
	{ "run_trials_wait",
	    "SELECT " DUE_COLS DUE_FROM " WHERE" TRIALS_DUE PAGE },
};
static const db_stmt RENEWALS[2] = {
	{ "run_renewals_skip",
	    "SELECT " DUE_COLS DUE_FROM " WHERE" RENEWALS_DUE PAGE
	    " SKIP LOCKED" },
	{ "run_renewals_wait",
	    "SELECT " DUE_COLS DUE_FROM " WHERE" RENEWALS_DUE PAGE },
};
static const db_stmt DUNNING[2] = {
	{ "run_dunning_skip",
	    "SELECT " DUNNING_COLS DUNNING_FROM " WHERE" DUNNING_DUE PAGE
	    " SKIP LOCKED" },
	{ "run_dunning_wait",
	    "SELECT " DUNNING_COLS DUNNING_FROM " WHERE" DUNNING_DUE PAGE },
};
/*
 * The dunning batch's rows again, read after they are locked: the
 * locking SELECT saw the invoices in its own snapshot, taken before it
 * waited for a row lock, so a payment committed while it waited (one
 * that held the subscription's lock) would be missed. A new statement
 * sees it.
 */
static const db_stmt DUNNING_RECHECK = { "run_dunning_recheck",
	"SELECT s.id, s.customer_id, s.status, (SELECT min(i.due_date)"
	" - date '1970-01-01' FROM invoices i WHERE"
	" i.subscription_id = s.id AND i.status = 'unpaid')"
	" FROM subscriptions s WHERE s.id = ANY($1::bigint[])"
	" ORDER BY s.id" };

static const db_stmt PEEK[3] = {
	{ "run_trials_peek",
	    "SELECT EXISTS (SELECT 1" DUE_FROM " WHERE" TRIALS_DUE ")" },
	{ "run_renewals_peek",
	    "SELECT EXISTS (SELECT 1" DUE_FROM " WHERE" RENEWALS_DUE ")" },
	{ "run_dunning_peek",
	    "SELECT EXISTS (SELECT 1" DUNNING_FROM " WHERE" DUNNING_DUE ")" },
};

/* $1 now, $2 limit: how many trials and periods are due, up to $2. */
static const db_stmt DUE_COUNT = { "run_due_count",
	"SELECT (SELECT count(*) FROM (SELECT 1" DUE_FROM " WHERE" TRIALS_DUE
	" LIMIT $2) t) + (SELECT count(*) FROM (SELECT 1" DUE_FROM
	" WHERE" RENEWALS_DUE " LIMIT $2) r)" };

/* NULL keeps a column. */
static const db_stmt UPDATE_SUBS = { "run_update_subscriptions",
	"UPDATE subscriptions s SET status = u.st,"
	" current_period_start = coalesce(billing_ts(u.ps),"
	"   s.current_period_start),"
	" current_period_end = coalesce(billing_ts(u.pe), "
	"s.current_period_end),"
	" cancelled_at = coalesce(billing_ts(u.ca), s.cancelled_at)"
	" FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[],"
	"   $5::bigint[]) AS u(id, st, ps, pe, ca)"
	" WHERE s.id = u.id" };

static const db_stmt ADD_COUNTS = { "run_add_counts",
	"UPDATE billing_runs SET trials_converted = trials_converted + $2,"
	" renewed = renewed + $3, cancelled = cancelled + $4,"
	" past_due = past_due + $5, expired = expired + $6,"
	" invoices_created = invoices_created + $7 WHERE id = $1" };

static const db_stmt OPEN = { "run_open",
	"INSERT INTO billing_runs (trigger, run_now, job_id)"
	" VALUES ($1, billing_ts($2), $3) RETURNING id" };

static const db_stmt CLOSE = { "run_close",
	"UPDATE billing_runs SET status = $2, error = $3,"
	" finished_at = clock_timestamp() WHERE id = $1" };

typedef enum phase { PHASE_TRIALS, PHASE_RENEWALS, PHASE_DUNNING } phase;

/* One batch's changes, written one statement per table. */
typedef struct batch {
	srv_call *call;
	inv_issue *inv;
	int n_inv, cap_inv;
	pgarray id, status, ps, pe, ca; /* subscription updates */
	int n_subs;
	events_batch ev;
	run_counts c;
	bool stop; /* a money error: this row and the rest stay */
	char stop_msg[256];
} batch;

/* The due row of a trial or renewal, as selected. */
typedef struct due_row {
	int64_t id, customer_id;
	sub_status status;
	int32_t quantity;
	int anchor_day;
	int64_t trial_ends_us, period_end_us;
	bool cape;
	const char *plan_name;
	int64_t price_minor;
	const char *currency;
	period_cycle cycle;
	const char *country, *vat_number;
} due_row;

static void
read_due(const PGresult *res, int i, due_row *r)
{
	r->id = call_int64(res, i, 0);
	r->customer_id = call_int64(res, i, 1);
	r->status = sub_status_parse(call_text(res, i, 2));
	r->quantity = (int32_t) call_int64(res, i, 3);
	r->anchor_day = (int) call_int64(res, i, 4);
	r->trial_ends_us = call_isnull(res, i, 5) ? 0 : call_int64(res, i, 5);
	r->period_end_us = call_isnull(res, i, 6) ? 0 : call_int64(res, i, 6);
	r->cape = call_bool(res, i, 7);
	r->plan_name = call_text(res, i, 8);
	r->price_minor = call_int64(res, i, 9);
	r->currency = call_text(res, i, 10);
	r->cycle = period_cycle_parse(call_text(res, i, 11));
	r->country = call_text(res, i, 12);
	r->vat_number = call_text(res, i, 13);
}

static void
batch_init(batch *b, srv_call *call)
{
	memset(b, 0, sizeof(*b));
	b->call = call;
	pgarray_init(&b->id, call->arena);
	pgarray_init(&b->status, call->arena);
	pgarray_init(&b->ps, call->arena);
	pgarray_init(&b->pe, call->arena);
	pgarray_init(&b->ca, call->arena);
	events_batch_init(&b->ev, call);
}

static void
opt_us(pgarray *a, int64_t us)
{
	if (us != 0)
		pgarray_int64(a, us);
	else
		pgarray_null(a);
}

/* A subscription's new state; 0 keeps a period bound or cancelled_at. */
static void
set_sub(
    batch *b, int64_t id, sub_status st, int64_t ps, int64_t pe, int64_t ca)
{
	pgarray_int64(&b->id, id);
	pgarray_str(&b->status, sub_status_name(st));
	opt_us(&b->ps, ps);
	opt_us(&b->pe, pe);
	opt_us(&b->ca, ca);
	b->n_subs++;
}

/* Room for n more invoices; false when memory ran out. */
static bool
reserve_inv(batch *b, int n)
{
	inv_issue *nv;
	int cap;

	if (b->n_inv + n <= b->cap_inv)
		return (true);
	cap = b->cap_inv > 0 ? b->cap_inv : 64;
	while (cap < b->n_inv + n)
		cap *= 2;
	nv = call_alloc(b->call, sizeof(*nv) * (size_t) cap);
	if (nv == NULL)
		return (false);
	if (b->n_inv > 0)
		memcpy(nv, b->inv, sizeof(*nv) * (size_t) b->n_inv);
	b->inv = nv;
	b->cap_inv = cap;
	return (true);
}

/*
 * Drafts the invoice of period [ps, pe] of r. false (and the batch
 * stops) when an amount leaves the money range.
 */
static bool
draft_period(batch *b, const due_row *r, int64_t ps, int64_t pe)
{
	inv_issue *v = &b->inv[b->n_inv];
	int64_t now = b->call->now_us;

	memset(v, 0, sizeof(*v));
	invoice_init(&v->d, cal_local_date(ps), cal_local_date(pe), now);
	if (invoice_add_period_item(&v->d, r->plan_name, r->price_minor,
	        r->quantity, ps, pe) != MONEY_OK ||
	    invoice_finish(&v->d, true, r->country, r->vat_number) !=
	        MONEY_OK) {
		b->stop = true;
		snprintf(b->stop_msg, sizeof(b->stop_msg),
		    "the invoice of subscription %" PRId64
		    " would leave the money range (+-99999999.99)",
		    r->id);
		return (false);
	}
	v->customer_id = r->customer_id;
	v->subscription_id = r->id;
	v->currency = r->currency;
	v->run_period_start_us = ps;
	return (true);
}

static const char *
count_data(batch *b, const char *key, int64_t v)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "{\"%s\": %" PRId64 "}", key, v);
	return (call_strdup(b->call, buf));
}

/*
 * Step 1: a trial at its end becomes active with its first paid period
 * and that period's invoice, or, flagged to cancel, ends without one
 * (cancel_at_period_end stays set).
 */
static int
apply_trial(batch *b, const due_row *r)
{
	int64_t te = r->trial_ends_us, pe;

	if (r->cape) {
		set_sub(b, r->id, SUB_CANCELLED, 0, 0, te);
		events_batch_add(&b->ev, "subscription.cancelled",
		    "subscription", r->id, r->customer_id, "trial",
		    "cancelled", "{\"cause\": \"trial_end\"}");
		b->c.cancelled++;
		return (0);
	}
	pe = period_next(te, r->anchor_day, r->cycle);
	if (!reserve_inv(b, 1))
		return (call_oom(b->call));
	if (!draft_period(b, r, te, pe))
		return (0);
	b->n_inv++;
	set_sub(b, r->id, SUB_ACTIVE, te, pe, 0);
	events_batch_add(&b->ev, "subscription.activated", "subscription",
	    r->id, r->customer_id, "trial", "active", NULL);
	b->c.trials_converted++;
	b->c.invoices_created++;
	return (0);
}

/*
 * Step 2: a period at its end renews, once for each missed period, or,
 * flagged, the subscription ends at the period end.
 */
static int
apply_renewal(batch *b, const due_row *r)
{
	int64_t now = b->call->now_us, *starts, *ends;
	int n, k;

	if (r->cape) {
		set_sub(b, r->id, SUB_CANCELLED, 0, 0, r->period_end_us);
		events_batch_add(&b->ev, "subscription.cancelled",
		    "subscription", r->id, r->customer_id,
		    sub_status_name(r->status), "cancelled",
		    "{\"cause\": \"period_end\"}");
		b->c.cancelled++;
		return (0);
	}
	n = sub_due_periods(
	    r->period_end_us, r->anchor_day, r->cycle, now, NULL, NULL, 0);
	if (n <= 0)
		return (0);
	starts = call_alloc(b->call, sizeof(*starts) * (size_t) n);
	ends = call_alloc(b->call, sizeof(*ends) * (size_t) n);
	if (starts == NULL || ends == NULL || !reserve_inv(b, n))
		return (call_oom(b->call));
	sub_due_periods(
	    r->period_end_us, r->anchor_day, r->cycle, now, starts, ends, n);
	for (k = 0; k < n; k++)
		if (!draft_period(b, r, starts[k], ends[k])) {
			b->n_inv -= k; /* all of this subscription or none */
			return (0);
		} else
			b->n_inv++;
	set_sub(b, r->id, r->status, starts[n - 1], ends[n - 1], 0);
	events_batch_add(&b->ev, "subscription.renewed", "subscription", r->id,
	    r->customer_id, sub_status_name(r->status),
	    sub_status_name(r->status), count_data(b, "periods", n));
	b->c.renewed += n;
	b->c.invoices_created += n;
	return (0);
}

/*
 * Step 3, both passes (sub_dunning_step applies them in turn): active ->
 * past_due, then past_due -> expired, so one run may do both.
 */
static void
apply_dunning(batch *b, const PGresult *res, int i, int32_t today)
{
	int64_t id = call_int64(res, i, 0), cid = call_int64(res, i, 1);
	sub_status s0 = sub_status_parse(call_text(res, i, 2)), s;
	bool has = !call_isnull(res, i, 3);
	int32_t due = has ? (int32_t) call_int64(res, i, 3) : 0;

	if ((s = sub_dunning_step(s0, has, due, today)) == s0)
		return;
	if (s0 == SUB_ACTIVE) {
		events_batch_add(&b->ev, "subscription.past_due",
		    "subscription", id, cid, "active", "past_due", NULL);
		b->c.past_due++;
	}
	if (s == SUB_EXPIRED) {
		events_batch_add(&b->ev, "subscription.expired",
		    "subscription", id, cid, "past_due", "expired", NULL);
		b->c.expired++;
	}
	set_sub(b, id, s, 0, 0, s == SUB_EXPIRED ? b->call->now_us : 0);
}

static int
write_batch(batch *b, int64_t run_id)
{
	srv_call *call = b->call;
	inv_batch ib = { b->inv, b->n_inv, NULL };
	char rid[21], n[6][12];
	const char *p[7];
	PGresult *res;
	int rv;

	/*
	 * The invoice sequence is locked from invoicing_write to commit, so
	 * runs at the same time wait for each other there: everything that
	 * does not need the numbers comes first.
	 */
	if (b->n_inv > 0 && (rv = invoicing_prepare(call, &ib)) != 0)
		return (rv);
	if (b->n_subs > 0) {
		if ((p[0] = pgarray_text(&b->id)) == NULL ||
		    (p[1] = pgarray_text(&b->status)) == NULL ||
		    (p[2] = pgarray_text(&b->ps)) == NULL ||
		    (p[3] = pgarray_text(&b->pe)) == NULL ||
		    (p[4] = pgarray_text(&b->ca)) == NULL)
			return (call_oom(call));
		if ((rv = call_query(call, &UPDATE_SUBS, 5, p, &res)) != 0)
			return (rv);
	}
	if ((rv = events_batch_flush(call, &b->ev)) != 0 ||
	    (b->n_inv > 0 && (rv = invoicing_write(call, &ib, false)) != 0))
		return (rv);
	const int v[6] = { b->c.trials_converted, b->c.renewed, b->c.cancelled,
		b->c.past_due, b->c.expired, b->c.invoices_created };
	p[0] = call_fmt_int64(rid, run_id);
	for (int i = 0; i < 6; i++) {
		snprintf(n[i], sizeof(n[i]), "%d", v[i]);
		p[i + 1] = n[i];
	}
	return (call_query(call, &ADD_COUNTS, 7, p, &res));
}

/* The n locked rows of a dunning batch, read again, in the same order. */
static int
dunning_recheck(srv_call *call, const PGresult *locked, int n, PGresult **out)
{
	pgarray ids;
	const char *p[1];
	int rv;

	pgarray_init(&ids, call->arena);
	for (int i = 0; i < n; i++)
		pgarray_int64(&ids, call_int64(locked, i, 0));
	if ((p[0] = pgarray_text(&ids)) == NULL)
		return (call_oom(call));
	if ((rv = call_query(call, &DUNNING_RECHECK, 1, p, out)) != 0)
		return (rv);
	if (PQntuples(*out) != n)
		return (call_error(call, BILLING_INTERNAL, NULL,
		    "dunning locked %d subscriptions but read %d", n,
		    PQntuples(*out)));
	return (0);
}

/* Selects and applies one batch; *rows is how many rows it took. */
static int
run_batch(srv_call *call, phase ph, bool wait, int64_t *cursor, int size,
    int64_t run_id, batch *b, int *rows)
{
	static const db_stmt *const SELECT[3] = { TRIALS, RENEWALS, DUNNING };
	char now[21], cur[21], lim[12], today_s[CAL_DATE_BYTES];
	int32_t today = cal_local_date(call->now_us);
	const char *p[3];
	PGresult *res, *dres = NULL;
	int rv, i, n;

	snprintf(lim, sizeof(lim), "%d", size);
	p[0] = ph == PHASE_DUNNING ? cal_date_format(today, today_s)
	                           : call_fmt_int64(now, call->now_us);
	p[1] = call_fmt_int64(cur, *cursor);
	p[2] = lim;
	if ((rv = call_query(call, &SELECT[ph][wait ? 1 : 0], 3, p, &res)) !=
	    0)
		return (rv);
	n = PQntuples(res);
	batch_init(b, call);
	if (ph == PHASE_DUNNING && n > 0 &&
	    (rv = dunning_recheck(call, res, n, &dres)) != 0)
		return (rv);
	for (i = 0; i < n && !b->stop; i++) {
		due_row r;

		if (ph == PHASE_DUNNING) {
			apply_dunning(b, dres, i, today);
			continue;
		}
		read_due(res, i, &r);
		rv = ph == PHASE_TRIALS ? apply_trial(b, &r)
		                        : apply_renewal(b, &r);
		if (rv != 0)
			return (rv);
	}
	/* After a stop, the row that stopped it is not taken. */
	*rows = b->stop ? i - 1 : n;
	if (*rows > 0)
		*cursor = call_int64(res, *rows - 1, 0);
	return (write_batch(b, run_id));
}

void
run_counts_add(run_counts *to, const run_counts *c)
{
	to->trials_converted += c->trials_converted;
	to->renewed += c->renewed;
	to->cancelled += c->cancelled;
	to->past_due += c->past_due;
	to->expired += c->expired;
	to->invoices_created += c->invoices_created;
}

/* One batch in its own transaction, again after a lost deadlock. */
static int
run_batch_tx(srv_call *call, phase ph, bool wait, int64_t *cursor, int size,
    int64_t run_id, run_counts *total, int *rows, bool *stop)
{
	batch b;
	int64_t start = *cursor;
	int rv = 0;

	for (int attempt = 1; attempt <= BATCH_ATTEMPTS; attempt++) {
		billing_status ignore = BILLING_STATUS_INIT;

		*cursor = start;
		if ((rv = db_command(call->db, DB_BEGIN, call->deadline_us,
		         &call->status)) != 0)
			return (rv);
		rv = run_batch(call, ph, wait, cursor, size, run_id, &b, rows);
		if (rv == 0 &&
		    (rv = db_command(call->db, "COMMIT",
		         db_now_us() + DB_END_GRACE_US, &call->status)) == 0)
			break;
		db_command(call->db, "ROLLBACK", db_now_us() + DB_END_GRACE_US,
		    &ignore);
		billing_status_fini(&ignore);
		call_release_results(call);
		arena_reset(call->arena);
		if (rv != BILLING_ABORTED)
			return (rv);
		billing_status_fini(&call->status);
	}
	if (rv != 0)
		return (rv);
	run_counts_add(total, &b.c);
	*stop = b.stop;
	if (b.stop)
		call_error(call, BILLING_OUT_OF_RANGE, "MONEY_OUT_OF_RANGE",
		    "%s", b.stop_msg);
	call_release_results(call);
	arena_reset(call->arena);
	return (b.stop ? BILLING_OUT_OF_RANGE : 0);
}

static int
peek(srv_call *call, phase ph, bool *due)
{
	char now[21], today_s[CAL_DATE_BYTES];
	const char *p[1] = { ph == PHASE_DUNNING
		    ? cal_date_format(cal_local_date(call->now_us), today_s)
		    : call_fmt_int64(now, call->now_us) };
	PGresult *res;
	int rv;

	if ((rv = call_query(call, &PEEK[ph], 1, p, &res)) != 0)
		return (rv);
	*due = call_bool(res, 0, 0);
	call_release_results(call);
	return (0);
}

static int
stopped(srv_call *call, const atomic_bool *stop)
{
	if (stop == NULL || !atomic_load(stop))
		return (0);
	return (call_error(call, BILLING_CANCELLED, NULL,
	    "the billing run was stopped before its end"));
}

static int
run_phase(srv_call *call, phase ph, int size, int64_t run_id,
    const atomic_bool *stop, run_counts *total)
{
	int64_t cursor = 0;
	bool wait = false, stopped_here = false, due;
	int rv, rows, taken = 0, idle_waits = 0;

	for (;;) {
		if ((rv = stopped(call, stop)) != 0)
			return (rv);
		rv = run_batch_tx(call, ph, wait, &cursor, size, run_id, total,
		    &rows, &stopped_here);
		if (rv != 0)
			return (rv);
		taken += rows;
		if (rows > 0)
			continue;
		/*
		 * Nothing unlocked is left after the cursor: wait for what
		 * other runs hold, from the start, until nothing is due. A
		 * row still due after passes that took nothing (one that no
		 * longer matches the join after a re-check) is left to the
		 * next run.
		 */
		if (wait) {
			if ((rv = peek(call, ph, &due)) != 0 || !due)
				return (rv);
			idle_waits = taken > 0 ? 0 : idle_waits + 1;
			if (idle_waits >= WAIT_PASSES)
				return (0);
		}
		wait = true;
		cursor = 0;
		taken = 0;
	}
}

int
billing_run_execute(srv_call *call, int64_t run_id, int batch_size,
    const atomic_bool *stop, run_counts *out)
{
	int rv = 0;

	memset(out, 0, sizeof(*out));
	for (int ph = PHASE_TRIALS; ph <= PHASE_DUNNING && rv == 0; ph++)
		rv =
		    run_phase(call, (phase) ph, batch_size, run_id, stop, out);
	return (rv);
}

int
billing_run_due(srv_call *call, int64_t limit, int64_t *n)
{
	char now[21], lim[21];
	const char *p[2] = { call_fmt_int64(now, call->now_us),
		call_fmt_int64(lim, limit) };
	PGresult *res;
	int rv;

	if ((rv = call_query(call, &DUE_COUNT, 2, p, &res)) != 0)
		return (rv);
	*n = call_int64(res, 0, 0);
	call_release_results(call);
	return (0);
}

int
billing_run_open(
    srv_call *call, const char *trigger, int64_t job_id, int64_t *run_id)
{
	char now[21], job[21];
	const char *p[3] = { trigger, call_fmt_int64(now, call->now_us),
		job_id > 0 ? call_fmt_int64(job, job_id) : NULL };
	PGresult *res;
	int rv;

	if ((rv = call_query(call, &OPEN, 3, p, &res)) != 0)
		return (rv);
	*run_id = call_int64(res, 0, 0);
	call_release_results(call);
	return (0);
}

int
billing_run_close(srv_call *call, int64_t run_id, const char *error)
{
	billing_status st = BILLING_STATUS_INIT;
	char id[21];
	const char *p[3] = { call_fmt_int64(id, run_id),
		error == NULL ? "succeeded" : "failed", error };
	PGresult *res = NULL;
	int rc;

	/* The run's own status stays the call's answer. */
	rc =
	    db_exec(call->db, &CLOSE, 3, p, db_now_us() + 10000000, &res, &st);
	PQclear(res);
	billing_status_fini(&st);
	return (rc);
}
