/*
 * group.c: the friendly commands' common machinery. A command's option
 * table (billctl.h) drives everything: parsing its arguments into a JSON
 * request, its usage text, and the run itself, which converts the
 * request with pbjson and goes through invoke.c as `billctl call` does.
 *
 * Values are checked here, against the option that carries them, so
 * that a mistake is reported as "--page-size: ..." rather than as a
 * field of a message the operator never wrote.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "billctl.h"
#include "money.h"
#include "pbjson.h"
#include "timefmt.h"

#define MAX_OPTS 32

/* What the arguments of one command came to. */
typedef struct parsed {
	json_t *req;
	bool json;
	bool help;
	bool seen[MAX_OPTS];
} parsed;

/*
 * The object holding the last component of a dotted path ("page" for
 * "page.page_size"), objects on the way created; the component in last.
 */
static json_t *
parent_of(json_t *root, const char *path, char *last, size_t cap)
{
	const char *dot;
	json_t *next;

	while ((dot = strchr(path, '.')) != NULL) {
		size_t n = (size_t) (dot - path);

		if (n >= cap)
			return (NULL);
		memcpy(last, path, n);
		last[n] = '\0';
		if ((next = json_object_get(root, last)) == NULL &&
		    ((next = json_object()) == NULL ||
		        json_object_set_new(root, last, next) != 0))
			return (NULL);
		root = next;
		path = dot + 1;
	}
	if (strlen(path) >= cap)
		return (NULL);
	strcpy(last, path);
	return (root);
}

/* Sets value (stolen) at path. */
static int
set_path(json_t *root, const char *path, json_t *value)
{
	char last[64];
	json_t *o = parent_of(root, path, last, sizeof(last));

	if (o == NULL) {
		json_decref(value);
		return (-1);
	}
	return (json_object_set_new(o, last, value));
}

/* Appends value (stolen) to the array at path, created the first time. */
static int
append_path(json_t *root, const char *path, json_t *value)
{
	char last[64];
	json_t *o = parent_of(root, path, last, sizeof(last)), *arr;

	if (o == NULL) {
		json_decref(value);
		return (-1);
	}
	if ((arr = json_object_get(o, last)) == NULL &&
	    ((arr = json_array()) == NULL ||
	        json_object_set_new(o, last, arr) != 0)) {
		json_decref(value);
		return (-1);
	}
	return (json_array_append_new(arr, value));
}

/* A strict decimal integer in [min, max]. */
static bool
parse_int(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (!((s[0] >= '0' && s[0] <= '9') ||
	        (s[0] == '-' && s[1] >= '0' && s[1] <= '9')))
		return (false);
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return (false);
	*out = v;
	return (true);
}

/* Whether s is one of the '|'-separated choices, in any case. */
static bool
is_choice(const char *choices, const char *s)
{
	size_t n = strlen(s);

	for (const char *p = choices; *p != '\0';) {
		const char *bar = strchr(p, '|');
		size_t k = bar != NULL ? (size_t) (bar - p) : strlen(p);

		if (k == n && strncasecmp(p, s, n) == 0)
			return (true);
		p += k + (bar != NULL);
	}
	return (false);
}

/* "--email" or "EMAIL", for messages. */
static void
opt_label(const bctl_opt *o, char *buf, size_t cap)
{
	snprintf(
	    buf, cap, (o->flags & BCTL_POSITIONAL) ? "%s" : "--%s", o->name);
}

/* Converts text for option o and puts it into the request. */
static int
apply(const char *who, const bctl_opt *o, const char *text, json_t *req)
{
	char label[64];
	json_t *v = NULL;
	long long n;
	int64_t minor, us;

	opt_label(o, label, sizeof(label));
	switch (o->kind) {
	case BCTL_STRING:
		if ((v = json_string(text)) == NULL)
			return (bctl_usage_error(
			    "%s %s: not valid UTF-8", who, label));
		break;
	case BCTL_INT32:
	case BCTL_INT64:
		if (!parse_int(text,
		        o->kind == BCTL_INT32 ? INT32_MIN : INT64_MIN,
		        o->kind == BCTL_INT32 ? INT32_MAX : INT64_MAX, &n))
			return (bctl_usage_error("%s %s: \"%s\" is not a%s "
			                         "integer",
			    who, label, text,
			    o->kind == BCTL_INT32 ? " 32-bit" : "n"));
		v = json_integer(n);
		break;
	case BCTL_ENUM:
		if (!is_choice(o->choices, text))
			return (bctl_usage_error("%s %s: \"%s\" is not one of "
			                         "%s",
			    who, label, text, o->choices));
		v = json_string(text);
		break;
	case BCTL_PRICE:
		if (money_parse(text, &minor) != 0)
			return (bctl_usage_error("%s %s: \"%s\" is not an "
			                         "amount such as 9.99 "
			                         "(digits, at most %d "
			                         "decimals)",
			    who, label, text, MONEY_DECIMALS));
		v = json_integer(minor);
		break;
	case BCTL_BOOL:
		v = json_true();
		break;
	case BCTL_SET:
		v = json_loads(o->choices, JSON_DECODE_ANY, NULL);
		break;
	case BCTL_TIME:
		if (timefmt_parse_iso(text, &us) != 0)
			return (bctl_usage_error("%s %s: \"%s\" is not an "
			                         "instant such as "
			                         "2024-01-31T23:00:00Z (UTC)",
			    who, label, text));
		v = json_integer(us);
		break;
	case BCTL_EMPTY: {
		char last[64];
		json_t *parent = parent_of(req, o->field, last, sizeof(last));

		/* Entries given already make the message present. */
		if (parent != NULL && json_object_get(parent, last) != NULL)
			return (0);
		v = json_object();
		break;
	}
	case BCTL_META: {
		const char *eq = strchr(text, '=');
		json_t *k, *val;

		if (eq == NULL || eq == text)
			return (bctl_usage_error("%s %s: \"%s\" is not "
			                         "KEY=VALUE",
			    who, label, text));
		k = json_stringn(text, (size_t) (eq - text));
		val = json_string(eq + 1);
		if (k == NULL || val == NULL) {
			json_decref(k);
			json_decref(val);
			return (bctl_usage_error(
			    "%s %s: not valid UTF-8", who, label));
		}
		if ((v = json_object()) == NULL) {
			json_decref(k);
			json_decref(val);
			return (bctl_usage_error("out of memory"));
		}
		/* set_new takes its value even when it fails: no leak. */
		if ((json_object_set_new(v, "key", k) |
		        json_object_set_new(v, "value", val)) != 0) {
			json_decref(v);
			return (bctl_usage_error("out of memory"));
		}
		if (append_path(req, o->field, v) != 0)
			return (bctl_usage_error("out of memory"));
		return (0);
	}
	}
	if (v != NULL && (o->flags & BCTL_REPEATED) != 0) {
		if (append_path(req, o->field, v) != 0)
			return (bctl_usage_error("out of memory"));
		return (0);
	}
	if (v == NULL || set_path(req, o->field, v) != 0)
		return (bctl_usage_error("out of memory"));
	return (0);
}

static const bctl_opt *
find_flag(const bctl_cmd *c, const char *name, size_t len, size_t *idx)
{
	for (size_t i = 0; c->opts[i].name != NULL; i++)
		if (!(c->opts[i].flags & BCTL_POSITIONAL) &&
		    strlen(c->opts[i].name) == len &&
		    strncmp(c->opts[i].name, name, len) == 0) {
			*idx = i;
			return (&c->opts[i]);
		}
	return (NULL);
}

/* Whether --name is one of main.c's options. */
static bool
is_global(const char *name, size_t len)
{
	static const char *const globals[] = { "server", "timeout",
		"idempotency-key", "now", "tls-ca" };

	for (size_t i = 0; i < sizeof(globals) / sizeof(globals[0]); i++)
		if (strlen(globals[i]) == len &&
		    strncmp(globals[i], name, len) == 0)
			return (true);
	return (false);
}

/* A flag that takes no value. */
static bool
is_flag(const bctl_opt *o)
{
	return (o->kind == BCTL_BOOL || o->kind == BCTL_EMPTY ||
	    o->kind == BCTL_SET);
}

/* A negative number is a value, not an option. */
static bool
is_option(const char *a)
{
	return (a[0] == '-' && a[1] != '\0' && !(a[1] >= '0' && a[1] <= '9'));
}

static int
parse_args(
    const bctl_cmd *c, const char *who, int argc, char **argv, parsed *p)
{
	size_t next_pos = 0, idx;
	bool only_pos = false;
	int rv;

	memset(p, 0, sizeof(*p));
	for (size_t i = 0; c->opts[i].name != NULL; i++)
		if (i >= MAX_OPTS)
			return (bctl_usage_error("%s: too many options in its "
			                         "table",
			    who));
	if ((p->req = json_object()) == NULL)
		return (bctl_usage_error("out of memory"));
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL, *eq;
		const bctl_opt *o;
		size_t nlen;

		if (!only_pos && strcmp(a, "--") == 0) {
			only_pos = true;
			continue;
		}
		if (!only_pos &&
		    (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
			p->help = true;
			return (0);
		}
		if (!only_pos && strcmp(a, "--json") == 0) {
			p->json = true;
			continue;
		}
		if (only_pos || !is_option(a)) {
			/* The next positional option takes it. */
			o = NULL;
			for (idx = next_pos; c->opts[idx].name != NULL; idx++)
				if (c->opts[idx].flags & BCTL_POSITIONAL) {
					o = &c->opts[idx];
					break;
				}
			if (o == NULL)
				return (bctl_usage_error("%s: unexpected "
				                         "argument \"%s\"",
				    who, a));
			next_pos = idx + 1;
			p->seen[idx] = true;
			if ((rv = apply(who, o, a, p->req)) != 0)
				return (rv);
			continue;
		}
		if (strncmp(a, "--", 2) != 0)
			return (bctl_usage_error("%s: unknown option %s "
			                         "(options are --long)",
			    who, a));
		a += 2;
		eq = strchr(a, '=');
		nlen = eq != NULL ? (size_t) (eq - a) : strlen(a);
		if ((o = find_flag(c, a, nlen, &idx)) == NULL)
			return (bctl_usage_error("%s: unknown option --%.*s%s",
			    who, (int) nlen, a,
			    is_global(a, nlen) ? " (global options go before "
			                         "the command)"
			                       : ""));
		if (p->seen[idx] && o->kind != BCTL_META &&
		    (o->flags & BCTL_REPEATED) == 0)
			return (bctl_usage_error(
			    "%s: --%s given twice", who, o->name));
		p->seen[idx] = true;
		if (is_flag(o)) {
			if (eq != NULL)
				return (bctl_usage_error("%s: --%s takes no "
				                         "value",
				    who, o->name));
		} else if (eq != NULL)
			val = eq + 1;
		else if (i + 1 < argc)
			val = argv[++i];
		else
			return (bctl_usage_error("%s: --%s needs a value (%s)",
			    who, o->name, o->metavar));
		if ((rv = apply(who, o, val, p->req)) != 0)
			return (rv);
	}
	for (size_t i = 0; c->opts[i].name != NULL; i++)
		if ((c->opts[i].flags & BCTL_REQUIRED) && !p->seen[i]) {
			char label[64];

			opt_label(&c->opts[i], label, sizeof(label));
			return (bctl_usage_error(
			    "%s: %s is required", who, label));
		}
	return (0);
}

/* The option that carries field, for the usage text. */
static const bctl_opt *
opt_of_field(const bctl_cmd *c, const char *field)
{
	for (size_t i = 0; c->opts[i].name != NULL; i++)
		if (strcmp(c->opts[i].field, field) == 0)
			return (&c->opts[i]);
	return (NULL);
}

void
group_cmd_usage(FILE *fp, const bctl_group *g, const bctl_cmd *c)
{
	char label[64], word[96];
	int col;

	col = fprintf(fp, "usage: billctl %s", g->name);
	if (c->name != NULL && c != g->self)
		col += fprintf(fp, " %s", c->name);
	for (size_t i = 0; c->opts[i].name != NULL; i++) {
		const bctl_opt *o = &c->opts[i];
		bool req = (o->flags & BCTL_REQUIRED) != 0;
		int n;

		if (o->flags & BCTL_POSITIONAL)
			n = snprintf(
			    word, sizeof(word), req ? "%s" : "[%s]", o->name);
		else if (is_flag(o))
			n = snprintf(word, sizeof(word), "[--%s]", o->name);
		else
			n = snprintf(word, sizeof(word),
			    req ? "--%s %s" : "[--%s %s]%s", o->name,
			    o->metavar,
			    o->kind == BCTL_META ||
			            (o->flags & BCTL_REPEATED) != 0
			        ? "..."
			        : "");
		/* Wrapped at 79 columns, continued under the command. */
		if (col + 1 + n > 79)
			col = fprintf(fp, "\n       ") - 1;
		col += fprintf(fp, " %s", word);
	}
	fprintf(fp, "%s[--json]\n\n%s.\nCalls %s",
	    col + 9 > 79 ? "\n        " : " ", c->summary,
	    c->method->full_name);
	if (c->alt != NULL) {
		const bctl_opt *o = opt_of_field(c, c->alt_field);

		opt_label(o, label, sizeof(label));
		fprintf(fp, ",\nor %s with %s", c->alt->full_name, label);
	}
	fprintf(fp, ".\n");
	if (c->opts[0].name == NULL)
		return;
	fprintf(fp, "\nOptions:\n");
	for (size_t i = 0; c->opts[i].name != NULL; i++) {
		const bctl_opt *o = &c->opts[i];

		opt_label(o, label, sizeof(label));
		if (!(o->flags & BCTL_POSITIONAL) && o->metavar != NULL) {
			size_t n = strlen(label);

			/* An enum's choices say more than its metavar. */
			snprintf(label + n, sizeof(label) - n, " %s",
			    o->kind == BCTL_ENUM ? o->choices : o->metavar);
		}
		if (strlen(label) > 22)
			fprintf(fp, "  %s\n  %-22s %s\n", label, "", o->help);
		else
			fprintf(fp, "  %-22s %s\n", label, o->help);
	}
	fprintf(fp, "  %-22s %s\n", "--json", "print the response as JSON");
}

void
group_usage(FILE *fp, const bctl_group *g)
{
	size_t w = 10; /* the names' column, as wide as the widest */

	if (g->self != NULL) {
		group_cmd_usage(fp, g, g->self);
		return;
	}
	fprintf(fp,
	    "usage: billctl %s COMMAND [ARGS...]\n\n%s.\n\n"
	    "Commands:\n",
	    g->name, g->summary);
	for (size_t i = 0; g->cmds[i].name != NULL; i++)
		if (strlen(g->cmds[i].name) > w)
			w = strlen(g->cmds[i].name);
	for (size_t i = 0; g->cmds[i].name != NULL; i++)
		fprintf(fp, "  %-*s %s\n", (int) w, g->cmds[i].name,
		    g->cmds[i].summary);
	fprintf(fp, "\nbillctl %s COMMAND -h shows a command's options.\n",
	    g->name);
}

/* "customers create", for messages. */
static void
cmd_who(const bctl_group *g, const bctl_cmd *c, char *who, size_t cap)
{
	snprintf(who, cap, "%s%s%s", g->name, c != g->self ? " " : "",
	    c != g->self ? c->name : "");
}

int
group_request(const bctl_group *g, const bctl_cmd *c, int argc, char **argv,
    json_t **req, bool *json)
{
	char err[512], who[64];
	parsed p;
	int rv;

	*req = NULL;
	*json = false;
	cmd_who(g, c, who, sizeof(who));
	if ((rv = parse_args(c, who, argc, argv, &p)) != 0 || p.help) {
		if (p.help)
			group_cmd_usage(stdout, g, c);
		json_decref(p.req);
		return (rv);
	}
	if (c->check != NULL &&
	    (rv = c->check(p.req, err, sizeof(err))) != 0) {
		json_decref(p.req);
		return (bctl_usage_error("%s: %s", who, err));
	}
	*req = p.req;
	*json = p.json;
	return (0);
}

const billing_method *
group_method(const bctl_cmd *c, const json_t *req)
{
	if (c->alt != NULL && json_object_get(req, c->alt_field) != NULL)
		return (c->alt);
	return (c->method);
}

const bctl_cmd *
group_cmd(const bctl_group *g, const char *name)
{
	if (g->self != NULL)
		return (g->self);
	for (size_t i = 0; g->cmds[i].name != NULL; i++)
		if (strcmp(g->cmds[i].name, name) == 0)
			return (&g->cmds[i]);
	return (NULL);
}

/* Parses, builds the request, calls, prints: an exit code. */
static int
run(const bctl_ctx *ctx, const bctl_group *g, const bctl_cmd *c, int argc,
    char **argv)
{
	ProtobufCMessage *req = NULL, *resp = NULL;
	const billing_method *m;
	bctl_ctx local = *ctx;
	char err[512], who[64];
	json_t *jreq;
	bool json;
	int rv;

	if ((rv = group_request(g, c, argc, argv, &jreq, &json)) != 0 ||
	    jreq == NULL)
		return (rv);
	m = group_method(c, jreq);
	rv = pbjson_from_json(m->input, jreq, &req, err, sizeof(err));
	json_decref(jreq);
	if (rv != 0) {
		cmd_who(g, c, who, sizeof(who));
		return (bctl_usage_error("%s: %s", who, err));
	}
	local.json = ctx->json || json;
	rv = invoke_call(&local, m, req, &resp);
	protobuf_c_message_free_unpacked(req, NULL);
	if (rv != BCTL_EXIT_OK)
		return (rv);
	rv = invoke_print(&local, resp, c->show);
	if (rv == BCTL_EXIT_OK && c->verdict != NULL)
		rv = c->verdict(resp);
	protobuf_c_message_free_unpacked(resp, NULL);
	return (rv);
}

int
group_main(const bctl_ctx *ctx, const bctl_group *g, int argc, char **argv)
{
	const bctl_cmd *c;

	if (g->self != NULL)
		return (run(ctx, g, g->self, argc, argv));
	if (argc < 2) {
		group_usage(stderr, g);
		return (BCTL_EXIT_USAGE);
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		group_usage(stdout, g);
		return (BCTL_EXIT_OK);
	}
	if ((c = group_cmd(g, argv[1])) != NULL)
		return (run(ctx, g, c, argc - 1, argv + 1));
	return (bctl_usage_error("%s: unknown command \"%s\" (billctl %s -h "
	                         "lists them)",
	    g->name, argv[1], g->name));
}
