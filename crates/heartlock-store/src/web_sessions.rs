//! Browser sessions (cookie token stored as a hash).
use crate::users::{UserRecord, const_format, user_from_row};
use crate::{Result, Store};
use sqlx::Row;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct WebSessionRecord {
    pub id: String,
    pub user_id: String,
    pub csrf_token: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewWebSession {
    pub id: String,
    pub token_hash: String,
    pub user_id: String,
    pub csrf_token: String,
    pub expires_at: i64,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

impl Store {
    pub async fn create_web_session(&self, s: &NewWebSession, now: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO web_sessions (id, token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at, user_agent, ip) \
             VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8)",
        )
        .bind(&s.id)
        .bind(&s.token_hash)
        .bind(&s.user_id)
        .bind(&s.csrf_token)
        .bind(now)
        .bind(s.expires_at)
        .bind(&s.user_agent)
        .bind(&s.ip)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A live session and its (enabled) user. `idle_since` is the oldest
    /// acceptable last-seen time (idle expiry).
    pub async fn web_session(
        &self,
        token_hash: &str,
        now: i64,
        idle_since: i64,
    ) -> Result<Option<(WebSessionRecord, UserRecord)>> {
        let sql = const_format(
            "SELECT s.id AS s_id, s.user_id AS s_user_id, s.csrf_token, s.created_at AS s_created_at, s.last_seen_at, s.expires_at, \
             s.user_agent, s.ip, {USER_COLUMNS} FROM web_sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND s.last_seen_at > $3 AND u.disabled = 0",
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(token_hash)
            .bind(now)
            .bind(idle_since)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let session = WebSessionRecord {
            id: row.try_get("s_id")?,
            user_id: row.try_get("s_user_id")?,
            csrf_token: row.try_get("csrf_token")?,
            created_at: row.try_get("s_created_at")?,
            last_seen_at: row.try_get("last_seen_at")?,
            expires_at: row.try_get("expires_at")?,
            user_agent: row.try_get("user_agent")?,
            ip: row.try_get("ip")?,
        };
        Ok(Some((session, user_from_row(&row)?)))
    }

    pub async fn touch_web_session(&self, id: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE web_sessions SET last_seen_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn revoke_web_session(&self, id: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE web_sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Ends every browser session of a user except `keep`.
    pub async fn revoke_user_web_sessions(
        &self,
        user_id: &str,
        keep: Option<&str>,
        now: i64,
    ) -> Result<u64> {
        let r = sqlx::query("UPDATE web_sessions SET revoked_at = $1 WHERE user_id = $2 AND id <> $3 AND revoked_at IS NULL")
            .bind(now)
            .bind(user_id)
            .bind(keep.unwrap_or(""))
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected())
    }

    pub async fn user_web_sessions(
        &self,
        user_id: &str,
        now: i64,
    ) -> Result<Vec<WebSessionRecord>> {
        Ok(sqlx::query_as(
            "SELECT id, user_id, csrf_token, created_at, last_seen_at, expires_at, user_agent, ip FROM web_sessions \
             WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY last_seen_at DESC",
        )
        .bind(user_id)
        .bind(now)
        .fetch_all(&self.pool)
        .await?)
    }
}
