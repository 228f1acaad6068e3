/*
 * params: the bridge's request parameters, PHP's way (see params.h).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "params.h"

/* One parameter and what building it needs. */
struct pent {
	param p;
	size_t mcap;  /* members allocated */
	int64_t next; /* the next "a[]" key */
	bool full;    /* no next key (PHP: the insert fails) */
	bool null;    /* a JSON null: masks the query's value */
};

struct params {
	struct pent *v;
	size_t n;
	size_t cap;
};

static char *
dupn(const char *s, size_t len)
{
	char *d;

	if ((d = malloc(len + 1)) == NULL)
		return (NULL);
	if (len > 0)
		memcpy(d, s, len);
	d[len] = '\0';
	return (d);
}

static void
members_free(param *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->members[i].key);
		free(p->members[i].value);
	}
	free(p->members);
	p->members = NULL;
	p->n = 0;
}

static void
pent_clear(struct pent *e)
{
	free(e->p.value);
	e->p.value = NULL;
	e->p.len = 0;
	members_free(&e->p);
	e->mcap = 0;
	e->next = 0;
	e->full = false;
	e->null = false;
}

void
params_free(params *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n; i++) {
		pent_clear(&p->v[i]);
		free(p->v[i].p.name);
	}
	free(p->v);
	free(p);
}

static struct pent *
find(const params *p, const char *name, size_t len)
{
	for (size_t i = 0; i < p->n; i++) {
		param *q = &p->v[i].p;

		if (q->namelen == len && memcmp(q->name, name, len) == 0)
			return (&p->v[i]);
	}
	return (NULL);
}

/* The entry called name, emptied, created when missing. */
static int
entry(params *p, const char *name, size_t len, struct pent **out)
{
	struct pent *e;

	if ((e = find(p, name, len)) != NULL) {
		pent_clear(e);
		*out = e;
		return (PARAMS_OK);
	}
	if (p->n == p->cap) {
		/* 8 entries stay below 1 KiB: a larger first request
		 * makes glibc consolidate its free lists on every call. */
		size_t cap = p->cap == 0 ? 8 : p->cap * 2;

		if ((e = realloc(p->v, cap * sizeof(*e))) == NULL)
			return (PARAMS_ENOMEM);
		p->v = e;
		p->cap = cap;
	}
	e = &p->v[p->n];
	memset(e, 0, sizeof(*e));
	if ((e->p.name = dupn(name, len)) == NULL)
		return (PARAMS_ENOMEM);
	e->p.namelen = len;
	p->n++;
	*out = e;
	return (PARAMS_OK);
}

/* name = value (value is taken over, also on failure). */
static int
set_scalar(params *p, const char *name, size_t nlen, char *value, size_t len)
{
	struct pent *e;
	int rv;

	if ((rv = entry(p, name, nlen, &e)) != PARAMS_OK) {
		free(value);
		return (rv);
	}
	e->p.kind = PARAM_SCALAR;
	e->p.value = value;
	e->p.len = len;
	return (PARAMS_OK);
}

static void
remove_at(params *p, struct pent *e)
{
	size_t i = (size_t) (e - p->v);

	pent_clear(e);
	free(e->p.name);
	memmove(&p->v[i], &p->v[i + 1], (p->n - i - 1) * sizeof(*e));
	p->n--;
}

/* PHP's integer keys: "0" or -?[1-9][0-9]* within int64. */
static bool
int_key(const char *k, size_t len, int64_t *v)
{
	bool neg = false;
	uint64_t x = 0;

	if (len > 0 && k[0] == '-') {
		neg = true;
		k++;
		len--;
	}
	if (len == 0 || len > 19 || (k[0] == '0' && (len > 1 || neg)))
		return (false);
	for (size_t i = 0; i < len; i++) {
		if (k[i] < '0' || k[i] > '9')
			return (false);
		x = x * 10 + (uint64_t) (k[i] - '0');
	}
	if (x > (uint64_t) INT64_MAX + (neg ? 1 : 0))
		return (false);
	*v = neg ? (int64_t) (0 - x) : (int64_t) x;
	return (true);
}

/*
 * The member key of the array entry e (key NULL: the next integer key),
 * value taken over (also on failure). Not appended when PHP's next key
 * is exhausted.
 */
static int
set_member(struct pent *e, const char *key, size_t klen, char *value,
    size_t len, unsigned flags)
{
	param *p = &e->p;
	param_member *m = NULL;
	char buf[24];
	int64_t k;

	if (key == NULL) {
		if (e->full) {
			free(value);
			return (PARAMS_OK);
		}
		klen = (size_t) snprintf(
		    buf, sizeof(buf), "%lld", (long long) e->next);
		key = buf;
	}
	for (size_t i = 0; i < p->n; i++) {
		if (p->members[i].keylen == klen &&
		    memcmp(p->members[i].key, key, klen) == 0) {
			m = &p->members[i];
			break;
		}
	}
	if (m == NULL) {
		if (p->n >= PARAMS_MAX_MEMBERS) {
			free(value);
			return (PARAMS_ETOOMANY);
		}
		if (p->n == e->mcap) {
			size_t cap = e->mcap == 0 ? 4 : e->mcap * 2;

			if ((m = realloc(p->members, cap * sizeof(*m))) ==
			    NULL) {
				free(value);
				return (PARAMS_ENOMEM);
			}
			p->members = m;
			e->mcap = cap;
		}
		m = &p->members[p->n];
		if ((m->key = dupn(key, klen)) == NULL) {
			free(value);
			return (PARAMS_ENOMEM);
		}
		m->keylen = klen;
		m->value = NULL;
		p->n++;
	}
	free(m->value);
	m->value = value;
	m->len = len;
	m->flags = flags;
	if (int_key(key, klen, &k) && k >= e->next) {
		if (k == INT64_MAX)
			e->full = true;
		else
			e->next = k + 1;
	}
	return (PARAMS_OK);
}

/* The array called name: kept when it is one, else a new empty one. */
static int
get_array(params *p, const char *name, size_t nlen, struct pent **out)
{
	struct pent *e;
	int rv;

	if ((e = find(p, name, nlen)) != NULL && e->p.kind == PARAM_ARRAY &&
	    !e->null) {
		*out = e;
		return (PARAMS_OK);
	}
	if ((rv = entry(p, name, nlen, &e)) != PARAMS_OK)
		return (rv);
	e->p.kind = PARAM_ARRAY;
	*out = e;
	return (PARAMS_OK);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

char *
params_url_decode(const char *s, size_t len, size_t *outlen)
{
	char *d;
	size_t j = 0;

	if ((d = malloc(len + 1)) == NULL)
		return (NULL);
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '+') {
			d[j++] = ' ';
		} else if (s[i] == '%' && i + 2 < len &&
		    hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			d[j++] =
			    (char) (hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else {
			d[j++] = s[i];
		}
	}
	d[j] = '\0';
	*outlen = j;
	return (d);
}

/*
 * php_register_variable_ex for one decoded name (NUL-terminated,
 * writable) and its value (taken over).
 */
static int
register_var(params *p, char *name, char *value, size_t vlen)
{
	char *var = name, *s, *ip, *idx, *close;
	size_t vl;
	struct pent *e;
	int rv;

	while (*var == ' ')
		var++;
	for (s = var; *s != '\0'; s++) {
		if (*s == ' ' || *s == '.')
			*s = '_';
		else if (*s == '[')
			break;
	}
	vl = (size_t) (s - var);
	if (vl == 0) {
		free(value);
		return (PARAMS_OK);
	}
	if (*s != '[')
		return (set_scalar(p, var, vl, value, vlen));

	ip = s + 1;
	idx = ip;
	if (*ip == ' ')
		ip++;
	if (*ip == ']') {
		idx = NULL;
		close = ip;
	} else if ((close = strchr(ip, ']')) == NULL) {
		/* Not an index: "a[b.c" is the scalar "a_b_c". */
		for (char *q = s; *q != '\0'; q++) {
			if (*q == ' ' || *q == '.' || *q == '[')
				*q = '_';
		}
		return (set_scalar(p, var, strlen(var), value, vlen));
	}
	if ((rv = get_array(p, var, vl, &e)) != PARAMS_OK) {
		free(value);
		return (rv);
	}
	/* A second "[...]" with its ']' makes a nested member. */
	if (close[1] == '[' && strchr(close + 2, ']') != NULL) {
		free(value);
		if ((value = dupn("", 0)) == NULL)
			return (PARAMS_ENOMEM);
		return (set_member(e, idx,
		    idx == NULL ? 0 : (size_t) (close - idx), value, 0,
		    PARAM_MEMBER_NESTED));
	}
	return (set_member(
	    e, idx, idx == NULL ? 0 : (size_t) (close - idx), value, vlen, 0));
}

/* One source in PHP form encoding (the query or a form body). */
static int
parse_form(params *p, const char *s, size_t len)
{
	size_t count = 0, i = 0;

	while (i < len) {
		const char *piece = s + i, *amp, *eq;
		size_t plen, nlen, vlen, dlen;
		char *name, *value;
		int rv;

		amp = memchr(piece, '&', len - i);
		plen = amp != NULL ? (size_t) (amp - piece) : len - i;
		i += plen + 1;
		if (plen == 0)
			continue;
		if (++count > PARAMS_MAX_PARAMS)
			return (PARAMS_ETOOMANY);
		eq = memchr(piece, '=', plen);
		nlen = eq != NULL ? (size_t) (eq - piece) : plen;
		if ((name = params_url_decode(piece, nlen, &dlen)) == NULL)
			return (PARAMS_ENOMEM);
		if (dlen > PARAMS_NAME_MAX) {
			free(name);
			return (PARAMS_ETOOLONG);
		}
		if (eq != NULL)
			value =
			    params_url_decode(eq + 1, plen - nlen - 1, &vlen);
		else
			value = params_url_decode("", 0, &vlen);
		if (value == NULL) {
			free(name);
			return (PARAMS_ENOMEM);
		}
		/* The name stops at a NUL byte (strlen in PHP). */
		rv = register_var(p, name, value, vlen);
		free(name);
		if (rv != PARAMS_OK)
			return (rv);
	}
	return (PARAMS_OK);
}

static void
digits_of(const char *e, char *digits, int *decpt)
{
	size_t n = 0;

	/* e is "D[.DDD]e[+-]X..." */
	for (; *e != 'e'; e++) {
		if (*e != '.')
			digits[n++] = *e;
	}
	while (n > 1 && digits[n - 1] == '0')
		n--;
	digits[n] = '\0';
	*decpt = atoi(e + 1) + 1;
}

int
params_php_double(double d, int precision, char *buf, size_t size)
{
	char tmp[40], digits[24], *o = buf;
	int decpt, ndigit, n;
	size_t i;

	if (buf == NULL || size < PARAMS_DOUBLE_BUFSZ || precision == 0 ||
	    precision < -1 || precision > 17)
		return (PARAMS_EINVAL);
	if (isnan(d)) {
		strcpy(buf, "NAN");
		return (PARAMS_OK);
	}
	if (isinf(d)) {
		strcpy(buf, d < 0 ? "-INF" : "INF");
		return (PARAMS_OK);
	}
	if (signbit(d)) {
		*o++ = '-';
		d = -d;
	}
	if (d == 0) {
		strcpy(digits, "0");
		decpt = 1;
	} else if (precision == -1) {
		for (n = 1; n <= 17; n++) {
			snprintf(tmp, sizeof(tmp), "%.*e", n - 1, d);
			if (strtod(tmp, NULL) == d)
				break;
		}
		digits_of(tmp, digits, &decpt);
	} else {
		snprintf(tmp, sizeof(tmp), "%.*e", precision - 1, d);
		digits_of(tmp, digits, &decpt);
	}
	ndigit = precision == -1 ? 17 : precision;

	if (decpt < 0 ? decpt < -3 : decpt > ndigit) {
		/* 1.5E+300, 1.0E-5 */
		*o++ = digits[0];
		*o++ = '.';
		if (digits[1] == '\0')
			*o++ = '0';
		for (i = 1; digits[i] != '\0'; i++)
			*o++ = digits[i];
		snprintf(o, size - (size_t) (o - buf), "E%c%d",
		    decpt - 1 < 0 ? '-' : '+', abs(decpt - 1));
	} else if (decpt <= 0) {
		/* 0.05 */
		*o++ = '0';
		*o++ = '.';
		for (n = decpt; n < 0; n++)
			*o++ = '0';
		for (i = 0; digits[i] != '\0'; i++)
			*o++ = digits[i];
		*o = '\0';
	} else {
		/* 100, 12.5 */
		for (n = 0, i = 0; n < decpt; n++)
			*o++ = digits[i] != '\0' ? digits[i++] : '0';
		if (digits[i] != '\0') {
			*o++ = '.';
			while (digits[i] != '\0')
				*o++ = digits[i++];
		}
		*o = '\0';
	}
	return (PARAMS_OK);
}

/*
 * A JSON scalar's form string in *out (malloc'd): PARAMS_OK, or
 * PARAMS_ENOENT for null (*out ""), PARAMS_EARRAY for an object or
 * array (*out ""), PARAMS_ENOMEM.
 */
static int
json_str(json_t *v, char **out, size_t *len)
{
	char buf[PARAMS_DOUBLE_BUFSZ];
	int rv = PARAMS_OK;

	switch (json_typeof(v)) {
	case JSON_STRING:
		*len = json_string_length(v);
		*out = dupn(json_string_value(v), *len);
		return (*out == NULL ? PARAMS_ENOMEM : PARAMS_OK);
	case JSON_INTEGER:
		snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		break;
	case JSON_REAL:
		if (params_php_double(json_real_value(v), PARAMS_PHP_PRECISION,
		        buf, sizeof(buf)) != PARAMS_OK)
			return (PARAMS_EINVAL);
		break;
	case JSON_TRUE:
		strcpy(buf, "true");
		break;
	case JSON_FALSE:
		strcpy(buf, "false");
		break;
	case JSON_NULL:
		buf[0] = '\0';
		rv = PARAMS_ENOENT;
		break;
	default:
		buf[0] = '\0';
		rv = PARAMS_EARRAY;
		break;
	}
	*len = strlen(buf);
	if ((*out = dupn(buf, *len)) == NULL)
		return (PARAMS_ENOMEM);
	return (rv);
}

/* One member of a nested JSON object or array. */
static int
json_member(struct pent *e, const char *key, size_t klen, json_t *v)
{
	char *s;
	size_t len;
	unsigned flags = 0;
	int rv;

	if (klen > PARAMS_NAME_MAX)
		return (PARAMS_ETOOLONG);
	switch ((rv = json_str(v, &s, &len))) {
	case PARAMS_OK:
		break;
	case PARAMS_ENOENT:
		flags = PARAM_MEMBER_NULL;
		break;
	case PARAMS_EARRAY:
		flags = PARAM_MEMBER_NESTED;
		break;
	default:
		return (rv);
	}
	return (set_member(e, key, klen, s, len, flags));
}

static int
parse_json(params *p, const char *body, size_t blen)
{
	json_t *root, *v, *m;
	const char *key;
	size_t klen, idx;
	int rv = PARAMS_OK;

	if ((root = json_loadb(body, blen, JSON_ALLOW_NUL, NULL)) == NULL)
		return (PARAMS_OK); /* invalid: the body counts as empty */
	if (!json_is_object(root)) {
		json_decref(root);
		return (PARAMS_OK);
	}
	if (json_object_size(root) > PARAMS_MAX_PARAMS) {
		json_decref(root);
		return (PARAMS_ETOOMANY);
	}
	json_object_keylen_foreach(root, key, klen, v)
	{
		struct pent *e;
		char *s;
		size_t len;

		if (klen > PARAMS_NAME_MAX) {
			rv = PARAMS_ETOOLONG;
			break;
		}
		if (klen == 0)
			continue; /* as a form's empty name */
		if (json_is_object(v) || json_is_array(v)) {
			if ((rv = entry(p, key, klen, &e)) != PARAMS_OK)
				break;
			e->p.kind = PARAM_ARRAY;
			if (json_is_object(v)) {
				const char *k2;
				size_t k2len;

				if (json_object_size(v) > PARAMS_MAX_MEMBERS) {
					rv = PARAMS_ETOOMANY;
					break;
				}
				json_object_keylen_foreach(v, k2, k2len, m)
				{
					if ((rv = json_member(e, k2, k2len,
					         m)) != PARAMS_OK)
						break;
				}
			} else {
				if (json_array_size(v) > PARAMS_MAX_MEMBERS) {
					rv = PARAMS_ETOOMANY;
					break;
				}
				json_array_foreach (v, idx, m) {
					if ((rv = json_member(
					         e, NULL, 0, m)) != PARAMS_OK)
						break;
				}
			}
			if (rv != PARAMS_OK)
				break;
			continue;
		}
		rv = json_str(v, &s, &len);
		if (rv == PARAMS_ENOENT) {
			if ((rv = set_scalar(p, key, klen, s, len)) !=
			    PARAMS_OK)
				break;
			find(p, key, klen)->null = true;
			continue;
		}
		if (rv != PARAMS_OK ||
		    (rv = set_scalar(p, key, klen, s, len)) != PARAMS_OK)
			break;
	}
	json_decref(root);
	return (rv);
}

params_ctype_kind
params_ctype(const char *ctype)
{
	static const struct {
		const char *name;
		params_ctype_kind kind;
	} types[] = {
		{ "application/x-www-form-urlencoded", PARAMS_CT_FORM },
		{ "application/json", PARAMS_CT_JSON },
		{ "multipart/form-data", PARAMS_CT_MULTIPART },
	};
	size_t b, e;

	if (ctype == NULL)
		return (PARAMS_CT_OTHER);
	for (b = 0; ctype[b] == ' ' || ctype[b] == '\t'; b++)
		;
	for (e = b; ctype[e] != '\0' && ctype[e] != ';'; e++)
		;
	while (e > b && (ctype[e - 1] == ' ' || ctype[e - 1] == '\t'))
		e--;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (strlen(types[i].name) == e - b &&
		    strncasecmp(types[i].name, ctype + b, e - b) == 0)
			return (types[i].kind);
	}
	return (PARAMS_CT_OTHER);
}

/* Body over query, per top-level name; a body null removes the name. */
static void
merge(params *q, params *b)
{
	for (size_t i = 0; i < b->n; i++) {
		struct pent *src = &b->v[i], *dst;

		dst = find(q, src->p.name, src->p.namelen);
		if (src->null) {
			if (dst != NULL)
				remove_at(q, dst);
			pent_clear(src);
			free(src->p.name);
			continue;
		}
		if (dst != NULL) {
			pent_clear(dst);
			free(dst->p.name);
			*dst = *src;
		} else {
			q->v[q->n++] = *src; /* room made by the caller */
		}
	}
	b->n = 0;
}

/* Makes room in q for b's entries, then merges b over q. */
static int
merge_into(params *q, params *b)
{
	if (b->n > 0 && q->cap - q->n < b->n) {
		struct pent *v;

		if ((v = realloc(q->v, (q->n + b->n) * sizeof(*v))) == NULL)
			return (PARAMS_ENOMEM);
		q->v = v;
		q->cap = q->n + b->n;
	}
	merge(q, b);
	return (PARAMS_OK);
}

int
params_merge_fields(params *p, const params_field *f, size_t n)
{
	params *b;
	int rv = PARAMS_OK;

	if (p == NULL || (f == NULL && n > 0))
		return (PARAMS_EINVAL);
	if (n > PARAMS_MAX_PARAMS)
		return (PARAMS_ETOOMANY);
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return (PARAMS_ENOMEM);
	for (size_t i = 0; i < n && rv == PARAMS_OK; i++) {
		char *name, *value;

		if (f[i].nlen > PARAMS_NAME_MAX) {
			rv = PARAMS_ETOOLONG;
			break;
		}
		name = dupn(f[i].name, f[i].nlen);
		value = dupn(f[i].value, f[i].vlen);
		if (name == NULL || value == NULL) {
			free(name);
			free(value);
			rv = PARAMS_ENOMEM;
			break;
		}
		rv = register_var(b, name, value, f[i].vlen);
		free(name);
	}
	if (rv == PARAMS_OK)
		rv = merge_into(p, b);
	params_free(b);
	return (rv);
}

int
params_parse(params **out, const char *method, const char *query, size_t qlen,
    const char *ctype, const char *body, size_t blen)
{
	params *q, *b;
	int rv = PARAMS_OK;

	(void) method; /* multipart/form-data is the caller's */
	if (out == NULL || (query == NULL && qlen > 0) ||
	    (body == NULL && blen > 0))
		return (PARAMS_EINVAL);
	if (qlen > PARAMS_BODY_MAX || blen > PARAMS_BODY_MAX)
		return (PARAMS_ETOOBIG);
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return (PARAMS_ENOMEM);
	if ((b = calloc(1, sizeof(*b))) == NULL) {
		free(q);
		return (PARAMS_ENOMEM);
	}
	if (qlen > 0)
		rv = parse_form(q, query, qlen);
	if (rv == PARAMS_OK && blen > 0) {
		switch (params_ctype(ctype)) {
		case PARAMS_CT_FORM:
			rv = parse_form(b, body, blen);
			break;
		case PARAMS_CT_JSON:
			rv = parse_json(b, body, blen);
			break;
		default:
			break; /* ignored; multipart is the bridge's */
		}
	}
	if (rv == PARAMS_OK)
		rv = merge_into(q, b);
	if (rv != PARAMS_OK) {
		params_free(q);
		params_free(b);
		return (rv);
	}
	params_free(b);
	*out = q;
	return (PARAMS_OK);
}

const param *
params_get(const params *p, const char *name)
{
	struct pent *e;

	if (p == NULL || name == NULL)
		return (NULL);
	e = find(p, name, strlen(name));
	return (e != NULL ? &e->p : NULL);
}

size_t
params_count(const params *p)
{
	return (p != NULL ? p->n : 0);
}

const param *
params_at(const params *p, size_t i)
{
	return (p != NULL && i < p->n ? &p->v[i].p : NULL);
}

bool
params_given(const params *p, const char *name)
{
	const param *q = params_get(p, name);

	return (q != NULL && (q->kind == PARAM_ARRAY || q->len > 0));
}

int
params_string(const params *p, const char *name, const char **val, size_t *len)
{
	const param *q = params_get(p, name);

	*val = "";
	*len = 0;
	if (q == NULL || (q->kind == PARAM_SCALAR && q->len == 0))
		return (PARAMS_ENOENT);
	if (q->kind == PARAM_ARRAY)
		return (PARAMS_EARRAY);
	*val = q->value;
	*len = q->len;
	return (PARAMS_OK);
}
