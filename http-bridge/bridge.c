/*
 * bridge.c: the order of the contract's checks for one request
 * (docs/legacy-api.md section 6, "Order of checks"): path, API key,
 * action, method, then the action's own parameters and lookups.
 */
#include <string.h>

#include "bridge.h"

/* The legacy endpoints. */
static const bendpoint ENDPOINTS[] = {
	{ "/api/users.php", users_actions },
	{ "/api/plans.php", plans_actions },
	{ "/api/subscriptions.php", subscriptions_actions },
	{ "/api/invoices.php", invoices_actions },
	{ "/api/payments.php", payments_actions },
	{ "/api/cron.php", cron_actions },
};

const bendpoint *
bridge_endpoint(const char *path)
{
	for (size_t i = 0; i < sizeof(ENDPOINTS) / sizeof(ENDPOINTS[0]); i++)
		if (strcmp(path, ENDPOINTS[i].path) == 0)
			return (&ENDPOINTS[i]);
	return (NULL);
}

const baction *
bridge_action(const bendpoint *e, const char *name)
{
	for (const baction *a = e->actions; a->name != NULL; a++)
		if (strcmp(a->name, name) == 0)
			return (a);
	return (NULL);
}

envelope
bridge_rpc_error(billing_status *st)
{
	envelope e = envelope_rpc_error(st);

	billing_status_fini(st);
	return (e);
}

envelope
bridge_list(ProtobufCMessage *resp, void *const *items, size_t n,
    json_t *(*render)(const void *), const Billing__V1__PageInfo *info,
    int64_t page, int per_page)
{
	json_t *a = json_array();
	envelope e;

	for (size_t i = 0; a != NULL && i < n; i++)
		if (json_array_append_new(a, render(items[i])) != 0) {
			json_decref(a);
			a = NULL;
		}
	e = envelope_list(
	    a, info != NULL ? info->total_size : 0, page, per_page);
	protobuf_c_message_free_unpacked(resp, NULL);
	return (e);
}
