/*
 * verify.c: `verify`, an independent re-reading of both sides.
 *
 * Nothing `run` recorded is trusted. Each legacy table is read again in
 * key order and converted by the data rules; the target table is read
 * in key order too (binary COPY, the bytes it stores), and so is the
 * quarantine; the three streams are merged by key. A migrated row must
 * be in the target with the same normalised values (the hash of its
 * binary tuple); a row the rules quarantine must be in the quarantine
 * with the same reason and not in the target; nothing else may be in
 * either. Money is summed by SQL on both sides, per currency, and must
 * agree once the quarantined rows (summed from the source) are added.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mig.h"

#define SHOW_DIFFS 10

static const char *const cur_names[LEG_NCUR] = { "EUR", "USD", "GBP",
	"(none)" };
static const char *const money_names[] = { "", "invoice totals",
	"successful payments", "user balances" };

typedef struct vfy {
	src s;
	tgt t, tq;
	leg_ctx c;
	tup tu, canon;
	uint64_t src_rows[LEG_NTABLES], tgt_rows[LEG_NTABLES],
	    quarantined[LEG_NTABLES], diffs[LEG_NTABLES];
	int64_t money_q[4][LEG_NCUR], money_src[4][LEG_NCUR],
	    money_tgt[4][LEG_NCUR];
	uint64_t shown;
	mig_progress prog;
} vfy;

static void
diff(vfy *v, leg_table t, uint32_t id, const char *what)
{
	v->diffs[t]++;
	if (v->shown++ < SHOW_DIFFS)
		printf("DIFF %s %" PRIu32 ": %s\n", leg_tables[t].source, id,
		    what);
}

/* The key of a target tuple (its first field: int8, or int4). */
static uint32_t
tuple_key(const char *p, size_t n)
{
	const unsigned char *u = (const unsigned char *) p;
	uint32_t len;
	uint64_t v = 0;

	if (n < 6)
		return (0);
	len = (uint32_t) u[2] << 24 | (uint32_t) u[3] << 16 |
	    (uint32_t) u[4] << 8 | u[5];
	if (len > 8 || n < 6 + len)
		return (0);
	for (uint32_t i = 0; i < len; i++)
		v = v << 8 | u[6 + i];
	return ((uint32_t) v);
}

/*
 * A target tuple with its jsonb field `field` in the canonical text the
 * data rules write (jansson, compact, sorted keys): jsonb prints keys
 * in its own order.
 */
static int
canonical(
    vfy *v, const char *p, size_t n, int field, const char **out, size_t *outn)
{
	const unsigned char *u = (const unsigned char *) p;
	size_t off = 2;
	int nf;

	if (n < 2)
		return (-1);
	nf = u[0] << 8 | u[1];
	tup_begin(&v->canon, nf);
	for (int i = 0; i < nf; i++) {
		int32_t len;

		if (off + 4 > n)
			return (-1);
		len = (int32_t) ((uint32_t) u[off] << 24 |
		    (uint32_t) u[off + 1] << 16 | (uint32_t) u[off + 2] << 8 |
		    u[off + 3]);
		off += 4;
		if (len < 0) {
			tup_null(&v->canon);
			continue;
		}
		if ((size_t) len > n - off)
			return (-1);
		if (i == field && len >= 1) {
			json_t *j =
			    json_loadb(p + off + 1, (size_t) len - 1, 0, NULL);
			char *s = j
			    ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS)
			    : NULL;

			json_decref(j);
			if (s == NULL)
				return (-1);
			tup_jsonb(&v->canon, s, strlen(s));
			free(s);
		} else {
			uint32_t be = (uint32_t) len;
			unsigned char hdr[4] = { (unsigned char) (be >> 24),
				(unsigned char) (be >> 16),
				(unsigned char) (be >> 8),
				(unsigned char) be };

			if (conv_buf_put(&v->canon.b, hdr, 4) != CONV_OK ||
			    conv_buf_put(&v->canon.b, p + off, (size_t) len) !=
			        CONV_OK)
				return (-1);
		}
		off += (size_t) len;
	}
	if (v->canon.err != 0 || off != n)
		return (-1);
	*out = v->canon.b.p;
	*outn = v->canon.b.len;
	return (0);
}

/* The next target row: 1 with key and hash, 0 at the end, -1 error. */
static int
next_target(vfy *v, leg_table t, uint32_t *key, uint64_t *hash)
{
	const char *p;
	size_t n;
	int r = tgt_copy_out_next(&v->t, &p, &n);

	if (r <= 0)
		return (r);
	*key = tuple_key(p, n);
	if (t == LEG_USERS && canonical(v, p, n, 10, &p, &n) != 0)
		return (-1);
	*hash = tup_hash(p, n, t);
	v->tgt_rows[t]++;
	return (1);
}

/* The next quarantine row of the table: 1, 0 at the end, -1 error. */
static int
next_quarantine(vfy *v, uint32_t *key, char *reason, size_t cap)
{
	const char *p;
	size_t n;
	int r = tgt_copy_out_next(&v->tq, &p, &n);
	uint32_t len;

	if (r <= 0)
		return (r);
	/* (legacy_id int8, reason text) */
	*key = tuple_key(p, n);
	if (n < 18)
		return (-1);
	len = (uint32_t) (unsigned char) p[14] << 24 |
	    (uint32_t) (unsigned char) p[15] << 16 |
	    (uint32_t) (unsigned char) p[16] << 8 | (unsigned char) p[17];
	if (len >= cap || 18 + len > n)
		return (-1);
	memcpy(reason, p + 18, len);
	reason[len] = '\0';
	return (1);
}

static int
open_streams(vfy *v, leg_table t)
{
	const leg_table_def *d = &leg_tables[t];
	char sql[600];

	snprintf(sql, sizeof(sql),
	    "COPY (SELECT %s FROM %s ORDER BY %s) TO STDOUT (FORMAT binary)",
	    d->copy_cols, d->target, d->key);
	if (tgt_copy_out_begin(&v->t, sql) != 0)
		return (-1);
	/* The table names are the constants of legacy.c. */
	snprintf(sql, sizeof(sql),
	    "COPY (SELECT legacy_id, reason FROM billing_migrate.quarantine"
	    " WHERE tbl = '%s' ORDER BY legacy_id) TO STDOUT (FORMAT binary)",
	    d->source);
	if (tgt_copy_out_begin(&v->tq, sql) != 0)
		return (-1);
	return (src_query(&v->s, d->select));
}

/* Source row (converted) against the target and quarantine streams. */
typedef struct cursor {
	int has;
	uint32_t key;
	uint64_t hash;
	char reason[64];
} cursor;

static int
verify_table(vfy *v, leg_table t)
{
	cursor tc = { 0 }, qc = { 0 };
	MYSQL_ROW row;
	unsigned long *lens;
	leg_result res;
	int r;

	if (open_streams(v, t) != 0)
		return (-1);
	if ((tc.has = next_target(v, t, &tc.key, &tc.hash)) < 0 ||
	    (qc.has = next_quarantine(
	         v, &qc.key, qc.reason, sizeof(qc.reason))) < 0)
		return (-1);
	while ((r = src_next(&v->s, &row, &lens)) == 1) {
		int kind, cur;
		int64_t amount;

		if (leg_convert(&v->c, t, row, lens, &v->tu, &res) != 0)
			return (-1);
		v->src_rows[t]++;
		mig_progress_tick(&v->prog, leg_tables[t].source);
		/* Target rows below this key were never in the source. */
		while (tc.has == 1 && tc.key < res.id) {
			diff(v, t, tc.key, "in the target, not in the source");
			if ((tc.has = next_target(v, t, &tc.key, &tc.hash)) <
			    0)
				return (-1);
		}
		while (qc.has == 1 && qc.key < res.id) {
			diff(v, t, qc.key, "quarantined, not in the source");
			if ((qc.has = next_quarantine(v, &qc.key, qc.reason,
			         sizeof(qc.reason))) < 0)
				return (-1);
		}
		if (res.quarantine != LEG_OK) {
			v->quarantined[t]++;
			kind = leg_row_money(t, row, lens, &cur, &amount);
			if (kind != LEG_MONEY_NONE)
				v->money_q[kind][cur] += amount;
			if (qc.has != 1 || qc.key != res.id)
				diff(v, t, res.id,
				    "quarantined by the rules, "
				    "not in the quarantine");
			else if (strcmp(qc.reason,
			             leg_code_name(res.quarantine)) != 0)
				diff(v, t, res.id,
				    "quarantined for another reason");
			if (tc.has == 1 && tc.key == res.id)
				diff(v, t, res.id,
				    "quarantined, yet in the target");
		} else {
			uint64_t h = tup_hash(v->tu.b.p, v->tu.b.len, t);

			if (tc.has != 1 || tc.key != res.id)
				diff(v, t, res.id, "missing in the target");
			else if (tc.hash != h)
				diff(v, t, res.id, "values differ");
			if (qc.has == 1 && qc.key == res.id)
				diff(v, t, res.id,
				    "migrated, yet in the quarantine");
		}
		if (tc.has == 1 && tc.key == res.id &&
		    (tc.has = next_target(v, t, &tc.key, &tc.hash)) < 0)
			return (-1);
		if (qc.has == 1 && qc.key == res.id &&
		    (qc.has = next_quarantine(
		         v, &qc.key, qc.reason, sizeof(qc.reason))) < 0)
			return (-1);
	}
	if (r < 0)
		return (-1);
	src_end(&v->s);
	for (; tc.has == 1; tc.has = next_target(v, t, &tc.key, &tc.hash))
		diff(v, t, tc.key, "in the target, not in the source");
	for (; qc.has == 1; qc.has = next_quarantine(
	                        v, &qc.key, qc.reason, sizeof(qc.reason)))
		diff(v, t, qc.key, "quarantined, not in the source");
	return (tc.has < 0 || qc.has < 0 ? -1 : 0);
}

static int
cur_index(const char *s)
{
	for (int i = 0; i < 3; i++)
		if (s != NULL && strcmp(s, cur_names[i]) == 0)
			return (i);
	return (LEG_CUR_NONE);
}

/* Money sums by SQL: the legacy DECIMALs, the target's cents. */
static int
money_sums(vfy *v)
{
	static const char *const src_sql[] = { NULL,
		"SELECT currency, SUM(total) FROM invoices GROUP BY currency",
		"SELECT currency, SUM(amount) FROM payments"
		" WHERE status = 'success' GROUP BY currency",
		"SELECT currency, SUM(balance) FROM users GROUP BY currency" };
	static const char *const tgt_sql[] = {
		NULL,
		"SELECT currency, sum(total_minor) FROM invoices GROUP BY 1",
		"SELECT currency, sum(amount_minor) FROM payments"
		" WHERE status = 'success' GROUP BY 1",
		"SELECT currency, sum(balance_minor) FROM customers GROUP BY 1"
	};

	for (int k = 1; k <= 3; k++) {
		MYSQL_ROW row;
		unsigned long *lens;
		PGresult *res;
		int r;

		if (src_query(&v->s, src_sql[k]) != 0)
			return (-1);
		while ((r = src_next(&v->s, &row, &lens)) == 1) {
			int64_t x;

			if (row[1] == NULL ||
			    conv_decimal(row[1], lens[1], 2, &x) != CONV_OK)
				return (-1);
			v->money_src[k][cur_index(row[0])] += x;
		}
		src_end(&v->s);
		if (r < 0 || tgt_query(&v->t, tgt_sql[k], 0, NULL, &res) != 0)
			return (-1);
		for (int i = 0; i < PQntuples(res); i++)
			v->money_tgt[k][cur_index(PQgetisnull(res, i, 0)
			        ? NULL
			        : PQgetvalue(res, i, 0))] +=
			    strtoll(PQgetvalue(res, i, 1), NULL, 10);
		PQclear(res);
	}
	return (0);
}

static void
money_line(char *buf, size_t cap, int64_t m)
{
	snprintf(buf, cap, "%s%" PRId64 ".%02" PRId64, m < 0 ? "-" : "",
	    (m < 0 ? -m : m) / 100, (m < 0 ? -m : m) % 100);
}

/* Prints the money table; returns the number of differences. */
static int
print_money(vfy *v)
{
	int bad = 0;

	printf("%-20s %-6s %14s %14s %14s  %s\n", "money", "cur", "source",
	    "target", "quarantined", "");
	for (int k = 1; k <= 3; k++)
		for (int c = 0; c < LEG_NCUR; c++) {
			char a[32], b[32], q[32];
			int64_t s = v->money_src[k][c], t = v->money_tgt[k][c],
			        qq = v->money_q[k][c];
			bool ok = s == t + qq;

			if (s == 0 && t == 0 && qq == 0)
				continue;
			money_line(a, sizeof(a), s);
			money_line(b, sizeof(b), t);
			money_line(q, sizeof(q), qq);
			printf("%-20s %-6s %14s %14s %14s  %s\n",
			    money_names[k], cur_names[c], a, b, q,
			    ok ? "ok" : "DIFFERENT");
			bad += !ok;
		}
	return (bad);
}

/* Every identity must hand out ids above the legacy ones. */
static int
check_identities(vfy *v, const mig_identity *id)
{
	int bad = 0;

	for (int t = 0; t < LEG_SEQUENCES; t++) {
		char sql[300];
		PGresult *res;
		long long next;

		snprintf(sql, sizeof(sql),
		    "SELECT pg_get_serial_sequence('%s', 'id')",
		    leg_tables[t].target);
		if (tgt_query(&v->t, sql, 0, NULL, &res) != 0)
			return (-1);
		snprintf(sql, sizeof(sql),
		    "SELECT CASE WHEN is_called THEN last_value + 1"
		    " ELSE last_value END FROM %s",
		    PQgetvalue(res, 0, 0));
		PQclear(res);
		if (tgt_query(&v->t, sql, 0, NULL, &res) != 0)
			return (-1);
		next = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		PQclear(res);
		if (id->rows[t] > 0 && next <= id->max[t]) {
			printf("DIFF %s: the next id %lld is not above the"
			       " legacy ids (%lld)\n",
			    leg_tables[t].target, next, id->max[t]);
			bad++;
		}
	}
	return (bad);
}

static int
verify_all(vfy *v, const mig_opts *o)
{
	mig_identity id;
	uint64_t diffs = 0;
	int bad;
	double t0 = mig_now();

	if (mig_identity_read(&v->s, &id) != 0)
		return (-1);
	mig_progress_init(&v->prog, o->progress, (uint64_t) id.total);
	for (int t = 0; t < LEG_NTABLES; t++)
		if (verify_table(v, (leg_table) t) != 0)
			return (-1);
	mig_progress_done(&v->prog);
	if (money_sums(v) != 0)
		return (-1);
	printf("%-18s %10s %10s %12s %12s\n", "table", "source", "target",
	    "quarantined", "differences");
	for (int t = 0; t < LEG_NTABLES; t++) {
		printf("%-18s %10" PRIu64 " %10" PRIu64 " %12" PRIu64
		       " %12" PRIu64 "\n",
		    leg_tables[t].source, v->src_rows[t], v->tgt_rows[t],
		    v->quarantined[t], v->diffs[t]);
		diffs += v->diffs[t];
	}
	bad = print_money(v);
	if ((bad += check_identities(v, &id)) < 0)
		return (-1);
	printf("verify: %" PRIu64 " row differences, %d other differences,"
	       " %.2f s\n",
	    diffs, bad, mig_now() - t0);
	return (diffs == 0 && bad == 0 ? 0 : 1);
}

int
mig_verify(const mig_opts *o)
{
	vfy *v = calloc(1, sizeof(*v));
	int rv = MIG_FAILED, r;
	char *has = NULL;

	if (v == NULL || leg_ctx_init(&v->c) != 0) {
		fprintf(stderr, "billing-migrate: out of memory\n");
		free(v);
		return (MIG_FAILED);
	}
	tup_init(&v->tu);
	tup_init(&v->canon);
	if (src_open(&v->s, o->source) != 0) {
		fprintf(stderr, "billing-migrate: %s\n", v->s.err);
		goto out;
	}
	if (tgt_open(&v->t, o->target) != 0 ||
	    tgt_open(&v->tq, o->target) != 0 ||
	    tgt_exec(&v->t, "SET work_mem = '128MB'") != 0) {
		fprintf(
		    stderr, "billing-migrate: %s%s\n", v->t.err, v->tq.err);
		goto out;
	}
	{
		PGresult *res;

		if (tgt_query(&v->t,
		        "SELECT to_regclass('billing_migrate.quarantine')", 0,
		        NULL, &res) != 0) {
			fprintf(stderr, "billing-migrate: %s\n", v->t.err);
			goto out;
		}
		if (!PQgetisnull(res, 0, 0))
			has = strdup("t");
		PQclear(res);
	}
	if (has == NULL) {
		fprintf(
		    stderr, "billing-migrate: nothing migrated to verify\n");
		goto out;
	}
	r = verify_all(v, o);
	if (r < 0)
		fprintf(stderr, "billing-migrate: %s%s%s\n", v->s.err,
		    v->t.err, v->tq.err);
	rv = r == 0 ? MIG_OK : MIG_FAILED;
out:
	free(has);
	src_close(&v->s);
	tgt_close(&v->t);
	tgt_close(&v->tq);
	leg_ctx_fini(&v->c);
	tup_fini(&v->tu);
	tup_fini(&v->canon);
	free(v);
	return (rv);
}
