/*
 * upstream: one HTTP request to another side of the rollout (the legacy
 * app, or this bridge replaying a request for the new system), through
 * libcurl. Each thread keeps its own handle, so connections are reused.
 */
#ifndef BRIDGE_UPSTREAM_H
#define BRIDGE_UPSTREAM_H

#include <stddef.h>

#define UPSTREAM_BODY_MAX (8 * 1024 * 1024)
#define UPSTREAM_HEADER_MAX 256

/* The request, as the client sent it. NULL headers are not sent. */
typedef struct upstream_req {
	const char *method;
	const char *uri; /* raw path and query: "/api/plans.php?action=list" */
	const char *ctype, *api_key, *billing_now, *token;
	const char *body;
	size_t len;
	long timeout_ms;
} upstream_req;

/* The answer: status, the headers that matter, the body bytes. */
typedef struct upstream_resp {
	int status; /* 0: no answer */
	char ctype[UPSTREAM_HEADER_MAX];
	char disposition[UPSTREAM_HEADER_MAX];
	char cache_control[UPSTREAM_HEADER_MAX];
	char *body; /* malloc'd, NUL-terminated; upstream_resp_fini */
	size_t len;
	char error[128];
} upstream_resp;

/* Once, before any thread starts (curl_global_init). */
int upstream_global_init(void);

/* Sends req to base ("http://host:port") + req->uri; 0 or -1 (error). */
int upstream_call(
    const char *base, const upstream_req *req, upstream_resp *resp);

void upstream_resp_fini(upstream_resp *resp);

#endif /* BRIDGE_UPSTREAM_H */
