/*
 * rollout.c: the Rollout service (docs/rollout.md).
 *
 * One row of rollout_config holds the mode every bridge follows; the
 * bridges poll GetConfig. RecordDiffs adds a bridge's comparisons to the
 * per-minute counts and stores the requests whose answers differed; a
 * differing answer to a mutating request sets the divergence flag.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "handlers.h"
#include "page.h"
#include "pgarray.h"

#define NAME_MAX_BYTES 64 /* endpoint, action */
#define BRIDGE_MAX_BYTES 128
#define REQUEST_MAX_BYTES 8192
#define BODY_MAX_BYTES 32768
#define PATHS_MAX 64
#define PATH_MAX_BYTES 512
#define COUNTS_MAX 256
#define DIFFS_MAX 100
#define CANARY_KEYS_MAX 1000
#define COUNT_MAX 1000000000000LL /* per count and call */
#define WINDOW_DEFAULT 3600
#define WINDOW_MAX (30 * 86400)
#define LATEST_DEFAULT 10
#define LATEST_MAX 100
#define STATUS_COUNTS_MAX 1000
#define DIFFS_PAGE_MAX 50 /* bodies are up to 32 KiB each */

#define CONFIG_COLS                                                   \
	"mode, array_to_string(canary_key_ids, ','), canary_percent," \
	" version, billing_us(updated_at), billing_us(diverged_at),"  \
	" divergence_diff_id"

/* Without the bodies (GetStatus). */
#define DIFF_HEAD_COLS                                                    \
	"id, billing_us(created_at), bridge, endpoint, action, mutating," \
	" primary_side, request, primary_status, shadow_status,"          \
	" array_to_string(paths, E'\\n')"
#define DIFF_COLS DIFF_HEAD_COLS ", primary_body, shadow_body"

/*
 * $1 mode, $2 whether the canary is given, $3 its key ids, $4 its
 * percent, $5 clear the divergence, $6 now. The old mode is returned
 * last, for the event.
 */
static const db_stmt SET_CONFIG = { "rollout_set_config",
	"WITH old AS (SELECT mode AS old_mode FROM rollout_config"
	"  FOR UPDATE)"
	" UPDATE rollout_config SET mode = $1,"
	" canary_key_ids = CASE WHEN $2 THEN $3::bigint[]"
	"   ELSE canary_key_ids END,"
	" canary_percent = CASE WHEN $2 THEN $4::integer"
	"   ELSE canary_percent END,"
	" version = version + 1, updated_at = billing_ts($6),"
	" diverged_at = CASE WHEN $5 THEN NULL ELSE diverged_at END,"
	" divergence_diff_id = CASE WHEN $5 THEN NULL"
	"   ELSE divergence_diff_id END"
	" FROM old RETURNING " CONFIG_COLS ", old_mode" };

static const db_stmt GET_CONFIG = { "rollout_get_config",
	"SELECT " CONFIG_COLS " FROM rollout_config" };

/*
 * $1 now, $2.. $7 the counts' columns. Grouped, so that an endpoint
 * given twice adds up; sorted, so that bridges lock rows in one order.
 */
static const db_stmt ADD_COUNTS = { "rollout_add_counts",
	"INSERT INTO rollout_counts AS c (minute, endpoint, action, matches,"
	"  diffs, shadow_errors, dropped)"
	" SELECT date_trunc('minute', billing_ts($1)), e, a, sum(m), sum(d),"
	"  sum(s), sum(x)"
	" FROM unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[],"
	"  $6::bigint[], $7::bigint[]) AS u(e, a, m, d, s, x)"
	" GROUP BY e, a ORDER BY e, a"
	" ON CONFLICT (minute, endpoint, action) DO UPDATE SET"
	" matches = c.matches + EXCLUDED.matches,"
	" diffs = c.diffs + EXCLUDED.diffs,"
	" shadow_errors = c.shadow_errors + EXCLUDED.shadow_errors,"
	" dropped = c.dropped + EXCLUDED.dropped" };

/* $1 now, $2 bridge, $3 endpoint, ... $13 paths joined by newlines. */
static const db_stmt INSERT_DIFF = { "rollout_insert_diff",
	"INSERT INTO rollout_diffs (created_at, bridge, endpoint, action,"
	"  mutating, primary_side, request, primary_status, primary_body,"
	"  shadow_status, shadow_body, paths)"
	" VALUES (billing_ts($1), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,"
	"  string_to_array($12, E'\\n')) RETURNING id" };

/* $1 now, $2 the diff's id: the first divergence is kept. */
static const db_stmt DIVERGED = { "rollout_diverged",
	"UPDATE rollout_config SET diverged_at = billing_ts($1),"
	" divergence_diff_id = $2 WHERE diverged_at IS NULL" };

/* $1 now, $2 window in seconds, $3 at most this many rows. */
static const db_stmt STATUS_COUNTS = { "rollout_status_counts",
	"SELECT endpoint, action, sum(matches)::bigint, sum(diffs)::bigint,"
	" sum(shadow_errors)::bigint, sum(dropped)::bigint"
	" FROM rollout_counts WHERE minute >= date_trunc('minute',"
	"  billing_ts($1::bigint - $2::bigint * 1000000))"
	" GROUP BY endpoint, action ORDER BY endpoint, action LIMIT $3" };

/* $1 how many. */
static const db_stmt STATUS_LATEST = { "rollout_status_latest",
	"SELECT " DIFF_HEAD_COLS " FROM rollout_diffs ORDER BY id DESC"
	" LIMIT $1" };

/*
 * $1 endpoint or NULL, $2 action or NULL, $3 mutating only, $4 cursor,
 * $5 limit, $6 offset.
 */
static const db_stmt LIST_DIFFS = { "rollout_list_diffs",
	"WITH f AS (SELECT * FROM rollout_diffs WHERE"
	"  ($1::text IS NULL OR endpoint = $1)"
	"  AND ($2::text IS NULL OR action = $2) AND (mutating OR NOT $3))"
	" SELECT t.total, d.* FROM (SELECT count(*) AS total FROM f) t"
	" LEFT JOIN LATERAL (SELECT " DIFF_COLS " FROM f WHERE id > $4"
	"   ORDER BY id LIMIT $5 OFFSET $6) d ON true" };

static const char *const MODE_NAMES[] = {
	[BILLING__V1__ROLLOUT_MODE__ROLLOUT_MODE_LEGACY] = "legacy",
	[BILLING__V1__ROLLOUT_MODE__ROLLOUT_MODE_SHADOW] = "shadow",
	[BILLING__V1__ROLLOUT_MODE__ROLLOUT_MODE_CANARY] = "canary",
	[BILLING__V1__ROLLOUT_MODE__ROLLOUT_MODE_NEW] = "new",
};
#define N_MODES ((int) (sizeof(MODE_NAMES) / sizeof(MODE_NAMES[0])))

static Billing__V1__RolloutMode
mode_from_text(const char *s)
{
	for (int i = 1; s != NULL && i < N_MODES; i++)
		if (strcmp(s, MODE_NAMES[i]) == 0)
			return ((Billing__V1__RolloutMode) i);
	return (BILLING__V1__ROLLOUT_MODE__ROLLOUT_MODE_UNSPECIFIED);
}

/* The columns of CONFIG_COLS from column 0 of row 0. */
static Billing__V1__RolloutConfig *
config_from_row(srv_call *call, const PGresult *res)
{
	Billing__V1__RolloutConfig *c = call_new(
	    call, billing__v1__rollout_config, Billing__V1__RolloutConfig);
	Billing__V1__RolloutCanary *k = call_new(
	    call, billing__v1__rollout_canary, Billing__V1__RolloutCanary);
	const char *ids = call_text(res, 0, 1);
	size_t n = 0;

	if (c == NULL || k == NULL)
		return (NULL);
	c->has_mode = 1;
	c->mode = mode_from_text(call_text(res, 0, 0));
	for (const char *p = ids; p != NULL && *p != '\0'; p++)
		n += *p == ',';
	if (ids != NULL && ids[0] != '\0') {
		if ((k->api_key_ids = call_alloc(
		         call, (n + 1) * sizeof(int64_t))) == NULL)
			return (NULL);
		for (const char *p = ids; k->n_api_key_ids <= n;) {
			char *end;

			k->api_key_ids[k->n_api_key_ids++] =
			    strtoll(p, &end, 10);
			if (*end != ',')
				break;
			p = end + 1;
		}
	}
	k->has_percent = 1;
	k->percent = (int32_t) call_int64(res, 0, 2);
	c->canary = k;
	c->has_version = 1;
	c->version = call_int64(res, 0, 3);
	if ((c->has_updated_at_us = !call_isnull(res, 0, 4)))
		c->updated_at_us = call_int64(res, 0, 4);
	if ((c->has_diverged_at_us = !call_isnull(res, 0, 5)))
		c->diverged_at_us = call_int64(res, 0, 5);
	if ((c->has_divergence_diff_id = !call_isnull(res, 0, 6)))
		c->divergence_diff_id = call_int64(res, 0, 6);
	return (c);
}

/* A diff from DIFF_HEAD_COLS at column c; with_bodies: DIFF_COLS. */
static Billing__V1__RolloutDiff *
diff_from_row(
    srv_call *call, const PGresult *res, int row, int c, bool with_bodies)
{
	Billing__V1__RolloutDiff *d = call_new(
	    call, billing__v1__rollout_diff, Billing__V1__RolloutDiff);
	const char *paths;
	char *s;
	size_t n = 1;

	if (d == NULL)
		return (NULL);
	d->has_id = 1;
	d->id = call_int64(res, row, c + 0);
	d->has_created_at_us = 1;
	d->created_at_us = call_int64(res, row, c + 1);
	d->bridge = (char *) call_text(res, row, c + 2);
	d->endpoint = (char *) call_text(res, row, c + 3);
	d->action = (char *) call_text(res, row, c + 4);
	d->has_mutating = 1;
	d->mutating = call_bool(res, row, c + 5);
	d->primary_side = (char *) call_text(res, row, c + 6);
	d->request = (char *) call_text(res, row, c + 7);
	if ((d->has_primary_status = !call_isnull(res, row, c + 8)))
		d->primary_status = (int32_t) call_int64(res, row, c + 8);
	if ((d->has_shadow_status = !call_isnull(res, row, c + 9)))
		d->shadow_status = (int32_t) call_int64(res, row, c + 9);
	/* Paths hold no control character (RecordDiffs checks). */
	paths = call_text(res, row, c + 10);
	if (paths != NULL && paths[0] != '\0') {
		for (const char *p = paths; *p != '\0'; p++)
			n += *p == '\n';
		if ((s = call_strdup(call, paths)) == NULL ||
		    (d->paths = call_alloc(call, n * sizeof(char *))) == NULL)
			return (NULL);
		for (char *p = s; p != NULL;) {
			char *nl = strchr(p, '\n');

			d->paths[d->n_paths++] = p;
			if (nl != NULL)
				*nl++ = '\0';
			p = nl;
		}
	}
	if (with_bodies) {
		d->primary_body = (char *) call_text(res, row, c + 11);
		d->shadow_body = (char *) call_text(res, row, c + 12);
	}
	return (d);
}

/* Whether s has a control character (C0 or DEL). */
static bool
has_control(const char *s)
{
	for (const unsigned char *p = (const unsigned char *) s; *p != '\0';
	     p++)
		if (*p < 0x20 || *p == 0x7f)
			return (true);
	return (false);
}

/* An endpoint or action: 1-64 bytes (action may be empty), printable. */
static int
check_name(srv_call *call, const char *field, const char *s, bool empty_ok)
{
	size_t len = s != NULL ? strlen(s) : 0;

	if (len == 0 && !empty_ok)
		return (call_invalid(call, field, "required"));
	if (len > NAME_MAX_BYTES)
		return (call_invalid(
		    call, field, "longer than %d bytes", NAME_MAX_BYTES));
	if (len > 0 && has_control(s))
		return (call_invalid(call, field, "has a control character"));
	return (0);
}

static int
check_text(srv_call *call, const char *field, const char *s, size_t max)
{
	if (s != NULL && strlen(s) > max)
		return (
		    call_invalid(call, field, "longer than %zu bytes", max));
	return (0);
}

static int
rollout_set_config(srv_call *call,
    const Billing__V1__SetRolloutConfigRequest *req,
    Billing__V1__RolloutConfig **out)
{
	const Billing__V1__RolloutCanary *k = req->canary;
	char now[21], pct[12];
	const char *ids = "{}", *before;
	pgarray a;
	PGresult *res;
	int rv;

	if (!req->has_mode ||
	    req->mode == BILLING__V1__ROLLOUT_MODE__ROLLOUT_MODE_UNSPECIFIED)
		return (call_invalid(call, "mode", "required"));
	if ((int) req->mode < 1 || (int) req->mode >= N_MODES)
		return (call_invalid(
		    call, "mode", "unknown mode %d", (int) req->mode));
	if (k != NULL) {
		if (k->n_api_key_ids > CANARY_KEYS_MAX)
			return (call_invalid(call, "canary.api_key_ids",
			    "more than %d keys", CANARY_KEYS_MAX));
		if (k->has_percent && (k->percent < 0 || k->percent > 100))
			return (call_invalid(
			    call, "canary.percent", "must be 0-100"));
		pgarray_init(&a, call->arena);
		for (size_t i = 0; i < k->n_api_key_ids; i++) {
			if (k->api_key_ids[i] < 1)
				return (
				    call_invalid(call, "canary.api_key_ids",
				        "must be 1 or more"));
			pgarray_int64(&a, k->api_key_ids[i]);
		}
		if ((ids = pgarray_text(&a)) == NULL)
			return (call_oom(call));
	}
	snprintf(pct, sizeof(pct), "%d",
	    k != NULL && k->has_percent ? (int) k->percent : 0);
	const char *p[6] = { MODE_NAMES[req->mode], k != NULL ? "t" : "f", ids,
		pct, req->clear_divergence ? "t" : "f",
		call_fmt_int64(now, call->now_us) };
	if ((rv = call_query(call, &SET_CONFIG, 6, p, &res)) != 0)
		return (rv);
	if (PQntuples(res) != 1)
		return (call_error(call, BILLING_INTERNAL, NULL,
		    "rollout_config has %d rows", PQntuples(res)));
	if ((*out = config_from_row(call, res)) == NULL)
		return (call_oom(call));
	before = call_text(res, 0, 7);
	return (events_record(call, "rollout.config_set", "rollout", 1, 0,
	    before != NULL ? before : "unset", MODE_NAMES[req->mode], NULL));
}

static int
rollout_get_config(srv_call *call,
    const Billing__V1__GetRolloutConfigRequest *req,
    Billing__V1__RolloutConfig **out)
{
	PGresult *res;
	int rv;

	(void) req;
	if ((rv = call_query(call, &GET_CONFIG, 0, NULL, &res)) != 0)
		return (rv);
	if (PQntuples(res) != 1)
		return (call_error(call, BILLING_INTERNAL, NULL,
		    "rollout_config has %d rows", PQntuples(res)));
	if ((*out = config_from_row(call, res)) == NULL)
		return (call_oom(call));
	return (0);
}

static int
check_count_value(srv_call *call, const char *field, bool has, int64_t v)
{
	if (has && (v < 0 || v > COUNT_MAX))
		return (call_invalid(
		    call, field, "must be 0-%lld", (long long) COUNT_MAX));
	return (0);
}

static int
add_counts(srv_call *call, const Billing__V1__RecordRolloutDiffsRequest *req)
{
	pgarray cols[6];
	char now[21];
	const char *p[7];
	PGresult *res;
	int rv;

	for (int i = 0; i < 6; i++)
		pgarray_init(&cols[i], call->arena);
	for (size_t i = 0; i < req->n_counts; i++) {
		const Billing__V1__RolloutCount *c = req->counts[i];

		if ((rv = check_name(
		         call, "counts.endpoint", c->endpoint, false)) != 0 ||
		    (rv = check_name(
		         call, "counts.action", c->action, true)) != 0 ||
		    (rv = check_count_value(call, "counts.matches",
		         c->has_matches, c->matches)) != 0 ||
		    (rv = check_count_value(
		         call, "counts.diffs", c->has_diffs, c->diffs)) != 0 ||
		    (rv = check_count_value(call, "counts.shadow_errors",
		         c->has_shadow_errors, c->shadow_errors)) != 0 ||
		    (rv = check_count_value(call, "counts.dropped",
		         c->has_dropped, c->dropped)) != 0)
			return (rv);
		pgarray_str(&cols[0], c->endpoint);
		pgarray_str(&cols[1], c->action != NULL ? c->action : "");
		pgarray_int64(&cols[2], c->has_matches ? c->matches : 0);
		pgarray_int64(&cols[3], c->has_diffs ? c->diffs : 0);
		pgarray_int64(
		    &cols[4], c->has_shadow_errors ? c->shadow_errors : 0);
		pgarray_int64(&cols[5], c->has_dropped ? c->dropped : 0);
	}
	p[0] = call_fmt_int64(now, call->now_us);
	for (int i = 0; i < 6; i++)
		if ((p[i + 1] = pgarray_text(&cols[i])) == NULL)
			return (call_oom(call));
	return (call_query(call, &ADD_COUNTS, 7, p, &res));
}

static int
check_diff(srv_call *call, const Billing__V1__RolloutDiff *d)
{
	int rv;

	if ((rv = check_name(call, "diffs.endpoint", d->endpoint, false)) !=
	        0 ||
	    (rv = check_name(call, "diffs.action", d->action, true)) != 0 ||
	    (rv = check_text(
	         call, "diffs.bridge", d->bridge, BRIDGE_MAX_BYTES)) != 0 ||
	    (rv = check_text(
	         call, "diffs.request", d->request, REQUEST_MAX_BYTES)) != 0 ||
	    (rv = check_text(call, "diffs.primary_body", d->primary_body,
	         BODY_MAX_BYTES)) != 0 ||
	    (rv = check_text(call, "diffs.shadow_body", d->shadow_body,
	         BODY_MAX_BYTES)) != 0)
		return (rv);
	if (d->primary_side == NULL ||
	    (strcmp(d->primary_side, "legacy") != 0 &&
	        strcmp(d->primary_side, "new") != 0))
		return (call_invalid(
		    call, "diffs.primary_side", "must be legacy or new"));
	if (d->has_primary_status &&
	    (d->primary_status < 0 || d->primary_status > 999))
		return (call_invalid(
		    call, "diffs.primary_status", "must be 0-999"));
	if (d->has_shadow_status &&
	    (d->shadow_status < 0 || d->shadow_status > 999))
		return (call_invalid(
		    call, "diffs.shadow_status", "must be 0-999"));
	if (d->n_paths > PATHS_MAX)
		return (call_invalid(
		    call, "diffs.paths", "more than %d paths", PATHS_MAX));
	for (size_t i = 0; i < d->n_paths; i++) {
		size_t len = strlen(d->paths[i]);

		if (len == 0 || len > PATH_MAX_BYTES)
			return (call_invalid(call, "diffs.paths",
			    "must be 1-%d bytes", PATH_MAX_BYTES));
		if (has_control(d->paths[i]))
			return (call_invalid(
			    call, "diffs.paths", "has a control character"));
	}
	return (0);
}

/* The paths of d joined by newlines, in call memory. */
static const char *
join_paths(srv_call *call, const Billing__V1__RolloutDiff *d)
{
	size_t len = 1;
	char *s, *w;

	for (size_t i = 0; i < d->n_paths; i++)
		len += strlen(d->paths[i]) + 1;
	if ((s = w = call_alloc(call, len)) == NULL)
		return (NULL);
	for (size_t i = 0; i < d->n_paths; i++) {
		size_t n = strlen(d->paths[i]);

		if (i > 0)
			*w++ = '\n';
		memcpy(w, d->paths[i], n);
		w += n;
	}
	*w = '\0';
	return (s);
}

static int
rollout_record_diffs(srv_call *call,
    const Billing__V1__RecordRolloutDiffsRequest *req,
    Billing__V1__RecordRolloutDiffsResponse **out)
{
	Billing__V1__RecordRolloutDiffsResponse *r;
	char now[21], ps[12], ss[12], id[21];
	PGresult *res;
	int64_t first_divergence = 0;
	int rv;

	if (req->n_counts > COUNTS_MAX)
		return (call_invalid(
		    call, "counts", "more than %d counts", COUNTS_MAX));
	if (req->n_diffs > DIFFS_MAX)
		return (call_invalid(
		    call, "diffs", "more than %d diffs", DIFFS_MAX));
	for (size_t i = 0; i < req->n_diffs; i++)
		if ((rv = check_diff(call, req->diffs[i])) != 0)
			return (rv);
	if (req->n_counts > 0 && (rv = add_counts(call, req)) != 0)
		return (rv);

	r = call_new(call, billing__v1__record_rollout_diffs_response,
	    Billing__V1__RecordRolloutDiffsResponse);
	if (r == NULL ||
	    (req->n_diffs > 0 &&
	        (r->diff_ids = call_alloc(
	             call, req->n_diffs * sizeof(int64_t))) == NULL))
		return (call_oom(call));
	call_fmt_int64(now, call->now_us);
	for (size_t i = 0; i < req->n_diffs; i++) {
		const Billing__V1__RolloutDiff *d = req->diffs[i];
		const char *paths = join_paths(call, d);

		if (paths == NULL)
			return (call_oom(call));
		snprintf(ps, sizeof(ps), "%d", (int) d->primary_status);
		snprintf(ss, sizeof(ss), "%d", (int) d->shadow_status);
		const char *p[12] = { now, d->bridge != NULL ? d->bridge : "",
			d->endpoint, d->action != NULL ? d->action : "",
			d->mutating ? "t" : "f", d->primary_side,
			d->request != NULL ? d->request : "",
			d->has_primary_status ? ps : NULL, d->primary_body,
			d->has_shadow_status ? ss : NULL, d->shadow_body,
			paths };
		if ((rv = call_query(call, &INSERT_DIFF, 12, p, &res)) != 0)
			return (rv);
		r->diff_ids[r->n_diff_ids++] = call_int64(res, 0, 0);
		if (d->mutating && first_divergence == 0)
			first_divergence = r->diff_ids[i];
		/* Each result stays with the call until the reply. */
		if (call->n_results >= CALL_MAX_RESULTS - 4)
			call_release_results(call);
	}
	if (first_divergence != 0) {
		const char *p[2] = { now,
			call_fmt_int64(id, first_divergence) };
		if ((rv = call_query(call, &DIVERGED, 2, p, &res)) != 0)
			return (rv);
	}
	*out = r;
	return (0);
}

static Billing__V1__RolloutCount *
count_from_row(srv_call *call, const PGresult *res, int row)
{
	Billing__V1__RolloutCount *c = call_new(
	    call, billing__v1__rollout_count, Billing__V1__RolloutCount);

	if (c == NULL)
		return (NULL);
	c->endpoint = (char *) call_text(res, row, 0);
	c->action = (char *) call_text(res, row, 1);
	c->has_matches = c->has_diffs = c->has_shadow_errors = c->has_dropped =
	    1;
	c->matches = call_int64(res, row, 2);
	c->diffs = call_int64(res, row, 3);
	c->shadow_errors = call_int64(res, row, 4);
	c->dropped = call_int64(res, row, 5);
	return (c);
}

static int
rollout_get_status(srv_call *call,
    const Billing__V1__GetRolloutStatusRequest *req,
    Billing__V1__GetRolloutStatusResponse **out)
{
	Billing__V1__GetRolloutStatusResponse *r;
	int64_t window = WINDOW_DEFAULT;
	int latest = LATEST_DEFAULT, n;
	char now[21], win[21], lim[12], lat[12];
	PGresult *res;
	int rv;

	if (req->has_window_seconds) {
		if (req->window_seconds < 1 ||
		    req->window_seconds > WINDOW_MAX)
			return (call_invalid(call, "window_seconds",
			    "must be 1-%d", WINDOW_MAX));
		window = req->window_seconds;
	}
	if (req->has_latest) {
		if (req->latest < 0 || req->latest > LATEST_MAX)
			return (call_invalid(
			    call, "latest", "must be 0-%d", LATEST_MAX));
		latest = req->latest;
	}
	r = call_new(call, billing__v1__get_rollout_status_response,
	    Billing__V1__GetRolloutStatusResponse);
	if (r == NULL)
		return (call_oom(call));
	r->has_window_seconds = 1;
	r->window_seconds = window;
	if ((rv = rollout_get_config(call, NULL, &r->config)) != 0)
		return (rv);

	snprintf(lim, sizeof(lim), "%d", STATUS_COUNTS_MAX);
	const char *pc[3] = { call_fmt_int64(now, call->now_us),
		call_fmt_int64(win, window), lim };
	if ((rv = call_query(call, &STATUS_COUNTS, 3, pc, &res)) != 0)
		return (rv);
	if ((n = PQntuples(res)) > 0 &&
	    (r->counts = call_alloc(call, (size_t) n * sizeof(*r->counts))) ==
	        NULL)
		return (call_oom(call));
	for (int i = 0; i < n; i++)
		if ((r->counts[r->n_counts++] =
		            count_from_row(call, res, i)) == NULL)
			return (call_oom(call));

	snprintf(lat, sizeof(lat), "%d", latest);
	const char *pl[1] = { lat };
	if ((rv = call_query(call, &STATUS_LATEST, 1, pl, &res)) != 0)
		return (rv);
	if ((n = PQntuples(res)) > 0 &&
	    (r->latest = call_alloc(call, (size_t) n * sizeof(*r->latest))) ==
	        NULL)
		return (call_oom(call));
	for (int i = 0; i < n; i++)
		if ((r->latest[r->n_latest++] =
		            diff_from_row(call, res, i, 0, false)) == NULL)
			return (call_oom(call));
	*out = r;
	return (0);
}

static int
rollout_list_diffs(srv_call *call,
    const Billing__V1__ListRolloutDiffsRequest *req,
    Billing__V1__ListRolloutDiffsResponse **out)
{
	Billing__V1__ListRolloutDiffsResponse *r;
	page_req pg;
	PGresult *res;
	int rv, n;

	if ((req->endpoint != NULL &&
	        (rv = check_name(call, "endpoint", req->endpoint, true)) !=
	            0) ||
	    (req->action != NULL &&
	        (rv = check_name(call, "action", req->action, true)) != 0))
		return (rv);
	if ((rv = page_parse(call, req->page, &pg)) != 0)
		return (rv);
	if (pg.size > DIFFS_PAGE_MAX)
		return (call_invalid(call, "page.page_size",
		    "at most %d for diffs", DIFFS_PAGE_MAX));
	const char *p[6] = { req->endpoint, req->action,
		req->mutating_only ? "t" : "f", pg.cursor_text, pg.fetch_text,
		pg.offset_text };
	if ((rv = call_query(call, &LIST_DIFFS, 6, p, &res)) != 0)
		return (rv);
	r = call_new(call, billing__v1__list_rollout_diffs_response,
	    Billing__V1__ListRolloutDiffsResponse);
	if (r == NULL ||
	    (n = page_items(
	         call, &pg, res, sizeof(*r->diffs), (void **) &r->diffs)) < 0)
		return (call_oom(call));
	for (int i = 0; i < n; i++)
		if ((r->diffs[i] = diff_from_row(call, res, i, 1, true)) ==
		    NULL)
			return (call_oom(call));
	r->n_diffs = (size_t) n;
	r->page = page_info(call, &pg, res, n > 0 ? r->diffs[n - 1]->id : 0);
	*out = r;
	return (0);
}

const billing_rollout_impl rollout_impl = {
	.set_config = rollout_set_config,
	.get_config = rollout_get_config,
	.record_diffs = rollout_record_diffs,
	.get_status = rollout_get_status,
	.list_diffs = rollout_list_diffs,
};
