//! Service tokens: only the SHA-256 hash of the token and a short display
//! prefix are stored; the token itself is shown once at creation.
use crate::{Result, Store, StoreError};
use heartlock_core::cidr::{Cidr, parse_cidr};
use heartlock_core::roles::TokenAccess;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub id: String,
    pub name: String,
    pub project_id: String,
    /// Environment ids the token may use.
    pub environments: Vec<String>,
    pub access: TokenAccess,
    pub token_hash: String,
    pub display_prefix: String,
    /// CIDRs the token may be used from (empty: anywhere).
    pub allowed_cidrs: Vec<Cidr>,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub created_by: Option<String>,
    pub created_at: i64,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    name: String,
    project_id: String,
    environments: String,
    access: String,
    token_hash: String,
    display_prefix: String,
    allowed_cidrs: String,
    expires_at: Option<i64>,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
    created_by: Option<String>,
    created_at: i64,
}

/// A token row that does not parse is an error: a token whose CIDR list
/// or scope cannot be read must never become usable from anywhere.
impl TryFrom<Row> for TokenRecord {
    type Error = StoreError;

    fn try_from(r: Row) -> Result<Self> {
        let corrupt = |c| StoreError::corrupt("service_tokens", c);
        let environments: Vec<String> =
            serde_json::from_str(&r.environments).map_err(|_| corrupt("environments"))?;
        let cidr_texts: Vec<String> =
            serde_json::from_str(&r.allowed_cidrs).map_err(|_| corrupt("allowed_cidrs"))?;
        let allowed_cidrs = cidr_texts
            .iter()
            .map(|c| parse_cidr(c))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| corrupt("allowed_cidrs"))?;
        Ok(Self {
            id: r.id,
            name: r.name,
            project_id: r.project_id,
            environments,
            access: TokenAccess::parse(&r.access).ok_or_else(|| corrupt("access"))?,
            token_hash: r.token_hash,
            display_prefix: r.display_prefix,
            allowed_cidrs,
            expires_at: r.expires_at,
            last_used_at: r.last_used_at,
            revoked_at: r.revoked_at,
            created_by: r.created_by,
            created_at: r.created_at,
        })
    }
}

const COLUMNS: &str = "id, name, project_id, environments, access, token_hash, display_prefix, allowed_cidrs, expires_at, last_used_at, revoked_at, created_by, created_at";

impl Store {
    pub async fn create_token(&self, t: &TokenRecord) -> Result<()> {
        // A write transaction: it carries the store's actor (PostgreSQL).
        let mut tx = self.begin_write().await?;
        let envs = serde_json::to_string(&t.environments)
            .map_err(|e| StoreError::Database(e.to_string()))?;
        let cidr_texts: Vec<String> = t.allowed_cidrs.iter().map(ToString::to_string).collect();
        let cidrs =
            serde_json::to_string(&cidr_texts).map_err(|e| StoreError::Database(e.to_string()))?;
        sqlx::query(
            "INSERT INTO service_tokens (id, name, project_id, environments, access, token_hash, display_prefix, allowed_cidrs, expires_at, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&t.id)
        .bind(&t.name)
        .bind(&t.project_id)
        .bind(envs)
        .bind(t.access.as_str())
        .bind(&t.token_hash)
        .bind(&t.display_prefix)
        .bind(cidrs)
        .bind(t.expires_at)
        .bind(&t.created_by)
        .bind(t.created_at)
        .execute(&mut *tx)
        .await?;
        self.commit_write(tx).await?;
        Ok(())
    }

    pub async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>> {
        let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM service_tokens WHERE token_hash = $1"
        )))
        .bind(hash)
        .fetch_optional(&self.pool)
        .await?;
        row.map(TokenRecord::try_from).transpose()
    }

    /// A project's tokens, newest first (revoked ones included, marked).
    pub async fn project_tokens(&self, project_id: &str) -> Result<Vec<TokenRecord>> {
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM service_tokens WHERE project_id = $1 ORDER BY created_at DESC, id DESC"
        )))
        .bind(project_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(TokenRecord::try_from).collect()
    }

    /// Revokes a token of the project; returns its hash when it was live.
    pub async fn revoke_token(
        &self,
        project_id: &str,
        id: &str,
        now: i64,
    ) -> Result<Option<String>> {
        // A write transaction: it carries the store's actor (PostgreSQL).
        let mut tx = self.begin_write().await?;
        let row: Option<(String,)> = sqlx::query_as(
            "UPDATE service_tokens SET revoked_at = $1 WHERE project_id = $2 AND id = $3 AND revoked_at IS NULL RETURNING token_hash",
        )
        .bind(now)
        .bind(project_id)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        // Attached audit events describe a revocation: only with one.
        if row.is_some() {
            self.commit_write(tx).await?;
        } else {
            self.discard_audit();
            tx.rollback().await?;
        }
        Ok(row.map(|(h,)| h))
    }

    /// Records use; callers coalesce so this runs at most once a minute per token.
    pub async fn touch_token(&self, id: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE service_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
