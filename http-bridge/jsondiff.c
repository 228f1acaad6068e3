/*
 * jsondiff.c: see jsondiff.h.
 */
#include <stdio.h>
#include <string.h>

#include "jsondiff.h"

typedef struct walk {
	jsondiff *out;
	jsondiff_accept_fn accept;
	void *arg;
	char path[JSONDIFF_PATH_MAX];
	size_t len;
} walk;

static void
add(walk *w, const json_t *a, const json_t *b)
{
	jsondiff *d = w->out;

	if (w->accept != NULL && w->accept(w->arg, w->path, a, b)) {
		d->accepted++;
		return;
	}
	if (d->n == JSONDIFF_MAX_PATHS) {
		d->truncated = true;
		return;
	}
	memcpy(d->paths[d->n++], w->path, w->len + 1);
}

/* Empty, without clearing the 32 KiB of paths: they are written as used. */
static void
reset(jsondiff *out)
{
	out->n = 0;
	out->truncated = false;
	out->accepted = 0;
}

static bool
is_ident(const char *k)
{
	if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
	        *k == '_'))
		return (false);
	for (k++; *k != '\0'; k++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
		        (*k >= '0' && *k <= '9') || *k == '_'))
			return (false);
	return (true);
}

/* Appends s to the path; false (path unchanged) when it does not fit. */
static bool
put(walk *w, size_t *len, const char *s, size_t n)
{
	if (*len + n >= sizeof(w->path))
		return (false);
	memcpy(w->path + *len, s, n);
	*len += n;
	return (true);
}

/* Appends the segment of key k (or index i when k is NULL). */
static bool
push(walk *w, const char *k, size_t klen, size_t i)
{
	size_t len = w->len;
	char buf[32];
	int n;

	if (k == NULL) {
		n = snprintf(buf, sizeof(buf), "[%zu]", i);
		if (!put(w, &len, buf, (size_t) n))
			return (false);
	} else if (strlen(k) == klen && is_ident(k)) {
		if (!put(w, &len, ".", 1) || !put(w, &len, k, klen))
			return (false);
	} else {
		if (!put(w, &len, "[\"", 2))
			return (false);
		for (size_t j = 0; j < klen; j++) {
			unsigned char c = (unsigned char) k[j];

			if (c == '"' || c == '\\') {
				buf[0] = '\\';
				buf[1] = (char) c;
				n = 2;
			} else if (c < 0x20 || c == 0x7f) {
				n = snprintf(buf, sizeof(buf), "\\u%04x", c);
			} else {
				buf[0] = (char) c;
				n = 1;
			}
			if (!put(w, &len, buf, (size_t) n))
				return (false);
		}
		if (!put(w, &len, "\"]", 2))
			return (false);
	}
	w->path[len] = '\0';
	w->len = len;
	return (true);
}

static void
pop(walk *w, size_t len)
{
	w->len = len;
	w->path[len] = '\0';
}

static void compare(walk *w, const json_t *a, const json_t *b);

/* A member or element below the current path. */
static void
child(walk *w, const char *k, size_t klen, size_t i, const json_t *a,
    const json_t *b)
{
	size_t len = w->len;

	if (w->out->truncated)
		return;
	if (!push(w, k, klen, i)) {
		/* Too deep to name: one difference at the parent. */
		if (a == NULL || b == NULL || !json_equal(a, b))
			add(w, a, b);
		return;
	}
	compare(w, a, b);
	pop(w, len);
}

static void
compare(walk *w, const json_t *a, const json_t *b)
{
	const char *k;
	const json_t *v;
	size_t klen;

	if (a == NULL || b == NULL || json_typeof(a) != json_typeof(b)) {
		if (a != NULL || b != NULL)
			add(w, a, b);
		return;
	}
	switch (json_typeof(a)) {
	case JSON_OBJECT: {
		/* Cast: jansson's iteration macros take non-const objects. */
		json_t *ma = (json_t *) a, *mb = (json_t *) b;
		json_t *vv;

		json_object_keylen_foreach(ma, k, klen, vv)
		{
			child(
			    w, k, klen, 0, vv, json_object_getn(mb, k, klen));
		}
		json_object_keylen_foreach(mb, k, klen, vv)
		{
			if (json_object_getn(ma, k, klen) == NULL)
				child(w, k, klen, 0, NULL, vv);
		}
		break;
	}
	case JSON_ARRAY: {
		size_t na = json_array_size(a), nb = json_array_size(b);

		for (size_t i = 0; i < na || i < nb; i++) {
			v = i < na ? json_array_get(a, i) : NULL;
			child(w, NULL, 0, i, v,
			    i < nb ? json_array_get(b, i) : NULL);
			if (w->out->truncated)
				break;
		}
		break;
	}
	default:
		if (!json_equal(a, b))
			add(w, a, b);
		break;
	}
}

void
jsondiff_values(const json_t *a, const json_t *b, jsondiff_accept_fn accept,
    void *arg, jsondiff *out)
{
	walk w = { .out = out, .accept = accept, .arg = arg };

	reset(out);
	w.path[0] = '$';
	w.len = 1;
	compare(&w, a, b);
}

size_t
jsondiff_answers(int status_a, const char *body_a, size_t len_a, int status_b,
    const char *body_b, size_t len_b, jsondiff_accept_fn accept, void *arg,
    jsondiff *out)
{
	json_t *a, *b;

	/*
	 * The same bytes are the same JSON: when the two systems agree, as
	 * they mostly do, no parse at all.
	 */
	if (status_a == status_b && len_a == len_b &&
	    (len_a == 0 || memcmp(body_a, body_b, len_a) == 0)) {
		reset(out);
		return (0);
	}
	a = json_loadb(body_a, len_a, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	b = json_loadb(body_b, len_b, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (a != NULL && b != NULL)
		jsondiff_values(a, b, accept, arg, out);
	else {
		reset(out);
		/* Not JSON (either side): the bytes. */
		if (len_a != len_b ||
		    (len_a > 0 && memcmp(body_a, body_b, len_a) != 0))
			memcpy(out->paths[out->n++], "$", 2);
	}
	json_decref(a);
	json_decref(b);
	if (status_a != status_b) {
		/* The status first: it matters most. */
		if (out->n == JSONDIFF_MAX_PATHS) {
			out->n--;
			out->truncated = true;
		}
		memmove(out->paths[1], out->paths[0],
		    out->n * sizeof(out->paths[0]));
		memcpy(out->paths[0], "$status", 8);
		out->n++;
	}
	return (out->n);
}
