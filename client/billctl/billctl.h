/*
 * billctl.h: what billctl's modules share: the global options, the exit
 * codes, and the tables the friendly commands are made of.
 *
 * A friendly command ("customers create") is a row of a table: the RPC
 * method, its options (each one a field of the request message), an
 * optional check, and a function that prints the response as a table.
 * The options are turned into a JSON request and that into the request
 * message with pbjson, so a friendly command ends up on the very path
 * `billctl call` takes. Adding a service's commands is adding a file
 * with one bctl_group and listing it in main.c.
 */
#ifndef BILLCTL_H
#define BILLCTL_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "billing_client.h"

/* Exit codes. */
#define BCTL_EXIT_OK 0
#define BCTL_EXIT_RPC 1   /* the call failed: the status was printed */
#define BCTL_EXIT_USAGE 2 /* bad flags, bad JSON, unknown name */

#define BCTL_DEFAULT_SERVER "tcp://127.0.0.1:7070"
#define BCTL_DEFAULT_TIMEOUT_MS 10000

/* The global options, given before the command. */
typedef struct bctl_ctx {
	const char *server; /* comma-separated URLs */
	int timeout_ms;
	bool json; /* JSON output instead of tables */
	const char *idempotency_key;
	const char *now; /* x-billing-now */
	const char *tls_ca;
} bctl_ctx;

/* How an option's text becomes a value of the request. */
typedef enum bctl_kind {
	BCTL_STRING,
	BCTL_INT32,
	BCTL_INT64,
	BCTL_ENUM,  /* one of choices; pbjson maps it to the enum value */
	BCTL_PRICE, /* "9.99": exact minor units */
	BCTL_BOOL,  /* a flag without value: true */
	BCTL_EMPTY, /* a flag without value: the message field, empty */
	BCTL_META,  /* KEY=VALUE, repeatable: appended to field (entries) */
	BCTL_SET,   /* a flag without value: the JSON value in choices */
	BCTL_TIME,  /* an instant, 2024-01-31T23:00:00Z: microseconds */
} bctl_kind;

#define BCTL_REQUIRED 0x1u
#define BCTL_POSITIONAL 0x2u
#define BCTL_REPEATED 0x4u /* repeatable: each value appended to field */

typedef struct bctl_opt {
	const char *name;    /* --name; for a positional, its metavar */
	const char *metavar; /* "EMAIL"; NULL for BCTL_BOOL */
	bctl_kind kind;
	const char *field; /* dotted path in the request: "page.page_size" */
	unsigned flags;
	/* BCTL_ENUM: "active|suspended"; BCTL_SET: "false", "\"FAILED\"" */
	const char *choices;
	const char *help;
} bctl_opt;

/* The options of every List call. */
/* clang-format off */
#define BCTL_PAGE_OPTS                                                     \
	{ "page", "N", BCTL_INT32, "page.page", 0, NULL,                   \
	    "page number, from 1 (offset paging)" },                       \
	{ "page-size", "N", BCTL_INT32, "page.page_size", 0, NULL,         \
	    "rows per page (default 50, at most 500)" },                   \
	{ "page-token", "T", BCTL_STRING, "page.page_token", 0, NULL,      \
	    "continue after the page that printed T" }
/* clang-format on */

typedef struct bctl_cmd {
	const char *name; /* "create" */
	const char *summary;
	const billing_method *method;
	const bctl_opt *opts; /* ends with a row whose name is NULL */
	/* Checks what the option table cannot say; NULL: nothing. */
	int (*check)(const json_t *req, char *err, size_t errlen);
	/* Prints the response as text; NULL: as JSON. */
	int (*show)(FILE *fp, const ProtobufCMessage *resp);
	/* The exit status a successful response means; NULL: 0. */
	int (*verdict)(const ProtobufCMessage *resp);
	/*
	 * Non-NULL: the method called instead when the request has the
	 * field alt_field ("invoices show --number" calls GetByNumber).
	 */
	const billing_method *alt;
	const char *alt_field;
} bctl_cmd;

typedef struct bctl_group {
	const char *name; /* "customers" */
	const char *summary;
	const bctl_cmd *cmds; /* ends with a row whose name is NULL */
	/* Non-NULL for a command without subcommands ("health"). */
	const bctl_cmd *self;
} bctl_group;

extern const bctl_group customers_group;
extern const bctl_group plans_group;
extern const bctl_group subscriptions_group;
extern const bctl_group invoices_group;
extern const bctl_group payments_group;
extern const bctl_group billing_group;
extern const bctl_group events_group;
extern const bctl_group health_group;
extern const bctl_group api_keys_group;
extern const bctl_group rollout_group;

/*
 * cmd_subscriptions.c, cmd_invoices.c: a subscription or an invoice as
 * the rows of a table, each line indented by indent spaces; the commands
 * whose responses hold one print it so. An invoice's items follow as a
 * table of their own when it has any, or always when items is true
 * ("items: none"). An exit code.
 */
int show_subscription_at(
    FILE *fp, const Billing__V1__Subscription *s, int indent);
int show_invoice_at(
    FILE *fp, const Billing__V1__Invoice *inv, int indent, bool items);

/* main.c: "billctl: " + message on stderr; returns BCTL_EXIT_USAGE. */
int bctl_usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* invoke.c: one call through libbilling-client. */

/*
 * Calls m with req under the global options. Returns BCTL_EXIT_OK with
 * *resp set, or prints the status to stderr and returns an exit code.
 */
int invoke_call(const bctl_ctx *ctx, const billing_method *m,
    const ProtobufCMessage *req, ProtobufCMessage **resp);

/* Prints resp as JSON (json) or with show; returns an exit code. */
int invoke_print(const bctl_ctx *ctx, const ProtobufCMessage *resp,
    int (*show)(FILE *, const ProtobufCMessage *));

/* The commands main.c dispatches to. */
int call_main(const bctl_ctx *ctx, int argc, char **argv);
int describe_list_main(const bctl_ctx *ctx, int argc, char **argv);
int describe_main(const bctl_ctx *ctx, int argc, char **argv);

/* group.c: runs a friendly command of g ("customers create ..."). */
int group_main(
    const bctl_ctx *ctx, const bctl_group *g, int argc, char **argv);
void group_usage(FILE *fp, const bctl_group *g);

/* The parts of a run, for the tests. */

/* The command of g called name (g->self for a group without). */
const bctl_cmd *group_cmd(const bctl_group *g, const char *name);

/*
 * The request command c of g makes of argv (argv[0] the command's name),
 * checked with c->check. Returns 0 with *req set (json_decref it) and
 * *json telling whether --json was given; or, for -h, the usage printed
 * to stdout and 0 with *req NULL; or an exit code, the error printed.
 */
int group_request(const bctl_group *g, const bctl_cmd *c, int argc,
    char **argv, json_t **req, bool *json);

/* The method c calls for req: c->alt when req has c->alt_field. */
const billing_method *group_method(const bctl_cmd *c, const json_t *req);

/* The usage text of command c of g (what -h prints). */
void group_cmd_usage(FILE *fp, const bctl_group *g, const bctl_cmd *c);

#endif /* BILLCTL_H */
