-- 0003: leaner indexes for the billing run.
--
-- UNIQUE (customer_id, id) on subscriptions and invoices already gives
-- an index leading with customer_id; the separate (customer_id, id)
-- indexes only cost every insert another index entry.
DROP INDEX subscriptions_customer;
DROP INDEX invoices_customer;

-- A renewal moves a subscription's period and changes nothing else that
-- is indexed, so PostgreSQL can update the row in place (a HOT update:
-- no new index entries) when the page has room. An index on
-- current_period_end would rule that out for every renewal; the run
-- finds due periods by scanning subscriptions in id order instead (it
-- pages by id anyway), and the free space left on each page keeps the
-- updates on the page.
DROP INDEX subscriptions_period_due;
ALTER TABLE subscriptions SET (fillfactor = 80);

-- One index on invoices (subscription_id, run_period_start) both serves
-- the lookups by subscription and refuses a second invoice of the run
-- for one period: invoices of calls have a NULL run_period_start, and
-- NULLs never collide in a unique index.
DROP INDEX invoices_subscription;
DROP INDEX invoices_run_period;
CREATE UNIQUE INDEX invoices_run_period ON invoices
    (subscription_id, run_period_start);
