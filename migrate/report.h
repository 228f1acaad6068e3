/*
 * report: what a pass over the legacy rows found, per table and rule,
 * with example ids; printed by check, run and verify, and stored (as
 * JSON) in the migration's record.
 */
#ifndef MIGRATE_REPORT_H
#define MIGRATE_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "legacy.h"

#define REP_EXAMPLES 5

typedef struct rep_entry {
	uint64_t n;
	uint32_t ex[REP_EXAMPLES];
} rep_entry;

typedef struct rep {
	uint64_t rows[LEG_NTABLES], ok[LEG_NTABLES], quarantined[LEG_NTABLES];
	uint64_t checksum[LEG_NTABLES]; /* sum of the migrated rows' hashes */
	rep_entry e[LEG_NTABLES][LEG_NCODES][LEG_MAX_COLS];
	/* cross-row quirks found by SQL on the source; -1: not looked */
	long long double_posts, email_dup_case, number_gaps, deleted_active;
} rep;

/* A zeroed report (NULL when out of memory). */
rep *rep_new(void);
void rep_free(rep *r);
/* Counts a converted row; hash is its tuple's (migrated rows). */
void rep_add(rep *r, leg_table t, const leg_result *res, uint64_t hash);
void rep_print(const rep *r, FILE *out);
/* {"table": {"source": n, "migrated": n, "quarantined": n}} */
char *rep_counts_json(const rep *r);
/* {"table": {"code:column": n}} */
char *rep_findings_json(const rep *r);
/* {"table": "hex of the checksum"} */
char *rep_checksums_json(const rep *r);

#endif /* MIGRATE_REPORT_H */
