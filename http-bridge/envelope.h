/*
 * envelope: the legacy API's response envelope (docs/legacy-api.md
 * section 2) and the mapping of a failed RPC onto it. Pure.
 *
 *   {"success": true, "data": ...}
 *   {"success": true, "data": [...], "meta": {"total", "page", "per_page"}}
 *   {"success": false, "error": "User not found", "error_code": "not_found"}
 */
#ifndef BRIDGE_ENVELOPE_H
#define BRIDGE_ENVELOPE_H

#include <stdint.h>

#include <jansson.h>

#include "billing_status.h"

/* A response: HTTP status and body (owned). */
typedef struct envelope {
	int http;
	json_t *body;
} envelope;

/* The legacy error of a failed RPC, by its reason, then its code. */
typedef struct legacy_error {
	int http;            /* 200 for the contract's in-band errors */
	const char *code;    /* "not_found", "invalid_state", ... */
	const char *message; /* "User not found", ... */
} legacy_error;

void envelope_error_of(const billing_status *st, legacy_error *out);

/* Consumes data. NULL data (out of memory) gives a server_error. */
envelope envelope_ok(json_t *data);
envelope envelope_list(
    json_t *items, int64_t total, int64_t page, int per_page);

/* {"success": false, ...} with message (copied) and code. */
envelope envelope_error(int http, const char *message, const char *code);
envelope envelope_rpc_error(const billing_status *st);
/* The error of an engine reason ("PLAN_NOT_FOUND"), as for a failed RPC. */
envelope envelope_reason(const char *reason);

/* The contract's fixed errors. */
envelope envelope_not_found_path(void); /* 404 Not found */
envelope envelope_unauthorized(void);   /* 401 Invalid API key */
/* 400 Unknown action: an action of len bytes, which may hold NUL bytes. */
envelope envelope_unknown_action(const char *action, size_t len);
envelope envelope_method_not_allowed(void);   /* 405 */
envelope envelope_missing(const char *param); /* 200 missing_parameter */
envelope envelope_invalid(const char *param); /* 200 invalid_parameter */
envelope envelope_server_error(void);         /* 500 */

#endif /* BRIDGE_ENVELOPE_H */
