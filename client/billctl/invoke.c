/*
 * invoke.c: one RPC as billctl makes it. `call` and every friendly
 * command end here: open a client on the global options, make the call,
 * print the status of a failure the one way.
 *
 * A client per invocation: billctl makes one call and exits, and
 * billing_client_open returns before any connection is up, so there is
 * nothing to keep.
 */
#include <stdlib.h>

#include "billctl.h"
#include "output.h"

/*
 * error: NOT_FOUND: customer 5 not found
 *   reason: CUSTOMER_NOT_FOUND
 *   field email: required
 */
static void
print_status(const billing_status *st)
{
	fprintf(stderr, "error: %s: ", billing_code_name(st->code));
	out_clean(stderr, st->message != NULL ? st->message : "(no message)");
	fputc('\n', stderr);
	if (st->reason != NULL) {
		fputs("  reason: ", stderr);
		out_clean(stderr, st->reason);
		fputc('\n', stderr);
	}
	for (size_t i = 0; i < st->n_details; i++) {
		fputs("  field ", stderr);
		out_clean(stderr,
		    st->details[i].field != NULL ? st->details[i].field : "?");
		fputs(": ", stderr);
		out_clean(stderr,
		    st->details[i].description != NULL
		        ? st->details[i].description
		        : "invalid");
		fputc('\n', stderr);
	}
}

int
invoke_call(const bctl_ctx *ctx, const billing_method *m,
    const ProtobufCMessage *req, ProtobufCMessage **resp)
{
	billing_client_opts copts = {
		.timeout_ms = ctx->timeout_ms,
		.tls_ca_file = ctx->tls_ca,
	};
	billing_call_opts opts = {
		.timeout_ms = ctx->timeout_ms,
		.idempotency_key = ctx->idempotency_key,
		.now = ctx->now,
		.caller = "billctl",
	};
	billing_status st = BILLING_STATUS_INIT;
	billing_client *c;
	int rv;

	*resp = NULL;
	if (billing_client_open(&c, ctx->server, &copts, &st) != 0) {
		/* The only failures are a bad --server or no memory. */
		rv = st.code == BILLING_INVALID_ARGUMENT ? BCTL_EXIT_USAGE
		                                         : BCTL_EXIT_RPC;
		print_status(&st);
		if (rv == BCTL_EXIT_USAGE)
			fputs(
			    "  hint: --server URL[,URL...] or BILLING_SERVER "
			    "names the servers; tls+tcp:// needs --tls-ca "
			    "FILE\n",
			    stderr);
		billing_status_fini(&st);
		return (rv);
	}
	rv = billing_client_call(c, m, req, resp, &opts, &st);
	billing_client_close(c);
	if (rv != 0) {
		print_status(&st);
		billing_status_fini(&st);
		return (BCTL_EXIT_RPC);
	}
	return (BCTL_EXIT_OK);
}

int
invoke_print(const bctl_ctx *ctx, const ProtobufCMessage *resp,
    int (*show)(FILE *, const ProtobufCMessage *))
{
	int rv;

	if (ctx->json || show == NULL)
		rv = out_json(stdout, resp);
	else
		rv = show(stdout, resp);
	if (fflush(stdout) != 0 && rv == BCTL_EXIT_OK) {
		perror("billctl: stdout");
		rv = BCTL_EXIT_RPC;
	}
	return (rv);
}
