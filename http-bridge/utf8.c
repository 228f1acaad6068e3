/*
 * utf8.c: see utf8.h.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

#define REPLACEMENT "\xef\xbf\xbd"

static bool
lead(unsigned char c)
{
	return (c < 0x80 || (c >= 0xc2 && c <= 0xf4));
}

static bool
trail(unsigned char c)
{
	return (c >= 0x80 && c <= 0xbf);
}

/*
 * The length of the valid character at s[0] (n bytes available), or 0
 * and in *skip how many bytes PHP's decoder steps over as invalid.
 */
static size_t
next_char(const unsigned char *s, size_t n, size_t *skip)
{
	unsigned char c = s[0];
	size_t need, k;
	uint32_t cp;

	if (c < 0x80)
		return (1);
	if (c < 0xc2 || c > 0xf4) {
		*skip = 1;
		return (0);
	}
	need = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	for (k = 1; k < need && k < n && trail(s[k]); k++)
		;
	if (k < need) {
		/* Invalid: PHP steps up to a missing byte or a lead byte. */
		for (k = 1; k < need && k < n && !lead(s[k]); k++)
			;
		*skip = k;
		return (0);
	}
	cp = need == 2  ? (uint32_t) (c & 0x1f)
	    : need == 3 ? (uint32_t) (c & 0x0f)
	                : (uint32_t) (c & 0x07);
	for (k = 1; k < need; k++)
		cp = cp << 6 | (uint32_t) (s[k] & 0x3f);
	if ((need == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (need == 4 && (cp < 0x10000 || cp > 0x10ffff))) {
		*skip = need;
		return (0);
	}
	return (need);
}

char *
utf8_php_substitute(const char *s, size_t len, size_t *outlen)
{
	const unsigned char *u = (const unsigned char *) s;
	char *out = malloc(len * 3 + 1); /* a byte becomes at most 3 */
	size_t i = 0, o = 0, n, skip;

	if (out == NULL)
		return (NULL);
	while (i < len) {
		skip = 0;
		if ((n = next_char(u + i, len - i, &skip)) > 0) {
			memcpy(out + o, s + i, n);
			o += n;
			i += n;
		} else {
			memcpy(out + o, REPLACEMENT, 3);
			o += 3;
			i += skip;
		}
	}
	out[o] = '\0';
	*outlen = o;
	return (out);
}
