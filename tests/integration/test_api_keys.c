/*
 * ApiKeys over the wire: generated and registered keys, what is stored
 * of them, Authenticate with new and legacy (sha1) keys, Revoke, List.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

static int
create(const char *name, const char *key,
    Billing__V1__CreateApiKeyResponse **out, billing_status *st)
{
	Billing__V1__CreateApiKeyRequest req =
	    BILLING__V1__CREATE_API_KEY_REQUEST__INIT;

	req.name = (char *) name;
	req.key = (char *) key;
	return (billing_api_keys_create(TH.client, &req, out, NULL, st));
}

/* Authenticates key; the status code (0: *out set, when out is given). */
static int
authenticate(
    const char *key, Billing__V1__ApiKey **out, char *reason, size_t cap)
{
	Billing__V1__AuthenticateApiKeyRequest req =
	    BILLING__V1__AUTHENTICATE_API_KEY_REQUEST__INIT;
	billing_status st = BILLING_STATUS_INIT;
	Billing__V1__ApiKey *k = NULL;
	int rv;

	req.key = (char *) key;
	rv = billing_api_keys_authenticate(TH.client, &req, &k, NULL, &st);
	if (reason != NULL)
		snprintf(
		    reason, cap, "%s", st.reason != NULL ? st.reason : "");
	billing_status_fini(&st);
	if (out != NULL)
		*out = k;
	else if (k != NULL)
		billing__v1__api_key__free_unpacked(k, NULL);
	return (rv);
}

static int
revoke(int64_t id, Billing__V1__ApiKey **out, billing_status *st)
{
	Billing__V1__RevokeApiKeyRequest req =
	    BILLING__V1__REVOKE_API_KEY_REQUEST__INIT;

	req.has_id = 1;
	req.id = id;
	return (billing_api_keys_revoke(TH.client, &req, out, NULL, st));
}

static int
list(bool all, int page, int size, const char *token,
    Billing__V1__ListApiKeysResponse **out)
{
	Billing__V1__ListApiKeysRequest req =
	    BILLING__V1__LIST_API_KEYS_REQUEST__INIT;
	Billing__V1__PageRequest pr = BILLING__V1__PAGE_REQUEST__INIT;
	billing_status st = BILLING_STATUS_INIT;
	int rv;

	req.has_include_revoked = all;
	req.include_revoked = all;
	pr.has_page = page != 0;
	pr.page = page;
	pr.has_page_size = size != 0;
	pr.page_size = size;
	pr.page_token = (char *) token;
	req.page = &pr;
	rv = billing_api_keys_list(TH.client, &req, out, NULL, &st);
	billing_status_fini(&st);
	return (rv);
}

static void
test_generated_key_is_stored_as_sha256_only(void **state)
{
	Billing__V1__CreateApiKeyResponse *r = NULL;
	Billing__V1__ApiKey *k = NULL;
	billing_status st = BILLING_STATUS_INIT;
	char sql[512], v[128];

	(void) state;
	assert_int_equal(create("bridge", NULL, &r, &st), 0);
	assert_non_null(r->key);
	assert_int_equal(strlen(r->key), 64);
	for (const char *p = r->key; *p != '\0'; p++)
		assert_true(
		    isdigit((unsigned char) *p) || (*p >= 'a' && *p <= 'f'));
	assert_non_null(r->api_key);
	assert_true(r->api_key->id > 0);
	assert_string_equal(r->api_key->name, "bridge");
	assert_true(r->api_key->has_active && r->api_key->active);
	assert_non_null(r->api_key->prefix);
	assert_memory_equal(r->api_key->prefix, r->key, 8);
	assert_int_equal(strlen(r->api_key->prefix), 8);
	assert_true(r->api_key->has_created_at_us);
	assert_false(r->api_key->has_revoked_at_us);

	/* The digest, never the key. */
	snprintf(sql, sizeof(sql),
	    "SELECT hash_alg || ' ' || (key_hash = encode(sha256('%s'::bytea),"
	    " 'hex')) || ' ' || (key_hash = '%s') FROM api_keys"
	    " WHERE id = %lld",
	    r->key, r->key, (long long) r->api_key->id);
	th_psql_value(&TH, sql, v, sizeof(v));
	assert_string_equal(v, "sha256 true false");
	snprintf(sql, sizeof(sql),
	    "SELECT count(*) FROM events WHERE type = 'api_key.created'"
	    " AND object_id = %lld AND data::text NOT LIKE '%%%s%%'",
	    (long long) r->api_key->id, r->key);
	th_psql_value(&TH, sql, v, sizeof(v));
	assert_string_equal(v, "1");

	assert_int_equal(authenticate(r->key, &k, NULL, 0), 0);
	assert_int_equal(k->id, r->api_key->id);
	assert_string_equal(k->name, "bridge");
	assert_true(k->active);
	billing__v1__api_key__free_unpacked(k, NULL);
	billing__v1__create_api_key_response__free_unpacked(r, NULL);

	/* Two generated keys differ. */
	assert_int_equal(create(NULL, NULL, &r, &st), 0);
	assert_string_equal(r->api_key->name, "");
	billing__v1__create_api_key_response__free_unpacked(r, NULL);
}

static void
test_wrong_key_is_unauthenticated(void **state)
{
	char reason[64];

	(void) state;
	assert_int_equal(
	    authenticate("no-such-key-at-all", NULL, reason, sizeof(reason)),
	    BILLING_UNAUTHENTICATED);
	assert_string_equal(reason, "INVALID_API_KEY");
	assert_int_equal(
	    authenticate("", NULL, NULL, 0), BILLING_INVALID_ARGUMENT);
	assert_int_equal(
	    authenticate(NULL, NULL, NULL, 0), BILLING_INVALID_ARGUMENT);
}

static void
test_given_key_is_registered_once(void **state)
{
	const char *key = "client-held-key-0123456789";
	Billing__V1__CreateApiKeyResponse *r = NULL;
	Billing__V1__ApiKey *k = NULL;
	billing_status st = BILLING_STATUS_INIT;
	char sql[256], v[64];

	(void) state;
	assert_int_equal(create("partner", key, &r, &st), 0);
	assert_string_equal(r->key, key);
	assert_string_equal(r->api_key->prefix, "client-h");
	snprintf(sql, sizeof(sql),
	    "SELECT key_hash = encode(sha256('%s'::bytea), 'hex')"
	    " FROM api_keys WHERE id = %lld",
	    key, (long long) r->api_key->id);
	th_psql_value(&TH, sql, v, sizeof(v));
	assert_string_equal(v, "t");
	assert_int_equal(authenticate(key, &k, NULL, 0), 0);
	assert_int_equal(k->id, r->api_key->id);
	billing__v1__api_key__free_unpacked(k, NULL);
	billing__v1__create_api_key_response__free_unpacked(r, NULL);

	r = NULL;
	assert_int_equal(
	    create("again", key, &r, &st), BILLING_ALREADY_EXISTS);
	assert_null(r);
	assert_string_equal(st.reason, "API_KEY_TAKEN");
	billing_status_fini(&st);

	/* A short key keeps no prefix: it would be most of the key. */
	assert_int_equal(create("short", "abc123", &r, &st), 0);
	assert_null(r->api_key->prefix);
	billing__v1__create_api_key_response__free_unpacked(r, NULL);
}

static void
test_create_validates(void **state)
{
	Billing__V1__CreateApiKeyResponse *r = NULL;
	billing_status st = BILLING_STATUS_INIT;
	billing_call_opts o = { .idempotency_key = "idem-api-key-1" };
	Billing__V1__CreateApiKeyRequest req =
	    BILLING__V1__CREATE_API_KEY_REQUEST__INIT;
	char long_name[102], long_key[257];

	(void) state;
	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	memset(long_key, 'k', sizeof(long_key) - 1);
	long_key[sizeof(long_key) - 1] = '\0';
	assert_int_equal(
	    create(long_name, NULL, &r, &st), BILLING_INVALID_ARGUMENT);
	billing_status_fini(&st);
	assert_int_equal(create("x", "", &r, &st), BILLING_INVALID_ARGUMENT);
	billing_status_fini(&st);
	assert_int_equal(
	    create("x", long_key, &r, &st), BILLING_INVALID_ARGUMENT);
	billing_status_fini(&st);
	long_key[255] = '\0'; /* 255 bytes: the longest */
	assert_int_equal(create("x", long_key, &r, &st), 0);
	billing__v1__create_api_key_response__free_unpacked(r, NULL);
	assert_int_equal(
	    create("x", "tab\there", &r, &st), BILLING_INVALID_ARGUMENT);
	billing_status_fini(&st);
	/* A replay would need the key kept in clear. */
	assert_int_equal(billing_api_keys_create(TH.client, &req, &r, &o, &st),
	    BILLING_INVALID_ARGUMENT);
	assert_string_equal(st.reason, "IDEMPOTENCY_KEY_NOT_ALLOWED");
	billing_status_fini(&st);
}

static void
test_legacy_sha1_key_authenticates(void **state)
{
	Billing__V1__CreateApiKeyResponse *r = NULL;
	Billing__V1__ApiKey *k = NULL;
	billing_status st = BILLING_STATUS_INIT;
	char v[64];

	(void) state;
	assert_int_equal(th_psql(&TH,
	                     "INSERT INTO api_keys (name, key_hash, hash_alg)"
	                     " VALUES ('legacy', encode(digest('test-key-123',"
	                     " 'sha1'), 'hex'), 'sha1')"),
	    0);
	assert_int_equal(authenticate("test-key-123", &k, NULL, 0), 0);
	assert_string_equal(k->name, "legacy");
	assert_null(k->prefix);
	assert_true(k->active);
	billing__v1__api_key__free_unpacked(k, NULL);
	assert_int_equal(authenticate("test-key-1234", NULL, NULL, 0),
	    BILLING_UNAUTHENTICATED);

	/* Registering a migrated key again is refused too. */
	assert_int_equal(
	    create("dup", "test-key-123", &r, &st), BILLING_ALREADY_EXISTS);
	assert_string_equal(st.reason, "API_KEY_TAKEN");
	billing_status_fini(&st);
	th_psql_value(&TH, "SELECT count(*) FROM api_keys WHERE name = 'dup'",
	    v, sizeof(v));
	assert_string_equal(v, "0");
}

static void
test_revoked_key_fails(void **state)
{
	Billing__V1__CreateApiKeyResponse *r = NULL;
	Billing__V1__ApiKey *k = NULL, *k2 = NULL;
	billing_status st = BILLING_STATUS_INIT;
	char reason[64], sql[256], v[64];

	(void) state;
	assert_int_equal(create("to-revoke", NULL, &r, &st), 0);
	assert_int_equal(authenticate(r->key, NULL, NULL, 0), 0);
	assert_int_equal(revoke(r->api_key->id, &k, &st), 0);
	assert_false(k->active);
	assert_true(k->has_revoked_at_us);
	assert_int_equal(authenticate(r->key, NULL, reason, sizeof(reason)),
	    BILLING_UNAUTHENTICATED);
	assert_string_equal(reason, "INVALID_API_KEY");

	/* Again: unchanged, and no second event. */
	assert_int_equal(revoke(r->api_key->id, &k2, &st), 0);
	assert_false(k2->active);
	assert_int_equal(k2->revoked_at_us, k->revoked_at_us);
	snprintf(sql, sizeof(sql),
	    "SELECT count(*) FROM events WHERE type = 'api_key.revoked'"
	    " AND object_id = %lld",
	    (long long) r->api_key->id);
	th_psql_value(&TH, sql, v, sizeof(v));
	assert_string_equal(v, "1");
	billing__v1__api_key__free_unpacked(k, NULL);
	billing__v1__api_key__free_unpacked(k2, NULL);
	billing__v1__create_api_key_response__free_unpacked(r, NULL);

	assert_int_equal(revoke(999999, &k, &st), BILLING_NOT_FOUND);
	assert_string_equal(st.reason, "API_KEY_NOT_FOUND");
	billing_status_fini(&st);
	assert_int_equal(revoke(0, &k, &st), BILLING_INVALID_ARGUMENT);
	billing_status_fini(&st);
}

static void
test_list_hides_revoked_and_pages(void **state)
{
	Billing__V1__ListApiKeysResponse *l = NULL;
	Billing__V1__CreateApiKeyResponse *r = NULL;
	billing_status st = BILLING_STATUS_INIT;
	int64_t active, all, seen;
	char token[256];

	(void) state;
	/* Five more keys, one of them revoked. */
	for (int i = 0; i < 5; i++) {
		assert_int_equal(create("listed", NULL, &r, &st), 0);
		if (i == 2) {
			Billing__V1__ApiKey *k = NULL;

			assert_int_equal(revoke(r->api_key->id, &k, &st), 0);
			billing__v1__api_key__free_unpacked(k, NULL);
		}
		billing__v1__create_api_key_response__free_unpacked(r, NULL);
	}

	assert_int_equal(list(false, 0, 0, NULL, &l), 0);
	active = l->page->total_size;
	assert_int_equal((int64_t) l->n_api_keys, active);
	for (size_t i = 0; i < l->n_api_keys; i++)
		assert_true(l->api_keys[i]->active);
	billing__v1__list_api_keys_response__free_unpacked(l, NULL);

	assert_int_equal(list(true, 0, 0, NULL, &l), 0);
	all = l->page->total_size;
	assert_true(all > active);
	for (size_t i = 1; i < l->n_api_keys; i++)
		assert_true(l->api_keys[i]->id > l->api_keys[i - 1]->id);
	billing__v1__list_api_keys_response__free_unpacked(l, NULL);

	/* Offset paging. */
	assert_int_equal(list(true, 2, 2, NULL, &l), 0);
	assert_int_equal(l->n_api_keys, 2);
	assert_int_equal(l->page->page, 2);
	assert_non_null(l->page->next_page_token);
	billing__v1__list_api_keys_response__free_unpacked(l, NULL);

	/* Keyset paging through everything, two at a time. */
	seen = 0;
	token[0] = '\0';
	do {
		assert_int_equal(
		    list(true, 0, 2, token[0] != '\0' ? token : NULL, &l), 0);
		assert_true(l->n_api_keys <= 2);
		seen += (int64_t) l->n_api_keys;
		snprintf(token, sizeof(token), "%s",
		    l->page->next_page_token != NULL ? l->page->next_page_token
		                                     : "");
		billing__v1__list_api_keys_response__free_unpacked(l, NULL);
	} while (token[0] != '\0');
	assert_int_equal(seen, all);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generated_key_is_stored_as_sha256_only),
		cmocka_unit_test(test_wrong_key_is_unauthenticated),
		cmocka_unit_test(test_given_key_is_registered_once),
		cmocka_unit_test(test_create_validates),
		cmocka_unit_test(test_legacy_sha1_key_authenticates),
		cmocka_unit_test(test_revoked_key_fails),
		cmocka_unit_test(test_list_hides_revoked_and_pages),
	};

	return (cmocka_run_group_tests(tests, th_setup, th_teardown));
}
