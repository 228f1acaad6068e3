/*
 * benchutil.c: see benchutil.h.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "benchutil.h"

int64_t
bench_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec);
}

void
bench_sleep_until(int64_t ns)
{
	struct timespec ts = { (time_t) (ns / 1000000000),
		(long) (ns % 1000000000) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	    EINTR)
		;
}

void
bench_sleep_ms(int ms)
{
	bench_sleep_until(bench_mono_ns() + (int64_t) ms * 1000000);
}

void
bench_set_err(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;

	if (buf[0] != '\0')
		return; /* keep the first */
	va_start(ap, fmt);
	vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
	buf[strcspn(buf, "\n")] = '\0';
}

int64_t
bench_self_cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ((int64_t) (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
	    ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/* Nearest rank. */
double
bench_percentile_us(const uint32_t *v, size_t n, double p)
{
	size_t i = (size_t) ceil(p * (double) n);

	if (n == 0)
		return (0);
	return ((double) v[i > 0 ? i - 1 : 0] / 1000.0);
}
