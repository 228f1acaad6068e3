/*
 * common.c: what the commands share (mig.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "mig.h"

const char *const mig_target_tables[] = { "api_keys", "plans", "customers",
	"subscriptions", "invoices", "invoice_items", "payments",
	"invoice_sequences", NULL };

int
mig_identity_read(src *s, mig_identity *id)
{
	memset(id, 0, sizeof(*id));
	for (int t = 0; t < LEG_NTABLES; t++) {
		char sql[256];
		long long v[2];

		snprintf(sql, sizeof(sql),
		    "SELECT COUNT(*), COALESCE(MAX(%s), 0) FROM %s",
		    t == LEG_SEQUENCES ? "year" : "id", leg_tables[t].source);
		if (src_ints(s, sql, v, 2) != 0)
			return (-1);
		id->rows[t] = v[0];
		id->max[t] = v[1];
		id->total += v[0];
	}
	return (0);
}

char *
mig_identity_json(const mig_identity *id, const char *db)
{
	json_t *o = json_object(), *tables = json_object();
	char *s = NULL;

	if (o != NULL && tables != NULL) {
		for (int t = 0; t < LEG_NTABLES; t++)
			json_object_set_new(tables, leg_tables[t].source,
			    json_pack("[I, I]", (json_int_t) id->rows[t],
			        (json_int_t) id->max[t]));
		json_object_set_new(o, "db", json_string(db ? db : ""));
		json_object_set(o, "tables", tables);
		s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	}
	json_decref(tables);
	json_decref(o);
	return (s);
}

double
mig_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double) ts.tv_sec + (double) ts.tv_nsec / 1e9);
}

void
mig_progress_init(mig_progress *p, bool on, uint64_t total)
{
	p->on = on;
	p->done = 0;
	p->total = total;
	p->start = p->last = mig_now();
}

void
mig_progress_tick(mig_progress *p, const char *table)
{
	double now, rate;

	p->done++;
	if (!p->on || (p->done & 1023) != 0 ||
	    (now = mig_now()) - p->last < 0.5)
		return;
	p->last = now;
	rate = (double) p->done / (now - p->start);
	fprintf(stderr,
	    "\r%-18s %10" PRIu64 "/%" PRIu64 " rows %9.0f rows/s ETA %5.0fs ",
	    table, p->done, p->total, rate,
	    p->total > p->done ? (double) (p->total - p->done) / rate : 0.0);
}

void
mig_progress_done(mig_progress *p)
{
	if (p->on)
		fprintf(stderr, "\r%78s\r", "");
}

int
mig_source_quirks(src *s, rep *r)
{
	long long v[1];

	/* Second and later rows of one gateway transaction. */
	if (src_ints(s,
	        "SELECT COALESCE(SUM(n - 1), 0) FROM (SELECT COUNT(*) AS n"
	        " FROM payments WHERE transaction_id IS NOT NULL"
	        " GROUP BY transaction_id, method HAVING COUNT(*) > 1) d",
	        v, 1) != 0)
		return (-1);
	r->double_posts = v[0];
	/* Live users whose trimmed, lower-cased email a lower id has. */
	if (src_ints(s,
	        "SELECT COALESCE(SUM(n - 1), 0) FROM (SELECT COUNT(*) AS n"
	        " FROM users WHERE status <> 'deleted'"
	        " GROUP BY LOWER(TRIM(email)) HAVING COUNT(*) > 1) d",
	        v, 1) != 0)
		return (-1);
	r->email_dup_case = v[0];
	/* Numbers the sequences counted that no invoice has. */
	if (src_ints(s,
	        "SELECT COALESCE(SUM(q.last_no), 0) - (SELECT COUNT(*) FROM"
	        " invoices i JOIN invoice_sequences q ON i.number LIKE"
	        " CONCAT('INV-', q.year, '-%')) FROM invoice_sequences q",
	        v, 1) != 0)
		return (-1);
	r->number_gaps = v[0];
	/* Trial, active or past-due subscriptions of deleted users. */
	if (src_ints(s,
	        "SELECT COUNT(*) FROM subscriptions s JOIN users u ON"
	        " u.id = s.user_id WHERE u.status = 'deleted' AND s.status IN"
	        " ('trial', 'active', 'past_due')",
	        v, 1) != 0)
		return (-1);
	r->deleted_active = v[0];
	return (0);
}

void
mig_redact(const char *url, char *out, size_t cap)
{
	const char *p = strstr(url, "://"), *at, *colon;

	snprintf(out, cap, "%s", url);
	if (p == NULL || (at = strchr(p + 3, '@')) == NULL)
		return;
	colon = memchr(p + 3, ':', (size_t) (at - p - 3));
	if (colon != NULL)
		snprintf(out, cap, "%.*s:***%s", (int) (colon - url), url, at);
}
