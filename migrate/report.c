/*
 * report.c: see report.h.
 */
#include <inttypes.h>
#include <stdlib.h>

#include <jansson.h>

#include "report.h"

rep *
rep_new(void)
{
	rep *r = calloc(1, sizeof(*r));

	if (r != NULL)
		r->double_posts = r->email_dup_case = r->number_gaps =
		    r->deleted_active = -1;
	return (r);
}

void
rep_free(rep *r)
{
	free(r);
}

static void
count(rep_entry *e, uint32_t id)
{
	if (e->n < REP_EXAMPLES)
		e->ex[e->n] = id;
	e->n++;
}

void
rep_add(rep *r, leg_table t, const leg_result *res, uint64_t hash)
{
	r->rows[t]++;
	if (res->quarantine != LEG_OK) {
		int col = res->qcol >= 0 ? res->qcol : 0;

		r->quarantined[t]++;
		count(&r->e[t][res->quarantine][col], res->id);
		return;
	}
	r->ok[t]++;
	r->checksum[t] += hash;
	for (int i = 0; i < res->nfindings; i++)
		count(&r->e[t][res->findings[i].code][res->findings[i].col],
		    res->id);
}

static void
print_kind(const rep *r, FILE *out, const char *title, int lo, int hi)
{
	fprintf(out, "%s\n", title);
	for (int t = 0; t < LEG_NTABLES; t++)
		for (int c = lo; c <= hi; c++)
			for (int k = 0; k < LEG_MAX_COLS; k++) {
				const rep_entry *e = &r->e[t][c][k];

				if (e->n == 0)
					continue;
				fprintf(out,
				    "  %-18s %-26s %-20s %8" PRIu64 "  e.g.",
				    leg_tables[t].source,
				    leg_code_name((leg_code) c),
				    leg_tables[t].cols[k], e->n);
				for (uint64_t i = 0;
				     i < e->n && i < REP_EXAMPLES; i++)
					fprintf(out, " %" PRIu32, e->ex[i]);
				fprintf(out, "\n");
			}
}

void
rep_print(const rep *r, FILE *out)
{
	uint64_t rows = 0, ok = 0, q = 0;

	fprintf(out, "%-18s %10s %10s %12s\n", "table", "source", "migrated",
	    "quarantined");
	for (int t = 0; t < LEG_NTABLES; t++) {
		fprintf(out,
		    "%-18s %10" PRIu64 " %10" PRIu64 " %12" PRIu64 "\n",
		    leg_tables[t].source, r->rows[t], r->ok[t],
		    r->quarantined[t]);
		rows += r->rows[t];
		ok += r->ok[t];
		q += r->quarantined[t];
	}
	fprintf(out, "%-18s %10" PRIu64 " %10" PRIu64 " %12" PRIu64 "\n",
	    "total", rows, ok, q);
	print_kind(r, out, "quarantined (reason, column):", LEG_Q_USER_MISSING,
	    LEG_Q_NO_ANCHOR);
	print_kind(r, out, "changed, raw value kept in billing_migrate.flags:",
	    LEG_F_EMAIL_TRIMMED, LEG_F_KEY_CASE);
	print_kind(
	    r, out, "converted by rule:", LEG_N_ZERO_DATE, LEG_NCODES - 1);
	if (r->double_posts >= 0)
		fprintf(out,
		    "  payments           double_post (both kept)    %8lld\n",
		    r->double_posts);
	if (r->email_dup_case >= 0)
		fprintf(out,
		    "  users              email_dup_case (kept)      %8lld\n",
		    r->email_dup_case);
	if (r->number_gaps >= 0)
		fprintf(out,
		    "  invoices           number_gaps (kept unused)  %8lld\n",
		    r->number_gaps);
	if (r->deleted_active >= 0)
		fprintf(out,
		    "  subscriptions      live_of_deleted_users      %8lld\n",
		    r->deleted_active);
}

static char *
dump(json_t *o)
{
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	json_decref(o);
	return (s);
}

char *
rep_counts_json(const rep *r)
{
	json_t *o = json_object();

	for (int t = 0; o != NULL && t < LEG_NTABLES; t++)
		json_object_set_new(o, leg_tables[t].source,
		    json_pack("{s:I, s:I, s:I}", "source",
		        (json_int_t) r->rows[t], "migrated",
		        (json_int_t) r->ok[t], "quarantined",
		        (json_int_t) r->quarantined[t]));
	return (dump(o));
}

char *
rep_findings_json(const rep *r)
{
	json_t *o = json_object();

	for (int t = 0; o != NULL && t < LEG_NTABLES; t++) {
		json_t *tt = json_object();

		for (int c = 1; tt != NULL && c < LEG_NCODES; c++)
			for (int k = 0; k < LEG_MAX_COLS; k++) {
				char key[96];

				if (r->e[t][c][k].n == 0)
					continue;
				snprintf(key, sizeof(key), "%s:%s",
				    leg_code_name((leg_code) c),
				    leg_tables[t].cols[k]);
				json_object_set_new(tt, key,
				    json_integer(
				        (json_int_t) r->e[t][c][k].n));
			}
		json_object_set_new(o, leg_tables[t].source, tt);
	}
	return (dump(o));
}

char *
rep_checksums_json(const rep *r)
{
	json_t *o = json_object();

	for (int t = 0; o != NULL && t < LEG_NTABLES; t++) {
		char hex[17];

		snprintf(hex, sizeof(hex), "%016" PRIx64, r->checksum[t]);
		json_object_set_new(o, leg_tables[t].source, json_string(hex));
	}
	return (dump(o));
}
