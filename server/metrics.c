/*
 * metrics.c: see metrics.h.
 *
 * One mutex guards the counters: a call takes it once, for a few
 * additions, next to a PostgreSQL round trip.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>

#include "../util/log.h"
#include "db.h"
#include "metrics.h"

#define N_CODES 17                           /* gRPC's 0-16 */
#define UNKNOWN_METHOD BILLING_METHODS_COUNT /* the row of unknown ones */
#define SCRAPE_TIMEOUT_US 2000000

struct srv_metrics {
	pthread_mutex_t mu;
	uint64_t calls[BILLING_METHODS_COUNT + 1][N_CODES];
	prom_hist hist[BILLING_METHODS_COUNT + 1];
};

void
srv_metrics_call(srv_metrics *m, const billing_method *method, int code,
    int64_t duration_us)
{
	unsigned i = method != NULL && method->id < BILLING_METHODS_COUNT
	    ? method->id
	    : UNKNOWN_METHOD;

	if (code < 0 || code >= N_CODES)
		code = BILLING_UNKNOWN;
	pthread_mutex_lock(&m->mu);
	m->calls[i][code]++;
	prom_hist_observe(&m->hist[i], duration_us);
	pthread_mutex_unlock(&m->mu);
}

static const char *
method_label(unsigned i)
{
	return (
	    i == UNKNOWN_METHOD ? "unknown" : billing_methods[i]->full_name);
}

void
srv_metrics_render_calls(srv_metrics *m, prom_buf *b)
{
	pthread_mutex_lock(&m->mu);
	prom_printf(b,
	    "# HELP billing_server_calls_total RPC calls answered, by method "
	    "and status code.\n"
	    "# TYPE billing_server_calls_total counter\n");
	for (unsigned i = 0; i <= UNKNOWN_METHOD; i++)
		for (int c = 0; c < N_CODES; c++)
			if (m->calls[i][c] > 0)
				prom_printf(b,
				    "billing_server_calls_total{method=\"%s\","
				    "code=\"%s\"} %" PRIu64 "\n",
				    method_label(i), billing_code_name(c),
				    m->calls[i][c]);
	prom_printf(b,
	    "# HELP billing_server_call_duration_seconds Time from a "
	    "request's arrival to its reply, by method.\n"
	    "# TYPE billing_server_call_duration_seconds histogram\n");
	for (unsigned i = 0; i <= UNKNOWN_METHOD; i++)
		if (m->hist[i].n > 0)
			prom_hist_render(b,
			    "billing_server_call_duration_seconds", "method",
			    method_label(i), &m->hist[i]);
	pthread_mutex_unlock(&m->mu);
}

/* The database gauges: one statement, one row. */
static const db_stmt GAUGES = { "metrics_gauges",
	"SELECT"
	" (SELECT count(*) FROM jobs WHERE status = 'queued'"
	"   AND run_at <= now()),"
	" (SELECT count(*) FROM jobs WHERE status = 'queued'),"
	" (SELECT coalesce(extract(epoch FROM now() - min(run_at)), 0)"
	"   FROM jobs WHERE status = 'queued' AND run_at <= now()),"
	" (SELECT count(*) FROM jobs WHERE status = 'failed'),"
	" r.succeeded, r.failed, r.running, r.invoices,"
	" coalesce(extract(epoch FROM l.finished_at), 0),"
	" coalesce(extract(epoch FROM l.finished_at - l.started_at), 0),"
	" coalesce((l.status = 'succeeded')::int, 0)"
	" FROM (SELECT count(*) FILTER (WHERE status = 'succeeded')"
	"         AS succeeded,"
	"       count(*) FILTER (WHERE status = 'failed') AS failed,"
	"       count(*) FILTER (WHERE status = 'running') AS running,"
	"       coalesce(sum(invoices_created), 0) AS invoices"
	"       FROM billing_runs) r"
	" LEFT JOIN LATERAL (SELECT status, started_at, finished_at"
	"   FROM billing_runs WHERE finished_at IS NOT NULL"
	"   ORDER BY finished_at DESC LIMIT 1) l ON true" };

/* Gauge names, in the statement's column order. */
static const struct {
	const char *name, *type, *help;
} gauges[] = {
	{ "billing_jobs_waiting", "gauge",
	    "Background jobs due and not yet taken." },
	{ "billing_jobs_queued", "gauge",
	    "Background jobs queued, due or not." },
	{ "billing_jobs_oldest_waiting_seconds", "gauge",
	    "How long the oldest due job has waited." },
	{ "billing_jobs_failed", "gauge",
	    "Background jobs that used all their attempts." },
	{ "billing_runs_succeeded_total", "counter",
	    "Billing runs that succeeded." },
	{ "billing_runs_failed_total", "counter",
	    "Billing runs that failed." },
	{ "billing_runs_running", "gauge", "Billing runs under way." },
	{ "billing_run_invoices_created_total", "counter",
	    "Invoices created by billing runs." },
	{ "billing_run_last_finished_timestamp_seconds", "gauge",
	    "When the last billing run ended (Unix time; 0: none yet)." },
	{ "billing_run_last_duration_seconds", "gauge",
	    "How long the last billing run took." },
	{ "billing_run_last_succeeded", "gauge",
	    "1 when the last billing run succeeded." },
};
#define N_GAUGES (sizeof(gauges) / sizeof(gauges[0]))

struct srv_metrics_http {
	struct MHD_Daemon *d;
	srv_metrics m;
	db_conn db; /* used by the daemon's one thread only */
};

/* The gauges into b; returns 0, or -1 when the database did not answer. */
static int
render_gauges(srv_metrics_http *h, prom_buf *b)
{
	billing_status st = BILLING_STATUS_INIT;
	PGresult *res = NULL;
	int rv = -1;

	if (db_ensure(&h->db, &st) == 0 &&
	    db_exec(&h->db, &GAUGES, 0, NULL, db_now_us() + SCRAPE_TIMEOUT_US,
	        &res, &st) == 0 &&
	    PQntuples(res) == 1 && PQnfields(res) == (int) N_GAUGES) {
		for (size_t i = 0; i < N_GAUGES; i++)
			prom_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %s\n",
			    gauges[i].name, gauges[i].help, gauges[i].name,
			    gauges[i].type, gauges[i].name,
			    PQgetvalue(res, 0, (int) i));
		rv = 0;
	} else
		log_printf(LOG_WARN,
		    "msg=\"metrics: database gauges unavailable\" "
		    "error=\"%s\"",
		    st.message != NULL ? st.message : "unexpected result");
	if (res != NULL)
		PQclear(res);
	billing_status_fini(&st);
	return (rv);
}

static enum MHD_Result
send_text(struct MHD_Connection *c, unsigned status, char *body, size_t len,
    enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result rv;

	if (r == NULL)
		return (MHD_NO);
	MHD_add_response_header(
	    r, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	rv = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return (rv);
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	srv_metrics_http *h = cls;
	prom_buf b;
	char *body;
	size_t len;
	int db_up;

	(void) version;
	(void) upload_data;
	(void) upload_data_size;
	(void) con_cls;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return (send_text(c, 405, "method not allowed\n", 19,
		    MHD_RESPMEM_PERSISTENT));
	if (strcmp(url, "/healthz") == 0) {
		if (prom_buf_init(&b) != 0)
			return (MHD_NO);
		db_up = render_gauges(h, &b) == 0;
		free(b.p);
		return (db_up
		        ? send_text(c, 200, "ok\n", 3, MHD_RESPMEM_PERSISTENT)
		        : send_text(c, 503, "database unavailable\n", 21,
		              MHD_RESPMEM_PERSISTENT));
	}
	if (strcmp(url, "/metrics") != 0)
		return (send_text(
		    c, 404, "not found\n", 10, MHD_RESPMEM_PERSISTENT));
	if (prom_buf_init(&b) != 0)
		return (MHD_NO);
	srv_metrics_render_calls(&h->m, &b);
	db_up = render_gauges(h, &b) == 0;
	prom_printf(&b,
	    "# HELP billing_database_up 1 when PostgreSQL answered this "
	    "scrape.\n# TYPE billing_database_up gauge\n"
	    "billing_database_up %d\n",
	    db_up);
	if (prom_buf_finish(&b, &body, &len) != 0)
		return (MHD_NO);
	return (send_text(c, 200, body, len, MHD_RESPMEM_MUST_FREE));
}

int
srv_metrics_http_start(srv_metrics_http **out, const srv_config *cfg)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
		.sin_port = htons((uint16_t) cfg->metrics_port) };
	srv_metrics_http *h;

	if (inet_pton(AF_INET, cfg->metrics_host, &sa.sin_addr) != 1) {
		log_printf(LOG_ERROR,
		    "msg=\"bad metrics listen address\" host=%s",
		    cfg->metrics_host);
		return (-1);
	}
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return (-1);
	if (pthread_mutex_init(&h->m.mu, NULL) != 0) {
		free(h);
		return (-1);
	}
	if (db_init(&h->db, cfg->database_url) != 0) {
		pthread_mutex_destroy(&h->m.mu);
		free(h);
		return (-1);
	}
	/* One thread: scrapes are rare, and the connection is its own. */
	h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL,
	    cfg->metrics_port, NULL, NULL, handler, h, MHD_OPTION_SOCK_ADDR,
	    &sa, MHD_OPTION_CONNECTION_LIMIT, 16,
	    MHD_OPTION_CONNECTION_TIMEOUT, 10, MHD_OPTION_END);
	if (h->d == NULL) {
		log_printf(LOG_ERROR,
		    "msg=\"cannot listen for metrics\" host=%s port=%u",
		    cfg->metrics_host, cfg->metrics_port);
		srv_metrics_http_stop(h);
		return (-1);
	}
	*out = h;
	log_printf(LOG_INFO, "msg=\"metrics\" listen=%s:%u", cfg->metrics_host,
	    cfg->metrics_port);
	return (0);
}

void
srv_metrics_http_stop(srv_metrics_http *h)
{
	if (h != NULL) {
		/* Waits for a scrape under way. */
		if (h->d != NULL)
			MHD_stop_daemon(h->d);
		db_fini(&h->db);
		pthread_mutex_destroy(&h->m.mu);
		free(h);
	}
}

srv_metrics *
srv_metrics_http_counters(srv_metrics_http *h)
{
	return (h != NULL ? &h->m : NULL);
}
