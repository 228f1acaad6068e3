/*
 * redact: a request as recorded with a difference (docs/rollout.md),
 * secrets removed. Pure: no I/O.
 *
 * The record is "METHOD PATH[?QUERY]", then, when there is a body, a
 * newline and the body. Removed: every query and form parameter whose
 * name PHP could read as api_key (the name decoded, '.', ' ' and '['
 * read as '_', "api_key" at its start), and such members at the top of
 * a JSON body; a body of any other type is replaced by its size. No
 * header is recorded (X-Api-Key never is). Bytes outside printable
 * ASCII are written as %XX, so the record is ASCII; it is cut to
 * REDACT_MAX bytes.
 */
#ifndef BRIDGE_REDACT_H
#define BRIDGE_REDACT_H

#include <stdbool.h>
#include <stddef.h>

#define REDACT_MAX 8192

/* Whether a form parameter's raw name (still %-encoded) is a secret. */
bool redact_is_secret(const char *name, size_t len);

/*
 * Writes the record of a request into out (REDACT_MAX + 1 bytes).
 * query may be NULL or "", body may be NULL; ctype is the request's
 * Content-Type (may be NULL). Returns the record's length.
 */
size_t redact_request(const char *method, const char *path, const char *query,
    const char *ctype, const char *body, size_t len, char *out);

#endif /* BRIDGE_REDACT_H */
