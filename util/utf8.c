/*
 * utf8.c: see utf8.h. Table-free, following the well-formed byte
 * sequences of Unicode 15, table 3-7.
 */
#include "utf8.h"

/* Length of the well-formed sequence at s, or 0 when it is not one. */
static size_t
seq_len(const unsigned char *s, size_t left)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xBF;
	size_t n;

	if (c >= 0x01 && c <= 0x7F)
		return (1);
	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		if (c == 0xE0)
			lo = 0xA0; /* no overlongs */
		if (c == 0xED)
			hi = 0x9F; /* no surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		if (c == 0xF0)
			lo = 0x90;
		if (c == 0xF4)
			hi = 0x8F; /* nothing above U+10FFFF */
	} else
		return (0); /* NUL, continuation byte, C0, C1, F5-FF */
	if (left < n)
		return (0);
	if (s[1] < lo || s[1] > hi)
		return (0);
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return (0);
	return (n);
}

bool
utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t i = 0;

	while (i < len) {
		size_t n = seq_len(p + i, len - i);

		if (n == 0)
			return (false);
		i += n;
	}
	return (true);
}

size_t
utf8_truncate(const char *s, size_t len, size_t max)
{
	const unsigned char *p = (const unsigned char *) s;

	if (len <= max)
		return (len);
	/* Step back over continuation bytes to the start of a character. */
	while (max > 0 && (p[max] & 0xC0) == 0x80)
		max--;
	return (max);
}
