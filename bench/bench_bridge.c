/*
 * bench_bridge: the RPCs behind two legacy requests, called directly.
 *
 * The bridge's side of the comparison is wrk against billing-bridge
 * (bench/run_bench_bridge.sh); this is the other side: what those
 * requests cost without HTTP, JSON and the bridge's process. N caller
 * threads (--callers, default 32, as wrk's 32 connections) share one
 * billing_client, as the bridge's connection threads share its client,
 * and each calls in a loop for --duration seconds after a --warmup:
 *
 *   plans_list: what plans.php?action=list makes (plans_list in
 *               http-bridge/plans.c): Plans.List with include_archived
 *               false and the page of chk_page's defaults (page 1, 50 a
 *               page).
 *   subs_get:   what subscriptions.php?action=get&id=ID makes (subs_get
 *               in http-bridge/subscriptions.c): Subscriptions.Get of
 *               one id, drawn uniformly from --sub-ids FIRST-LAST for
 *               every call, as bench/wrk_bridge.lua draws it.
 *
 * Each with the same call options the bridge passes (no deadline of its
 * own, no x-billing-now, a generated request id). The bridge checks the
 * API key before the action with ApiKeys.Authenticate unless its cache
 * (--key-cache-s, default 10 s) holds the key: in a steady run it makes
 * that call once per 10 s, so this makes it only with --key-cache-s 0,
 * before every call, with --key.
 *
 * For each operation it prints a line for people and a "result" line of
 * key=value pairs that the wrapper reads: requests, seconds, requests/s,
 * p50 and p99 latency (measured, and as wrk reports its own: corrected
 * for coordinated omission, so that the two compare), errors, and the
 * CPU time per request of this process (bench), of billing-server
 * (--server-pid) and of PostgreSQL's processes (the children of
 * --pg-pid, the postmaster). It exits 1 only when something broke (a
 * call failed, no server).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"
#include "billing_client.h"
#include "billing_client_stubs.h"

#define MAX_CALLERS 1024
#define CONNECT_WAIT_MS 5000

/* chk_page's defaults (http-bridge/check.c): what a list without page
 * and per_page asks for. */
#define BRIDGE_PAGE 1
#define BRIDGE_PER_PAGE 50

typedef enum { OP_PLANS_LIST, OP_SUBS_GET, N_OPS } op_kind;

static const char *const OP_NAMES[] = {
	[OP_PLANS_LIST] = "plans_list",
	[OP_SUBS_GET] = "subs_get",
};

static const char *const OP_LEGACY[] = {
	[OP_PLANS_LIST] = "plans.php?action=list",
	[OP_SUBS_GET] = "subscriptions.php?action=get&id=ID",
};

static struct {
	const char *server;
	long server_pid, pg_pid;
	int callers;
	double duration_s, warmup_s;
	bool ops[N_OPS];
	int64_t sub_first, sub_last;
	const char *key;
	int key_cache_s;
	long clk_tck;
} cfg;

/* One operation's run: its shared state and its figures. */
typedef struct run {
	op_kind op;
	billing_client *client;
	pthread_barrier_t ready, go;
	int64_t measure_ns, end_ns;
	uint32_t *lat_ns; /* of every caller; n of cap */
	size_t n, cap;
	uint64_t errors;
	char err[256];
	pthread_mutex_t mu; /* over the above four */
} run;

typedef struct caller {
	run *run;
	int index;
	pthread_t thread;
	uint64_t rng;
	billing_status st;
	uint32_t *lat_ns;
	size_t n, cap;
	uint64_t errors;
	char err[256];
} caller;

/* ---- CPU time from /proc ---------------------------------------------- */

/*
 * Parent pid and user plus system CPU time in microseconds of process
 * pid, from /proc/pid/stat; -1 when it is gone or not ours to read.
 */
static int64_t
proc_cpu_us(long pid, long *ppid)
{
	char path[64], buf[1024];
	unsigned long long ut, stime;
	const char *p;
	size_t n;
	long pp;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return (-1);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name is in parentheses and may hold anything. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2,
	        "%*c %ld %*d %*d %*d %*d %*u %*u %*u %*u %*u"
	        " %llu %llu",
	        &pp, &ut, &stime) != 3)
		return (-1);
	if (ppid != NULL)
		*ppid = pp;
	return ((int64_t) ((ut + stime) * 1000000ULL /
	    (unsigned long long) cfg.clk_tck));
}

/* The CPU time of the postmaster's children (backends and helpers). */
static int64_t
pg_cpu_us(void)
{
	struct dirent *d;
	int64_t sum = 0;
	DIR *dir;

	if (cfg.pg_pid <= 0 || (dir = opendir("/proc")) == NULL)
		return (-1);
	while ((d = readdir(dir)) != NULL) {
		long pid, ppid = 0;
		int64_t us;

		if (!isdigit((unsigned char) d->d_name[0]))
			continue;
		pid = strtol(d->d_name, NULL, 10);
		if ((us = proc_cpu_us(pid, &ppid)) >= 0 && ppid == cfg.pg_pid)
			sum += us;
	}
	closedir(dir);
	return (sum);
}

/* ---- the calls -------------------------------------------------------- */

/* xorshift64*: each caller draws its own ids. */
static uint64_t
next_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return (*s * 2685821657736338717ULL);
}

static int
fail(caller *c, int rv, const char *what)
{
	bench_set_err(c->err, sizeof(c->err), "%s: %s: %s", what,
	    billing_code_name(rv),
	    c->st.message != NULL ? c->st.message : "?");
	billing_status_fini(&c->st);
	return (-1);
}

/* What authenticate in http-bridge/http.c calls on a cache miss. */
static int
call_authenticate(caller *c, const billing_call_opts *o)
{
	Billing__V1__AuthenticateApiKeyRequest req =
	    BILLING__V1__AUTHENTICATE_API_KEY_REQUEST__INIT;
	Billing__V1__ApiKey *k = NULL;
	int rv;

	req.key = (char *) cfg.key;
	rv =
	    billing_api_keys_authenticate(c->run->client, &req, &k, o, &c->st);
	if (rv != 0)
		return (fail(c, rv, "ApiKeys.Authenticate"));
	billing__v1__api_key__free_unpacked(k, NULL);
	return (0);
}

static int
call_plans_list(caller *c, const billing_call_opts *o)
{
	Billing__V1__ListPlansRequest req =
	    BILLING__V1__LIST_PLANS_REQUEST__INIT;
	Billing__V1__PageRequest pg = BILLING__V1__PAGE_REQUEST__INIT;
	Billing__V1__ListPlansResponse *resp = NULL;
	int rv;

	pg.has_page = pg.has_page_size = 1;
	pg.page = BRIDGE_PAGE;
	pg.page_size = BRIDGE_PER_PAGE;
	req.has_include_archived = 1;
	req.include_archived = false;
	req.page = &pg;
	rv = billing_plans_list(c->run->client, &req, &resp, o, &c->st);
	if (rv != 0)
		return (fail(c, rv, "Plans.List"));
	rv = resp->n_plans > 0 ? 0 : -1;
	if (rv != 0)
		bench_set_err(c->err, sizeof(c->err), "Plans.List: no plans");
	protobuf_c_message_free_unpacked(&resp->base, NULL);
	return (rv);
}

static int
call_subs_get(caller *c, const billing_call_opts *o)
{
	Billing__V1__GetSubscriptionRequest req =
	    BILLING__V1__GET_SUBSCRIPTION_REQUEST__INIT;
	Billing__V1__Subscription *s = NULL;
	uint64_t span = (uint64_t) (cfg.sub_last - cfg.sub_first + 1);
	int rv;

	req.has_id = 1;
	req.id = cfg.sub_first + (int64_t) (next_rand(&c->rng) % span);
	rv = billing_subscriptions_get(c->run->client, &req, &s, o, &c->st);
	if (rv != 0)
		return (fail(c, rv, "Subscriptions.Get"));
	rv = s->id == req.id ? 0 : -1;
	if (rv != 0)
		bench_set_err(c->err, sizeof(c->err),
		    "Subscriptions.Get %" PRId64 ": got %" PRId64, req.id,
		    s->id);
	billing__v1__subscription__free_unpacked(s, NULL);
	return (rv);
}

static void
record(caller *c, int64_t ns)
{
	if (c->n == c->cap) {
		size_t cap = c->cap > 0 ? c->cap * 2 : 16384;
		uint32_t *p = realloc(c->lat_ns, cap * sizeof(*p));

		if (p == NULL)
			return;
		c->lat_ns = p;
		c->cap = cap;
	}
	c->lat_ns[c->n++] = ns > UINT32_MAX ? UINT32_MAX : (uint32_t) ns;
}

static void *
caller_main(void *arg)
{
	caller *c = arg;
	run *run = c->run;
	int64_t t0, t1;

	billing_status_init(&c->st);
	c->rng = 0x9e3779b97f4a7c15ULL * (uint64_t) (c->index + 1);
	pthread_barrier_wait(&run->ready);
	pthread_barrier_wait(&run->go); /* the times are set */
	while ((t0 = bench_mono_ns()) < run->end_ns) {
		/* The bridge's r->opts: zeroed, now from X-Billing-Now. */
		billing_call_opts o;
		int rv = 0;

		memset(&o, 0, sizeof(o));
		if (cfg.key_cache_s == 0)
			rv = call_authenticate(c, &o);
		if (rv == 0)
			rv = run->op == OP_PLANS_LIST ? call_plans_list(c, &o)
			                              : call_subs_get(c, &o);
		t1 = bench_mono_ns();
		if (rv != 0) {
			c->errors++;
			bench_sleep_ms(1);
		} else if (t1 >= run->measure_ns && t1 <= run->end_ns)
			record(c, t1 - t0);
	}
	billing_status_fini(&c->st);

	pthread_mutex_lock(&run->mu);
	if (run->n + c->n > run->cap) {
		size_t cap = run->cap > 0 ? run->cap : 65536;
		uint32_t *p;

		while (cap < run->n + c->n)
			cap *= 2;
		if ((p = realloc(run->lat_ns, cap * sizeof(*p))) == NULL) {
			fprintf(stderr, "bench_bridge: out of memory\n");
			exit(1);
		}
		run->lat_ns = p;
		run->cap = cap;
	}
	if (c->n > 0)
		memcpy(run->lat_ns + run->n, c->lat_ns,
		    c->n * sizeof(*c->lat_ns));
	run->n += c->n;
	run->errors += c->errors;
	if (c->err[0] != '\0')
		bench_set_err(run->err, sizeof(run->err), "%s", c->err);
	pthread_mutex_unlock(&run->mu);
	free(c->lat_ns);
	return (NULL);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;

	return (x < y ? -1 : x > y);
}

/*
 * p50 and p99 as wrk --latency reports them, from the same samples: a
 * histogram of whole microseconds, corrected for coordinated omission as
 * wrk 4.1's stats_correct does it (with i the mean interval between one
 * caller's calls, a call that took v >= 2i stands also for the calls its
 * caller would have started meanwhile: v - i, v - 2i, ... while above
 * i), ranked as its stats_percentile.
 */
static void
wrk_percentiles(const uint32_t *ns, size_t n, double secs, int callers,
    double *p50, double *p99)
{
	uint64_t max = 0, count = 0, *h;
	int64_t interval;

	*p50 = *p99 = 0;
	for (size_t i = 0; i < n; i++)
		if (ns[i] / 1000 > max)
			max = ns[i] / 1000;
	if (n == 0 || (h = calloc(max + 1, sizeof(*h))) == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		h[ns[i] / 1000]++;
	count = n;
	if (n / (size_t) callers > 0) {
		interval =
		    (int64_t) (secs * 1e6) / (int64_t) (n / (size_t) callers);
		for (uint64_t v = (uint64_t) interval * 2;
		     interval > 0 && v <= max; v++)
			for (int64_t m = (int64_t) v - interval;
			     h[v] > 0 && m > interval; m -= interval) {
				h[m] += h[v];
				count += h[v];
			}
	}
	for (int k = 0; k < 2; k++) {
		double p = k == 0 ? 50.0 : 99.0;
		uint64_t rank =
		    (uint64_t) round(p / 100.0 * (double) count + 0.5);
		uint64_t total = 0;

		for (uint64_t i = 0; i <= max; i++)
			if ((total += h[i]) >= rank) {
				*(k == 0 ? p50 : p99) = (double) i;
				break;
			}
	}
	free(h);
}

static double
per_req(int64_t a, int64_t b, size_t n)
{
	return (a < 0 || b < 0 || n == 0 ? -1 : (double) (b - a) / (double) n);
}

static void
fmt_cpu(char *buf, size_t cap, double v)
{
	if (v < 0)
		snprintf(buf, cap, "-");
	else
		snprintf(buf, cap, "%.1f", v);
}

/* Runs one operation; returns 0, or -1 when something broke. */
static int
measure(op_kind op)
{
	billing_status st = BILLING_STATUS_INIT;
	caller *callers;
	run run;
	int64_t until, bench0, bench1, srv0 = -1, srv1 = -1, pg0, pg1;
	double p50, p99, w50, w99, rps, cb, cs, cp;
	char b[16], s[16], p[16];

	memset(&run, 0, sizeof(run));
	run.op = op;
	pthread_mutex_init(&run.mu, NULL);
	if (billing_client_open(&run.client, cfg.server, NULL, &st) != 0) {
		fprintf(stderr, "bench_bridge: client: %s\n",
		    st.message != NULL ? st.message : "?");
		billing_status_fini(&st);
		return (-1);
	}
	until = bench_mono_ns() + (int64_t) CONNECT_WAIT_MS * 1000000;
	while (billing_client_connected(run.client) == 0 &&
	    bench_mono_ns() < until)
		bench_sleep_ms(5);
	if (billing_client_connected(run.client) == 0) {
		fprintf(stderr, "bench_bridge: no server at %s\n", cfg.server);
		billing_client_close(run.client);
		return (-1);
	}
	if ((callers = calloc((size_t) cfg.callers, sizeof(*callers))) ==
	    NULL) {
		fprintf(stderr, "bench_bridge: out of memory\n");
		exit(1);
	}
	pthread_barrier_init(&run.ready, NULL, (unsigned) cfg.callers + 1);
	pthread_barrier_init(&run.go, NULL, (unsigned) cfg.callers + 1);
	for (int i = 0; i < cfg.callers; i++) {
		callers[i].run = &run;
		callers[i].index = i;
		if (pthread_create(&callers[i].thread, NULL, caller_main,
		        &callers[i]) != 0) {
			fprintf(
			    stderr, "bench_bridge: pthread_create failed\n");
			exit(1);
		}
	}
	pthread_barrier_wait(&run.ready);
	run.measure_ns = bench_mono_ns() + (int64_t) (cfg.warmup_s * 1e9);
	run.end_ns = run.measure_ns + (int64_t) (cfg.duration_s * 1e9);
	pthread_barrier_wait(&run.go);

	bench_sleep_until(run.measure_ns);
	bench0 = bench_self_cpu_us();
	if (cfg.server_pid > 0)
		srv0 = proc_cpu_us(cfg.server_pid, NULL);
	pg0 = pg_cpu_us();
	bench_sleep_until(run.end_ns);
	bench1 = bench_self_cpu_us();
	if (cfg.server_pid > 0)
		srv1 = proc_cpu_us(cfg.server_pid, NULL);
	pg1 = pg_cpu_us();

	for (int i = 0; i < cfg.callers; i++)
		pthread_join(callers[i].thread, NULL);
	free(callers);
	pthread_barrier_destroy(&run.ready);
	pthread_barrier_destroy(&run.go);
	billing_client_close(run.client);

	qsort(run.lat_ns, run.n, sizeof(*run.lat_ns), cmp_u32);
	p50 = bench_percentile_us(run.lat_ns, run.n, 0.50);
	p99 = bench_percentile_us(run.lat_ns, run.n, 0.99);
	wrk_percentiles(
	    run.lat_ns, run.n, cfg.duration_s, cfg.callers, &w50, &w99);
	rps = (double) run.n / cfg.duration_s;
	cb = per_req(bench0, bench1, run.n);
	cs = per_req(srv0, srv1, run.n);
	cp = per_req(pg0, pg1, run.n);
	fmt_cpu(b, sizeof(b), cb);
	fmt_cpu(s, sizeof(s), cs);
	fmt_cpu(p, sizeof(p), cp);
	printf("%-10s %7d %9zu %9.0f %8.2f %8.2f %8.2f %8.2f  %6s %6s %6s",
	    OP_NAMES[op], cfg.callers, run.n, rps, p50 / 1000, p99 / 1000,
	    w50 / 1000, w99 / 1000, b, s, p);
	if (run.errors > 0)
		printf("  ERRORS %" PRIu64 ": %s", run.errors, run.err);
	printf("\n");
	printf("result op=%s callers=%d requests=%zu secs=%.3f rps=%.1f "
	       "p50_us=%.0f p99_us=%.0f p50_raw_us=%.1f p99_raw_us=%.1f "
	       "errors=%" PRIu64
	       " cpu_bench_us=%.1f cpu_server_us=%.1f cpu_pg_us=%.1f\n",
	    OP_NAMES[op], cfg.callers, run.n, cfg.duration_s, rps, w50, w99,
	    p50, p99, run.errors, cb, cs, cp);
	free(run.lat_ns);
	pthread_mutex_destroy(&run.mu);
	return (run.errors > 0 || run.n == 0 ? -1 : 0);
}

/* ---- main ------------------------------------------------------------- */

static void
usage(void)
{
	fprintf(stderr,
	    "usage: bench_bridge --server URL [options]\n"
	    "  --server URL         billing-server, as the bridge's "
	    "--server\n"
	    "  --ops LIST           plans_list,subs_get (default both)\n"
	    "  --sub-ids FIRST-LAST the subscriptions subs_get draws from\n"
	    "  --callers N          caller threads (default 32)\n"
	    "  --duration S         seconds measured per operation "
	    "(default 10)\n"
	    "  --warmup S           seconds before measuring (default 1)\n"
	    "  --key-cache-s N      the bridge's --key-cache-s (default "
	    "10); 0: an\n"
	    "                       ApiKeys.Authenticate of --key before "
	    "every call\n"
	    "  --key KEY            the API key (needed with "
	    "--key-cache-s 0)\n"
	    "  --server-pid PID     billing-server's pid, for its CPU "
	    "time\n"
	    "  --pg-pid PID         the postmaster's pid, for "
	    "PostgreSQL's CPU time\n");
}

static int
parse_ops(const char *s)
{
	memset(cfg.ops, 0, sizeof(cfg.ops));
	while (*s != '\0') {
		size_t len = strcspn(s, ",");
		bool found = false;

		for (int i = 0; i < N_OPS; i++)
			if (strlen(OP_NAMES[i]) == len &&
			    strncmp(s, OP_NAMES[i], len) == 0)
				cfg.ops[i] = found = true;
		if (!found)
			return (-1);
		s += len;
		if (*s == ',')
			s++;
	}
	return (0);
}

static int
parse_args(int argc, char **argv)
{
	char *end;

	cfg.callers = 32;
	cfg.duration_s = 10;
	cfg.warmup_s = 1;
	cfg.key_cache_s = 10;
	cfg.ops[OP_PLANS_LIST] = cfg.ops[OP_SUBS_GET] = true;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--help") == 0)
			return (-1);
		if (v == NULL) {
			fprintf(stderr, "bench_bridge: %s needs a value\n", a);
			return (-1);
		}
		i++;
		if (strcmp(a, "--server") == 0)
			cfg.server = v;
		else if (strcmp(a, "--ops") == 0) {
			if (parse_ops(v) != 0) {
				fprintf(stderr, "bench_bridge: bad --ops\n");
				return (-1);
			}
		} else if (strcmp(a, "--sub-ids") == 0) {
			cfg.sub_first = strtoll(v, &end, 10);
			if (*end != '-' ||
			    (cfg.sub_last = strtoll(end + 1, &end, 10)) <
			        cfg.sub_first ||
			    *end != '\0' || cfg.sub_first < 1) {
				fprintf(
				    stderr, "bench_bridge: bad --sub-ids\n");
				return (-1);
			}
		} else if (strcmp(a, "--callers") == 0)
			cfg.callers = atoi(v);
		else if (strcmp(a, "--duration") == 0)
			cfg.duration_s = atof(v);
		else if (strcmp(a, "--warmup") == 0)
			cfg.warmup_s = atof(v);
		else if (strcmp(a, "--key-cache-s") == 0)
			cfg.key_cache_s = atoi(v);
		else if (strcmp(a, "--key") == 0)
			cfg.key = v;
		else if (strcmp(a, "--server-pid") == 0)
			cfg.server_pid = strtol(v, NULL, 10);
		else if (strcmp(a, "--pg-pid") == 0)
			cfg.pg_pid = strtol(v, NULL, 10);
		else {
			fprintf(
			    stderr, "bench_bridge: unknown option %s\n", a);
			return (-1);
		}
	}
	if (cfg.server == NULL || cfg.callers < 1 ||
	    cfg.callers > MAX_CALLERS || cfg.duration_s <= 0 ||
	    cfg.warmup_s < 0 || cfg.key_cache_s < 0) {
		fprintf(stderr,
		    "bench_bridge: --server is required; --callers 1 to %d; "
		    "durations positive\n",
		    MAX_CALLERS);
		return (-1);
	}
	if (cfg.ops[OP_SUBS_GET] && cfg.sub_first < 1) {
		fprintf(stderr, "bench_bridge: subs_get needs --sub-ids\n");
		return (-1);
	}
	if (cfg.key_cache_s == 0 && cfg.key == NULL) {
		fprintf(stderr, "bench_bridge: --key-cache-s 0 needs --key\n");
		return (-1);
	}
	return (0);
}

int
main(int argc, char **argv)
{
	int broke = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	cfg.clk_tck = sysconf(_SC_CLK_TCK);
	if (parse_args(argc, argv) != 0) {
		usage();
		return (2);
	}
	printf("bench_bridge:");
	for (int i = 0; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\n");
	printf("  one billing_client shared by %d caller threads, %s; "
	       "%.1f s measured\n"
	       "  after a %.1f s warm-up; the latency of every request\n",
	    cfg.callers, cfg.server, cfg.duration_s, cfg.warmup_s);
	for (int i = 0; i < N_OPS; i++)
		if (cfg.ops[i])
			printf("  %-10s = the RPC%s of %s\n", OP_NAMES[i],
			    cfg.key_cache_s == 0 ? "s" : "", OP_LEGACY[i]);
	if (cfg.key_cache_s == 0)
		printf("  --key-cache-s 0: ApiKeys.Authenticate before every "
		       "call, as the bridge\n  without its key cache\n");
	else
		printf("  --key-cache-s %d: no ApiKeys.Authenticate (the "
		       "bridge makes one per %d s)\n",
		    cfg.key_cache_s, cfg.key_cache_s);
	printf("  latency: measured, and as wrk --latency reports it (whole "
	       "microseconds,\n  corrected for coordinated omission as "
	       "wrk 4.1 does)\n");
	printf("  cpu: user+system time per request of this process "
	       "(bench), billing-server\n  and PostgreSQL's processes\n\n");
	printf("%-10s %7s %9s %9s %17s %17s  %6s %6s %6s\n", "", "", "", "",
	    "measured", "as wrk reports", "", "", "");
	printf("%-10s %7s %9s %9s %8s %8s %8s %8s  %6s %6s %6s\n", "op",
	    "callers", "requests", "req/s", "p50 ms", "p99 ms", "p50 ms",
	    "p99 ms", "bench", "server", "pg");
	printf("%-10s %7s %9s %9s %8s %8s %8s %8s  %-20s\n", "", "", "", "",
	    "", "", "", "", "(cpu us per request)");
	for (int i = 0; i < N_OPS; i++)
		if (cfg.ops[i] && measure((op_kind) i) != 0)
			broke = 1;
	if (broke)
		printf(
		    "\nbench_bridge: some calls failed (see ERRORS above)\n");
	return (broke);
}
