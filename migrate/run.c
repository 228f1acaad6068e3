/*
 * run.c: `run` and `rollback`.
 *
 * `run` is one PostgreSQL transaction: the schema (when the target has
 * none), the bookkeeping schema billing_migrate, every table by COPY,
 * the identity sequences and the record of the migration. A crash at
 * any point leaves the target as it was, and `run` starts over; a
 * second `run` after success finds the record and changes nothing.
 * The target tables are empty when it starts, so their keys, indexes
 * and foreign keys are dropped and made again after the load, inside
 * the same transaction: one index build per index instead of an index
 * insert and a foreign key check per row.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "../server/migrate.h"
#include "mig.h"

/* Serialises run and rollback on one target (any fixed number). */
#define MIG_LOCK "SELECT pg_advisory_xact_lock(7294573630)"

#define BOOKKEEPING_DDL                                                    \
	"CREATE SCHEMA billing_migrate;"                                   \
	"CREATE TABLE billing_migrate.migration ("                         \
	" id integer PRIMARY KEY CHECK (id = 1),"                          \
	" source text NOT NULL,"                                           \
	" source_identity jsonb NOT NULL,"                                 \
	" schema_created boolean NOT NULL,"                                \
	" created_objects jsonb NOT NULL,"                                 \
	" prior_sequences jsonb NOT NULL,"                                 \
	" counts jsonb NOT NULL,"                                          \
	" findings jsonb NOT NULL,"                                        \
	" checksums jsonb NOT NULL,"                                       \
	" tool text NOT NULL,"                                             \
	" seconds double precision NOT NULL,"                              \
	" finished_at timestamptz NOT NULL DEFAULT clock_timestamp());"    \
	"CREATE TABLE billing_migrate.quarantine ("                        \
	" tbl text NOT NULL, legacy_id bigint NOT NULL,"                   \
	" reason text NOT NULL, detail text NOT NULL, raw jsonb NOT NULL," \
	" PRIMARY KEY (tbl, legacy_id));"                                  \
	"CREATE TABLE billing_migrate.flags ("                             \
	" tbl text NOT NULL, legacy_id bigint NOT NULL,"                   \
	" flag text NOT NULL, col text NOT NULL, raw jsonb NOT NULL);"

/* Objects of the public schema, to tell what the migrations created. */
#define OBJECTS_SQL                                                      \
	"SELECT coalesce(jsonb_agg(o ORDER BY o), '[]') FROM ("          \
	" SELECT 'table ' || c.oid::regclass::text AS o FROM pg_class c" \
	"  WHERE c.relnamespace = 'public'::regnamespace"                \
	"  AND c.relkind IN ('r', 'p', 'v', 'm')"                        \
	" UNION ALL SELECT 'function ' || p.oid::regprocedure::text"     \
	"  FROM pg_proc p LEFT JOIN pg_depend d ON d.classid ="          \
	"  'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'"  \
	"  WHERE p.pronamespace = 'public'::regnamespace"                \
	"  AND d.objid IS NULL"                                          \
	" UNION ALL SELECT 'extension ' || quote_ident(extname) FROM "   \
	"pg_extension) x"

/* The keys, indexes and foreign keys of the target tables. */
#define DEFERRED_SQL                                                          \
	"SELECT 1, format('ALTER TABLE %s DROP CONSTRAINT %I',"               \
	"  conrelid::regclass, conname),"                                     \
	" format('ALTER TABLE %s ADD CONSTRAINT %I %s', conrelid::regclass,"  \
	"  conname, pg_get_constraintdef(oid))"                               \
	" FROM pg_constraint WHERE contype = 'f' AND conrelid = "             \
	"ANY($1::regclass[])"                                                 \
	" UNION ALL SELECT 2, format('DROP INDEX %s', indexrelid::regclass)," \
	" pg_get_indexdef(indexrelid) FROM pg_index i"                        \
	" WHERE indrelid = ANY($1::regclass[]) AND NOT EXISTS (SELECT 1"      \
	"  FROM pg_constraint c WHERE c.conindid = i.indexrelid)"             \
	" UNION ALL SELECT 3, format('ALTER TABLE %s DROP CONSTRAINT %I',"    \
	"  conrelid::regclass, conname),"                                     \
	" format('ALTER TABLE %s ADD CONSTRAINT %I %s', conrelid::regclass,"  \
	"  conname, pg_get_constraintdef(oid))"                               \
	" FROM pg_constraint WHERE contype IN ('p', 'u')"                     \
	" AND conrelid = ANY($1::regclass[]) ORDER BY 1"

#define TARGET_ARRAY                                                      \
	"{api_keys,plans,customers,subscriptions,invoices,invoice_items," \
	"payments,invoice_sequences}"

typedef struct run_ctx {
	const mig_opts *o;
	src s;
	tgt t;
	leg_ctx c;
	rep *r;
	tup tu, aux;
	FILE *qf, *ff; /* quarantine and flag rows, COPYed at the end */
	mig_progress prog;
	double copy_s, keys_s, commit_s; /* where the time went */
} run_ctx;

static int
fail_src(run_ctx *rc)
{
	fprintf(stderr, "billing-migrate: %s\n", rc->s.err);
	return (MIG_FAILED);
}

static int
fail_tgt(run_ctx *rc)
{
	fprintf(stderr, "billing-migrate: %s\n", rc->t.err);
	return (MIG_FAILED);
}

/* One text value of a one-row, one-column query; NULL when none. */
static char *
scalar(tgt *t, const char *sql, int n, const char *const *p, int *err)
{
	PGresult *res;
	char *v = NULL;

	*err = 0;
	if (tgt_query(t, sql, n, p, &res) != 0) {
		*err = 1;
		return (NULL);
	}
	if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
		v = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return (v);
}

/* A tuple of the quarantine (or flags) table into f. */
static int
write_aux(run_ctx *rc, FILE *f, leg_table t, uint32_t id, const char *what,
    const char *col, const char *raw)
{
	tup *a = &rc->aux;

	tup_begin(a, 5);
	tup_text(a, leg_tables[t].source, strlen(leg_tables[t].source));
	tup_int8(a, id);
	tup_text(a, what, strlen(what));
	tup_text(a, col, strlen(col));
	tup_jsonb(a, raw, strlen(raw));
	if (a->err != 0 || fwrite(a->b.p, 1, a->b.len, f) != a->b.len)
		return (-1);
	return (0);
}

/* The quarantine row, and the flags of a migrated row, of res. */
static int
side_rows(run_ctx *rc, leg_table t, const leg_result *res, MYSQL_ROW row,
    const unsigned long *lens)
{
	char *raw;
	int rv = 0;

	if (res->quarantine != LEG_OK) {
		if ((raw = leg_raw_row(t, row, lens)) == NULL)
			return (-1);
		rv = write_aux(rc, rc->qf, t, res->id,
		    leg_code_name(res->quarantine),
		    res->qcol >= 0 ? leg_tables[t].cols[res->qcol] : "", raw);
		free(raw);
		return (rv);
	}
	for (int i = 0; i < res->nfindings && rv == 0; i++) {
		const leg_finding *f = &res->findings[i];

		if (!LEG_IS_FLAG(f->code))
			continue;
		if ((raw = leg_raw_value(row[f->col], lens[f->col])) == NULL)
			return (-1);
		rv = write_aux(rc, rc->ff, t, res->id,
		    leg_code_name((leg_code) f->code),
		    leg_tables[t].cols[f->col], raw);
		free(raw);
	}
	return (rv);
}

/*
 * A test's failpoint: with BILLING_MIGRATE_TEST_STALL=TABLE, run stops
 * in the middle of that table's COPY (its rows sent, not ended) until
 * it is killed, so that a test can kill -9 it there.
 */
static void
stall_point(tgt *t, const char *table)
{
	const char *at = getenv("BILLING_MIGRATE_TEST_STALL");

	if (at == NULL || strcmp(at, table) != 0)
		return;
	tgt_copy_flush(t);
	fprintf(stderr, "billing-migrate: stalled in %s\n", table);
	for (;;)
		pause();
}

static int
load_table(run_ctx *rc, leg_table t)
{
	const leg_table_def *d = &leg_tables[t];
	char sql[512];
	MYSQL_ROW row;
	unsigned long *lens;
	leg_result res;
	int r;

	/* The table is empty and its foreign keys are dropped: emptied in
	 * this transaction, COPY may write its rows frozen (FREEZE), so
	 * nothing checks or rewrites them for visibility afterwards. */
	snprintf(sql, sizeof(sql), "TRUNCATE %s", d->target);
	if (tgt_exec(&rc->t, sql) != 0)
		return (fail_tgt(rc));
	snprintf(sql, sizeof(sql),
	    "COPY %s (%s) FROM STDIN (FORMAT binary, FREEZE)", d->target,
	    d->copy_cols);
	if (src_query(&rc->s, d->select) != 0)
		return (fail_src(rc));
	if (tgt_copy_begin(&rc->t, sql) != 0)
		return (fail_tgt(rc));
	while ((r = src_next(&rc->s, &row, &lens)) == 1) {
		uint64_t h = 0;

		if (leg_convert(&rc->c, t, row, lens, &rc->tu, &res) != 0) {
			fprintf(stderr, "billing-migrate: out of memory\n");
			return (MIG_FAILED);
		}
		if (res.quarantine == LEG_OK) {
			h = tup_hash(rc->tu.b.p, rc->tu.b.len, t);
			if (tgt_copy_put(&rc->t, rc->tu.b.p, rc->tu.b.len) !=
			    0)
				return (fail_tgt(rc));
		}
		if (side_rows(rc, t, &res, row, lens) != 0) {
			perror("billing-migrate: temporary file");
			return (MIG_FAILED);
		}
		rep_add(rc->r, t, &res, h);
		mig_progress_tick(&rc->prog, d->source);
	}
	if (r < 0)
		return (fail_src(rc));
	src_end(&rc->s);
	stall_point(&rc->t, d->source);
	if (tgt_copy_end(&rc->t) != 0)
		return (fail_tgt(rc));
	return (MIG_OK);
}

/* COPYs a temporary file of tuples into table. */
static int
load_aux(run_ctx *rc, FILE *f, const char *table, const char *cols)
{
	char sql[256], buf[1 << 16];
	size_t n;

	snprintf(sql, sizeof(sql), "COPY %s (%s) FROM STDIN (FORMAT binary)",
	    table, cols);
	if (fflush(f) != 0 || fseek(f, 0, SEEK_SET) != 0)
		return (MIG_FAILED);
	if (tgt_copy_begin(&rc->t, sql) != 0)
		return (fail_tgt(rc));
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (tgt_copy_put(&rc->t, buf, n) != 0)
			return (fail_tgt(rc));
	if (ferror(f) || tgt_copy_end(&rc->t) != 0)
		return (fail_tgt(rc));
	return (MIG_OK);
}

/* Runs each statement of a query's column 1 (or 2) in order of column 0. */
static int
run_column(run_ctx *rc, PGresult *res, int col, int reverse)
{
	int n = PQntuples(res);

	for (int i = 0; i < n; i++) {
		int k = reverse ? n - 1 - i : i;

		if (tgt_exec(&rc->t, PQgetvalue(res, k, col)) != 0)
			return (fail_tgt(rc));
	}
	return (MIG_OK);
}

/* The identity sequences' states: {"customers": [last_value, is_called]}. */
static char *
sequences_json(run_ctx *rc)
{
	json_t *o = json_object();
	char *text = NULL;
	int err = 0;

	for (int t = 0; o != NULL && !err && t < LEG_SEQUENCES; t++) {
		const char *name = leg_tables[t].target;
		char *seq =
		    scalar(&rc->t, "SELECT pg_get_serial_sequence($1, 'id')",
		        1, (const char *const[]) { name }, &err);
		char sql[300];
		PGresult *res;

		if (seq == NULL) {
			err = 1;
			break;
		}
		/* The name comes quoted from the catalog. */
		snprintf(sql, sizeof(sql),
		    "SELECT last_value, is_called FROM %s", seq);
		free(seq);
		if (tgt_query(&rc->t, sql, 0, NULL, &res) != 0) {
			err = 1;
			break;
		}
		json_object_set_new(o, name,
		    json_pack("[I, b]",
		        (json_int_t) strtoll(PQgetvalue(res, 0, 0), NULL, 10),
		        PQgetvalue(res, 0, 1)[0] == 't'));
		PQclear(res);
	}
	if (!err && o != NULL)
		text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return (text);
}

/* Moves each identity past the highest legacy id (transactional). */
static int
restart_identities(run_ctx *rc, const mig_identity *id)
{
	for (int t = 0; t < LEG_SEQUENCES; t++) {
		char sql[256];

		if (id->rows[t] == 0)
			continue;
		snprintf(sql, sizeof(sql),
		    "ALTER TABLE %s ALTER COLUMN id RESTART WITH %lld",
		    leg_tables[t].target, id->max[t] + 1);
		if (tgt_exec(&rc->t, sql) != 0)
			return (fail_tgt(rc));
	}
	return (MIG_OK);
}

/*
 * The target's state: 1 a migration is recorded (*identity: "t" when
 * its source identity is identity_now), 0 it may be loaded, -1 error
 * (printed).
 */
static int
target_state(run_ctx *rc, const char *identity_now, char **identity,
    bool *schema_missing)
{
	int err;
	char *v;

	*identity = NULL;
	v = scalar(&rc->t,
	    "SELECT to_regclass('billing_migrate.migration') IS NOT NULL", 0,
	    NULL, &err);
	if (err)
		return (fail_tgt(rc), -1);
	if (v != NULL && strcmp(v, "t") == 0) {
		free(v);
		*identity = scalar(&rc->t,
		    "SELECT source_identity = $1::jsonb FROM"
		    " billing_migrate.migration",
		    1, (const char *const[]) { identity_now }, &err);
		if (err)
			return (fail_tgt(rc), -1);
		if (*identity != NULL)
			return (1);
		fprintf(stderr,
		    "billing-migrate: billing_migrate exists without"
		    " a record; run rollback\n");
		return (-1);
	}
	free(v);
	v = scalar(&rc->t,
	    "SELECT to_regclass('public.schema_migrations') IS NULL", 0, NULL,
	    &err);
	if (err)
		return (fail_tgt(rc), -1);
	*schema_missing = v != NULL && strcmp(v, "t") == 0;
	free(v);
	if (!*schema_missing) {
		v = scalar(&rc->t,
		    "SELECT 1 FROM public.schema_migrations LIMIT 1", 0, NULL,
		    &err);
		if (err)
			return (fail_tgt(rc), -1);
		*schema_missing = v == NULL;
		free(v);
	}
	return (0);
}

/* Refuses a target that holds rows of its own. */
static int
target_empty(run_ctx *rc)
{
	static const char *const tables[] = { "api_keys", "plans", "customers",
		"subscriptions", "invoices", "invoice_items", "payments",
		"invoice_sequences", "events" };
	char found[256] = "";

	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		char sql[128], *v;
		int err;

		snprintf(
		    sql, sizeof(sql), "SELECT 1 FROM %s LIMIT 1", tables[i]);
		v = scalar(&rc->t, sql, 0, NULL, &err);
		if (err)
			return (fail_tgt(rc));
		if (v != NULL)
			snprintf(found + strlen(found),
			    sizeof(found) - strlen(found), "%s%s",
			    found[0] ? ", " : "", tables[i]);
		free(v);
	}
	if (found[0] != '\0') {
		fprintf(stderr,
		    "billing-migrate: the target already holds data that was"
		    " not migrated (%s); refusing to run\n",
		    found);
		return (MIG_FAILED);
	}
	return (MIG_OK);
}

/* The schema: made by the migrations when missing, else it must be current. */
static int
prepare_schema(run_ctx *rc, bool missing, char **created)
{
	int err, applied;
	char *before, *v;

	*created = strdup("[]");
	if (!missing) {
		char n[16];

		snprintf(n, sizeof(n), "%d", migrations_count);
		v = scalar(&rc->t,
		    "SELECT count(*) = $1::int FROM schema_migrations", 1,
		    (const char *const[]) { n }, &err);
		if (err)
			return (fail_tgt(rc));
		err = v == NULL || strcmp(v, "t") != 0;
		free(v);
		if (err) {
			fprintf(stderr,
			    "billing-migrate: the target's schema is not "
			    "current;"
			    " run billing-server migrate first\n");
			return (MIG_FAILED);
		}
		return (MIG_OK);
	}
	if ((before = scalar(&rc->t, OBJECTS_SQL, 0, NULL, &err)) == NULL)
		return (fail_tgt(rc));
	if (migrate_in_tx(rc->t.pg, &applied) != 0) {
		free(before);
		fprintf(stderr, "billing-migrate: cannot apply the schema\n");
		return (MIG_FAILED);
	}
	free(*created);
	*created = scalar(&rc->t,
	    "SELECT coalesce(jsonb_agg(o), '[]') FROM "
	    "jsonb_array_elements_text("
	    " (" OBJECTS_SQL ")) o WHERE NOT $1::jsonb ? o",
	    1, (const char *const[]) { before }, &err);
	free(before);
	if (err || *created == NULL)
		return (fail_tgt(rc));
	return (MIG_OK);
}

static int
record(run_ctx *rc, const char *identity, bool schema_created,
    const char *created, const char *seqs, double secs)
{
	char src_url[1024], secbuf[32];
	char *counts = rep_counts_json(rc->r),
	     *findings = rep_findings_json(rc->r);
	char *sums = rep_checksums_json(rc->r);
	int rv = MIG_OK;

	mig_redact(rc->o->source, src_url, sizeof(src_url));
	snprintf(secbuf, sizeof(secbuf), "%.3f", secs);
	if (counts == NULL || findings == NULL || sums == NULL)
		rv = MIG_FAILED;
	else if (tgt_query(&rc->t,
	             "INSERT INTO billing_migrate.migration (id, source,"
	             " source_identity, schema_created, created_objects,"
	             " prior_sequences, counts, findings, checksums, tool,"
	             " seconds) VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8,"
	             " $9, $10)",
	             10,
	             (const char *const[]) { src_url, identity,
	                 schema_created ? "true" : "false", created, seqs,
	                 counts, findings, sums,
	                 "billing-migrate " BILLING_VERSION, secbuf },
	             NULL) != 0)
		rv = fail_tgt(rc);
	free(counts);
	free(findings);
	free(sums);
	return (rv);
}

static int
load_all(run_ctx *rc, const mig_identity *id)
{
	PGresult *deferred;
	double t0;
	int rv;

	if (tgt_query(&rc->t, DEFERRED_SQL, 1,
	        (const char *const[]) { TARGET_ARRAY }, &deferred) != 0)
		return (fail_tgt(rc));
	/* Drop foreign keys, indexes, then keys; make them in reverse. */
	rv = run_column(rc, deferred, 1, 0);
	mig_progress_init(&rc->prog, rc->o->progress, (uint64_t) id->total);
	t0 = mig_now();
	for (int t = 0; rv == MIG_OK && t < LEG_NTABLES; t++)
		rv = load_table(rc, (leg_table) t);
	mig_progress_done(&rc->prog);
	rc->copy_s = mig_now() - t0;
	t0 = mig_now();
	if (rv == MIG_OK)
		rv = run_column(rc, deferred, 2, 1);
	rc->keys_s = mig_now() - t0;
	PQclear(deferred);
	if (rv == MIG_OK)
		rv = load_aux(rc, rc->qf, "billing_migrate.quarantine",
		    "tbl, legacy_id, reason, detail, raw");
	if (rv == MIG_OK)
		rv = load_aux(rc, rc->ff, "billing_migrate.flags",
		    "tbl, legacy_id, flag, col, raw");
	if (rv == MIG_OK)
		rv = restart_identities(rc, id);
	return (rv);
}

static int
run_tx(run_ctx *rc, const mig_identity *id, const char *identity)
{
	char *recorded = NULL, *created = NULL, *seqs = NULL;
	bool missing = false;
	double t0 = mig_now();
	int st, rv;

	if (tgt_exec(&rc->t,
	        "BEGIN; SET LOCAL maintenance_work_mem = '512MB';"
	        " SET LOCAL work_mem = '64MB'; " MIG_LOCK) != 0)
		return (fail_tgt(rc));
	if ((st = target_state(rc, identity, &recorded, &missing)) < 0)
		return (MIG_FAILED);
	if (st == 1) {
		bool same = strcmp(recorded, "t") == 0;

		free(recorded);
		tgt_exec(&rc->t, "ROLLBACK");
		if (!same) {
			fprintf(stderr,
			    "billing-migrate: the target holds a migration of"
			    " another source state; roll it back first\n");
			return (MIG_FAILED);
		}
		printf("already migrated from this source: nothing to do\n");
		return (MIG_OK);
	}
	if ((rv = prepare_schema(rc, missing, &created)) == MIG_OK &&
	    (rv = target_empty(rc)) == MIG_OK) {
		if ((seqs = sequences_json(rc)) == NULL)
			rv = fail_tgt(rc);
		else if (tgt_exec(&rc->t, BOOKKEEPING_DDL) != 0)
			rv = fail_tgt(rc);
	}
	if (rv == MIG_OK)
		rv = load_all(rc, id);
	if (rv == MIG_OK)
		rv = record(
		    rc, identity, missing, created, seqs, mig_now() - t0);
	t0 = mig_now();
	if (rv == MIG_OK && tgt_exec(&rc->t, "COMMIT") != 0)
		rv = fail_tgt(rc);
	rc->commit_s = mig_now() - t0;
	if (rv != MIG_OK)
		tgt_exec(&rc->t, "ROLLBACK");
	free(created);
	free(seqs);
	return (rv);
}

int
mig_run(const mig_opts *o)
{
	run_ctx rc;
	mig_identity id;
	char *identity = NULL;
	double t0 = mig_now();
	int rv = MIG_FAILED;

	memset(&rc, 0, sizeof(rc));
	rc.o = o;
	tup_init(&rc.tu);
	tup_init(&rc.aux);
	if (leg_ctx_init(&rc.c) != 0 || (rc.r = rep_new()) == NULL ||
	    (rc.qf = tmpfile()) == NULL || (rc.ff = tmpfile()) == NULL) {
		fprintf(stderr, "billing-migrate: out of memory\n");
		goto out;
	}
	if (src_open(&rc.s, o->source) != 0) {
		fail_src(&rc);
		goto out;
	}
	/* The cross-row quirks are check's (a GROUP BY over all payments
	 * costs a fifth of a run). */
	if (mig_identity_read(&rc.s, &id) != 0) {
		fail_src(&rc);
		goto out;
	}
	if ((identity = mig_identity_json(&id, NULL)) == NULL)
		goto out;
	if (tgt_open(&rc.t, o->target) != 0) {
		fail_tgt(&rc);
		goto out;
	}
	if ((rv = run_tx(&rc, &id, identity)) == MIG_OK && rc.r->rows[0] > 0) {
		double secs = mig_now() - t0;

		/* Autovacuum analyzes the new rows soon after (ANALYZE
		 * here would double the time of a small run). */
		rep_print(rc.r, stdout);
		printf("read, converted and copied in %.2f s; keys, indexes"
		       " and foreign keys %.2f s; commit %.2f s\n",
		    rc.copy_s, rc.keys_s, rc.commit_s);
		printf("migrated %lld source rows in %.2f s (%.0f rows/s)\n",
		    id.total, secs, (double) id.total / secs);
	}
out:
	free(identity);
	if (rc.qf)
		fclose(rc.qf);
	if (rc.ff)
		fclose(rc.ff);
	tgt_close(&rc.t);
	src_close(&rc.s);
	rep_free(rc.r);
	leg_ctx_fini(&rc.c);
	tup_fini(&rc.tu);
	tup_fini(&rc.aux);
	return (rv);
}

/* Drops what `run` created with the schema: extensions, tables, functions. */
static int
drop_created(tgt *t, const char *created)
{
	static const char *const kinds[][2] = { { "extension ", "EXTENSION" },
		{ "table ", "TABLE" }, { "function ", "FUNCTION" } };
	json_t *a = json_loads(created, 0, NULL), *v;
	size_t i;
	int rv = 0;

	if (!json_is_array(a)) {
		json_decref(a);
		return (-1);
	}
	for (int k = 0; k < 3 && rv == 0; k++)
		json_array_foreach (a, i, v) {
			const char *s = json_string_value(v);
			size_t n = strlen(kinds[k][0]);
			char sql[600];

			if (s == NULL || strncmp(s, kinds[k][0], n) != 0)
				continue;
			/* The names come from the catalog, quoted
			 * (regclass and regprocedure text). */
			snprintf(sql, sizeof(sql),
			    "DROP %s IF EXISTS %s CASCADE", kinds[k][1],
			    s + n);
			if ((rv = tgt_exec(t, sql)) != 0)
				break;
		}
	json_decref(a);
	return (rv);
}

/* Rows written since the migration (compared with its counts). */
static int
written_since(tgt *t, bool *changed)
{
	int err;
	char *v = scalar(t,
	    "SELECT (SELECT count(*) FROM customers) <> (m.counts->'users'->>"
	    "'migrated')::bigint OR (SELECT count(*) FROM invoices) <>"
	    " (m.counts->'invoices'->>'migrated')::bigint OR (SELECT count(*)"
	    " FROM payments) <> (m.counts->'payments'->>'migrated')::bigint OR"
	    " (SELECT count(*) FROM subscriptions) <> (m.counts->"
	    "'subscriptions'->>'migrated')::bigint OR EXISTS (SELECT 1 FROM"
	    " events) FROM billing_migrate.migration m",
	    0, NULL, &err);

	*changed = v != NULL && strcmp(v, "t") == 0;
	free(v);
	return (err ? -1 : 0);
}

static int
rollback_tx(tgt *t, const mig_opts *o)
{
	int err;
	char *v, *created, *seqs;
	bool schema_created, changed;

	if (tgt_exec(t, "BEGIN; " MIG_LOCK) != 0)
		return (-1);
	v = scalar(t,
	    "SELECT to_regclass('billing_migrate.migration') IS NOT NULL", 0,
	    NULL, &err);
	if (err)
		return (-1);
	if (v == NULL || strcmp(v, "t") != 0) {
		free(v);
		tgt_exec(t, "ROLLBACK");
		v = NULL;
		if (tgt_exec(t,
		        "DROP SCHEMA IF EXISTS billing_migrate CASCADE") != 0)
			return (-1);
		printf("no migration recorded: nothing to roll back\n");
		return (0);
	}
	free(v);
	v = scalar(t, "SELECT schema_created FROM billing_migrate.migration",
	    0, NULL, &err);
	if (err || v == NULL) {
		free(v);
		printf("no migration recorded: nothing to roll back\n");
		tgt_exec(t, "DROP SCHEMA billing_migrate CASCADE");
		return (tgt_exec(t, "COMMIT"));
	}
	schema_created = strcmp(v, "t") == 0;
	free(v);
	if (written_since(t, &changed) != 0)
		return (-1);
	if (changed && !o->force) {
		fprintf(stderr,
		    "billing-migrate: rows were written after the"
		    " migration; rollback --force removes them too\n");
		tgt_exec(t, "ROLLBACK");
		return (1);
	}
	created = scalar(t,
	    "SELECT created_objects::text FROM billing_migrate.migration", 0,
	    NULL, &err);
	seqs = scalar(t,
	    "SELECT prior_sequences::text FROM billing_migrate.migration", 0,
	    NULL, &err);
	if (created == NULL || seqs == NULL)
		err = 1;
	else if (schema_created)
		err = drop_created(t, created) != 0;
	else
		/* The tables were empty before: empty them, reset the
		 * sequences as they were (setval, not transactional, is
		 * done again by a rollback run after a crash). */
		err = tgt_exec(t,
		          "TRUNCATE api_keys, plans, customers, subscriptions,"
		          " invoices, invoice_items, payments, "
		          "invoice_sequences,"
		          " events") != 0 ||
		    tgt_query(t,
		        "SELECT setval(pg_get_serial_sequence(key, 'id'),"
		        " (value->>0)::bigint, (value->>1)::boolean)"
		        " FROM jsonb_each($1::jsonb)",
		        1, (const char *const[]) { seqs }, NULL) != 0;
	free(created);
	free(seqs);
	if (err || tgt_exec(t, "DROP SCHEMA billing_migrate CASCADE") != 0 ||
	    tgt_exec(t, "COMMIT") != 0)
		return (-1);
	printf("rolled back: the target is as it was before the migration%s\n",
	    schema_created ? " (no schema)" : "");
	return (0);
}

int
mig_rollback(const mig_opts *o)
{
	tgt t;
	int rv;

	if (tgt_open(&t, o->target) != 0) {
		fprintf(stderr, "billing-migrate: %s\n", t.err);
		tgt_close(&t);
		return (MIG_FAILED);
	}
	rv = rollback_tx(&t, o);
	if (rv < 0) {
		fprintf(stderr, "billing-migrate: %s\n", t.err);
		tgt_exec(&t, "ROLLBACK");
	}
	tgt_close(&t);
	return (rv == 0 ? MIG_OK : MIG_FAILED);
}
