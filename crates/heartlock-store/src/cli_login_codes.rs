//! One-time codes of `heartlock login --sso`, kept by hash only. The domain
//! decides what a code may do; the store keeps it and deletes it once.
use crate::{Result, Store};

/// A code waiting to be redeemed by the CLI that asked for it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CliLoginCode {
    pub code_hash: String,
    pub user_id: String,
    /// The CLI's S256 PKCE challenge.
    pub challenge: String,
    pub created_at: i64,
    pub expires_at: i64,
}

impl Store {
    /// Stores a new code; expired codes are purged in the same transaction
    /// (nothing else would ever delete an abandoned one).
    pub async fn create_cli_login_code(&self, code: &CliLoginCode, now: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM cli_login_codes WHERE expires_at <= $1")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO cli_login_codes (code_hash, user_id, challenge, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&code.code_hash)
        .bind(&code.user_id)
        .bind(&code.challenge)
        .bind(code.created_at)
        .bind(code.expires_at)
        .execute(&mut *tx)
        .await?;
        self.commit_write(tx).await
    }

    /// The code with this hash, if it was not redeemed yet.
    pub async fn cli_login_code(&self, code_hash: &str) -> Result<Option<CliLoginCode>> {
        Ok(sqlx::query_as(
            "SELECT code_hash, user_id, challenge, created_at, expires_at \
             FROM cli_login_codes WHERE code_hash = $1",
        )
        .bind(code_hash)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Deletes the code; true for the one caller that deleted it (of two
    /// concurrent redemptions, one wins). Attached audit events commit only
    /// with a deletion.
    pub async fn take_cli_login_code(&self, code_hash: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("DELETE FROM cli_login_codes WHERE code_hash = $1")
            .bind(code_hash)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 1 {
            self.commit_write(tx).await?;
            Ok(true)
        } else {
            self.discard_audit();
            tx.rollback().await?;
            Ok(false)
        }
    }
}
