-- Single sign-on: which account an OpenID Provider's subject signs in to.
-- One row per (issuer, subject); the user's groups from the provider are
-- kept on users.idp_groups (JSON text), refreshed at every sign-in.
CREATE TABLE oidc_identities (
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    last_login_at BIGINT NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX oidc_identities_user ON oidc_identities (user_id);
