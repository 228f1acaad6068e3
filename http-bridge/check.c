/*
 * check.c: see check.h.
 */
#include <string.h>

#include "../rules/money.h"
#include "../util/utf8.h"
#include "check.h"

/*
 * The scalar value of name: 1 when given, 0 when absent (or null or
 * ""), -1 with *err set when it is an array.
 */
static int
scalar(const breq *r, const char *name, const char **v, size_t *len,
    envelope *err)
{
	switch (params_string(r->params, name, v, len)) {
	case PARAMS_OK:
		return (1);
	case PARAMS_EARRAY:
		*err = envelope_invalid(name);
		return (-1);
	default:
		return (0);
	}
}

/* Absent: fine unless required. Returns false with *err when not. */
static bool
absent(const char *name, bool required, envelope *err)
{
	if (required) {
		*err = envelope_missing(name);
		return (false);
	}
	return (true);
}

bool
chk_int(const breq *r, const char *name, bool required, int64_t lo, int64_t hi,
    bool *given, int64_t *out, envelope *err)
{
	const char *v;
	size_t len;
	int64_t n = 0;
	int k = scalar(r, name, &v, &len, err);

	*given = k == 1;
	if (k < 0)
		return (false);
	if (k == 0)
		return (absent(name, required, err));
	if (len < 1 || len > 10)
		goto invalid;
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			goto invalid;
		n = n * 10 + (v[i] - '0');
	}
	if (n < lo || n > hi)
		goto invalid;
	*out = n;
	return (true);
invalid:
	*err = envelope_invalid(name);
	return (false);
}

bool
chk_id(const breq *r, const char *name, bool required, bool *given,
    int64_t *out, envelope *err)
{
	return (chk_int(
	    r, name, required, 1, INT64_C(9999999999), given, out, err));
}

bool
chk_bool(const breq *r, const char *name, bool def, bool *out, envelope *err)
{
	const char *v;
	size_t len;
	int k = scalar(r, name, &v, &len, err);

	if (k < 0)
		return (false);
	if (k == 0) {
		*out = def;
		return (true);
	}
	if (strlen(v) == len &&
	    (strcmp(v, "1") == 0 || strcmp(v, "true") == 0))
		*out = true;
	else if (strlen(v) == len &&
	    (strcmp(v, "0") == 0 || strcmp(v, "false") == 0))
		*out = false;
	else {
		*err = envelope_invalid(name);
		return (false);
	}
	return (true);
}

bool
chk_money(const breq *r, const char *name, bool required, int64_t min_minor,
    bool *given, int64_t *out, envelope *err)
{
	const char *v;
	size_t len;
	int k = scalar(r, name, &v, &len, err);

	*given = k == 1;
	if (k < 0)
		return (false);
	if (k == 0)
		return (absent(name, required, err));
	if (strlen(v) != len || money_parse(v, out) != MONEY_OK ||
	    *out < min_minor) {
		*err = envelope_invalid(name);
		return (false);
	}
	return (true);
}

bool
chk_text(const breq *r, const char *name, bool required, size_t max,
    const char **out, envelope *err)
{
	const char *v;
	size_t len;
	int k = scalar(r, name, &v, &len, err);

	*out = NULL;
	if (k < 0)
		return (false);
	if (k == 0)
		return (absent(name, required, err));
	if (len > max || !utf8_valid(v, len)) {
		*err = envelope_invalid(name);
		return (false);
	}
	*out = v;
	return (true);
}

bool
chk_key(const breq *r, const char *name, bool required, const char **out,
    size_t *len, bool *nomatch, envelope *err)
{
	const char *v;
	int k = scalar(r, name, &v, len, err);

	*out = NULL;
	*nomatch = false;
	if (k < 0)
		return (false);
	if (k == 0)
		return (absent(name, required, err));
	*nomatch = strlen(v) != *len || !utf8_valid(v, *len);
	*out = v;
	return (true);
}

bool
chk_enum(const breq *r, const char *name, bool required,
    const char *const *choices, int *out, envelope *err)
{
	const char *v;
	size_t len;
	int k = scalar(r, name, &v, &len, err);

	*out = -1;
	if (k < 0)
		return (false);
	if (k == 0)
		return (absent(name, required, err));
	for (int i = 0; choices[i] != NULL; i++)
		if (strlen(choices[i]) == len &&
		    memcmp(v, choices[i], len) == 0) {
			*out = i;
			return (true);
		}
	*err = envelope_invalid(name);
	return (false);
}

bool
chk_page(
    const breq *r, Billing__V1__PageRequest *pg, int64_t *page, envelope *err)
{
	bool given;
	int64_t v;

	billing__v1__page_request__init(pg);
	pg->has_page = pg->has_page_size = 1;
	pg->page = 1;
	pg->page_size = 50;
	*page = 1;
	if (!chk_int(
	        r, "page", false, 1, INT64_C(9999999999), &given, &v, err))
		return (false);
	if (given) {
		*page = v;
		pg->page = v > 1000000000 ? 1000000000 : (int32_t) v;
	}
	if (!chk_int(
	        r, "per_page", false, 1, INT64_C(9999999999), &given, &v, err))
		return (false);
	if (given)
		pg->page_size = v > 500 ? 500 : (int32_t) v;
	return (true);
}
