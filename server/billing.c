/*
 * billing.c: the Billing service: RunCycle (the legacy cron's run, and
 * the operators') and ListRuns.
 *
 * RunCycle commits its batches on a second connection beside the call's
 * own transaction. The call's transaction holds only the idempotency key
 * (when given), so a retry with the key waits for a run in flight and
 * then gets its counts, while a server killed mid-run loses only its
 * open batch: the retry then bills the rest.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "billing_run.h"
#include "handlers.h"
#include "page.h"

/* What one batch of a run may allocate. */
#define RUN_ARENA_LIMIT ((size_t) 512 * 1024 * 1024)

#define RUN_COLS                                                          \
	"id, status, billing_us(run_now), billing_us(started_at),"        \
	" billing_us(finished_at), trials_converted, renewed, cancelled," \
	" past_due, expired, invoices_created, error, trigger"

/* Newest first. */
static const db_stmt LIST_RUNS = { "billing_list_runs",
	"SELECT t.total, r.* FROM (SELECT count(*) AS total FROM "
	"billing_runs) t"
	" LEFT JOIN LATERAL (SELECT " RUN_COLS " FROM billing_runs"
	"   WHERE ($1 = 0 OR id < $1) ORDER BY id DESC LIMIT $2 OFFSET $3) r"
	" ON true" };

static Billing__V1__RunCycleResponse *
counts_msg(srv_call *call, const run_counts *c, int64_t run_id)
{
	Billing__V1__RunCycleResponse *r = call_new(call,
	    billing__v1__run_cycle_response, Billing__V1__RunCycleResponse);

	if (r == NULL)
		return (NULL);
	r->has_trials_converted = r->has_renewed = r->has_cancelled = 1;
	r->has_past_due = r->has_expired = r->has_invoices_created = 1;
	r->trials_converted = c->trials_converted;
	r->renewed = c->renewed;
	r->cancelled = c->cancelled;
	r->past_due = c->past_due;
	r->expired = c->expired;
	r->invoices_created = c->invoices_created;
	if ((r->has_run_id = run_id > 0))
		r->run_id = run_id;
	return (r);
}

/* One participant of a run: its own connection, memory and counts. */
typedef struct participant {
	srv_call side;
	arena a;
	int64_t run_id;
	int batch;
	run_counts c;
	int rv;
	pthread_t tid;
	atomic_bool *stop; /* shared: one participant's failure ends all */
} participant;

static void
participant_init(participant *pt, const srv_call *call)
{
	memset(pt, 0, sizeof(*pt));
	arena_init(&pt->a, RUN_ARENA_LIMIT);
	pt->side.method = call->method;
	pt->side.request_id = call->request_id;
	pt->side.env = call->env;
	pt->side.start_us = call->start_us;
	pt->side.deadline_us = call->deadline_us;
	pt->side.now_us = call->now_us;
	pt->side.arena = &pt->a;
	pt->side.pool = call->pool;
	pt->side.cfg = call->cfg;
	pt->side.db = db_pool_take(call->pool);
	pt->batch = call->cfg->run_batch;
}

static void
participant_fini(participant *pt)
{
	call_release_results(&pt->side);
	billing_status_fini(&pt->side.status);
	db_pool_give(pt->side.pool, pt->side.db);
	arena_fini(&pt->a);
}

static void *
participant_main(void *arg)
{
	participant *pt = arg;

	if ((pt->rv = db_ensure(pt->side.db, &pt->side.status)) == 0)
		pt->rv = billing_run_execute(
		    &pt->side, pt->run_id, pt->batch, pt->stop, &pt->c);
	if (pt->rv != 0)
		atomic_store(pt->stop, true);
	return (NULL);
}

/*
 * A large run goes on with --run-parallel participants at once, each
 * with its own connection: they share the subscriptions through SKIP
 * LOCKED (see billing_run.h), so PostgreSQL works on two batches at a
 * time on two cores, and they wait for each other only on the invoice
 * sequence. Their batches interleave, so the invoice numbers of such a
 * run do not follow subscription ids; a run with fewer than two batches
 * due has one participant and numbers in id order, as the legacy cron
 * did.
 */
static int
billing_run_cycle(srv_call *call, const Billing__V1__RunCycleRequest *req,
    Billing__V1__RunCycleResponse **out)
{
	participant pts[CONFIG_MAX_RUN_PARALLEL];
	int n = call->cfg->run_parallel, started = 1, rv;
	int64_t run_id = 0, due = 0;
	int n_init;
	atomic_bool stop;
	run_counts c;

	(void) req;
	atomic_init(&stop, false);
	for (int i = 0; i < n; i++) {
		participant_init(&pts[i], call);
		pts[i].stop = &stop;
	}
	n_init = n;
	if ((rv = db_ensure(pts[0].side.db, &pts[0].side.status)) == 0 &&
	    n > 1 &&
	    (rv = billing_run_due(
	         &pts[0].side, 2 * (int64_t) pts[0].batch, &due)) == 0 &&
	    due < 2 * (int64_t) pts[0].batch)
		n = 1;
	if (rv == 0 &&
	    (rv = billing_run_open(&pts[0].side, "rpc", 0, &run_id)) == 0) {
		for (int i = 0; i < n; i++)
			pts[i].run_id = run_id;
		for (; started < n; started++)
			if (pthread_create(&pts[started].tid, NULL,
			        participant_main, &pts[started]) != 0)
				break;
		participant_main(&pts[0]);
		for (int i = 1; i < started; i++)
			pthread_join(pts[i].tid, NULL);
	}
	memset(&c, 0, sizeof(c));
	for (int i = 0; i < started && rv == 0; i++)
		run_counts_add(&c, &pts[i].c);
	/* The first real failure is the answer; the others were stopped. */
	for (int i = 0; i < started && rv == 0; i++) {
		const billing_status *st = &pts[i].side.status;

		if (pts[i].rv != 0 && pts[i].rv != BILLING_CANCELLED)
			rv = call_error(call, st->code, st->reason, "%s",
			    st->message != NULL ? st->message
			                        : "billing run failed");
	}
	for (int i = 0; i < started && rv == 0; i++)
		if (pts[i].rv != 0)
			rv = call_error(call, BILLING_CANCELLED, NULL,
			    "the billing run was stopped before its end");
	if (rv != 0 && call->status.code == BILLING_OK) {
		const billing_status *st = &pts[0].side.status;

		call_error(call, st->code, st->reason, "%s",
		    st->message != NULL ? st->message : "billing run failed");
	}
	if (run_id > 0)
		billing_run_close(&pts[0].side, run_id,
		    rv == 0                            ? NULL
		        : call->status.message != NULL ? call->status.message
		                                       : "failed");
	if (rv == 0 && (*out = counts_msg(call, &c, run_id)) == NULL)
		rv = call_oom(call);
	for (int i = 0; i < n_init; i++)
		participant_fini(&pts[i]);
	return (rv);
}

static Billing__V1__BillingRun *
run_from_row(srv_call *call, const PGresult *res, int row)
{
	Billing__V1__BillingRun *m =
	    call_new(call, billing__v1__billing_run, Billing__V1__BillingRun);
	run_counts c;
	const char *st;

	if (m == NULL)
		return (NULL);
	m->has_id = m->has_status = m->has_now_us = m->has_started_at_us = 1;
	m->id = call_int64(res, row, 1);
	st = call_text(res, row, 2);
	m->status = strcmp(st, "running") == 0
	    ? BILLING__V1__RUN_STATUS__RUN_STATUS_RUNNING
	    : strcmp(st, "succeeded") == 0
	    ? BILLING__V1__RUN_STATUS__RUN_STATUS_SUCCEEDED
	    : BILLING__V1__RUN_STATUS__RUN_STATUS_FAILED;
	m->now_us = call_int64(res, row, 3);
	m->started_at_us = call_int64(res, row, 4);
	if ((m->has_finished_at_us = !call_isnull(res, row, 5)))
		m->finished_at_us = call_int64(res, row, 5);
	c.trials_converted = (int) call_int64(res, row, 6);
	c.renewed = (int) call_int64(res, row, 7);
	c.cancelled = (int) call_int64(res, row, 8);
	c.past_due = (int) call_int64(res, row, 9);
	c.expired = (int) call_int64(res, row, 10);
	c.invoices_created = (int) call_int64(res, row, 11);
	m->counts = counts_msg(call, &c, 0);
	m->error = (char *) call_text(res, row, 12);
	m->trigger = (char *) call_text(res, row, 13);
	return (m->counts != NULL ? m : NULL);
}

static int
billing_list_runs(srv_call *call, const Billing__V1__ListRunsRequest *req,
    Billing__V1__ListRunsResponse **out)
{
	Billing__V1__ListRunsResponse *r;
	page_req pg;
	PGresult *res;
	int rv, n;

	if ((rv = page_parse(call, req->page, &pg)) != 0)
		return (rv);
	const char *p[3] = { pg.cursor_text, pg.fetch_text, pg.offset_text };
	if ((rv = call_query(call, &LIST_RUNS, 3, p, &res)) != 0)
		return (rv);
	r = call_new(call, billing__v1__list_runs_response,
	    Billing__V1__ListRunsResponse);
	if (r == NULL ||
	    (n = page_items(
	         call, &pg, res, sizeof(*r->runs), (void **) &r->runs)) < 0)
		return (call_oom(call));
	for (int i = 0; i < n; i++)
		if ((r->runs[i] = run_from_row(call, res, i)) == NULL)
			return (call_oom(call));
	r->n_runs = (size_t) n;
	r->page = page_info(call, &pg, res, n > 0 ? r->runs[n - 1]->id : 0);
	*out = r;
	return (0);
}

const billing_billing_impl billing_impl = {
	.run_cycle = billing_run_cycle,
	.list_runs = billing_list_runs,
};
