/*
 * harness.c: see harness.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("harness: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static const char *
env_path(const char *name)
{
	const char *v = getenv(name);

	if (v == NULL || v[0] == '\0')
		die("%s is not set (run through ctest)", name);
	return (v);
}

int
th_sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int rv;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rv = system(cmd);
	return (WIFEXITED(rv) ? WEXITSTATUS(rv) : 128);
}

/* Runs cmd and reads the first line of its output into buf. */
static int
capture(const char *cmd, char *buf, size_t cap)
{
	FILE *p = popen(cmd, "r");
	int rv;

	if (p == NULL)
		return (-1);
	buf[0] = '\0';
	if (fgets(buf, (int) cap, p) != NULL)
		buf[strcspn(buf, "\n")] = '\0';
	while (fgetc(p) != EOF)
		;
	rv = pclose(p);
	return (WIFEXITED(rv) ? WEXITSTATUS(rv) : 128);
}

void
th_pg_start(th_stack *s)
{
	char cmd[1024], url[512];

	snprintf(cmd, sizeof(cmd), "%s start %s/pg", env_path("BILLING_PG_SH"),
	    s->dir);
	if (capture(cmd, url, sizeof(url)) != 0)
		die("cannot start PostgreSQL in %s/pg", s->dir);
}

void
th_pg_stop(th_stack *s)
{
	th_sh("%s stop %s/pg", env_path("BILLING_PG_SH"), s->dir);
}

th_stack TH;

int
th_setup(void **state)
{
	(void) state;
	th_start(&TH, NULL);
	return (0);
}

int
th_teardown(void **state)
{
	(void) state;
	th_stop(&TH);
	return (0);
}

int
th_free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *) &sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *) &sa, &len) == 0)
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	if (port < 0)
		die("no free TCP port");
	return (port);
}

int64_t
th_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

void
th_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

void
th_server_start(th_stack *s, const char *const *extra_args)
{
	const char *argv[32];
	char listen[320], log[320];
	int n = 0;
	pid_t pid;

	snprintf(listen, sizeof(listen), "--listen=%s", s->url);
	/* One log per server, beside its socket. */
	snprintf(log, sizeof(log), "%s.log", s->url + strlen("ipc://"));
	argv[n++] = env_path("BILLING_SERVER_BIN");
	argv[n++] = "--database-url";
	argv[n++] = s->db_url;
	argv[n++] = listen;
	for (int i = 0; extra_args != NULL && extra_args[i] != NULL && n < 30;
	     i++)
		argv[n++] = extra_args[i];
	argv[n] = NULL;

	unlink(s->url + strlen("ipc://"));
	if ((pid = fork()) < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		if (freopen(log, "a", stderr) == NULL)
			_exit(127);
		execv(argv[0], (char *const *) argv);
		_exit(127);
	}
	s->server_pid = pid;
	/* Ready when the ipc socket exists. */
	for (int i = 0; i < 200; i++) {
		struct stat st;
		int status;

		if (stat(s->url + strlen("ipc://"), &st) == 0)
			return;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			th_sh("cat %s >&2", log);
			die("billing-server exited at start");
		}
		th_sleep_ms(25);
	}
	die("billing-server did not start listening");
}

int
th_server_stop(th_stack *s)
{
	int status;

	if (s->server_pid <= 0)
		return (0);
	kill(s->server_pid, SIGTERM);
	if (waitpid(s->server_pid, &status, 0) < 0)
		return (-1);
	s->server_pid = 0;
	return (
	    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

void
th_start(th_stack *s, const char *const *extra_args)
{
	billing_status st = BILLING_STATUS_INIT;
	char cmd[1024];
	char tmpl[] = "/tmp/billing-test.XXXXXX";

	memset(s, 0, sizeof(*s));
	if (mkdtemp(tmpl) == NULL)
		die("mkdtemp: %s", strerror(errno));
	snprintf(s->dir, sizeof(s->dir), "%s", tmpl);
	/* PostgreSQL runs as another user when we are root. */
	chmod(s->dir, 0755);
	th_pg_start(s);
	snprintf(cmd, sizeof(cmd), "%s createdb %s/pg billing",
	    env_path("BILLING_PG_SH"), s->dir);
	if (capture(cmd, s->db_url, sizeof(s->db_url)) != 0)
		die("cannot create the test database");
	if (th_sh("%s migrate --database-url '%s' 2>%s/migrate.log",
	        env_path("BILLING_SERVER_BIN"), s->db_url, s->dir) != 0)
		die("migrate failed: see %s/migrate.log", s->dir);
	snprintf(s->url, sizeof(s->url), "ipc://%s/billing.sock", s->dir);
	th_server_start(s, extra_args);
	if (billing_client_open(&s->client, s->url, NULL, &st) != 0)
		die("billing_client_open: %s", st.message);
}

void
th_stop(th_stack *s)
{
	int status;

	billing_client_close(s->client);
	s->client = NULL;
	status = th_server_stop(s);
	th_pg_stop(s);
	if (status != 0) {
		th_sh("tail -n 30 %s.log >&2", s->url + strlen("ipc://"));
		die("billing-server exited with status %d", status);
	}
	if (getenv("BILLING_KEEP_TEST_DIR") == NULL)
		th_sh("rm -rf %s", s->dir);
}

int
th_psql(th_stack *s, const char *sql)
{
	return (
	    th_sh("psql -X -q -v ON_ERROR_STOP=1 '%s' -c \"%s\" >/dev/null",
	        s->db_url, sql));
}

void
th_psql_value(th_stack *s, const char *sql, char *buf, size_t cap)
{
	char cmd[4096];

	snprintf(
	    cmd, sizeof(cmd), "psql -X -q -tA '%s' -c \"%s\"", s->db_url, sql);
	if (capture(cmd, buf, cap) != 0)
		die("psql failed: %s", sql);
}
