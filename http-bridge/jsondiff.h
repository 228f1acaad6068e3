/*
 * jsondiff: two answers compared as the legacy API's contract compares
 * them (docs/rollout.md): the HTTP status, and the bodies parsed as JSON
 * (object keys in any order; integers and reals by value, an integer
 * never equal to a real, as PHP's int and float). A body that is not
 * JSON is compared byte for byte. Pure: no I/O.
 *
 * The result is the list of differing paths: "$" for the status or the
 * whole body, "$.data.items[2].total", a key that is not an identifier
 * as $["a b"] (JSON string escapes, so a path holds no control
 * character). Bounded: at most JSONDIFF_MAX_PATHS paths of at most
 * JSONDIFF_PATH_MAX - 1 bytes; a subtree whose path would be longer is
 * reported as one difference at its parent.
 */
#ifndef BRIDGE_JSONDIFF_H
#define BRIDGE_JSONDIFF_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define JSONDIFF_MAX_PATHS 64
#define JSONDIFF_PATH_MAX 512

/*
 * Whether a difference at path is accepted (accept.h); a and b are the
 * two values there (either may be NULL: absent). NULL: none is.
 */
typedef bool (*jsondiff_accept_fn)(
    void *arg, const char *path, const json_t *a, const json_t *b);

typedef struct jsondiff {
	size_t n;        /* differing paths */
	bool truncated;  /* more than JSONDIFF_MAX_PATHS differed */
	size_t accepted; /* differences accepted by the rules */
	char paths[JSONDIFF_MAX_PATHS][JSONDIFF_PATH_MAX];
} jsondiff;

/* Compares two parsed values (a and b may be NULL: absent) into *out. */
void jsondiff_values(const json_t *a, const json_t *b,
    jsondiff_accept_fn accept, void *arg, jsondiff *out);

/*
 * Compares two answers: statuses and bodies (bytes, not NUL-terminated).
 * A status difference is the path "$status". Returns the number of
 * differing paths (0: the answers match).
 */
size_t jsondiff_answers(int status_a, const char *body_a, size_t len_a,
    int status_b, const char *body_b, size_t len_b, jsondiff_accept_fn accept,
    void *arg, jsondiff *out);

#endif /* BRIDGE_JSONDIFF_H */
