/*
 * utf8: strict UTF-8 validation (RFC 3629): no overlong forms, no
 * surrogates, nothing above U+10FFFF.
 */
#ifndef UTIL_UTF8_H
#define UTIL_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True when s[0..len) is valid UTF-8 and holds no NUL byte. */
bool utf8_valid(const char *s, size_t len);

/*
 * The longest prefix of s[0..len) that fits in max bytes and ends on a
 * character boundary (s must be valid UTF-8).
 */
size_t utf8_truncate(const char *s, size_t len, size_t max);

#endif /* UTIL_UTF8_H */
