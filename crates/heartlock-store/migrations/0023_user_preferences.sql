-- Per-user preferences for messages, and the browsers each account has
-- signed in from (for the "new sign-in from a new browser" email).
-- language: 'en' or 'fr' for the messages sent to this user (NULL: the
-- language of the request that causes the message).
ALTER TABLE users ADD COLUMN language TEXT;
-- 0/1: email the user when the account signs in from a browser it has not
-- signed in from before (on by default).
ALTER TABLE users ADD COLUMN notify_new_sign_in BIGINT NOT NULL DEFAULT 1;

-- A browser is a random id in a long-lived signed cookie; only its SHA-256
-- is stored.
CREATE TABLE known_browsers (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    browser_hash TEXT NOT NULL,
    user_agent TEXT,
    ip TEXT,
    first_seen_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, browser_hash)
);
