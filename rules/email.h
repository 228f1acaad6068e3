/*
 * email: the contract's email rules (API.md 6, "email"), pure.
 *
 * Stored emails are trimmed. Equality, for duplicates and for find, is
 * on the key: the trimmed email with ASCII letters lowered and every
 * other byte kept, so "Ä@x" and "ä@x" are different emails.
 */
#ifndef RULES_EMAIL_H
#define RULES_EMAIL_H

#include <stdbool.h>
#include <stddef.h>

/* Largest stored email, in bytes. */
#define EMAIL_MAX_BYTES 190

/*
 * Trims PHP trim()'s characters (space, tab, LF, CR, NUL, VT) from both
 * ends of s[0..len): sets *start and *out_len to the trimmed view.
 */
void email_trim(
    const char *s, size_t len, const char **start, size_t *out_len);

/*
 * True when the trimmed email e[0..len) is acceptable on create and
 * update: 1-190 bytes, exactly one '@', no space, tab, CR, LF, VT or FF.
 * Nothing else is required ("@" alone passes, as in the legacy app).
 */
bool email_valid(const char *e, size_t len);

/*
 * Writes the comparison key of s (trimmed, ASCII lower case) to out,
 * which has room for len + 1 bytes; returns the key's length.
 */
size_t email_key(const char *s, size_t len, char *out);

#endif /* RULES_EMAIL_H */
