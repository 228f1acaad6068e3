/*
 * cron.c: cron.php: the billing run at now, synchronously (GET or POST).
 */
#include "check.h"
#include "render.h"

/* A run over many subscriptions takes time; the bridge waits for it. */
#define RUN_TIMEOUT_MS (10 * 60 * 1000)

static envelope
cron_run(breq *r)
{
	Billing__V1__RunCycleRequest req =
	    BILLING__V1__RUN_CYCLE_REQUEST__INIT;
	Billing__V1__RunCycleResponse *resp = NULL;
	billing_status st = BILLING_STATUS_INIT;
	billing_call_opts o = r->opts;
	envelope e;

	o.timeout_ms = RUN_TIMEOUT_MS;
	if (billing_billing_run_cycle(r->client, &req, &resp, &o, &st) != 0)
		e = envelope_rpc_error(&st);
	else {
		e = envelope_ok(render_run_counts(resp));
		billing__v1__run_cycle_response__free_unpacked(resp, NULL);
	}
	billing_status_fini(&st);
	return (e);
}

const baction cron_actions[] = {
	{ "run", false, cron_run },
	{ NULL, false, NULL },
};
