/*
 * invoices: the Invoices service, and the invoice row shared with the
 * services that return invoices.
 */
#ifndef SERVER_INVOICES_H
#define SERVER_INVOICES_H

#include "call.h"

#define INVOICE_COLS                                                    \
	"id, number, customer_id, subscription_id, currency,"           \
	" subtotal_minor, tax_rate_bp, tax_minor, total_minor, status," \
	" period_start::text, period_end::text, due_date::text,"        \
	" billing_us(paid_at), billing_us(created_at)"
#define INVOICE_NCOLS 15

/* The invoice in columns [c, c + INVOICE_NCOLS) of a row; NULL: OOM. */
Billing__V1__Invoice *invoices_from_row(
    srv_call *call, const PGresult *res, int row, int c);

Billing__V1__InvoiceStatus invoices_status_parse(const char *s);
const char *invoices_status_name(Billing__V1__InvoiceStatus s);

extern const billing_invoices_impl invoices_impl;

#endif /* SERVER_INVOICES_H */
