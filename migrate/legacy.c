/*
 * legacy.c: see legacy.h. Each rule's reason is in docs/migration.md.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "legacy.h"

const leg_table_def leg_tables[LEG_NTABLES] = {
	[LEG_API_KEYS] = { "api_keys", "api_keys",
	    "SELECT id, CONVERT(label USING binary), key_sha1, is_active,"
	    " created_at FROM api_keys ORDER BY id",
	    { "id", "label", "key_sha1", "is_active", "created_at" },
	    "id, name, key_hash, hash_alg, active, created_at", 6, "id" },
	[LEG_PLANS] = { "plans", "plans",
	    "SELECT id, code, CONVERT(name USING binary), price, currency,"
	    " billing_cycle, trial_days, is_active, created_at FROM plans"
	    " ORDER BY id",
	    { "id", "code", "name", "price", "currency", "billing_cycle",
	        "trial_days", "is_active", "created_at" },
	    "id, code, name, price_minor, currency, billing_cycle,"
	    " trial_days, active, created_at",
	    9, "id" },
	[LEG_USERS] = { "users", "customers",
	    "SELECT id, email, name, company, country, vat_number, currency,"
	    " balance, status, meta, created_at, updated_at FROM users"
	    " ORDER BY id",
	    { "id", "email", "name", "company", "country", "vat_number",
	        "currency", "balance", "status", "meta", "created_at",
	        "updated_at" },
	    "id, email, email_key, name, company, country, vat_number,"
	    " currency, balance_minor, status, meta, created_at, updated_at",
	    13, "id" },
	[LEG_SUBSCRIPTIONS] = { "subscriptions", "subscriptions",
	    "SELECT id, user_id, plan_id, status, quantity,"
	    " billing_anchor_day, started_at, trial_ends_at,"
	    " current_period_start, current_period_end,"
	    " cancel_at_period_end, cancelled_at, created_at"
	    " FROM subscriptions ORDER BY id",
	    { "id", "user_id", "plan_id", "status", "quantity",
	        "billing_anchor_day", "started_at", "trial_ends_at",
	        "current_period_start", "current_period_end",
	        "cancel_at_period_end", "cancelled_at", "created_at" },
	    "id, customer_id, plan_id, status, quantity, billing_anchor_day,"
	    " started_at, trial_ends_at, trial_ends_at_legacy_zero,"
	    " current_period_start, current_period_end,"
	    " cancel_at_period_end, cancelled_at, created_at",
	    14, "id" },
	[LEG_INVOICES] = { "invoices", "invoices",
	    "SELECT id, number, user_id, subscription_id, currency,"
	    " subtotal, tax_rate, tax, total, status, period_start,"
	    " period_end, due_date, paid_at, created_at FROM invoices"
	    " ORDER BY id",
	    { "id", "number", "user_id", "subscription_id", "currency",
	        "subtotal", "tax_rate", "tax", "total", "status",
	        "period_start", "period_end", "due_date", "paid_at",
	        "created_at" },
	    "id, customer_id, subscription_id, number, currency,"
	    " subtotal_minor, tax_rate_bp, tax_minor, total_minor, status,"
	    " period_start, period_end, due_date, paid_at, created_at",
	    15, "id" },
	[LEG_ITEMS] = { "invoice_items", "invoice_items",
	    "SELECT id, invoice_id, CONVERT(description USING binary),"
	    " quantity, unit_price, amount FROM invoice_items ORDER BY id",
	    { "id", "invoice_id", "description", "quantity", "unit_price",
	        "amount" },
	    "id, customer_id, invoice_id, description, quantity,"
	    " unit_price_minor, amount_minor",
	    7, "id" },
	[LEG_PAYMENTS] = { "payments", "payments",
	    "SELECT id, invoice_id, user_id, amount, currency, method,"
	    " CONVERT(transaction_id USING binary), status, created_at"
	    " FROM payments ORDER BY id",
	    { "id", "invoice_id", "user_id", "amount", "currency", "method",
	        "transaction_id", "status", "created_at" },
	    "id, customer_id, invoice_id, amount_minor, currency, method,"
	    " transaction_id, status, created_at",
	    9, "id" },
	[LEG_SEQUENCES] = { "invoice_sequences", "invoice_sequences",
	    "SELECT year, last_no FROM invoice_sequences ORDER BY year",
	    { "year", "last_no" }, "year, last_no", 2, "year" },
};

static const struct {
	const char *name, *text;
} codes[LEG_NCODES] = {
	[LEG_OK] = { "ok", "" },
	[LEG_Q_USER_MISSING] = { "user_missing",
	    "its user is not in the source (hard-deleted)" },
	[LEG_Q_USER_QUARANTINED] = { "user_quarantined",
	    "its user is quarantined" },
	[LEG_Q_PLAN_MISSING] = { "plan_missing",
	    "its plan is not in the source or quarantined" },
	[LEG_Q_SUBSCRIPTION_MISSING] = { "subscription_missing",
	    "its subscription is not in the source" },
	[LEG_Q_SUBSCRIPTION_QUARANTINED] = { "subscription_quarantined",
	    "its subscription is quarantined" },
	[LEG_Q_SUBSCRIPTION_OTHER_USER] = { "subscription_of_other_user",
	    "its subscription belongs to another user" },
	[LEG_Q_INVOICE_MISSING] = { "invoice_missing",
	    "its invoice is not in the source (ghost or deleted by hand)" },
	[LEG_Q_INVOICE_QUARANTINED] = { "invoice_quarantined",
	    "its invoice is quarantined" },
	[LEG_Q_INVOICE_OTHER_USER] = { "invoice_of_other_user",
	    "its invoice belongs to another user" },
	[LEG_Q_INVALID] = { "invalid_value",
	    "a value the schema cannot hold" },
	[LEG_Q_NO_ANCHOR] = { "no_anchor",
	    "anchor day 0 without a started_at or period start" },
	[LEG_F_EMAIL_TRIMMED] = { "email_trimmed",
	    "white space trimmed from the email" },
	[LEG_F_COUNTRY_NORMALISED] = { "country_normalised",
	    "country upper-cased or '' made NULL" },
	[LEG_F_COUNTRY_INVALID] = { "country_invalid",
	    "country not two letters: NULL (taxed 0 % as before)" },
	[LEG_F_CURRENCY_INVALID] = { "currency_invalid",
	    "user currency '' or unknown: NULL (unset, as before)" },
	[LEG_F_META_CORRUPT] = { "meta_corrupt",
	    "meta unserialize() refuses: {} (rendered [] as before)" },
	[LEG_F_BAD_UTF8] = { "invalid_utf8",
	    "text not UTF-8: U+FFFD as the legacy app rendered it" },
	[LEG_F_NUL_REMOVED] = { "nul_removed", "NUL bytes removed" },
	[LEG_F_TRUNCATED] = { "truncated", "cut to the column's bytes" },
	[LEG_F_DATETIME_INVALID] = { "datetime_invalid",
	    "a partly zero or malformed date: NULL" },
	[LEG_F_TOTAL_MISMATCH] = { "total_mismatch",
	    "total != subtotal + tax: the billed total is kept" },
	[LEG_F_AMOUNT_MISMATCH] = { "amount_mismatch",
	    "amount != quantity x unit_price: the amount is kept" },
	[LEG_F_KEY_CASE] = { "key_hash_case",
	    "sha1 digest in upper case: lowered" },
	[LEG_N_ZERO_DATE] = { "zero_date", "the zero date: NULL" },
	[LEG_N_TRIAL_ENDS_ZERO] = { "trial_ends_at_zero",
	    "trial_ends_at zero date: NULL, trial_ends_at_legacy_zero" },
	[LEG_N_ANCHOR_ZERO] = { "anchor_zero",
	    "anchor day 0: the day of started_at" },
	[LEG_N_DST_GAP] = { "dst_gap",
	    "a spring-gap wall time: moved forward by the gap" },
	[LEG_N_DST_AMBIGUOUS] = { "dst_ambiguous",
	    "an autumn-overlap wall time: its first occurrence" },
	[LEG_N_UTF8_REPAIRED] = { "utf8_repaired",
	    "UTF-8 bytes in a latin1 column: stored as text" },
	[LEG_N_INVOICE_NULL] = { "invoice_null",
	    "a payment without an invoice (kept)" },
	[LEG_N_UPDATED_AT_ZERO] = { "updated_at_zero",
	    "updated_at zero: created_at (or the epoch) instead" },
	[LEG_N_EMAIL_UPPER] = { "email_upper",
	    "upper case in the email: kept (the key is lower case)" },
	[LEG_N_EMPTY_STRING] = { "empty_string",
	    "'' instead of NULL: kept, the app showed \"\"" },
	[LEG_N_VAT_SPACES] = { "vat_spaces", "VAT number with spaces: kept" },
	[LEG_N_UTF8_NATIVE] = { "utf8_native",
	    "a character not written through latin1: kept as it is" },
	[LEG_N_META_EMPTY] = { "meta_empty",
	    "meta NULL, '' or a:0:{}: {} (rendered [])" },
};

const char *
leg_code_name(leg_code c)
{
	return ((unsigned) c < LEG_NCODES ? codes[c].name : "?");
}

const char *
leg_code_text(leg_code c)
{
	return ((unsigned) c < LEG_NCODES ? codes[c].text : "?");
}

int
leg_ctx_init(leg_ctx *c)
{
	memset(c, 0, sizeof(*c));
	conv_buf_init(&c->a);
	conv_buf_init(&c->b);
	conv_buf_init(&c->c);
	if (idmap_init(&c->users) != 0 || idmap_init(&c->plans) != 0 ||
	    idmap_init(&c->subs) != 0 || idmap_init(&c->subs_q) != 0 ||
	    idmap_init(&c->invoices) != 0 || idmap_init(&c->inv_q) != 0) {
		leg_ctx_fini(c);
		return (CONV_NOMEM);
	}
	return (0);
}

void
leg_ctx_fini(leg_ctx *c)
{
	idmap_fini(&c->users);
	idmap_fini(&c->plans);
	idmap_fini(&c->subs);
	idmap_fini(&c->subs_q);
	idmap_fini(&c->invoices);
	idmap_fini(&c->inv_q);
	conv_buf_fini(&c->a);
	conv_buf_fini(&c->b);
	conv_buf_fini(&c->c);
}

/* One row being converted. */
typedef struct row {
	leg_ctx *c;
	MYSQL_ROW v;
	const unsigned long *len;
	tup *out;
	leg_result *r;
	bool utf8; /* a utf8 table: its text columns are read as binary */
} row;

static void
note(row *w, leg_code code, int col)
{
	leg_result *r = w->r;

	if (r->nfindings < LEG_MAX_FINDINGS) {
		r->findings[r->nfindings].code = (uint8_t) code;
		r->findings[r->nfindings].col = (uint8_t) col;
		r->nfindings++;
	}
}

/* Quarantines the row (the first reason wins); returns 1. */
static int
quarantine(row *w, leg_code code, int col)
{
	if (w->r->quarantine == LEG_OK) {
		w->r->quarantine = code;
		w->r->qcol = col;
	}
	return (1);
}

static bool
is_null(row *w, int col)
{
	return (w->v[col] == NULL);
}

/* An unsigned integer column within [lo, hi]: 0, else quarantined. */
static int
uint_col(row *w, int col, uint64_t lo, uint64_t hi, uint64_t *out)
{
	const char *s = w->v[col];
	unsigned long n = w->len[col];
	uint64_t v = 0;

	if (s == NULL || n == 0 || n > 19)
		return (quarantine(w, LEG_Q_INVALID, col));
	for (unsigned long i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (quarantine(w, LEG_Q_INVALID, col));
		v = v * 10 + (uint64_t) (s[i] - '0');
	}
	if (v < lo || v > hi)
		return (quarantine(w, LEG_Q_INVALID, col));
	*out = v;
	return (0);
}

/* A signed INT column. */
static int
int_col(row *w, int col, int32_t *out)
{
	const char *s = w->v[col];
	unsigned long n = w->len[col], i = 0;
	int64_t v = 0;
	bool neg = false;

	if (s != NULL && n > 0 && s[0] == '-') {
		neg = true;
		i = 1;
	}
	if (s == NULL || i == n || n > 11)
		return (quarantine(w, LEG_Q_INVALID, col));
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (quarantine(w, LEG_Q_INVALID, col));
		v = v * 10 + (s[i] - '0');
	}
	v = neg ? -v : v;
	if (v < INT32_MIN || v > INT32_MAX)
		return (quarantine(w, LEG_Q_INVALID, col));
	*out = (int32_t) v;
	return (0);
}

static int
money_col(row *w, int col, int scale, int64_t *out)
{
	if (is_null(w, col) ||
	    conv_decimal(w->v[col], w->len[col], scale, out) != CONV_OK)
		return (quarantine(w, LEG_Q_INVALID, col));
	return (0);
}

/* The value of col among names[0..n): its index, else quarantined. */
static int
enum_col(row *w, int col, const char *const *names, int n, int *out)
{
	if (!is_null(w, col))
		for (int i = 0; i < n; i++)
			if (strlen(names[i]) == w->len[col] &&
			    memcmp(names[i], w->v[col], w->len[col]) == 0) {
				*out = i;
				return (0);
			}
	return (quarantine(w, LEG_Q_INVALID, col));
}

static const char *const currencies[] = { "EUR", "USD", "GBP" };

/* Records what a conversion's flags say about col. */
static void
conv_notes(row *w, int col, unsigned f)
{
	if (f & CONV_F_ZERO)
		note(w, LEG_N_ZERO_DATE, col);
	if (f & CONV_F_GAP)
		note(w, LEG_N_DST_GAP, col);
	if (f & CONV_F_AMBIGUOUS)
		note(w, LEG_N_DST_AMBIGUOUS, col);
	if (f & CONV_F_REPAIRED)
		note(w, LEG_N_UTF8_REPAIRED, col);
	if (f & CONV_F_BAD_UTF8)
		note(w, LEG_F_BAD_UTF8, col);
	if (f & CONV_F_NUL)
		note(w, LEG_F_NUL_REMOVED, col);
	if (f & CONV_F_TRUNCATED)
		note(w, LEG_F_TRUNCATED, col);
}

/* A DATETIME column into the tuple: an instant or NULL. */
static int
datetime_col(row *w, int col, bool *was_null, int64_t *us_out)
{
	unsigned f = 0;
	bool null = true;
	int64_t us = 0;

	if (!is_null(w, col) &&
	    conv_datetime(w->v[col], w->len[col], &null, &us, &f) != CONV_OK) {
		note(w, LEG_F_DATETIME_INVALID, col);
		null = true;
	}
	conv_notes(w, col, f);
	if (null)
		tup_null(w->out);
	else
		tup_ts(w->out, us);
	if (was_null != NULL)
		*was_null = null;
	if (us_out != NULL)
		*us_out = us;
	return (0);
}

static int
date_col(row *w, int col)
{
	unsigned f = 0;
	bool null = true;
	int32_t d = 0;

	if (!is_null(w, col) &&
	    conv_date(w->v[col], w->len[col], &null, &d, &f) != CONV_OK) {
		note(w, LEG_F_DATETIME_INVALID, col);
		null = true;
	}
	conv_notes(w, col, f);
	if (null)
		tup_null(w->out);
	else
		tup_date(w->out, d);
	return (0);
}

/* A text column (NULL stays NULL when nullable). */
static int
text_col(row *w, int col, size_t max, bool nullable, conv_buf *b)
{
	unsigned f = 0;

	if (is_null(w, col)) {
		if (!nullable)
			return (quarantine(w, LEG_Q_INVALID, col));
		tup_null(w->out);
		return (0);
	}
	if (w->utf8) {
		/* The stored characters back to the bytes the app sent. */
		if (conv_latin1_unwrap(w->v[col], w->len[col], &w->c->c, &f) !=
		        CONV_OK ||
		    conv_text(w->c->c.p, w->c->c.len, max, b, &f) != CONV_OK)
			return (-1);
		if (f & CONV_F_WIDE)
			note(w, LEG_N_UTF8_NATIVE, col);
	} else if (conv_text(w->v[col], w->len[col], max, b, &f) != CONV_OK)
		return (-1);
	conv_notes(w, col, f);
	tup_text(w->out, b->p, b->len);
	return (0);
}

static bool
flag_value(row *w, int col)
{
	return (
	    !is_null(w, col) && !(w->len[col] == 1 && w->v[col][0] == '0'));
}

static int
api_key(row *w)
{
	conv_buf *b = &w->c->a;
	uint64_t id, active;
	char hash[41];

	if (uint_col(w, 0, 1, UINT32_MAX, &id) != 0)
		return (1);
	w->r->id = (uint32_t) id;
	if (is_null(w, 2) || w->len[2] != 40)
		return (quarantine(w, LEG_Q_INVALID, 2));
	for (int i = 0; i < 40; i++) {
		char ch = w->v[2][i];

		if (ch >= 'A' && ch <= 'F')
			ch = (char) (ch - 'A' + 'a');
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
			return (quarantine(w, LEG_Q_INVALID, 2));
		hash[i] = ch;
	}
	hash[40] = '\0';
	if (memcmp(hash, w->v[2], 40) != 0)
		note(w, LEG_F_KEY_CASE, 2);
	if (uint_col(w, 3, 0, 255, &active) != 0)
		return (1);
	tup_int8(w->out, (int64_t) id);
	if (text_col(w, 1, 100, false, b) != 0)
		return (1);
	tup_text(w->out, hash, 40);
	tup_text(w->out, "sha1", 4);
	tup_bool(w->out, active != 0);
	return (datetime_col(w, 4, NULL, NULL));
}

static bool
plan_code_ok(const char *s, unsigned long n)
{
	if (s == NULL || n < 1 || n > 64)
		return (false);
	for (unsigned long i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		        (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return (false);
	return (true);
}

static int
plan(row *w)
{
	static const char *const cycles[] = { "monthly", "quarterly",
		"yearly" };
	uint64_t id, trial;
	int64_t price;
	int cur, cycle;

	if (uint_col(w, 0, 1, UINT32_MAX, &id) != 0)
		return (1);
	w->r->id = (uint32_t) id;
	if (!plan_code_ok(w->v[1], w->len[1]))
		return (quarantine(w, LEG_Q_INVALID, 1));
	if (money_col(w, 3, 2, &price) != 0 || price < 0)
		return (quarantine(w, LEG_Q_INVALID, 3));
	if (enum_col(w, 4, currencies, 3, &cur) != 0 ||
	    enum_col(w, 5, cycles, 3, &cycle) != 0 ||
	    uint_col(w, 6, 0, 365, &trial) != 0)
		return (1);
	tup_int8(w->out, (int64_t) id);
	tup_text(w->out, w->v[1], w->len[1]);
	if (text_col(w, 2, 255, false, &w->c->a) != 0)
		return (1);
	tup_int8(w->out, price);
	tup_text(w->out, currencies[cur], 3);
	tup_text(w->out, cycles[cycle], strlen(cycles[cycle]));
	tup_int4(w->out, (int32_t) trial);
	tup_bool(w->out, flag_value(w, 7));
	return (datetime_col(w, 8, NULL, NULL));
}

static int
user(row *w)
{
	static const char *const statuses[] = { "active", "suspended",
		"deleted" };
	leg_ctx *c = w->c;
	uint64_t id;
	int64_t balance, created = 0, updated = 0;
	int status, cur = LEG_CUR_NONE;
	unsigned f = 0;
	bool null, created_null;
	char country[3];

	if (uint_col(w, 0, 1, UINT32_MAX, &id) != 0)
		return (1);
	w->r->id = (uint32_t) id;
	if (is_null(w, 1))
		return (quarantine(w, LEG_Q_INVALID, 1));
	if (money_col(w, 7, 2, &balance) != 0 ||
	    enum_col(w, 8, statuses, 3, &status) != 0)
		return (1);
	if (conv_email(w->v[1], w->len[1], &c->a, &c->b, &f) != CONV_OK)
		return (-1);
	if (f & CONV_F_TRIMMED)
		note(w, LEG_F_EMAIL_TRIMMED, 1);
	if (c->a.len != c->b.len || memcmp(c->a.p, c->b.p, c->a.len) != 0)
		note(w, LEG_N_EMAIL_UPPER, 1);
	for (int k = 3; k <= 5; k += 2)
		if (!is_null(w, k) && w->len[k] == 0)
			note(w, LEG_N_EMPTY_STRING, k);
	if (!is_null(w, 5) && memchr(w->v[5], ' ', w->len[5]) != NULL)
		note(w, LEG_N_VAT_SPACES, 5);
	conv_notes(w, 1, f & ~CONV_F_TRIMMED);
	tup_int8(w->out, (int64_t) id);
	tup_text(w->out, c->a.p, c->a.len);
	tup_text(w->out, c->b.p, c->b.len);
	if (text_col(w, 2, 255, false, &c->a) != 0 ||
	    text_col(w, 3, 255, true, &c->a) != 0)
		return (1);
	/* country */
	f = 0;
	if (is_null(w, 4))
		tup_null(w->out);
	else if (conv_country(w->v[4], w->len[4], &null, country, &f) !=
	    CONV_OK) {
		note(w, LEG_F_COUNTRY_INVALID, 4);
		tup_null(w->out);
	} else {
		if (f & CONV_F_CHANGED)
			note(w, LEG_F_COUNTRY_NORMALISED, 4);
		if (null)
			tup_null(w->out);
		else
			tup_text(w->out, country, 2);
	}
	if (text_col(w, 5, 32, true, &c->a) != 0)
		return (1);
	/* currency: NULL or '' is unset (API.md 6) */
	if (!is_null(w, 6)) {
		for (int i = 0; i < 3; i++)
			if (w->len[6] == 3 &&
			    memcmp(w->v[6], currencies[i], 3) == 0)
				cur = i;
		if (cur == LEG_CUR_NONE)
			note(w, LEG_F_CURRENCY_INVALID, 6);
	}
	if (cur == LEG_CUR_NONE)
		tup_null(w->out);
	else
		tup_text(w->out, currencies[cur], 3);
	tup_int8(w->out, balance);
	tup_text(w->out, statuses[status], strlen(statuses[status]));
	/* meta */
	f = 0;
	switch (conv_meta(w->v[9], w->len[9], is_null(w, 9), &c->a, &f)) {
	case CONV_OK:
		if (c->a.len == 2)
			note(w, LEG_N_META_EMPTY, 9);
		break;
	case CONV_INVALID:
		note(w, LEG_F_META_CORRUPT, 9);
		break;
	default:
		return (-1);
	}
	conv_notes(w, 9, f & ~CONV_F_REPAIRED);
	tup_jsonb(w->out, c->a.p, c->a.len);
	datetime_col(w, 10, &created_null, &created);
	/* updated_at: a TIMESTAMP, read in UTC; NOT NULL in the target */
	f = 0;
	null = true;
	if (!is_null(w, 11) &&
	    conv_timestamp_utc(w->v[11], w->len[11], &null, &updated, &f) !=
	        CONV_OK)
		null = true;
	if (null) {
		note(w, LEG_N_UPDATED_AT_ZERO, 11);
		updated = created_null ? 0 : created;
	}
	tup_ts(w->out, updated);
	w->r->money_kind = LEG_MONEY_BALANCE;
	w->r->cur = cur;
	w->r->money = balance;
	return (0);
}

/* Day of month of a "YYYY-MM-DD ..." value, 0 for none or zero. */
static int
wall_day(row *w, int col)
{
	const char *s = w->v[col];

	if (s == NULL || w->len[col] < 10 || s[8] < '0' || s[8] > '3' ||
	    s[9] < '0' || s[9] > '9')
		return (0);
	return ((s[8] - '0') * 10 + (s[9] - '0'));
}

static const char *const sub_statuses[] = { "trial", "active", "past_due",
	"cancelled", "expired" };

static int
subscription(row *w)
{
	leg_ctx *c = w->c;
	uint64_t id, uid, pid, qty, anchor;
	uint32_t u;
	int status;
	bool trial_zero = false;

	if (uint_col(w, 0, 1, UINT32_MAX, &id) != 0)
		return (1);
	w->r->id = (uint32_t) id;
	if (uint_col(w, 1, 1, UINT32_MAX, &uid) != 0 ||
	    uint_col(w, 2, 1, UINT32_MAX, &pid) != 0)
		return (1);
	u = idmap_get(&c->users, (uint32_t) uid);
	if (u == 0)
		return (quarantine(w, LEG_Q_USER_MISSING, 1));
	if (u == 2)
		return (quarantine(w, LEG_Q_USER_QUARANTINED, 1));
	if (idmap_get(&c->plans, (uint32_t) pid) == 0)
		return (quarantine(w, LEG_Q_PLAN_MISSING, 2));
	if (enum_col(w, 3, sub_statuses, 5, &status) != 0 ||
	    uint_col(w, 4, 1, INT32_MAX, &qty) != 0 ||
	    uint_col(w, 5, 0, 31, &anchor) != 0)
		return (1);
	if (anchor == 0) {
		/* The day of started_at (API.md 4), else of the period. */
		if ((anchor = (uint64_t) wall_day(w, 6)) == 0 &&
		    (anchor = (uint64_t) wall_day(w, 8)) == 0)
			return (quarantine(w, LEG_Q_NO_ANCHOR, 5));
		note(w, LEG_N_ANCHOR_ZERO, 5);
	}
	tup_int8(w->out, (int64_t) id);
	tup_int8(w->out, (int64_t) uid);
	tup_int8(w->out, (int64_t) pid);
	tup_text(w->out, sub_statuses[status], strlen(sub_statuses[status]));
	tup_int4(w->out, (int32_t) qty);
	tup_int2(w->out, (int16_t) anchor);
	datetime_col(w, 6, NULL, NULL);
	/* trial_ends_at: NULL, or the zero date kept apart from NULL */
	if (!is_null(w, 7) && w->len[7] == 19 &&
	    memcmp(w->v[7], "0000-00-00 00:00:00", 19) == 0) {
		trial_zero = true;
		note(w, LEG_N_TRIAL_ENDS_ZERO, 7);
		tup_null(w->out);
	} else
		datetime_col(w, 7, NULL, NULL);
	tup_bool(w->out, trial_zero);
	datetime_col(w, 8, NULL, NULL);
	datetime_col(w, 9, NULL, NULL);
	tup_bool(w->out, flag_value(w, 10));
	datetime_col(w, 11, NULL, NULL);
	datetime_col(w, 12, NULL, NULL);
	return (
	    idmap_set(&c->subs, (uint32_t) id, (uint32_t) uid) != 0 ? -1 : 0);
}

static bool
invoice_number_ok(const char *s, unsigned long n)
{
	if (s == NULL || n < 15 || n > 32 || memcmp(s, "INV-", 4) != 0 ||
	    s[8] != '-')
		return (false);
	for (unsigned long i = 4; i < n; i++)
		if (i != 8 && (s[i] < '0' || s[i] > '9'))
			return (false);
	return (true);
}

static int
invoice(row *w)
{
	static const char *const statuses[] = { "unpaid", "paid", "void",
		"refunded" };
	leg_ctx *c = w->c;
	uint64_t id, uid, sid = 0;
	int64_t subtotal, rate, tax, total;
	uint32_t u, su;
	int cur, status;

	if (uint_col(w, 0, 1, UINT32_MAX, &id) != 0)
		return (1);
	w->r->id = (uint32_t) id;
	if (uint_col(w, 2, 1, UINT32_MAX, &uid) != 0)
		return (1);
	u = idmap_get(&c->users, (uint32_t) uid);
	if (u == 0)
		return (quarantine(w, LEG_Q_USER_MISSING, 2));
	if (u == 2)
		return (quarantine(w, LEG_Q_USER_QUARANTINED, 2));
	if (!is_null(w, 3)) {
		if (uint_col(w, 3, 1, UINT32_MAX, &sid) != 0)
			return (1);
		su = idmap_get(&c->subs, (uint32_t) sid);
		if (su == 0)
			return (quarantine(w,
			    idmap_get(&c->subs_q, (uint32_t) sid)
			        ? LEG_Q_SUBSCRIPTION_QUARANTINED
			        : LEG_Q_SUBSCRIPTION_MISSING,
			    3));
		if (su != uid)
			return (
			    quarantine(w, LEG_Q_SUBSCRIPTION_OTHER_USER, 3));
	}
	if (!invoice_number_ok(w->v[1], w->len[1]))
		return (quarantine(w, LEG_Q_INVALID, 1));
	if (enum_col(w, 4, currencies, 3, &cur) != 0 ||
	    money_col(w, 5, 2, &subtotal) != 0 ||
	    money_col(w, 6, 2, &rate) != 0 || money_col(w, 7, 2, &tax) != 0 ||
	    money_col(w, 8, 2, &total) != 0 ||
	    enum_col(w, 9, statuses, 4, &status) != 0)
		return (1);
	if (rate < 0 || rate > 10000)
		return (quarantine(w, LEG_Q_INVALID, 6));
	if (subtotal + tax != total)
		note(w, LEG_F_TOTAL_MISMATCH, 8);
	tup_int8(w->out, (int64_t) id);
	tup_int8(w->out, (int64_t) uid);
	if (is_null(w, 3))
		tup_null(w->out);
	else
		tup_int8(w->out, (int64_t) sid);
	tup_text(w->out, w->v[1], w->len[1]);
	tup_text(w->out, currencies[cur], 3);
	tup_int8(w->out, subtotal);
	tup_int4(w->out, (int32_t) rate);
	tup_int8(w->out, tax);
	tup_int8(w->out, total);
	tup_text(w->out, statuses[status], strlen(statuses[status]));
	date_col(w, 10);
	date_col(w, 11);
	date_col(w, 12);
	datetime_col(w, 13, NULL, NULL);
	datetime_col(w, 14, NULL, NULL);
	w->r->money_kind = LEG_MONEY_INVOICE_TOTAL;
	w->r->cur = cur;
	w->r->money = total;
	return (idmap_set(&c->invoices, (uint32_t) id, (uint32_t) uid) != 0
	        ? -1
	        : 0);
}

/* The migrated invoice of col: its user id, else quarantined (0). */
static uint32_t
invoice_ref(row *w, int col, uint64_t *iid)
{
	uint32_t u;

	if (uint_col(w, col, 1, UINT32_MAX, iid) != 0)
		return (0);
	if ((u = idmap_get(&w->c->invoices, (uint32_t) *iid)) == 0)
		quarantine(w,
		    idmap_get(&w->c->inv_q, (uint32_t) *iid)
		        ? LEG_Q_INVOICE_QUARANTINED
		        : LEG_Q_INVOICE_MISSING,
		    col);
	return (u);
}

static int
item(row *w)
{
	uint64_t id, iid;
	uint32_t u;
	int32_t qty;
	int64_t unit, amount;

	if (uint_col(w, 0, 1, UINT32_MAX, &id) != 0)
		return (1);
	w->r->id = (uint32_t) id;
	if ((u = invoice_ref(w, 1, &iid)) == 0)
		return (1);
	if (int_col(w, 3, &qty) != 0 || money_col(w, 4, 2, &unit) != 0 ||
	    money_col(w, 5, 2, &amount) != 0)
		return (1);
	if ((int64_t) qty * unit != amount)
		note(w, LEG_F_AMOUNT_MISMATCH, 5);
	tup_int8(w->out, (int64_t) id);
	tup_int8(w->out, u);
	tup_int8(w->out, (int64_t) iid);
	if (text_col(w, 2, 255, false, &w->c->a) != 0)
		return (1);
	tup_int4(w->out, qty);
	tup_int8(w->out, unit);
	tup_int8(w->out, amount);
	return (0);
}

static int
payment(row *w)
{
	static const char *const methods[] = { "card", "paypal",
		"bank_transfer", "credit" };
	static const char *const statuses[] = { "success", "failed",
		"refunded" };
	uint64_t id, uid, iid = 0;
	uint32_t u;
	int64_t amount;
	int cur, method, status;

	if (uint_col(w, 0, 1, UINT32_MAX, &id) != 0)
		return (1);
	w->r->id = (uint32_t) id;
	if (uint_col(w, 2, 1, UINT32_MAX, &uid) != 0)
		return (1);
	u = idmap_get(&w->c->users, (uint32_t) uid);
	if (u == 0)
		return (quarantine(w, LEG_Q_USER_MISSING, 2));
	if (u == 2)
		return (quarantine(w, LEG_Q_USER_QUARANTINED, 2));
	if (is_null(w, 1))
		note(w, LEG_N_INVOICE_NULL, 1);
	else {
		if ((u = invoice_ref(w, 1, &iid)) == 0)
			return (1);
		if (u != uid)
			return (quarantine(w, LEG_Q_INVOICE_OTHER_USER, 1));
	}
	if (money_col(w, 3, 2, &amount) != 0 ||
	    enum_col(w, 4, currencies, 3, &cur) != 0 ||
	    enum_col(w, 5, methods, 4, &method) != 0 ||
	    enum_col(w, 7, statuses, 3, &status) != 0)
		return (1);
	tup_int8(w->out, (int64_t) id);
	tup_int8(w->out, (int64_t) uid);
	if (is_null(w, 1))
		tup_null(w->out);
	else
		tup_int8(w->out, (int64_t) iid);
	tup_int8(w->out, amount);
	tup_text(w->out, currencies[cur], 3);
	tup_text(w->out, methods[method], strlen(methods[method]));
	if (text_col(w, 6, 64, true, &w->c->a) != 0)
		return (1);
	tup_text(w->out, statuses[status], strlen(statuses[status]));
	datetime_col(w, 8, NULL, NULL);
	if (status == 0) {
		w->r->money_kind = LEG_MONEY_PAYMENT_SUCCESS;
		w->r->cur = cur;
		w->r->money = amount;
	}
	return (0);
}

static int
sequence(row *w)
{
	uint64_t year, last;

	if (uint_col(w, 0, 1970, 9999, &year) != 0)
		return (1);
	w->r->id = (uint32_t) year;
	if (uint_col(w, 1, 0, INT32_MAX, &last) != 0)
		return (1);
	tup_int4(w->out, (int32_t) year);
	tup_int4(w->out, (int32_t) last);
	return (0);
}

int
leg_convert(leg_ctx *c, leg_table t, MYSQL_ROW v, const unsigned long *lens,
    tup *out, leg_result *r)
{
	static int (*const conv[LEG_NTABLES])(row *) = { api_key, plan, user,
		subscription, invoice, item, payment, sequence };
	row w = { c, v, lens, out, r, t != LEG_USERS };
	uint64_t key = 0;
	int rv;

	memset(r, 0, sizeof(*r));
	r->qcol = -1;
	/* The key, for the quarantine even when out of the table's range
	 * (the converters check it). */
	for (unsigned long i = 0; v[0] != NULL && i < lens[0]; i++) {
		if (v[0][i] < '0' || v[0][i] > '9' ||
		    (key = key * 10 + (uint64_t) (v[0][i] - '0')) >
		        UINT32_MAX) {
			key = 0;
			break;
		}
	}
	r->id = (uint32_t) key;
	r->cur = LEG_CUR_NONE;
	tup_begin(out, leg_tables[t].nfields);
	rv = conv[t](&w);
	if (rv < 0 || out->err != 0)
		return (CONV_NOMEM);
	if (r->quarantine != LEG_OK)
		r->money_kind = LEG_MONEY_NONE;
	/* What later tables look up, by outcome. */
	switch (t) {
	case LEG_PLANS:
		if (r->quarantine == LEG_OK &&
		    idmap_set(&c->plans, r->id, 1) != 0)
			return (CONV_NOMEM);
		break;
	case LEG_USERS:
		if (r->id != 0 &&
		    idmap_set(&c->users, r->id,
		        r->quarantine == LEG_OK ? 1 : 2) != 0)
			return (CONV_NOMEM);
		break;
	case LEG_SUBSCRIPTIONS:
		if (r->quarantine != LEG_OK && r->id != 0 &&
		    idmap_set(&c->subs_q, r->id, 1) != 0)
			return (CONV_NOMEM);
		break;
	case LEG_INVOICES:
		if (r->quarantine != LEG_OK && r->id != 0 &&
		    idmap_set(&c->inv_q, r->id, 1) != 0)
			return (CONV_NOMEM);
		break;
	default:
		break;
	}
	return (0);
}

char *
leg_raw_value(const char *s, unsigned long len)
{
	json_t *j;
	char *text;

	if (s == NULL)
		j = json_null();
	else if (memchr(s, '\0', len) == NULL &&
	    (j = json_stringn(s, len)) != NULL)
		;
	else {
		static const char hex[] = "0123456789abcdef";
		char *h = malloc(len * 2 + 1);

		if (h == NULL)
			return (NULL);
		for (unsigned long i = 0; i < len; i++) {
			h[2 * i] = hex[(unsigned char) s[i] >> 4];
			h[2 * i + 1] = hex[(unsigned char) s[i] & 15];
		}
		j = json_pack("{s:s%}", "hex", h, (size_t) len * 2);
		free(h);
	}
	if (j == NULL)
		return (NULL);
	text = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
	json_decref(j);
	return (text);
}

char *
leg_raw_row(leg_table t, MYSQL_ROW row, const unsigned long *lens)
{
	json_t *o = json_object();
	char *text = NULL;

	if (o == NULL)
		return (NULL);
	for (int i = 0; i < LEG_MAX_COLS && leg_tables[t].cols[i]; i++) {
		char *v = leg_raw_value(row[i], lens[i]);
		json_t *j = v ? json_loads(v, JSON_DECODE_ANY, NULL) : NULL;

		free(v);
		if (j == NULL ||
		    json_object_set_new(o, leg_tables[t].cols[i], j) != 0)
			goto out;
	}
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
out:
	json_decref(o);
	return (text);
}

int
leg_row_money(leg_table t, MYSQL_ROW row, const unsigned long *lens, int *cur,
    int64_t *amount)
{
	int mcol, ccol, kind;

	switch (t) {
	case LEG_USERS:
		kind = LEG_MONEY_BALANCE, mcol = 7, ccol = 6;
		break;
	case LEG_INVOICES:
		kind = LEG_MONEY_INVOICE_TOTAL, mcol = 8, ccol = 4;
		break;
	case LEG_PAYMENTS:
		if (row[7] == NULL || lens[7] != 7 ||
		    memcmp(row[7], "success", 7) != 0)
			return (LEG_MONEY_NONE);
		kind = LEG_MONEY_PAYMENT_SUCCESS, mcol = 3, ccol = 4;
		break;
	default:
		return (LEG_MONEY_NONE);
	}
	*cur = LEG_CUR_NONE;
	for (int i = 0; i < 3; i++)
		if (row[ccol] != NULL && lens[ccol] == 3 &&
		    memcmp(row[ccol], currencies[i], 3) == 0)
			*cur = i;
	if (row[mcol] == NULL ||
	    conv_decimal(row[mcol], lens[mcol], 2, amount) != CONV_OK)
		return (LEG_MONEY_NONE);
	return (kind);
}
