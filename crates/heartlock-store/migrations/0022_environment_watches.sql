-- Environment watches: a user asks to be told (by email, by push, or both)
-- when a secret of an environment changes. Booleans are BIGINT 0/1 like the
-- other flags (one type both databases and sqlx's Any driver agree on).
-- project_id is kept so a user's watches list without a join per row.
-- Whether the watcher may still read the environment is checked when a
-- change is fanned out, not here.
CREATE TABLE environment_watches (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    environment_id TEXT NOT NULL REFERENCES environments(id) ON DELETE CASCADE,
    project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    email BIGINT NOT NULL DEFAULT 0,
    push BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, environment_id)
);
-- The fan-out's one query on every secret write: watchers of one environment.
CREATE INDEX environment_watches_env ON environment_watches (environment_id);
