/*
 * worker.c: see worker.h.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../rules/caltime.h"
#include "../util/log.h"
#include "billing_run.h"
#include "call.h"
#include "idempotency.h"
#include "worker.h"

#define POLL_MS 1000
#define JOB_DEADLINE_US (INT64_C(3600) * US_PER_SEC)
#define PURGE_EVERY_S 3600
#define BACKOFF_MAX_S_TEXT "3600"
#define JOB_ARENA_LIMIT ((size_t) 512 * 1024 * 1024)

/* $1 kind, $2 slot start (seconds since the epoch). */
static const db_stmt ENQUEUE = { "jobs_enqueue",
	"INSERT INTO jobs (kind, dedupe_key, run_at)"
	" VALUES ($1, $1 || '@' || $2::text, to_timestamp($2::bigint))"
	" ON CONFLICT (dedupe_key) DO NOTHING" };

/*
 * Claiming counts the attempt before any work, in its own committed
 * statement, and moves run_at past the attempt's backoff: a worker that
 * dies mid-job (killed, out of memory) has used an attempt, and the job
 * is due again after the backoff, until max_attempts is spent. A job
 * claimed with no attempt left is failed instead of run.
 */
static const db_stmt CLAIM = { "jobs_claim",
	"UPDATE jobs SET attempts = attempts + 1, worker = $1,"
	" run_at = clock_timestamp() + make_interval(secs =>"
	"   least(2 ^ least(attempts + 1, 12), " BACKOFF_MAX_S_TEXT ")),"
	" status = CASE WHEN attempts >= max_attempts THEN 'failed'"
	"   ELSE status END,"
	" finished_at = CASE WHEN attempts >= max_attempts"
	"   THEN clock_timestamp() END,"
	" last_error = CASE WHEN attempts >= max_attempts"
	"   THEN coalesce(last_error, 'no attempt left') ELSE last_error END"
	" WHERE id = (SELECT id FROM jobs WHERE status = 'queued'"
	"   AND run_at <= now() ORDER BY run_at, id LIMIT 1"
	"   FOR UPDATE SKIP LOCKED)"
	" RETURNING id, kind, attempts, status" };

/* While it works, a worker holds its job's row: SKIP LOCKED skips it. */
static const db_stmt HOLD = { "jobs_hold",
	"SELECT id FROM jobs WHERE id = $1 FOR UPDATE" };

static const db_stmt DONE = { "jobs_done",
	"UPDATE jobs SET status = 'done', finished_at = clock_timestamp(),"
	" last_error = NULL WHERE id = $1" };

/*
 * Back to the queue 2^attempts seconds after the failure (not the
 * claim: a run may have worked for minutes), or failed for good.
 */
static const db_stmt FAILED = { "jobs_failed",
	"UPDATE jobs SET last_error = $2,"
	" status = CASE WHEN attempts >= max_attempts THEN 'failed'"
	"   ELSE 'queued' END,"
	" run_at = clock_timestamp() + make_interval(secs =>"
	"   least(2 ^ least(attempts, 12), " BACKOFF_MAX_S_TEXT ")),"
	" finished_at = CASE WHEN attempts >= max_attempts"
	"   THEN clock_timestamp() END"
	" WHERE id = $1" };

typedef struct job_thread {
	worker *w;
	int id;
	pthread_t tid;
	db_conn queue; /* holds the claimed job's row lock */
	db_conn work;  /* the job's own transactions */
	arena arena;
	char name[96];
} job_thread;

struct worker {
	const srv_config *cfg;
	atomic_bool stop;
	pthread_mutex_t mtx;
	pthread_cond_t cv;
	job_thread *threads;
	int n;
};

/* A call-like context for statements outside an RPC. */
static void
job_call(job_thread *t, srv_call *c, db_conn *db, const char *rid)
{
	memset(c, 0, sizeof(*c));
	c->request_id = rid;
	c->start_us = db_now_us();
	c->now_us = c->start_us - c->start_us % US_PER_SEC;
	c->deadline_us = c->start_us + JOB_DEADLINE_US;
	c->arena = &t->arena;
	c->db = db;
	c->cfg = t->w->cfg;
}

static void
job_call_end(srv_call *c)
{
	call_release_results(c);
	billing_status_fini(&c->status);
	arena_reset(c->arena);
}

static int
enqueue(srv_call *c, const char *kind, int every_s)
{
	int64_t now_s = c->now_us / US_PER_SEC;
	char slot[21];
	const char *p[2] = { kind,
		call_fmt_int64(slot, now_s - now_s % every_s) };
	PGresult *res;

	return (call_query(c, &ENQUEUE, 2, p, &res));
}

static void
schedule(job_thread *t)
{
	const srv_config *cfg = t->w->cfg;
	srv_call c;
	int rv;

	job_call(t, &c, &t->queue, "scheduler");
	if ((rv = db_ensure(c.db, &c.status)) == 0 && cfg->schedule_s > 0)
		rv = enqueue(&c, "billing_run", cfg->schedule_s);
	if (rv == 0)
		rv = enqueue(&c, "purge_idempotency_keys", PURGE_EVERY_S);
	if (rv != 0)
		log_printf(LOG_WARN,
		    "msg=\"cannot enqueue scheduled jobs\" error=\"%s\"",
		    c.status.message != NULL ? c.status.message : "");
	job_call_end(&c);
}

/* Runs the job on the work connection; 0 or a status code in *st. */
static int
run_job(job_thread *t, int64_t job_id, const char *kind, billing_status *st)
{
	srv_call c;
	char rid[48];
	int rv;

	snprintf(rid, sizeof(rid), "job-%" PRId64, job_id);
	job_call(t, &c, &t->work, rid);
	if ((rv = db_ensure(c.db, &c.status)) != 0)
		goto out;
	if (strcmp(kind, "billing_run") == 0) {
		int64_t run_id;
		run_counts n;

		if ((rv = billing_run_open(&c, "schedule", job_id, &run_id)) !=
		    0)
			goto out;
		rv = billing_run_execute(
		    &c, run_id, t->w->cfg->run_batch, &t->w->stop, &n);
		billing_run_close(&c, run_id,
		    rv == 0                        ? NULL
		        : c.status.message != NULL ? c.status.message
		                                   : "failed");
		log_printf(rv == 0 ? LOG_INFO : LOG_ERROR,
		    "msg=\"billing run\" job=%" PRId64 " run=%" PRId64
		    " trials_converted=%d renewed=%d cancelled=%d past_due=%d"
		    " expired=%d invoices_created=%d status=%s",
		    job_id, run_id, n.trials_converted, n.renewed, n.cancelled,
		    n.past_due, n.expired, n.invoices_created,
		    billing_code_name((billing_code) rv));
	} else {
		int64_t n = 0;

		rv = idem_purge(&c, &n);
		log_printf(LOG_INFO,
		    "msg=\"purged idempotency keys\" job=%" PRId64
		    " deleted=%" PRId64,
		    job_id, n);
	}
out:
	if (rv != 0)
		billing_status_set(st, (billing_code) rv, "%s",
		    c.status.message != NULL ? c.status.message : "failed");
	job_call_end(&c);
	return (rv);
}

/* Leaves the connection idle: a failed step may have left a transaction. */
static void
idle(db_conn *db)
{
	billing_status st = BILLING_STATUS_INIT;

	if (db->pg != NULL && PQtransactionStatus(db->pg) != PQTRANS_IDLE)
		db_command(db, "ROLLBACK", db_now_us() + DB_END_GRACE_US, &st);
	billing_status_fini(&st);
}

/* Records the job's outcome and commits, with a deadline of its own. */
static void
finish_job(srv_call *c, int64_t job_id, int rv, const billing_status *st)
{
	char id[21];
	const char *p[2] = { call_fmt_int64(id, job_id),
		st->message != NULL ? st->message : "failed" };
	PGresult *res;

	c->deadline_us = db_now_us() + DB_END_GRACE_US;
	if (call_query(
	        c, rv == 0 ? &DONE : &FAILED, rv == 0 ? 1 : 2, p, &res) != 0 ||
	    db_command(c->db, "COMMIT", c->deadline_us, &c->status) != 0) {
		log_printf(LOG_ERROR,
		    "msg=\"cannot record job outcome\" job=%" PRId64
		    " error=\"%s\"",
		    job_id,
		    c->status.message != NULL ? c->status.message : "");
		idle(c->db);
	}
}

/* Claims one due job and works on it; false when there was none. */
static bool
work_one(job_thread *t)
{
	billing_status st = BILLING_STATUS_INIT;
	srv_call c;
	PGresult *res;
	const char *p[1];
	char id[21], kind[32];
	int64_t job_id;
	bool found = false;
	int rv;

	job_call(t, &c, &t->queue, "worker");
	idle(&t->queue);
	idle(&t->work);
	p[0] = t->name;
	if (db_ensure(c.db, &c.status) != 0 ||
	    call_query(&c, &CLAIM, 1, p, &res) != 0 || PQntuples(res) == 0)
		goto out;
	found = true;
	job_id = call_int64(res, 0, 0);
	snprintf(kind, sizeof(kind), "%s", call_text(res, 0, 1));
	if (strcmp(call_text(res, 0, 3), "failed") == 0) {
		log_printf(LOG_ERROR,
		    "msg=\"job failed for good\" job=%" PRId64 " kind=%s"
		    " attempts=%s",
		    job_id, kind, call_text(res, 0, 2));
		goto out;
	}
	p[0] = call_fmt_int64(id, job_id);
	if (db_command(c.db, DB_BEGIN, c.deadline_us, &c.status) != 0 ||
	    call_query(&c, &HOLD, 1, p, &res) != 0) {
		idle(c.db);
		goto out;
	}
	rv = run_job(t, job_id, kind, &st);
	finish_job(&c, job_id, rv, &st);
out:
	billing_status_fini(&st);
	job_call_end(&c);
	return (found);
}

static void
nap(worker *w, int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long) (ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&w->mtx);
	if (!atomic_load(&w->stop))
		pthread_cond_timedwait(&w->cv, &w->mtx, &ts);
	pthread_mutex_unlock(&w->mtx);
}

static void *
job_main(void *arg)
{
	job_thread *t = arg;

	while (!atomic_load(&t->w->stop)) {
		schedule(t);
		while (!atomic_load(&t->w->stop) && work_one(t))
			;
		nap(t->w, POLL_MS);
	}
	return (NULL);
}

int
worker_start(worker **out, const srv_config *cfg)
{
	worker *w = calloc(1, sizeof(*w));
	char host[64] = "host";

	if (w == NULL)
		return (-1);
	w->cfg = cfg;
	atomic_init(&w->stop, false);
	pthread_mutex_init(&w->mtx, NULL);
	pthread_cond_init(&w->cv, NULL);
	*out = w;
	if (cfg->job_workers == 0)
		return (0);
	if ((w->threads = calloc(
	         (size_t) cfg->job_workers, sizeof(*w->threads))) == NULL)
		return (-1);
	gethostname(host, sizeof(host) - 1);
	for (int i = 0; i < cfg->job_workers; i++) {
		job_thread *t = &w->threads[i];

		t->w = w;
		t->id = i;
		snprintf(t->name, sizeof(t->name), "%s:%d:%d", host,
		    (int) getpid(), i);
		arena_init(&t->arena, JOB_ARENA_LIMIT);
		if (db_init(&t->queue, cfg->database_url) != 0 ||
		    db_init(&t->work, cfg->database_url) != 0 ||
		    pthread_create(&t->tid, NULL, job_main, t) != 0) {
			log_printf(LOG_ERROR,
			    "msg=\"cannot start job worker\" worker=%d", i);
			w->n = i;
			worker_stop(w);
			return (-1);
		}
		w->n = i + 1;
	}
	log_printf(LOG_INFO,
	    "msg=\"job workers started\" workers=%d"
	    " schedule_s=%d",
	    cfg->job_workers, cfg->schedule_s);
	return (0);
}

void
worker_stop(worker *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mtx);
	atomic_store(&w->stop, true);
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mtx);
	for (int i = 0; i < w->n; i++) {
		pthread_join(w->threads[i].tid, NULL);
		db_fini(&w->threads[i].queue);
		db_fini(&w->threads[i].work);
		arena_fini(&w->threads[i].arena);
	}
	free(w->threads);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mtx);
	free(w);
}
