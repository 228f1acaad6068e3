/*
 * meta.c: see meta.h.
 */
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

Billing__V1__Meta *
meta_from_json(srv_call *call, const char *json)
{
	Billing__V1__Meta *m;
	json_t *obj, *v;
	const char *k;
	size_t i = 0;

	if ((obj = json_loads(json, JSON_DECODE_ANY, NULL)) == NULL)
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
		char *dumped = NULL;

		if (e == NULL)
			break;
		e->key = call_strdup(call, k);
		if (json_is_string(v))
			e->value = call_strdup(call, json_string_value(v));
		else {
			dumped = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
			e->value =
			    call_strdup(call, dumped != NULL ? dumped : "");
			free(dumped);
		}
		m->entries[i++] = e;
	}
	m->n_entries = i;
	json_decref(obj);
	return (m);
}
