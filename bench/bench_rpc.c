/*
 * bench_rpc: what the RPC stack adds to a Plans.Get, against its parts.
 *
 * Side by side, in one run, against one PostgreSQL and one billing-server:
 *
 *  (a) pg:   the SELECT that Plans.Get runs (GET in server/plans.c), as a
 *            libpq prepared statement; each caller thread has its own
 *            connection.
 *  (b) echo: bare nng REQ/REP. The REP server is a separate process
 *            (forked before nng starts in this one) with N worker threads,
 *            each owning a context and doing synchronous recv/send as
 *            server/server.c does. It answers requests as large as a
 *            Plans.Get request envelope with replies as large as its reply
 *            envelope (both packed with protobuf-c from the real plan row).
 *            The callers share one REQ socket, each on its own context,
 *            opened once.
 *  (c) rpc:  billing_plans_get() through libbilling-client (one client
 *            shared by the caller threads, as an application would) to the
 *            real billing-server process.
 *
 * Each with 1 and 8 caller threads (--callers) calling in a loop for a
 * fixed time (--duration, in --rounds rounds in which the rows of one
 * caller count take turns, each after a warm-up); (b) and (c) over ipc://
 * and tcp://, (a) over the unix socket and, when given, TCP. A row reports
 * p50 and p99 latency, calls/s and the CPU time per call of this process,
 * of the server process and of PostgreSQL's client backends (from /proc).
 * Then the server's RSS and the targets, with PASS or MISS, and for the
 * throughput target the bound that CPU time per call puts on it.
 *
 * It is a report: a missed target does not fail it. It exits 1 only when
 * something broke (a call failed, a server was unreachable). The wrapper
 * bench/run_bench_rpc.sh sets up PostgreSQL and the server and runs it.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

#include "benchutil.h"
#include "billing_client.h"
#include "billing_client_stubs.h"
#include "codec.h"

#define MAX_CALLERS 64
#define MAX_ROWS 32
#define MAX_CALLER_COUNTS 8
#define CALL_TIMEOUT_MS 10000
#define CONNECT_WAIT_MS 5000
#define ECHO_RECV_POLL_MS 200 /* as RECV_POLL_MS in server/server.c */
#define RSS_LIMIT_KB (20 * 1024)

/* The statement of Plans.Get (PLAN_COLS and GET in server/plans.c). */
#define PLANS_GET_SQL                                                        \
	"SELECT id, code, name, price_minor, currency, billing_cycle,"       \
	" trial_days, active, billing_us(created_at) FROM plans WHERE id = " \
	"$1"

/* A request id as long as the client library's ("%08x-%seq"). */
#define SAMPLE_REQUEST_ID "5eedc0de-12345"

typedef enum { CASE_PG, CASE_ECHO, CASE_RPC } case_kind;

static const char *const CASE_NAMES[] = {
	[CASE_PG] = "(a) libpq SELECT",
	[CASE_ECHO] = "(b) nng echo",
	[CASE_RPC] = "(c) Plans.Get",
};

typedef struct row {
	case_kind kind;
	const char *via; /* unix, tcp, ipc */
	const char *url;
	int callers;
	uint32_t *lat_ns; /* of every round; n of cap */
	size_t n, cap;
	double secs;                                 /* measured */
	int64_t cpu_bench_us, cpu_srv_us, cpu_pg_us; /* < 0: unknown */
	double p50_us, p99_us, calls_s;
	double cpu_bench, cpu_srv, cpu_pg; /* us per call; < 0: unknown */
	uint64_t errors;
	char err[256];
} row;

static struct {
	const char *pg_url, *pg_tcp_url;
	const char *server_ipc, *server_tcp;
	const char *echo_ipc, *echo_tcp;
	char echo_tcp_bound[256];
	long server_pid;
	int server_workers;
	long echo_pid;
	int64_t plan_id;
	char plan_id_text[24];
	int echo_workers;
	int callers[MAX_CALLER_COUNTS];
	int n_callers;
	const char *cases; /* of "abc" */
	double duration_s, warmup_s;
	int rounds;
	uint8_t *req_env; /* a packed Plans.Get request envelope */
	size_t req_len, req_payload_len;
	uint8_t *reply_env; /* a packed Plans.Get reply envelope */
	size_t reply_len, reply_payload_len;
	long clk_tck;
} cfg;

/* One measurement: the row, its shared state and its callers. */
typedef struct run {
	row *r;
	nng_socket echo_sock;
	billing_client *client;
	pthread_barrier_t ready, go;
	int64_t measure_ns, end_ns;
} run;

typedef struct caller {
	run *run;
	pthread_t thread;
	bool ok;
	PGconn *pg;
	nng_ctx ctx;
	bool ctx_open;
	nng_aio *aio;
	billing_status st;
	uint32_t *lat_ns;
	size_t n, cap;
	uint64_t errors;
	char err[256];
} caller;

static int64_t
real_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000);
}

/* The kB value of field ("VmRSS:") in /proc/pid/status, or -1. */
static long
proc_status_kb(long pid, const char *field)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, field, strlen(field)) == 0) {
			kb = strtol(line + strlen(field), NULL, 10);
			break;
		}
	fclose(f);
	return (kb);
}

/* User plus system CPU time of process pid in microseconds, or -1. */
static int64_t
proc_cpu_us(long pid)
{
	char path[64], buf[1024];
	unsigned long long ut, stime;
	const char *p;
	size_t n;
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
	        "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u"
	        " %llu %llu",
	        &ut, &stime) != 2)
		return (-1);
	return ((int64_t) ((ut + stime) * 1000000ULL /
	    (unsigned long long) cfg.clk_tck));
}

/*
 * PostgreSQL's client backends of the benchmark database, except the
 * monitor's own: during (a) the callers' connections, during (c) the
 * server's (the callers of (a) are gone by then).
 */
#define MAX_BACKENDS 64

typedef struct pg_cpu {
	long pid[MAX_BACKENDS];
	int n;
	int64_t us;
} pg_cpu;

static void
pg_cpu_sample(PGconn *mon, pg_cpu *s, bool list)
{
	if (list) {
		PGresult *res = PQexec(mon,
		    "SELECT pid FROM pg_stat_activity"
		    " WHERE datname = current_database()"
		    " AND backend_type = 'client backend'"
		    " AND pid <> pg_backend_pid()");

		s->n = 0;
		if (PQresultStatus(res) == PGRES_TUPLES_OK)
			for (int i = 0;
			     i < PQntuples(res) && s->n < MAX_BACKENDS; i++)
				s->pid[s->n++] =
				    strtol(PQgetvalue(res, i, 0), NULL, 10);
		PQclear(res);
	}
	s->us = 0;
	for (int i = 0; i < s->n; i++) {
		int64_t us = proc_cpu_us(s->pid[i]);

		if (us < 0) {
			s->us = -1; /* not ours to read, or gone */
			return;
		}
		s->us += us;
	}
}

/* ---- the envelopes ---------------------------------------------------- */

static Billing__V1__BillingCycle
cycle_from_text(const char *s)
{
	if (strcmp(s, "monthly") == 0)
		return (BILLING__V1__BILLING_CYCLE__BILLING_CYCLE_MONTHLY);
	if (strcmp(s, "quarterly") == 0)
		return (BILLING__V1__BILLING_CYCLE__BILLING_CYCLE_QUARTERLY);
	if (strcmp(s, "yearly") == 0)
		return (BILLING__V1__BILLING_CYCLE__BILLING_CYCLE_YEARLY);
	return (BILLING__V1__BILLING_CYCLE__BILLING_CYCLE_UNSPECIFIED);
}

static uint8_t *
pack(const ProtobufCMessage *m, size_t *len)
{
	uint8_t *buf;

	*len = protobuf_c_message_get_packed_size(m);
	if ((buf = malloc(*len > 0 ? *len : 1)) == NULL) {
		fprintf(stderr, "bench_rpc: out of memory\n");
		exit(1);
	}
	protobuf_c_message_pack(m, buf);
	return (buf);
}

/* A request envelope as billing_client_call() builds it for Plans.Get. */
static uint8_t *
pack_request(size_t *len, size_t *payload_len)
{
	Billing__V1__RequestEnvelope env = BILLING__V1__REQUEST_ENVELOPE__INIT;
	Billing__V1__GetPlanRequest req = BILLING__V1__GET_PLAN_REQUEST__INIT;
	uint8_t *payload, *buf;

	req.has_id = 1;
	req.id = cfg.plan_id;
	payload = pack(&req.base, payload_len);
	env.method = (char *) billing_method_plans_get.full_name;
	env.request_id = SAMPLE_REQUEST_ID;
	env.has_deadline_us = 1;
	env.deadline_us = real_us() + (int64_t) CALL_TIMEOUT_MS * 1000;
	env.has_payload = 1;
	env.payload.data = payload;
	env.payload.len = *payload_len;
	buf = pack(&env.base, len);
	free(payload);
	return (buf);
}

/*
 * Fetches the plan row with libpq and packs the reply envelope the server
 * would send for it (from_row in server/plans.c, encode in dispatch.c).
 */
static int
pack_envelopes(void)
{
	Billing__V1__ReplyEnvelope r = BILLING__V1__REPLY_ENVELOPE__INIT;
	Billing__V1__Plan m = BILLING__V1__PLAN__INIT;
	const char *p[1] = { cfg.plan_id_text };
	PGconn *pg = PQconnectdb(cfg.pg_url);
	PGresult *res = NULL;
	int rv = -1;

	if (PQstatus(pg) != CONNECTION_OK) {
		fprintf(stderr, "bench_rpc: cannot connect to %s: %s",
		    cfg.pg_url, PQerrorMessage(pg));
		goto out;
	}
	res = PQexecParams(pg, PLANS_GET_SQL, 1, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		fprintf(stderr, "bench_rpc: plan %s: %s\n", cfg.plan_id_text,
		    PQresultStatus(res) == PGRES_TUPLES_OK
		        ? "not found"
		        : PQerrorMessage(pg));
		goto out;
	}
	m.has_id = 1;
	m.id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	m.code = PQgetvalue(res, 0, 1);
	m.name = PQgetvalue(res, 0, 2);
	m.has_price_minor = 1;
	m.price_minor = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
	m.currency = PQgetvalue(res, 0, 4);
	m.has_billing_cycle = 1;
	m.billing_cycle = cycle_from_text(PQgetvalue(res, 0, 5));
	m.has_trial_days = 1;
	m.trial_days = (int32_t) strtol(PQgetvalue(res, 0, 6), NULL, 10);
	m.has_active = 1;
	m.active = PQgetvalue(res, 0, 7)[0] == 't';
	if ((m.has_created_at_us = !PQgetisnull(res, 0, 8)))
		m.created_at_us = strtoll(PQgetvalue(res, 0, 8), NULL, 10);

	r.request_id = SAMPLE_REQUEST_ID;
	r.has_code = 1;
	r.code = BILLING__V1__STATUS_CODE__OK;
	r.has_payload = 1;
	r.payload.data = pack(&m.base, &cfg.reply_payload_len);
	r.payload.len = cfg.reply_payload_len;
	cfg.reply_env = pack(&r.base, &cfg.reply_len);
	free(r.payload.data);
	cfg.req_env = pack_request(&cfg.req_len, &cfg.req_payload_len);
	rv = 0;
out:
	PQclear(res);
	PQfinish(pg);
	return (rv);
}

/* ---- (b) the echo server, in a child process ---------------------------- */

typedef struct echo_worker {
	pthread_t thread;
	nng_ctx ctx;
	nng_aio *aio;
} echo_worker;

static atomic_bool echo_stopping;

/* worker_main in server/server.c, with a canned reply for dispatch. */
static void *
echo_main(void *arg)
{
	echo_worker *w = arg;

	while (!atomic_load(&echo_stopping)) {
		nng_msg *req, *reply;
		int rv;

		nng_aio_set_timeout(w->aio, ECHO_RECV_POLL_MS);
		nng_ctx_recv(w->ctx, w->aio);
		nng_aio_wait(w->aio);
		if ((rv = nng_aio_result(w->aio)) == NNG_ETIMEDOUT)
			continue;
		if (rv != 0)
			break;
		req = nng_aio_get_msg(w->aio);
		nng_msg_free(req);
		if (nng_msg_alloc(&reply, cfg.reply_len) != 0)
			continue;
		memcpy(nng_msg_body(reply), cfg.reply_env, cfg.reply_len);
		nng_aio_set_timeout(w->aio, NNG_DURATION_DEFAULT);
		nng_aio_set_msg(w->aio, reply);
		nng_ctx_send(w->ctx, w->aio);
		nng_aio_wait(w->aio);
		if (nng_aio_result(w->aio) != 0)
			nng_msg_free(reply);
	}
	return (NULL);
}

static int
echo_listen(nng_socket sock, const char *url, char *bound, size_t cap)
{
	nng_listener l;
	nng_sockaddr sa;
	int rv;

	if ((rv = nng_listener_create(&l, sock, url)) != 0 ||
	    (rv = nng_listener_start(l, 0)) != 0) {
		snprintf(bound, cap, "!cannot listen on %s: %s", url,
		    nng_strerror(rv));
		return (-1);
	}
	snprintf(bound, cap, "%s", url);
	if (nng_listener_get_addr(l, NNG_OPT_LOCADDR, &sa) == 0 &&
	    sa.s_family == NNG_AF_INET) {
		const uint8_t *a = (const uint8_t *) &sa.s_in.sa_addr;
		const uint8_t *pt = (const uint8_t *) &sa.s_in.sa_port;

		snprintf(bound, cap, "tcp://%u.%u.%u.%u:%u", a[0], a[1], a[2],
		    a[3], (unsigned) pt[0] << 8 | pt[1]);
	}
	return (0);
}

/*
 * The child: serves until ctl_fd reaches end of file (the parent closed
 * it, or died). Reports "TCP-URL\n" or "!error\n" on ready_fd.
 */
static void
echo_child(int ready_fd, int ctl_fd)
{
	echo_worker *w;
	nng_socket sock;
	char line[256] = "", tcp[160];
	char c;
	int rv;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if ((w = calloc((size_t) cfg.echo_workers, sizeof(*w))) == NULL)
		_exit(1);
	if ((rv = nng_rep0_open(&sock)) != 0) {
		snprintf(line, sizeof(line), "!nng_rep0_open: %s\n",
		    nng_strerror(rv));
		goto fail;
	}
	nng_socket_set_size(sock, NNG_OPT_RECVMAXSZ, RPC_RECV_LIMIT_BYTES);
	for (int i = 0; i < cfg.echo_workers; i++)
		if (nng_ctx_open(&w[i].ctx, sock) != 0 ||
		    nng_aio_alloc(&w[i].aio, NULL, NULL) != 0 ||
		    pthread_create(&w[i].thread, NULL, echo_main, &w[i]) !=
		        0) {
			snprintf(line, sizeof(line), "!cannot start worker\n");
			goto fail;
		}
	if (echo_listen(sock, cfg.echo_ipc, tcp, sizeof(tcp)) != 0 ||
	    echo_listen(sock, cfg.echo_tcp, tcp, sizeof(tcp)) != 0) {
		snprintf(line, sizeof(line), "%s\n", tcp);
		goto fail;
	}
	snprintf(line, sizeof(line), "%s\n", tcp);
	if (write(ready_fd, line, strlen(line)) < 0)
		_exit(1);
	close(ready_fd);
	for (;;) {
		ssize_t k = read(ctl_fd, &c, 1);

		if (k == 0 || (k < 0 && errno != EINTR))
			break;
	}
	atomic_store(&echo_stopping, true);
	nng_close(sock);
	for (int i = 0; i < cfg.echo_workers; i++)
		pthread_join(w[i].thread, NULL);
	_exit(0);
fail:
	if (write(ready_fd, line, strlen(line)) < 0)
		_exit(1);
	_exit(1);
}

static int echo_ctl_fd = -1;

/* Forks the echo server; call it before this process touches nng. */
static int
echo_start(void)
{
	int ready[2], ctl[2];
	char line[256];
	size_t n = 0;
	ssize_t k;
	pid_t pid;

	if (pipe(ready) != 0 || pipe(ctl) != 0) {
		perror("bench_rpc: pipe");
		return (-1);
	}
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0) {
		perror("bench_rpc: fork");
		return (-1);
	}
	if (pid == 0) {
		close(ready[0]);
		close(ctl[1]);
		echo_child(ready[1], ctl[0]);
	}
	close(ready[1]);
	close(ctl[0]);
	echo_ctl_fd = ctl[1];
	cfg.echo_pid = pid;
	while (n < sizeof(line) - 1 &&
	    (k = read(ready[0], line + n, sizeof(line) - 1 - n)) != 0) {
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			break;
		n += (size_t) k;
		if (memchr(line, '\n', n) != NULL)
			break;
	}
	close(ready[0]);
	line[n] = '\0';
	line[strcspn(line, "\n")] = '\0';
	if (n == 0 || line[0] == '!') {
		fprintf(stderr, "bench_rpc: echo server: %s\n",
		    n == 0 ? "exited" : line + 1);
		return (-1);
	}
	snprintf(cfg.echo_tcp_bound, sizeof(cfg.echo_tcp_bound), "%s", line);
	return (0);
}

static void
echo_stop(void)
{
	if (echo_ctl_fd >= 0) {
		close(echo_ctl_fd);
		echo_ctl_fd = -1;
		waitpid((pid_t) cfg.echo_pid, NULL, 0);
	}
}

/* ---- the callers ------------------------------------------------------ */

static int
caller_init(caller *c)
{
	run *run = c->run;
	PGresult *res;
	int rv;

	switch (run->r->kind) {
	case CASE_PG:
		c->pg = PQconnectdb(run->r->url);
		if (PQstatus(c->pg) != CONNECTION_OK) {
			bench_set_err(c->err, sizeof(c->err), "connect: %s",
			    PQerrorMessage(c->pg));
			return (-1);
		}
		res = PQprepare(c->pg, "plans_get", PLANS_GET_SQL, 1, NULL);
		rv = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : -1;
		if (rv != 0)
			bench_set_err(c->err, sizeof(c->err), "prepare: %s",
			    PQerrorMessage(c->pg));
		PQclear(res);
		return (rv);
	case CASE_ECHO:
		if ((rv = nng_ctx_open(&c->ctx, run->echo_sock)) != 0 ||
		    (c->ctx_open = true,
		        rv = nng_ctx_set_ms(c->ctx, NNG_OPT_REQ_RESENDTIME,
		            NNG_DURATION_INFINITE)) != 0 ||
		    (rv = nng_aio_alloc(&c->aio, NULL, NULL)) != 0) {
			bench_set_err(c->err, sizeof(c->err), "context: %s",
			    nng_strerror(rv));
			return (-1);
		}
		return (0);
	case CASE_RPC:
		billing_status_init(&c->st);
		return (0);
	}
	return (-1);
}

static void
caller_fini(caller *c)
{
	if (c->pg != NULL)
		PQfinish(c->pg);
	if (c->aio != NULL)
		nng_aio_free(c->aio);
	if (c->ctx_open)
		nng_ctx_close(c->ctx);
	if (c->run->r->kind == CASE_RPC)
		billing_status_fini(&c->st);
}

static int
call_pg(caller *c)
{
	const char *p[1] = { cfg.plan_id_text };
	PGresult *res;
	int rv = 0;

	res = PQexecPrepared(c->pg, "plans_get", 1, p, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		bench_set_err(c->err, sizeof(c->err), "%s",
		    PQresultStatus(res) == PGRES_TUPLES_OK
		        ? "no row"
		        : PQerrorMessage(c->pg));
		rv = -1;
	}
	PQclear(res);
	return (rv);
}

static int
call_echo(caller *c)
{
	nng_msg *msg;
	int rv;

	if ((rv = nng_msg_alloc(&msg, cfg.req_len)) != 0)
		goto fail;
	memcpy(nng_msg_body(msg), cfg.req_env, cfg.req_len);
	nng_aio_set_timeout(c->aio, CALL_TIMEOUT_MS);
	nng_aio_set_msg(c->aio, msg);
	nng_ctx_send(c->ctx, c->aio);
	nng_aio_wait(c->aio);
	if ((rv = nng_aio_result(c->aio)) != 0) {
		nng_msg_free(msg);
		goto fail;
	}
	nng_ctx_recv(c->ctx, c->aio);
	nng_aio_wait(c->aio);
	if ((rv = nng_aio_result(c->aio)) != 0)
		goto fail;
	msg = nng_aio_get_msg(c->aio);
	rv = nng_msg_len(msg) == cfg.reply_len ? 0 : NNG_EPROTO;
	nng_msg_free(msg);
	if (rv == 0)
		return (0);
fail:
	bench_set_err(c->err, sizeof(c->err), "echo: %s", nng_strerror(rv));
	return (-1);
}

static int
call_rpc(caller *c)
{
	Billing__V1__GetPlanRequest req = BILLING__V1__GET_PLAN_REQUEST__INIT;
	Billing__V1__Plan *plan = NULL;
	int rv;

	req.has_id = 1;
	req.id = cfg.plan_id;
	rv = billing_plans_get(c->run->client, &req, &plan, NULL, &c->st);
	if (rv != 0) {
		bench_set_err(c->err, sizeof(c->err), "%s: %s",
		    billing_code_name(rv),
		    c->st.message != NULL ? c->st.message : "?");
		billing_status_fini(&c->st);
		return (-1);
	}
	rv = plan->id == cfg.plan_id ? 0 : -1;
	if (rv != 0)
		bench_set_err(
		    c->err, sizeof(c->err), "got plan %" PRId64, plan->id);
	billing__v1__plan__free_unpacked(plan, NULL);
	return (rv);
}

static void
record(caller *c, int64_t ns)
{
	if (c->n == c->cap) {
		size_t cap = c->cap > 0 ? c->cap * 2 : 65536;
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

	c->ok = caller_init(c) == 0;
	pthread_barrier_wait(&run->ready);
	pthread_barrier_wait(&run->go); /* the times are set */
	if (!c->ok)
		return (NULL);
	while ((t0 = bench_mono_ns()) < run->end_ns) {
		int rv;

		switch (run->r->kind) {
		case CASE_PG:
			rv = call_pg(c);
			break;
		case CASE_ECHO:
			rv = call_echo(c);
			break;
		default:
			rv = call_rpc(c);
			break;
		}
		t1 = bench_mono_ns();
		if (rv != 0) {
			c->errors++;
			bench_sleep_ms(1);
		} else if (t1 >= run->measure_ns && t1 <= run->end_ns)
			record(c, t1 - t0);
	}
	return (NULL);
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;

	return (x < y ? -1 : x > y);
}

/* Opens what the callers of r share: the echo socket or the client. */
static int
run_open(run *run)
{
	row *r = run->r;
	billing_status st = BILLING_STATUS_INIT;
	int64_t until;
	int rv;

	switch (r->kind) {
	case CASE_ECHO:
		if ((rv = nng_req0_open(&run->echo_sock)) != 0) {
			bench_set_err(r->err, sizeof(r->err),
			    "nng_req0_open: %s", nng_strerror(rv));
			return (-1);
		}
		nng_socket_set_size(
		    run->echo_sock, NNG_OPT_RECVMAXSZ, RPC_RECV_LIMIT_BYTES);
		nng_socket_set_ms(run->echo_sock, NNG_OPT_REQ_RESENDTIME,
		    NNG_DURATION_INFINITE);
		if ((rv = nng_dial(run->echo_sock, r->url, NULL, 0)) != 0) {
			bench_set_err(r->err, sizeof(r->err), "dial %s: %s",
			    r->url, nng_strerror(rv));
			return (-1);
		}
		return (0);
	case CASE_RPC:
		if (billing_client_open(&run->client, r->url, NULL, &st) !=
		    0) {
			bench_set_err(r->err, sizeof(r->err), "client: %s",
			    st.message != NULL ? st.message : "?");
			billing_status_fini(&st);
			return (-1);
		}
		until = bench_mono_ns() + (int64_t) CONNECT_WAIT_MS * 1000000;
		while (billing_client_connected(run->client) == 0 &&
		    bench_mono_ns() < until)
			bench_sleep_ms(5);
		if (billing_client_connected(run->client) == 0) {
			bench_set_err(
			    r->err, sizeof(r->err), "no server at %s", r->url);
			return (-1);
		}
		return (0);
	default:
		return (0);
	}
}

static void
run_close(run *run)
{
	if (run->r->kind == CASE_ECHO && nng_socket_id(run->echo_sock) > 0)
		nng_close(run->echo_sock);
	if (run->client != NULL)
		billing_client_close(run->client);
}

static long
row_server_pid(const row *r)
{
	switch (r->kind) {
	case CASE_ECHO:
		return (cfg.echo_pid);
	case CASE_RPC:
		return (cfg.server_pid);
	default:
		return (0);
	}
}

static double
per_call(int64_t a, int64_t b, size_t n)
{
	return (a < 0 || b < 0 || n == 0 ? -1 : (double) (b - a) / (double) n);
}

/* Appends n samples to r's. */
static void
row_add(row *r, const uint32_t *v, size_t n)
{
	if (r->n + n > r->cap) {
		size_t cap = r->cap > 0 ? r->cap : 65536;
		uint32_t *p;

		while (cap < r->n + n)
			cap *= 2;
		if ((p = realloc(r->lat_ns, cap * sizeof(*p))) == NULL) {
			fprintf(stderr, "bench_rpc: out of memory\n");
			exit(1);
		}
		r->lat_ns = p;
		r->cap = cap;
	}
	if (n > 0)
		memcpy(r->lat_ns + r->n, v, n * sizeof(*v));
	r->n += n;
}

static void
add_cpu(int64_t *sum, int64_t a, int64_t b)
{
	*sum = a < 0 || b < 0 || *sum < 0 ? -1 : *sum + (b - a);
}

/* One round of row r: warm up, then measure for duration / rounds. */
static void
measure(row *r, PGconn *mon)
{
	caller *callers;
	run run;
	long spid = row_server_pid(r);
	int64_t bench0, bench1, srv0 = -1, srv1 = -1, pg0 = -1;
	pg_cpu pg = { .n = 0, .us = -1 };
	double secs = cfg.duration_s / cfg.rounds;

	memset(&run, 0, sizeof(run));
	run.r = r;
	if ((callers = calloc((size_t) r->callers, sizeof(*callers))) ==
	    NULL) {
		fprintf(stderr, "bench_rpc: out of memory\n");
		exit(1);
	}
	if (run_open(&run) != 0) {
		r->errors++;
		goto out;
	}
	pthread_barrier_init(&run.ready, NULL, (unsigned) r->callers + 1);
	pthread_barrier_init(&run.go, NULL, (unsigned) r->callers + 1);
	for (int i = 0; i < r->callers; i++) {
		callers[i].run = &run;
		if (pthread_create(&callers[i].thread, NULL, caller_main,
		        &callers[i]) != 0) {
			fprintf(stderr, "bench_rpc: pthread_create failed\n");
			exit(1);
		}
	}
	pthread_barrier_wait(&run.ready);
	run.measure_ns = bench_mono_ns() + (int64_t) (cfg.warmup_s * 1e9);
	run.end_ns = run.measure_ns + (int64_t) (secs * 1e9);
	pthread_barrier_wait(&run.go);

	bench_sleep_until(run.measure_ns);
	bench0 = bench_self_cpu_us();
	if (spid > 0)
		srv0 = proc_cpu_us(spid);
	if (mon != NULL && r->kind != CASE_ECHO) {
		pg_cpu_sample(mon, &pg, true);
		pg0 = pg.us;
	}
	bench_sleep_until(run.end_ns);
	bench1 = bench_self_cpu_us();
	if (spid > 0)
		srv1 = proc_cpu_us(spid);
	if (pg0 >= 0)
		pg_cpu_sample(mon, &pg, false);

	for (int i = 0; i < r->callers; i++) {
		caller *c = &callers[i];

		pthread_join(c->thread, NULL);
		row_add(r, c->lat_ns, c->n);
		r->errors += c->errors + (c->ok ? 0 : 1);
		if (c->err[0] != '\0')
			bench_set_err(r->err, sizeof(r->err), "%s", c->err);
		caller_fini(c);
		free(c->lat_ns);
	}
	r->secs += secs;
	add_cpu(&r->cpu_bench_us, bench0, bench1);
	add_cpu(&r->cpu_srv_us, srv0, srv1);
	add_cpu(&r->cpu_pg_us, pg0, pg.us);
	pthread_barrier_destroy(&run.ready);
	pthread_barrier_destroy(&run.go);
out:
	run_close(&run);
	free(callers);
}

/* The row's figures, from its samples of every round. */
static void
row_finish(row *r)
{
	qsort(r->lat_ns, r->n, sizeof(*r->lat_ns), cmp_u32);
	r->p50_us = bench_percentile_us(r->lat_ns, r->n, 0.50);
	r->p99_us = bench_percentile_us(r->lat_ns, r->n, 0.99);
	r->calls_s = r->secs > 0 ? (double) r->n / r->secs : 0;
	r->cpu_bench = per_call(0, r->cpu_bench_us, r->n);
	r->cpu_srv = per_call(0, r->cpu_srv_us, r->n);
	r->cpu_pg = per_call(0, r->cpu_pg_us, r->n);
	free(r->lat_ns);
	r->lat_ns = NULL;
}

/* ---- the report ------------------------------------------------------- */

static void
fmt_cpu(char *buf, size_t cap, double v)
{
	if (v < 0)
		snprintf(buf, cap, "-");
	else
		snprintf(buf, cap, "%.1f", v);
}

static void
print_header(void)
{
	printf("%-17s %-4s %7s %8s %8s %8s  %6s %6s %6s\n", "case", "via",
	    "callers", "p50 us", "p99 us", "calls/s", "bench", "server", "pg");
	printf("%-17s %-4s %7s %8s %8s %8s  %-20s\n", "", "", "", "", "", "",
	    "(cpu us per call)");
}

static void
print_row(const row *r)
{
	char b[16], s[16], p[16];

	fmt_cpu(b, sizeof(b), r->cpu_bench);
	fmt_cpu(s, sizeof(s), r->cpu_srv);
	fmt_cpu(p, sizeof(p), r->cpu_pg);
	printf("%-17s %-4s %7d %8.1f %8.1f %8.0f  %6s %6s %6s",
	    CASE_NAMES[r->kind], r->via, r->callers, r->p50_us, r->p99_us,
	    r->calls_s, b, s, p);
	if (r->errors > 0)
		printf("  ERRORS %" PRIu64 ": %s", r->errors, r->err);
	printf("\n");
	fflush(stdout);
}

static row *
find_row(row *rows, int n, case_kind kind, const char *via, int callers)
{
	for (int i = 0; i < n; i++)
		if (rows[i].kind == kind && rows[i].callers == callers &&
		    strcmp(rows[i].via, via) == 0 && rows[i].n > 0)
			return (&rows[i]);
	return (NULL);
}

/*
 * With every process on the same CPUs, calls/s at many callers is bound
 * by CPU time per call. A (c) call costs at least what (b) costs both
 * sides plus PostgreSQL's share in (a); this prints the bound that puts
 * on (c), next to (c)'s own cost.
 */
static void
print_ceiling(row *rows, int n, const row *b, const row *c, int callers)
{
	const row *a = find_row(rows, n, CASE_PG, "unix", callers);
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	double need, own;

	if (a == NULL || a->cpu_pg < 0 || b->cpu_bench < 0 || b->cpu_srv < 0 ||
	    c->cpu_bench < 0 || c->cpu_srv < 0 || c->cpu_pg < 0 || ncpu < 1)
		return;
	need = b->cpu_bench + b->cpu_srv + a->cpu_pg;
	own = c->cpu_bench + c->cpu_srv + c->cpu_pg;
	printf("    (%ld CPUs; (b) %.0f + (a)'s PostgreSQL %.0f = %.0f us "
	       "of CPU per call\n"
	       "     caps (c) at %.0f calls/s, %.0f%% of (b); (c) used "
	       "%.0f us per call)\n",
	    ncpu, b->cpu_bench + b->cpu_srv, a->cpu_pg, need,
	    (double) ncpu * 1e6 / need,
	    100.0 * ((double) ncpu * 1e6 / need) / b->calls_s, own);
}

static void
print_targets(row *rows, int n, long rss_kb)
{
	static const char *const vias[] = { "ipc", "tcp" };
	int many = 0;

	for (int i = 0; i < cfg.n_callers; i++)
		if (cfg.callers[i] > many)
			many = cfg.callers[i];
	printf("\ntargets:\n");
	for (size_t i = 0; i < 2; i++) {
		row *a = find_row(rows, n, CASE_PG, "unix", 1);
		row *b = find_row(rows, n, CASE_ECHO, vias[i], 1);
		row *c = find_row(rows, n, CASE_RPC, vias[i], 1);
		double lim;

		if (a == NULL || b == NULL || c == NULL) {
			printf("  1 caller, %s: not measured\n", vias[i]);
			continue;
		}
		lim = 1.15 * (a->p50_us + b->p50_us);
		printf("  1 caller, %s: (c) p50 %.1f us <= 1.15 x ((a) %.1f + "
		       "(b) %.1f) = %.1f us: %s (%.2fx the sum)\n",
		    vias[i], c->p50_us, a->p50_us, b->p50_us, lim,
		    c->p50_us <= lim ? "PASS" : "MISS",
		    c->p50_us / (a->p50_us + b->p50_us));
	}
	for (size_t i = 0; i < 2 && many > 1; i++) {
		row *b = find_row(rows, n, CASE_ECHO, vias[i], many);
		row *c = find_row(rows, n, CASE_RPC, vias[i], many);

		if (b == NULL || c == NULL) {
			printf(
			    "  %d callers, %s: not measured\n", many, vias[i]);
			continue;
		}
		printf("  %d callers, %s: (c) %.0f calls/s >= 75%% of "
		       "(b) %.0f = %.0f: %s (%.0f%%)\n",
		    many, vias[i], c->calls_s, b->calls_s, 0.75 * b->calls_s,
		    c->calls_s >= 0.75 * b->calls_s ? "PASS" : "MISS",
		    100.0 * c->calls_s / b->calls_s);
		print_ceiling(rows, n, b, c, many);
	}
	if (rss_kb >= 0)
		printf("  server RSS %.1f MiB < 20 MiB: %s\n",
		    (double) rss_kb / 1024,
		    rss_kb < RSS_LIMIT_KB ? "PASS" : "MISS");
	else
		printf("  server RSS: not measured (give --server-pid)\n");
}

/* ---- main ------------------------------------------------------------- */

static void
usage(void)
{
	fprintf(stderr,
	    "usage: bench_rpc --pg-url URL --plan-id N [options]\n"
	    "  --pg-url URL         PostgreSQL over its unix socket (the\n"
	    "                       server's database URL)\n"
	    "  --pg-tcp-url URL     the same database over TCP (optional)\n"
	    "                       (an empty URL skips its rows, here and\n"
	    "                       for --server-ipc and --server-tcp)\n"
	    "  --plan-id N          the plan Plans.Get reads\n"
	    "  --server-ipc URL     billing-server's ipc:// URL\n"
	    "  --server-tcp URL     billing-server's tcp:// URL\n"
	    "  --server-pid PID     billing-server's pid, for its RSS and "
	    "CPU\n"
	    "  --server-workers N   its --workers, for the report (default "
	    "8)\n"
	    "  --echo-ipc URL       (b)'s ipc:// URL (default in /tmp)\n"
	    "  --echo-tcp URL       (b)'s tcp:// URL (default "
	    "tcp://127.0.0.1:0)\n"
	    "  --echo-workers N     (b)'s worker threads (default 8)\n"
	    "  --callers LIST       caller threads, e.g. 1,8 (default)\n"
	    "  --duration S         seconds measured per row (default 3)\n"
	    "  --rounds N           split into N rounds, the rows taking\n"
	    "                       turns (default 3)\n"
	    "  --warmup S           seconds before measuring, each round\n"
	    "                       (default 0.5)\n"
	    "  --cases LETTERS      which of a, b and c to run (default "
	    "abc)\n");
}

static int
parse_callers(const char *s)
{
	char *end;

	cfg.n_callers = 0;
	while (*s != '\0') {
		long v = strtol(s, &end, 10);

		if (end == s || v < 1 || v > MAX_CALLERS ||
		    cfg.n_callers == MAX_CALLER_COUNTS)
			return (-1);
		cfg.callers[cfg.n_callers++] = (int) v;
		s = *end == ',' ? end + 1 : end;
		if (*end != ',' && *end != '\0')
			return (-1);
	}
	return (cfg.n_callers > 0 ? 0 : -1);
}

static int
parse_args(int argc, char **argv)
{
	static char echo_ipc[128];

	snprintf(echo_ipc, sizeof(echo_ipc), "ipc:///tmp/bench_rpc_echo.%ld",
	    (long) getpid());
	cfg.echo_ipc = echo_ipc;
	cfg.echo_tcp = "tcp://127.0.0.1:0";
	cfg.echo_workers = 8;
	cfg.server_workers = 8;
	cfg.cases = "abc";
	cfg.duration_s = 3;
	cfg.warmup_s = 0.5;
	cfg.rounds = 3;
	cfg.callers[0] = 1;
	cfg.callers[1] = 8;
	cfg.n_callers = 2;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--help") == 0)
			return (-1);
		if (v == NULL) {
			fprintf(stderr, "bench_rpc: %s needs a value\n", a);
			return (-1);
		}
		i++;
		if (strcmp(a, "--pg-url") == 0)
			cfg.pg_url = v;
		else if (strcmp(a, "--pg-tcp-url") == 0)
			cfg.pg_tcp_url = v[0] != '\0' ? v : NULL;
		else if (strcmp(a, "--plan-id") == 0)
			cfg.plan_id = strtoll(v, NULL, 10);
		else if (strcmp(a, "--server-ipc") == 0)
			cfg.server_ipc = v[0] != '\0' ? v : NULL;
		else if (strcmp(a, "--server-tcp") == 0)
			cfg.server_tcp = v[0] != '\0' ? v : NULL;
		else if (strcmp(a, "--server-pid") == 0)
			cfg.server_pid = strtol(v, NULL, 10);
		else if (strcmp(a, "--server-workers") == 0)
			cfg.server_workers = atoi(v);
		else if (strcmp(a, "--echo-ipc") == 0)
			cfg.echo_ipc = v;
		else if (strcmp(a, "--echo-tcp") == 0)
			cfg.echo_tcp = v;
		else if (strcmp(a, "--echo-workers") == 0)
			cfg.echo_workers = atoi(v);
		else if (strcmp(a, "--callers") == 0) {
			if (parse_callers(v) != 0) {
				fprintf(stderr, "bench_rpc: bad --callers\n");
				return (-1);
			}
		} else if (strcmp(a, "--duration") == 0)
			cfg.duration_s = atof(v);
		else if (strcmp(a, "--warmup") == 0)
			cfg.warmup_s = atof(v);
		else if (strcmp(a, "--cases") == 0)
			cfg.cases = v;
		else if (strcmp(a, "--rounds") == 0)
			cfg.rounds = atoi(v);
		else {
			fprintf(stderr, "bench_rpc: unknown option %s\n", a);
			return (-1);
		}
	}
	if (cfg.pg_url == NULL || cfg.plan_id < 1 || cfg.echo_workers < 1 ||
	    cfg.echo_workers > 256 || cfg.duration_s <= 0 ||
	    cfg.warmup_s < 0 || cfg.rounds < 1) {
		fprintf(stderr,
		    "bench_rpc: --pg-url and --plan-id are "
		    "required; durations must be positive\n");
		return (-1);
	}
	snprintf(cfg.plan_id_text, sizeof(cfg.plan_id_text), "%" PRId64,
	    cfg.plan_id);
	return (0);
}

/*
 * One Plans.Get sent raw to the server: checks that it answers OK and
 * that its reply is as large as the reply envelope packed here.
 */
static void
probe_server(const char *url)
{
	Billing__V1__ReplyEnvelope *r;
	nng_socket sock;
	nng_msg *msg;
	uint8_t *req;
	size_t len, plen;
	int rv;

	req = pack_request(&len, &plen);
	if ((rv = nng_req0_open(&sock)) != 0 ||
	    (rv = nng_dial(sock, url, NULL, 0)) != 0 ||
	    (rv = nng_send(sock, req, len, 0)) != 0 ||
	    (rv = nng_recvmsg(sock, &msg, 0)) != 0) {
		printf("  probe of %s failed: %s\n", url, nng_strerror(rv));
		free(req);
		return;
	}
	free(req);
	r = billing__v1__reply_envelope__unpack(
	    NULL, nng_msg_len(msg), nng_msg_body(msg));
	printf("  billing-server's reply to a raw Plans.Get: %zu bytes, "
	       "%s%s\n",
	    nng_msg_len(msg),
	    r == NULL ? "undecodable"
	              : billing_code_name(r->has_code ? (int) r->code : 0),
	    nng_msg_len(msg) == cfg.reply_len ? " (as packed here)"
	                                      : " (NOT as packed here)");
	if (r != NULL)
		billing__v1__reply_envelope__free_unpacked(r, NULL);
	nng_msg_free(msg);
	nng_close(sock);
}

int
main(int argc, char **argv)
{
	row rows[MAX_ROWS];
	int n = 0, broke = 0;
	PGconn *mon;
	long rss_kb = -1, hwm_kb = -1, echo_rss_kb;

	setvbuf(stdout, NULL, _IOLBF, 0);
	cfg.clk_tck = sysconf(_SC_CLK_TCK);
	if (parse_args(argc, argv) != 0) {
		usage();
		return (2);
	}
	printf("bench_rpc:");
	for (int i = 0; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\n");
	if (pack_envelopes() != 0)
		return (1);
	/* Before nng starts any thread in this process. */
	if (echo_start() != 0)
		return (1);

	printf("  Plans.Get of plan %s: request envelope %zu bytes (payload "
	       "%zu), reply envelope %zu bytes (payload %zu)\n",
	    cfg.plan_id_text, cfg.req_len, cfg.req_payload_len, cfg.reply_len,
	    cfg.reply_payload_len);
	if (cfg.server_ipc != NULL || cfg.server_tcp != NULL)
		probe_server(
		    cfg.server_ipc != NULL ? cfg.server_ipc : cfg.server_tcp);
	printf("  (a) one connection per caller, prepared, text format\n");
	printf("  (b) echo server: separate process (pid %ld), %d workers, a "
	       "context each,\n"
	       "      synchronous recv/send; callers share one REQ socket, "
	       "a context each\n",
	    cfg.echo_pid, cfg.echo_workers);
	printf("  (c) one billing_client shared by the callers; "
	       "billing-server pid %ld,\n      %d workers\n",
	    cfg.server_pid, cfg.server_workers);
	printf("  each row: %.1f s measured in %d round%s (the rows of one "
	       "caller count\n"
	       "  taking turns), each after a %.1f s warm-up; the latency "
	       "of every call;\n"
	       "  cpu: user+system time per call of this process (bench), "
	       "the server\n"
	       "  process (echo or billing-server) and PostgreSQL's client "
	       "backends\n\n",
	    cfg.duration_s, cfg.rounds, cfg.rounds > 1 ? "s" : "",
	    cfg.warmup_s);

	for (int k = 0; k < cfg.n_callers; k++) {
		int callers = cfg.callers[k];
		struct {
			case_kind kind;
			const char *via, *url;
		} plan[] = {
			{ CASE_PG, "unix", cfg.pg_url },
			{ CASE_PG, "tcp", cfg.pg_tcp_url },
			{ CASE_ECHO, "ipc", cfg.echo_ipc },
			{ CASE_ECHO, "tcp", cfg.echo_tcp_bound },
			{ CASE_RPC, "ipc", cfg.server_ipc },
			{ CASE_RPC, "tcp", cfg.server_tcp },
		};

		for (size_t i = 0; i < sizeof(plan) / sizeof(plan[0]); i++)
			if (plan[i].url != NULL && n < MAX_ROWS &&
			    strchr(cfg.cases, "abc"[plan[i].kind]) != NULL) {
				rows[n] = (row) { .kind = plan[i].kind,
					.via = plan[i].via,
					.url = plan[i].url,
					.callers = callers };
				n++;
			}
	}

	mon = PQconnectdb(cfg.pg_url);
	if (PQstatus(mon) != CONNECTION_OK) {
		PQfinish(mon);
		mon = NULL;
	}
	print_header();
	/* The rows of one caller count take turns, round by round, so that
	 * a slow spell of the machine hits them all alike. */
	for (int g = 0; g < n;) {
		int end = g;

		while (end < n && rows[end].callers == rows[g].callers)
			end++;
		for (int k = 0; k < cfg.rounds; k++)
			for (int i = g; i < end; i++)
				measure(&rows[i], mon);
		if (g > 0)
			printf("\n");
		for (int i = g; i < end; i++) {
			row_finish(&rows[i]);
			print_row(&rows[i]);
			if (rows[i].errors > 0 || rows[i].n == 0)
				broke = 1;
		}
		g = end;
	}
	PQfinish(mon);

	printf("\nmemory after the runs (VmRSS, /proc/PID/status):\n");
	if (cfg.server_pid > 0) {
		rss_kb = proc_status_kb(cfg.server_pid, "VmRSS:");
		hwm_kb = proc_status_kb(cfg.server_pid, "VmHWM:");
		printf("  billing-server (pid %ld, %d workers): %ld kB "
		       "(%.1f MiB), peak %ld kB\n",
		    cfg.server_pid, cfg.server_workers, rss_kb,
		    (double) rss_kb / 1024, hwm_kb);
	}
	echo_rss_kb = proc_status_kb(cfg.echo_pid, "VmRSS:");
	printf("  echo server (b) (pid %ld, %d workers): %ld kB (%.1f MiB)\n",
	    cfg.echo_pid, cfg.echo_workers, echo_rss_kb,
	    (double) echo_rss_kb / 1024);
	print_targets(rows, n, rss_kb);
	echo_stop();
	free(cfg.req_env);
	free(cfg.reply_env);
	if (broke)
		printf("\nbench_rpc: some calls failed (see ERRORS above)\n");
	return (broke);
}
