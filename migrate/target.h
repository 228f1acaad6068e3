/*
 * target: the project's PostgreSQL database through libpq: statements,
 * parameterized queries and binary COPY in both directions.
 */
#ifndef MIGRATE_TARGET_H
#define MIGRATE_TARGET_H

#include <stddef.h>

#include <libpq-fe.h>

#define TGT_ERR_BYTES 1024
#define TGT_COPY_BUF (1u << 20)

typedef struct tgt {
	PGconn *pg;
	char *buf; /* COPY IN buffer, TGT_COPY_BUF bytes */
	size_t len;
	char *row;      /* COPY OUT: the last message */
	int out_header; /* COPY OUT: the header is still to be skipped */
	char err[TGT_ERR_BYTES];
} tgt;

/* Connects. Returns 0, or -1 with t->err. */
int tgt_open(tgt *t, const char *url);
void tgt_close(tgt *t);

/* A statement without parameters. Returns 0, or -1 with t->err. */
int tgt_exec(tgt *t, const char *sql);
/*
 * A statement with text parameters; *out (when out is not NULL) gets
 * the result, which the caller PQclears. Returns 0, or -1 with t->err.
 */
int tgt_query(
    tgt *t, const char *sql, int n, const char *const *params, PGresult **out);

/* COPY ... FROM STDIN (FORMAT binary): starts it and sends the header. */
int tgt_copy_begin(tgt *t, const char *sql);
int tgt_copy_put(tgt *t, const void *p, size_t n);
/* Sends what is buffered to the server now. */
int tgt_copy_flush(tgt *t);
/* Sends the trailer and ends the COPY. Returns 0, or -1 with t->err. */
int tgt_copy_end(tgt *t);

/* COPY (...) TO STDOUT (FORMAT binary). */
int tgt_copy_out_begin(tgt *t, const char *sql);
/*
 * The next row's bytes (valid until the next call): 1, 0 at the end, -1
 * on an error.
 */
int tgt_copy_out_next(tgt *t, const char **row, size_t *n);

#endif /* MIGRATE_TARGET_H */
