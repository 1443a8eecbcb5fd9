-- Throttling counters for sign-in guesses and registrations. The key is a
-- SHA-256 hash of the scope (e.g. account and client address), so no email
-- or address is kept in clear; the domain decides every value.
CREATE TABLE auth_throttle (
    scope_key TEXT PRIMARY KEY,
    hits BIGINT NOT NULL,
    last_hit_at BIGINT NOT NULL,
    locked_until BIGINT NOT NULL,
    -- When the row is of no more use (purged after).
    expires_at BIGINT NOT NULL
);
CREATE INDEX auth_throttle_expires ON auth_throttle (expires_at);
