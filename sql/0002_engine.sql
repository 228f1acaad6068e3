-- 0002: the billing engine: the run's guard against double billing,
-- idempotency keys, billing run records and the jobs queue.

-- The billing run issues one invoice per subscription period. It
-- re-checks each subscription under a row lock, and this index backs
-- that up: an invoice of the run records the instant its period starts,
-- and a second invoice for the same period of the same subscription is
-- a unique violation, whatever went wrong above. Invoices issued by
-- calls (create, change of plan) leave it NULL: a change of plan may
-- start a period at the same second as the one it replaces.
ALTER TABLE invoices ADD COLUMN run_period_start timestamptz;
CREATE UNIQUE INDEX invoices_run_period ON invoices
    (subscription_id, run_period_start) WHERE run_period_start IS NOT NULL;

-- Idempotency: the first call with a key stores its response in its own
-- transaction, so the key exists exactly when the call's effects do. A
-- second call with the key waits on the primary key while the first is
-- in flight, then finds the stored response.
CREATE TABLE idempotency_keys (
    key           text PRIMARY KEY CHECK (octet_length(key) BETWEEN 1 AND 255),
    method        text NOT NULL,
    request_hash  bytea NOT NULL,
    response      bytea,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL
);
CREATE INDEX idempotency_keys_expires ON idempotency_keys (expires_at);

-- One row per billing run. The counts are added by each batch in the
-- batch's own transaction, so they stay exact when a run is killed.
CREATE TABLE billing_runs (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    trigger           text NOT NULL CHECK (trigger IN ('rpc', 'schedule')),
    run_now           timestamptz NOT NULL,
    status            text NOT NULL DEFAULT 'running'
                      CHECK (status IN ('running', 'succeeded', 'failed')),
    started_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at       timestamptz,
    trials_converted  integer NOT NULL DEFAULT 0,
    renewed           integer NOT NULL DEFAULT 0,
    cancelled         integer NOT NULL DEFAULT 0,
    past_due          integer NOT NULL DEFAULT 0,
    expired           integer NOT NULL DEFAULT 0,
    invoices_created  integer NOT NULL DEFAULT 0,
    error             text,
    job_id            bigint
);
CREATE INDEX billing_runs_started ON billing_runs (started_at, id);

-- Background work. A worker claims a due job with FOR UPDATE SKIP
-- LOCKED and holds the row lock while it works: if the worker dies, its
-- transaction ends and the job is due again at once. dedupe_key makes
-- scheduling idempotent: every worker may enqueue the same tick.
CREATE TABLE jobs (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind          text NOT NULL
                  CHECK (kind IN ('billing_run', 'purge_idempotency_keys')),
    dedupe_key    text UNIQUE,
    run_at        timestamptz NOT NULL,
    status        text NOT NULL DEFAULT 'queued'
                  CHECK (status IN ('queued', 'done', 'failed')),
    attempts      integer NOT NULL DEFAULT 0,
    max_attempts  integer NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
    last_error    text,
    worker        text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    finished_at   timestamptz
);
CREATE INDEX jobs_due ON jobs (run_at, id) WHERE status = 'queued';
