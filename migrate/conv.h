/*
 * conv: the legacy values into the project's (docs/migration.md, "Data
 * rules"), as pure functions of the raw bytes MariaDB sends on a latin1
 * connection. No I/O; conv_set_zone once before any DATETIME.
 */
#ifndef MIGRATE_CONV_H
#define MIGRATE_CONV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONV_OK 0
#define CONV_INVALID 1 /* not a value of the column's type */
#define CONV_RANGE 2   /* a value, outside the target's range */
#define CONV_NOMEM 3

/* What a conversion changed or noticed (bits of an out-parameter). */
#define CONV_F_ZERO 0x01      /* the zero date, made NULL */
#define CONV_F_GAP 0x02       /* a spring-gap wall time, moved forward */
#define CONV_F_AMBIGUOUS 0x04 /* an autumn-overlap wall time: first one */
#define CONV_F_REPAIRED 0x08  /* latin1 bytes holding UTF-8, now text */
#define CONV_F_BAD_UTF8 0x10  /* invalid UTF-8: U+FFFD, as PHP rendered */
#define CONV_F_NUL 0x20       /* NUL bytes removed */
#define CONV_F_TRUNCATED 0x40 /* cut to the column's bytes */
#define CONV_F_TRIMMED 0x80   /* white space trimmed (email) */
#define CONV_F_CHANGED 0x100  /* normalised (country case, '' to NULL) */

/* A growable byte buffer; always NUL-terminated after a conv_ call. */
typedef struct conv_buf {
	char *p;
	size_t len, cap;
} conv_buf;

void conv_buf_init(conv_buf *b);
void conv_buf_fini(conv_buf *b);
int conv_buf_put(conv_buf *b, const void *s, size_t n);

/*
 * The zone of the legacy DATETIMEs (an IANA name): caltime_set_zone.
 * Returns 0 or -1.
 */
int conv_set_zone(const char *zone);

/*
 * DECIMAL text ("-12.50", "0.00", "7") to minor units: an optional '-',
 * digits, optionally '.' and at most `scale` digits (missing ones are
 * zeros). Exact, no floating point. CONV_RANGE beyond |x| <=
 * 9999999999 minor units.
 */
int conv_decimal(const char *s, size_t len, int scale, int64_t *out);

/*
 * A legacy DATETIME (wall clock of the zone) to microseconds since the
 * epoch. "0000-00-00 00:00:00" is NULL (*is_null, CONV_F_ZERO); a
 * partly zero value ("2015-00-10", sql_mode '' let it in) is
 * CONV_INVALID, like any other malformed text.
 * A spring-gap time moves forward by the gap (CONV_F_GAP); an ambiguous
 * autumn time is its first occurrence (CONV_F_AMBIGUOUS).
 */
int conv_datetime(
    const char *s, size_t len, bool *is_null, int64_t *us, unsigned *flags);

/* A TIMESTAMP read in UTC (a session on +00:00): no zone rules. */
int conv_timestamp_utc(
    const char *s, size_t len, bool *is_null, int64_t *us, unsigned *flags);

/* A DATE to days since 1970-01-01; a zero date is NULL. */
int conv_date(
    const char *s, size_t len, bool *is_null, int32_t *days, unsigned *flags);

/*
 * Text of a latin1 column (or a utf8 one read through latin1, the same
 * bytes) into out as UTF-8 of at most max bytes: valid UTF-8 is kept as
 * it is (the double-encoded text, repaired: CONV_F_REPAIRED when not
 * ASCII); any other byte sequence is made valid the way the legacy app
 * rendered it, U+FFFD for each invalid sequence (CONV_F_BAD_UTF8); NUL
 * bytes are removed (CONV_F_NUL); then the text is cut to max bytes on a
 * character boundary (CONV_F_TRUNCATED).
 */
int conv_text(
    const char *s, size_t len, size_t max, conv_buf *out, unsigned *flags);

/*
 * The bytes the legacy app sent into a utf8 column through its latin1
 * connection, from the column's stored UTF-8 (read as binary): MySQL
 * stored each byte as the character latin1 (cp1252, with U+0081, U+008D,
 * U+008F, U+0090, U+009D for its five holes) gives it, so each such
 * character is its byte again. A character outside that set was not
 * written through latin1: it is kept as UTF-8 (CONV_F_WIDE), where a
 * latin1 connection would have sent '?'.
 */
#define CONV_F_WIDE 0x200
int conv_latin1_unwrap(
    const char *s, size_t len, conv_buf *out, unsigned *flags);

/*
 * An email: conv_text, then trimmed as PHP's trim() (CONV_F_TRIMMED);
 * key gets the comparison key (ASCII lower case).
 */
int conv_email(
    const char *s, size_t len, conv_buf *out, conv_buf *key, unsigned *flags);

/*
 * A country code: trimmed and upper-cased; '' is NULL (CONV_F_CHANGED
 * for any change). CONV_INVALID unless two ASCII letters remain.
 */
int conv_country(
    const char *s, size_t len, bool *is_null, char out[3], unsigned *flags);

/*
 * PHP serialize() text of an array to a JSON object (compact, sorted
 * keys) in out. NULL, '' and an empty array are "{}". A value PHP's
 * unserialize() would refuse (truncated, wrong s:N: lengths, unknown
 * types), or one that is not an array, is "{}" too, as the legacy app
 * rendered it, and CONV_INVALID tells the caller to keep it raw.
 */
int conv_meta(
    const char *s, size_t len, bool is_null, conv_buf *out, unsigned *flags);

#endif /* MIGRATE_CONV_H */
