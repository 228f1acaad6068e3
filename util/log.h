/*
 * log: one line per event on stderr, in logfmt:
 *   ts=2026-11-26T10:00:00.123456Z level=info msg="..." key=value ...
 * Thread-safe: each line is written with a single write(2).
 */
#ifndef UTIL_LOG_H
#define UTIL_LOG_H

#include <stdbool.h>

typedef enum log_level {
	LOG_DEBUG = 0,
	LOG_INFO = 1,
	LOG_WARN = 2,
	LOG_ERROR = 3,
} log_level;

/* Sets the lowest level printed (default LOG_INFO). */
void log_set_level(log_level level);

/* Whether a line at level would be printed. */
bool log_enabled(log_level level);

/* Parses "debug", "info", "warn" or "error"; returns 0 or EINVAL. */
int log_level_parse(const char *name, log_level *out);

/*
 * Prints one line. fmt continues the line after "level=..": write
 * key=value pairs, quoting values with log_quote where they may hold
 * spaces.
 */
void log_printf(log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Quotes s for logfmt into buf (always NUL-terminated, cut to cap).
 * Returns buf.
 */
const char *log_quote(char *buf, unsigned cap, const char *s);

#endif /* UTIL_LOG_H */
