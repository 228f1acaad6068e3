/*
 * multipart.c: see multipart.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "multipart.h"

/* The fields read so far; a value may arrive in several pieces. */
typedef struct mp_state {
	params_field *f;
	size_t n, cap;
	int err;
} mp_state;

static void
mp_fini(mp_state *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free((char *) s->f[i].name);
		free((char *) s->f[i].value);
	}
	free(s->f);
}

/* Starts field key, or returns the one whose value continues. */
static params_field *
mp_field(mp_state *s, const char *key, uint64_t off)
{
	params_field *f;

	if (off > 0 && s->n > 0)
		return (&s->f[s->n - 1]);
	if (s->n == PARAMS_MAX_PARAMS) {
		s->err = PARAMS_ETOOMANY;
		return (NULL);
	}
	if (s->n == s->cap) {
		size_t cap = s->cap == 0 ? 16 : s->cap * 2;

		if ((f = realloc(s->f, cap * sizeof(*f))) == NULL) {
			s->err = PARAMS_ENOMEM;
			return (NULL);
		}
		s->f = f;
		s->cap = cap;
	}
	f = &s->f[s->n];
	memset(f, 0, sizeof(*f));
	f->nlen = strlen(key);
	if ((f->name = strdup(key)) == NULL ||
	    (f->value = calloc(1, 1)) == NULL) {
		free((char *) f->name);
		s->err = PARAMS_ENOMEM;
		return (NULL);
	}
	s->n++;
	return (f);
}

static enum MHD_Result
mp_iter(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *filename, const char *content_type,
    const char *transfer_encoding, const char *data, uint64_t off, size_t size)
{
	mp_state *s = cls;
	params_field *f;
	char *v;

	(void) kind;
	(void) content_type;
	(void) transfer_encoding;
	if (filename != NULL || key == NULL)
		return (MHD_YES); /* an upload: $_FILES, not a parameter */
	if ((f = mp_field(s, key, off)) == NULL)
		return (MHD_NO);
	if (size == 0)
		return (MHD_YES);
	if ((v = realloc((char *) f->value, f->vlen + size + 1)) == NULL) {
		s->err = PARAMS_ENOMEM;
		return (MHD_NO);
	}
	memcpy(v + f->vlen, data, size);
	f->vlen += size;
	v[f->vlen] = '\0';
	f->value = v;
	return (MHD_YES);
}

int
multipart_merge(
    struct MHD_Connection *c, const char *body, size_t len, params *p)
{
	struct MHD_PostProcessor *pp;
	mp_state s = { NULL, 0, 0, PARAMS_OK };
	int rv;

	/* NULL: no boundary, or not multipart after all: no fields. */
	if ((pp = MHD_create_post_processor(c, 65536, mp_iter, &s)) == NULL)
		return (PARAMS_OK);
	if (len > 0)
		(void) MHD_post_process(pp, body, len);
	(void) MHD_destroy_post_processor(pp);
	rv = s.err != PARAMS_OK ? s.err : params_merge_fields(p, s.f, s.n);
	mp_fini(&s);
	return (rv);
}
