//! Projects, their ordered environments, and memberships.
use crate::users::{UserRecord, const_format, user_from_row};
use crate::{Result, Store, StoreError};
use heartlock_core::roles::ProjectRole;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ProjectRecord {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub org: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EnvironmentRecord {
    pub id: String,
    pub project_id: String,
    pub slug: String,
    pub name: String,
    pub position: i64,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewProject {
    pub id: String,
    pub slug: String,
    pub name: String,
    pub org: Option<String>,
    /// (id, slug, name), in display order.
    pub environments: Vec<(String, String, String)>,
    /// Becomes the project's owner.
    pub owner_user_id: Option<String>,
}

fn conflict(what: &'static str) -> impl Fn(StoreError) -> StoreError {
    move |e| match e {
        StoreError::Conflict(_) => StoreError::Conflict(what.into()),
        other => other,
    }
}

impl Store {
    /// Creates the project, its environments and its owner in one transaction.
    pub async fn create_project(&self, p: &NewProject, now: i64) -> Result<ProjectRecord> {
        let mut tx = self.begin_write().await?;
        sqlx::query("INSERT INTO projects (id, slug, name, org, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)")
            .bind(&p.id)
            .bind(&p.slug)
            .bind(&p.name)
            .bind(&p.org)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|e| conflict("a project with this slug already exists")(e.into()))?;
        // The owner first: under row-level security the environments are
        // only the creator's to insert once the project is theirs.
        if let Some(owner) = &p.owner_user_id {
            sqlx::query("INSERT INTO memberships (project_id, user_id, role, created_at) VALUES ($1, $2, 'owner', $3)")
                .bind(&p.id)
                .bind(owner)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        for (pos, (id, slug, name)) in p.environments.iter().enumerate() {
            sqlx::query("INSERT INTO environments (id, project_id, slug, name, position, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(id)
                .bind(&p.id)
                .bind(slug)
                .bind(name)
                .bind(pos as i64)
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(|e| conflict("duplicate environment slug")(e.into()))?;
        }
        self.commit_write(tx).await?;
        self.project_by_slug(&p.slug)
            .await?
            .ok_or(StoreError::NotFound)
    }

    pub async fn project_by_slug(&self, slug: &str) -> Result<Option<ProjectRecord>> {
        Ok(sqlx::query_as(
            "SELECT id, slug, name, org, created_at, updated_at FROM projects WHERE slug = $1",
        )
        .bind(slug)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn project_by_id(&self, id: &str) -> Result<Option<ProjectRecord>> {
        Ok(sqlx::query_as(
            "SELECT id, slug, name, org, created_at, updated_at FROM projects WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Projects visible to `member_of` (all when `None`), filtered by a
    /// case-insensitive search on slug and name, by slug, with the total.
    pub async fn list_projects(
        &self,
        member_of: Option<&str>,
        search: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<ProjectRecord>, i64)> {
        let pattern = format!(
            "%{}%",
            search.unwrap_or("").to_lowercase().replace(['%', '_'], "")
        );
        // One statement for both cases: a NULL user id means "every project".
        const WHERE: &str = " WHERE (LOWER(p.slug) LIKE $1 OR LOWER(p.name) LIKE $1) \
             AND ($2 = '' OR EXISTS (SELECT 1 FROM memberships m WHERE m.project_id = p.id AND m.user_id = $2))";
        let rows: Vec<ProjectRecord> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT p.id, p.slug, p.name, p.org, p.created_at, p.updated_at FROM projects p{WHERE} ORDER BY p.slug LIMIT $3 OFFSET $4"
        )))
        .bind(&pattern)
        .bind(member_of.unwrap_or(""))
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        let (total,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM projects p{WHERE}"
        )))
        .bind(&pattern)
        .bind(member_of.unwrap_or(""))
        .fetch_one(&self.pool)
        .await?;
        Ok((rows, total))
    }

    pub async fn update_project(
        &self,
        id: &str,
        name: &str,
        org: Option<&str>,
        now: i64,
    ) -> Result<()> {
        // A write transaction: it carries the store's actor (PostgreSQL).
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE projects SET name = $1, org = $2, updated_at = $3 WHERE id = $4")
            .bind(name)
            .bind(org)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        self.commit_write(tx).await?;
        Ok(())
    }

    pub async fn delete_project(&self, id: &str) -> Result<()> {
        // A write transaction: it carries the store's actor (PostgreSQL).
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM projects WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        self.commit_write(tx).await?;
        Ok(())
    }

    pub async fn environments(&self, project_id: &str) -> Result<Vec<EnvironmentRecord>> {
        Ok(sqlx::query_as(
            "SELECT id, project_id, slug, name, position, created_at FROM environments WHERE project_id = $1 ORDER BY position, slug",
        )
        .bind(project_id)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn environment_by_slug(
        &self,
        project_id: &str,
        slug: &str,
    ) -> Result<Option<EnvironmentRecord>> {
        Ok(sqlx::query_as(
            "SELECT id, project_id, slug, name, position, created_at FROM environments WHERE project_id = $1 AND slug = $2",
        )
        .bind(project_id)
        .bind(slug)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Appends an environment after the last one.
    pub async fn create_environment(
        &self,
        id: &str,
        project_id: &str,
        slug: &str,
        name: &str,
        now: i64,
    ) -> Result<EnvironmentRecord> {
        let mut tx = self.begin_write().await?;
        let (next,): (i64,) = sqlx::query_as(
            "SELECT COALESCE(MAX(position) + 1, 0) FROM environments WHERE project_id = $1",
        )
        .bind(project_id)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO environments (id, project_id, slug, name, position, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(id)
            .bind(project_id)
            .bind(slug)
            .bind(name)
            .bind(next)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(|e| conflict("an environment with this slug already exists")(e.into()))?;
        self.commit_write(tx).await?;
        self.environment_by_slug(project_id, slug)
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// Renames and/or moves an environment; `position` reorders the others.
    pub async fn update_environment(
        &self,
        project_id: &str,
        env_id: &str,
        name: Option<&str>,
        position: Option<i64>,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        if let Some(name) = name {
            sqlx::query("UPDATE environments SET name = $1 WHERE id = $2")
                .bind(name)
                .bind(env_id)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(target) = position {
            let ids: Vec<(String,)> = sqlx::query_as(
                "SELECT id FROM environments WHERE project_id = $1 ORDER BY position, slug",
            )
            .bind(project_id)
            .fetch_all(&mut *tx)
            .await?;
            let mut order: Vec<String> = ids
                .into_iter()
                .map(|(id,)| id)
                .filter(|id| id != env_id)
                .collect();
            let at = usize::try_from(target.max(0)).unwrap_or(0).min(order.len());
            order.insert(at, env_id.to_string());
            for (pos, id) in order.iter().enumerate() {
                sqlx::query("UPDATE environments SET position = $1 WHERE id = $2")
                    .bind(pos as i64)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        self.commit_write(tx).await?;
        Ok(())
    }

    pub async fn delete_environment(&self, env_id: &str) -> Result<()> {
        // A write transaction: it carries the store's actor (PostgreSQL).
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM environments WHERE id = $1")
            .bind(env_id)
            .execute(&mut *tx)
            .await?;
        self.commit_write(tx).await?;
        Ok(())
    }

    pub async fn membership_role(
        &self,
        project_id: &str,
        user_id: &str,
    ) -> Result<Option<ProjectRole>> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT role FROM memberships WHERE project_id = $1 AND user_id = $2")
                .bind(project_id)
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|(r,)| parse_role(&r)).transpose()
    }

    pub async fn members(&self, project_id: &str) -> Result<Vec<(UserRecord, ProjectRole)>> {
        let sql = const_format(
            "SELECT {USER_COLUMNS}, m.role AS member_role FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.project_id = $1 ORDER BY u.email",
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(project_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                use sqlx::Row;
                let role = parse_role(&r.try_get::<String, _>("member_role")?)?;
                Ok((user_from_row(r)?, role))
            })
            .collect()
    }

    pub async fn set_membership(
        &self,
        project_id: &str,
        user_id: &str,
        role: ProjectRole,
        now: i64,
    ) -> Result<()> {
        // A write transaction: it carries the store's actor (PostgreSQL).
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO memberships (project_id, user_id, role, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role",
        )
        .bind(project_id)
        .bind(user_id)
        .bind(role.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        self.commit_write(tx).await?;
        Ok(())
    }

    pub async fn remove_membership(&self, project_id: &str, user_id: &str) -> Result<bool> {
        // A write transaction: it carries the store's actor (PostgreSQL).
        let mut tx = self.begin_write().await?;
        let r = sqlx::query("DELETE FROM memberships WHERE project_id = $1 AND user_id = $2")
            .bind(project_id)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        // Attached audit events describe a removal: only with one.
        if r.rows_affected() == 0 {
            self.discard_audit();
            tx.rollback().await?;
            return Ok(false);
        }
        self.commit_write(tx).await?;
        Ok(true)
    }

    pub async fn count_owners(&self, project_id: &str) -> Result<i64> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM memberships WHERE project_id = $1 AND role = 'owner'",
        )
        .bind(project_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(n)
    }

    /// Ids of the projects where the user holds one of `roles`.
    pub async fn project_ids_with_role(
        &self,
        user_id: &str,
        roles: &[ProjectRole],
    ) -> Result<Vec<String>> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT project_id, role FROM memberships WHERE user_id = $1")
                .bind(user_id)
                .fetch_all(&self.pool)
                .await?;
        let mut out = Vec::new();
        for (project, role) in rows {
            if roles.contains(&parse_role(&role)?) {
                out.push(project);
            }
        }
        Ok(out)
    }
}

/// A membership role that does not parse is an error, never "no role".
fn parse_role(text: &str) -> Result<ProjectRole> {
    ProjectRole::parse(text).ok_or_else(|| StoreError::corrupt("memberships", "role"))
}
