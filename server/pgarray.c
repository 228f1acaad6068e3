/*
 * pgarray.c: see pgarray.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "pgarray.h"

void
pgarray_init(pgarray *a, arena *ar)
{
	memset(a, 0, sizeof(*a));
	a->arena = ar;
}

/* Room for n more bytes plus the closing "}\0". */
static bool
reserve(pgarray *a, size_t n)
{
	size_t cap;
	char *nb;

	if (a->failed)
		return (false);
	if (a->len + n + 3 <= a->cap)
		return (true);
	cap = a->cap > 0 ? a->cap : 256;
	while (a->len + n + 3 > cap)
		cap *= 2;
	if ((nb = arena_alloc(a->arena, cap)) == NULL) {
		a->failed = true;
		return (false);
	}
	if (a->len > 0)
		memcpy(nb, a->buf, a->len);
	a->buf = nb; /* the old buffer stays in the arena until reset */
	a->cap = cap;
	return (true);
}

/* The separator before an element. */
static void
next(pgarray *a)
{
	a->buf[a->len++] = a->n++ == 0 ? '{' : ',';
}

static void
put_raw(pgarray *a, const char *s)
{
	size_t n = strlen(s);

	if (!reserve(a, n + 1))
		return;
	next(a);
	memcpy(a->buf + a->len, s, n);
	a->len += n;
}

void
pgarray_int64(pgarray *a, int64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "%" PRId64, v);
	put_raw(a, b);
}

void
pgarray_bool(pgarray *a, bool v)
{
	put_raw(a, v ? "t" : "f");
}

void
pgarray_null(pgarray *a)
{
	put_raw(a, "NULL");
}

void
pgarray_str(pgarray *a, const char *s)
{
	size_t n;

	if (s == NULL) {
		pgarray_null(a);
		return;
	}
	/* Worst case every byte is escaped, plus the two quotes. */
	n = strlen(s);
	if (!reserve(a, 2 * n + 3))
		return;
	next(a);
	a->buf[a->len++] = '"';
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			a->buf[a->len++] = '\\';
		a->buf[a->len++] = *s;
	}
	a->buf[a->len++] = '"';
}

const char *
pgarray_text(pgarray *a)
{
	if (!reserve(a, 0))
		return (NULL);
	if (a->n == 0)
		a->buf[a->len++] = '{';
	a->buf[a->len++] = '}';
	a->buf[a->len] = '\0';
	return (a->buf);
}
