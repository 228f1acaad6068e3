/*
 * money: amounts as int64 minor units, converted to and from decimal
 * text with integer arithmetic only. A float cannot hold 0.10 exactly;
 * an amount that went through one may be a cent off.
 */
#ifndef BILLCTL_MONEY_H
#define BILLCTL_MONEY_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decimals of the minor unit. Every currency the server accepts (EUR,
 * USD, GBP) has two; a currency with another exponent (JPY: 0) would
 * need a table here.
 */
#define MONEY_DECIMALS 2

/* Longest money_format output, NUL included. */
#define MONEY_BUFSZ 48

/*
 * Parses s, digits with an optional '.' and one or two decimals ("9.99",
 * "10", "0.5"), into minor units. No sign, exponent, grouping or white
 * space. Returns 0, or -1 when s is not such a number or is too large.
 */
int money_parse(const char *s, int64_t *minor);

/*
 * Formats minor units as "9.99 EUR" ("9.99" when currency is NULL or
 * empty) into buf of cap bytes (MONEY_BUFSZ always suffices).
 */
void money_format(int64_t minor, const char *currency, char *buf, size_t cap);

#endif /* BILLCTL_MONEY_H */
