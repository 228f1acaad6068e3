/*
 * money.c: see money.h.
 */
#include <stdio.h>

#include "money.h"

int
money_parse(const char *s, int64_t *minor)
{
	int64_t v = 0;
	int decimals = -1; /* -1 until the '.' */

	if (*s < '0' || *s > '9')
		return (-1);
	for (; *s != '\0'; s++) {
		if (*s == '.') {
			if (decimals >= 0)
				return (-1);
			decimals = 0;
			continue;
		}
		if (*s < '0' || *s > '9' || decimals == MONEY_DECIMALS)
			return (-1);
		if (v > (INT64_MAX - (*s - '0')) / 10)
			return (-1);
		v = v * 10 + (*s - '0');
		if (decimals >= 0)
			decimals++;
	}
	if (decimals == 0)
		return (-1); /* "9." */
	for (int d = decimals < 0 ? 0 : decimals; d < MONEY_DECIMALS; d++) {
		if (v > INT64_MAX / 10)
			return (-1);
		v *= 10;
	}
	*minor = v;
	return (0);
}

void
money_format(int64_t minor, const char *currency, char *buf, size_t cap)
{
	/* The magnitude, in unsigned arithmetic: INT64_MIN has no positive
	 * twin, and 0 - (uint64_t) minor is |minor| for a negative one. */
	uint64_t mag = minor < 0 ? 0 - (uint64_t) minor : (uint64_t) minor;
	uint64_t unit = 1;

	for (int d = 0; d < MONEY_DECIMALS; d++)
		unit *= 10;
	snprintf(buf, cap, "%s%llu.%0*llu%s%s", minor < 0 ? "-" : "",
	    (unsigned long long) (mag / unit), MONEY_DECIMALS,
	    (unsigned long long) (mag % unit),
	    currency != NULL && currency[0] != '\0' ? " " : "",
	    currency != NULL ? currency : "");
}
