/*
 * fuzz_params: libFuzzer target of the bridge's request parameters
 * (http-bridge/params.c), the first code that reads a client's bytes.
 *
 * Input: one selector byte, then the query string, a '\n', and the
 * body. selector % 4 picks the Content-Type: 0 form, 1 JSON, 2 form with
 * "; charset=UTF-8" in upper case, 3 text/plain (body ignored). The seed
 * corpus (tests/fuzz/corpus/params/) uses 'd' (form), 'a' (JSON).
 *
 * Checks, beyond the sanitizers' (no crash, no leak, no UB): a failure
 * is one of the documented codes; every parameter has a name within
 * PARAMS_NAME_MAX that params_get finds, NUL-terminated values, arrays of
 * at most PARAMS_MAX_MEMBERS members with distinct keys. The first 8
 * bytes, read as a double, print (shortest form) as a string that reads
 * back as the same double.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "params.h"

static const char *ctypes[] = {
	"application/x-www-form-urlencoded",
	"application/json",
	"APPLICATION/X-WWW-FORM-URLENCODED; charset=UTF-8",
	"text/plain",
};

static void
check(const params *p)
{
	size_t n = params_count(p);

	if (n > 2 * PARAMS_MAX_PARAMS)
		abort();
	for (size_t i = 0; i < n; i++) {
		const param *x = params_at(p, i);

		if (x == NULL || x->namelen == 0 ||
		    x->namelen > PARAMS_NAME_MAX ||
		    x->name[x->namelen] != '\0')
			abort();
		if (strlen(x->name) == x->namelen &&
		    params_get(p, x->name) != x)
			abort();
		if (x->kind == PARAM_SCALAR) {
			if (x->value == NULL || x->value[x->len] != '\0')
				abort();
			continue;
		}
		if (x->kind != PARAM_ARRAY || x->n > PARAMS_MAX_MEMBERS)
			abort();
		for (size_t j = 0; j < x->n; j++) {
			const param_member *m = &x->members[j];

			if (m->key[m->keylen] != '\0' ||
			    m->value[m->len] != '\0')
				abort();
			for (size_t k = 0; k < j; k++) {
				if (x->members[k].keylen == m->keylen &&
				    memcmp(x->members[k].key, m->key,
				        m->keylen) == 0)
					abort();
			}
		}
	}
}

static void
check_double(const uint8_t *data, size_t size)
{
	char buf[PARAMS_DOUBLE_BUFSZ];
	double d;

	if (size < sizeof(d))
		return;
	memcpy(&d, data, sizeof(d));
	if (params_php_double(d, PARAMS_PHP_PRECISION, buf, sizeof(buf)) !=
	    PARAMS_OK)
		abort();
	if (isfinite(d) &&
	    (strtod(buf, NULL) != d ||
	        signbit(strtod(buf, NULL)) != signbit(d)))
		abort();
	if (params_php_double(d, 14, buf, sizeof(buf)) != PARAMS_OK)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *) data + 1, *nl;
	size_t len, qlen;
	params *p = NULL;
	int rv;

	if (size < 1)
		return (0);
	check_double(data + 1, size - 1);
	len = size - 1;
	nl = memchr(in, '\n', len);
	qlen = nl != NULL ? (size_t) (nl - in) : len;
	rv = params_parse(&p, "POST", in, qlen, ctypes[data[0] % 4],
	    nl != NULL ? nl + 1 : NULL, nl != NULL ? len - qlen - 1 : 0);
	if (rv != PARAMS_OK) {
		if (p != NULL ||
		    (rv != PARAMS_ETOOMANY && rv != PARAMS_ETOOLONG &&
		        rv != PARAMS_ETOOBIG && rv != PARAMS_ENOMEM))
			abort();
		return (0);
	}
	check(p);
	params_free(p);
	return (0);
}
