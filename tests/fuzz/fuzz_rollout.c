/*
 * fuzz_rollout: libFuzzer target of the bridge's rollout parts that read
 * bytes from the two sides and from clients (http-bridge/jsondiff.c,
 * accept.c, redact.c, canary.c).
 *
 * Input: two answers separated by the first '\n' (a, b). Each is
 * compared with the other (jsondiff_answers) under rules parsed from a
 * (accept_parse); a is recorded as a query and as JSON and form bodies
 * (redact_request); a is a glob over b (accept_glob), a datetime
 * (accept_datetime) and a user id (canary_bucket).
 *
 * Checks, beyond the sanitizers': at most JSONDIFF_MAX_PATHS paths, each
 * shorter than JSONDIFF_PATH_MAX and without a control character; an
 * answer compared with itself has no difference; a record is at most
 * REDACT_MAX bytes of printable ASCII and newlines; a bucket is 0-99.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "accept.h"
#include "canary.h"
#include "jsondiff.h"
#include "redact.h"

static jsondiff D;
static char REC[REDACT_MAX + 1];

static bool
accept_cb(void *arg, const char *path, const json_t *a, const json_t *b)
{
	return (accept_match(arg, "plans.php", "list", path, a, b));
}

static void
check_paths(void)
{
	if (D.n > JSONDIFF_MAX_PATHS)
		abort();
	for (size_t i = 0; i < D.n; i++) {
		size_t len = strnlen(D.paths[i], JSONDIFF_PATH_MAX);

		if (len == 0 || len >= JSONDIFF_PATH_MAX)
			abort();
		for (size_t j = 0; j < len; j++)
			if ((unsigned char) D.paths[i][j] < 0x20)
				abort();
	}
}

static void
check_record(size_t n)
{
	if (n > REDACT_MAX || strlen(REC) != n)
		abort();
	for (size_t i = 0; i < n; i++)
		if (REC[i] != '\n' && (REC[i] < 0x20 || REC[i] > 0x7e))
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *) data;
	const char *nl = memchr(s, '\n', size);
	size_t la = nl != NULL ? (size_t) (nl - s) : size;
	const char *b = nl != NULL ? nl + 1 : "";
	size_t lb = nl != NULL ? size - la - 1 : 0;
	accept_rules *rules = NULL;
	char err[256], *za, *zb;
	long long t;

	(void) accept_parse(s, la, &rules, err, sizeof(err));
	jsondiff_answers(200, s, la, 200, b, lb,
	    rules != NULL ? accept_cb : NULL, rules, &D);
	check_paths();
	jsondiff_answers(200, s, la, 500, s, la, NULL, NULL, &D);
	check_paths();
	if (D.n != 1 || strcmp(D.paths[0], "$status") != 0)
		abort();
	accept_free(rules);

	if ((za = malloc(la + 1)) == NULL || (zb = malloc(lb + 1)) == NULL) {
		free(za);
		return (0);
	}
	memcpy(za, s, la);
	za[la] = '\0';
	memcpy(zb, b, lb);
	zb[lb] = '\0';
	check_record(
	    redact_request("GET", "/api/plans.php", za, NULL, NULL, 0, REC));
	check_record(
	    redact_request("POST", zb, NULL, "application/json", s, la, REC));
	check_record(redact_request("POST", "/p", zb,
	    "application/x-www-form-urlencoded", s, la, REC));
	(void) accept_glob(za, zb);
	(void) accept_datetime(za, &t);
	if (canary_bucket(s, la) < 0 || canary_bucket(s, la) > 99)
		abort();
	free(za);
	free(zb);
	return (0);
}
