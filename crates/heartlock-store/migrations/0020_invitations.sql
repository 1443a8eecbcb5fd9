-- Invitations in use (the table itself is in 0001): an environment limit
-- carried over to the membership (a JSON list of environment ids, NULL for
-- every environment, as for memberships), the language the message is
-- written in, when it was revoked, last (re)sent, and who accepted it.
-- A resend replaces token_hash, so only the newest link works.
ALTER TABLE invitations ADD COLUMN environments TEXT;
ALTER TABLE invitations ADD COLUMN language TEXT NOT NULL DEFAULT 'en';
ALTER TABLE invitations ADD COLUMN revoked_at BIGINT;
ALTER TABLE invitations ADD COLUMN last_sent_at BIGINT;
ALTER TABLE invitations ADD COLUMN accepted_by TEXT;
CREATE INDEX invitations_project ON invitations (project_id);
