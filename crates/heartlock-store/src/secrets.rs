//! Versioned secrets. Every write (create, update, delete, rollback) appends
//! a version; the secret row points at its newest. Values arrive and leave
//! as ciphertext only.
use crate::{Result, Store, StoreError};

/// One key's change, ready to store.
#[derive(Debug, Clone)]
pub struct SecretWrite {
    pub key: String,
    /// Row id of the new version (the ciphertext is bound to it).
    pub version_id: String,
    /// `None` deletes the secret.
    pub value_ct: Option<String>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    pub user_id: Option<String>,
    pub token_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenVersion {
    pub key: String,
    pub secret_id: String,
    pub version: i64,
}

/// The newest version of a live secret.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredSecret {
    pub key: String,
    pub secret_id: String,
    pub version: i64,
    pub version_id: String,
    pub value_ct: String,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredVersion {
    pub version: i64,
    pub version_id: String,
    pub value_ct: Option<String>,
    pub deleted: i64,
    pub author_user_id: Option<String>,
    pub author_token_id: Option<String>,
    pub comment: Option<String>,
    pub created_at: i64,
}

impl Store {
    /// Applies every write in ONE transaction: all land or none does.
    /// Concurrent writers to the same key serialise on the secret row, so
    /// each gets its own version number and none is lost.
    pub async fn write_secrets(
        &self,
        environment_id: &str,
        writes: &[SecretWrite],
        author: &Author,
        now: i64,
    ) -> Result<Vec<WrittenVersion>> {
        let mut tx = self.begin_write().await?;
        let mut out = Vec::with_capacity(writes.len());
        for w in writes {
            let deleted = i64::from(w.value_ct.is_none());
            // Upsert and bump the version in one statement (row-locking on PostgreSQL).
            let row: Option<(String, i64)> = if w.value_ct.is_some() {
                sqlx::query_as(
                    "INSERT INTO secrets (id, environment_id, key, current_version, deleted, created_at, updated_at) \
                     VALUES ($1, $2, $3, 1, 0, $4, $4) \
                     ON CONFLICT (environment_id, key) DO UPDATE SET current_version = secrets.current_version + 1, deleted = 0, updated_at = excluded.updated_at \
                     RETURNING id, current_version",
                )
                .bind(heartlock_core::ids::new_id())
                .bind(environment_id)
                .bind(&w.key)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await?
            } else {
                sqlx::query_as(
                    "UPDATE secrets SET current_version = current_version + 1, deleted = 1, updated_at = $1 \
                     WHERE environment_id = $2 AND key = $3 AND deleted = 0 RETURNING id, current_version",
                )
                .bind(now)
                .bind(environment_id)
                .bind(&w.key)
                .fetch_optional(&mut *tx)
                .await?
            };
            let Some((secret_id, version)) = row else {
                return Err(StoreError::NotFound);
            };
            sqlx::query(
                "INSERT INTO secret_versions (id, secret_id, version, value_ct, deleted, author_user_id, author_token_id, comment, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&w.version_id)
            .bind(&secret_id)
            .bind(version)
            .bind(&w.value_ct)
            .bind(deleted)
            .bind(&author.user_id)
            .bind(&author.token_id)
            .bind(&w.comment)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            out.push(WrittenVersion {
                key: w.key.clone(),
                secret_id,
                version,
            });
        }
        self.commit_write(tx).await?;
        Ok(out)
    }

    /// Every live secret of an environment, newest versions, by key.
    pub async fn current_secrets(&self, environment_id: &str) -> Result<Vec<StoredSecret>> {
        Ok(sqlx::query_as(
            "SELECT s.key, s.id AS secret_id, v.version, v.id AS version_id, v.value_ct, s.updated_at \
             FROM secrets s JOIN secret_versions v ON v.secret_id = s.id AND v.version = s.current_version \
             WHERE s.environment_id = $1 AND s.deleted = 0 ORDER BY s.key",
        )
        .bind(environment_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// One live secret by key.
    pub async fn current_secret(
        &self,
        environment_id: &str,
        key: &str,
    ) -> Result<Option<StoredSecret>> {
        Ok(sqlx::query_as(
            "SELECT s.key, s.id AS secret_id, v.version, v.id AS version_id, v.value_ct, s.updated_at \
             FROM secrets s JOIN secret_versions v ON v.secret_id = s.id AND v.version = s.current_version \
             WHERE s.environment_id = $1 AND s.key = $2 AND s.deleted = 0",
        )
        .bind(environment_id)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The current value of `key` in each of the given environments.
    pub async fn secret_across(
        &self,
        project_id: &str,
        key: &str,
    ) -> Result<Vec<(String, StoredSecret)>> {
        let rows: Vec<(String, String, String, i64, String, String, i64)> = sqlx::query_as(
            "SELECT e.id, s.key, s.id, v.version, v.id, v.value_ct, s.updated_at \
             FROM environments e JOIN secrets s ON s.environment_id = e.id \
             JOIN secret_versions v ON v.secret_id = s.id AND v.version = s.current_version \
             WHERE e.project_id = $1 AND s.key = $2 AND s.deleted = 0",
        )
        .bind(project_id)
        .bind(key)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(
                |(env, key, secret_id, version, version_id, value_ct, updated_at)| {
                    (
                        env,
                        StoredSecret {
                            key,
                            secret_id,
                            version,
                            version_id,
                            value_ct,
                            updated_at,
                        },
                    )
                },
            )
            .collect())
    }

    /// Versions of a secret (including deletions), newest first, with the total.
    pub async fn secret_history(
        &self,
        environment_id: &str,
        key: &str,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<StoredVersion>, i64)> {
        let rows: Vec<StoredVersion> = sqlx::query_as(
            "SELECT v.version, v.id AS version_id, v.value_ct, v.deleted, v.author_user_id, v.author_token_id, v.comment, v.created_at \
             FROM secrets s JOIN secret_versions v ON v.secret_id = s.id \
             WHERE s.environment_id = $1 AND s.key = $2 ORDER BY v.version DESC LIMIT $3 OFFSET $4",
        )
        .bind(environment_id)
        .bind(key)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        let (total,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM secrets s JOIN secret_versions v ON v.secret_id = s.id WHERE s.environment_id = $1 AND s.key = $2",
        )
        .bind(environment_id)
        .bind(key)
        .fetch_one(&self.pool)
        .await?;
        Ok((rows, total))
    }

    pub async fn secret_version(
        &self,
        environment_id: &str,
        key: &str,
        version: i64,
    ) -> Result<Option<StoredVersion>> {
        Ok(sqlx::query_as(
            "SELECT v.version, v.id AS version_id, v.value_ct, v.deleted, v.author_user_id, v.author_token_id, v.comment, v.created_at \
             FROM secrets s JOIN secret_versions v ON v.secret_id = s.id \
             WHERE s.environment_id = $1 AND s.key = $2 AND v.version = $3",
        )
        .bind(environment_id)
        .bind(key)
        .bind(version)
        .fetch_optional(&self.pool)
        .await?)
    }
}
