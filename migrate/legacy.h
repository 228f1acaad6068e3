/*
 * legacy: the legacy tables and the data rules that turn each of their
 * rows into a row of the project's schema, or send it to the quarantine
 * (docs/migration.md). One function per table; `run`, `check` and
 * `verify` share them, so all three apply the same rules.
 */
#ifndef MIGRATE_LEGACY_H
#define MIGRATE_LEGACY_H

#include <stdbool.h>
#include <stdint.h>

#include <mysql.h>

#include "conv.h"
#include "idmap.h"
#include "tuple.h"

typedef enum leg_table {
	LEG_API_KEYS,
	LEG_PLANS,
	LEG_USERS,
	LEG_SUBSCRIPTIONS,
	LEG_INVOICES,
	LEG_ITEMS,
	LEG_PAYMENTS,
	LEG_SEQUENCES,
	LEG_NTABLES
} leg_table;

#define LEG_MAX_COLS 16

typedef struct leg_table_def {
	const char *source;             /* legacy table */
	const char *target;             /* project table */
	const char *select;             /* the legacy columns, in key order */
	const char *cols[LEG_MAX_COLS]; /* their names, NULL-terminated */
	const char *copy_cols;          /* the target's columns, COPY order */
	int nfields;                    /* of copy_cols */
	const char *key;                /* target key column */
} leg_table_def;

extern const leg_table_def leg_tables[LEG_NTABLES];

/* What a rule found in a row: quarantine reasons, flags and notes. */
typedef enum leg_code {
	LEG_OK,
	/* quarantine: the row cannot enter the schema */
	LEG_Q_USER_MISSING,
	LEG_Q_USER_QUARANTINED,
	LEG_Q_PLAN_MISSING,
	LEG_Q_SUBSCRIPTION_MISSING,
	LEG_Q_SUBSCRIPTION_QUARANTINED,
	LEG_Q_SUBSCRIPTION_OTHER_USER,
	LEG_Q_INVOICE_MISSING,
	LEG_Q_INVOICE_QUARANTINED,
	LEG_Q_INVOICE_OTHER_USER,
	LEG_Q_INVALID,
	LEG_Q_NO_ANCHOR,
	/* flags: a value was changed; the raw one is kept */
	LEG_F_EMAIL_TRIMMED,
	LEG_F_COUNTRY_NORMALISED,
	LEG_F_COUNTRY_INVALID,
	LEG_F_CURRENCY_INVALID,
	LEG_F_META_CORRUPT,
	LEG_F_BAD_UTF8,
	LEG_F_NUL_REMOVED,
	LEG_F_TRUNCATED,
	LEG_F_DATETIME_INVALID,
	LEG_F_TOTAL_MISMATCH,
	LEG_F_AMOUNT_MISMATCH,
	LEG_F_KEY_CASE,
	/* notes: represented as they are, counted */
	LEG_N_ZERO_DATE,
	LEG_N_TRIAL_ENDS_ZERO,
	LEG_N_ANCHOR_ZERO,
	LEG_N_DST_GAP,
	LEG_N_DST_AMBIGUOUS,
	LEG_N_UTF8_REPAIRED,
	LEG_N_INVOICE_NULL,
	LEG_N_UPDATED_AT_ZERO,
	LEG_N_EMAIL_UPPER,
	LEG_N_EMPTY_STRING,
	LEG_N_VAT_SPACES,
	LEG_N_META_EMPTY,
	LEG_N_UTF8_NATIVE,
	LEG_NCODES
} leg_code;

#define LEG_IS_QUARANTINE(c) \
	((c) >= LEG_Q_USER_MISSING && (c) <= LEG_Q_NO_ANCHOR)
#define LEG_IS_FLAG(c) ((c) >= LEG_F_EMAIL_TRIMMED && (c) <= LEG_F_KEY_CASE)

/* The code's name ("user_missing") and what it means. */
const char *leg_code_name(leg_code c);
const char *leg_code_text(leg_code c);

#define LEG_MAX_FINDINGS 24

typedef struct leg_finding {
	uint8_t code, col; /* col: index into the table's cols */
} leg_finding;

/* Currencies of the money totals; LEG_CUR_NONE: NULL or other. */
enum { LEG_EUR, LEG_USD, LEG_GBP, LEG_CUR_NONE, LEG_NCUR };

/* Money of a row for the totals (which depends on the table). */
enum {
	LEG_MONEY_NONE,
	LEG_MONEY_INVOICE_TOTAL,
	LEG_MONEY_PAYMENT_SUCCESS,
	LEG_MONEY_BALANCE
};

typedef struct leg_result {
	uint32_t id;         /* the legacy key (year for sequences) */
	leg_code quarantine; /* LEG_OK, or why the row is quarantined */
	int qcol;            /* the column at fault, or -1 */
	int nfindings;
	leg_finding findings[LEG_MAX_FINDINGS];
	int money_kind, cur;
	int64_t money;
} leg_result;

/* The ids already migrated (and quarantined) that later tables refer to. */
typedef struct leg_ctx {
	idmap users;    /* 1 migrated, 2 quarantined */
	idmap plans;    /* 1 migrated */
	idmap subs;     /* user id of a migrated subscription */
	idmap subs_q;   /* 1: quarantined */
	idmap invoices; /* user id of a migrated invoice */
	idmap inv_q;    /* 1: quarantined */
	conv_buf a, b, c;
} leg_ctx;

int leg_ctx_init(leg_ctx *c);
void leg_ctx_fini(leg_ctx *c);

/*
 * Converts one legacy row of table t (the columns of its select) into
 * out (a binary COPY tuple of copy_cols) and fills r. Returns 0 (the
 * row converted, or r->quarantine says why not), or CONV_NOMEM.
 */
int leg_convert(leg_ctx *c, leg_table t, MYSQL_ROW row,
    const unsigned long *lens, tup *out, leg_result *r);

/*
 * The money a raw row counts toward (invoice total, successful payment,
 * user balance) and its currency: the kind, or LEG_MONEY_NONE.
 */
int leg_row_money(leg_table t, MYSQL_ROW row, const unsigned long *lens,
    int *cur, int64_t *amount);

/*
 * A raw value as JSON: a string when it is UTF-8 without NUL, else
 * {"hex": "..."}; NULL is null. The caller frees the result (jansson).
 */
char *leg_raw_value(const char *s, unsigned long len);
/* The whole raw row as a JSON object of such values. */
char *leg_raw_row(leg_table t, MYSQL_ROW row, const unsigned long *lens);

#endif /* MIGRATE_LEGACY_H */
