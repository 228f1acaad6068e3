/*
 * Rollout over the wire: the mode every bridge follows (SetConfig,
 * GetConfig), the comparisons the bridges report (RecordDiffs), the
 * match rates and divergence (GetStatus), the differences (ListDiffs),
 * and hostile reports refused whole.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

#define MODE(x) BILLING__V1__ROLLOUT_MODE__ROLLOUT_MODE_##x

static Billing__V1__RolloutConfig *
get_config(void)
{
	Billing__V1__GetRolloutConfigRequest req =
	    BILLING__V1__GET_ROLLOUT_CONFIG_REQUEST__INIT;
	Billing__V1__RolloutConfig *c = NULL;
	billing_status st = BILLING_STATUS_INIT;

	assert_int_equal(
	    billing_rollout_get_config(TH.client, &req, &c, NULL, &st), 0);
	billing_status_fini(&st);
	return (c);
}

/* SetConfig; the status code. field: the violation's field, if any. */
static int
set_config(Billing__V1__RolloutMode mode,
    const Billing__V1__RolloutCanary *canary, bool clear,
    Billing__V1__RolloutConfig **out, char *field, size_t cap)
{
	Billing__V1__SetRolloutConfigRequest req =
	    BILLING__V1__SET_ROLLOUT_CONFIG_REQUEST__INIT;
	billing_status st = BILLING_STATUS_INIT;
	Billing__V1__RolloutConfig *c = NULL;
	int rv;

	req.has_mode = mode != 0;
	req.mode = mode;
	req.canary = (Billing__V1__RolloutCanary *) canary;
	req.has_clear_divergence = clear;
	req.clear_divergence = clear;
	rv = billing_rollout_set_config(TH.client, &req, &c, NULL, &st);
	if (field != NULL)
		snprintf(field, cap, "%s",
		    st.n_details > 0 ? st.details[0].field : "");
	billing_status_fini(&st);
	if (out != NULL)
		*out = c;
	else if (c != NULL)
		billing__v1__rollout_config__free_unpacked(c, NULL);
	return (rv);
}

static Billing__V1__RolloutCount
count(const char *endpoint, const char *action, int64_t m, int64_t d)
{
	Billing__V1__RolloutCount c = BILLING__V1__ROLLOUT_COUNT__INIT;

	c.endpoint = (char *) endpoint;
	c.action = (char *) action;
	c.has_matches = c.has_diffs = 1;
	c.matches = m;
	c.diffs = d;
	return (c);
}

static Billing__V1__RolloutDiff
diff(const char *endpoint, const char *action, bool mutating, char **paths,
    size_t n_paths)
{
	Billing__V1__RolloutDiff d = BILLING__V1__ROLLOUT_DIFF__INIT;

	d.bridge = "bridge-a";
	d.endpoint = (char *) endpoint;
	d.action = (char *) action;
	d.has_mutating = 1;
	d.mutating = mutating;
	d.primary_side = "legacy";
	d.request = "GET /invoices.php?action=get&id=7";
	d.has_primary_status = d.has_shadow_status = 1;
	d.primary_status = 200;
	d.shadow_status = 200;
	d.primary_body = "{\"status\":\"ok\",\"data\":{\"total\":\"9.99\"}}";
	d.shadow_body = "{\"status\":\"ok\",\"data\":{\"total\":\"9.98\"}}";
	d.paths = paths;
	d.n_paths = n_paths;
	return (d);
}

/* RecordDiffs; the status code, *ids filled when given. */
static int
record(Billing__V1__RolloutCount *counts, size_t nc,
    Billing__V1__RolloutDiff *diffs, size_t nd, int64_t *ids, char *field,
    size_t cap)
{
	Billing__V1__RecordRolloutDiffsRequest req =
	    BILLING__V1__RECORD_ROLLOUT_DIFFS_REQUEST__INIT;
	Billing__V1__RolloutCount **cp = calloc(nc + 1, sizeof(*cp));
	Billing__V1__RolloutDiff **dp = calloc(nd + 1, sizeof(*dp));
	Billing__V1__RecordRolloutDiffsResponse *r = NULL;
	billing_status st = BILLING_STATUS_INIT;
	int rv;

	assert_non_null(cp);
	assert_non_null(dp);
	for (size_t i = 0; i < nc; i++)
		cp[i] = &counts[i];
	for (size_t i = 0; i < nd; i++)
		dp[i] = &diffs[i];
	req.counts = cp;
	req.n_counts = nc;
	req.diffs = dp;
	req.n_diffs = nd;
	rv = billing_rollout_record_diffs(TH.client, &req, &r, NULL, &st);
	if (field != NULL)
		snprintf(field, cap, "%s",
		    st.n_details > 0 ? st.details[0].field : "");
	if (rv == 0) {
		assert_int_equal(r->n_diff_ids, nd);
		for (size_t i = 0; ids != NULL && i < nd; i++)
			ids[i] = r->diff_ids[i];
		billing__v1__record_rollout_diffs_response__free_unpacked(
		    r, NULL);
	}
	billing_status_fini(&st);
	free(cp);
	free(dp);
	return (rv);
}

static Billing__V1__GetRolloutStatusResponse *
status(int64_t window, int latest)
{
	Billing__V1__GetRolloutStatusRequest req =
	    BILLING__V1__GET_ROLLOUT_STATUS_REQUEST__INIT;
	Billing__V1__GetRolloutStatusResponse *r = NULL;
	billing_status st = BILLING_STATUS_INIT;

	req.has_window_seconds = window != 0;
	req.window_seconds = window;
	req.has_latest = latest >= 0;
	req.latest = latest;
	assert_int_equal(
	    billing_rollout_get_status(TH.client, &req, &r, NULL, &st), 0);
	billing_status_fini(&st);
	return (r);
}

static const Billing__V1__RolloutCount *
find_count(const Billing__V1__GetRolloutStatusResponse *r,
    const char *endpoint, const char *action)
{
	for (size_t i = 0; i < r->n_counts; i++)
		if (strcmp(r->counts[i]->endpoint, endpoint) == 0 &&
		    strcmp(r->counts[i]->action, action) == 0)
			return (r->counts[i]);
	return (NULL);
}

static void
test_config_starts_unset_and_is_set(void **state)
{
	Billing__V1__RolloutConfig *c;
	Billing__V1__RolloutCanary k = BILLING__V1__ROLLOUT_CANARY__INIT;
	Billing__V1__RolloutCanary empty = BILLING__V1__ROLLOUT_CANARY__INIT;
	int64_t keys[] = { 3, 5 };
	char v[64];

	(void) state;
	c = get_config();
	assert_int_equal(c->mode, MODE(UNSPECIFIED));
	assert_int_equal(c->version, 0);
	assert_non_null(c->canary);
	assert_int_equal(c->canary->n_api_key_ids, 0);
	assert_int_equal(c->canary->percent, 0);
	assert_false(c->has_diverged_at_us);
	billing__v1__rollout_config__free_unpacked(c, NULL);

	k.api_key_ids = keys;
	k.n_api_key_ids = 2;
	k.has_percent = 1;
	k.percent = 10;
	assert_int_equal(set_config(MODE(CANARY), &k, false, &c, NULL, 0), 0);
	assert_int_equal(c->mode, MODE(CANARY));
	assert_int_equal(c->version, 1);
	assert_true(c->has_updated_at_us);
	billing__v1__rollout_config__free_unpacked(c, NULL);

	/* Without a canary, the canary stays. */
	assert_int_equal(
	    set_config(MODE(SHADOW), NULL, false, NULL, NULL, 0), 0);
	c = get_config();
	assert_int_equal(c->mode, MODE(SHADOW));
	assert_int_equal(c->version, 2);
	assert_int_equal(c->canary->n_api_key_ids, 2);
	assert_int_equal(c->canary->api_key_ids[0], 3);
	assert_int_equal(c->canary->api_key_ids[1], 5);
	assert_int_equal(c->canary->percent, 10);
	billing__v1__rollout_config__free_unpacked(c, NULL);

	/* An empty canary clears it. */
	assert_int_equal(
	    set_config(MODE(LEGACY), &empty, false, &c, NULL, 0), 0);
	assert_int_equal(c->canary->n_api_key_ids, 0);
	assert_int_equal(c->canary->percent, 0);
	billing__v1__rollout_config__free_unpacked(c, NULL);

	/* Each change is in the audit trail. */
	th_psql_value(&TH,
	    "SELECT string_agg(before_status || '>' || after_status, ','"
	    " ORDER BY id) FROM events WHERE type = 'rollout.config_set'",
	    v, sizeof(v));
	assert_string_equal(v, "unset>canary,canary>shadow,shadow>legacy");
}

static void
test_config_validates(void **state)
{
	Billing__V1__RolloutCanary k = BILLING__V1__ROLLOUT_CANARY__INIT;
	int64_t bad_keys[] = { 4, 0 };
	char field[64];
	Billing__V1__RolloutConfig *c;
	int64_t version;

	(void) state;
	c = get_config();
	version = c->version;
	billing__v1__rollout_config__free_unpacked(c, NULL);

	assert_int_equal(
	    set_config(0, NULL, false, NULL, field, sizeof(field)),
	    BILLING_INVALID_ARGUMENT);
	assert_string_equal(field, "mode");
	assert_int_equal(set_config((Billing__V1__RolloutMode) 9, NULL, false,
	                     NULL, field, sizeof(field)),
	    BILLING_INVALID_ARGUMENT);
	k.has_percent = 1;
	k.percent = 101;
	assert_int_equal(
	    set_config(MODE(CANARY), &k, false, NULL, field, sizeof(field)),
	    BILLING_INVALID_ARGUMENT);
	assert_string_equal(field, "canary.percent");
	k.percent = 5;
	k.api_key_ids = bad_keys;
	k.n_api_key_ids = 2;
	assert_int_equal(
	    set_config(MODE(CANARY), &k, false, NULL, field, sizeof(field)),
	    BILLING_INVALID_ARGUMENT);
	assert_string_equal(field, "canary.api_key_ids");

	c = get_config();
	assert_int_equal(c->version, version);
	billing__v1__rollout_config__free_unpacked(c, NULL);
}

static void
test_counts_add_up_per_endpoint_and_action(void **state)
{
	Billing__V1__RolloutCount a[] = {
		count("plans.php", "list", 10, 0),
		count("invoices.php", "get", 7, 1),
		count("plans.php", "list", 5, 0), /* the same, twice */
	};
	Billing__V1__RolloutCount b[] = { count("invoices.php", "get", 2, 0) };
	Billing__V1__GetRolloutStatusResponse *r;
	const Billing__V1__RolloutCount *c;

	(void) state;
	a[1].has_shadow_errors = 1;
	a[1].shadow_errors = 2;
	b[0].has_dropped = 1;
	b[0].dropped = 3;
	assert_int_equal(record(a, 3, NULL, 0, NULL, NULL, 0), 0);
	assert_int_equal(record(b, 1, NULL, 0, NULL, NULL, 0), 0);
	/* An hour ago: outside a 10-minute window. */
	assert_int_equal(th_psql(&TH,
	                     "INSERT INTO rollout_counts (minute, endpoint,"
	                     " action, matches, diffs) VALUES (date_trunc("
	                     "'minute', now() - interval '1 hour'),"
	                     " 'plans.php', 'list', 100, 100)"),
	    0);

	r = status(600, 0);
	assert_int_equal(r->window_seconds, 600);
	assert_non_null(c = find_count(r, "plans.php", "list"));
	assert_int_equal(c->matches, 15);
	assert_int_equal(c->diffs, 0);
	assert_non_null(c = find_count(r, "invoices.php", "get"));
	assert_int_equal(c->matches, 9);
	assert_int_equal(c->diffs, 1);
	assert_int_equal(c->shadow_errors, 2);
	assert_int_equal(c->dropped, 3);
	assert_int_equal(r->n_latest, 0);
	/* Sorted by endpoint, then action. */
	for (size_t i = 1; i < r->n_counts; i++)
		assert_true(strcmp(r->counts[i - 1]->endpoint,
		                r->counts[i]->endpoint) <= 0);
	billing__v1__get_rollout_status_response__free_unpacked(r, NULL);

	r = status(7200, 0);
	assert_non_null(c = find_count(r, "plans.php", "list"));
	assert_int_equal(c->matches, 115);
	assert_int_equal(c->diffs, 100);
	billing__v1__get_rollout_status_response__free_unpacked(r, NULL);
}

static void
test_diffs_are_recorded_and_listed(void **state)
{
	char *p1[] = { "$.data.total" };
	char *p2[] = { "$.status", "$.data[\"we ird\"][0]" };
	Billing__V1__RolloutDiff d[] = {
		diff("invoices.php", "get", false, p1, 1),
		diff("users.php", "get", false, p2, 2),
		diff("invoices.php", "list", false, p1, 1),
	};
	Billing__V1__ListRolloutDiffsRequest req =
	    BILLING__V1__LIST_ROLLOUT_DIFFS_REQUEST__INIT;
	Billing__V1__ListRolloutDiffsResponse *l = NULL;
	Billing__V1__GetRolloutStatusResponse *r;
	billing_status st = BILLING_STATUS_INIT;
	int64_t ids[3];

	(void) state;
	d[1].has_shadow_status = 0; /* no answer from the shadow */
	d[1].shadow_body = NULL;
	assert_int_equal(record(NULL, 0, d, 3, ids, NULL, 0), 0);
	assert_true(ids[0] < ids[1] && ids[1] < ids[2]);

	req.endpoint = "invoices.php";
	req.action = "get";
	assert_int_equal(
	    billing_rollout_list_diffs(TH.client, &req, &l, NULL, &st), 0);
	assert_int_equal(l->n_diffs, 1);
	assert_int_equal(l->diffs[0]->id, ids[0]);
	assert_string_equal(l->diffs[0]->bridge, "bridge-a");
	assert_string_equal(l->diffs[0]->primary_side, "legacy");
	assert_string_equal(
	    l->diffs[0]->request, "GET /invoices.php?action=get&id=7");
	assert_int_equal(l->diffs[0]->primary_status, 200);
	assert_string_equal(l->diffs[0]->primary_body, d[0].primary_body);
	assert_string_equal(l->diffs[0]->shadow_body, d[0].shadow_body);
	assert_int_equal(l->diffs[0]->n_paths, 1);
	assert_string_equal(l->diffs[0]->paths[0], "$.data.total");
	assert_false(l->diffs[0]->mutating);
	billing__v1__list_rollout_diffs_response__free_unpacked(l, NULL);

	req.endpoint = "users.php";
	req.action = NULL;
	assert_int_equal(
	    billing_rollout_list_diffs(TH.client, &req, &l, NULL, &st), 0);
	assert_int_equal(l->n_diffs, 1);
	assert_int_equal(l->diffs[0]->n_paths, 2);
	assert_string_equal(l->diffs[0]->paths[1], "$.data[\"we ird\"][0]");
	assert_false(l->diffs[0]->has_shadow_status);
	assert_null(l->diffs[0]->shadow_body);
	billing__v1__list_rollout_diffs_response__free_unpacked(l, NULL);

	/* The latest first, without bodies. */
	r = status(0, 2);
	assert_int_equal(r->n_latest, 2);
	assert_int_equal(r->latest[0]->id, ids[2]);
	assert_int_equal(r->latest[1]->id, ids[1]);
	assert_null(r->latest[0]->primary_body);
	assert_false(r->config->has_diverged_at_us);
	billing__v1__get_rollout_status_response__free_unpacked(r, NULL);
	billing_status_fini(&st);
}

static void
test_mutating_diff_flags_divergence(void **state)
{
	char *p[] = { "$.data.id" };
	Billing__V1__RolloutDiff d[] = {
		diff("users.php", "create", true, p, 1),
		diff("users.php", "create", true, p, 1),
	};
	Billing__V1__GetRolloutStatusResponse *r;
	Billing__V1__RolloutConfig *c;
	int64_t ids[2], later[1];

	(void) state;
	assert_int_equal(record(NULL, 0, d, 2, ids, NULL, 0), 0);
	r = status(0, 1);
	assert_true(r->config->has_diverged_at_us);
	assert_int_equal(r->config->divergence_diff_id, ids[0]);
	billing__v1__get_rollout_status_response__free_unpacked(r, NULL);

	/* The first divergence is kept. */
	assert_int_equal(record(NULL, 0, d, 1, later, NULL, 0), 0);
	c = get_config();
	assert_int_equal(c->divergence_diff_id, ids[0]);
	billing__v1__rollout_config__free_unpacked(c, NULL);

	/* Until an operator clears it. */
	assert_int_equal(set_config(MODE(SHADOW), NULL, true, &c, NULL, 0), 0);
	assert_false(c->has_diverged_at_us);
	assert_false(c->has_divergence_diff_id);
	billing__v1__rollout_config__free_unpacked(c, NULL);
}

static void
test_hostile_reports_are_refused_whole(void **state)
{
	char *nl[] = { "$.a\n$.b" };
	char *empty[] = { "" };
	char *ok[] = { "$" };
	char field[64], before[32], after[32];
	char *big = malloc(40000);
	Billing__V1__RolloutCount c[] = { count("plans.php", "get", 1, 0) };
	Billing__V1__RolloutDiff d;
	const char *sql =
	    "SELECT (SELECT count(*) FROM rollout_diffs) || '/' ||"
	    " (SELECT coalesce(sum(matches), 0) FROM"
	    " rollout_counts)";

	(void) state;
	assert_non_null(big);
	memset(big, 'x', 39999);
	big[39999] = '\0';
	th_psql_value(&TH, sql, before, sizeof(before));

	d = diff("users.php", "get", false, nl, 1);
	assert_int_equal(record(c, 1, &d, 1, NULL, field, sizeof(field)),
	    BILLING_INVALID_ARGUMENT);
	assert_string_equal(field, "diffs.paths");
	d = diff("users.php", "get", false, empty, 1);
	assert_int_equal(record(c, 1, &d, 1, NULL, field, sizeof(field)),
	    BILLING_INVALID_ARGUMENT);
	d = diff("users.php", "get", false, ok, 1);
	d.primary_side = "both";
	assert_int_equal(record(c, 1, &d, 1, NULL, field, sizeof(field)),
	    BILLING_INVALID_ARGUMENT);
	assert_string_equal(field, "diffs.primary_side");
	d = diff("users.php", "get", false, ok, 1);
	d.shadow_body = big;
	assert_int_equal(record(c, 1, &d, 1, NULL, field, sizeof(field)),
	    BILLING_INVALID_ARGUMENT);
	assert_string_equal(field, "diffs.shadow_body");
	d = diff("", "get", false, ok, 1);
	assert_int_equal(record(c, 1, &d, 1, NULL, field, sizeof(field)),
	    BILLING_INVALID_ARGUMENT);
	assert_string_equal(field, "diffs.endpoint");
	d = diff("users.php", "get\t", false, ok, 1);
	assert_int_equal(record(c, 1, &d, 1, NULL, field, sizeof(field)),
	    BILLING_INVALID_ARGUMENT);
	assert_string_equal(field, "diffs.action");
	c[0].matches = -1;
	assert_int_equal(record(c, 1, NULL, 0, NULL, field, sizeof(field)),
	    BILLING_INVALID_ARGUMENT);
	assert_string_equal(field, "counts.matches");

	/* A valid count with an invalid diff: neither is recorded. */
	c[0].matches = 1;
	d = diff("users.php", "get", false, ok, 1);
	d.has_primary_status = 1;
	d.primary_status = 1000;
	assert_int_equal(record(c, 1, &d, 1, NULL, field, sizeof(field)),
	    BILLING_INVALID_ARGUMENT);
	th_psql_value(&TH, sql, after, sizeof(after));
	assert_string_equal(before, after);
	free(big);
}

static void
test_a_full_batch_in_one_call(void **state)
{
	char *p[] = { "$.data" };
	Billing__V1__RolloutDiff d[100];
	Billing__V1__RolloutDiff more[101];
	int64_t ids[100];
	char field[64];

	(void) state;
	for (int i = 0; i < 100; i++)
		d[i] = diff("plans.php", "get", false, p, 1);
	assert_int_equal(record(NULL, 0, d, 100, ids, NULL, 0), 0);
	for (int i = 1; i < 100; i++)
		assert_true(ids[i] > ids[i - 1]);
	for (int i = 0; i < 101; i++)
		more[i] = diff("plans.php", "get", false, p, 1);
	assert_int_equal(
	    record(NULL, 0, more, 101, NULL, field, sizeof(field)),
	    BILLING_INVALID_ARGUMENT);
	assert_string_equal(field, "diffs");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_starts_unset_and_is_set),
		cmocka_unit_test(test_config_validates),
		cmocka_unit_test(test_counts_add_up_per_endpoint_and_action),
		cmocka_unit_test(test_diffs_are_recorded_and_listed),
		cmocka_unit_test(test_mutating_diff_flags_divergence),
		cmocka_unit_test(test_hostile_reports_are_refused_whole),
		cmocka_unit_test(test_a_full_batch_in_one_call),
	};

	return (cmocka_run_group_tests(tests, th_setup, th_teardown));
}
