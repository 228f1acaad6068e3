/*
 * money.c: see money.h.
 */
#include <inttypes.h>
#include <stdio.h>

#include "money.h"

typedef __int128 i128;

static bool
in_range128(i128 x)
{
	return (x >= -MONEY_MAX_MINOR && x <= MONEY_MAX_MINOR);
}

bool
money_in_range(int64_t minor)
{
	return (in_range128(minor));
}

int
money_mul_div(int64_t a, int64_t b, int64_t c, int64_t *out)
{
	i128 p, q, r, ar, ac;

	if (c == 0)
		return (MONEY_OUT_OF_RANGE);
	p = (i128) a * b; /* |p| <= 2^126: exact */
	q = p / c;        /* truncated toward zero */
	r = p % c;        /* the sign of p */
	ar = r < 0 ? -r : r;
	ac = c < 0 ? -(i128) c : c;
	/* Half away from zero: |remainder| >= |c| / 2 moves away from 0. */
	if (2 * ar >= ac)
		q += ((p < 0) != (c < 0)) ? -1 : 1;
	if (!in_range128(q))
		return (MONEY_OUT_OF_RANGE);
	*out = (int64_t) q;
	return (MONEY_OK);
}

int
money_add(int64_t a, int64_t b, int64_t *out)
{
	i128 s = (i128) a + b;

	if (!in_range128(s))
		return (MONEY_OUT_OF_RANGE);
	*out = (int64_t) s;
	return (MONEY_OK);
}

static bool
is_digit(char c)
{
	return (c >= '0' && c <= '9');
}

int
money_parse(const char *s, int64_t *out)
{
	const char *p = s;
	int64_t units = 0;
	int64_t cents = 0;
	int ndec = 0;
	bool big = false;

	if (s == NULL || !is_digit(*p))
		return (MONEY_INVALID);
	/* The integer part; leading zeros add nothing to the value. */
	for (; is_digit(*p); p++) {
		if (units > MONEY_MAX_MINOR / 100)
			big = true; /* keep scanning: syntax first */
		else
			units = units * 10 + (*p - '0');
	}
	if (*p == '.') {
		p++;
		while (is_digit(*p) && ndec < 2) {
			cents = cents * 10 + (*p - '0');
			ndec++;
			p++;
		}
		if (ndec == 0)
			return (MONEY_INVALID);
		if (ndec == 1)
			cents *= 10;
	}
	if (*p != '\0')
		return (MONEY_INVALID);
	if (big || units > MONEY_MAX_MINOR / 100)
		return (MONEY_OUT_OF_RANGE);
	*out = units * 100 + cents;
	return (MONEY_OK);
}

const char *
money_format(int64_t minor, char *buf)
{
	/* The magnitude in unsigned arithmetic: INT64_MIN has no negation. */
	uint64_t m =
	    minor < 0 ? (uint64_t) 0 - (uint64_t) minor : (uint64_t) minor;

	snprintf(buf, MONEY_FMT_BYTES, "%s%" PRIu64 ".%02" PRIu64,
	    minor < 0 ? "-" : "", m / 100, m % 100);
	return (buf);
}
