/*
 * tuple: rows in PostgreSQL's binary COPY format, built field by field.
 * The same bytes are what `run` sends and what `verify` hashes on both
 * sides (the target's COPY TO in binary gives them back), so a row's
 * checksum is the hash of its normalised values as the target stores
 * them.
 */
#ifndef MIGRATE_TUPLE_H
#define MIGRATE_TUPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conv.h"

/* The binary COPY file header and trailer. */
extern const char tup_header[19];
extern const char tup_trailer[2];

typedef struct tup {
	conv_buf b;
	int err; /* CONV_NOMEM once an append failed */
} tup;

void tup_init(tup *t);
void tup_fini(tup *t);
/* Starts a row of nfields fields (discarding the previous one). */
void tup_begin(tup *t, int nfields);
void tup_null(tup *t);
void tup_int2(tup *t, int16_t v);
void tup_int4(tup *t, int32_t v);
void tup_int8(tup *t, int64_t v);
void tup_bool(tup *t, bool v);
void tup_text(tup *t, const char *s, size_t n);
/* timestamptz from microseconds since the Unix epoch. */
void tup_ts(tup *t, int64_t us);
/* date from days since 1970-01-01. */
void tup_date(tup *t, int32_t days);
/* jsonb from JSON text. */
void tup_jsonb(tup *t, const char *s, size_t n);

/* 64-bit hash of bytes (not cryptographic: detects differences). */
uint64_t tup_hash(const void *p, size_t n, uint64_t seed);

#endif /* MIGRATE_TUPLE_H */
