/*
 * cmd_health.c: `billctl health`, the Health service's Check.
 */
#include "billctl.h"
#include "output.h"

static const bctl_opt OPTS[] = {
	{ "service", "S", BCTL_STRING, "service", 0, NULL,
	    "e.g. billing.v1.Customers (default: the server)" },
	{ .name = NULL },
};

static int
show_health(FILE *fp, const ProtobufCMessage *resp)
{
	const Billing__V1__HealthCheckResponse *r =
	    (const Billing__V1__HealthCheckResponse *) resp;
	char st[48];
	const char *rows[][2] = {
		{ "status",
		    out_enum(st, sizeof(st), r->has_status,
		        &billing__v1__serving_status__descriptor, r->status) },
		{ "detail", out_str(r->detail) },
	};
	out_table *t = out_table_new(2, NULL);
	int rv = BCTL_EXIT_RPC;

	if (t == NULL)
		return (rv);
	if (out_table_add(t, rows[0]) == 0 &&
	    (r->detail == NULL || out_table_add(t, rows[1]) == 0) &&
	    out_table_print(t, fp) == 0)
		rv = BCTL_EXIT_OK;
	out_table_free(t);
	return (rv);
}

/* Like grpc_health_probe: a server that does not serve fails the probe. */
static int
serving(const ProtobufCMessage *resp)
{
	const Billing__V1__HealthCheckResponse *r =
	    (const Billing__V1__HealthCheckResponse *) resp;

	if (r->has_status &&
	    r->status == BILLING__V1__SERVING_STATUS__SERVING_STATUS_SERVING)
		return (BCTL_EXIT_OK);
	fprintf(stderr, "billctl: the server is not serving%s%s\n",
	    r->detail != NULL ? ": " : "", r->detail != NULL ? r->detail : "");
	return (BCTL_EXIT_RPC);
}

static const bctl_cmd CHECK = { "check", "Asks whether the server serves",
	&billing_method_health_check, OPTS, NULL, show_health, serving, NULL,
	NULL };

const bctl_group health_group = {
	.name = "health",
	.summary = "Asks whether the server serves",
	.self = &CHECK,
};
