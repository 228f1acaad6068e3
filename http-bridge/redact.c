/*
 * redact.c: see redact.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "params.h"
#include "redact.h"

#define SECRET "api_key"
#define SECRET_LEN 7

typedef struct wbuf {
	char *p;
	size_t len;
} wbuf;

/* Appends bytes, those outside printable ASCII as %XX; cut at the end. */
static void
put(wbuf *w, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char) s[i];

		if (c >= 0x20 && c < 0x7f) {
			if (w->len + 1 > REDACT_MAX)
				return;
			w->p[w->len++] = (char) c;
		} else {
			if (w->len + 3 > REDACT_MAX)
				return;
			w->p[w->len++] = '%';
			w->p[w->len++] = hex[c >> 4];
			w->p[w->len++] = hex[c & 0xf];
		}
	}
}

static void
puts_(wbuf *w, const char *s)
{
	put(w, s, strlen(s));
}

/* Whether name starts as PHP would read api_key (case ignored). */
static bool
secret_prefix(const char *name, size_t len)
{
	size_t i = 0;

	while (i < len && name[i] == ' ')
		i++;
	if (len - i < SECRET_LEN)
		return (false);
	for (size_t j = 0; j < SECRET_LEN; j++) {
		char c = name[i + j];

		if (c == '.' || c == ' ' || c == '[')
			c = '_';
		if (c >= 'A' && c <= 'Z')
			c = (char) (c - 'A' + 'a');
		if (c != SECRET[j])
			return (false);
	}
	return (true);
}

bool
redact_is_secret(const char *name, size_t len)
{
	size_t n;
	char *dec = params_url_decode(name, len, &n);
	bool secret;

	/* Out of memory: fail closed, the parameter is left out. */
	if (dec == NULL)
		return (true);
	secret = secret_prefix(dec, n);
	free(dec);
	return (secret);
}

/* A query string or form body without its secret parameters. */
static void
put_form(wbuf *w, const char *s, size_t len)
{
	bool first = true;

	for (size_t i = 0; i < len;) {
		const char *amp = memchr(s + i, '&', len - i);
		size_t end = amp != NULL ? (size_t) (amp - s) : len;
		const char *eq = memchr(s + i, '=', end - i);
		size_t nlen = eq != NULL ? (size_t) (eq - (s + i)) : end - i;

		if (end > i && !redact_is_secret(s + i, nlen)) {
			if (!first)
				put(w, "&", 1);
			put(w, s + i, end - i);
			first = false;
		}
		i = end + 1;
	}
}

static bool
is_type(const char *ctype, const char *type)
{
	size_t n = strlen(type);

	if (ctype == NULL)
		return (false);
	while (*ctype == ' ' || *ctype == '\t')
		ctype++;
	return (strncasecmp(ctype, type, n) == 0 &&
	    (ctype[n] == '\0' || ctype[n] == ';' || ctype[n] == ' ' ||
	        ctype[n] == '\t'));
}

static void
put_json(wbuf *w, const char *body, size_t len)
{
	json_t *o = json_loadb(body, len, JSON_DECODE_ANY, NULL);
	char note[80], *text;
	const char *k;
	size_t klen;
	json_t *v;
	void *tmp;

	if (o == NULL) {
		snprintf(note, sizeof(note),
		    "[%zu bytes, not JSON: not recorded]", len);
		puts_(w, note);
		return;
	}
	if (json_is_object(o))
		json_object_keylen_foreach_safe(o, tmp, k, klen, v)
		{
			if (secret_prefix(k, klen))
				json_object_deln(o, k, klen);
		}
	text =
	    json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ENCODE_ANY);
	if (text != NULL)
		puts_(w, text);
	else
		puts_(w, "[out of memory]");
	free(text);
	json_decref(o);
}

size_t
redact_request(const char *method, const char *path, const char *query,
    const char *ctype, const char *body, size_t len, char *out)
{
	wbuf w = { out, 0 };
	char note[80];

	puts_(&w, method != NULL ? method : "-");
	put(&w, " ", 1);
	puts_(&w, path != NULL ? path : "-");
	if (query != NULL && query[0] != '\0') {
		put(&w, "?", 1);
		put_form(&w, query, strlen(query));
	}
	if (body != NULL && len > 0) {
		/* The separator is written raw: put() would escape it. */
		if (w.len < REDACT_MAX)
			out[w.len++] = '\n';
		if (is_type(ctype, "application/x-www-form-urlencoded"))
			put_form(&w, body, len);
		else if (is_type(ctype, "application/json"))
			put_json(&w, body, len);
		else {
			snprintf(note, sizeof(note),
			    "[%zu bytes of %.32s: not recorded]", len,
			    ctype != NULL ? ctype : "no type");
			puts_(&w, note);
		}
	}
	out[w.len] = '\0';
	return (w.len);
}
