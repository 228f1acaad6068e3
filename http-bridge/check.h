/*
 * check: the contract's parameter rules (docs/legacy-api.md section 6,
 * "Parameters"), one function per kind. Each reads one parameter from
 * the request; on a violation it returns false and sets *err to the
 * contract's envelope (Missing parameter / Invalid parameter), so an
 * action checks its parameters in order and returns the first failure.
 *
 * A parameter is given when present and neither null nor "". An array
 * where a scalar belongs is invalid.
 */
#ifndef BRIDGE_CHECK_H
#define BRIDGE_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "bridge.h"

/* ^[0-9]{1,10}$, then lo..hi. *given false (and true returned) if absent
 * and not required. */
bool chk_int(const breq *r, const char *name, bool required, int64_t lo,
    int64_t hi, bool *given, int64_t *out, envelope *err);

/* An id: an integer >= 1 (ids above 2^32 - 1 are valid but not found). */
bool chk_id(const breq *r, const char *name, bool required, bool *given,
    int64_t *out, envelope *err);

/* Exactly 1, 0, true or false; def when absent. */
bool chk_bool(
    const breq *r, const char *name, bool def, bool *out, envelope *err);

/* ^[0-9]+(\.[0-9]{1,2})?$ and <= 99999999.99, into cents; then >= min. */
bool chk_money(const breq *r, const char *name, bool required,
    int64_t min_minor, bool *given, int64_t *out, envelope *err);

/*
 * Text: valid UTF-8 without NUL, at most max bytes. *out is NULL when
 * absent (or ""), else a NUL-terminated copy owned by the params.
 */
bool chk_text(const breq *r, const char *name, bool required, size_t max,
    const char **out, envelope *err);

/*
 * A text that is only looked up, byte for byte (plans.get code,
 * plan_code, invoices.get number, users.find email): any scalar, of any
 * length (nothing is stored, so the column rules do not apply). *out is
 * NULL when absent; *nomatch is set when it cannot equal a stored value
 * (a NUL byte inside, invalid UTF-8): the action answers "not found"
 * without a lookup, as the legacy app's query found nothing.
 */
bool chk_key(const breq *r, const char *name, bool required, const char **out,
    size_t *len, bool *nomatch, envelope *err);

/* One of the NULL-terminated choices, case-sensitive; index in *out. */
bool chk_enum(const breq *r, const char *name, bool required,
    const char *const *choices, int *out, envelope *err);

/*
 * page (>= 1, default 1) and per_page (>= 1, default 50, above 500: 500)
 * into the RPC's page request. *page is the page asked for: up to
 * 9999999999, which the RPC's 32-bit page cannot carry (it gets a page
 * past any end instead); the list's meta.page must still say it
 * (envelope_list_page).
 */
bool chk_page(
    const breq *r, Billing__V1__PageRequest *pg, int64_t *page, envelope *err);

#endif /* BRIDGE_CHECK_H */
