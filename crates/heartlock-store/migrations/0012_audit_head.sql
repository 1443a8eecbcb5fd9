-- The audit chain's head (last seq and hash), written in the same
-- transaction as every append, so deleting the newest rows is detected.
CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
SELECT 1, seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1;
