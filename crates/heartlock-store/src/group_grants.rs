//! Project roles granted to identity-provider groups (`group_grants`), with
//! an optional environment limit (a JSON list of environment ids, `NULL`
//! for every environment, as for memberships). The store only keeps them;
//! the domain resolves a user's role from their groups.
use crate::member_environments::{encode_limit, parse_limit};
use crate::projects::ProjectRecord;
use crate::{Result, Store, StoreError};
use heartlock_core::roles::ProjectRole;

/// One grant: members of `group_name` at the provider get `role`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupGrantRecord {
    pub project_id: String,
    pub group_name: String,
    pub role: ProjectRole,
    /// Environment ids the grant is limited to; `None` for all.
    pub environments: Option<Vec<String>>,
    pub created_at: i64,
}

type Row = (String, String, String, Option<String>, i64);

fn record((project_id, group_name, role, envs, created_at): Row) -> Result<GroupGrantRecord> {
    let role =
        ProjectRole::parse(&role).ok_or_else(|| StoreError::corrupt("group_grants", "role"))?;
    let environments = parse_limit("group_grants", envs)?;
    Ok(GroupGrantRecord {
        project_id,
        group_name,
        role,
        environments,
        created_at,
    })
}

const COLUMNS: &str = "project_id, group_name, role, environments, created_at";

/// `$first, $first+1, …` for `n` bound values (one SQL text per list
/// length, the same for both databases).
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Which projects a listing may return: those reached by `user_id` directly
/// or through one of `groups`, optionally only those whose org is in `orgs`.
#[derive(Debug, Clone, Copy)]
pub struct ReachFilter<'a> {
    pub user_id: &'a str,
    pub groups: &'a [String],
    /// `Some`: only projects whose `org` is one of these.
    pub orgs: Option<&'a [String]>,
}

impl ReachFilter<'_> {
    /// The WHERE condition on `projects p`, its values bound from `$first`.
    fn condition(&self, first: usize) -> (String, Vec<String>) {
        let mut binds = vec![self.user_id.to_string()];
        let mut sql = format!(
            "(EXISTS (SELECT 1 FROM memberships m WHERE m.project_id = p.id AND m.user_id = ${first})"
        );
        if !self.groups.is_empty() {
            sql.push_str(&format!(
                " OR EXISTS (SELECT 1 FROM group_grants g WHERE g.project_id = p.id AND g.group_name IN ({}))",
                placeholders(first + 1, self.groups.len())
            ));
            binds.extend(self.groups.iter().cloned());
        }
        sql.push(')');
        if let Some(orgs) = self.orgs {
            if orgs.is_empty() {
                sql.push_str(" AND 1 = 0");
            } else {
                sql.push_str(&format!(
                    " AND p.org IN ({})",
                    placeholders(first + binds.len(), orgs.len())
                ));
                binds.extend(orgs.iter().cloned());
            }
        }
        (sql, binds)
    }
}

impl Store {
    /// Every grant of a project, by group name.
    pub async fn group_grants(&self, project_id: &str) -> Result<Vec<GroupGrantRecord>> {
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM group_grants WHERE project_id = $1 ORDER BY group_name"
        )))
        .bind(project_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(record).collect()
    }

    /// One grant of a project.
    pub async fn group_grant(
        &self,
        project_id: &str,
        group_name: &str,
    ) -> Result<Option<GroupGrantRecord>> {
        let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM group_grants WHERE project_id = $1 AND group_name = $2"
        )))
        .bind(project_id)
        .bind(group_name)
        .fetch_optional(&self.pool)
        .await?;
        row.map(record).transpose()
    }

    /// The grants of a project to any of `groups` (a user's groups: what
    /// their role there is resolved from).
    pub async fn group_grants_matching(
        &self,
        project_id: &str,
        groups: &[String],
    ) -> Result<Vec<GroupGrantRecord>> {
        if groups.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {COLUMNS} FROM group_grants WHERE project_id = $1 AND group_name IN ({}) ORDER BY group_name",
            placeholders(2, groups.len())
        );
        let mut q = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql)).bind(project_id);
        for g in groups {
            q = q.bind(g);
        }
        q.fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(record)
            .collect()
    }

    /// Every grant to any of `groups`, in every project (a user's reach
    /// through their groups).
    pub async fn group_grants_of_groups(&self, groups: &[String]) -> Result<Vec<GroupGrantRecord>> {
        if groups.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {COLUMNS} FROM group_grants WHERE group_name IN ({})",
            placeholders(1, groups.len())
        );
        let mut q = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql));
        for g in groups {
            q = q.bind(g);
        }
        q.fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(record)
            .collect()
    }

    /// Creates a grant or changes its role and environments.
    pub async fn upsert_group_grant(
        &self,
        project_id: &str,
        group_name: &str,
        role: ProjectRole,
        environments: Option<&[String]>,
        now: i64,
    ) -> Result<()> {
        let envs = encode_limit("group_grants", environments)?;
        // A write transaction: it carries the store's actor (PostgreSQL).
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO group_grants (project_id, group_name, role, created_at, environments) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (project_id, group_name) DO UPDATE SET role = excluded.role, \
             environments = excluded.environments",
        )
        .bind(project_id)
        .bind(group_name)
        .bind(role.as_str())
        .bind(now)
        .bind(envs)
        .execute(&mut *tx)
        .await?;
        self.commit_write(tx).await?;
        Ok(())
    }

    /// Deletes a grant; false (and no audit event) when there was none.
    pub async fn delete_group_grant(&self, project_id: &str, group_name: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let r = sqlx::query("DELETE FROM group_grants WHERE project_id = $1 AND group_name = $2")
            .bind(project_id)
            .bind(group_name)
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

    /// Projects a user reaches (directly or through `filter.groups`),
    /// narrowed by a case-insensitive search on slug and name, by slug,
    /// with the total.
    pub async fn list_reachable_projects(
        &self,
        filter: &ReachFilter<'_>,
        search: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<ProjectRecord>, i64)> {
        let pattern = format!(
            "%{}%",
            search.unwrap_or("").to_lowercase().replace(['%', '_'], "")
        );
        let wh = |first| {
            let (cond, binds) = filter.condition(first);
            (
                format!(" WHERE (LOWER(p.slug) LIKE $1 OR LOWER(p.name) LIKE $1) AND {cond}"),
                binds,
            )
        };
        let (list_where, binds) = wh(4);
        let sql = format!(
            "SELECT p.id, p.slug, p.name, p.org, p.created_at, p.updated_at FROM projects p{list_where} \
             ORDER BY p.slug LIMIT $2 OFFSET $3"
        );
        let mut q = sqlx::query_as::<_, ProjectRecord>(sqlx::AssertSqlSafe(sql))
            .bind(&pattern)
            .bind(limit)
            .bind(offset);
        for b in &binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(&self.pool).await?;
        let (count_where, binds) = wh(2);
        let count_sql = format!("SELECT COUNT(*) FROM projects p{count_where}");
        let mut c = sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(count_sql)).bind(&pattern);
        for b in &binds {
            c = c.bind(b);
        }
        let (total,) = c.fetch_one(&self.pool).await?;
        Ok((rows, total))
    }

    /// Ids of the projects `user_id` is a direct member of.
    pub async fn member_project_ids(&self, user_id: &str) -> Result<Vec<String>> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT project_id FROM memberships WHERE user_id = $1")
                .bind(user_id)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().map(|(p,)| p).collect())
    }
}
