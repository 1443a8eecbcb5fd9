-- The environments an IdP group grant is limited to, as for memberships
-- (0015): a JSON list of environment ids, NULL for every environment. The
-- domain decides what the limit means.
ALTER TABLE group_grants ADD COLUMN environments TEXT;
