/*
 * billing-migrate: the legacy MySQL data into the project's PostgreSQL
 * schema (docs/migration.md). The commands, and what they share.
 */
#ifndef MIGRATE_MIG_H
#define MIGRATE_MIG_H

#include <stdbool.h>
#include <stdint.h>

#include "legacy.h"
#include "report.h"
#include "source.h"
#include "target.h"

#define MIG_OK 0
#define MIG_FAILED 1 /* an error, or verify found a difference */
#define MIG_USAGE 2

typedef struct mig_opts {
	const char *source, *target, *zone;
	bool progress; /* rows/s and ETA on stderr (a terminal) */
	bool force;    /* rollback over rows written after the migration */
} mig_opts;

/* Rows and highest key per legacy table: the source's identity. */
typedef struct mig_identity {
	long long rows[LEG_NTABLES], max[LEG_NTABLES], total;
} mig_identity;

int mig_identity_read(src *s, mig_identity *id);
/* {"db": ..., "tables": {"users": [rows, max id], ...}} (free()). */
char *mig_identity_json(const mig_identity *id, const char *db);

/* Progress on a terminal: rows/s and ETA, at most twice a second. */
typedef struct mig_progress {
	bool on;
	uint64_t done, total;
	double start, last;
} mig_progress;

void mig_progress_init(mig_progress *p, bool on, uint64_t total);
void mig_progress_tick(mig_progress *p, const char *table);
void mig_progress_done(mig_progress *p);
double mig_now(void);

/*
 * Cross-row quirks of the source by SQL (double-posted payments, emails
 * repeated in another case) into r.
 */
int mig_source_quirks(src *s, rep *r);

/* The source URL without its password, for the record. */
void mig_redact(const char *url, char *out, size_t cap);

/* The project's tables the migration fills, in load order. */
extern const char *const mig_target_tables[];

int mig_check(const mig_opts *o);
int mig_run(const mig_opts *o);
int mig_verify(const mig_opts *o);
int mig_rollback(const mig_opts *o);

#endif /* MIGRATE_MIG_H */
