/*
 * codes: the short codes of the contract (country, currency, billing
 * cycle, plan code), pure.
 */
#ifndef RULES_CODES_H
#define RULES_CODES_H

#include <stdbool.h>

/*
 * Country: exactly two ASCII letters. Writes the upper-case form to
 * out and returns true, or returns false.
 */
bool country_normalize(const char *in, char out[3]);

/* EUR, USD or GBP, exactly (case-sensitive). */
bool currency_valid(const char *s);

/* [a-z0-9-]{1,64}. */
bool plan_code_valid(const char *s);

#define PLAN_CODE_MAX_BYTES 64

#endif /* RULES_CODES_H */
