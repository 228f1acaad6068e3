/*
 * conv.c: see conv.h.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../http-bridge/utf8.h"
#include "../rules/caltime.h"
#include "../rules/email.h"
#include "../util/utf8.h"
#include "conv.h"

#define MONEY_LIMIT INT64_C(9999999999)
#define SEC_PER_DAY INT64_C(86400)

void
conv_buf_init(conv_buf *b)
{
	b->p = NULL;
	b->len = b->cap = 0;
}

void
conv_buf_fini(conv_buf *b)
{
	free(b->p);
	conv_buf_init(b);
}

/* Room for n more bytes and a NUL. */
static int
reserve(conv_buf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 256;
	char *p;

	if (b->len + n + 1 <= b->cap)
		return (CONV_OK);
	while (cap < b->len + n + 1)
		cap *= 2;
	if ((p = realloc(b->p, cap)) == NULL)
		return (CONV_NOMEM);
	b->p = p;
	b->cap = cap;
	return (CONV_OK);
}

int
conv_buf_put(conv_buf *b, const void *s, size_t n)
{
	if (reserve(b, n) != CONV_OK)
		return (CONV_NOMEM);
	if (n > 0)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return (CONV_OK);
}

int
conv_set_zone(const char *zone)
{
	return (caltime_set_zone(zone));
}

int
conv_decimal(const char *s, size_t len, int scale, int64_t *out)
{
	size_t i = 0, int_digits = 0;
	int frac = 0;
	bool neg = false;
	int64_t v = 0;

	if (len > 0 && s[0] == '-') {
		neg = true;
		i++;
	}
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, int_digits++) {
		if (v > MONEY_LIMIT)
			return (CONV_RANGE);
		v = v * 10 + (s[i] - '0');
	}
	if (int_digits == 0)
		return (CONV_INVALID);
	if (i < len && s[i] == '.') {
		i++;
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, frac++) {
			if (frac == scale)
				return (CONV_INVALID);
			v = v * 10 + (s[i] - '0');
		}
		if (frac == 0)
			return (CONV_INVALID);
	}
	if (i != len)
		return (CONV_INVALID);
	for (; frac < scale; frac++)
		v *= 10;
	if (v > MONEY_LIMIT)
		return (CONV_RANGE);
	*out = neg ? -v : v;
	return (CONV_OK);
}

/* n digits at s into *v. */
static bool
digits(const char *s, int n, int *v)
{
	int x = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (false);
		x = x * 10 + (s[i] - '0');
	}
	*v = x;
	return (true);
}

/* "YYYY-MM-DD[ HH:MM:SS]": 0 ok, CONV_F_ZERO all zero, -1 malformed. */
static int
parse_wall(const char *s, size_t len, bool with_time, cal_wall *w)
{
	if (len != (with_time ? 19u : 10u) || !digits(s, 4, &w->year) ||
	    s[4] != '-' || !digits(s + 5, 2, &w->month) || s[7] != '-' ||
	    !digits(s + 8, 2, &w->day))
		return (-1);
	w->hour = w->min = w->sec = 0;
	if (with_time &&
	    (s[10] != ' ' || !digits(s + 11, 2, &w->hour) || s[13] != ':' ||
	        !digits(s + 14, 2, &w->min) || s[16] != ':' ||
	        !digits(s + 17, 2, &w->sec)))
		return (-1);
	if (w->year == 0 && w->month == 0 && w->day == 0 && w->hour == 0 &&
	    w->min == 0 && w->sec == 0)
		return (CONV_F_ZERO);
	if (w->year < 1 || w->month < 1 || w->month > 12 || w->day < 1 ||
	    w->day > cal_days_in_month(w->year, w->month) || w->hour > 23 ||
	    w->min > 59 || w->sec > 59)
		return (-1);
	return (0);
}

/*
 * Days whose UTC offset is the same all day long, cached: nearly every
 * DATETIME converts with one subtraction. The cache covers 1900-2199;
 * other days, and the days of a change, take the exact path.
 */
#define CACHE_FIRST_DAY (-25567) /* 1900-01-01 */
#define CACHE_DAYS 109573        /* to 2199-12-31 */
#define CACHE_UNKNOWN 0
#define CACHE_CHANGE 1
#define CACHE_BIAS 100000 /* offsets are stored + CACHE_BIAS */
static _Atomic int32_t day_cache[CACHE_DAYS];

static int64_t
wall_secs(const cal_wall *w)
{
	return (cal_days_from_civil(w->year, w->month, w->day) * SEC_PER_DAY +
	    w->hour * 3600 + w->min * 60 + w->sec);
}

/* The offset of a day without a change, or CACHE_CHANGE. */
static int32_t
day_offset(const cal_wall *w, int64_t day)
{
	cal_wall a = *w, b = *w;
	int64_t oa, ob;

	a.hour = a.min = a.sec = 0;
	b.hour = 23;
	b.min = b.sec = 59;
	oa = wall_secs(&a) - cal_from_wall(&a) / US_PER_SEC;
	ob = wall_secs(&b) - cal_from_wall(&b) / US_PER_SEC;
	(void) day;
	return (oa == ob ? (int32_t) (oa + CACHE_BIAS) : CACHE_CHANGE);
}

/* Same wall clock fields. */
static bool
same_wall(const cal_wall *a, const cal_wall *b)
{
	return (a->year == b->year && a->month == b->month &&
	    a->day == b->day && a->hour == b->hour && a->min == b->min &&
	    a->sec == b->sec);
}

/*
 * cal_from_wall resolves an overlap to its second occurrence (the
 * contract's rule for new times); the migration wants the first, which
 * is the same wall time one hour earlier in real time.
 */
static int64_t
exact_from_wall(const cal_wall *w, unsigned *flags)
{
	int64_t us = cal_from_wall(w);
	cal_wall back;

	cal_to_wall(us, &back);
	if (!same_wall(&back, w)) {
		*flags |= CONV_F_GAP;
		return (us);
	}
	cal_to_wall(us - 3600 * US_PER_SEC, &back);
	if (same_wall(&back, w)) {
		*flags |= CONV_F_AMBIGUOUS;
		return (us - 3600 * US_PER_SEC);
	}
	return (us);
}

int
conv_datetime(
    const char *s, size_t len, bool *is_null, int64_t *us, unsigned *flags)
{
	cal_wall w;
	int r = parse_wall(s, len, true, &w);
	int64_t day, idx;
	int32_t off;

	if (r < 0)
		return (CONV_INVALID);
	if ((*is_null = r == CONV_F_ZERO)) {
		*flags |= CONV_F_ZERO;
		return (CONV_OK);
	}
	day = cal_days_from_civil(w.year, w.month, w.day);
	idx = day - CACHE_FIRST_DAY;
	if (idx < 0 || idx >= CACHE_DAYS) {
		*us = exact_from_wall(&w, flags);
		return (CONV_OK);
	}
	off = atomic_load_explicit(&day_cache[idx], memory_order_relaxed);
	if (off == CACHE_UNKNOWN) {
		off = day_offset(&w, day);
		atomic_store_explicit(
		    &day_cache[idx], off, memory_order_relaxed);
	}
	if (off == CACHE_CHANGE)
		*us = exact_from_wall(&w, flags);
	else
		*us = (wall_secs(&w) - (off - CACHE_BIAS)) * US_PER_SEC;
	return (CONV_OK);
}

int
conv_timestamp_utc(
    const char *s, size_t len, bool *is_null, int64_t *us, unsigned *flags)
{
	cal_wall w;
	int r = parse_wall(s, len, true, &w);

	if (r < 0)
		return (CONV_INVALID);
	if ((*is_null = r == CONV_F_ZERO)) {
		*flags |= CONV_F_ZERO;
		return (CONV_OK);
	}
	*us = wall_secs(&w) * US_PER_SEC;
	return (CONV_OK);
}

int
conv_date(
    const char *s, size_t len, bool *is_null, int32_t *days, unsigned *flags)
{
	cal_wall w;
	int r = parse_wall(s, len, false, &w);

	if (r < 0)
		return (CONV_INVALID);
	if ((*is_null = r == CONV_F_ZERO)) {
		*flags |= CONV_F_ZERO;
		return (CONV_OK);
	}
	*days = cal_days_from_civil(w.year, w.month, w.day);
	return (CONV_OK);
}

static bool
ascii_only(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char) s[i] >= 0x80)
			return (false);
	return (true);
}

int
conv_text(
    const char *s, size_t len, size_t max, conv_buf *out, unsigned *flags)
{
	char *fixed = NULL;
	size_t n = len, keep;
	int rv = CONV_OK;

	out->len = 0;
	if (ascii_only(s, len) && memchr(s, '\0', len) == NULL) {
		if (len > max) {
			len = max;
			*flags |= CONV_F_TRUNCATED;
		}
		return (conv_buf_put(out, s, len));
	}
	/* NUL is valid UTF-8 but PostgreSQL text cannot hold it. */
	if (memchr(s, '\0', len) != NULL) {
		if (reserve(out, len) != CONV_OK)
			return (CONV_NOMEM);
		for (size_t i = 0; i < len; i++)
			if (s[i] != '\0')
				out->p[out->len++] = s[i];
		out->p[out->len] = '\0';
		*flags |= CONV_F_NUL;
		s = out->p;
		n = out->len;
	}
	if (ascii_only(s, n))
		; /* only NULs were wrong */
	else if (utf8_valid(s, n))
		*flags |= CONV_F_REPAIRED;
	else {
		if ((fixed = utf8_php_substitute(s, n, &n)) == NULL)
			return (CONV_NOMEM);
		*flags |= CONV_F_BAD_UTF8;
		s = fixed;
	}
	keep = utf8_truncate(s, n, max);
	if (keep < n)
		*flags |= CONV_F_TRUNCATED;
	if (s != out->p) {
		out->len = 0;
		rv = conv_buf_put(out, s, keep);
	} else {
		out->len = keep;
		out->p[keep] = '\0';
	}
	free(fixed);
	return (rv);
}

/* Trims b in place as PHP's trim(); true when it changed. */
static bool
trim_buf(conv_buf *b)
{
	const char *t;
	size_t n;

	email_trim(b->p, b->len, &t, &n);
	if (n == b->len)
		return (false);
	memmove(b->p, t, n);
	b->len = n;
	b->p[n] = '\0';
	return (true);
}

/* MySQL's latin1 0x80-0x9f (cp1252; its holes are the C1 controls). */
static const uint16_t cp1252_80[32] = { 0x20ac, 0x0081, 0x201a, 0x0192, 0x201e,
	0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d,
	0x017d, 0x008f, 0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013,
	0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e,
	0x0178 };

/* The latin1 byte of code point cp, or -1. */
static int
latin1_byte(uint32_t cp)
{
	if (cp < 0x80 || (cp >= 0xa0 && cp <= 0xff))
		return ((int) cp);
	for (int i = 0; i < 32; i++)
		if (cp1252_80[i] == cp)
			return (0x80 + i);
	return (-1);
}

/* One UTF-8 sequence at s (n bytes left): its length and *cp, or 0. */
static size_t
utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t need;

	if (s[0] < 0x80) {
		*cp = s[0];
		return (1);
	}
	need = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc0 ? 2 : 0;
	if (need == 0 || need > n || !utf8_valid((const char *) s, need))
		return (0);
	*cp = need == 2 ? (uint32_t) (s[0] & 0x1f)
	    : need == 3 ? (uint32_t) (s[0] & 0x0f)
	                : (uint32_t) (s[0] & 0x07);
	for (size_t k = 1; k < need; k++)
		*cp = *cp << 6 | (uint32_t) (s[k] & 0x3f);
	return (need);
}

int
conv_latin1_unwrap(const char *s, size_t len, conv_buf *out, unsigned *flags)
{
	const unsigned char *u = (const unsigned char *) s;
	size_t i = 0, k;
	uint32_t cp;
	int b;

	out->len = 0;
	if (reserve(out, len) != CONV_OK)
		return (CONV_NOMEM);
	while (i < len) {
		if ((k = utf8_next(u + i, len - i, &cp)) == 0) {
			out->p[out->len++] = s[i++]; /* not UTF-8: as it is */
			continue;
		}
		if ((b = latin1_byte(cp)) >= 0)
			out->p[out->len++] = (char) b;
		else {
			memcpy(out->p + out->len, s + i, k);
			out->len += k;
			*flags |= CONV_F_WIDE;
		}
		i += k;
	}
	out->p[out->len] = '\0';
	return (CONV_OK);
}

int
conv_email(
    const char *s, size_t len, conv_buf *out, conv_buf *key, unsigned *flags)
{
	unsigned f = 0;
	size_t keep;
	int rv;

	/* Made text first (NULs removed, U+FFFD), then trimmed and cut:
	 * what is stored is trimmed, whatever the raw bytes were. */
	if ((rv = conv_text(s, len, (size_t) -1, out, &f)) != CONV_OK)
		return (rv);
	if (trim_buf(out))
		*flags |= CONV_F_TRIMMED;
	keep = utf8_truncate(out->p, out->len, EMAIL_MAX_BYTES);
	if (keep < out->len) {
		out->len = keep;
		out->p[keep] = '\0';
		f |= CONV_F_TRUNCATED;
		if (trim_buf(out))
			*flags |= CONV_F_TRIMMED;
	}
	*flags |= f;
	key->len = 0;
	if (reserve(key, out->len) != CONV_OK)
		return (CONV_NOMEM);
	key->len = email_key(out->p, out->len, key->p);
	key->p[key->len] = '\0';
	return (CONV_OK);
}

int
conv_country(
    const char *s, size_t len, bool *is_null, char out[3], unsigned *flags)
{
	const char *t;
	size_t n;

	*is_null = false;
	email_trim(s, len, &t, &n); /* PHP's trim() */
	if (n == 0) {
		*is_null = true;
		*flags |= CONV_F_CHANGED;
		return (CONV_OK);
	}
	if (n != 2)
		return (CONV_INVALID);
	for (int i = 0; i < 2; i++) {
		char c = t[i];

		if (c >= 'a' && c <= 'z')
			c = (char) (c - 'a' + 'A');
		if (c < 'A' || c > 'Z')
			return (CONV_INVALID);
		out[i] = c;
	}
	out[2] = '\0';
	if (n != len || memcmp(out, s, 2) != 0)
		*flags |= CONV_F_CHANGED;
	return (CONV_OK);
}

/*
 * PHP's unserialize(), the subset serialize() writes for arrays of
 * scalars and arrays: N; b:0; i:N; d:X; s:N:"..."; a:N:{key value...}.
 * Objects and references are refused, as is anything PHP would refuse.
 */
#define PHP_MAX_DEPTH 32

typedef struct php_in {
	const char *s, *end;
	unsigned *flags;
} php_in;

static json_t *php_value(php_in *in, int depth);

/* Reads up to the byte `stop`: a decimal integer (optional '-'). */
static bool
php_int(php_in *in, char stop, long long *v)
{
	const char *p = in->s;
	bool neg = false;
	unsigned long long x = 0;

	if (p < in->end && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	if (p >= in->end || *p < '0' || *p > '9')
		return (false);
	for (; p < in->end && *p >= '0' && *p <= '9'; p++) {
		x = x * 10 + (unsigned long long) (*p - '0');
		if (x > (unsigned long long) INT64_MAX)
			return (false);
	}
	if (p >= in->end || *p != stop)
		return (false);
	in->s = p + 1;
	*v = neg ? -(long long) x : (long long) x;
	return (true);
}

/* Text bytes as a JSON string, made valid as the app rendered them. */
static json_t *
php_text(const char *s, size_t n, unsigned *flags)
{
	conv_buf b;
	json_t *j = NULL;

	conv_buf_init(&b);
	if (conv_text(s, n, (size_t) -1, &b, flags) == CONV_OK)
		j = json_stringn(b.p ? b.p : "", b.len);
	conv_buf_fini(&b);
	return (j);
}

static json_t *
php_string(php_in *in)
{
	long long n;
	json_t *j;

	if (!php_int(in, ':', &n) || n < 0 || in->end - in->s < n + 3 ||
	    in->s[0] != '"' || in->s[n + 1] != '"' || in->s[n + 2] != ';')
		return (NULL);
	j = php_text(in->s + 1, (size_t) n, in->flags);
	in->s += n + 3;
	return (j);
}

static json_t *
php_double(php_in *in)
{
	const char *semi = memchr(in->s, ';', (size_t) (in->end - in->s));
	char buf[64], *e;
	size_t n;
	double d;

	if (semi == NULL || (n = (size_t) (semi - in->s)) == 0 ||
	    n >= sizeof(buf))
		return (NULL);
	memcpy(buf, in->s, n);
	buf[n] = '\0';
	in->s = semi + 1;
	/* JSON has no infinities: the text PHP prints for them. */
	if (strcmp(buf, "INF") == 0 || strcmp(buf, "-INF") == 0 ||
	    strcmp(buf, "NAN") == 0)
		return (json_string(buf));
	d = strtod(buf, &e);
	if (*e != '\0' || buf[0] == ' ' || d != d)
		return (NULL);
	return (json_real(d));
}

static json_t *
php_array(php_in *in, int depth)
{
	long long n;
	json_t *obj;

	if (depth >= PHP_MAX_DEPTH || !php_int(in, ':', &n) || n < 0 ||
	    in->s >= in->end || *in->s++ != '{')
		return (NULL);
	if ((obj = json_object()) == NULL)
		return (NULL);
	for (long long i = 0; i < n; i++) {
		char kbuf[24];
		const char *k = kbuf;
		json_t *key = NULL, *val;
		long long ik;

		if (in->end - in->s < 2)
			goto fail;
		if (in->s[0] == 'i' && in->s[1] == ':') {
			in->s += 2;
			if (!php_int(in, ';', &ik))
				goto fail;
			snprintf(kbuf, sizeof(kbuf), "%lld", ik);
		} else if (in->s[0] == 's' && in->s[1] == ':') {
			in->s += 2;
			if ((key = php_string(in)) == NULL)
				goto fail;
			k = json_string_value(key);
		} else
			goto fail;
		val = php_value(in, depth + 1);
		if (val == NULL || json_object_set_new(obj, k, val) != 0) {
			json_decref(key);
			goto fail;
		}
		json_decref(key);
	}
	if (in->s >= in->end || *in->s++ != '}')
		goto fail;
	return (obj);
fail:
	json_decref(obj);
	return (NULL);
}

static json_t *
php_value(php_in *in, int depth)
{
	long long v;
	char t;

	if (in->end - in->s < 2)
		return (NULL);
	t = in->s[0];
	if (t == 'N' && in->s[1] == ';') {
		in->s += 2;
		return (json_null());
	}
	if (in->s[1] != ':')
		return (NULL);
	in->s += 2;
	switch (t) {
	case 'b':
		if (!php_int(in, ';', &v) || (v != 0 && v != 1))
			return (NULL);
		return (json_boolean(v));
	case 'i':
		return (php_int(in, ';', &v) ? json_integer(v) : NULL);
	case 'd':
		return (php_double(in));
	case 's':
		return (php_string(in));
	case 'a':
		return (php_array(in, depth));
	default: /* objects, references: not written by the app */
		return (NULL);
	}
}

int
conv_meta(
    const char *s, size_t len, bool is_null, conv_buf *out, unsigned *flags)
{
	php_in in;
	json_t *v = NULL;
	char *text;
	int rv = CONV_OK;

	out->len = 0;
	if (!is_null && len > 0) {
		in.s = s;
		in.end = s + len;
		in.flags = flags;
		v = php_value(&in, 0);
		/* unserialize() ignores what follows a complete value. */
		if (v == NULL || !json_is_object(v))
			rv = CONV_INVALID;
	}
	if (rv != CONV_OK || v == NULL) {
		json_decref(v);
		return (
		    conv_buf_put(out, "{}", 2) == CONV_OK ? rv : CONV_NOMEM);
	}
	text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(v);
	if (text == NULL)
		return (CONV_NOMEM);
	rv = conv_buf_put(out, text, strlen(text));
	free(text);
	return (rv);
}
