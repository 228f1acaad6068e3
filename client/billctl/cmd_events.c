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
	{ "since", "TIME", BCTL_TIME, "since_us", 0, NULL,
	    "at or after TIME (UTC), e.g. 2024-01-31T23:00:00Z" },
	{ "until", "TIME", BCTL_TIME, "until_us", 0, NULL,
	    "before TIME (UTC)" },
	BCTL_PAGE_OPTS,
	{ .name = NULL },
};

static void
list_row(const ProtobufCMessage *resp, size_t i, const char **cells,
    char (*buf)[OUT_CELL_BYTES])
{
	const Billing__V1__Event *e =
	    ((const Billing__V1__ListEventsResponse *) resp)->events[i];

	cells[0] = out_int(buf[0], e->has_id, e->id);
	cells[1] = out_time(buf[1], e->has_created_at_us, e->created_at_us);
	cells[2] = out_str(e->type);
	if (e->has_object_id)
		snprintf(buf[3], OUT_CELL_BYTES, "%s %lld",
		    out_str(e->object_type), (long long) e->object_id);
	else
		snprintf(
		    buf[3], OUT_CELL_BYTES, "%s", out_str(e->object_type));
	cells[3] = buf[3];
	cells[4] = out_int(buf[4], e->has_customer_id, e->customer_id);
	snprintf(buf[5], OUT_CELL_BYTES, "%s -> %s", out_str(e->before_status),
	    out_str(e->after_status));
	cells[5] =
	    e->before_status == NULL && e->after_status == NULL ? "-" : buf[5];
	cells[6] = out_str(e->request_id);
}

static int
show_list(FILE *fp, const ProtobufCMessage *resp)
{
	static const char *const headers[] = { "ID", "TIME", "TYPE", "OBJECT",
		"CUSTOMER", "STATUS", "REQUEST" };
	const Billing__V1__ListEventsResponse *r =
	    (const Billing__V1__ListEventsResponse *) resp;

	return (
	    out_list(fp, headers, 7, resp, r->n_events, r->page, list_row));
}

static const bctl_cmd CMDS[] = {
	{ "list", "Lists events, oldest first; filters combine",
	    &billing_method_events_list, LIST_OPTS, NULL, show_list, NULL,
	    NULL, NULL },
	{ .name = NULL },
};

const bctl_group events_group = {
	.name = "events",
	.summary = "The audit trail: an event per state change",
	.cmds = CMDS,
};
