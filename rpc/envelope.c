/*
 * envelope.c: see envelope.h.
 */
#include <stdlib.h>
#include <string.h>

#include "envelope.h"

static int
cmp_method(const void *key, const void *elem)
{
	const billing_method *const *m = elem;

	return (strcmp(key, (*m)->full_name));
}

const billing_method *
rpc_method_find(const char *full_name)
{
	const billing_method *const *m;

	if (full_name == NULL)
		return (NULL);
	m = bsearch(full_name, billing_methods, BILLING_METHODS_COUNT,
	    sizeof(billing_methods[0]), cmp_method);
	return (m != NULL ? *m : NULL);
}

static bool
is_meta_key(const char *k)
{
	size_t n = strlen(k);

	if (n == 0 || n > RPC_MAX_METADATA_KEY_BYTES)
		return (false);
	for (const char *p = k; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		        *p == '-' || *p == '_' || *p == '.'))
			return (false);
	return (true);
}

int
rpc_request_validate(
    const Billing__V1__RequestEnvelope *env, billing_status *st)
{
	if (env->method == NULL || env->method[0] == '\0')
		return (billing_status_set(st, BILLING_INVALID_ARGUMENT,
		    "the envelope names no method"));
	if (strlen(env->method) > RPC_MAX_METHOD_BYTES)
		return (billing_status_set(st, BILLING_INVALID_ARGUMENT,
		    "method name longer than %d bytes", RPC_MAX_METHOD_BYTES));
	if (env->request_id != NULL &&
	    strlen(env->request_id) > RPC_MAX_REQUEST_ID_BYTES)
		return (billing_status_set(st, BILLING_INVALID_ARGUMENT,
		    "request_id longer than %d bytes",
		    RPC_MAX_REQUEST_ID_BYTES));
	if (env->n_metadata > RPC_MAX_METADATA)
		return (billing_status_set(st, BILLING_INVALID_ARGUMENT,
		    "%zu metadata entries, at most %d are allowed",
		    env->n_metadata, RPC_MAX_METADATA));
	for (size_t i = 0; i < env->n_metadata; i++) {
		const Billing__V1__MetadataEntry *e = env->metadata[i];

		if (e->key == NULL || !is_meta_key(e->key))
			return (
			    billing_status_set(st, BILLING_INVALID_ARGUMENT,
			        "metadata key %zu must be 1-%d bytes of "
			        "[a-z0-9._-]",
			        i, RPC_MAX_METADATA_KEY_BYTES));
		if (e->value != NULL &&
		    strlen(e->value) > RPC_MAX_METADATA_VALUE_BYTES)
			return (
			    billing_status_set(st, BILLING_INVALID_ARGUMENT,
			        "metadata %s is longer than %d bytes", e->key,
			        RPC_MAX_METADATA_VALUE_BYTES));
	}
	return (0);
}

const char *
rpc_request_meta(const Billing__V1__RequestEnvelope *env, const char *key)
{
	for (size_t i = 0; i < env->n_metadata; i++)
		if (env->metadata[i]->key != NULL &&
		    strcmp(env->metadata[i]->key, key) == 0)
			return (env->metadata[i]->value != NULL
			        ? env->metadata[i]->value
			        : "");
	return (NULL);
}

int
rpc_status_from_reply(const Billing__V1__ReplyEnvelope *r, billing_status *st)
{
	int code = r->has_code ? (int) r->code : BILLING_OK;

	if (code < 0 || code > BILLING_CODE_MAX)
		code = BILLING_UNKNOWN;
	if (code == BILLING_OK) {
		billing_status_fini(st);
		return (0);
	}
	billing_status_set(st, (billing_code) code, "%s",
	    r->message != NULL && r->message[0] != '\0'
	        ? r->message
	        : billing_code_name(code));
	billing_status_set_reason(
	    st, r->reason != NULL && r->reason[0] != '\0' ? r->reason : NULL);
	for (size_t i = 0; i < r->n_details && i < RPC_MAX_DETAILS; i++)
		billing_status_add_violation(
		    st, r->details[i]->field, r->details[i]->description);
	return (code);
}
