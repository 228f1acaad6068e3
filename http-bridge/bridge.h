/*
 * bridge: one legacy request as the actions see it, and the actions'
 * table. Each endpoint file (plans.c, cron.c, ...) exports a table of
 * actions; an action checks its parameters in the contract's order
 * (check.h), makes its RPC and returns the envelope.
 */
#ifndef BRIDGE_BRIDGE_H
#define BRIDGE_BRIDGE_H

#include <stdbool.h>

#include "billing_client.h"
#include "billing_client_stubs.h"
#include "envelope.h"
#include "params.h"

typedef struct breq {
	const char *method; /* HTTP method */
	params *params;     /* query and body, body winning */
	billing_client *client;
	billing_call_opts opts; /* x-billing-now, request id */
} breq;

typedef struct baction {
	const char *name;
	bool post_only;
	envelope (*fn)(breq *r);
} baction;

typedef struct bendpoint {
	const char *path; /* "/api/plans.php" */
	const baction *actions;
} bendpoint;

extern const baction users_actions[];
extern const baction plans_actions[];
extern const baction subscriptions_actions[];
extern const baction invoices_actions[];
extern const baction payments_actions[];
extern const baction cron_actions[];

/* A failed RPC's envelope; finishes st. */
envelope bridge_rpc_error(billing_status *st);

/*
 * The list envelope of a List RPC's n items, each rendered by render,
 * with the paging the request asked for (page as given, which may lie
 * beyond the RPC's int32 page; per_page as capped) and the total the
 * answer gave; frees resp.
 */
envelope bridge_list(ProtobufCMessage *resp, void *const *items, size_t n,
    json_t *(*render)(const void *), const Billing__V1__PageInfo *info,
    int64_t page, int per_page);

/* The endpoint of a path, or NULL (404). */
const bendpoint *bridge_endpoint(const char *path);

/* The action of an endpoint, or NULL (400 Unknown action). */
const baction *bridge_action(const bendpoint *e, const char *name);

#endif /* BRIDGE_BRIDGE_H */
