/*
 * billing_status: the one status type of the system. A handler sets it,
 * the wire carries it (ReplyEnvelope), the client library returns it and
 * billctl prints it; the HTTP bridge maps it to HTTP once.
 *
 * Codes are gRPC's, with gRPC's numbers. A status owns its strings:
 * billing_status_fini() frees them and leaves an OK status behind.
 */
#ifndef BILLING_STATUS_H
#define BILLING_STATUS_H

#include <stdarg.h>
#include <stddef.h>

typedef enum billing_code {
	BILLING_OK = 0,
	BILLING_CANCELLED = 1,
	BILLING_UNKNOWN = 2,
	BILLING_INVALID_ARGUMENT = 3,
	BILLING_DEADLINE_EXCEEDED = 4,
	BILLING_NOT_FOUND = 5,
	BILLING_ALREADY_EXISTS = 6,
	BILLING_PERMISSION_DENIED = 7,
	BILLING_RESOURCE_EXHAUSTED = 8,
	BILLING_FAILED_PRECONDITION = 9,
	BILLING_ABORTED = 10,
	BILLING_OUT_OF_RANGE = 11,
	BILLING_UNIMPLEMENTED = 12,
	BILLING_INTERNAL = 13,
	BILLING_UNAVAILABLE = 14,
	BILLING_DATA_LOSS = 15,
	BILLING_UNAUTHENTICATED = 16,
} billing_code;

#define BILLING_CODE_MAX BILLING_UNAUTHENTICATED

/* One invalid request field (google.rpc.BadRequest.FieldViolation). */
typedef struct billing_violation {
	char *field;
	char *description;
} billing_violation;

typedef struct billing_status {
	billing_code code;
	char *message; /* NULL when OK */
	char *reason;  /* e.g. "CUSTOMER_NOT_FOUND"; may be NULL */
	billing_violation *details; /* n_details entries */
	size_t n_details;
} billing_status;

#define BILLING_STATUS_INIT                     \
	{                                       \
		BILLING_OK, NULL, NULL, NULL, 0 \
	}

void billing_status_init(billing_status *st);
void billing_status_fini(billing_status *st);

/*
 * Sets code and message (printf format); keeps details already added.
 * Returns code, so a function can end with "return billing_status_set(..)".
 * st may be NULL. On allocation failure the message is left NULL.
 */
int billing_status_set(billing_status *st, billing_code code, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));
int billing_status_vset(billing_status *st, billing_code code, const char *fmt,
    va_list ap) __attribute__((format(printf, 3, 0)));

/* Sets the machine-readable reason; NULL clears it. */
void billing_status_set_reason(billing_status *st, const char *reason);

/* Appends a field violation. Returns 0 or ENOMEM. */
int billing_status_add_violation(
    billing_status *st, const char *field, const char *description);

/* "OK", "INVALID_ARGUMENT", ...; "UNKNOWN" for codes out of range. */
const char *billing_code_name(int code);

/* Parses a code name; returns 0 and sets *out, or EINVAL. */
int billing_code_parse(const char *name, billing_code *out);

#endif /* BILLING_STATUS_H */
