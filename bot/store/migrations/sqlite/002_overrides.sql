-- Policy overrides (/approve-policy): an owner of a rule lifts its deny for
-- one pull request, in one environment or ('') in all. Kept after the PR
-- closes: they are its audit trail.
CREATE TABLE gitops_override (
    repo       TEXT NOT NULL,
    pr         INTEGER NOT NULL,
    env        TEXT NOT NULL DEFAULT '',
    rule       TEXT NOT NULL,
    by_login   TEXT NOT NULL,
    comment_id INTEGER NOT NULL DEFAULT 0,
    created_at DATETIME NOT NULL,
    PRIMARY KEY (repo, pr, env, rule)
);
