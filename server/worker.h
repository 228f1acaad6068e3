/*
 * worker: background jobs from the jobs table (the scheduled billing
 * run, the purge of expired idempotency keys).
 *
 * Each job thread, on every tick, enqueues the jobs of the schedule
 * (idempotently: a job's dedupe_key names its time slot, so any number
 * of threads and processes enqueue each slot once), then claims one due
 * job with FOR UPDATE SKIP LOCKED and holds that row lock while it works
 * on a second connection. Several workers on several machines share the
 * queue; a worker that dies releases its job with its connection, and
 * the job is due again at once. A failed job is retried with exponential
 * backoff until max_attempts, then marked failed.
 */
#ifndef SERVER_WORKER_H
#define SERVER_WORKER_H

#include "config.h"

typedef struct worker worker;

/* Starts cfg->job_workers threads (none for 0). 0 or -1. */
int worker_start(worker **out, const srv_config *cfg);

/* Stops the threads after the job each is working on. */
void worker_stop(worker *w);

#endif /* SERVER_WORKER_H */
