-- Row-level security for PostgreSQL, installed by the owner role
-- (DATABASE_OWNER_URL) after the migrations, in one transaction, and
-- re-installed identically at every start (idempotent).
--
-- The policies read the actor every query of the runtime role carries
-- (transaction- or session-local settings heartlock.actor_kind and
-- heartlock.actor_id, set by the store): 'system' sees everything, a server
-- admin every project, a user the projects of their memberships and IdP
-- group grants, a service token its project (and, for secret rows, its
-- environments), anonymous reads everything only when the server lets
-- anonymous callers read ('anonymous'/'reader'); no actor sees no rows.
-- The owner has its own always-true policy (FORCE makes the owner subject to
-- policies too), which is also what lets the helper functions below, which
-- run as the owner, read memberships without recursing into these policies.

CREATE OR REPLACE FUNCTION heartlock_actor_kind() RETURNS text
LANGUAGE sql STABLE SET search_path FROM CURRENT
AS $$ SELECT coalesce(current_setting('heartlock.actor_kind', true), '') $$;

CREATE OR REPLACE FUNCTION heartlock_actor_id() RETURNS text
LANGUAGE sql STABLE SET search_path FROM CURRENT
AS $$ SELECT coalesce(current_setting('heartlock.actor_id', true), '') $$;

-- The system, enabled server admins, and anonymous readers let in by the
-- server's no-auth policy see every project.
CREATE OR REPLACE FUNCTION heartlock_sees_all() RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT
AS $$
  SELECT CASE heartlock_actor_kind()
    WHEN 'system' THEN true
    WHEN 'anonymous' THEN heartlock_actor_id() = 'reader'
    WHEN 'user' THEN EXISTS (
      SELECT 1 FROM users u
      WHERE u.id = heartlock_actor_id() AND u.disabled = 0
        AND (u.is_superuser <> 0 OR u.role = 'admin'))
    ELSE false
  END
$$;

-- The projects a user or token reaches (not counting sees_all).
CREATE OR REPLACE FUNCTION heartlock_project_ids() RETURNS text[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT
AS $$
  SELECT CASE heartlock_actor_kind()
    WHEN 'user' THEN ARRAY(
      SELECT m.project_id FROM memberships m
        JOIN users u ON u.id = m.user_id AND u.disabled = 0
       WHERE m.user_id = heartlock_actor_id()
      UNION
      SELECT g.project_id FROM group_grants g
        JOIN users u ON u.id = heartlock_actor_id() AND u.disabled = 0
       WHERE u.idp_groups::jsonb ? g.group_name)
    WHEN 'token' THEN ARRAY(
      SELECT t.project_id FROM service_tokens t
       WHERE t.id = heartlock_actor_id() AND t.revoked_at IS NULL)
    ELSE ARRAY[]::text[]
  END
$$;

-- The environments whose secrets the actor reaches: a token only those of
-- its scope; a user every environment of their projects (the finer
-- per-environment limits of memberships stay the domain's to enforce).
CREATE OR REPLACE FUNCTION heartlock_environment_ids() RETURNS text[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT
AS $$
  SELECT CASE heartlock_actor_kind()
    WHEN 'token' THEN ARRAY(
      SELECT e.id FROM service_tokens t
        JOIN environments e ON e.project_id = t.project_id
       WHERE t.id = heartlock_actor_id() AND t.revoked_at IS NULL
         AND t.environments::jsonb ? e.id)
    ELSE ARRAY(
      SELECT e.id FROM environments e
       WHERE e.project_id = ANY (heartlock_project_ids()))
  END
$$;

-- A project nobody is a member of yet: its creator may add themselves.
CREATE OR REPLACE FUNCTION heartlock_project_unclaimed(p text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path FROM CURRENT
AS $$ SELECT NOT EXISTS (SELECT 1 FROM memberships m WHERE m.project_id = p) $$;
