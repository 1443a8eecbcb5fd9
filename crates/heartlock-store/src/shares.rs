//! Share links: sealed blobs the server cannot open, with their limits and
//! the hash of their access value. The store applies the guarded updates
//! that make views, limits and deletion atomic; the domain decides who may
//! create, see and revoke.
use crate::{Result, Store};

/// One stored share, without its sealed blob or access hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareRecord {
    pub id: String,
    pub creator_key: String,
    pub created_by: Option<String>,
    pub project_id: Option<String>,
    pub source_environment: Option<String>,
    pub source_key: Option<String>,
    pub kdf_salt: Option<String>,
    pub kdf_iterations: Option<i64>,
    pub label: Option<String>,
    pub size: i64,
    pub views_allowed: i64,
    pub views_left: i64,
    pub expires_at: i64,
    pub created_at: i64,
}

/// What a new share is made of.
#[derive(Debug, Clone)]
pub struct NewShareRecord {
    pub record: ShareRecord,
    /// base64url of the sealed blob.
    pub ciphertext: String,
    /// hex SHA-256 of the access value.
    pub auth_hash: String,
}

/// What a reveal hands out.
#[derive(Debug, Clone)]
pub struct ConsumedShare {
    pub record: ShareRecord,
    pub ciphertext: String,
}

/// Counts for server administrators (never contents).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ShareCounts {
    pub active: i64,
    pub active_anonymous: i64,
    pub views_left: i64,
    pub created_since: i64,
}

type Row = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
    i64,
    i64,
    i64,
    i64,
    i64,
);

const COLUMNS: &str = "id, creator_key, created_by, project_id, source_environment, source_key, \
                       kdf_salt, kdf_iterations, label, size, views_allowed, views_left, \
                       expires_at, created_at";

fn record(r: Row) -> ShareRecord {
    ShareRecord {
        id: r.0,
        creator_key: r.1,
        created_by: r.2,
        project_id: r.3,
        source_environment: r.4,
        source_key: r.5,
        kdf_salt: r.6,
        kdf_iterations: r.7,
        label: r.8,
        size: r.9,
        views_allowed: r.10,
        views_left: r.11,
        expires_at: r.12,
        created_at: r.13,
    }
}

/// Still usable at `$N` (the caller binds its clock).
fn live(now_param: &str) -> String {
    format!("views_left > 0 AND expires_at > {now_param}")
}

impl Store {
    /// Stores a share unless its creator already has `max_active` live
    /// ones (checked in the same write transaction, so parallel requests
    /// cannot overshoot). `false`: the limit is reached, nothing written.
    pub async fn create_share(&self, new: &NewShareRecord, max_active: i64) -> Result<bool> {
        let r = &new.record;
        let mut tx = self.begin_write().await?;
        // PostgreSQL: serialise the creator's inserts so the count holds.
        if self.backend() == crate::Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext($1))")
                .bind(&r.creator_key)
                .execute(&mut *tx)
                .await?;
        }
        let (active,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM shares WHERE creator_key = $1 AND {}",
            live("$2")
        )))
        .bind(&r.creator_key)
        .bind(r.created_at)
        .fetch_one(&mut *tx)
        .await?;
        if active >= max_active {
            self.discard_audit();
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO shares (id, creator_key, created_by, project_id, source_environment, \
             source_key, ciphertext, auth_hash, kdf_salt, kdf_iterations, label, size, \
             views_allowed, views_left, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        )
        .bind(&r.id)
        .bind(&r.creator_key)
        .bind(&r.created_by)
        .bind(&r.project_id)
        .bind(&r.source_environment)
        .bind(&r.source_key)
        .bind(&new.ciphertext)
        .bind(&new.auth_hash)
        .bind(&r.kdf_salt)
        .bind(r.kdf_iterations)
        .bind(&r.label)
        .bind(r.size)
        .bind(r.views_allowed)
        .bind(r.views_left)
        .bind(r.expires_at)
        .bind(r.created_at)
        .execute(&mut *tx)
        .await?;
        self.commit_write(tx).await?;
        Ok(true)
    }

    /// A share that can still be opened at `now`, with its access hash.
    pub async fn live_share(&self, id: &str, now: i64) -> Result<Option<(ShareRecord, String)>> {
        let row: Option<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT auth_hash FROM shares WHERE id = $1 AND {}",
            live("$2")
        )))
        .bind(id)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        let Some((hash,)) = row else {
            return Ok(None);
        };
        Ok(self.share(id).await?.map(|r| (r, hash)))
    }

    /// One share, whatever its state (without blob or hash).
    pub async fn share(&self, id: &str) -> Result<Option<ShareRecord>> {
        let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM shares WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(record))
    }

    /// The live shares counted against `creator_key`, newest first.
    pub async fn shares_of(&self, creator_key: &str, now: i64) -> Result<Vec<ShareRecord>> {
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM shares WHERE creator_key = $1 AND {} \
             ORDER BY created_at DESC, id",
            live("$2")
        )))
        .bind(creator_key)
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(record).collect())
    }

    /// Consumes one view of a live share whose access hash is `auth_hash`
    /// and returns its blob; the last view deletes the row in the same
    /// transaction (with the handle's audit events). `None`: gone, or the
    /// hash does not match (nothing changed).
    pub async fn consume_share(
        &self,
        id: &str,
        auth_hash: &str,
        now: i64,
    ) -> Result<Option<ConsumedShare>> {
        let mut tx = self.begin_write().await?;
        let row: Option<(i64,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE shares SET views_left = views_left - 1 \
             WHERE id = $1 AND auth_hash = $2 AND {} RETURNING views_left",
            live("$3")
        )))
        .bind(id)
        .bind(auth_hash)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        if row.is_none() {
            self.discard_audit();
            tx.rollback().await?;
            return Ok(None);
        }
        let full: Option<(String,)> = sqlx::query_as("SELECT ciphertext FROM shares WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let meta: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM shares WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let (Some((ciphertext,)), Some(meta)) = (full, meta) else {
            self.discard_audit();
            tx.rollback().await?;
            return Ok(None);
        };
        let record = record(meta);
        if record.views_left <= 0 {
            sqlx::query("DELETE FROM shares WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        self.commit_write(tx).await?;
        Ok(Some(ConsumedShare { record, ciphertext }))
    }

    /// Deletes a live share of `creator_key` (revocation). `false`: no such
    /// live share (nothing written).
    pub async fn delete_share(&self, id: &str, creator_key: &str, now: i64) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM shares WHERE id = $1 AND creator_key = $2 AND {}",
            live("$3")
        )))
        .bind(id)
        .bind(creator_key)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            self.discard_audit();
            tx.rollback().await?;
            return Ok(false);
        }
        self.commit_write(tx).await?;
        Ok(true)
    }

    /// Up to `limit` shares no longer usable at `now` (expired, or used up
    /// by a view whose delete did not happen), oldest expiry first.
    pub async fn dead_shares(&self, now: i64, limit: i64) -> Result<Vec<ShareRecord>> {
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM shares WHERE NOT ({}) ORDER BY expires_at, id LIMIT $2",
            live("$1")
        )))
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(record).collect())
    }

    /// Deletes one share that is no longer usable at `now` (the sweep).
    /// `false`: already gone.
    pub async fn delete_dead_share(&self, id: &str, now: i64) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM shares WHERE id = $1 AND NOT ({})",
            live("$2")
        )))
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            self.discard_audit();
            tx.rollback().await?;
            return Ok(false);
        }
        self.commit_write(tx).await?;
        Ok(true)
    }

    /// Counts of live shares, and of shares created since `since`.
    pub async fn share_counts(&self, now: i64, since: i64) -> Result<ShareCounts> {
        let (active, anonymous, views): (i64, i64, i64) =
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT COUNT(*), \
                 CAST(COALESCE(SUM(CASE WHEN created_by IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT), \
                 CAST(COALESCE(SUM(views_left), 0) AS BIGINT) FROM shares WHERE {}",
                live("$1")
            )))
            .bind(now)
            .fetch_one(&self.pool)
            .await?;
        let (created,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM shares WHERE created_at >= $1")
                .bind(since)
                .fetch_one(&self.pool)
                .await?;
        Ok(ShareCounts {
            active,
            active_anonymous: anonymous,
            views_left: views,
            created_since: created,
        })
    }

    /// Whether the project allows share links of its secrets (no row: yes).
    pub async fn project_sharing(&self, project_id: &str) -> Result<bool> {
        let row: Option<(i64,)> =
            sqlx::query_as("SELECT allowed FROM project_sharing WHERE project_id = $1")
                .bind(project_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.is_none_or(|(a,)| a != 0))
    }

    /// Sets the project's sharing policy (with the handle's audit events).
    pub async fn set_project_sharing(
        &self,
        project_id: &str,
        allowed: bool,
        by: Option<&str>,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO project_sharing (project_id, allowed, changed_by, changed_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (project_id) DO UPDATE SET \
             allowed = EXCLUDED.allowed, changed_by = EXCLUDED.changed_by, \
             changed_at = EXCLUDED.changed_at",
        )
        .bind(project_id)
        .bind(i64::from(allowed))
        .bind(by)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        self.commit_write(tx).await
    }
}
