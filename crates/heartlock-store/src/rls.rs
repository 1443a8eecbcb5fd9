//! PostgreSQL row-level security with two roles: the owner
//! (DATABASE_OWNER_URL) owns the tables, runs the migrations and installs
//! the policies; the runtime role (DATABASE_URL) gets DML only, never DDL,
//! and no UPDATE or DELETE on the audit log. The policies (`rls.sql`) read
//! the actor the store attaches to every query (`pool.rs`).
use crate::connect::{Backend, Store};
use crate::{Result, StoreError};

const FUNCTIONS: &str = include_str!("rls.sql");

/// Who sees what: `(table, visibility)`. Every table holding project data.
const ALL: &str = "(SELECT heartlock_sees_all())";
const PROJECTS: &str = "project_id = ANY ((SELECT heartlock_project_ids())::text[])";
const ENVIRONMENTS: &str = "environment_id = ANY ((SELECT heartlock_environment_ids())::text[])";

fn policies() -> Vec<(&'static str, String, Option<String>)> {
    let by_project = format!("{ALL} OR {PROJECTS}");
    let own_user = "(heartlock_actor_kind() = 'user' AND {col} = heartlock_actor_id())";
    vec![
        ("environments", by_project.clone(), None),
        ("secrets", format!("{ALL} OR {ENVIRONMENTS}"), None),
        (
            "secret_versions",
            format!("{ALL} OR secret_id IN (SELECT s.id FROM secrets s)"),
            None,
        ),
        (
            "memberships",
            by_project.clone(),
            // The creator of a project nobody belongs to yet adds themselves.
            Some(format!(
                "{by_project} OR ({} AND heartlock_project_unclaimed(project_id))",
                own_user.replace("{col}", "user_id")
            )),
        ),
        ("group_grants", by_project.clone(), None),
        ("invitations", by_project.clone(), None),
        ("service_tokens", by_project.clone(), None),
        ("project_sharing", by_project.clone(), None),
        (
            "environment_watches",
            format!("{by_project} OR {}", own_user.replace("{col}", "user_id")),
            None,
        ),
        (
            "shares",
            format!(
                "{by_project} OR {}",
                own_user.replace("{col}", "created_by")
            ),
            // An anonymous sender (when the server allows it) creates shares
            // outside any project.
            Some(format!(
                "{by_project} OR {} OR (project_id IS NULL AND created_by IS NULL \
                 AND heartlock_actor_kind() = 'anonymous')",
                own_user.replace("{col}", "created_by")
            )),
        ),
    ]
}

/// Quotes a role name as an SQL identifier.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

impl Store {
    /// The database role this store's connections log in as.
    pub async fn current_role(&self) -> Result<String> {
        let (role,): (String,) = sqlx::query_as("SELECT current_user::text")
            .fetch_one(&self.pool)
            .await?;
        Ok(role)
    }

    /// Installs (or re-installs) the policies and the runtime role's grants.
    /// Run by the owner, after the migrations, in one transaction.
    pub async fn install_row_security(&self, runtime_role: &str) -> Result<()> {
        if self.backend() != Backend::Postgres {
            return Err(StoreError::Unavailable(
                "row-level security needs PostgreSQL".into(),
            ));
        }
        let owner = self.current_role().await?;
        if owner == runtime_role {
            return Err(StoreError::Unavailable(
                "DATABASE_OWNER_URL and DATABASE_URL log in as the same role: the runtime \
                 role must be another one, with no rights of its own"
                    .into(),
            ));
        }
        let app = ident(runtime_role);
        let mut sql = String::from(FUNCTIONS);
        for (table, using, check) in policies() {
            let check = check.unwrap_or_else(|| using.clone());
            sql.push_str(&format!(
                "ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;\n\
                 ALTER TABLE {table} FORCE ROW LEVEL SECURITY;\n\
                 DROP POLICY IF EXISTS heartlock_owner ON {table};\n\
                 CREATE POLICY heartlock_owner ON {table} TO CURRENT_USER USING (true) WITH CHECK (true);\n\
                 DROP POLICY IF EXISTS heartlock_actor ON {table};\n\
                 CREATE POLICY heartlock_actor ON {table} TO {app} USING ({using}) WITH CHECK ({check});\n"
            ));
        }
        // The audit log: read what the actor may see (its own events, or
        // its projects'), append with any actor; never change or delete.
        sql.push_str(&format!(
            "ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;\n\
             ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;\n\
             DROP POLICY IF EXISTS heartlock_owner ON audit_events;\n\
             CREATE POLICY heartlock_owner ON audit_events TO CURRENT_USER USING (true) WITH CHECK (true);\n\
             DROP POLICY IF EXISTS heartlock_actor ON audit_events;\n\
             DROP POLICY IF EXISTS heartlock_read ON audit_events;\n\
             CREATE POLICY heartlock_read ON audit_events FOR SELECT TO {app} USING ({ALL} OR {PROJECTS} \
               OR (actor_kind = heartlock_actor_kind() AND actor_id = heartlock_actor_id()));\n\
             DROP POLICY IF EXISTS heartlock_append ON audit_events;\n\
             CREATE POLICY heartlock_append ON audit_events FOR INSERT TO {app} WITH CHECK (heartlock_actor_kind() <> '');\n"
        ));
        // Grants: data only. The runtime role never owns anything, so it
        // cannot ALTER or DROP; it may not create objects in the schema.
        sql.push_str(&format!(
            "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {app};\n\
             GRANT USAGE ON SCHEMA public TO {app};\n\
             REVOKE CREATE ON SCHEMA public FROM PUBLIC;\n\
             REVOKE CREATE ON SCHEMA public FROM {app};\n\
             GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app};\n\
             REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM {app};\n\
             REVOKE INSERT, UPDATE, DELETE ON _sqlx_migrations FROM {app};\n\
             GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app};\n"
        ));
        let mut tx = self.pool.begin().await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
