-- One-time codes of `heartlock login --sso`: after a browser signs in through
-- the OpenID Provider for the CLI, the CLI redeems this code (with its PKCE
-- verifier) for a token pair. Only the SHA-256 of the code is kept; a code is
-- deleted when redeemed, and expired rows are purged when new codes are made.
CREATE TABLE cli_login_codes (
    code_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The CLI's S256 PKCE challenge (public by design).
    challenge TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX cli_login_codes_expires ON cli_login_codes (expires_at);
