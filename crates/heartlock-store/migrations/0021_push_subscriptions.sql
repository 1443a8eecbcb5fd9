-- Browser push subscriptions (RFC 8030 / 8291): one row per browser a user
-- enabled notifications on. The endpoint is where the push service accepts
-- messages for that browser; p256dh is the browser's public key (not a
-- secret); the auth secret is, so it is Fernet-sealed and bound to the row.
CREATE TABLE push_subscriptions (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    endpoint TEXT NOT NULL UNIQUE,
    p256dh TEXT NOT NULL,
    auth_ct TEXT NOT NULL,
    -- A label for the user's own list (e.g. "Chrome on Linux"); never trusted.
    user_agent TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_success_at BIGINT
);
CREATE INDEX push_subscriptions_user ON push_subscriptions (user_id);
