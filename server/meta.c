/*
 * meta.c: see meta.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "meta.h"

int
meta_to_json(srv_call *call, const char *field, const Billing__V1__Meta *m,
    const char **out)
{
	json_t *obj;
	char *text;
	size_t len;

	if (m->n_entries > META_MAX_ENTRIES)
		return (call_invalid(
		    call, field, "more than %d entries", META_MAX_ENTRIES));
	if ((obj = json_object()) == NULL)
		return (call_oom(call));
	for (size_t i = 0; i < m->n_entries; i++) {
		const Billing__V1__MetaEntry *e = m->entries[i];
		const char *k = e->key != NULL ? e->key : "";
		const char *v = e->value != NULL ? e->value : "";

		/* Strings were checked for UTF-8 on the wire. */
		json_object_set_new(obj, k, json_string(v));
	}
	text = json_dumps(obj, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(obj);
	if (text == NULL)
		return (call_oom(call));
	len = strlen(text);
	if (len > META_MAX_JSON_BYTES) {
		free(text);
		return (call_invalid(call, field,
		    "larger than %d bytes as JSON", META_MAX_JSON_BYTES));
	}
	*out = arena_strndup(call->arena, text, len);
	free(text);
	if (*out == NULL)
		return (call_oom(call));
	return (0);
}

/* Enough for "%.14G" of any double, PHP's exponent form included. */
#define META_NUM_BYTES 40

/*
 * A legacy value as the PHP app printed it, a (string) cast of what
 * json_decode gave (docs/legacy-api.md section 6, Rendering): true "1",
 * false and null "", integers in decimal, floats with precision 14
 * (1.0 -> "1", 1e25 -> "1.0E+25"), arrays and objects "Array".
 */
static const char *
php_string(const json_t *v, char *buf)
{
	char *e, *d;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return (json_string_value(v));
	case JSON_TRUE:
		return ("1");
	case JSON_INTEGER:
		snprintf(buf, META_NUM_BYTES, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		return (buf);
	case JSON_REAL:
		/* PHP's exponent form: "1.0E+25", "1.5E-7" (C: "1E+25"). */
		snprintf(buf, META_NUM_BYTES, "%.14G", json_real_value(v));
		if ((e = strchr(buf, 'E')) == NULL)
			return (buf);
		if (memchr(buf, '.', (size_t) (e - buf)) == NULL) {
			memmove(e + 2, e, strlen(e) + 1);
			e[0] = '.';
			e[1] = '0';
			e += 2;
		}
		for (d = e + 2; d[0] == '0' && d[1] != '\0';)
			memmove(d, d + 1, strlen(d));
		return (buf);
	case JSON_OBJECT:
	case JSON_ARRAY:
		return ("Array");
	default: /* false, null */
		return ("");
	}
}

Billing__V1__Meta *
meta_from_json(srv_call *call, const char *json)
{
	Billing__V1__Meta *m;
	json_t *obj, *v;
	const char *k;
	size_t i = 0;

	/*
	 * An integer beyond 64 bits (jsonb keeps 1e25 as 26 digits) is a
	 * float to PHP's json_decode; jansson refuses it unless asked.
	 */
	if ((obj = json_loads(json, JSON_DECODE_ANY, NULL)) == NULL &&
	    (obj = json_loads(json, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL,
	         NULL)) == NULL)
		return (NULL);
	m = call_new(call, billing__v1__meta, Billing__V1__Meta);
	if (m == NULL || !json_is_object(obj)) {
		json_decref(obj);
		return (NULL);
	}
	m->entries = call_alloc(
	    call, (json_object_size(obj) + 1) * sizeof(*m->entries));
	if (m->entries == NULL) {
		json_decref(obj);
		return (NULL);
	}
	json_object_foreach (obj, k, v) {
		Billing__V1__MetaEntry *e = call_new(
		    call, billing__v1__meta_entry, Billing__V1__MetaEntry);
		char buf[META_NUM_BYTES];

		if (e == NULL)
			break;
		e->key = call_strdup(call, k);
		e->value = call_strdup(call, php_string(v, buf));
		m->entries[i++] = e;
	}
	m->n_entries = i;
	json_decref(obj);
	return (m);
}
