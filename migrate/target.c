/*
 * target.c: see target.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tuple.h"
#include "target.h"

static int
fail(tgt *t, const char *what, const char *msg)
{
	size_t n;

	snprintf(t->err, sizeof(t->err), "%s: %s", what,
	    msg ? msg : (t->pg ? PQerrorMessage(t->pg) : "out of memory"));
	n = strlen(t->err);
	while (n > 0 && (t->err[n - 1] == '\n' || t->err[n - 1] == ' '))
		t->err[--n] = '\0';
	return (-1);
}

int
tgt_open(tgt *t, const char *url)
{
	memset(t, 0, sizeof(*t));
	if (url == NULL || url[0] == '\0')
		return (fail(t, "target", "no target URL"));
	t->pg = PQconnectdb(url);
	if (PQstatus(t->pg) != CONNECTION_OK)
		return (fail(t, "cannot connect to the target", NULL));
	if ((t->buf = malloc(TGT_COPY_BUF)) == NULL)
		return (fail(t, "target", "out of memory"));
	return (tgt_exec(t,
	    "SET client_min_messages = warning;"
	    " SET TIME ZONE 'UTC'"));
}

void
tgt_close(tgt *t)
{
	if (t->pg != NULL)
		PQfinish(t->pg);
	PQfreemem(t->row);
	free(t->buf);
	memset(t, 0, sizeof(*t));
}

static int
result_ok(tgt *t, PGresult *res, const char *sql)
{
	ExecStatusType st = PQresultStatus(res);

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return (0);
	fail(t, sql, PQresultErrorMessage(res));
	return (-1);
}

int
tgt_exec(tgt *t, const char *sql)
{
	PGresult *res = PQexec(t->pg, sql);
	int rv = result_ok(t, res, sql);

	PQclear(res);
	return (rv);
}

int
tgt_query(
    tgt *t, const char *sql, int n, const char *const *params, PGresult **out)
{
	PGresult *res =
	    PQexecParams(t->pg, sql, n, NULL, params, NULL, NULL, 0);
	int rv = result_ok(t, res, sql);

	if (rv == 0 && out != NULL)
		*out = res;
	else
		PQclear(res);
	return (rv);
}

static int
flush(tgt *t)
{
	if (t->len > 0 && PQputCopyData(t->pg, t->buf, (int) t->len) != 1)
		return (fail(t, "COPY", NULL));
	t->len = 0;
	return (0);
}

int
tgt_copy_flush(tgt *t)
{
	if (flush(t) != 0 || PQflush(t->pg) != 0)
		return (fail(t, "COPY", NULL));
	return (0);
}

int
tgt_copy_begin(tgt *t, const char *sql)
{
	PGresult *res = PQexec(t->pg, sql);

	if (PQresultStatus(res) != PGRES_COPY_IN) {
		fail(t, sql, PQresultErrorMessage(res));
		PQclear(res);
		return (-1);
	}
	PQclear(res);
	t->len = 0;
	return (tgt_copy_put(t, tup_header, sizeof(tup_header)));
}

int
tgt_copy_put(tgt *t, const void *p, size_t n)
{
	if (t->len + n > TGT_COPY_BUF && flush(t) != 0)
		return (-1);
	if (n > TGT_COPY_BUF) {
		if (PQputCopyData(t->pg, p, (int) n) != 1)
			return (fail(t, "COPY", NULL));
		return (0);
	}
	memcpy(t->buf + t->len, p, n);
	t->len += n;
	return (0);
}

int
tgt_copy_end(tgt *t)
{
	PGresult *res;
	int rv = 0;

	if (tgt_copy_put(t, tup_trailer, sizeof(tup_trailer)) != 0 ||
	    flush(t) != 0 || PQputCopyEnd(t->pg, NULL) != 1)
		rv = fail(t, "COPY", NULL);
	while ((res = PQgetResult(t->pg)) != NULL) {
		if (rv == 0 && PQresultStatus(res) != PGRES_COMMAND_OK)
			rv = fail(t, "COPY", PQresultErrorMessage(res));
		PQclear(res);
	}
	return (rv);
}

int
tgt_copy_out_begin(tgt *t, const char *sql)
{
	PGresult *res = PQexec(t->pg, sql);

	if (PQresultStatus(res) != PGRES_COPY_OUT) {
		fail(t, sql, PQresultErrorMessage(res));
		PQclear(res);
		return (-1);
	}
	PQclear(res);
	t->out_header = 1;
	return (0);
}

int
tgt_copy_out_next(tgt *t, const char **row, size_t *n)
{
	PGresult *res;
	char *p;
	int len;

	PQfreemem(t->row);
	t->row = NULL;
	len = PQgetCopyData(t->pg, &t->row, 0);
	if (len == -1) {
		int rv = 0;

		while ((res = PQgetResult(t->pg)) != NULL) {
			if (rv == 0 && PQresultStatus(res) != PGRES_COMMAND_OK)
				rv = fail(
				    t, "COPY TO", PQresultErrorMessage(res));
			PQclear(res);
		}
		return (rv);
	}
	if (len < 0)
		return (fail(t, "COPY TO", NULL));
	p = t->row;
	if (t->out_header) {
		/* The signature, flags and an empty header extension. */
		if (len < (int) sizeof(tup_header) ||
		    memcmp(p, tup_header, 11) != 0)
			return (fail(t, "COPY TO", "bad binary header"));
		p += sizeof(tup_header);
		len -= (int) sizeof(tup_header);
		t->out_header = 0;
		if (len == 0)
			return (tgt_copy_out_next(t, row, n));
	}
	if (len == 2 && memcmp(p, tup_trailer, 2) == 0)
		return (tgt_copy_out_next(t, row, n));
	*row = p;
	*n = (size_t) len;
	return (1);
}
