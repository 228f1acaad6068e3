/*
 * source.c: see source.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source.h"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/* Percent-decodes s[0..n) into out (cap bytes with the NUL). */
static int
decode(const char *s, size_t n, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= n || (hi = hexval(s[i + 1])) < 0 ||
			    (lo = hexval(s[i + 2])) < 0)
				return (-1);
			c = (char) (hi * 16 + lo);
			i += 2;
		}
		if (c == '\0' || o + 1 >= cap)
			return (-1);
		out[o++] = c;
	}
	out[o] = '\0';
	return (0);
}

int
src_url_parse(const char *url, src_url *u, char *err, size_t errlen)
{
	static const char scheme[] = "mysql://";
	const char *p, *at, *slash, *q, *colon, *hend;
	char port[8];

	memset(u, 0, sizeof(*u));
	if (url == NULL || strncmp(url, scheme, sizeof(scheme) - 1) != 0 ||
	    strlen(url) > 2048) {
		snprintf(err, errlen, "source URL must be mysql://...");
		return (-1);
	}
	p = url + sizeof(scheme) - 1;
	if ((slash = strchr(p, '/')) == NULL) {
		snprintf(err, errlen, "source URL has no /DATABASE");
		return (-1);
	}
	at = memchr(p, '@', (size_t) (slash - p));
	if (at != NULL) {
		colon = memchr(p, ':', (size_t) (at - p));
		if (decode(p, (size_t) ((colon ? colon : at) - p), u->user,
		        sizeof(u->user)) != 0 ||
		    (colon != NULL &&
		        decode(colon + 1, (size_t) (at - colon - 1), u->pass,
		            sizeof(u->pass)) != 0)) {
			snprintf(
			    err, errlen, "source URL: bad user or password");
			return (-1);
		}
		p = at + 1;
	}
	/* host[:port] */
	colon = memchr(p, ':', (size_t) (slash - p));
	hend = colon ? colon : slash;
	if (decode(p, (size_t) (hend - p), u->host, sizeof(u->host)) != 0) {
		snprintf(err, errlen, "source URL: bad host");
		return (-1);
	}
	if (colon != NULL) {
		size_t n = (size_t) (slash - colon - 1);
		char *e;
		long v;

		if (n == 0 || n >= sizeof(port)) {
			snprintf(err, errlen, "source URL: bad port");
			return (-1);
		}
		memcpy(port, colon + 1, n);
		port[n] = '\0';
		v = strtol(port, &e, 10);
		if (*e != '\0' || v < 1 || v > 65535) {
			snprintf(err, errlen, "source URL: bad port");
			return (-1);
		}
		u->port = (unsigned) v;
	}
	q = strchr(slash + 1, '?');
	if (decode(slash + 1, q ? (size_t) (q - slash - 1) : strlen(slash + 1),
	        u->db, sizeof(u->db)) != 0 ||
	    u->db[0] == '\0') {
		snprintf(err, errlen, "source URL: bad database name");
		return (-1);
	}
	if (q != NULL) {
		if (strncmp(q + 1, "socket=", 7) != 0 ||
		    decode(q + 8, strlen(q + 8), u->socket,
		        sizeof(u->socket)) != 0) {
			snprintf(err, errlen,
			    "source URL: only ?socket=PATH is understood");
			return (-1);
		}
	}
	return (0);
}

static int
fail(src *s, const char *what)
{
	snprintf(s->err, sizeof(s->err), "%s: %s", what,
	    s->my ? mysql_error(s->my) : "out of memory");
	return (-1);
}

static int
exec(src *s, const char *sql)
{
	MYSQL_RES *r;

	if (mysql_query(s->my, sql) != 0)
		return (fail(s, sql));
	if ((r = mysql_store_result(s->my)) != NULL)
		mysql_free_result(r);
	return (0);
}

int
src_open(src *s, const char *url)
{
	src_url u;
	unsigned timeout = 600;

	memset(s, 0, sizeof(*s));
	if (src_url_parse(url, &u, s->err, sizeof(s->err)) != 0)
		return (-1);
	if ((s->my = mysql_init(NULL)) == NULL)
		return (fail(s, "mysql_init"));
	/* Raw bytes: see source.h. */
	mysql_options(s->my, MYSQL_SET_CHARSET_NAME, "latin1");
	mysql_options(s->my, MYSQL_OPT_READ_TIMEOUT, &timeout);
	mysql_options(s->my, MYSQL_OPT_WRITE_TIMEOUT, &timeout);
	if (mysql_real_connect(s->my, u.host[0] ? u.host : "localhost",
	        u.user[0] ? u.user : NULL, u.pass, u.db, u.port,
	        u.socket[0] ? u.socket : NULL, 0) == NULL)
		return (fail(s, "cannot connect to the source"));
	/* Streaming a big table must not time out while we write. */
	if (exec(s,
	        "SET SESSION time_zone = '+00:00', sql_mode = '',"
	        " net_write_timeout = 3600, net_read_timeout = 3600") != 0 ||
	    exec(s,
	        "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ") !=
	        0 ||
	    exec(s, "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY") !=
	        0)
		return (-1);
	return (0);
}

void
src_close(src *s)
{
	src_end(s);
	if (s->my != NULL)
		mysql_close(s->my);
	s->my = NULL;
}

int
src_query(src *s, const char *sql)
{
	src_end(s);
	if (mysql_real_query(s->my, sql, strlen(sql)) != 0)
		return (fail(s, sql));
	if ((s->res = mysql_use_result(s->my)) == NULL)
		return (fail(s, sql));
	s->nfields = mysql_num_fields(s->res);
	return (0);
}

int
src_next(src *s, MYSQL_ROW *row, unsigned long **lens)
{
	if ((*row = mysql_fetch_row(s->res)) == NULL) {
		if (mysql_errno(s->my) != 0)
			return (fail(s, "reading the source"));
		return (0);
	}
	*lens = mysql_fetch_lengths(s->res);
	return (1);
}

void
src_end(src *s)
{
	if (s->res != NULL) {
		mysql_free_result(s->res); /* reads the rest */
		s->res = NULL;
	}
}

int
src_ints(src *s, const char *sql, long long *out, int n)
{
	MYSQL_ROW row;
	unsigned long *lens;
	int r;

	if (src_query(s, sql) != 0)
		return (-1);
	if ((r = src_next(s, &row, &lens)) <= 0 || (int) s->nfields < n) {
		src_end(s);
		if (r == 0)
			snprintf(s->err, sizeof(s->err), "no row: %s", sql);
		return (-1);
	}
	for (int i = 0; i < n; i++)
		out[i] = row[i] ? strtoll(row[i], NULL, 10) : 0;
	src_end(s);
	return (0);
}
