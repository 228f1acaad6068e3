/*
 * health.c: the Health service (grpc.health.v1's Check).
 *
 * The server serves while its database answers; the check runs on the
 * calling worker's own connection, so it also proves that connection.
 */
#include <string.h>

#include "handlers.h"

static const db_stmt PING = { "health_ping", "SELECT 1" };

static bool
known_service(const char *name)
{
	for (size_t i = 0; i < BILLING_SERVICES_COUNT; i++)
		if (strcmp(billing_services[i]->name, name) == 0)
			return (true);
	return (false);
}

static int
health_check(srv_call *call, const Billing__V1__HealthCheckRequest *req,
    Billing__V1__HealthCheckResponse **out)
{
	Billing__V1__HealthCheckResponse *r;
	PGresult *res;

	if (req->service != NULL && req->service[0] != '\0' &&
	    !known_service(req->service))
		return (call_error(call, BILLING_NOT_FOUND, "SERVICE_UNKNOWN",
		    "unknown service %s", req->service));
	r = call_new(call, billing__v1__health_check_response,
	    Billing__V1__HealthCheckResponse);
	if (r == NULL)
		return (call_oom(call));
	r->has_status = 1;
	if (db_ensure(call->db, &call->status) == 0 &&
	    call_query(call, &PING, 0, NULL, &res) == 0)
		r->status =
		    BILLING__V1__SERVING_STATUS__SERVING_STATUS_SERVING;
	else {
		/* Not serving is this call's answer, not its failure. */
		r->status =
		    BILLING__V1__SERVING_STATUS__SERVING_STATUS_NOT_SERVING;
		r->detail = call_strdup(call, call->status.message);
		billing_status_fini(&call->status);
	}
	*out = r;
	return (0);
}

const billing_health_impl health_impl = {
	.check = health_check,
};
