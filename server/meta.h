/*
 * meta: a customer's meta between its protobuf form (ordered string
 * pairs) and its stored form (a jsonb object of strings).
 */
#ifndef SERVER_META_H
#define SERVER_META_H

#include "call.h"

/* Bound of the stored JSON: the legacy TEXT column held 65535 bytes. */
#define META_MAX_JSON_BYTES 65535
#define META_MAX_ENTRIES 1000 /* as many as a form may carry */

/*
 * Encodes m as a JSON object into call memory (*out). A repeated key
 * keeps its last value, as PHP arrays do. Returns 0, or INVALID_ARGUMENT
 * naming field when the result is too large.
 */
int meta_to_json(srv_call *call, const char *field, const Billing__V1__Meta *m,
    const char **out);

/*
 * Decodes a stored JSON object; values that are not strings become what
 * the legacy PHP app printed for them (true "1", false and null "",
 * numbers as PHP casts them, nested values "Array"). NULL when json is
 * not an object (never for stored rows).
 */
Billing__V1__Meta *meta_from_json(srv_call *call, const char *json);

#endif /* SERVER_META_H */
