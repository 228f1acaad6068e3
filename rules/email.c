/*
 * email.c: see email.h.
 */
#include <string.h>

#include "email.h"

static bool
is_trim_char(char c)
{
	return (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\0' ||
	    c == '\v');
}

void
email_trim(const char *s, size_t len, const char **start, size_t *out_len)
{
	size_t b = 0, e = len;

	while (b < e && is_trim_char(s[b]))
		b++;
	while (e > b && is_trim_char(s[e - 1]))
		e--;
	*start = s + b;
	*out_len = e - b;
}

bool
email_valid(const char *e, size_t len)
{
	size_t ats = 0;

	if (len == 0 || len > EMAIL_MAX_BYTES)
		return (false);
	for (size_t i = 0; i < len; i++) {
		switch (e[i]) {
		case '@':
			ats++;
			break;
		case ' ':
		case '\t':
		case '\r':
		case '\n':
		case '\v':
		case '\f':
		case '\0':
			return (false);
		default:
			break;
		}
	}
	return (ats == 1);
}

size_t
email_key(const char *s, size_t len, char *out)
{
	const char *t;
	size_t n;

	email_trim(s, len, &t, &n);
	for (size_t i = 0; i < n; i++) {
		char c = t[i];

		out[i] = (c >= 'A' && c <= 'Z') ? (char) (c - 'A' + 'a') : c;
	}
	out[n] = '\0';
	return (n);
}
