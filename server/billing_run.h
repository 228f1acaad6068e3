/*
 * billing_run: the billing run at a given now (API.md section 5), shared
 * by Billing.RunCycle and the background worker.
 *
 * The run goes through its phases in the contract's order (trials,
 * renewals, dunning) in batches of subscriptions, one transaction per
 * batch. A batch takes its subscriptions with FOR UPDATE SKIP LOCKED,
 * in id order, so that runs at the same time share the work instead of
 * waiting on each other; when nothing unlocked is left, a last pass
 * takes the rest with a plain FOR UPDATE, which waits for the other
 * run's batch and then re-checks each row, so nothing due is left out.
 * Every transition is applied under the row lock to the row as it is
 * then, so a period is billed once however many runs overlap (and the
 * invoices_run_period unique index refuses a second invoice for it), and
 * killing a run loses at most its open batch, which the next run redoes.
 *
 * Each batch adds its counts to the billing_runs row in the same
 * transaction, so the run's record stays exact after a crash.
 */
#ifndef SERVER_BILLING_RUN_H
#define SERVER_BILLING_RUN_H

#include <stdatomic.h>

#include "call.h"

typedef struct run_counts {
	int trials_converted, renewed, cancelled, past_due, expired,
	    invoices_created;
} run_counts;

/* to += c, count by count. */
void run_counts_add(run_counts *to, const run_counts *c);

/*
 * Opens a billing_runs record (committed at once) for a run at
 * call->now_us. trigger is "rpc" or "schedule"; job_id 0 for none.
 */
int billing_run_open(
    srv_call *call, const char *trigger, int64_t job_id, int64_t *run_id);

/*
 * Runs the billing run at call->now_us on call->db, which must not be in
 * a transaction; commits each batch of batch_size subscriptions. The
 * call's arena is reset after each batch. *out holds the counts of the
 * batches this call committed, also when it fails part way. When *stop
 * becomes true (may be NULL), the run ends after its current batch with
 * CANCELLED: a participant that failed stops the others, and a stopping
 * server stops its runs.
 */
int billing_run_execute(srv_call *call, int64_t run_id, int batch_size,
    const atomic_bool *stop, run_counts *out);

/*
 * How many trials and periods are due at call->now_us, counting each
 * phase up to limit (a run decides from it whether to go parallel).
 */
int billing_run_due(srv_call *call, int64_t limit, int64_t *n);

/* Closes the record: succeeded (error NULL), or failed with error. */
int billing_run_close(srv_call *call, int64_t run_id, const char *error);

#endif /* SERVER_BILLING_RUN_H */
