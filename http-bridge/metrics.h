/*
 * metrics: the bridge's counters, served at /metrics in Prometheus text
 * format: requests by endpoint, action and status, a latency histogram
 * per endpoint, requests in flight, and the API key cache's hits and
 * misses.
 *
 * Label values must be static strings from a fixed set (the endpoint
 * and action tables, or the names below), so that a hostile request
 * cannot grow the number of series; they are compared by address.
 */
#ifndef BRIDGE_METRICS_H
#define BRIDGE_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* Labels for requests outside the legacy endpoints. */
#define METRICS_OTHER "other" /* 404 paths */
#define METRICS_NONE ""       /* no action (not reached, or unknown) */

typedef struct metrics metrics;

int metrics_init(metrics **out);
void metrics_fini(metrics *m);

/* A request starts (in flight). */
void metrics_enter(metrics *m);

/* A request ends: counted with its labels and duration. */
void metrics_leave(metrics *m, const char *endpoint, const char *action,
    int status, int64_t duration_us);

/* An API key lookup: answered from the cache or by the RPC server. */
void metrics_key_lookup(metrics *m, int cached);

/* The text exposition into *out (malloc'd, *len bytes); 0 or -1. */
int metrics_render(metrics *m, char **out, size_t *len);

#endif /* BRIDGE_METRICS_H */
