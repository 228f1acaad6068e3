/*
 * timefmt: the times billctl reads and prints. Instants travel as int64
 * microseconds since the epoch (the *_us fields) and print as UTC
 * ISO-8601; durations are typed as "5s" or "500ms"; the test clock is
 * Berlin wall time "YYYY-MM-DD HH:MM:SS".
 */
#ifndef BILLCTL_TIMEFMT_H
#define BILLCTL_TIMEFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest timefmt_iso output, NUL included. */
#define TIMEFMT_BUFSZ 40

/*
 * Parses a duration: an integer with a unit ms, s, m or h ("500ms",
 * "5s"), or a bare integer of seconds, from 1ms to 24h. Returns 0 and
 * sets *ms, or -1.
 */
int timefmt_duration_ms(const char *s, int *ms);

/* Formats us as "2024-01-31T23:59:59Z" (UTC, whole seconds, floored). */
void timefmt_iso(int64_t us, char *buf, size_t cap);

/*
 * Parses an instant in the form timefmt_iso prints, "2024-01-31T23:59:59Z"
 * (UTC, years 0001-9999). Returns 0 and sets *us, or -1.
 */
int timefmt_parse_iso(const char *s, int64_t *us);

/* Whether s is a valid "YYYY-MM-DD HH:MM:SS" (the x-billing-now form). */
bool timefmt_wall_valid(const char *s);

#endif /* BILLCTL_TIMEFMT_H */
