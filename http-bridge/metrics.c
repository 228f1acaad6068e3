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

#include "../util/prom.h"
#include "metrics.h"

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
	prom_hist h;
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
	prom_hist_observe(&h->h, us);
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

static void
render_requests(metrics *m, prom_buf *t)
{
	prom_printf(t,
	    "# HELP billing_bridge_requests_total HTTP requests answered, by "
	    "endpoint, action and status.\n"
	    "# TYPE billing_bridge_requests_total counter\n");
	for (size_t i = 0; i < m->ns; i++) {
		series *x = &m->s[i];

		prom_printf(t,
		    "billing_bridge_requests_total{endpoint=\"%s\",action="
		    "\"%s\",status=\"%d\"} %" PRIu64 "\n",
		    x->endpoint, x->action, x->status, x->n);
	}
}

static void
render_histograms(metrics *m, prom_buf *t)
{
	prom_printf(t,
	    "# HELP billing_bridge_request_duration_seconds Time from the "
	    "request line to the answer, by endpoint.\n"
	    "# TYPE billing_bridge_request_duration_seconds histogram\n");
	for (size_t i = 0; i < m->nh; i++)
		prom_hist_render(t, "billing_bridge_request_duration_seconds",
		    "endpoint", m->h[i].endpoint, &m->h[i].h);
}

int
metrics_render(metrics *m, char **out, size_t *len)
{
	prom_buf t;

	if (prom_buf_init(&t) != 0)
		return (-1);
	pthread_mutex_lock(&m->mu);
	render_requests(m, &t);
	render_histograms(m, &t);
	prom_printf(&t,
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
	return (prom_buf_finish(&t, out, len));
}
