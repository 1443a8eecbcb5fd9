-- Share links (/s/<id>#<key>): a value encrypted on the sender's side under
-- a key the server never sees. Only the sealed blob (base64url), the limits,
-- and the SHA-256 of the access value derived from the key are kept; the
-- last view, a revocation or the expiry sweep deletes the row.
CREATE TABLE shares (
    id TEXT PRIMARY KEY,
    -- Who the active-share limit counts against: 'user:<id>' or, for an
    -- anonymous sender, 'addr:<sha256 of the address bucket>'.
    creator_key TEXT NOT NULL,
    created_by TEXT REFERENCES users(id) ON DELETE CASCADE,
    -- Set when the value came from a project's secrets (policy and audit).
    project_id TEXT REFERENCES projects(id) ON DELETE CASCADE,
    source_environment TEXT,
    source_key TEXT,
    ciphertext TEXT NOT NULL,
    auth_hash TEXT NOT NULL,
    -- PBKDF2 salt (base64url) and iterations when a passphrase is mixed in.
    kdf_salt TEXT,
    kdf_iterations BIGINT,
    -- The sender's own note (not encrypted).
    label TEXT,
    -- Bytes of the sealed blob.
    size BIGINT NOT NULL,
    views_allowed BIGINT NOT NULL,
    views_left BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX shares_creator ON shares (creator_key, expires_at);
CREATE INDEX shares_expiry ON shares (expires_at);

-- Projects whose admins forbade share links for their secrets (no row:
-- allowed).
CREATE TABLE project_sharing (
    project_id TEXT PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
    allowed BIGINT NOT NULL,
    changed_by TEXT REFERENCES users(id) ON DELETE SET NULL,
    changed_at BIGINT NOT NULL
);
