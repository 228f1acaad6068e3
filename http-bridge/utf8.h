/*
 * utf8: text from a request echoed in an answer, made valid UTF-8 the
 * way the legacy app's json_encode(..., JSON_INVALID_UTF8_SUBSTITUTE)
 * did (docs/legacy-api.md 6, "Rendering"): each invalid sequence becomes
 * U+FFFD, where PHP's php_next_utf8_char (ext/standard/html.c) says one
 * ends. NUL bytes are valid and kept.
 */
#ifndef BRIDGE_UTF8_H
#define BRIDGE_UTF8_H

#include <stddef.h>

/*
 * A malloc'd copy of s (len bytes) with invalid sequences replaced;
 * *outlen bytes, NUL-terminated. NULL when out of memory.
 */
char *utf8_php_substitute(const char *s, size_t len, size_t *outlen);

#endif /* BRIDGE_UTF8_H */
