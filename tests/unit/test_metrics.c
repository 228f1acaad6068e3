/*
 * The bridge's metrics (http-bridge/metrics.c): the Prometheus text
 * exposition of requests, latency histograms, in-flight and key lookups.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metrics.h"

static const char EP_PLANS[] = "plans.php";
static const char EP_SUBS[] = "subscriptions.php";
static const char A_LIST[] = "list";
static const char A_GET[] = "get";

static char *
render(metrics *m)
{
	char *text;
	size_t len;

	assert_int_equal(metrics_render(m, &text, &len), 0);
	assert_int_equal(strlen(text), len);
	return (text);
}

/* The value of the sample line that starts with prefix ("name{...} "). */
static long long
sample(const char *text, const char *prefix)
{
	size_t plen = strlen(prefix);
	const char *l = text, *nl;

	for (;;) {
		if (strncmp(l, prefix, plen) == 0)
			return (strtoll(l + plen, NULL, 10));
		if ((nl = strchr(l, '\n')) == NULL)
			break;
		l = nl + 1;
	}
	fail_msg("no sample %s", prefix);
	return (-1);
}

static void
test_counts_by_labels(void **state)
{
	metrics *m;
	char *t;

	(void) state;
	assert_int_equal(metrics_init(&m), 0);
	for (int i = 0; i < 3; i++) {
		metrics_enter(m);
		metrics_leave(m, EP_PLANS, A_LIST, 200, 100);
	}
	metrics_enter(m);
	metrics_leave(m, EP_PLANS, METRICS_NONE, 400, 100);
	metrics_enter(m);
	metrics_leave(m, EP_SUBS, A_GET, 200, 100);
	metrics_enter(m); /* still in flight */
	metrics_key_lookup(m, 1);
	metrics_key_lookup(m, 1);
	metrics_key_lookup(m, 0);
	t = render(m);
	assert_non_null(
	    strstr(t, "# TYPE billing_bridge_requests_total counter\n"));
	assert_int_equal(sample(t,
	                     "billing_bridge_requests_total{endpoint=\"plans."
	                     "php\",action=\"list\",status=\"200\"} "),
	    3);
	assert_int_equal(sample(t,
	                     "billing_bridge_requests_total{endpoint=\"plans."
	                     "php\",action=\"\",status=\"400\"} "),
	    1);
	assert_int_equal(sample(t,
	                     "billing_bridge_requests_total{endpoint="
	                     "\"subscriptions.php\",action=\"get\",status="
	                     "\"200\"} "),
	    1);
	assert_int_equal(sample(t, "billing_bridge_requests_in_flight "), 1);
	assert_int_equal(sample(t,
	                     "billing_bridge_api_key_lookups_total{result="
	                     "\"hit\"} "),
	    2);
	assert_int_equal(sample(t,
	                     "billing_bridge_api_key_lookups_total{result="
	                     "\"miss\"} "),
	    1);
	free(t);
	metrics_fini(m);
}

/* Buckets are cumulative; a bound is inclusive; the sum is exact. */
static void
test_histogram(void **state)
{
	const char *b = "billing_bridge_request_duration_seconds_bucket{"
	                "endpoint=\"plans.php\",le=";
	char key[200];
	metrics *m;
	char *t;

	(void) state;
	assert_int_equal(metrics_init(&m), 0);
	metrics_leave(m, EP_PLANS, A_LIST, 200, 250);      /* le 0.00025 */
	metrics_leave(m, EP_PLANS, A_LIST, 200, 251);      /* le 0.0005 */
	metrics_leave(m, EP_PLANS, A_LIST, 200, 3000);     /* le 0.005 */
	metrics_leave(m, EP_PLANS, A_LIST, 200, 60000000); /* +Inf only */
	t = render(m);
	snprintf(key, sizeof(key), "%s\"0.000250\"} ", b);
	assert_int_equal(sample(t, key), 1);
	snprintf(key, sizeof(key), "%s\"0.000500\"} ", b);
	assert_int_equal(sample(t, key), 2);
	snprintf(key, sizeof(key), "%s\"0.002500\"} ", b);
	assert_int_equal(sample(t, key), 2);
	snprintf(key, sizeof(key), "%s\"0.005000\"} ", b);
	assert_int_equal(sample(t, key), 3);
	snprintf(key, sizeof(key), "%s\"30.000000\"} ", b);
	assert_int_equal(sample(t, key), 3);
	snprintf(key, sizeof(key), "%s\"+Inf\"} ", b);
	assert_int_equal(sample(t, key), 4);
	assert_non_null(strstr(t,
	    "billing_bridge_request_duration_seconds_sum{endpoint=\"plans."
	    "php\"} 60.003501\n"));
	assert_int_equal(sample(t,
	                     "billing_bridge_request_duration_seconds_count{"
	                     "endpoint=\"plans.php\"} "),
	    4);
	free(t);
	metrics_fini(m);
}

/* A flood of distinct labels cannot grow the series without bound. */
static void
test_series_bounded(void **state)
{
	metrics *m;
	char *t;

	(void) state;
	assert_int_equal(metrics_init(&m), 0);
	for (int status = 0; status < 2000; status++)
		metrics_leave(m, EP_PLANS, A_LIST, status, 1);
	t = render(m);
	assert_int_equal(
	    sample(t, "billing_bridge_metrics_dropped_series_total "),
	    2000 - 512);
	assert_int_equal(sample(t,
	                     "billing_bridge_request_duration_seconds_count{"
	                     "endpoint=\"plans.php\"} "),
	    2000);
	free(t);
	metrics_fini(m);
}

static void *
hammer(void *arg)
{
	metrics *m = arg;

	for (int i = 0; i < 10000; i++) {
		metrics_enter(m);
		metrics_leave(m, EP_SUBS, A_GET, 200, 10);
	}
	return (NULL);
}

/* Counts from 4 threads add up; nothing is left in flight. */
static void
test_threads(void **state)
{
	pthread_t th[4];
	metrics *m;
	char *t;

	(void) state;
	assert_int_equal(metrics_init(&m), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, hammer, m), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	t = render(m);
	assert_int_equal(sample(t,
	                     "billing_bridge_requests_total{endpoint="
	                     "\"subscriptions.php\",action=\"get\",status="
	                     "\"200\"} "),
	    40000);
	assert_int_equal(sample(t, "billing_bridge_requests_in_flight "), 0);
	free(t);
	metrics_fini(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_by_labels),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_series_bounded),
		cmocka_unit_test(test_threads),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
