/*
 * params: the request parameters of the HTTP bridge, read the way the
 * legacy PHP app read them (docs/legacy-api.md 1 and 6 "Parameters").
 * Pure: no I/O, the caller hands in the query string and the body.
 *
 * Sources: the query string (PHP form rules) and the body, chosen by its
 * Content-Type for every method:
 *   - application/x-www-form-urlencoded: PHP form rules, as the query;
 *   - application/json: must decode (jansson) to an object, else the body
 *     counts as empty (also for integers beyond int64 and reals beyond
 *     double, which jansson refuses; PHP would have read them as floats);
 *   - multipart/form-data: not parsed here: the bridge decodes the parts
 *     (libmicrohttpd's post processor, POST only) and hands the fields to
 *     params_merge_fields, which applies the form rules below;
 *   - anything else: the body is ignored.
 * The media type is matched case-insensitively, its parameters
 * ("; charset=utf-8") are ignored. Body values win over query values per
 * top-level name (a body array replaces a query array as a whole); a JSON
 * null in the body masks the query's value (the name is then absent).
 *
 * PHP form rules (php_default_treat_data / php_register_variable_ex of
 * PHP 8): split on '&' (empty pieces skipped), the first '=' separates
 * name and value (no '=': the value is ""), "%XX" and '+' are decoded in
 * both (a malformed escape stays literally), the name stops at its first
 * NUL byte, leading spaces of the name are dropped, '.' and ' ' become
 * '_' before the first '[', empty names are ignored. "a[k]=v" and
 * "a[]=v" make a one-level array ("a[]" takes the next integer key:
 * "0", "1", ..., or one past the largest non-negative integer key); a
 * '[' without ']' is no array: it and the ' ', '.', '[' after it become
 * '_' ("a[b.c" is the scalar "a_b_c"). Text after "]" is ignored unless
 * it starts another "[...]": "a[k][j]=v" is a nested member (flagged
 * PARAM_MEMBER_NESTED, value ""). The later of two equal names wins,
 * scalar or array alike (in the first one's place).
 *
 * JSON values count as the strings a form would carry: strings as they
 * are (bytes, may hold NUL: check before use), integers in decimal,
 * reals as PHP prints them (params_php_double, PARAMS_PHP_PRECISION),
 * true/false as "true"/"false", null as absent. The double is only used
 * to reproduce PHP's string of a JSON number: money is parsed exactly
 * from that string later. A nested object or array becomes an array of
 * its members stringified the same way (arrays get keys "0", "1", ...);
 * a member that is itself an object or array is flagged
 * PARAM_MEMBER_NESTED (value ""), a null member PARAM_MEMBER_NULL (value
 * "", the contract stores meta nulls as "").
 *
 * Bounds (hostile input): body and query at most PARAMS_BODY_MAX bytes,
 * at most PARAMS_MAX_PARAMS parameters per source (form pieces or JSON
 * members), PARAMS_MAX_MEMBERS members per array, names (the decoded
 * form name with its brackets, or a JSON key) at most PARAMS_NAME_MAX
 * bytes.
 */
#ifndef HTTP_BRIDGE_PARAMS_H
#define HTTP_BRIDGE_PARAMS_H

#include <stdbool.h>
#include <stddef.h>

#define PARAMS_BODY_MAX (1024 * 1024)
#define PARAMS_MAX_PARAMS 1000
#define PARAMS_MAX_MEMBERS PARAMS_MAX_PARAMS
#define PARAMS_NAME_MAX 256

/*
 * The precision PHP printed a JSON real with: -1 is the shortest form
 * that reads back as the same double (PHP's serialize_precision = -1);
 * 14 would be PHP's (string) cast with its default precision = 14.
 */
#define PARAMS_PHP_PRECISION (-1)
/* Enough for every params_php_double output, NUL included. */
#define PARAMS_DOUBLE_BUFSZ 32

#define PARAMS_OK 0
#define PARAMS_ENOMEM 1   /* out of memory */
#define PARAMS_ETOOMANY 2 /* too many parameters or array members */
#define PARAMS_ETOOLONG 3 /* a name longer than PARAMS_NAME_MAX */
#define PARAMS_ETOOBIG 4  /* body or query above PARAMS_BODY_MAX */
#define PARAMS_EINVAL 5   /* bad arguments */
#define PARAMS_ENOENT 6   /* params_string: absent, null or "" */
#define PARAMS_EARRAY 7   /* params_string: an array */

typedef enum {
	PARAM_SCALAR,
	PARAM_ARRAY,
} param_kind;

/* Member flags: the caller refuses these as "Invalid parameter". */
#define PARAM_MEMBER_NESTED 1u /* was an array or object itself */
#define PARAM_MEMBER_NULL 2u   /* JSON null (value "") */

typedef struct param_member {
	char *key; /* NUL-terminated, keylen bytes */
	size_t keylen;
	char *value; /* NUL-terminated, but may hold NUL: use len */
	size_t len;
	unsigned flags;
} param_member;

typedef struct param {
	char *name; /* NUL-terminated, namelen bytes */
	size_t namelen;
	param_kind kind;
	char *value; /* PARAM_SCALAR: may hold NUL, use len */
	size_t len;
	param_member *members; /* PARAM_ARRAY: n members, in order */
	size_t n;
} param;

typedef struct params params;

/* Media types params_parse knows (params_ctype). */
typedef enum {
	PARAMS_CT_OTHER,
	PARAMS_CT_FORM,
	PARAMS_CT_JSON,
	PARAMS_CT_MULTIPART,
} params_ctype_kind;

/* The media type of a Content-Type value (NULL: PARAMS_CT_OTHER). */
params_ctype_kind params_ctype(const char *ctype);

/*
 * Reads the parameters of one request into *out (freed with
 * params_free). query: the raw query string after '?' (NULL or qlen 0:
 * none); ctype: the Content-Type header value (NULL: none); body: blen
 * bytes (NULL when blen is 0); method: the HTTP method (unused: a
 * multipart body is the caller's, see params_merge_fields). On failure
 * *out is unchanged.
 */
int params_parse(params **out, const char *method, const char *query,
    size_t qlen, const char *ctype, const char *body, size_t blen);

/* One decoded field of a multipart/form-data body. */
typedef struct params_field {
	const char *name;  /* NUL-terminated (PHP stops a name at NUL) */
	size_t nlen;       /* strlen(name) */
	const char *value; /* vlen bytes, may hold NUL */
	size_t vlen;
} params_field;

/*
 * Registers n multipart fields by PHP's form rules (names as in a form
 * body, but not percent-decoded) and merges them over p as a body: body
 * wins per top-level name. Bounds as for a form body (PARAMS_ETOOMANY,
 * PARAMS_ETOOLONG); on failure p is unchanged.
 */
int params_merge_fields(params *p, const params_field *f, size_t n);

void params_free(params *p);

/*
 * php_url_decode of len bytes: '+' is ' ', "%XX" a byte, any other '%'
 * literal. A malloc'd, NUL-terminated copy (it may hold NUL bytes) and
 * its length in *outlen; NULL when out of memory.
 */
char *params_url_decode(const char *s, size_t len, size_t *outlen);

/* The parameter called name, or NULL. */
const param *params_get(const params *p, const char *name);

/* Every parameter, in order: i < params_count(p). */
size_t params_count(const params *p);
const param *params_at(const params *p, size_t i);

/*
 * The contract's "given": present and not null and not "". An array is
 * given (an array where a scalar belongs is "Invalid parameter").
 */
bool params_given(const params *p, const char *name);

/*
 * A scalar parameter's value: PARAMS_OK and *val, *len (may hold NUL),
 * PARAMS_ENOENT when not given, PARAMS_EARRAY when an array (then *val
 * is "" and *len 0).
 */
int params_string(
    const params *p, const char *name, const char **val, size_t *len);

/*
 * Prints d as PHP does (zend_gcvt): precision -1 is the shortest form
 * that reads back as d (exponent form when the decimal point would lie
 * more than 17 digits right or 4 left: "1.0E+25", "1.5E-7"), 1..17 that
 * many significant digits (PHP's (string) cast uses 14), trailing zeros
 * dropped: 12.5 -> "12.5", 1e2 -> "100", -0.0 -> "-0", INF -> "INF".
 * buf has at least PARAMS_DOUBLE_BUFSZ bytes.
 */
int params_php_double(double d, int precision, char *buf, size_t size);

#endif /* HTTP_BRIDGE_PARAMS_H */
