//! Server-generated keys kept encrypted in the database, so that restarts and
//! other instances share them (JWT signing key, VAPID pair, key canary).
use crate::{Result, Store};

impl Store {
    pub async fn server_secret(&self, name: &str) -> Result<Option<String>> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT value_ct FROM server_secrets WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(ct,)| ct))
    }

    /// Inserts the value unless one exists; returns the value that is stored
    /// afterwards, so concurrent instances converge on the first writer's.
    pub async fn server_secret_get_or_insert(
        &self,
        name: &str,
        value_ct: &str,
        now_ms: i64,
    ) -> Result<String> {
        sqlx::query(
            "INSERT INTO server_secrets (name, value_ct, created_at, updated_at) \
             VALUES ($1, $2, $3, $3) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(value_ct)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        self.server_secret(name)
            .await?
            .ok_or(crate::StoreError::NotFound)
    }

    pub async fn delete_server_secret(&self, name: &str) -> Result<()> {
        sqlx::query("DELETE FROM server_secrets WHERE name = $1")
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
