/*
 * cmd_api_keys.c: `billctl api-keys ...`, the ApiKeys service.
 */
#include <string.h>

#include "billctl.h"
#include "output.h"

static const bctl_opt CREATE_OPTS[] = {
	{ "name", "NAME", BCTL_STRING, "name", BCTL_REQUIRED, NULL,
	    "what the key is for, at most 100 bytes" },
	{ "key", "VALUE", BCTL_STRING, "key", 0, NULL,
	    "a key clients already hold (default: a new one)" },
	{ .name = NULL },
};

static const bctl_opt LIST_OPTS[] = {
	{ "all", NULL, BCTL_BOOL, "include_revoked", 0, NULL,
	    "revoked keys too" },
	BCTL_PAGE_OPTS,
	{ .name = NULL },
};

static const bctl_opt REVOKE_OPTS[] = {
	{ "ID", NULL, BCTL_INT64, "id", BCTL_POSITIONAL | BCTL_REQUIRED, NULL,
	    "the key's id" },
	{ .name = NULL },
};

static int
show_api_key_rows(FILE *fp, const Billing__V1__ApiKey *k, const char *key)
{
	char id[24], created[TIMEFMT_BUFSZ], revoked[TIMEFMT_BUFSZ];
	const char *rows[][2] = {
		{ "id", out_int(id, k->has_id, k->id) },
		{ "name", out_str(k->name) },
		{ "prefix", out_str(k->prefix) },
		{ "active", out_bool(k->has_active, k->active) },
		{ "created",
		    out_time(
		        created, k->has_created_at_us, k->created_at_us) },
		{ "revoked",
		    out_time(
		        revoked, k->has_revoked_at_us, k->revoked_at_us) },
		{ "key", key },
	};
	size_t n = sizeof(rows) / sizeof(rows[0]);

	return (out_pairs(fp, rows, key != NULL ? n : n - 1, 0));
}

static int
show_api_key(FILE *fp, const ProtobufCMessage *resp)
{
	return (
	    show_api_key_rows(fp, (const Billing__V1__ApiKey *) resp, NULL));
}

static int
show_created(FILE *fp, const ProtobufCMessage *resp)
{
	const Billing__V1__CreateApiKeyResponse *r =
	    (const Billing__V1__CreateApiKeyResponse *) resp;
	const Billing__V1__ApiKey none = BILLING__V1__API_KEY__INIT;
	int rv;

	rv = show_api_key_rows(fp, r->api_key != NULL ? r->api_key : &none,
	    r->key != NULL ? r->key : "-");
	if (rv == BCTL_EXIT_OK)
		fprintf(fp,
		    "Keep the key now: it is not stored and will not be "
		    "shown again.\n");
	return (rv);
}

static void
list_row(const ProtobufCMessage *resp, size_t i, const char **cells,
    char (*buf)[OUT_CELL_BYTES])
{
	const Billing__V1__ApiKey *k =
	    ((const Billing__V1__ListApiKeysResponse *) resp)->api_keys[i];

	cells[0] = out_int(buf[0], k->has_id, k->id);
	cells[1] = out_str(k->name);
	cells[2] = out_str(k->prefix);
	cells[3] = out_bool(k->has_active, k->active);
	cells[4] = out_time(buf[4], k->has_created_at_us, k->created_at_us);
	cells[5] = out_time(buf[5], k->has_revoked_at_us, k->revoked_at_us);
}

static int
show_list(FILE *fp, const ProtobufCMessage *resp)
{
	static const char *const headers[] = { "ID", "NAME", "PREFIX",
		"ACTIVE", "CREATED", "REVOKED" };
	const Billing__V1__ListApiKeysResponse *r =
	    (const Billing__V1__ListApiKeysResponse *) resp;

	return (
	    out_list(fp, headers, 6, resp, r->n_api_keys, r->page, list_row));
}

static const bctl_cmd CMDS[] = {
	{ "create", "Creates an API key and prints it, this once",
	    &billing_method_api_keys_create, CREATE_OPTS, NULL, show_created,
	    NULL, NULL, NULL },
	{ "list", "Lists the active API keys (--all: revoked too)",
	    &billing_method_api_keys_list, LIST_OPTS, NULL, show_list, NULL,
	    NULL, NULL },
	{ "revoke", "Revokes an API key: it no longer authenticates",
	    &billing_method_api_keys_revoke, REVOKE_OPTS, NULL, show_api_key,
	    NULL, NULL, NULL },
	{ .name = NULL },
};

const bctl_group api_keys_group = {
	.name = "api-keys",
	.summary = "The keys legacy HTTP clients authenticate with",
	.cmds = CMDS,
};
