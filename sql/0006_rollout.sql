-- 0006: the rollout of the bridge from the legacy app (docs/rollout.md).

-- One row: the mode every bridge follows. mode NULL: never set, each
-- bridge keeps its --rollout.
CREATE TABLE rollout_config (
    id                  boolean PRIMARY KEY DEFAULT true CHECK (id),
    mode                text CHECK (mode IN ('legacy', 'shadow', 'canary', 'new')),
    canary_key_ids      bigint[] NOT NULL DEFAULT '{}',
    canary_percent      integer NOT NULL DEFAULT 0
                        CHECK (canary_percent BETWEEN 0 AND 100),
    version             bigint NOT NULL DEFAULT 0,
    updated_at          timestamptz,
    -- a mutating request got different answers: the databases differ
    diverged_at         timestamptz,
    divergence_diff_id  bigint
);
INSERT INTO rollout_config DEFAULT VALUES;

-- Comparisons per minute, endpoint and action, added to by every bridge.
CREATE TABLE rollout_counts (
    minute         timestamptz NOT NULL,
    endpoint       text NOT NULL,
    action         text NOT NULL,
    matches        bigint NOT NULL DEFAULT 0,
    diffs          bigint NOT NULL DEFAULT 0,
    shadow_errors  bigint NOT NULL DEFAULT 0,
    dropped        bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (minute, endpoint, action)
);

-- The requests whose answers differed, secrets removed by the bridge.
CREATE TABLE rollout_diffs (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at      timestamptz NOT NULL,
    bridge          text NOT NULL,
    endpoint        text NOT NULL,
    action          text NOT NULL,
    mutating        boolean NOT NULL,
    primary_side    text NOT NULL CHECK (primary_side IN ('legacy', 'new')),
    request         text NOT NULL,
    primary_status  integer,
    primary_body    text,
    shadow_status   integer,
    shadow_body     text,
    paths           text[] NOT NULL
);
CREATE INDEX rollout_diffs_endpoint ON rollout_diffs (endpoint, action, id);
