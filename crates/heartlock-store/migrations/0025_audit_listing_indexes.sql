-- The audit listing pages by seq (keyset, newest first). Filtering by actor
-- or by outcome (the admin page's "denied" view) then walks only the
-- matching rows instead of the whole log when they are rare. Action
-- prefixes and time ranges still walk the seq index and skip non-matches.
CREATE INDEX audit_events_actor ON audit_events (actor_id, seq);
CREATE INDEX audit_events_outcome ON audit_events (outcome, seq);
