//! The environments a project membership is limited to (`None`: all).
//! Stored as a JSON list of environment ids; a value that does not parse is
//! `StoreError::Corrupt`, never "no limit".
use crate::{Result, Store, StoreError};
use heartlock_core::roles::ProjectRole;

/// An `environments` limit column (memberships, group grants) as read.
pub(crate) fn parse_limit(
    table: &'static str,
    text: Option<String>,
) -> Result<Option<Vec<String>>> {
    text.map(|t| {
        serde_json::from_str::<Vec<String>>(&t)
            .map_err(|_| StoreError::corrupt(table, "environments"))
    })
    .transpose()
}

/// An `environments` limit as stored (`None`: every environment).
pub(crate) fn encode_limit(table: &'static str, envs: Option<&[String]>) -> Result<Option<String>> {
    envs.map(serde_json::to_string)
        .transpose()
        .map_err(|_| StoreError::corrupt(table, "environments"))
}

fn parse(text: Option<String>) -> Result<Option<Vec<String>>> {
    parse_limit("memberships", text)
}

impl Store {
    /// The environment ids a member is limited to; `None` when the member
    /// reaches every environment (or is not a member).
    pub async fn membership_environments(
        &self,
        project_id: &str,
        user_id: &str,
    ) -> Result<Option<Vec<String>>> {
        let row: Option<(Option<String>,)> = sqlx::query_as(
            "SELECT environments FROM memberships WHERE project_id = $1 AND user_id = $2",
        )
        .bind(project_id)
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        parse(row.and_then(|(t,)| t))
    }

    /// Every member's limit in a project, by user id (`None`: all).
    pub async fn member_environments(
        &self,
        project_id: &str,
    ) -> Result<Vec<(String, Option<Vec<String>>)>> {
        let rows: Vec<(String, Option<String>)> =
            sqlx::query_as("SELECT user_id, environments FROM memberships WHERE project_id = $1")
                .bind(project_id)
                .fetch_all(&self.pool)
                .await?;
        rows.into_iter()
            .map(|(user, text)| Ok((user, parse(text)?)))
            .collect()
    }

    /// Adds a member or changes their role, setting their environment limit
    /// (`None`: all environments) in the same write.
    pub async fn set_membership_with_environments(
        &self,
        project_id: &str,
        user_id: &str,
        role: ProjectRole,
        environments: Option<&[String]>,
        now: i64,
    ) -> Result<()> {
        let envs = encode_limit("memberships", environments)?;
        // A write transaction: it carries the store's actor (PostgreSQL).
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO memberships (project_id, user_id, role, created_at, environments) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role, \
             environments = excluded.environments",
        )
        .bind(project_id)
        .bind(user_id)
        .bind(role.as_str())
        .bind(now)
        .bind(envs)
        .execute(&mut *tx)
        .await?;
        self.commit_write(tx).await?;
        Ok(())
    }
}
