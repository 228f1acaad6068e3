/*
 * status.c: the billing_status value type (see billing_status.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "billing_status.h"

static const char *const CODE_NAMES[] = {
	[BILLING_OK] = "OK",
	[BILLING_CANCELLED] = "CANCELLED",
	[BILLING_UNKNOWN] = "UNKNOWN",
	[BILLING_INVALID_ARGUMENT] = "INVALID_ARGUMENT",
	[BILLING_DEADLINE_EXCEEDED] = "DEADLINE_EXCEEDED",
	[BILLING_NOT_FOUND] = "NOT_FOUND",
	[BILLING_ALREADY_EXISTS] = "ALREADY_EXISTS",
	[BILLING_PERMISSION_DENIED] = "PERMISSION_DENIED",
	[BILLING_RESOURCE_EXHAUSTED] = "RESOURCE_EXHAUSTED",
	[BILLING_FAILED_PRECONDITION] = "FAILED_PRECONDITION",
	[BILLING_ABORTED] = "ABORTED",
	[BILLING_OUT_OF_RANGE] = "OUT_OF_RANGE",
	[BILLING_UNIMPLEMENTED] = "UNIMPLEMENTED",
	[BILLING_INTERNAL] = "INTERNAL",
	[BILLING_UNAVAILABLE] = "UNAVAILABLE",
	[BILLING_DATA_LOSS] = "DATA_LOSS",
	[BILLING_UNAUTHENTICATED] = "UNAUTHENTICATED",
};

void
billing_status_init(billing_status *st)
{
	memset(st, 0, sizeof(*st));
}

void
billing_status_fini(billing_status *st)
{
	if (st == NULL)
		return;
	for (size_t i = 0; i < st->n_details; i++) {
		free(st->details[i].field);
		free(st->details[i].description);
	}
	free(st->details);
	free(st->message);
	free(st->reason);
	billing_status_init(st);
}

int
billing_status_vset(
    billing_status *st, billing_code code, const char *fmt, va_list ap)
{
	char *msg = NULL;

	if (st == NULL)
		return (code);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	free(st->message);
	st->message = msg;
	st->code = code;
	return (code);
}

int
billing_status_set(billing_status *st, billing_code code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	billing_status_vset(st, code, fmt, ap);
	va_end(ap);
	return (code);
}

void
billing_status_set_reason(billing_status *st, const char *reason)
{
	if (st == NULL)
		return;
	free(st->reason);
	st->reason = reason != NULL ? strdup(reason) : NULL;
}

int
billing_status_add_violation(
    billing_status *st, const char *field, const char *description)
{
	billing_violation *d;
	char *f, *desc;

	if (st == NULL)
		return (0);
	d = realloc(st->details, (st->n_details + 1) * sizeof(*d));
	if (d == NULL)
		return (ENOMEM);
	st->details = d;
	f = strdup(field != NULL ? field : "");
	desc = strdup(description != NULL ? description : "");
	if (f == NULL || desc == NULL) {
		free(f);
		free(desc);
		return (ENOMEM);
	}
	d[st->n_details].field = f;
	d[st->n_details].description = desc;
	st->n_details++;
	return (0);
}

const char *
billing_code_name(int code)
{
	if (code < 0 || code > BILLING_CODE_MAX)
		return ("UNKNOWN");
	return (CODE_NAMES[code]);
}

int
billing_code_parse(const char *name, billing_code *out)
{
	for (int i = 0; i <= BILLING_CODE_MAX; i++) {
		if (strcmp(name, CODE_NAMES[i]) == 0) {
			*out = (billing_code) i;
			return (0);
		}
	}
	return (EINVAL);
}
