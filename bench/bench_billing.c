/*
 * bench_billing: the billing engine's throughput, against the floor that
 * PostgreSQL sets for the same rows.
 *
 * Side by side, in one run, against one PostgreSQL and one billing-server
 * (started with --test-clock, so that x-billing-now sets the instant):
 *
 * Billing run: two identical sets of N subscriptions (--subscriptions),
 * each set's all due at one instant.
 *  (a) RunCycle:  one Billing.RunCycle call through libbilling-client at
 *                 x-billing-now 2016-02-01 00:00:00 (Europe/Berlin), set
 *                 (a) due then; the server renews it in batches of its
 *                 --run-batch subscriptions, a transaction each.
 *  (b) libpq SQL: set (b), due a month later, renewed by one set-based
 *                 SQL statement (one transaction) that writes the rows
 *                 the server writes for a renewal: the year's invoice
 *                 numbers from invoice_sequences, the invoices and their
 *                 items, the subscriptions' new periods, and the events
 *                 invoice.created and subscription.renewed (with jit
 *                 off in its session: see main).
 *
 * Payments: --payments unpaid invoices of each set paid in full by
 * --callers threads, each its own slice of the invoices.
 *  (a) Create:    Payments.Create through one billing_client shared by
 *                 the threads: card, amount = the invoice's total, a
 *                 distinct transaction id.
 *  (b) libpq SQL: a connection per thread; per payment one transaction
 *                 of a single-row INSERT INTO payments and UPDATE
 *                 invoices SET status = 'paid'.
 *
 * Not timed: the setup (plans, customers and subscriptions by SQL, then
 * VACUUM ANALYZE; its time is printed), a VACUUM ANALYZE and CHECKPOINT
 * before each timed step, and the checks at the end (N invoices of each
 * set, gapless invoice numbers, every paid invoice paid). Each row also
 * reports the CPU time of this process, of billing-server and of
 * PostgreSQL's client backends (from /proc).
 *
 * It is a report: a missed target does not fail it. It exits 1 when
 * something broke (a call failed, a count is off). The wrapper
 * bench/run_bench_billing.sh sets up PostgreSQL and the server.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "benchutil.h"
#include "billing_client.h"
#include "billing_client_stubs.h"

#define MAX_CALLERS 64
#define MAX_BACKENDS 64
#define RUN_TIMEOUT_MS (10 * 60 * 1000)
#define PAY_TIMEOUT_MS 30000
#define CONNECT_WAIT_MS 5000
#define TARGET_RENEWALS_S 10000

/* The server's default zone: x-billing-now is wall time in it. */
#define TZ "'Europe/Berlin'"
#define PRICE_MINOR "999"
#define REQUEST_ID "bench-billing-sql"

typedef struct side {
	char tag;         /* 'a' or 'b': in emails and transaction ids */
	const char *code; /* the plan's */
	int64_t plan_id;
	char plan_text[24];
	/* Wall times in TZ: the period before, the run's instant (the end
	 * of that period), the end of the next; when its payments are. */
	const char *start, *now, *next, *pay_now;
} side;

static side sides[2] = {
	{ .tag = 'a',
	    .code = "bench-run-a",
	    .start = "2016-01-01 00:00:00",
	    .now = "2016-02-01 00:00:00",
	    .next = "2016-03-01 00:00:00",
	    .pay_now = "2016-02-02 12:00:00" },
	{ .tag = 'b',
	    .code = "bench-run-b",
	    .start = "2016-02-01 00:00:00",
	    .now = "2016-03-01 00:00:00",
	    .next = "2016-04-01 00:00:00",
	    .pay_now = "2016-03-02 12:00:00" },
};

static struct {
	const char *db_url, *server_url;
	long server_pid;
	int subs, callers, payments;
	long clk_tck;
} cfg;

static int failures;

/* CPU time in microseconds; < 0: unknown. */
typedef struct cpu_use {
	int64_t bench, srv, pg;
} cpu_use;

typedef struct cycle {
	const char *name;
	bool ok;
	int64_t renewed, invoices, run_id;
	double secs;
	cpu_use cpu;
} cycle;

typedef struct pay_row {
	const char *name;
	int n, done;
	uint64_t errors;
	double secs, p50_ms, p99_ms;
	cpu_use cpu;
	char err[256];
} pay_row;

static double
secs_since(int64_t t0)
{
	return ((double) (bench_mono_ns() - t0) / 1e9);
}

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Reports a failure; the run goes on and exits 1 at the end. */
static void
fail(const char *fmt, ...)
{
	va_list ap;

	failures++;
	printf("  FAIL: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* ---- CPU time, from /proc -------------------------------------------- */

/* User plus system CPU time of process pid in microseconds, or -1. */
static int64_t
proc_cpu_us(long pid)
{
	char path[64], buf[1024];
	unsigned long long ut, stime;
	const char *p;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return (-1);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name is in parentheses and may hold anything. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2,
	        "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u"
	        " %llu %llu",
	        &ut, &stime) != 2)
		return (-1);
	return ((int64_t) ((ut + stime) * 1000000ULL /
	    (unsigned long long) cfg.clk_tck));
}

/*
 * The CPU times at one moment: this process, the server, and
 * PostgreSQL's client backends of the database except the monitor's
 * own (the server's connections and the baseline's).
 */
typedef struct cpu_mark {
	int64_t bench, srv;
	bool pg_ok;
	int n;
	long pid[MAX_BACKENDS];
	int64_t us[MAX_BACKENDS];
} cpu_mark;

static void
cpu_mark_take(PGconn *mon, cpu_mark *m)
{
	PGresult *res;

	m->bench = bench_self_cpu_us();
	m->srv = cfg.server_pid > 0 ? proc_cpu_us(cfg.server_pid) : -1;
	m->n = 0;
	res = PQexec(mon,
	    "SELECT pid FROM pg_stat_activity"
	    " WHERE datname = current_database()"
	    " AND backend_type = 'client backend'"
	    " AND pid <> pg_backend_pid()");
	m->pg_ok = PQresultStatus(res) == PGRES_TUPLES_OK &&
	    PQntuples(res) <= MAX_BACKENDS;
	for (int i = 0; m->pg_ok && i < PQntuples(res); i++) {
		m->pid[i] = strtol(PQgetvalue(res, i, 0), NULL, 10);
		if ((m->us[i] = proc_cpu_us(m->pid[i])) < 0)
			m->pg_ok = false; /* not ours to read, or gone */
		m->n++;
	}
	PQclear(res);
}

/* The CPU used from a to b; a backend new in b counts from 0. */
static cpu_use
cpu_since(const cpu_mark *a, const cpu_mark *b)
{
	cpu_use u = { b->bench - a->bench,
		a->srv < 0 || b->srv < 0 ? -1 : b->srv - a->srv, 0 };

	if (!a->pg_ok || !b->pg_ok) {
		u.pg = -1;
		return (u);
	}
	for (int i = 0; i < b->n; i++) {
		int64_t before = 0;

		for (int j = 0; j < a->n; j++)
			if (a->pid[j] == b->pid[i])
				before = a->us[j];
		u.pg += b->us[i] - before;
	}
	return (u);
}

/* ---- libpq ------------------------------------------------------------- */

static PGconn *
pg_open(void)
{
	PGconn *c = PQconnectdb(cfg.db_url);

	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "bench_billing: cannot connect to %s: %s",
		    cfg.db_url, PQerrorMessage(c));
		exit(1);
	}
	return (c);
}

/* Runs q with n text parameters; exits on an error. */
static PGresult *
sql(PGconn *c, const char *q, int n, const char *const *p)
{
	PGresult *res = n > 0 ? PQexecParams(c, q, n, NULL, p, NULL, NULL, 0)
	                      : PQexec(c, q);
	ExecStatusType st = PQresultStatus(res);

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		fprintf(stderr, "bench_billing: %s  in: %.300s\n",
		    PQerrorMessage(c), q);
		exit(1);
	}
	return (res);
}

static void
sql_do(PGconn *c, const char *q)
{
	PQclear(sql(c, q, 0, NULL));
}

static int64_t
get_int(const PGresult *res, int row, int col)
{
	return (PQgetisnull(res, row, col)
	        ? 0
	        : strtoll(PQgetvalue(res, row, col), NULL, 10));
}

/* ---- setup ------------------------------------------------------------ */

static const char SETUP_PLAN[] =
    "INSERT INTO plans (code, name, price_minor, currency,"
    " billing_cycle, trial_days, created_at)"
    " VALUES ($1, 'Bench Pro (monthly)', " PRICE_MINOR ", 'EUR',"
    " 'monthly', 0, now()) RETURNING id";

/* $1 tag, $2 count, $3 plan, $4 period start, $5 period end. */
static const char SETUP_SUBS[] =
    "WITH c AS (INSERT INTO customers (email, email_key, name, country,"
    "   currency, created_at)"
    " SELECT format('bench-%s-%s@example.com', $1::text, g),"
    "   format('bench-%s-%s@example.com', $1::text, g),"
    "   format('Bench customer %s-%s', $1::text, g), 'DE', 'EUR',"
    "   $4::timestamp AT TIME ZONE " TZ
    " FROM generate_series(1, $2::int) g RETURNING id)"
    " INSERT INTO subscriptions (customer_id, plan_id, status, quantity,"
    "   billing_anchor_day, started_at, current_period_start,"
    "   current_period_end, created_at)"
    " SELECT c.id, $3::bigint, 'active', 1, 1, t.ps, t.ps, t.pe, t.ps"
    " FROM c, (SELECT $4::timestamp AT TIME ZONE " TZ " AS ps,"
    "   $5::timestamp AT TIME ZONE " TZ " AS pe) t ORDER BY c.id";

static void
setup(PGconn *c)
{
	char n[12];
	int64_t t0 = bench_mono_ns();
	double vac;

	snprintf(n, sizeof(n), "%d", cfg.subs);
	for (int i = 0; i < 2; i++) {
		side *s = &sides[i];
		char tag[2] = { s->tag, '\0' };
		const char *p[5] = { s->code };
		PGresult *res = sql(c, SETUP_PLAN, 1, p);

		s->plan_id = get_int(res, 0, 0);
		snprintf(s->plan_text, sizeof(s->plan_text), "%" PRId64,
		    s->plan_id);
		PQclear(res);
		p[0] = tag;
		p[1] = n;
		p[2] = s->plan_text;
		p[3] = s->start;
		p[4] = s->now;
		PQclear(sql(c, SETUP_SUBS, 5, p));
	}
	/*
	 * A payment history (one old payment per customer, on no invoice),
	 * so that payments and its statistics look like a live system's:
	 * analyzed while empty, the planner would scan it sequentially.
	 */
	sql_do(c,
	    "INSERT INTO payments (customer_id, amount_minor, currency,"
	    " method, transaction_id, status, created_at)"
	    " SELECT id, 999, 'EUR', 'card', 'history-' || id, 'success',"
	    " timestamptz '2015-12-01 12:00:00+01' FROM customers");
	printf("  setup (not timed): 2 sets of %d customers (DE, 19%% VAT), "
	       "each with an\n"
	       "    active subscription to a 9.99 EUR monthly plan, the "
	       "set's all due at one\n"
	       "    instant, and one old payment: %.1f s",
	    cfg.subs, secs_since(t0));
	t0 = bench_mono_ns();
	sql_do(c, "VACUUM ANALYZE");
	vac = secs_since(t0);
	printf(", then VACUUM ANALYZE %.1f s\n", vac);
}

/* Before each timed step, not timed. */
static void
settle_db(PGconn *c)
{
	sql_do(c, "VACUUM ANALYZE");
	sql_do(c, "CHECKPOINT");
}

/* ---- the billing run -------------------------------------------------- */

static void
cycle_rpc(billing_client *cl, PGconn *mon, cycle *r)
{
	Billing__V1__RunCycleRequest req =
	    BILLING__V1__RUN_CYCLE_REQUEST__INIT;
	Billing__V1__RunCycleResponse *resp = NULL;
	billing_status st = BILLING_STATUS_INIT;
	billing_call_opts o;
	cpu_mark m0, m1;
	int64_t t0;
	int rv;

	memset(&o, 0, sizeof(o));
	o.now = sides[0].now;
	o.timeout_ms = RUN_TIMEOUT_MS;
	o.caller = "bench_billing";
	cpu_mark_take(mon, &m0);
	t0 = bench_mono_ns();
	rv = billing_billing_run_cycle(cl, &req, &resp, &o, &st);
	r->secs = secs_since(t0);
	cpu_mark_take(mon, &m1);
	r->cpu = cpu_since(&m0, &m1);
	if (rv != 0) {
		fail("(a) Billing.RunCycle: %s: %s", billing_code_name(rv),
		    st.message != NULL ? st.message : "?");
		billing_status_fini(&st);
		return;
	}
	r->ok = true;
	r->renewed = resp->renewed;
	r->invoices = resp->invoices_created;
	r->run_id = resp->run_id;
	if (resp->trials_converted != 0 || resp->cancelled != 0 ||
	    resp->past_due != 0 || resp->expired != 0)
		fail("(a) RunCycle did more than renew: %d trials, %d "
		     "cancelled, %d past due, %d expired",
		    resp->trials_converted, resp->cancelled, resp->past_due,
		    resp->expired);
	billing__v1__run_cycle_response__free_unpacked(resp, NULL);
}

/*
 * What a billing run writes for the renewals of set $1 due at $2 (wall
 * time in TZ), as one statement: the due rows (with the customer, whose
 * country sets the VAT rate), the year's numbers from invoice_sequences,
 * the invoices, their items, the subscriptions' next periods (anchor day
 * 1, monthly) and two events per renewal. $3 is the events' request id.
 */
static const char BASE_RUN[] =
    "WITH due AS ("
    "  SELECT s.id, s.customer_id, s.quantity, s.current_period_end AS ps,"
    "   (s.current_period_end AT TIME ZONE " TZ " + interval '1 month')"
    "     AT TIME ZONE " TZ " AS pe,"
    "   p.name, p.price_minor, p.currency,"
    "   CASE WHEN c.country = 'DE' THEN 1900 ELSE 0 END AS rate,"
    "   row_number() OVER (ORDER BY s.id) AS k, count(*) OVER () AS n"
    "  FROM subscriptions s JOIN plans p ON p.id = s.plan_id"
    "  JOIN customers c ON c.id = s.customer_id"
    "  WHERE s.plan_id = $1::bigint AND s.status IN ('active', 'past_due')"
    "  AND s.current_period_end <= $2::timestamp AT TIME ZONE " TZ "),"
    " seq AS (INSERT INTO invoice_sequences AS q (year, last_no)"
    "  SELECT extract(year FROM $2::timestamp)::int, count(*) FROM due"
    "  ON CONFLICT (year) DO UPDATE"
    "   SET last_no = q.last_no + excluded.last_no"
    "  RETURNING year, last_no),"
    " d AS (SELECT due.*, due.price_minor * due.quantity AS sub,"
    "   round(due.price_minor * due.quantity * due.rate / 10000.0)::bigint"
    "     AS tax,"
    "   (seq.last_no - due.n + due.k)::text AS no, seq.year"
    "  FROM due, seq),"
    " inv AS (INSERT INTO invoices (customer_id, subscription_id, number,"
    "   currency, subtotal_minor, tax_rate_bp, tax_minor, total_minor,"
    "   status, period_start, period_end, due_date, created_at,"
    "   run_period_start)"
    "  SELECT d.customer_id, d.id,"
    "   format('INV-%s-%s', d.year, lpad(d.no, greatest(6, length(d.no)),"
    "     '0')),"
    "   d.currency, d.sub, d.rate, d.tax, d.sub + d.tax, 'unpaid',"
    "   (d.ps AT TIME ZONE " TZ ")::date, (d.pe AT TIME ZONE " TZ ")::date,"
    "   $2::timestamp::date + 14, $2::timestamp AT TIME ZONE " TZ ", d.ps"
    "  FROM d RETURNING id, customer_id, subscription_id, number,"
    "   total_minor),"
    " items AS (INSERT INTO invoice_items (customer_id, invoice_id,"
    "   description, quantity, unit_price_minor, amount_minor)"
    "  SELECT d.customer_id, inv.id, d.name || ' ('"
    "   || (d.ps AT TIME ZONE " TZ ")::date || ' - '"
    "   || (d.pe AT TIME ZONE " TZ ")::date || ')',"
    "   d.quantity, d.price_minor, d.sub"
    "  FROM inv JOIN d ON d.id = inv.subscription_id),"
    " subs AS (UPDATE subscriptions s SET current_period_start = d.ps,"
    "   current_period_end = d.pe FROM d WHERE s.id = d.id),"
    " ev AS (INSERT INTO events (customer_id, type, object_type,"
    "   object_id, before_status, after_status, request_id, created_at, data)"
    "  SELECT customer_id, 'invoice.created', 'invoice', id, NULL,"
    "   'unpaid', $3, $2::timestamp AT TIME ZONE " TZ ","
    "   jsonb_build_object('number', number, 'total_minor', total_minor)"
    "  FROM inv"
    "  UNION ALL SELECT d.customer_id, 'subscription.renewed',"
    "   'subscription', d.id, 'active', 'active', $3,"
    "   $2::timestamp AT TIME ZONE " TZ ", '{\"periods\": 1}' FROM d)"
    " SELECT (SELECT count(*) FROM d), (SELECT count(*) FROM inv)";

static void
cycle_sql(PGconn *base, PGconn *mon, cycle *r)
{
	const char *p[3] = { sides[1].plan_text, sides[1].now, REQUEST_ID };
	cpu_mark m0, m1;
	PGresult *res;
	int64_t t0;

	cpu_mark_take(mon, &m0);
	t0 = bench_mono_ns();
	res = PQexecParams(base, BASE_RUN, 3, NULL, p, NULL, NULL, 0);
	r->secs = secs_since(t0);
	cpu_mark_take(mon, &m1);
	r->cpu = cpu_since(&m0, &m1);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		fail("(b) the renewals' SQL: %s", PQerrorMessage(base));
		PQclear(res);
		return;
	}
	r->ok = true;
	r->renewed = get_int(res, 0, 0);
	r->invoices = get_int(res, 0, 1);
	PQclear(res);
}

static double
per_op(int64_t us, int64_t n)
{
	return (us < 0 || n <= 0 ? -1 : (double) us / (double) n);
}

static void
fmt_cpu(char *buf, size_t cap, double v)
{
	if (v < 0)
		snprintf(buf, cap, "-");
	else
		snprintf(buf, cap, "%.1f", v);
}

static void
print_cycle(const cycle *r)
{
	char s[16], p[16];

	if (!r->ok || r->secs <= 0) {
		printf("%-13s  failed after %.2f s\n", r->name, r->secs);
		return;
	}
	fmt_cpu(s, sizeof(s), per_op(r->cpu.srv, r->renewed));
	fmt_cpu(p, sizeof(p), per_op(r->cpu.pg, r->renewed));
	printf("%-13s %8" PRId64 " %8" PRId64 " %7.2f %10.0f %10.0f  %6s "
	       "%6s\n",
	    r->name, r->renewed, r->invoices, r->secs,
	    (double) r->renewed / r->secs, (double) r->invoices / r->secs,
	    r->name[1] == 'a' ? s : "-", p);
	fflush(stdout);
}

/* The server's own record of its run: seconds from open to close. */
static double
run_record_secs(PGconn *mon, int64_t run_id)
{
	char id[24];
	const char *p[1] = { id };
	PGresult *res;
	double v;

	snprintf(id, sizeof(id), "%" PRId64, run_id);
	res = sql(mon,
	    "SELECT extract(epoch FROM finished_at - started_at)"
	    " FROM billing_runs WHERE id = $1::bigint",
	    1, p);
	v = PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)
	    ? atof(PQgetvalue(res, 0, 0))
	    : -1;
	PQclear(res);
	return (v);
}

static void
billing_run(billing_client *cl, PGconn *base, PGconn *mon, cycle *a, cycle *b)
{
	double rec;

	printf("\nbilling run: %d subscriptions due at one instant, "
	       "all renewed by one run\n",
	    cfg.subs);
	printf("  (a) one Billing.RunCycle call at x-billing-now '%s',\n"
	       "      deadline %d min; the server commits a transaction per "
	       "--run-batch\n",
	    sides[0].now, RUN_TIMEOUT_MS / 60000);
	printf(
	    "  (b) one SQL statement renewing what is due at '%s':\n"
	    "      invoice numbers, invoices, items, next periods, 2 events "
	    "per renewal\n",
	    sides[1].now);
	printf("%-13s %8s %8s %7s %10s %10s  %6s %6s\n", "case", "renewed",
	    "invoices", "wall s", "renewals/s", "invoices/s", "server", "pg");
	printf("%-13s %8s %8s %7s %10s %10s  %-13s\n", "", "", "", "", "", "",
	    "(cpu us per renewal)");
	a->name = "(a) RunCycle";
	b->name = "(b) libpq SQL";
	settle_db(mon);
	cycle_rpc(cl, mon, a);
	print_cycle(a);
	settle_db(mon);
	cycle_sql(base, mon, b);
	print_cycle(b);
	if (a->ok && (a->renewed != cfg.subs || a->invoices != cfg.subs))
		fail("(a) RunCycle renewed %" PRId64 " and invoiced %" PRId64
		     ", not %d",
		    a->renewed, a->invoices, cfg.subs);
	if (b->ok && (b->renewed != cfg.subs || b->invoices != cfg.subs))
		fail("(b) the SQL renewed %" PRId64 " and invoiced %" PRId64
		     ", not %d",
		    b->renewed, b->invoices, cfg.subs);
	if (a->ok && b->ok && a->secs > 0 && b->secs > 0)
		printf("  (a) takes %.2fx (b)'s time: %.0f%% of (b)'s "
		       "renewals/s\n",
		    a->secs / b->secs, 100.0 * b->secs / a->secs);
	if (a->ok && (rec = run_record_secs(mon, a->run_id)) >= 0)
		printf("  (a) the server's billing_runs record %" PRId64
		       ": %.2f s from open to close\n",
		    a->run_id, rec);
}

/* ---- payments --------------------------------------------------------- */

typedef struct pay_inv {
	int64_t id, customer_id, total;
} pay_inv;

typedef struct pay_run {
	const side *s;
	bool rpc;
	billing_client *client;
	pay_inv *inv;
	int64_t *lat_ns; /* < 0: failed */
	pthread_barrier_t ready, go, done, close;
} pay_run;

typedef struct payer {
	pay_run *run;
	pthread_t thread;
	int lo, hi;
	PGconn *pg;
	bool ok;
	uint64_t errors;
	char err[256];
} payer;

static const char PAY_INSERT[] =
    "INSERT INTO payments (customer_id, invoice_id, amount_minor,"
    " currency, method, transaction_id, status, created_at)"
    " VALUES ($1, $2, $3, 'EUR', 'card', $4, 'success',"
    " $5::timestamp AT TIME ZONE " TZ ")";

static const char PAY_UPDATE[] = "UPDATE invoices SET status = 'paid',"
                                 " paid_at = $2::timestamp AT TIME ZONE " TZ
                                 " WHERE id = $1 AND status = 'unpaid'";

static int
pay_rpc(payer *p, const pay_inv *v)
{
	Billing__V1__CreatePaymentRequest req =
	    BILLING__V1__CREATE_PAYMENT_REQUEST__INIT;
	Billing__V1__PaymentResult *r = NULL;
	billing_status st = BILLING_STATUS_INIT;
	billing_call_opts o;
	char txn[48];
	int rv;

	snprintf(txn, sizeof(txn), "bench-%c-%" PRId64, p->run->s->tag, v->id);
	memset(&o, 0, sizeof(o));
	o.now = p->run->s->pay_now;
	o.timeout_ms = PAY_TIMEOUT_MS;
	req.has_invoice_id = 1;
	req.invoice_id = v->id;
	req.has_amount_minor = 1;
	req.amount_minor = v->total;
	req.has_method = 1;
	req.method = BILLING__V1__PAYMENT_METHOD__PAYMENT_METHOD_CARD;
	req.transaction_id = txn;
	if ((rv = billing_payments_create(
	         p->run->client, &req, &r, &o, &st)) != 0) {
		bench_set_err(p->err, sizeof(p->err),
		    "invoice %" PRId64 ": %s: %s", v->id,
		    billing_code_name(rv),
		    st.message != NULL ? st.message : "?");
		billing_status_fini(&st);
		return (-1);
	}
	billing_status_fini(&st);
	rv = r->invoice != NULL && r->invoice->has_status &&
	        r->invoice->status ==
	            BILLING__V1__INVOICE_STATUS__INVOICE_STATUS_PAID
	    ? 0
	    : -1;
	if (rv != 0)
		bench_set_err(p->err, sizeof(p->err),
		    "invoice %" PRId64 " is not paid by its payment", v->id);
	billing__v1__payment_result__free_unpacked(r, NULL);
	return (rv);
}

static bool
pg_ok(payer *p, PGresult *res, ExecStatusType want, const char *what)
{
	bool ok = PQresultStatus(res) == want;

	if (!ok)
		bench_set_err(p->err, sizeof(p->err), "%s: %s", what,
		    PQerrorMessage(p->pg));
	else if (strcmp(what, "update") == 0 &&
	    strcmp(PQcmdTuples(res), "1") != 0) {
		bench_set_err(p->err, sizeof(p->err), "update: %s rows",
		    PQcmdTuples(res));
		ok = false;
	}
	PQclear(res);
	return (ok);
}

static int
pay_pg(payer *p, const pay_inv *v)
{
	char cid[24], id[24], amt[24], txn[48];
	const char *q[5] = { cid, id, amt, txn, p->run->s->pay_now };
	const char *u[2] = { id, p->run->s->pay_now };

	snprintf(cid, sizeof(cid), "%" PRId64, v->customer_id);
	snprintf(id, sizeof(id), "%" PRId64, v->id);
	snprintf(amt, sizeof(amt), "%" PRId64, v->total);
	snprintf(txn, sizeof(txn), "bench-%c-%" PRId64, p->run->s->tag, v->id);
	if (pg_ok(p, PQexec(p->pg, "BEGIN"), PGRES_COMMAND_OK, "begin") &&
	    pg_ok(p, PQexecPrepared(p->pg, "pay_insert", 5, q, NULL, NULL, 0),
	        PGRES_COMMAND_OK, "insert") &&
	    pg_ok(p, PQexecPrepared(p->pg, "pay_update", 2, u, NULL, NULL, 0),
	        PGRES_COMMAND_OK, "update") &&
	    pg_ok(p, PQexec(p->pg, "COMMIT"), PGRES_COMMAND_OK, "commit"))
		return (0);
	PQclear(PQexec(p->pg, "ROLLBACK"));
	return (-1);
}

static int
payer_init(payer *p)
{
	if (p->run->rpc)
		return (0);
	p->pg = PQconnectdb(cfg.db_url);
	if (PQstatus(p->pg) != CONNECTION_OK) {
		bench_set_err(p->err, sizeof(p->err), "connect: %s",
		    PQerrorMessage(p->pg));
		return (-1);
	}
	if (!pg_ok(p, PQprepare(p->pg, "pay_insert", PAY_INSERT, 5, NULL),
	        PGRES_COMMAND_OK, "prepare") ||
	    !pg_ok(p, PQprepare(p->pg, "pay_update", PAY_UPDATE, 2, NULL),
	        PGRES_COMMAND_OK, "prepare"))
		return (-1);
	return (0);
}

static void *
payer_main(void *arg)
{
	payer *p = arg;
	pay_run *run = p->run;

	p->ok = payer_init(p) == 0;
	pthread_barrier_wait(&run->ready);
	pthread_barrier_wait(&run->go);
	for (int i = p->lo; p->ok && i < p->hi; i++) {
		int64_t t0 = bench_mono_ns();
		int rv = run->rpc ? pay_rpc(p, &run->inv[i])
		                  : pay_pg(p, &run->inv[i]);

		run->lat_ns[i] = rv == 0 ? bench_mono_ns() - t0 : -1;
		if (rv != 0)
			p->errors++;
	}
	pthread_barrier_wait(&run->done);
	/* The backends stay until their CPU time is read. */
	pthread_barrier_wait(&run->close);
	if (p->pg != NULL)
		PQfinish(p->pg);
	return (NULL);
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;

	return (x < y ? -1 : x > y);
}

/* Nearest rank, of the n sorted values. */
static double
percentile_ms(const int64_t *v, int n, double p)
{
	int i = (int) (p * n + 0.999999);

	if (n == 0)
		return (0);
	return ((double) v[i > 0 ? i - 1 : 0] / 1e6);
}

/* The first n unpaid invoices of set s, by id. */
static int
unpaid_invoices(PGconn *mon, const side *s, int n, pay_inv **out)
{
	char lim[12];
	const char *p[2] = { s->plan_text, lim };
	PGresult *res;
	pay_inv *v;
	int rows;

	snprintf(lim, sizeof(lim), "%d", n);
	res = sql(mon,
	    "SELECT i.id, i.customer_id, i.total_minor FROM invoices i"
	    " JOIN subscriptions s ON s.id = i.subscription_id"
	    " WHERE s.plan_id = $1::bigint AND i.status = 'unpaid'"
	    " ORDER BY i.id LIMIT $2::int",
	    2, p);
	rows = PQntuples(res);
	if ((v = calloc((size_t) rows + 1, sizeof(*v))) == NULL) {
		fprintf(stderr, "bench_billing: out of memory\n");
		exit(1);
	}
	for (int i = 0; i < rows; i++) {
		v[i].id = get_int(res, i, 0);
		v[i].customer_id = get_int(res, i, 1);
		v[i].total = get_int(res, i, 2);
	}
	PQclear(res);
	*out = v;
	return (rows);
}

static void
pay(billing_client *cl, PGconn *mon, const side *s, bool rpc, pay_row *r)
{
	payer *ps;
	pay_run run;
	cpu_mark m0, m1;
	int64_t t0, *ok_ns;
	int n, k = 0;

	memset(&run, 0, sizeof(run));
	run.s = s;
	run.rpc = rpc;
	run.client = cl;
	n = unpaid_invoices(mon, s, cfg.payments, &run.inv);
	r->n = n;
	if (n < cfg.payments)
		fail("%s: %d unpaid invoices to pay, not %d", r->name, n,
		    cfg.payments);
	if ((run.lat_ns = calloc((size_t) n + 1, sizeof(int64_t))) == NULL ||
	    (ok_ns = calloc((size_t) n + 1, sizeof(int64_t))) == NULL ||
	    (ps = calloc((size_t) cfg.callers, sizeof(*ps))) == NULL) {
		fprintf(stderr, "bench_billing: out of memory\n");
		exit(1);
	}
	pthread_barrier_init(&run.ready, NULL, (unsigned) cfg.callers + 1);
	pthread_barrier_init(&run.go, NULL, (unsigned) cfg.callers + 1);
	pthread_barrier_init(&run.done, NULL, (unsigned) cfg.callers + 1);
	pthread_barrier_init(&run.close, NULL, (unsigned) cfg.callers + 1);
	for (int i = 0; i < cfg.callers; i++) {
		ps[i].run = &run;
		ps[i].lo = (int) ((int64_t) n * i / cfg.callers);
		ps[i].hi = (int) ((int64_t) n * (i + 1) / cfg.callers);
		if (pthread_create(&ps[i].thread, NULL, payer_main, &ps[i]) !=
		    0) {
			fprintf(stderr, "bench_billing: pthread_create\n");
			exit(1);
		}
	}
	pthread_barrier_wait(&run.ready);
	cpu_mark_take(mon, &m0);
	t0 = bench_mono_ns();
	pthread_barrier_wait(&run.go);
	pthread_barrier_wait(&run.done);
	r->secs = secs_since(t0);
	cpu_mark_take(mon, &m1);
	r->cpu = cpu_since(&m0, &m1);
	pthread_barrier_wait(&run.close);
	for (int i = 0; i < cfg.callers; i++) {
		pthread_join(ps[i].thread, NULL);
		r->errors += ps[i].errors;
		if (!ps[i].ok)
			r->errors += (uint64_t) (ps[i].hi - ps[i].lo);
		if (ps[i].err[0] != '\0')
			bench_set_err(r->err, sizeof(r->err), "%s", ps[i].err);
	}
	/* Callers that failed to start left zeros: not counted. */
	for (int c = 0; c < cfg.callers; c++)
		for (int i = ps[c].lo; ps[c].ok && i < ps[c].hi; i++)
			if (run.lat_ns[i] >= 0)
				ok_ns[k++] = run.lat_ns[i];
	r->done = k;
	qsort(ok_ns, (size_t) k, sizeof(*ok_ns), cmp_i64);
	r->p50_ms = percentile_ms(ok_ns, k, 0.50);
	r->p99_ms = percentile_ms(ok_ns, k, 0.99);
	if (r->errors > 0)
		fail("%s: %" PRIu64 " payments failed: %s", r->name, r->errors,
		    r->err);
	pthread_barrier_destroy(&run.ready);
	pthread_barrier_destroy(&run.go);
	pthread_barrier_destroy(&run.done);
	pthread_barrier_destroy(&run.close);
	free(ps);
	free(ok_ns);
	free(run.lat_ns);
	free(run.inv);
}

static void
print_pay(const pay_row *r)
{
	char b[16], s[16], p[16];

	fmt_cpu(b, sizeof(b), per_op(r->cpu.bench, r->done));
	fmt_cpu(s, sizeof(s), per_op(r->cpu.srv, r->done));
	fmt_cpu(p, sizeof(p), per_op(r->cpu.pg, r->done));
	printf("%-13s %7d %8d %7.2f %7.2f %10.0f  %6s %6s %6s\n", r->name,
	    cfg.callers, r->done, r->p50_ms, r->p99_ms,
	    r->secs > 0 ? (double) r->done / r->secs : 0, b,
	    r->name[1] == 'a' ? s : "-", p);
	fflush(stdout);
}

static void
payments(billing_client *cl, PGconn *mon, pay_row *a, pay_row *b)
{
	printf("\npayments: %d invoices of each set paid in full, %d "
	       "callers, a slice each\n",
	    cfg.payments, cfg.callers);
	printf("  (a) Payments.Create (card) through one shared "
	       "billing_client\n");
	printf("  (b) a connection per caller; BEGIN, INSERT INTO payments, "
	       "UPDATE invoices,\n      COMMIT\n");
	printf("%-13s %7s %8s %7s %7s %10s  %6s %6s %6s\n", "case", "callers",
	    "payments", "p50 ms", "p99 ms", "payments/s", "bench", "server",
	    "pg");
	printf("%-13s %7s %8s %7s %7s %10s  %-20s\n", "", "", "", "", "", "",
	    "(cpu us per payment)");
	a->name = "(a) Create";
	b->name = "(b) libpq SQL";
	settle_db(mon);
	pay(cl, mon, &sides[0], true, a);
	print_pay(a);
	settle_db(mon);
	pay(NULL, mon, &sides[1], false, b);
	print_pay(b);
	if (a->done > 0 && b->done > 0 && a->secs > 0 && b->secs > 0)
		printf("  (a) %.0f%% of (b)'s payments/s; p50 %.2fx (b)'s\n",
		    100.0 * ((double) a->done / a->secs) /
		        ((double) b->done / b->secs),
		    b->p50_ms > 0 ? a->p50_ms / b->p50_ms : 0);
}

/* ---- the checks ------------------------------------------------------- */

/* $1 plan, $2 the end of the renewed period (wall time in TZ). */
static const char VERIFY_SIDE[] =
    "WITH i AS (SELECT i.* FROM invoices i"
    "   JOIN subscriptions s ON s.id = i.subscription_id"
    "   WHERE s.plan_id = $1::bigint),"
    " n AS (SELECT substr(number, 10)::bigint AS no FROM i)"
    " SELECT (SELECT count(*) FROM i),"
    "  (SELECT count(DISTINCT subscription_id) FROM i),"
    "  (SELECT count(*) FROM invoice_items it"
    "    WHERE it.invoice_id IN (SELECT id FROM i)),"
    "  (SELECT count(*) FROM events e WHERE e.object_type = 'invoice'"
    "    AND e.type = 'invoice.created'"
    "    AND e.object_id IN (SELECT id FROM i))"
    "  + (SELECT count(*) FROM events e"
    "    WHERE e.object_type = 'subscription'"
    "    AND e.type = 'subscription.renewed'"
    "    AND e.object_id IN (SELECT id FROM subscriptions"
    "      WHERE plan_id = $1::bigint)),"
    "  (SELECT count(*) FROM subscriptions WHERE plan_id = $1::bigint"
    "    AND current_period_end = $2::timestamp AT TIME ZONE " TZ "),"
    "  (SELECT coalesce(sum(total_minor), 0) FROM i),"
    "  (SELECT min(no) FROM n), (SELECT max(no) FROM n),"
    "  (SELECT count(DISTINCT no) FROM n),"
    "  (SELECT count(*) FROM i WHERE status = 'paid'),"
    "  (SELECT count(*) FROM payments p WHERE p.status = 'success'"
    "    AND p.invoice_id IN (SELECT id FROM i)),"
    "  (SELECT count(*) FROM payments p JOIN i ON i.id = p.invoice_id"
    "    WHERE i.status <> 'paid')";

static const char VERIFY_ALL[] =
    "SELECT count(*), count(DISTINCT number), min(no), max(no),"
    " (SELECT last_no FROM invoice_sequences WHERE year = 2016)"
    " FROM (SELECT number, substr(number, 10)::bigint AS no"
    "   FROM invoices WHERE number LIKE 'INV-2016-%') n";

static void
verify_side(PGconn *mon, const side *s, const char *name, int paid)
{
	const char *p[2] = { s->plan_text, s->next };
	int64_t v[12], n = cfg.subs;
	PGresult *res = sql(mon, VERIFY_SIDE, 2, p);
	bool ok;

	for (int i = 0; i < 12; i++)
		v[i] = get_int(res, 0, i);
	PQclear(res);
	ok = v[0] == n && v[1] == n && v[2] == n && v[3] == 2 * n &&
	    v[4] == n && v[8] == n && v[7] - v[6] + 1 == n && v[9] == paid &&
	    v[10] == paid && v[11] == 0;
	printf("  %-3s %8" PRId64 " %7" PRId64 " %7" PRId64 " %7" PRId64
	       " %6" PRId64 " %8" PRId64 " %10.2f  %" PRId64 "..%" PRId64
	       " %s\n",
	    name, v[0], v[2], v[3], v[4], v[9], v[10], (double) v[5] / 100,
	    v[6], v[7], ok ? "OK" : "WRONG");
	if (!ok)
		fail("set %c: expected %" PRId64 " invoices of as many "
		     "subscriptions, items and periods, twice as many "
		     "events, gapless numbers, %d paid by as many payments, "
		     "no payment of an unpaid invoice",
		    s->tag, n, paid);
}

static void
verify(PGconn *mon, const pay_row *a, const pay_row *b)
{
	PGresult *res;
	int64_t v[5];
	bool ok;

	printf("\nchecks (not timed):\n");
	printf("  %-3s %8s %7s %7s %7s %6s %8s %10s  %s\n", "set", "invoices",
	    "items", "events", "periods", "paid", "payments", "total EUR",
	    "numbers");
	verify_side(mon, &sides[0], "(a)", a->done);
	verify_side(mon, &sides[1], "(b)", b->done);
	res = sql(mon, VERIFY_ALL, 0, NULL);
	for (int i = 0; i < 5; i++)
		v[i] = get_int(res, 0, i);
	PQclear(res);
	ok = v[0] == 2 * (int64_t) cfg.subs && v[1] == v[0] && v[2] == 1 &&
	    v[3] == v[0] && v[4] == v[3];
	printf("  all invoice numbers of 2016: %" PRId64 ", %" PRId64
	       " distinct, %" PRId64 "..%" PRId64 ";\n"
	       "    invoice_sequences at %" PRId64 ": %s\n",
	    v[0], v[1], v[2], v[3], v[4], ok ? "gapless, OK" : "WRONG");
	if (!ok)
		fail("the invoice numbers are not 1..%d without gaps",
		    2 * cfg.subs);
}

/* ---- main ------------------------------------------------------------- */

static void
usage(void)
{
	fprintf(stderr,
	    "usage: bench_billing --db URL --server URL [options]\n"
	    "  --db URL             PostgreSQL (the server's database)\n"
	    "  --server URL         billing-server, started with "
	    "--test-clock\n"
	    "  --server-pid PID     its pid, for its CPU time\n"
	    "  --subscriptions N    due subscriptions per set (default "
	    "100000)\n"
	    "  --payments N         payments per set (default 20000)\n"
	    "  --callers N          payment threads (default 8)\n");
}

static int
parse_args(int argc, char **argv)
{
	cfg.subs = 100000;
	cfg.payments = 20000;
	cfg.callers = 8;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--help") == 0)
			return (-1);
		if (v == NULL) {
			fprintf(
			    stderr, "bench_billing: %s needs a value\n", a);
			return (-1);
		}
		i++;
		if (strcmp(a, "--db") == 0)
			cfg.db_url = v;
		else if (strcmp(a, "--server") == 0)
			cfg.server_url = v;
		else if (strcmp(a, "--server-pid") == 0)
			cfg.server_pid = strtol(v, NULL, 10);
		else if (strcmp(a, "--subscriptions") == 0)
			cfg.subs = atoi(v);
		else if (strcmp(a, "--payments") == 0)
			cfg.payments = atoi(v);
		else if (strcmp(a, "--callers") == 0)
			cfg.callers = atoi(v);
		else {
			fprintf(
			    stderr, "bench_billing: unknown option %s\n", a);
			return (-1);
		}
	}
	if (cfg.db_url == NULL || cfg.server_url == NULL || cfg.subs < 1 ||
	    cfg.payments < 0 || cfg.callers < 1 || cfg.callers > MAX_CALLERS) {
		fprintf(stderr,
		    "bench_billing: --db and --server are required; "
		    "--subscriptions >= 1, --callers 1 to %d\n",
		    MAX_CALLERS);
		return (-1);
	}
	if (cfg.payments > cfg.subs)
		cfg.payments = cfg.subs;
	return (0);
}

static billing_client *
client_open(void)
{
	billing_status st = BILLING_STATUS_INIT;
	billing_client *cl;
	int64_t until;

	if (billing_client_open(&cl, cfg.server_url, NULL, &st) != 0) {
		fprintf(stderr, "bench_billing: client: %s\n",
		    st.message != NULL ? st.message : "?");
		exit(1);
	}
	until = bench_mono_ns() + (int64_t) CONNECT_WAIT_MS * 1000000;
	while (billing_client_connected(cl) == 0 && bench_mono_ns() < until) {
		struct timespec ts = { 0, 5000000 };

		nanosleep(&ts, NULL);
	}
	if (billing_client_connected(cl) == 0) {
		fprintf(stderr, "bench_billing: no server at %s\n",
		    cfg.server_url);
		exit(1);
	}
	return (cl);
}

int
main(int argc, char **argv)
{
	cycle a = { 0 }, b = { 0 };
	pay_row pa = { 0 }, pb = { 0 };
	billing_client *cl;
	PGconn *mon, *base;
	double rate;

	setvbuf(stdout, NULL, _IOLBF, 0);
	cfg.clk_tck = sysconf(_SC_CLK_TCK);
	if (parse_args(argc, argv) != 0) {
		usage();
		return (2);
	}
	printf("bench_billing:");
	for (int i = 0; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\n");
	mon = pg_open();
	base = pg_open();
	/*
	 * The renewals' statement is estimated far above jit_above_cost
	 * (a merge join of CTEs it cannot size), and compiling it takes
	 * about a second that has nothing to do with the rows it writes.
	 */
	sql_do(base, "SET jit = off");
	cl = client_open();
	setup(mon);
	printf("  (a) billing-server pid %ld, through libbilling-client at\n"
	       "      %s\n"
	       "  (b) libpq on the server's database URL, text parameters; "
	       "the renewals'\n"
	       "      statement with jit off (compiling it costs ~1 s, "
	       "nothing to do with rows)\n"
	       "  before each timed step: VACUUM ANALYZE, CHECKPOINT (not "
	       "timed)\n"
	       "  cpu: user+system time of billing-server and of "
	       "PostgreSQL's client backends\n",
	    cfg.server_pid, cfg.server_url);

	billing_run(cl, base, mon, &a, &b);
	if (cfg.payments > 0)
		payments(cl, mon, &pa, &pb);
	verify(mon, &pa, &pb);

	printf("\ntargets:\n");
	if (a.ok && a.secs > 0) {
		rate = (double) a.renewed / a.secs;
		printf(
		    "  renewals: (a) %.0f/s >= %d/s: %s (%.0f%%); the floor "
		    "(b): %.0f/s\n",
		    rate, TARGET_RENEWALS_S,
		    rate >= TARGET_RENEWALS_S ? "PASS" : "MISS",
		    100.0 * rate / TARGET_RENEWALS_S,
		    b.ok && b.secs > 0 ? (double) b.renewed / b.secs : 0);
	} else
		printf("  renewals: not measured ((a) failed)\n");

	billing_client_close(cl);
	PQfinish(base);
	PQfinish(mon);
	if (failures > 0)
		printf("\nbench_billing: %d FAILURE%s (see FAIL above)\n",
		    failures, failures > 1 ? "S" : "");
	return (failures > 0);
}
