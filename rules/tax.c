/*
 * tax.c: see tax.h.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "money.h"
#include "tax.h"

static bool
is_trim_char(char c)
{
	/* PHP trim(); NUL ends a C string, so it is trimmed by length. */
	return (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v');
}

/* The trimmed view of s: *len bytes from the returned pointer. */
static const char *
trim(const char *s, size_t *len)
{
	size_t n;

	if (s == NULL) {
		*len = 0;
		return ("");
	}
	while (is_trim_char(*s))
		s++;
	n = strlen(s);
	while (n > 0 && is_trim_char(s[n - 1]))
		n--;
	*len = n;
	return (s);
}

static char
ascii_upper(char c)
{
	return ((c >= 'a' && c <= 'z') ? (char) (c - 'a' + 'A') : c);
}

static bool
country_is(const char *c, size_t n, const char *code)
{
	return (n == 2 && ascii_upper(c[0]) == code[0] &&
	    ascii_upper(c[1]) == code[1]);
}

int32_t
tax_rate_bp(const char *country, const char *vat_number)
{
	static const struct {
		const char *code;
		int32_t bp;
	} rates[] = {
		{ "DE", 1900 },
		{ "AT", 2000 },
		{ "FR", 2000 },
		{ "NL", 2100 },
		{ "GB", 2000 },
	};
	const char *c;
	size_t clen, vlen;

	c = trim(country, &clen);
	(void) trim(vat_number, &vlen);
	if (vlen > 0 && !country_is(c, clen, "DE"))
		return (0); /* reverse charge */
	for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++)
		if (country_is(c, clen, rates[i].code))
			return (rates[i].bp);
	return (0);
}

int
tax_amount(int64_t subtotal_minor, int32_t rate_bp, int64_t *out)
{
	return (money_mul_div(subtotal_minor, rate_bp, 10000, out));
}

const char *
tax_rate_format(int32_t rate_bp, char *buf)
{
	int64_t r = rate_bp;
	int64_t m = r < 0 ? -r : r;

	snprintf(buf, TAX_RATE_FMT_BYTES, "%s%" PRId64 ".%02" PRId64,
	    r < 0 ? "-" : "", m / 100, m % 100);
	return (buf);
}
