/*
 * metrics: billing-server's Prometheus metrics, served at /metrics on
 * --metrics-listen HOST:PORT (off by default) by a small libmicrohttpd
 * daemon, with /healthz (200 when PostgreSQL answers, else 503):
 *
 * - calls by method and status code, and a latency histogram per
 *   method, counted by this process;
 * - the jobs waiting and the billing runs, read from PostgreSQL at each
 *   scrape: every server and worker of a database reports the same
 *   values (a dashboard takes their max).
 *
 * Method labels are the method table's names (or "unknown"), so a
 * hostile request cannot grow the number of series.
 */
#ifndef SERVER_METRICS_H
#define SERVER_METRICS_H

#include <stdint.h>

#include "../util/prom.h"
#include "billing_methods.h"
#include "config.h"

typedef struct srv_metrics srv_metrics;

/* A call ended: method NULL when unknown, its status code and time. */
void srv_metrics_call(srv_metrics *m, const billing_method *method, int code,
    int64_t duration_us);

/* The call counters and histograms, in the text format. */
void srv_metrics_render_calls(srv_metrics *m, prom_buf *b);

typedef struct srv_metrics_http srv_metrics_http;

/*
 * Serves /metrics and /healthz on cfg->metrics_host:cfg->metrics_port,
 * reading the database gauges through a connection of its own to
 * cfg->database_url. Returns 0 or -1 after logging why.
 */
int srv_metrics_http_start(srv_metrics_http **out, const srv_config *cfg);

/* Stops serving; the counters go with it (stop their users first). */
void srv_metrics_http_stop(srv_metrics_http *h);

/* The call counters of h, for the RPC workers; NULL when h is NULL. */
srv_metrics *srv_metrics_http_counters(srv_metrics_http *h);

#endif /* SERVER_METRICS_H */
