/*
 * prom: what the bridge's and the server's /metrics share: a growing
 * text buffer for the Prometheus text format, a latency histogram with
 * fixed buckets, and the HOST:PORT syntax of their listen options.
 */
#ifndef UTIL_PROM_H
#define UTIL_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growing text buffer; the first failure sticks. */
typedef struct prom_buf {
	char *p;
	size_t len, cap;
	bool failed;
} prom_buf;

/* Returns 0 or -1 (out of memory). */
int prom_buf_init(prom_buf *b);

void prom_printf(prom_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Microseconds as seconds, exactly: "0.000250". */
void prom_seconds(prom_buf *b, int64_t us);

/*
 * Hands the text over: 0 with *out (malloc'd) and *len, or -1 after
 * freeing it when any step failed.
 */
int prom_buf_finish(prom_buf *b, char **out, size_t *len);

/* Bucket bounds: 250 us to 30 s. */
#define PROM_NBOUNDS 16
extern const int64_t prom_bounds_us[PROM_NBOUNDS];

typedef struct prom_hist {
	uint64_t buckets[PROM_NBOUNDS]; /* not cumulative here */
	uint64_t n;
	int64_t sum_us;
} prom_hist;

void prom_hist_observe(prom_hist *h, int64_t us);

/*
 * Writes the histogram's NAME_bucket (cumulative, le in seconds),
 * NAME_sum and NAME_count lines, each with the one label LABEL="VALUE".
 */
void prom_hist_render(prom_buf *b, const char *name, const char *label,
    const char *value, const prom_hist *h);

/*
 * Parses "HOST:PORT" (an IPv4 address and a port 1-65535) into host
 * (cap bytes) and *port. Returns 0 or -1.
 */
int prom_parse_listen(const char *v, char *host, size_t cap, unsigned *port);

#endif /* UTIL_PROM_H */
