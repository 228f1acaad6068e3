/*
 * benchutil: what every benchmark program needs: a monotonic clock,
 * sleeping to a deadline, the first error kept, this process's CPU time,
 * and percentiles of sorted samples.
 */
#ifndef BENCH_BENCHUTIL_H
#define BENCH_BENCHUTIL_H

#include <stddef.h>
#include <stdint.h>

int64_t bench_mono_ns(void);
void bench_sleep_until(int64_t ns); /* CLOCK_MONOTONIC, absolute */
void bench_sleep_ms(int ms);

/* Formats into buf unless it already holds an error (the first wins). */
void bench_set_err(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* User plus system CPU time of this process, microseconds. */
int64_t bench_self_cpu_us(void);

/* The p-quantile (0-1) of n sorted nanosecond samples, in microseconds. */
double bench_percentile_us(const uint32_t *v, size_t n, double p);

#endif /* BENCH_BENCHUTIL_H */
