/*
 * accept.c: see accept.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../rules/caltime.h"
#include "accept.h"

typedef enum accept_kind {
	ACCEPT_IGNORE,
	ACCEPT_DATETIME_WITHIN,
} accept_kind;

typedef struct rule {
	char endpoint[ACCEPT_GLOB_MAX];
	char action[ACCEPT_GLOB_MAX];
	char path[ACCEPT_GLOB_MAX];
	accept_kind kind;
	long long seconds;
} rule;

struct accept_rules {
	size_t n;
	rule rules[];
};

bool
accept_glob(const char *p, const char *s)
{
	const char *star = NULL, *resume = NULL;

	/* Greedy with one backtrack point: linear in practice, no recursion.
	 */
	while (*s != '\0') {
		if (*p == '*') {
			star = p++;
			resume = s;
		} else if (*p != '\0' && (*p == '?' || *p == *s)) {
			p++;
			s++;
		} else if (star != NULL) {
			p = star + 1;
			s = ++resume;
		} else
			return (false);
	}
	while (*p == '*')
		p++;
	return (*p == '\0');
}

static int
digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (-1);
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return (0);
}

int
accept_datetime(const char *s, long long *out)
{
	int y, mo, d, h, mi, se;
	size_t len = strlen(s);

	if ((len != 19 && !(len == 20 && s[19] == 'Z')) || s[4] != '-' ||
	    s[7] != '-' || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' ||
	    s[16] != ':' || (len == 20 && s[10] != 'T'))
		return (-1);
	if (digits(s, 4, &y) != 0 || digits(s + 5, 2, &mo) != 0 ||
	    digits(s + 8, 2, &d) != 0 || digits(s + 11, 2, &h) != 0 ||
	    digits(s + 14, 2, &mi) != 0 || digits(s + 17, 2, &se) != 0)
		return (-1);
	if (mo < 1 || mo > 12 || d < 1 || d > cal_days_in_month(y, mo) ||
	    h > 23 || mi > 59 || se > 59)
		return (-1);
	*out = (long long) cal_days_from_civil(y, mo, d) * 86400 + h * 3600 +
	    mi * 60 + se;
	return (0);
}

static bool
within(const json_t *a, const json_t *b, long long seconds)
{
	long long x, y;

	if (!json_is_string(a) || !json_is_string(b) ||
	    accept_datetime(json_string_value(a), &x) != 0 ||
	    accept_datetime(json_string_value(b), &y) != 0)
		return (false);
	return (x - y <= seconds && y - x <= seconds);
}

bool
accept_match(const accept_rules *r, const char *endpoint, const char *action,
    const char *path, const json_t *a, const json_t *b)
{
	for (size_t i = 0; r != NULL && i < r->n; i++) {
		const rule *x = &r->rules[i];

		if (!accept_glob(x->path, path) ||
		    !accept_glob(x->endpoint, endpoint) ||
		    !accept_glob(x->action, action))
			continue;
		if (x->kind == ACCEPT_IGNORE ||
		    (x->kind == ACCEPT_DATETIME_WITHIN &&
		        within(a, b, x->seconds)))
			return (true);
	}
	return (false);
}

/* A glob member: absent gives "*"; a string of 1-511 bytes, no NUL. */
static int
glob_member(json_t *o, const char *name, bool required, char *dst, size_t i,
    char *err, size_t errlen)
{
	json_t *v = json_object_get(o, name);
	size_t len;

	if (v == NULL) {
		if (required) {
			snprintf(err, errlen, "rule %zu: \"%s\" is required",
			    i, name);
			return (-1);
		}
		strcpy(dst, "*");
		return (0);
	}
	len = json_string_length(v);
	if (!json_is_string(v) || len == 0 || len >= ACCEPT_GLOB_MAX ||
	    strlen(json_string_value(v)) != len) {
		snprintf(err, errlen,
		    "rule %zu: \"%s\" must be a string of 1-%d bytes", i, name,
		    ACCEPT_GLOB_MAX - 1);
		return (-1);
	}
	memcpy(dst, json_string_value(v), len + 1);
	return (0);
}

static int
parse_rule(json_t *o, size_t i, rule *x, char *err, size_t errlen)
{
	static const char *const known[] = { "endpoint", "action", "path",
		"kind", "seconds", "comment" };
	const char *k, *kind;
	json_t *v, *sec;

	if (!json_is_object(o)) {
		snprintf(err, errlen, "rule %zu: not an object", i);
		return (-1);
	}
	json_object_foreach (o, k, v) {
		size_t j = 0;

		while (j < sizeof(known) / sizeof(known[0]) &&
		    strcmp(k, known[j]) != 0)
			j++;
		if (j == sizeof(known) / sizeof(known[0])) {
			snprintf(err, errlen,
			    "rule %zu: unknown member \"%.64s\"", i, k);
			return (-1);
		}
	}
	if (glob_member(o, "endpoint", false, x->endpoint, i, err, errlen) !=
	        0 ||
	    glob_member(o, "action", false, x->action, i, err, errlen) != 0 ||
	    glob_member(o, "path", true, x->path, i, err, errlen) != 0)
		return (-1);
	kind = json_string_value(json_object_get(o, "kind"));
	sec = json_object_get(o, "seconds");
	if (kind != NULL && strcmp(kind, "ignore") == 0) {
		x->kind = ACCEPT_IGNORE;
		if (sec != NULL) {
			snprintf(err, errlen,
			    "rule %zu: \"seconds\" is only for "
			    "datetime_within_seconds",
			    i);
			return (-1);
		}
	} else if (kind != NULL &&
	    strcmp(kind, "datetime_within_seconds") == 0) {
		x->kind = ACCEPT_DATETIME_WITHIN;
		if (!json_is_integer(sec) || json_integer_value(sec) < 0 ||
		    json_integer_value(sec) > ACCEPT_SECONDS_MAX) {
			snprintf(err, errlen,
			    "rule %zu: \"seconds\" must be an integer 0-%d", i,
			    ACCEPT_SECONDS_MAX);
			return (-1);
		}
		x->seconds = (long long) json_integer_value(sec);
	} else {
		snprintf(err, errlen,
		    "rule %zu: \"kind\" must be \"ignore\" or "
		    "\"datetime_within_seconds\"",
		    i);
		return (-1);
	}
	return (0);
}

int
accept_parse(
    const char *text, size_t len, accept_rules **out, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root, *list;
	accept_rules *r = NULL;
	size_t n;

	*out = NULL;
	if ((root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je)) ==
	    NULL) {
		snprintf(err, errlen, "line %d: %s", je.line, je.text);
		return (-1);
	}
	list = json_object_get(root, "accept");
	if (json_object_size(root) != 1 || !json_is_array(list)) {
		snprintf(
		    err, errlen, "the file must be {\"accept\": [rules...]}");
		goto fail;
	}
	if ((n = json_array_size(list)) > ACCEPT_MAX_RULES) {
		snprintf(err, errlen, "more than %d rules", ACCEPT_MAX_RULES);
		goto fail;
	}
	if ((r = calloc(1, sizeof(*r) + n * sizeof(r->rules[0]))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < n; i++)
		if (parse_rule(json_array_get(list, i), i, &r->rules[i], err,
		        errlen) != 0)
			goto fail;
	r->n = n;
	json_decref(root);
	*out = r;
	return (0);
fail:
	free(r);
	json_decref(root);
	return (-1);
}

int
accept_load(const char *path, accept_rules **out, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	size_t n;
	int rv;

	*out = NULL;
	if (fp == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if ((buf = malloc(ACCEPT_FILE_MAX + 1)) == NULL) {
		fclose(fp);
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	n = fread(buf, 1, ACCEPT_FILE_MAX + 1, fp);
	if (ferror(fp) || n > ACCEPT_FILE_MAX) {
		snprintf(err, errlen, "%s: %s", path,
		    ferror(fp) ? "read error" : "larger than 1 MiB");
		rv = -1;
	} else
		rv = accept_parse(buf, n, out, err, errlen);
	free(buf);
	fclose(fp);
	return (rv);
}

void
accept_free(accept_rules *r)
{
	free(r);
}

size_t
accept_count(const accept_rules *r)
{
	return (r != NULL ? r->n : 0);
}
