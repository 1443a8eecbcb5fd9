-- The environments a project membership is limited to: a JSON list of
-- environment ids (ids, not slugs: an environment deleted and re-created
-- under the same slug is a new environment), NULL for every environment.
-- The domain decides what the limit means.
ALTER TABLE memberships ADD COLUMN environments TEXT;
