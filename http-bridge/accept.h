/*
 * accept: the known, accepted differences between the legacy app's and
 * this system's answers, declared in a JSON file (docs/rollout.md):
 *
 *   {"accept": [{"endpoint": "*", "action": "*",
 *                "path": "$.data.created_at",
 *                "kind": "datetime_within_seconds", "seconds": 1},
 *               {"endpoint": "cron.php", "path": "$.data.took_ms",
 *                "kind": "ignore"}]}
 *
 * endpoint, action and path are globs ('*' any run of characters, '?'
 * one; nothing else is special, so "[0]" is literal); endpoint and
 * action default to "*". Unknown members, kinds and types are refused.
 * Pure but for accept_load, which reads the file.
 */
#ifndef BRIDGE_ACCEPT_H
#define BRIDGE_ACCEPT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define ACCEPT_MAX_RULES 256
#define ACCEPT_GLOB_MAX 512
#define ACCEPT_FILE_MAX (1024 * 1024)
#define ACCEPT_SECONDS_MAX 86400

typedef struct accept_rules accept_rules;

/*
 * Parses rules from JSON text; 0 and *out, or -1 with a message naming
 * the rule in err.
 */
int accept_parse(const char *text, size_t len, accept_rules **out, char *err,
    size_t errlen);

/* The same, from a file of at most ACCEPT_FILE_MAX bytes. */
int accept_load(
    const char *path, accept_rules **out, char *err, size_t errlen);

void accept_free(accept_rules *r);

size_t accept_count(const accept_rules *r);

/*
 * Whether a difference at path between a and b (either may be NULL) is
 * accepted for endpoint and action. r may be NULL: nothing is.
 */
bool accept_match(const accept_rules *r, const char *endpoint,
    const char *action, const char *path, const json_t *a, const json_t *b);

/* Glob match: '*' any run of characters, '?' one byte. */
bool accept_glob(const char *pattern, const char *s);

/*
 * A datetime of the legacy format "YYYY-MM-DD HH:MM:SS" (or with 'T'
 * and a trailing 'Z') as seconds since the epoch, read as UTC; -1 with
 * anything else.
 */
int accept_datetime(const char *s, long long *out);

#endif /* BRIDGE_ACCEPT_H */
