CREATE TABLE gitops_delivery (
    id          TEXT PRIMARY KEY,          -- X-GitHub-Delivery
    dedupe_key  TEXT UNIQUE,               -- NULL: deduplicated by id only
    event       TEXT NOT NULL,
    action      TEXT NOT NULL DEFAULT '',
    repo        TEXT NOT NULL DEFAULT '',
    pr          INTEGER NOT NULL DEFAULT 0,
    head_sha    TEXT NOT NULL DEFAULT '',
    comment_id  BIGINT NOT NULL DEFAULT 0,
    received_at TIMESTAMPTZ NOT NULL,
    payload     BYTEA NOT NULL
);
CREATE INDEX gitops_delivery_received_at ON gitops_delivery (received_at);

CREATE TABLE gitops_lock (
    repo        TEXT NOT NULL,
    env         TEXT NOT NULL,
    holder      TEXT NOT NULL,
    pr          INTEGER NOT NULL DEFAULT 0,
    url         TEXT NOT NULL DEFAULT '',
    acquired_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (repo, env)
);
CREATE INDEX gitops_lock_holder ON gitops_lock (repo, holder);

CREATE TABLE gitops_plan (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    repo        TEXT NOT NULL,
    pr          INTEGER NOT NULL,
    env         TEXT NOT NULL,
    head_sha    TEXT NOT NULL,
    dir         TEXT NOT NULL DEFAULT '',
    plan_file   TEXT NOT NULL DEFAULT '',
    file_sha256 TEXT NOT NULL DEFAULT '',
    json_sha256 TEXT NOT NULL DEFAULT '',
    summary     BYTEA NOT NULL,
    verdict     BYTEA NOT NULL,
    cost        BYTEA NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('current', 'stale', 'applying', 'applied', 'failed', 'discarded')),
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (repo, pr, env, head_sha)
);
-- At most one plan of a PR's environment may be applied.
CREATE UNIQUE INDEX gitops_plan_one_current ON gitops_plan (repo, pr, env) WHERE status = 'current';
CREATE INDEX gitops_plan_prune ON gitops_plan (status, updated_at);

CREATE TABLE gitops_run (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        TEXT NOT NULL,
    repo        TEXT NOT NULL DEFAULT '',
    pr          INTEGER NOT NULL DEFAULT 0,
    env         TEXT NOT NULL DEFAULT '',
    plan_id     BIGINT NOT NULL DEFAULT 0,
    job_id      BIGINT NOT NULL DEFAULT 0,
    run_key     TEXT NOT NULL UNIQUE,
    status      TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    detail      BYTEA NOT NULL
);
CREATE INDEX gitops_run_repo ON gitops_run (repo, pr, id);

CREATE TABLE gitops_run_log (
    id     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id BIGINT NOT NULL REFERENCES gitops_run (id) ON DELETE CASCADE,
    chunk  BYTEA NOT NULL
);
CREATE INDEX gitops_run_log_run ON gitops_run_log (run_id, id);

CREATE TABLE gitops_pr (
    repo                TEXT NOT NULL,
    pr                  INTEGER NOT NULL,
    head_sha            TEXT NOT NULL DEFAULT '',
    state               TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed', 'merged')),
    comment_id          BIGINT NOT NULL DEFAULT 0,   -- the sticky comment
    comment_claimant    TEXT NOT NULL DEFAULT '',    -- who may create it
    comment_claim_until TIMESTAMPTZ,                 -- until when
    comment_claims      INTEGER NOT NULL DEFAULT 0,  -- claims granted since the last known comment
    updated_at          TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (repo, pr)
);
