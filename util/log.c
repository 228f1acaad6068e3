/*
 * log.c: see log.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static atomic_int min_level = LOG_INFO;

static const char *const LEVEL_NAMES[] = { "debug", "info", "warn", "error" };

void
log_set_level(log_level level)
{
	atomic_store(&min_level, level);
}

bool
log_enabled(log_level level)
{
	return ((int) level >= atomic_load(&min_level));
}

int
log_level_parse(const char *name, log_level *out)
{
	for (int i = LOG_DEBUG; i <= LOG_ERROR; i++) {
		if (strcmp(name, LEVEL_NAMES[i]) == 0) {
			*out = (log_level) i;
			return (0);
		}
	}
	return (EINVAL);
}

void
log_printf(log_level level, const char *fmt, ...)
{
	char line[4096];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	int n, m;

	if (!log_enabled(level))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line),
	    "ts=%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ level=%s ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000, LEVEL_NAMES[level]);
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t) n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n += m;
	if (n > (int) sizeof(line) - 2)
		n = (int) sizeof(line) -
		    2; /* cut long lines, keep the newline */
	line[n++] = '\n';
	/* One write per line, so lines of concurrent threads never mix. */
	if (write(STDERR_FILENO, line, (size_t) n) < 0)
		return;
}

const char *
log_quote(char *buf, unsigned cap, const char *s)
{
	unsigned n = 0;

	if (cap < 3) {
		if (cap > 0)
			buf[0] = '\0';
		return (buf);
	}
	buf[n++] = '"';
	for (const char *p = s != NULL ? s : ""; *p != '\0'; p++) {
		char c = *p;
		const char *esc = NULL;

		if (c == '"')
			esc = "\\\"";
		else if (c == '\\')
			esc = "\\\\";
		else if (c == '\n')
			esc = "\\n";
		else if ((unsigned char) c < 0x20)
			esc = "?";
		if (n + (esc != NULL ? strlen(esc) : 1) + 2 > cap)
			break;
		if (esc != NULL) {
			memcpy(buf + n, esc, strlen(esc));
			n += (unsigned) strlen(esc);
		} else
			buf[n++] = c;
	}
	buf[n++] = '"';
	buf[n] = '\0';
	return (buf);
}
