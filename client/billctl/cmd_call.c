/*
 * cmd_call.c: `billctl call METHOD [JSON|@FILE|@-]`, grpcurl's call: any
 * method, the request as JSON, the response printed as JSON.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "billctl.h"
#include "output.h"
#include "pbjson.h"
#include "schema.h"

static const char USAGE[] =
    "usage: billctl call METHOD [JSON | @FILE | @-]\n"
    "\n"
    "Calls METHOD with the request JSON (default {}), read from FILE\n"
    "with @FILE or from standard input with @-, and prints the response\n"
    "as JSON. METHOD is /billing.v1.Customers/Get, billing.v1.Customers/Get\n"
    "or Customers/Get (billctl list SERVICE shows them). Fields are named\n"
    "as in the proto (snake_case); enums by name (\"MONTHLY\" or\n"
    "\"BILLING_CYCLE_MONTHLY\") or number; bytes as base64.\n"
    "\n"
    "example: billctl call Customers/Get '{\"id\": 5}'\n";

/*
 * Reads all of fp, up to one byte past the JSON limit (so that an
 * oversize input is told apart). Returns 0 and a malloc'd buffer, or an
 * exit code after printing why.
 */
static int
read_all(FILE *fp, const char *what, char **out, size_t *len)
{
	size_t cap = PBJSON_MAX_INPUT + 1, n = 0, k;
	char *buf = malloc(cap);

	if (buf == NULL)
		return (bctl_usage_error("out of memory"));
	while (n < cap && (k = fread(buf + n, 1, cap - n, fp)) > 0)
		n += k;
	if (ferror(fp)) {
		free(buf);
		return (
		    bctl_usage_error("reading %s: %s", what, strerror(errno)));
	}
	if (n > PBJSON_MAX_INPUT) {
		free(buf);
		return (bctl_usage_error("%s: larger than the %zu bytes a "
		                         "request may have",
		    what, PBJSON_MAX_INPUT));
	}
	*out = buf;
	*len = n;
	return (0);
}

/* The request text: the argument itself, @FILE or @- (stdin). */
static int
load_request(const char *arg, char **out, size_t *len)
{
	FILE *fp;
	int rv;

	if (arg[0] != '@') {
		if ((*out = strdup(arg)) == NULL)
			return (bctl_usage_error("out of memory"));
		*len = strlen(arg);
		return (0);
	}
	if (strcmp(arg, "@-") == 0)
		return (read_all(stdin, "standard input", out, len));
	if ((fp = fopen(arg + 1, "rb")) == NULL)
		return (bctl_usage_error("%s: %s", arg + 1, strerror(errno)));
	rv = read_all(fp, arg + 1, out, len);
	fclose(fp);
	return (rv);
}

int
call_main(const bctl_ctx *ctx, int argc, char **argv)
{
	const billing_method *m;
	ProtobufCMessage *req = NULL, *resp = NULL;
	char err[512], *text;
	size_t len;
	int rv;

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0) {
			fputs(USAGE, stdout);
			return (BCTL_EXIT_OK);
		}
	if (argc < 2 || argc > 3) {
		fputs(USAGE, stderr);
		return (BCTL_EXIT_USAGE);
	}
	if ((m = schema_method(argv[1])) == NULL)
		return (bctl_usage_error("call: no method %s (billctl list "
		                         "SERVICE shows them)",
		    argv[1]));
	if ((rv = load_request(argc == 3 ? argv[2] : "{}", &text, &len)) != 0)
		return (rv);
	rv = pbjson_parse(m->input, text, len, &req, err, sizeof(err));
	free(text);
	if (rv != 0)
		return (bctl_usage_error(
		    "call %s: bad request: %s", m->full_name, err));
	rv = invoke_call(ctx, m, req, &resp);
	protobuf_c_message_free_unpacked(req, NULL);
	if (rv != BCTL_EXIT_OK)
		return (rv);
	/* call speaks JSON whatever --json says. */
	rv = out_json(stdout, resp);
	protobuf_c_message_free_unpacked(resp, NULL);
	if (fflush(stdout) != 0 && rv == BCTL_EXIT_OK) {
		perror("billctl: stdout");
		rv = BCTL_EXIT_RPC;
	}
	return (rv);
}
