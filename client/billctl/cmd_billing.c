/*
 * cmd_billing.c: `billctl billing ...`, the Billing service: the billing
 * run and its record. The run bills at the call's now, which the global
 * --now sets when the server has its test clock on.
 */
#include "billctl.h"
#include "output.h"

static const bctl_opt RUN_OPTS[] = {
	{ .name = NULL },
};

static const bctl_opt RUNS_OPTS[] = {
	BCTL_PAGE_OPTS,
	{ .name = NULL },
};

static int
show_counts(FILE *fp, const ProtobufCMessage *resp)
{
	const Billing__V1__RunCycleResponse *r =
	    (const Billing__V1__RunCycleResponse *) resp;
	char run[24], tc[24], ren[24], can[24], pd[24], ex[24], inv[24];
	const char *const rows[][2] = {
		{ "run", out_int(run, r->has_run_id, r->run_id) },
		{ "trials_converted",
		    out_int(
		        tc, r->has_trials_converted, r->trials_converted) },
		{ "renewed", out_int(ren, r->has_renewed, r->renewed) },
		{ "cancelled", out_int(can, r->has_cancelled, r->cancelled) },
		{ "past_due", out_int(pd, r->has_past_due, r->past_due) },
		{ "expired", out_int(ex, r->has_expired, r->expired) },
		{ "invoices_created",
		    out_int(
		        inv, r->has_invoices_created, r->invoices_created) },
	};

	return (out_pairs(fp, rows, sizeof(rows) / sizeof(rows[0]), 0));
}

static void
list_row(const ProtobufCMessage *resp, size_t i, const char **cells,
    char (*buf)[OUT_CELL_BYTES])
{
	const Billing__V1__BillingRun *b =
	    ((const Billing__V1__ListRunsResponse *) resp)->runs[i];
	static const Billing__V1__RunCycleResponse none =
	    BILLING__V1__RUN_CYCLE_RESPONSE__INIT;
	const Billing__V1__RunCycleResponse *c =
	    b->counts != NULL ? b->counts : &none;

	cells[0] = out_int(buf[0], b->has_id, b->id);
	cells[1] = out_enum(buf[1], OUT_CELL_BYTES, b->has_status,
	    &billing__v1__run_status__descriptor, b->status);
	cells[2] = out_str(b->trigger);
	cells[3] = out_time(buf[3], b->has_now_us, b->now_us);
	cells[4] = out_time(buf[4], b->has_started_at_us, b->started_at_us);
	cells[5] = out_time(buf[5], b->has_finished_at_us, b->finished_at_us);
	cells[6] =
	    out_int(buf[6], c->has_trials_converted, c->trials_converted);
	cells[7] = out_int(buf[7], c->has_renewed, c->renewed);
	cells[8] = out_int(buf[8], c->has_cancelled, c->cancelled);
	cells[9] = out_int(buf[9], c->has_past_due, c->past_due);
	cells[10] = out_int(buf[10], c->has_expired, c->expired);
	cells[11] =
	    out_int(buf[11], c->has_invoices_created, c->invoices_created);
	cells[12] = out_str(b->error);
}

static int
show_runs(FILE *fp, const ProtobufCMessage *resp)
{
	static const char *const headers[] = { "ID", "STATUS", "TRIGGER",
		"NOW", "STARTED", "FINISHED", "TRIALS", "RENEWED", "CANCELLED",
		"PAST_DUE", "EXPIRED", "INVOICES", "ERROR" };
	const Billing__V1__ListRunsResponse *r =
	    (const Billing__V1__ListRunsResponse *) resp;

	return (out_list(fp, headers, 13, resp, r->n_runs, r->page, list_row));
}

static const bctl_cmd CMDS[] = {
	{ "run",
	    "Runs the billing cycle at now (billctl --now T billing run: at "
	    "T)",
	    &billing_method_billing_run_cycle, RUN_OPTS, NULL, show_counts,
	    NULL, NULL, NULL },
	{ "runs", "Lists the billing runs, on demand and scheduled",
	    &billing_method_billing_list_runs, RUNS_OPTS, NULL, show_runs,
	    NULL, NULL, NULL },
	{ .name = NULL },
};

const bctl_group billing_group = {
	.name = "billing",
	.summary = "The billing run: renewals, trial ends, dunning",
	.cmds = CMDS,
};
