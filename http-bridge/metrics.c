/*
 * metrics.c: see metrics.h.
 *
 * One mutex guards everything: a request takes it once, for a few
 * additions, which costs far less than the RPC the request makes.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

/* Bucket bounds in microseconds (Prometheus "le", in seconds). */
static const int64_t bounds_us[] = { 250, 500, 1000, 2500, 5000, 10000, 25000,
	50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000,
	30000000 };
#define NBOUNDS (sizeof(bounds_us) / sizeof(bounds_us[0]))

/*
 * Enough for every endpoint x action x status the bridge can answer;
 * beyond it, requests are still counted in the histogram and in
 * dropped_series.
 */
#define MAX_SERIES 512
#define MAX_ENDPOINTS 16

typedef struct series {
	const char *endpoint, *action;
	int status;
	uint64_t n;
} series;

typedef struct histogram {
	const char *endpoint;
	uint64_t buckets[NBOUNDS]; /* not cumulative here */
	uint64_t n;
	int64_t sum_us;
} histogram;

struct metrics {
	pthread_mutex_t mu;
	series s[MAX_SERIES];
	size_t ns;
	histogram h[MAX_ENDPOINTS];
	size_t nh;
	uint64_t dropped_series;
	int64_t in_flight;
	uint64_t key_hits, key_misses;
};

int
metrics_init(metrics **out)
{
	metrics *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return (-1);
	if (pthread_mutex_init(&m->mu, NULL) != 0) {
		free(m);
		return (-1);
	}
	*out = m;
	return (0);
}

void
metrics_fini(metrics *m)
{
	if (m == NULL)
		return;
	pthread_mutex_destroy(&m->mu);
	free(m);
}

void
metrics_enter(metrics *m)
{
	pthread_mutex_lock(&m->mu);
	m->in_flight++;
	pthread_mutex_unlock(&m->mu);
}

static void
count_series(metrics *m, const char *endpoint, const char *action, int status)
{
	size_t i;

	for (i = 0; i < m->ns; i++) {
		series *x = &m->s[i];

		if (x->endpoint == endpoint && x->action == action &&
		    x->status == status) {
			x->n++;
			return;
		}
	}
	if (m->ns == MAX_SERIES) {
		m->dropped_series++;
		return;
	}
	m->s[m->ns++] = (series) { endpoint, action, status, 1 };
}

static void
observe(metrics *m, const char *endpoint, int64_t us)
{
	histogram *h = NULL;
	size_t b;

	for (size_t i = 0; i < m->nh && h == NULL; i++) {
		if (m->h[i].endpoint == endpoint)
			h = &m->h[i];
	}
	if (h == NULL) {
		if (m->nh == MAX_ENDPOINTS)
			return;
		h = &m->h[m->nh++];
		h->endpoint = endpoint;
	}
	for (b = 0; b < NBOUNDS && us > bounds_us[b]; b++)
		;
	if (b < NBOUNDS)
		h->buckets[b]++;
	h->n++;
	h->sum_us += us;
}

void
metrics_leave(metrics *m, const char *endpoint, const char *action, int status,
    int64_t duration_us)
{
	pthread_mutex_lock(&m->mu);
	m->in_flight--;
	count_series(m, endpoint, action, status);
	observe(m, endpoint, duration_us < 0 ? 0 : duration_us);
	pthread_mutex_unlock(&m->mu);
}

void
metrics_key_lookup(metrics *m, int cached)
{
	pthread_mutex_lock(&m->mu);
	if (cached)
		m->key_hits++;
	else
		m->key_misses++;
	pthread_mutex_unlock(&m->mu);
}

/* A growing text buffer; sticky failure. */
typedef struct tbuf {
	char *p;
	size_t len, cap;
	bool failed;
} tbuf;

static void tb_printf(tbuf *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
tb_printf(tbuf *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->failed = true;
			return;
		}
		if ((size_t) n < t->cap - t->len) {
			t->len += (size_t) n;
			return;
		}
		char *np = realloc(t->p, t->cap * 2 + (size_t) n);

		if (np == NULL) {
			t->failed = true;
			return;
		}
		t->p = np;
		t->cap = t->cap * 2 + (size_t) n;
	}
}

/* Microseconds as seconds, exactly: "0.000250". */
static void
tb_seconds(tbuf *t, int64_t us)
{
	tb_printf(t, "%" PRId64 ".%06" PRId64, us / 1000000, us % 1000000);
}

static void
render_requests(metrics *m, tbuf *t)
{
	tb_printf(t,
	    "# HELP billing_bridge_requests_total HTTP requests answered, by "
	    "endpoint, action and status.\n"
	    "# TYPE billing_bridge_requests_total counter\n");
	for (size_t i = 0; i < m->ns; i++) {
		series *x = &m->s[i];

		tb_printf(t,
		    "billing_bridge_requests_total{endpoint=\"%s\",action="
		    "\"%s\",status=\"%d\"} %" PRIu64 "\n",
		    x->endpoint, x->action, x->status, x->n);
	}
}

static void
render_histograms(metrics *m, tbuf *t)
{
	tb_printf(t,
	    "# HELP billing_bridge_request_duration_seconds Time from the "
	    "request line to the answer, by endpoint.\n"
	    "# TYPE billing_bridge_request_duration_seconds histogram\n");
	for (size_t i = 0; i < m->nh; i++) {
		histogram *h = &m->h[i];
		uint64_t cum = 0;

		for (size_t b = 0; b < NBOUNDS; b++) {
			cum += h->buckets[b];
			tb_printf(t,
			    "billing_bridge_request_duration_seconds_bucket{"
			    "endpoint=\"%s\",le=\"",
			    h->endpoint);
			tb_seconds(t, bounds_us[b]);
			tb_printf(t, "\"} %" PRIu64 "\n", cum);
		}
		tb_printf(t,
		    "billing_bridge_request_duration_seconds_bucket{endpoint="
		    "\"%s\",le=\"+Inf\"} %" PRIu64 "\n"
		    "billing_bridge_request_duration_seconds_sum{endpoint="
		    "\"%s\"} ",
		    h->endpoint, h->n, h->endpoint);
		tb_seconds(t, h->sum_us);
		tb_printf(t,
		    "\nbilling_bridge_request_duration_seconds_count{endpoint="
		    "\"%s\"} %" PRIu64 "\n",
		    h->endpoint, h->n);
	}
}

int
metrics_render(metrics *m, char **out, size_t *len)
{
	tbuf t = { malloc(8192), 0, 8192, false };

	if (t.p == NULL)
		return (-1);
	pthread_mutex_lock(&m->mu);
	render_requests(m, &t);
	render_histograms(m, &t);
	tb_printf(&t,
	    "# HELP billing_bridge_requests_in_flight Requests being "
	    "answered.\n"
	    "# TYPE billing_bridge_requests_in_flight gauge\n"
	    "billing_bridge_requests_in_flight %" PRId64 "\n"
	    "# HELP billing_bridge_api_key_lookups_total API keys checked, "
	    "from the cache (hit) or by the RPC server (miss).\n"
	    "# TYPE billing_bridge_api_key_lookups_total counter\n"
	    "billing_bridge_api_key_lookups_total{result=\"hit\"} %" PRIu64
	    "\n"
	    "billing_bridge_api_key_lookups_total{result=\"miss\"} %" PRIu64
	    "\n"
	    "# HELP billing_bridge_metrics_dropped_series_total Requests "
	    "not counted by labels (too many series).\n"
	    "# TYPE billing_bridge_metrics_dropped_series_total counter\n"
	    "billing_bridge_metrics_dropped_series_total %" PRIu64 "\n",
	    m->in_flight, m->key_hits, m->key_misses, m->dropped_series);
	pthread_mutex_unlock(&m->mu);
	if (t.failed) {
		free(t.p);
		return (-1);
	}
	*out = t.p;
	*len = t.len;
	return (0);
}
