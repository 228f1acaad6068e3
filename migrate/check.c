/*
 * check.c: `check` reads the source through the data rules without
 * writing anything, and tells what `run` would do with the target.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mig.h"

/* Converts every legacy row into r, writing nothing. */
static int
check_rows(src *s, leg_ctx *c, rep *r, mig_progress *p)
{
	tup tu;
	int rv = 0;

	tup_init(&tu);
	for (int t = 0; rv == 0 && t < LEG_NTABLES; t++) {
		MYSQL_ROW row;
		unsigned long *lens;
		leg_result res;
		int n;

		if (src_query(s, leg_tables[t].select) != 0) {
			rv = -1;
			break;
		}
		while ((n = src_next(s, &row, &lens)) == 1) {
			if (leg_convert(
			        c, (leg_table) t, row, lens, &tu, &res) != 0) {
				snprintf(
				    s->err, sizeof(s->err), "out of memory");
				rv = -1;
				break;
			}
			rep_add(r, (leg_table) t, &res,
			    res.quarantine == LEG_OK
			        ? tup_hash(tu.b.p, tu.b.len, (uint64_t) t)
			        : 0);
			mig_progress_tick(p, leg_tables[t].source);
		}
		if (n < 0)
			rv = -1;
		src_end(s);
	}
	tup_fini(&tu);
	return (rv);
}

/* One value of a one-row query, or "" (and *err). */
static void
first(tgt *t, const char *sql, char *out, size_t cap, int *err)
{
	PGresult *res;

	out[0] = '\0';
	if (tgt_query(t, sql, 0, NULL, &res) != 0) {
		*err = 1;
		return;
	}
	if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
		snprintf(out, cap, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
}

/* What the target is: 0 ready (or already migrated), 1 run would refuse. */
static int
check_target(tgt *t)
{
	char v[256];
	int err = 0;

	first(t, "SELECT to_regclass('billing_migrate.migration') IS NOT NULL",
	    v, sizeof(v), &err);
	if (!err && strcmp(v, "t") == 0) {
		first(t,
		    "SELECT format('migrated at %s from %s', finished_at,"
		    " source) FROM billing_migrate.migration",
		    v, sizeof(v), &err);
		printf("target: %s; run changes nothing for the same source,"
		       " rollback undoes it\n",
		    v);
		return (err);
	}
	first(t, "SELECT to_regclass('public.customers') IS NULL", v,
	    sizeof(v), &err);
	if (!err && strcmp(v, "t") == 0) {
		printf("target: no schema yet; run applies the project's"
		       " migrations first\n");
		return (0);
	}
	first(t,
	    "SELECT concat_ws(', ',"
	    " CASE WHEN EXISTS (SELECT 1 FROM customers) THEN 'customers' END,"
	    " CASE WHEN EXISTS (SELECT 1 FROM plans) THEN 'plans' END,"
	    " CASE WHEN EXISTS (SELECT 1 FROM subscriptions)"
	    "  THEN 'subscriptions' END,"
	    " CASE WHEN EXISTS (SELECT 1 FROM invoices) THEN 'invoices' END,"
	    " CASE WHEN EXISTS (SELECT 1 FROM payments) THEN 'payments' END,"
	    " CASE WHEN EXISTS (SELECT 1 FROM api_keys) THEN 'api_keys' END,"
	    " CASE WHEN EXISTS (SELECT 1 FROM events) THEN 'events' END)",
	    v, sizeof(v), &err);
	if (err)
		return (1);
	if (v[0] != '\0') {
		printf("target: holds data that was not migrated (%s); run"
		       " would refuse\n",
		    v);
		return (1);
	}
	printf("target: the schema, empty; ready\n");
	return (0);
}

int
mig_check(const mig_opts *o)
{
	src s;
	tgt t;
	leg_ctx c;
	rep *r = rep_new();
	mig_identity id;
	mig_progress p;
	int rv = MIG_FAILED;

	memset(&t, 0, sizeof(t));
	if (r == NULL || leg_ctx_init(&c) != 0) {
		fprintf(stderr, "billing-migrate: out of memory\n");
		rep_free(r);
		return (MIG_FAILED);
	}
	if (src_open(&s, o->source) != 0 || mig_identity_read(&s, &id) != 0 ||
	    mig_source_quirks(&s, r) != 0) {
		fprintf(stderr, "billing-migrate: %s\n", s.err);
		goto out;
	}
	if (tgt_open(&t, o->target) != 0) {
		fprintf(stderr, "billing-migrate: %s\n", t.err);
		goto out;
	}
	mig_progress_init(&p, o->progress, (uint64_t) id.total);
	if (check_rows(&s, &c, r, &p) != 0) {
		mig_progress_done(&p);
		fprintf(stderr, "billing-migrate: %s\n", s.err);
		goto out;
	}
	mig_progress_done(&p);
	rep_print(r, stdout);
	rv = check_target(&t) == 0 ? MIG_OK : MIG_FAILED;
	if (rv != MIG_OK && t.err[0] != '\0')
		fprintf(stderr, "billing-migrate: %s\n", t.err);
out:
	src_close(&s);
	tgt_close(&t);
	leg_ctx_fini(&c);
	rep_free(r);
	return (rv);
}
