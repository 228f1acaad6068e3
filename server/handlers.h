/*
 * handlers: the service tables the server binds (one file per service).
 */
#ifndef SERVER_HANDLERS_H
#define SERVER_HANDLERS_H

#include "call.h"

extern const billing_api_keys_impl api_keys_impl;
extern const billing_customers_impl customers_impl;
extern const billing_plans_impl plans_impl;
extern const billing_rollout_impl rollout_impl;
extern const billing_events_impl events_impl;
extern const billing_health_impl health_impl;
extern const billing_invoices_impl invoices_impl;
extern const billing_payments_impl payments_impl;
extern const billing_subscriptions_impl subscriptions_impl;
extern const billing_billing_impl billing_impl;

/* Every service this server implements. */
extern const billing_server_impl handlers_impl;

#endif /* SERVER_HANDLERS_H */
