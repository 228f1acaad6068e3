/*
 * money: amounts are int64 minor units (cents) of one currency. Every
 * computation is exact integer arithmetic; the one rounding rule of the
 * contract is half away from zero, at the cent, for negative amounts too.
 */
#ifndef RULES_MONEY_H
#define RULES_MONEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The legacy DECIMAL(10,2) range: |x| <= 99999999.99. */
#define MONEY_MAX_MINOR INT64_C(9999999999)

#define MONEY_OK 0
#define MONEY_OUT_OF_RANGE 1 /* outside +-MONEY_MAX_MINOR */
#define MONEY_INVALID 2      /* text that is not an amount */

bool money_in_range(int64_t minor);

/*
 * *out = a * b / c rounded half away from zero (c != 0), computed
 * exactly in 128 bits. MONEY_OUT_OF_RANGE when the result leaves
 * +-MONEY_MAX_MINOR (or c is 0); *out is then unchanged.
 */
int money_mul_div(int64_t a, int64_t b, int64_t c, int64_t *out);

/* *out = a + b, MONEY_OUT_OF_RANGE when it leaves the range. */
int money_add(int64_t a, int64_t b, int64_t *out);

/*
 * Parses the contract's money syntax, ^[0-9]+(\.[0-9]{1,2})?$, into
 * minor units: "9.99" -> 999, "12.5" -> 1250, "007" -> 700. Leading
 * zeros are allowed and do not count toward the range.
 * MONEY_INVALID for anything else (sign, spaces, "1.", ".5", "1.234",
 * NULL), MONEY_OUT_OF_RANGE above 99999999.99 (syntax is checked
 * first). *out is unchanged on failure.
 */
int money_parse(const char *s, int64_t *out);

/*
 * Formats minor units with exactly two decimals: 999 -> "9.99",
 * -350 -> "-3.50", 0 -> "0.00", -5 -> "-0.05". buf needs
 * MONEY_FMT_BYTES. Returns buf.
 */
#define MONEY_FMT_BYTES 24
const char *money_format(int64_t minor, char *buf);

#endif /* RULES_MONEY_H */
