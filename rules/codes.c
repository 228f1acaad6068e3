/*
 * codes.c: see codes.h.
 */
#include <string.h>

#include "codes.h"

static bool
is_ascii_letter(char c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
}

bool
country_normalize(const char *in, char out[3])
{
	if (in == NULL || strlen(in) != 2 || !is_ascii_letter(in[0]) ||
	    !is_ascii_letter(in[1]))
		return (false);
	for (int i = 0; i < 2; i++)
		out[i] = (in[i] >= 'a') ? (char) (in[i] - 'a' + 'A') : in[i];
	out[2] = '\0';
	return (true);
}

bool
currency_valid(const char *s)
{
	return (s != NULL &&
	    (strcmp(s, "EUR") == 0 || strcmp(s, "USD") == 0 ||
	        strcmp(s, "GBP") == 0));
}

bool
plan_code_valid(const char *s)
{
	size_t n;

	if (s == NULL || (n = strlen(s)) == 0 || n > PLAN_CODE_MAX_BYTES)
		return (false);
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		        c == '-'))
			return (false);
	}
	return (true);
}
