/*
 * tax: the tax rate of an invoice by the customer's country and VAT
 * number (API.md sections 4 and 6), and the tax of a subtotal. Pure.
 *
 * Rates are basis points (1900 = 19.00 %). The country is compared
 * after trimming (PHP trim: space, tab, LF, CR, NUL, VT) and upper-
 * casing: DE 19.00, AT 20.00, FR 20.00, NL 21.00, GB 20.00, anything
 * else 0.00. A VAT number that is not empty after trimming, with a
 * country other than DE, gives 0.00 (reverse charge).
 */
#ifndef RULES_TAX_H
#define RULES_TAX_H

#include <stdint.h>

/* country and vat_number may be NULL (no value). */
int32_t tax_rate_bp(const char *country, const char *vat_number);

/*
 * subtotal x rate_bp / 10000, rounded half away from zero at the cent
 * (negative subtotals too). MONEY_OK or MONEY_OUT_OF_RANGE.
 */
int tax_amount(int64_t subtotal_minor, int32_t rate_bp, int64_t *out);

/*
 * Formats a rate as the contract renders it: 1900 -> "19.00". buf needs
 * TAX_RATE_FMT_BYTES (INT32_MIN is "-21474836.48", 12 bytes + NUL).
 */
#define TAX_RATE_FMT_BYTES 13
const char *tax_rate_format(int32_t rate_bp, char *buf);

#endif /* RULES_TAX_H */
