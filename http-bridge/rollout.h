/*
 * rollout: the bridge's side of the rollout (docs/rollout.md). The mode
 * (followed from Rollout.GetConfig, polled every second and at once on
 * rollout_refresh), the canary, and the shadow queue: a bounded FIFO of
 * requests replayed against the other side by one worker thread (in
 * order, so a write is replayed before the reads after it), compared
 * (jsondiff, accept) and reported to Rollout.RecordDiffs in batches.
 * A full queue drops the request and counts it; the client's answer
 * never waits for the queue nor depends on the shadow side.
 */
#ifndef BRIDGE_ROLLOUT_H
#define BRIDGE_ROLLOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../util/prom.h"
#include "accept.h"
#include "billing_client.h"
#include "bridge.h"

typedef enum rollout_mode {
	ROLLOUT_LEGACY = 1,
	ROLLOUT_SHADOW = 2,
	ROLLOUT_CANARY = 3,
	ROLLOUT_NEW = 4,
} rollout_mode;

#define ROLLOUT_QUEUE_DEFAULT 1000
#define ROLLOUT_QUEUE_BYTES (64 * 1024 * 1024)

typedef struct rollout_config {
	rollout_mode mode;      /* until the Rollout service says otherwise */
	const char *legacy_url; /* NULL: only "new" is possible */
	const char *self_url;   /* this bridge: "http://127.0.0.1:PORT" */
	const char *name;       /* this bridge, in the recorded diffs */
	const accept_rules *accept; /* may be NULL */
	unsigned queue_max;
	billing_client *client;
} rollout_config;

typedef struct rollout rollout;

/* A request for the queue: everything is copied by rollout_submit. */
typedef struct rollout_request {
	const char *endpoint; /* the metrics label: "plans.php" */
	const bendpoint *ep;
	const char *method, *uri, *ctype, *api_key, *billing_now;
	const char *body;
	size_t len;
	bool primary_legacy; /* who answered the client */
	int primary_status;
	const char *primary_body;
	size_t primary_len;
} rollout_request;

/* "legacy", ... into *out; -1 for anything else. */
int rollout_mode_parse(const char *s, rollout_mode *out);
const char *rollout_mode_name(rollout_mode m);

int rollout_init(rollout **out, const rollout_config *cfg);
void rollout_fini(rollout *r);

rollout_mode rollout_current(rollout *r);

/* The token that marks this bridge's own replays (answered as "new"). */
const char *rollout_token(const rollout *r);

/* Whether s is that token (in constant time). */
bool rollout_is_token(const rollout *r, const char *s);

/* The legacy app's base URL (NULL: none). */
const char *rollout_legacy_url(const rollout *r);

/*
 * Whether the canary takes this request: one of its keys (key_id > 0)
 * or the user's bucket below its percent.
 */
bool rollout_canary_match(
    rollout *r, int64_t key_id, const char *user_id, size_t user_len);

/* Whether the canary names API keys (worth an Authenticate call). */
bool rollout_canary_has_keys(rollout *r);

/* Queues a comparison; false (dropped and counted) when full. */
bool rollout_submit(rollout *r, const rollout_request *req);

/* Polls the Rollout service now (SIGHUP). */
void rollout_refresh(rollout *r);

/* The rollout's samples for /metrics. */
void rollout_render(rollout *r, prom_buf *b);

#endif /* BRIDGE_ROLLOUT_H */
