//! Settings that server administrators change at run time (the OIDC admin
//! API), one row per setting under a scope, and a version per scope that
//! other instances poll. Secret values arrive sealed; the store never opens
//! them.
use crate::{Result, Store, StoreError};

/// One stored setting. `value` is a Fernet token when `sealed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSetting {
    pub name: String,
    pub value: String,
    pub sealed: bool,
}

/// A scope's settings and the version they were read at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSettings {
    pub version: i64,
    pub settings: Vec<ServerSetting>,
}

impl Store {
    /// The scope's version; `None` when it was never written.
    pub async fn server_settings_version(&self, scope: &str) -> Result<Option<i64>> {
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT version FROM server_settings_versions WHERE scope = $1")
                .bind(scope)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(v,)| v))
    }

    /// The scope's settings with their version (read in one transaction so
    /// they match); `None` when the scope was never written.
    pub async fn server_settings(&self, scope: &str) -> Result<Option<ServerSettings>> {
        let mut tx = self.pool.begin().await?;
        let version: Option<(i64,)> =
            sqlx::query_as("SELECT version FROM server_settings_versions WHERE scope = $1")
                .bind(scope)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((version,)) = version else {
            tx.commit().await?;
            return Ok(None);
        };
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT name, value, sealed FROM server_settings WHERE scope = $1 ORDER BY name",
        )
        .bind(scope)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let settings = rows
            .into_iter()
            .map(|(name, value, sealed)| match sealed {
                0 => Ok(ServerSetting {
                    name,
                    value,
                    sealed: false,
                }),
                1 => Ok(ServerSetting {
                    name,
                    value,
                    sealed: true,
                }),
                _ => Err(StoreError::corrupt("server_settings", "sealed")),
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(ServerSettings { version, settings }))
    }

    /// Replaces every setting of `scope` with `settings` and bumps its
    /// version, in one write transaction (with the handle's audit events).
    /// Returns the new version.
    pub async fn replace_server_settings(
        &self,
        scope: &str,
        settings: &[ServerSetting],
        now_ms: i64,
    ) -> Result<i64> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM server_settings WHERE scope = $1")
            .bind(scope)
            .execute(&mut *tx)
            .await?;
        for s in settings {
            sqlx::query(
                "INSERT INTO server_settings (name, scope, value, sealed, updated_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&s.name)
            .bind(scope)
            .bind(&s.value)
            .bind(i64::from(s.sealed))
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "INSERT INTO server_settings_versions (scope, version, updated_at) VALUES ($1, 1, $2) \
             ON CONFLICT (scope) DO UPDATE SET version = server_settings_versions.version + 1, \
             updated_at = excluded.updated_at",
        )
        .bind(scope)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        let (version,): (i64,) =
            sqlx::query_as("SELECT version FROM server_settings_versions WHERE scope = $1")
                .bind(scope)
                .fetch_one(&mut *tx)
                .await?;
        self.commit_write(tx).await?;
        Ok(version)
    }
}
