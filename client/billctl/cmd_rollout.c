/*
 * cmd_rollout.c: `billctl rollout ...`, the Rollout service (the
 * bridge's move from the legacy app, docs/rollout.md).
 */
#include <inttypes.h>
#include <string.h>

#include "billctl.h"
#include "output.h"

static const bctl_opt SET_OPTS[] = {
	{ "MODE", NULL, BCTL_ENUM, "mode", BCTL_POSITIONAL | BCTL_REQUIRED,
	    "legacy|shadow|canary|new", "the mode every bridge switches to" },
	{ "canary-key", "ID", BCTL_INT64, "canary.api_key_ids", BCTL_REPEATED,
	    NULL,
	    "an API key id the new system answers in canary mode "
	    "(repeatable; replaces the canary's keys and percent)" },
	{ "canary-percent", "N", BCTL_INT32, "canary.percent", 0, NULL,
	    "the users (0-100) the new system answers in canary mode "
	    "(replaces the canary's keys and percent)" },
	{ "no-canary", NULL, BCTL_EMPTY, "canary", 0, NULL,
	    "an empty canary: no keys, 0%" },
	{ "clear-divergence", NULL, BCTL_BOOL, "clear_divergence", 0, NULL,
	    "clear the divergence flag (the two databases were made equal)" },
	{ .name = NULL },
};

static const bctl_opt STATUS_OPTS[] = {
	{ "window", "SECONDS", BCTL_INT64, "window_seconds", 0, NULL,
	    "the match rates over this window (default 3600)" },
	{ "latest", "N", BCTL_INT32, "latest", 0, NULL,
	    "how many of the latest differences (default 10, at most 100)" },
	{ .name = NULL },
};

static const bctl_opt DIFFS_OPTS[] = {
	{ "endpoint", "NAME", BCTL_STRING, "endpoint", 0, NULL,
	    "only this endpoint: invoices.php" },
	{ "action", "NAME", BCTL_STRING, "action", 0, NULL,
	    "only this action: get" },
	{ "mutating", NULL, BCTL_BOOL, "mutating_only", 0, NULL,
	    "only writes (each one a divergence)" },
	BCTL_PAGE_OPTS,
	{ .name = NULL },
};

static const bctl_opt NO_OPTS[] = {
	{ .name = NULL },
};

static const char *
mode_name(char *buf, size_t cap, bool has, int mode)
{
	if (has && mode == 0)
		return ("unset (each bridge keeps its --rollout)");
	return (out_enum(
	    buf, cap, has, &billing__v1__rollout_mode__descriptor, mode));
}

static int
show_config_at(FILE *fp, const Billing__V1__RolloutConfig *c, int indent)
{
	char mode[32], ver[24], upd[TIMEFMT_BUFSZ], div[TIMEFMT_BUFSZ];
	char keys[256] = "-", pct[16] = "-", diverged[64] = "no";
	const Billing__V1__RolloutCanary *k = c->canary;

	if (k != NULL) {
		size_t len = 0;

		for (size_t i = 0; i < k->n_api_key_ids && len < sizeof(keys);
		     i++) {
			int n = snprintf(keys + len, sizeof(keys) - len,
			    "%s%" PRId64, i > 0 ? "," : "", k->api_key_ids[i]);

			if (n < 0 || (size_t) n >= sizeof(keys) - len) {
				snprintf(keys + sizeof(keys) - 4, 4, "...");
				break;
			}
			len += (size_t) n;
		}
		if (k->has_percent)
			snprintf(pct, sizeof(pct), "%d%%", (int) k->percent);
	}
	if (c->has_diverged_at_us)
		snprintf(diverged, sizeof(diverged),
		    "YES since %s (diff %" PRId64 ")",
		    out_time(div, true, c->diverged_at_us),
		    c->divergence_diff_id);
	const char *rows[][2] = {
		{ "mode",
		    mode_name(mode, sizeof(mode), c->has_mode, c->mode) },
		{ "canary keys", keys },
		{ "canary users", pct },
		{ "version", out_int(ver, c->has_version, c->version) },
		{ "updated",
		    out_time(upd, c->has_updated_at_us, c->updated_at_us) },
		{ "diverged", diverged },
	};
	return (out_pairs(fp, rows, sizeof(rows) / sizeof(rows[0]), indent));
}

static int
show_config(FILE *fp, const ProtobufCMessage *resp)
{
	return (
	    show_config_at(fp, (const Billing__V1__RolloutConfig *) resp, 0));
}

/* The match rate of c as text: "99.50%", or "-" without comparisons. */
static const char *
rate(char *buf, size_t cap, const Billing__V1__RolloutCount *c)
{
	int64_t total = c->matches + c->diffs;

	if (total <= 0)
		return ("-");
	snprintf(
	    buf, cap, "%.2f%%", 100.0 * (double) c->matches / (double) total);
	return (buf);
}

static int
show_status(FILE *fp, const ProtobufCMessage *resp)
{
	static const char *const ch[] = { "ENDPOINT", "ACTION", "MATCH RATE",
		"MATCHES", "DIFFS", "SHADOW ERRORS", "DROPPED" };
	static const char *const dh[] = { "ID", "TIME", "ENDPOINT", "ACTION",
		"WRITE", "PRIMARY", "STATUS", "PATHS" };
	const Billing__V1__GetRolloutStatusResponse *r =
	    (const Billing__V1__GetRolloutStatusResponse *) resp;
	const Billing__V1__RolloutConfig none =
	    BILLING__V1__ROLLOUT_CONFIG__INIT;
	char b[7][OUT_CELL_BYTES];
	out_table *t;
	int rv;

	if ((rv = show_config_at(
	         fp, r->config != NULL ? r->config : &none, 0)) != 0)
		return (rv);
	if (r->config != NULL && r->config->has_diverged_at_us)
		fprintf(fp,
		    "\nThe two databases have DIVERGED: a write got "
		    "different answers from the two sides.\n");
	fprintf(fp, "\nMatch rates over the last %" PRId64 " s:\n",
	    r->window_seconds);
	if ((t = out_table_new(7, ch)) == NULL)
		return (BCTL_EXIT_RPC);
	for (size_t i = 0; i < r->n_counts; i++) {
		const Billing__V1__RolloutCount *c = r->counts[i];
		const char *cells[7] = { out_str(c->endpoint),
			out_str(c->action), rate(b[2], sizeof(b[2]), c),
			out_int(b[3], true, c->matches),
			out_int(b[4], true, c->diffs),
			out_int(b[5], true, c->shadow_errors),
			out_int(b[6], true, c->dropped) };
		out_table_add(t, cells);
	}
	rv = out_table_print(t, fp);
	out_table_free(t);
	if (rv != 0)
		return (BCTL_EXIT_RPC);
	fprintf(fp, "\nLatest differences:\n");
	if ((t = out_table_new(8, dh)) == NULL)
		return (BCTL_EXIT_RPC);
	for (size_t i = 0; i < r->n_latest; i++) {
		const Billing__V1__RolloutDiff *d = r->latest[i];
		char paths[OUT_CELL_BYTES] = "";
		size_t len = 0;

		snprintf(b[6], sizeof(b[6]), "%d/%d", (int) d->primary_status,
		    (int) d->shadow_status);
		for (size_t j = 0; j < d->n_paths && len < sizeof(paths);
		     j++) {
			int n = snprintf(paths + len, sizeof(paths) - len,
			    "%s%s", j > 0 ? " " : "", d->paths[j]);

			if (n < 0)
				break;
			len += (size_t) n;
		}
		const char *cells[8] = { out_int(b[0], d->has_id, d->id),
			out_time(b[1], d->has_created_at_us, d->created_at_us),
			out_str(d->endpoint), out_str(d->action),
			d->mutating ? "yes" : "no", out_str(d->primary_side),
			b[6], paths };
		out_table_add(t, cells);
	}
	rv = out_table_print(t, fp);
	out_table_free(t);
	return (rv != 0 ? BCTL_EXIT_RPC : BCTL_EXIT_OK);
}

static void
show_paths(FILE *fp, const Billing__V1__RolloutDiff *d)
{
	fprintf(fp, "  paths:");
	for (size_t j = 0; j < d->n_paths; j++) {
		fputc(' ', fp);
		out_clean(fp, d->paths[j]);
	}
	fputc('\n', fp);
}

static int
show_diffs(FILE *fp, const ProtobufCMessage *resp)
{
	const Billing__V1__ListRolloutDiffsResponse *r =
	    (const Billing__V1__ListRolloutDiffsResponse *) resp;

	for (size_t i = 0; i < r->n_diffs; i++) {
		const Billing__V1__RolloutDiff *d = r->diffs[i];
		char id[24], t[TIMEFMT_BUFSZ], ps[24], ss[24];
		const char *rows[][2] = {
			{ "diff", out_int(id, d->has_id, d->id) },
			{ "time",
			    out_time(
			        t, d->has_created_at_us, d->created_at_us) },
			{ "bridge", out_str(d->bridge) },
			{ "endpoint", out_str(d->endpoint) },
			{ "action", out_str(d->action) },
			{ "write", d->mutating ? "yes (divergence)" : "no" },
			{ "primary", out_str(d->primary_side) },
			{ "request", out_str(d->request) },
			{ "primary status",
			    out_int(ps, d->has_primary_status,
			        d->primary_status) },
			{ "shadow status",
			    out_int(
			        ss, d->has_shadow_status, d->shadow_status) },
		};

		if (i > 0)
			fputc('\n', fp);
		if (out_pairs(fp, rows, sizeof(rows) / sizeof(rows[0]), 0) !=
		    0)
			return (BCTL_EXIT_RPC);
		show_paths(fp, d);
		fprintf(fp, "  primary body: ");
		out_clean(fp, d->primary_body != NULL ? d->primary_body : "-");
		fprintf(fp, "\n  shadow body:  ");
		out_clean(fp, d->shadow_body != NULL ? d->shadow_body : "-");
		fputc('\n', fp);
	}
	out_page(fp, r->page, r->n_diffs);
	return (BCTL_EXIT_OK);
}

static const bctl_cmd CMDS[] = {
	{ "status",
	    "The mode, the match rate per endpoint and action, divergence "
	    "and the latest differences",
	    &billing_method_rollout_get_status, STATUS_OPTS, NULL, show_status,
	    NULL, NULL, NULL },
	{ "diffs", "Lists the recorded differences, with both answers",
	    &billing_method_rollout_list_diffs, DIFFS_OPTS, NULL, show_diffs,
	    NULL, NULL, NULL },
	{ "set",
	    "Switches every bridge to a mode (legacy, shadow, canary, new)",
	    &billing_method_rollout_set_config, SET_OPTS, NULL, show_config,
	    NULL, NULL, NULL },
	{ "config", "Shows the mode the bridges follow",
	    &billing_method_rollout_get_config, NO_OPTS, NULL, show_config,
	    NULL, NULL, NULL },
	{ .name = NULL },
};

const bctl_group rollout_group = {
	.name = "rollout",
	.summary = "The bridge's move from the legacy app: modes and "
	           "comparisons",
	.cmds = CMDS,
};
