/*
 * cmd_events.c: `billctl events list`, the audit trail.
 */
#include <stdio.h>

#include "billctl.h"
#include "output.h"

static const bctl_opt LIST_OPTS[] = {
	{ "object-type", "T", BCTL_STRING, "object_type", 0, NULL,
	    "customer, plan, subscription, invoice or payment" },
	{ "object-id", "N", BCTL_INT64, "object_id", 0, NULL,
	    "events of this object (with --object-type)" },
	{ "customer-id", "N", BCTL_INT64, "customer_id", 0, NULL,
	    "events of this customer's objects" },
	BCTL_PAGE_OPTS,
	{ .name = NULL },
};

static int
show_list(FILE *fp, const ProtobufCMessage *resp)
{
	static const char *const headers[] = { "ID", "TIME", "TYPE", "OBJECT",
		"CUSTOMER", "STATUS", "REQUEST" };
	const Billing__V1__ListEventsResponse *r =
	    (const Billing__V1__ListEventsResponse *) resp;
	out_table *t = out_table_new(7, headers);
	int rv = BCTL_EXIT_RPC;

	if (t == NULL)
		return (rv);
	for (size_t i = 0; i < r->n_events; i++) {
		const Billing__V1__Event *e = r->events[i];
		char id[24], when[TIMEFMT_BUFSZ], cust[24], object[96],
		    status[160];

		snprintf(object, sizeof(object), "%s %lld",
		    out_str(e->object_type), (long long) e->object_id);
		if (!e->has_object_id)
			snprintf(object, sizeof(object), "%s",
			    out_str(e->object_type));
		snprintf(status, sizeof(status), "%s -> %s",
		    out_str(e->before_status), out_str(e->after_status));
		const char *row[] = {
			out_int(id, e->has_id, e->id),
			out_time(when, e->has_created_at_us, e->created_at_us),
			out_str(e->type),
			object,
			out_int(cust, e->has_customer_id, e->customer_id),
			e->before_status == NULL && e->after_status == NULL
			    ? "-"
			    : status,
			out_str(e->request_id),
		};

		if (out_table_add(t, row) != 0)
			goto out;
	}
	if (out_table_print(t, fp) == 0) {
		out_page(fp, r->page, r->n_events);
		rv = BCTL_EXIT_OK;
	}
out:
	out_table_free(t);
	return (rv);
}

static const bctl_cmd CMDS[] = {
	{ "list", "Lists events, oldest first; filters combine",
	    &billing_method_events_list, LIST_OPTS, NULL, show_list, NULL },
	{ .name = NULL },
};

const bctl_group events_group = {
	.name = "events",
	.summary = "The audit trail: an event per state change",
	.cmds = CMDS,
};
