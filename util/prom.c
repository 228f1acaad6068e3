/*
 * prom.c: see prom.h.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prom.h"

const int64_t prom_bounds_us[PROM_NBOUNDS] = { 250, 500, 1000, 2500, 5000,
	10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000,
	10000000, 30000000 };

int
prom_buf_init(prom_buf *b)
{
	b->len = 0;
	b->cap = 8192;
	b->failed = false;
	return ((b->p = malloc(b->cap)) == NULL ? -1 : 0);
}

void
prom_printf(prom_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = true;
			return;
		}
		if ((size_t) n < b->cap - b->len) {
			b->len += (size_t) n;
			return;
		}
		char *np = realloc(b->p, b->cap * 2 + (size_t) n);

		if (np == NULL) {
			b->failed = true;
			return;
		}
		b->p = np;
		b->cap = b->cap * 2 + (size_t) n;
	}
}

void
prom_seconds(prom_buf *b, int64_t us)
{
	prom_printf(b, "%" PRId64 ".%06" PRId64, us / 1000000, us % 1000000);
}

int
prom_buf_finish(prom_buf *b, char **out, size_t *len)
{
	if (b->failed) {
		free(b->p);
		b->p = NULL;
		return (-1);
	}
	*out = b->p;
	*len = b->len;
	b->p = NULL;
	return (0);
}

void
prom_hist_observe(prom_hist *h, int64_t us)
{
	size_t i;

	if (us < 0)
		us = 0;
	for (i = 0; i < PROM_NBOUNDS && us > prom_bounds_us[i]; i++)
		;
	if (i < PROM_NBOUNDS)
		h->buckets[i]++;
	h->n++;
	h->sum_us += us;
}

void
prom_hist_render(prom_buf *b, const char *name, const char *label,
    const char *value, const prom_hist *h)
{
	uint64_t cum = 0;

	for (size_t i = 0; i < PROM_NBOUNDS; i++) {
		cum += h->buckets[i];
		prom_printf(
		    b, "%s_bucket{%s=\"%s\",le=\"", name, label, value);
		prom_seconds(b, prom_bounds_us[i]);
		prom_printf(b, "\"} %" PRIu64 "\n", cum);
	}
	prom_printf(b,
	    "%s_bucket{%s=\"%s\",le=\"+Inf\"} %" PRIu64 "\n"
	    "%s_sum{%s=\"%s\"} ",
	    name, label, value, h->n, name, label, value);
	prom_seconds(b, h->sum_us);
	prom_printf(b, "\n%s_count{%s=\"%s\"} %" PRIu64 "\n", name, label,
	    value, h->n);
}

int
prom_parse_listen(const char *v, char *host, size_t cap, unsigned *port)
{
	const char *colon = strrchr(v, ':');
	char *end;
	unsigned long p;

	if (colon == NULL || colon == v || (size_t) (colon - v) >= cap)
		return (-1);
	p = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || colon[1] == '\0' || p == 0 || p > 65535)
		return (-1);
	memcpy(host, v, (size_t) (colon - v));
	host[colon - v] = '\0';
	*port = (unsigned) p;
	return (0);
}
