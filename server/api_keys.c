/*
 * api_keys.c: the ApiKeys service.
 *
 * Only a digest of a key is stored: sha256 for the keys made here, sha1
 * for the keys migrated from the legacy app. PostgreSQL computes both
 * (sha256() is built in, digest() comes from pgcrypto), from the key's
 * UTF-8 bytes, so a key is matched by one statement whatever its
 * digest. A key is shown once, in the response of Create; that is why
 * Create takes no idempotency key: a replay would need the key kept in
 * clear with the stored response.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "../rpc/envelope.h"
#include "events.h"
#include "handlers.h"
#include "page.h"

#define KEY_COLS                                            \
	"id, name, active, prefix, billing_us(created_at)," \
	" billing_us(revoked_at)"

#define NAME_MAX_BYTES 100
#define KEY_MAX_BYTES 255
#define KEY_RANDOM_BYTES 32

/* The digests of a key ($1), as stored in key_hash. */
#define SHA256_HEX "encode(sha256(convert_to($1::text, 'UTF8')), 'hex')"
#define SHA1_HEX "encode(digest(convert_to($1::text, 'UTF8'), 'sha1'), 'hex')"

/*
 * $1 key, $2 name, $3 now. The prefix tells keys apart; it is kept only
 * for keys of 16 characters or more, so that it never is most of a key.
 * A key taken as sha256 finds the unique index; one taken as a legacy
 * sha1 digest, the NOT EXISTS.
 */
static const db_stmt INSERT = { "api_keys_insert",
	"INSERT INTO api_keys (name, key_hash, hash_alg, prefix, created_at)"
	" SELECT $2, " SHA256_HEX ", 'sha256',"
	"  CASE WHEN char_length($1::text) >= 16 THEN left($1::text, 8) END,"
	"  billing_ts($3)"
	" WHERE NOT EXISTS (SELECT 1 FROM api_keys"
	"   WHERE hash_alg = 'sha1' AND key_hash = " SHA1_HEX ")"
	" ON CONFLICT (key_hash) DO NOTHING RETURNING " KEY_COLS };

/* $1 include revoked, $2 cursor, $3 limit, $4 offset. */
static const db_stmt LIST = { "api_keys_list",
	"SELECT t.total, k.* FROM"
	" (SELECT count(*) AS total FROM api_keys WHERE active OR $1) t"
	" LEFT JOIN LATERAL"
	" (SELECT " KEY_COLS " FROM api_keys WHERE (active OR $1) AND id > $2"
	"   ORDER BY id LIMIT $3 OFFSET $4) k ON true" };

/* $1 id, $2 now. Returns the key and whether this call revoked it. */
static const db_stmt REVOKE = { "api_keys_revoke",
	"WITH old AS (SELECT * FROM api_keys WHERE id = $1 FOR UPDATE),"
	" upd AS (UPDATE api_keys k SET active = false,"
	"   revoked_at = billing_ts($2) FROM old"
	"   WHERE k.id = old.id AND old.active RETURNING k.*)"
	" SELECT " KEY_COLS ", true FROM upd"
	" UNION ALL SELECT " KEY_COLS ", false FROM old WHERE NOT active" };

/* $1 key: the active key it is, by either digest (unique index). */
static const db_stmt AUTHENTICATE = { "api_keys_authenticate",
	"SELECT " KEY_COLS " FROM api_keys WHERE active AND"
	" ((hash_alg = 'sha256' AND key_hash = " SHA256_HEX ")"
	"  OR (hash_alg = 'sha1' AND key_hash = " SHA1_HEX "))" };

static Billing__V1__ApiKey *
from_row(srv_call *call, const PGresult *res, int row, int c)
{
	Billing__V1__ApiKey *m =
	    call_new(call, billing__v1__api_key, Billing__V1__ApiKey);

	if (m == NULL)
		return (NULL);
	m->has_id = 1;
	m->id = call_int64(res, row, c + 0);
	m->name = (char *) call_text(res, row, c + 1);
	m->has_active = 1;
	m->active = call_bool(res, row, c + 2);
	m->prefix = (char *) call_text(res, row, c + 3);
	if ((m->has_created_at_us = !call_isnull(res, row, c + 4)))
		m->created_at_us = call_int64(res, row, c + 4);
	if ((m->has_revoked_at_us = !call_isnull(res, row, c + 5)))
		m->revoked_at_us = call_int64(res, row, c + 5);
	return (m);
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

/* A new key: KEY_RANDOM_BYTES from getrandom(2), in lower-case hex. */
static int
generate(srv_call *call, char **out)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char b[KEY_RANDOM_BYTES];
	size_t got = 0;
	char *s;

	while (got < sizeof(b)) {
		ssize_t n = getrandom(b + got, sizeof(b) - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return (call_error(call, BILLING_INTERNAL, NULL,
			    "getrandom: %s", strerror(errno)));
		}
		got += (size_t) n;
	}
	if ((s = call_alloc(call, 2 * sizeof(b) + 1)) == NULL)
		return (call_oom(call));
	for (size_t i = 0; i < sizeof(b); i++) {
		s[2 * i] = digits[b[i] >> 4];
		s[2 * i + 1] = digits[b[i] & 0xf];
	}
	s[2 * sizeof(b)] = '\0';
	explicit_bzero(b, sizeof(b));
	*out = s;
	return (0);
}

static int
api_keys_create(srv_call *call, const Billing__V1__CreateApiKeyRequest *req,
    Billing__V1__CreateApiKeyResponse **out)
{
	const char *name = req->name != NULL ? req->name : "";
	Billing__V1__CreateApiKeyResponse *r;
	char now[21], *key = NULL;
	PGresult *res;
	size_t len;
	int rv;

	if (call_meta(call, RPC_META_IDEMPOTENCY_KEY) != NULL)
		return (call_error(call, BILLING_INVALID_ARGUMENT,
		    "IDEMPOTENCY_KEY_NOT_ALLOWED",
		    "creating an API key takes no idempotency key: its "
		    "response would have to keep the key"));
	if (strlen(name) > NAME_MAX_BYTES)
		return (call_invalid(
		    call, "name", "longer than %d bytes", NAME_MAX_BYTES));
	if (req->key != NULL) {
		len = strlen(req->key);
		if (len < 1 || len > KEY_MAX_BYTES)
			return (call_invalid(
			    call, "key", "must be 1-%d bytes", KEY_MAX_BYTES));
		if (has_control(req->key))
			return (call_invalid(
			    call, "key", "has a control character"));
		key = req->key;
	} else if ((rv = generate(call, &key)) != 0)
		return (rv);

	const char *p[3] = { key, name, call_fmt_int64(now, call->now_us) };
	if ((rv = call_query(call, &INSERT, 3, p, &res)) != 0)
		return (rv);
	if (PQntuples(res) == 0)
		return (call_error(call, BILLING_ALREADY_EXISTS,
		    "API_KEY_TAKEN", "that key is already registered"));
	r = call_new(call, billing__v1__create_api_key_response,
	    Billing__V1__CreateApiKeyResponse);
	if (r == NULL || (r->api_key = from_row(call, res, 0, 0)) == NULL)
		return (call_oom(call));
	r->key = key;
	*out = r;
	return (events_record(call, "api_key.created", "api_key",
	    r->api_key->id, 0, NULL, "active", NULL));
}

static int
api_keys_list(srv_call *call, const Billing__V1__ListApiKeysRequest *req,
    Billing__V1__ListApiKeysResponse **out)
{
	Billing__V1__ListApiKeysResponse *r;
	page_req pg;
	PGresult *res;
	int rv, n;

	if ((rv = page_parse(call, req->page, &pg)) != 0)
		return (rv);
	const char *p[4] = { req->include_revoked ? "true" : "false",
		pg.cursor_text, pg.fetch_text, pg.offset_text };
	if ((rv = call_query(call, &LIST, 4, p, &res)) != 0)
		return (rv);

	r = call_new(call, billing__v1__list_api_keys_response,
	    Billing__V1__ListApiKeysResponse);
	if (r == NULL ||
	    (n = page_items(call, &pg, res, sizeof(*r->api_keys),
	         (void **) &r->api_keys)) < 0)
		return (call_oom(call));
	for (int i = 0; i < n; i++)
		if ((r->api_keys[i] = from_row(call, res, i, 1)) == NULL)
			return (call_oom(call));
	r->n_api_keys = (size_t) n;
	r->page =
	    page_info(call, &pg, res, n > 0 ? r->api_keys[n - 1]->id : 0);
	*out = r;
	return (0);
}

static int
api_keys_revoke(srv_call *call, const Billing__V1__RevokeApiKeyRequest *req,
    Billing__V1__ApiKey **out)
{
	char id[21], now[21];
	PGresult *res;
	int rv;

	if (!req->has_id)
		return (call_invalid(call, "id", "required"));
	if (req->id < 1)
		return (call_invalid(call, "id", "must be 1 or more"));
	const char *p[2] = { call_fmt_int64(id, req->id),
		call_fmt_int64(now, call->now_us) };
	if ((rv = call_query(call, &REVOKE, 2, p, &res)) != 0)
		return (rv);
	if (PQntuples(res) == 0)
		return (
		    call_error(call, BILLING_NOT_FOUND, "API_KEY_NOT_FOUND",
		        "API key %lld not found", (long long) req->id));
	if ((*out = from_row(call, res, 0, 0)) == NULL)
		return (call_oom(call));
	/* Revoking a revoked key changes nothing and records nothing. */
	if (!call_bool(res, 0, 6))
		return (0);
	return (events_record(call, "api_key.revoked", "api_key", req->id, 0,
	    "active", "revoked", NULL));
}

static int
api_keys_authenticate(srv_call *call,
    const Billing__V1__AuthenticateApiKeyRequest *req,
    Billing__V1__ApiKey **out)
{
	const char *p[1];
	PGresult *res;
	int rv;

	if (req->key == NULL || req->key[0] == '\0')
		return (call_invalid(call, "key", "required"));
	p[0] = req->key;
	if ((rv = call_query(call, &AUTHENTICATE, 1, p, &res)) != 0)
		return (rv);
	/* Unknown, revoked or never issued: the caller is not told which. */
	if (PQntuples(res) == 0)
		return (call_error(call, BILLING_UNAUTHENTICATED,
		    "INVALID_API_KEY", "invalid API key"));
	if ((*out = from_row(call, res, 0, 0)) == NULL)
		return (call_oom(call));
	return (0);
}

const billing_api_keys_impl api_keys_impl = {
	.create = api_keys_create,
	.list = api_keys_list,
	.revoke = api_keys_revoke,
	.authenticate = api_keys_authenticate,
};
