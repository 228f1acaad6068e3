/*
 * rollout.c: see rollout.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "../util/log.h"
#include "../util/utf8.h"
#include "billing_client_stubs.h"
#include "canary.h"
#include "jsondiff.h"
#include "params.h"
#include "redact.h"
#include "rollout.h"
#include "upstream.h"

#define SHADOW_TIMEOUT_MS 10000
#define REPORT_TIMEOUT_MS 5000
#define POLL_MS 1000
#define FLUSH_MS 1000
#define BATCH_DIFFS 20  /* a report stays near 2 MiB (a frame: 4) */
#define MAX_LABELS 255  /* RecordDiffs takes 256 counts */
#define BODY_KEEP 32768 /* RecordDiffs' bound per body */
#define ACTION_MAX 64

enum { C_MATCH, C_DIFF, C_ERROR, C_DROPPED, N_C };

typedef struct label {
	const char *endpoint; /* static */
	char action[ACTION_MAX + 1];
	int64_t total[N_C];
	int64_t pending[N_C]; /* not yet reported */
} label;

typedef struct job {
	struct job *next;
	const char *endpoint;
	const bendpoint *ep;
	char *method, *uri, *ctype, *api_key, *billing_now, *body;
	size_t len;
	bool primary_legacy;
	int primary_status;
	char *primary_body;
	size_t primary_len, bytes;
} job;

struct rollout {
	rollout_config cfg;
	char token[65];
	_Atomic int mode;
	pthread_mutex_t mu;
	pthread_cond_t cv;      /* the worker: a job, or stop */
	pthread_cond_t poll_cv; /* the poller: refresh, or stop */
	bool stop, poke;
	job *head, *tail;
	size_t queued, queued_bytes;
	bool busy;     /* the worker is replaying one */
	canary canary; /* under mu */
	label labels[MAX_LABELS + 1];
	size_t n_labels;
	Billing__V1__RolloutDiff **diffs; /* pending, BATCH_DIFFS */
	size_t n_diffs;
	bool flush_now; /* a divergence: report at once */
	int64_t reported, report_failures, diverged;
	int64_t version; /* of the config applied last */
	pthread_t worker, poller;
	bool worker_started, poller_started;
	jsondiff jd; /* the worker's, reused: 32 KiB */
};

static const char *const MODE_NAMES[] = { NULL, "legacy", "shadow", "canary",
	"new" };

int
rollout_mode_parse(const char *s, rollout_mode *out)
{
	for (int i = 1; i <= ROLLOUT_NEW; i++)
		if (s != NULL && strcmp(s, MODE_NAMES[i]) == 0) {
			*out = (rollout_mode) i;
			return (0);
		}
	return (-1);
}

const char *
rollout_mode_name(rollout_mode m)
{
	return (m >= ROLLOUT_LEGACY && m <= ROLLOUT_NEW ? MODE_NAMES[m] : "?");
}

static int64_t
mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return ((int64_t) t.tv_sec * 1000 + t.tv_nsec / 1000000);
}

static void
deadline_in(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long) (ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

/* The label of endpoint and action (mu held); the last one catches all. */
static label *
label_of(rollout *r, const char *endpoint, const char *action)
{
	label *l;

	for (size_t i = 0; i < r->n_labels; i++) {
		l = &r->labels[i];
		if (strcmp(l->endpoint, endpoint) == 0 &&
		    strcmp(l->action, action) == 0)
			return (l);
	}
	if (r->n_labels == MAX_LABELS) {
		l = &r->labels[MAX_LABELS];
		if (l->endpoint == NULL) {
			l->endpoint = "other";
			strcpy(l->action, "other");
		}
		return (l);
	}
	l = &r->labels[r->n_labels++];
	l->endpoint = endpoint;
	snprintf(l->action, sizeof(l->action), "%s", action);
	return (l);
}

static void
count(rollout *r, const char *endpoint, const char *action, int c)
{
	label *l;

	pthread_mutex_lock(&r->mu);
	l = label_of(r, endpoint, action);
	l->total[c]++;
	l->pending[c]++;
	pthread_mutex_unlock(&r->mu);
}

static void
job_free(job *j)
{
	if (j == NULL)
		return;
	free(j->method);
	free(j->uri);
	free(j->ctype);
	free(j->api_key);
	free(j->billing_now);
	free(j->body);
	free(j->primary_body);
	free(j);
}

static char *
dup_or_null(const char *s, bool *ok)
{
	char *d;

	if (s == NULL)
		return (NULL);
	if ((d = strdup(s)) == NULL)
		*ok = false;
	return (d);
}

static char *
dup_bytes(const char *s, size_t n, bool *ok)
{
	char *d;

	if (s == NULL)
		return (NULL);
	if ((d = malloc(n + 1)) == NULL) {
		*ok = false;
		return (NULL);
	}
	memcpy(d, s, n);
	d[n] = '\0';
	return (d);
}

bool
rollout_submit(rollout *r, const rollout_request *q)
{
	size_t bytes = q->len + q->primary_len + strlen(q->uri) + 256;
	bool ok = true, full;
	job *j;

	pthread_mutex_lock(&r->mu);
	full = r->queued >= r->cfg.queue_max ||
	    r->queued_bytes + bytes > ROLLOUT_QUEUE_BYTES;
	pthread_mutex_unlock(&r->mu);
	if (full) {
		/* The action is not known yet: parsing is the worker's. */
		count(r, q->endpoint, "", C_DROPPED);
		return (false);
	}
	if ((j = calloc(1, sizeof(*j))) == NULL) {
		count(r, q->endpoint, "", C_DROPPED);
		return (false);
	}
	j->endpoint = q->endpoint;
	j->ep = q->ep;
	j->method = dup_or_null(q->method, &ok);
	j->uri = dup_or_null(q->uri, &ok);
	j->ctype = dup_or_null(q->ctype, &ok);
	j->api_key = dup_or_null(q->api_key, &ok);
	j->billing_now = dup_or_null(q->billing_now, &ok);
	j->body = dup_bytes(q->body, q->len, &ok);
	j->len = q->body != NULL ? q->len : 0;
	j->primary_legacy = q->primary_legacy;
	j->primary_status = q->primary_status;
	j->primary_body =
	    dup_bytes(q->primary_body != NULL ? q->primary_body : "",
	        q->primary_len, &ok);
	j->primary_len = q->primary_len;
	j->bytes = bytes;
	if (!ok) {
		job_free(j);
		count(r, q->endpoint, "", C_DROPPED);
		return (false);
	}
	pthread_mutex_lock(&r->mu);
	if (r->tail != NULL)
		r->tail->next = j;
	else
		r->head = j;
	r->tail = j;
	r->queued++;
	r->queued_bytes += bytes;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
	return (true);
}

/* The action's table name and whether it writes; "" when unknown. */
static void
job_action(const job *j, const char **name, bool *mutating)
{
	const char *q = strchr(j->uri, '?'), *s;
	const baction *a;
	params *p = NULL;
	size_t len;

	*name = "";
	*mutating = false;
	if (params_parse(&p, j->method, q != NULL ? q + 1 : "",
	        q != NULL ? strlen(q + 1) : 0, j->ctype,
	        j->body != NULL ? j->body : "", j->len) != PARAMS_OK)
		return;
	if (params_string(p, "action", &s, &len) == PARAMS_OK &&
	    strlen(s) == len && j->ep != NULL &&
	    (a = bridge_action(j->ep, s)) != NULL) {
		*name = a->name;
		*mutating = a->post_only;
	}
	params_free(p);
}

typedef struct accept_ctx {
	const accept_rules *rules;
	const char *endpoint, *action;
} accept_ctx;

static bool
accept_cb(void *arg, const char *path, const json_t *a, const json_t *b)
{
	const accept_ctx *c = arg;

	return (accept_match(c->rules, c->endpoint, c->action, path, a, b));
}

/* A body as a diff keeps it: valid UTF-8, at most BODY_KEEP bytes. */
static char *
keep_body(const char *s, size_t len)
{
	char note[64], *d;
	size_t n;

	if (s == NULL)
		return (NULL);
	if (!utf8_valid(s, len)) {
		snprintf(note, sizeof(note), "[%zu bytes, not UTF-8]", len);
		return (strdup(note));
	}
	n = utf8_truncate(s, len, BODY_KEEP);
	if ((d = malloc(n + 1)) == NULL)
		return (NULL);
	memcpy(d, s, n);
	d[n] = '\0';
	return (d);
}

static void
diff_free(Billing__V1__RolloutDiff *d)
{
	if (d == NULL)
		return;
	free(d->endpoint);
	free(d->action);
	free(d->request);
	free(d->primary_body);
	free(d->shadow_body);
	for (size_t i = 0; i < d->n_paths; i++)
		free(d->paths[i]);
	free(d->paths);
	free(d);
}

/* A difference for the next report (mu not held). */
static void
add_diff(rollout *r, const job *j, const char *action, bool mutating,
    const upstream_resp *sh, const jsondiff *jd)
{
	Billing__V1__RolloutDiff *d = calloc(1, sizeof(*d));
	const char *q = strchr(j->uri, '?');
	char path[1024], rec[REDACT_MAX + 1];
	size_t plen = q != NULL ? (size_t) (q - j->uri) : strlen(j->uri);
	bool ok;

	if (d == NULL)
		return;
	billing__v1__rollout_diff__init(d);
	snprintf(path, sizeof(path), "%.*s", (int) plen, j->uri);
	redact_request(j->method, path, q != NULL ? q + 1 : NULL, j->ctype,
	    j->body, j->len, rec);
	d->bridge = (char *) r->cfg.name;
	d->endpoint = strdup(j->endpoint);
	d->action = strdup(action);
	d->has_mutating = 1;
	d->mutating = mutating;
	d->primary_side = j->primary_legacy ? "legacy" : "new";
	d->request = strdup(rec);
	d->has_primary_status = 1;
	d->primary_status = j->primary_status;
	d->primary_body = keep_body(j->primary_body, j->primary_len);
	if (sh->status > 0) {
		d->has_shadow_status = 1;
		d->shadow_status = sh->status;
		d->shadow_body = keep_body(sh->body, sh->len);
	}
	d->paths = calloc(jd->n > 0 ? jd->n : 1, sizeof(char *));
	ok = d->endpoint != NULL && d->action != NULL && d->request != NULL &&
	    d->paths != NULL;
	for (size_t i = 0; ok && i < jd->n; i++)
		ok = (d->paths[d->n_paths++] = strdup(jd->paths[i])) != NULL;
	if (!ok) {
		diff_free(d);
		return;
	}
	pthread_mutex_lock(&r->mu);
	/* The worker reports a full batch before its next job. */
	if (r->n_diffs < BATCH_DIFFS) {
		r->diffs[r->n_diffs++] = d;
		d = NULL;
	}
	if (mutating) {
		r->flush_now = true;
		r->diverged++;
	}
	if (r->n_diffs >= BATCH_DIFFS)
		r->flush_now = true;
	pthread_mutex_unlock(&r->mu);
	diff_free(d);
}

/* Replays one job on the shadow side and compares. */
static void
run_job(rollout *r, const job *j)
{
	upstream_req q = { .method = j->method,
		.uri = j->uri,
		.ctype = j->ctype,
		.api_key = j->api_key,
		.billing_now = j->billing_now,
		.body = j->body,
		.len = j->len,
		.timeout_ms = SHADOW_TIMEOUT_MS };
	const char *base =
	    j->primary_legacy ? r->cfg.self_url : r->cfg.legacy_url;
	const char *action;
	upstream_resp sh;
	jsondiff *jd;
	accept_ctx ac;
	bool mutating;
	int rc;

	job_action(j, &action, &mutating);
	if (j->primary_legacy)
		q.token = r->token;
	memset(&sh, 0, sizeof(sh));
	rc = base != NULL ? upstream_call(base, &q, &sh) : -1;
	/* 502-504: the shadow side is down or overloaded, not different. */
	if (rc != 0 ||
	    (sh.status >= 502 && sh.status <= 504 &&
	        j->primary_status < 500)) {
		log_printf(LOG_WARN,
		    "msg=\"rollout: shadow call failed\" endpoint=%s "
		    "action=%s error=\"%s\" status=%d",
		    j->endpoint, action, base == NULL ? "no URL" : sh.error,
		    sh.status);
		upstream_resp_fini(&sh);
		count(r, j->endpoint, action, C_ERROR);
		/* A write the shadow side may have missed: divergence. */
		if (mutating) {
			jd = &r->jd;
			jd->n = 0;
			memcpy(jd->paths[jd->n++], "$status", 8);
			sh.status = 0;
			sh.body = NULL;
			add_diff(r, j, action, true, &sh, jd);
		}
		return;
	}
	jd = &r->jd;
	ac.rules = r->cfg.accept;
	ac.endpoint = j->endpoint;
	ac.action = action;
	if (jsondiff_answers(j->primary_status, j->primary_body,
	        j->primary_len, sh.status, sh.body, sh.len,
	        r->cfg.accept != NULL ? accept_cb : NULL, &ac, jd) == 0)
		count(r, j->endpoint, action, C_MATCH);
	else {
		count(r, j->endpoint, action, C_DIFF);
		add_diff(r, j, action, mutating, &sh, jd);
	}
	upstream_resp_fini(&sh);
}

/* Sends the pending counts and diffs (mu held; released during the call). */
static void
report(rollout *r)
{
	Billing__V1__RecordRolloutDiffsRequest req =
	    BILLING__V1__RECORD_ROLLOUT_DIFFS_REQUEST__INIT;
	Billing__V1__RolloutCount cs[MAX_LABELS + 1], *cp[MAX_LABELS + 1];
	Billing__V1__RecordRolloutDiffsResponse *resp = NULL;
	Billing__V1__RolloutDiff **diffs = r->diffs;
	billing_status st = BILLING_STATUS_INIT;
	billing_call_opts o = { .timeout_ms = REPORT_TIMEOUT_MS };
	size_t nc = 0, nd = r->n_diffs;

	for (size_t i = 0; i <= MAX_LABELS; i++) {
		label *l = &r->labels[i];
		Billing__V1__RolloutCount *c = &cs[nc];

		if (l->endpoint == NULL ||
		    (l->pending[0] | l->pending[1] | l->pending[2] |
		        l->pending[3]) == 0)
			continue;
		billing__v1__rollout_count__init(c);
		c->endpoint = (char *) l->endpoint;
		c->action = l->action;
		c->has_matches = c->has_diffs = c->has_shadow_errors =
		    c->has_dropped = 1;
		c->matches = l->pending[C_MATCH];
		c->diffs = l->pending[C_DIFF];
		c->shadow_errors = l->pending[C_ERROR];
		c->dropped = l->pending[C_DROPPED];
		memset(l->pending, 0, sizeof(l->pending));
		cp[nc++] = c;
	}
	if (nc == 0 && nd == 0)
		return;
	r->diffs = calloc(BATCH_DIFFS, sizeof(*r->diffs));
	if (r->diffs == NULL) {
		r->diffs = diffs; /* keep them; counts are lost */
		return;
	}
	r->n_diffs = 0;
	r->flush_now = false;
	pthread_mutex_unlock(&r->mu);

	req.counts = cp;
	req.n_counts = nc;
	req.diffs = diffs;
	req.n_diffs = nd;
	if (billing_rollout_record_diffs(
	        r->cfg.client, &req, &resp, &o, &st) != 0)
		log_printf(LOG_WARN,
		    "msg=\"rollout: report failed\" counts=%zu diffs=%zu "
		    "error=\"%s\"",
		    nc, nd, st.message != NULL ? st.message : "?");
	if (resp != NULL)
		billing__v1__record_rollout_diffs_response__free_unpacked(
		    resp, NULL);
	for (size_t i = 0; i < nd; i++)
		diff_free(diffs[i]);
	free(diffs);

	pthread_mutex_lock(&r->mu);
	if (st.code == BILLING_OK)
		r->reported++;
	else
		r->report_failures++;
	billing_status_fini(&st);
}

static void *
worker_main(void *arg)
{
	rollout *r = arg;
	int64_t last = mono_ms();
	struct timespec ts;
	job *j;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		while (r->head == NULL && !r->stop && !r->flush_now &&
		    mono_ms() - last < FLUSH_MS) {
			deadline_in(&ts, FLUSH_MS);
			pthread_cond_timedwait(&r->cv, &r->mu, &ts);
		}
		if (r->flush_now || mono_ms() - last >= FLUSH_MS ||
		    (r->stop && r->head == NULL)) {
			report(r);
			last = mono_ms();
		}
		if (r->head == NULL) {
			if (r->stop)
				break;
			continue;
		}
		if (r->stop) {
			/* Stopping: the rest is dropped, counted, reported. */
			while ((j = r->head) != NULL) {
				r->head = j->next;
				label_of(r, j->endpoint, "")
				    ->pending[C_DROPPED]++;
				job_free(j);
			}
			r->tail = NULL;
			r->queued = r->queued_bytes = 0;
			continue;
		}
		j = r->head;
		if ((r->head = j->next) == NULL)
			r->tail = NULL;
		r->queued--;
		r->queued_bytes -= j->bytes;
		r->busy = true;
		pthread_mutex_unlock(&r->mu);
		run_job(r, j);
		job_free(j);
		pthread_mutex_lock(&r->mu);
		r->busy = false;
	}
	pthread_mutex_unlock(&r->mu);
	return (NULL);
}

static void
poll_config(rollout *r)
{
	Billing__V1__GetRolloutConfigRequest req =
	    BILLING__V1__GET_ROLLOUT_CONFIG_REQUEST__INIT;
	Billing__V1__RolloutConfig *c = NULL;
	billing_status st = BILLING_STATUS_INIT;
	billing_call_opts o = { .timeout_ms = 2000 };
	int mode, old;

	if (billing_rollout_get_config(r->cfg.client, &req, &c, &o, &st) !=
	    0) {
		billing_status_fini(&st);
		return; /* the mode stays as it is */
	}
	/* The canary first: a new mode never runs with the old canary. */
	if (c->canary != NULL) {
		pthread_mutex_lock(&r->mu);
		if (canary_set(&r->canary, c->canary->api_key_ids,
		        c->canary->n_api_key_ids,
		        c->canary->has_percent ? c->canary->percent : 0) != 0)
			(void) canary_set(&r->canary, NULL, 0, 0);
		pthread_mutex_unlock(&r->mu);
	}
	mode = c->has_mode ? (int) c->mode : 0;
	if (mode >= ROLLOUT_LEGACY && mode <= ROLLOUT_NEW) {
		if (mode != ROLLOUT_NEW && r->cfg.legacy_url == NULL) {
			if (atomic_load(&r->mode) != ROLLOUT_NEW)
				atomic_store(&r->mode, ROLLOUT_NEW);
		} else if ((old = atomic_exchange(&r->mode, mode)) != mode)
			log_printf(LOG_INFO,
			    "msg=\"rollout: mode changed\" from=%s to=%s "
			    "version=%" PRId64,
			    rollout_mode_name((rollout_mode) old),
			    rollout_mode_name((rollout_mode) mode),
			    c->version);
	}
	pthread_mutex_lock(&r->mu);
	r->version = c->has_version ? c->version : 0;
	pthread_mutex_unlock(&r->mu);
	billing__v1__rollout_config__free_unpacked(c, NULL);
}

static void *
poller_main(void *arg)
{
	rollout *r = arg;
	struct timespec ts;

	pthread_mutex_lock(&r->mu);
	while (!r->stop) {
		r->poke = false;
		pthread_mutex_unlock(&r->mu);
		poll_config(r);
		pthread_mutex_lock(&r->mu);
		deadline_in(&ts, POLL_MS);
		while (!r->stop && !r->poke &&
		    pthread_cond_timedwait(&r->poll_cv, &r->mu, &ts) !=
		        ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&r->mu);
	return (NULL);
}

int
rollout_init(rollout **out, const rollout_config *cfg)
{
	rollout *r = calloc(1, sizeof(*r));
	unsigned char b[32];
	pthread_condattr_t ca;

	if (r == NULL)
		return (-1);
	r->cfg = *cfg;
	atomic_init(&r->mode, (int) cfg->mode);
	if (getrandom(b, sizeof(b), 0) != (ssize_t) sizeof(b) ||
	    (r->diffs = calloc(BATCH_DIFFS, sizeof(*r->diffs))) == NULL) {
		free(r);
		return (-1);
	}
	for (size_t i = 0; i < sizeof(b); i++)
		snprintf(r->token + 2 * i, 3, "%02x", b[i]);
	pthread_mutex_init(&r->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_cond_init(&r->cv, &ca);
	pthread_cond_init(&r->poll_cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&r->worker, NULL, worker_main, r) != 0) {
		rollout_fini(r);
		return (-1);
	}
	r->worker_started = true;
	if (pthread_create(&r->poller, NULL, poller_main, r) != 0) {
		rollout_fini(r);
		return (-1);
	}
	r->poller_started = true;
	*out = r;
	return (0);
}

void
rollout_fini(rollout *r)
{
	job *j;

	if (r == NULL)
		return;
	pthread_mutex_lock(&r->mu);
	r->stop = true;
	pthread_cond_broadcast(&r->cv);
	pthread_cond_broadcast(&r->poll_cv);
	pthread_mutex_unlock(&r->mu);
	if (r->worker_started)
		pthread_join(r->worker, NULL);
	if (r->poller_started)
		pthread_join(r->poller, NULL);
	while ((j = r->head) != NULL) {
		r->head = j->next;
		job_free(j);
	}
	for (size_t i = 0; i < r->n_diffs; i++)
		diff_free(r->diffs[i]);
	free(r->diffs);
	pthread_cond_destroy(&r->cv);
	pthread_cond_destroy(&r->poll_cv);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

rollout_mode
rollout_current(rollout *r)
{
	return ((rollout_mode) atomic_load(&r->mode));
}

const char *
rollout_token(const rollout *r)
{
	return (r->token);
}

bool
rollout_is_token(const rollout *r, const char *s)
{
	unsigned char d = 0;
	size_t i;

	for (i = 0; i < sizeof(r->token) - 1 && s[i] != '\0'; i++)
		d |= (unsigned char) (s[i] ^ r->token[i]);
	return (d == 0 && i == sizeof(r->token) - 1 && s[i] == '\0');
}

const char *
rollout_legacy_url(const rollout *r)
{
	return (r->cfg.legacy_url);
}

bool
rollout_canary_match(
    rollout *r, int64_t key_id, const char *user_id, size_t user_len)
{
	bool m;

	pthread_mutex_lock(&r->mu);
	m = canary_match(&r->canary, key_id, user_id, user_len);
	pthread_mutex_unlock(&r->mu);
	return (m);
}

bool
rollout_canary_has_keys(rollout *r)
{
	bool k;

	pthread_mutex_lock(&r->mu);
	k = r->canary.n_keys > 0;
	pthread_mutex_unlock(&r->mu);
	return (k);
}

void
rollout_refresh(rollout *r)
{
	pthread_mutex_lock(&r->mu);
	r->poke = true;
	pthread_cond_broadcast(&r->poll_cv);
	pthread_mutex_unlock(&r->mu);
}

void
rollout_render(rollout *r, prom_buf *b)
{
	static const char *const results[N_C] = { "match", "diff",
		"shadow_error", "dropped" };
	rollout_mode m = rollout_current(r);

	prom_printf(b,
	    "# HELP billing_bridge_rollout_mode The bridge's rollout mode "
	    "(1 for the current one).\n"
	    "# TYPE billing_bridge_rollout_mode gauge\n");
	for (int i = ROLLOUT_LEGACY; i <= ROLLOUT_NEW; i++)
		prom_printf(b, "billing_bridge_rollout_mode{mode=\"%s\"} %d\n",
		    MODE_NAMES[i], (int) m == i);
	pthread_mutex_lock(&r->mu);
	prom_printf(b,
	    "# HELP billing_bridge_rollout_compared_total Requests "
	    "replayed on the shadow side, by result.\n"
	    "# TYPE billing_bridge_rollout_compared_total counter\n");
	for (size_t i = 0; i <= MAX_LABELS; i++) {
		const label *l = &r->labels[i];

		for (int c = 0; l->endpoint != NULL && c < N_C; c++)
			prom_printf(b,
			    "billing_bridge_rollout_compared_total{endpoint="
			    "\"%s\",action=\"%s\",result=\"%s\"} %" PRId64
			    "\n",
			    l->endpoint, l->action, results[c], l->total[c]);
	}
	prom_printf(b,
	    "# HELP billing_bridge_rollout_match_ratio Matches over "
	    "compared answers since the bridge started.\n"
	    "# TYPE billing_bridge_rollout_match_ratio gauge\n");
	for (size_t i = 0; i <= MAX_LABELS; i++) {
		const label *l = &r->labels[i];
		int64_t n;

		if (l->endpoint == NULL ||
		    (n = l->total[C_MATCH] + l->total[C_DIFF]) == 0)
			continue;
		prom_printf(b,
		    "billing_bridge_rollout_match_ratio{endpoint=\"%s\","
		    "action=\"%s\"} %.6f\n",
		    l->endpoint, l->action,
		    (double) l->total[C_MATCH] / (double) n);
	}
	prom_printf(b,
	    "# HELP billing_bridge_rollout_queue_length Requests waiting "
	    "for the shadow side, or being replayed.\n"
	    "# TYPE billing_bridge_rollout_queue_length gauge\n"
	    "billing_bridge_rollout_queue_length %zu\n"
	    "# HELP billing_bridge_rollout_divergences_total Writes whose "
	    "two answers differed.\n"
	    "# TYPE billing_bridge_rollout_divergences_total counter\n"
	    "billing_bridge_rollout_divergences_total %" PRId64 "\n"
	    "# HELP billing_bridge_rollout_report_failures_total "
	    "RecordDiffs calls that failed (their counts are lost).\n"
	    "# TYPE billing_bridge_rollout_report_failures_total counter\n"
	    "billing_bridge_rollout_report_failures_total %" PRId64 "\n"
	    "# HELP billing_bridge_rollout_config_version The version of "
	    "the rollout config applied last (0: none yet).\n"
	    "# TYPE billing_bridge_rollout_config_version gauge\n"
	    "billing_bridge_rollout_config_version %" PRId64 "\n",
	    r->queued + (r->busy ? 1 : 0), r->diverged, r->report_failures,
	    r->version);
	pthread_mutex_unlock(&r->mu);
}
