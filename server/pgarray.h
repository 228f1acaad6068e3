/*
 * pgarray: PostgreSQL array literals ('{1,2,"a\"b",NULL}') built in
 * call memory, so that a batch of rows goes to the server as one
 * parameter per column and is expanded there with unnest(). This keeps
 * a batch at one round trip per table, whatever its size.
 */
#ifndef SERVER_PGARRAY_H
#define SERVER_PGARRAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"

typedef struct pgarray {
	arena *arena;
	char *buf;
	size_t len, cap;
	int n;
	bool failed; /* out of memory; pgarray_text returns NULL */
} pgarray;

void pgarray_init(pgarray *a, arena *ar);
void pgarray_int64(pgarray *a, int64_t v);
void pgarray_bool(pgarray *a, bool v);
/* s may be NULL (SQL NULL); any bytes but NUL are quoted safely. */
void pgarray_str(pgarray *a, const char *s);
void pgarray_null(pgarray *a);

/* The literal (call it last), or NULL when memory ran out. */
const char *pgarray_text(pgarray *a);

#endif /* SERVER_PGARRAY_H */
