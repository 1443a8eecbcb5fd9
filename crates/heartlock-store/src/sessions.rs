//! Sign-in sessions and their rotating refresh tokens. A session is one
//! refresh-token family; presenting a refresh token that was already
//! rotated means it leaked, so the whole family is revoked.
use crate::users::{UserRecord, const_format, user_from_row};
use crate::{Result, Store};

#[derive(Debug, Clone)]
pub struct NewRefresh {
    pub id: String,
    pub token_hash: String,
    pub expires_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshOutcome {
    Rotated {
        user_id: String,
        session_id: String,
    },
    /// A rotated or revoked token came back: the family is now revoked.
    Reused {
        session_id: String,
    },
    Expired,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionRecord {
    pub id: String,
    pub user_id: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

#[derive(sqlx::FromRow)]
struct RefreshRow {
    user_id: String,
    family_id: String,
    expires_at: i64,
    rotated_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl Store {
    pub async fn create_session(
        &self,
        session_id: &str,
        user_id: &str,
        refresh: &NewRefresh,
        user_agent: Option<&str>,
        ip: Option<&str>,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO auth_sessions (id, user_id, created_at, last_seen_at, expires_at, user_agent, ip) VALUES ($1, $2, $3, $3, $4, $5, $6)",
        )
        .bind(session_id)
        .bind(user_id)
        .bind(now)
        .bind(refresh.expires_at)
        .bind(user_agent)
        .bind(ip)
        .execute(&mut *tx)
        .await?;
        insert_refresh(&mut tx, session_id, user_id, refresh, now).await?;
        self.commit_write(tx).await?;
        Ok(())
    }

    /// Exchanges a refresh token for a new one in the same family.
    pub async fn rotate_refresh(
        &self,
        token_hash: &str,
        next: &NewRefresh,
        now: i64,
    ) -> Result<RefreshOutcome> {
        let mut tx = self.begin_write().await?;
        let row: Option<RefreshRow> = sqlx::query_as(
            "SELECT user_id, family_id, expires_at, rotated_at, revoked_at FROM refresh_tokens WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(RefreshRow {
            user_id,
            family_id: family,
            expires_at,
            rotated_at,
            revoked_at,
        }) = row
        else {
            return Ok(RefreshOutcome::Unknown);
        };
        let session_revoked: Option<(Option<i64>,)> =
            sqlx::query_as("SELECT revoked_at FROM auth_sessions WHERE id = $1")
                .bind(&family)
                .fetch_optional(&mut *tx)
                .await?;
        let session_live = matches!(session_revoked, Some((None,)));
        if rotated_at.is_some() || revoked_at.is_some() || !session_live {
            revoke_family(&mut tx, &family, now).await?;
            self.commit_write(tx).await?;
            return Ok(RefreshOutcome::Reused { session_id: family });
        }
        if expires_at <= now {
            return Ok(RefreshOutcome::Expired);
        }
        // Compare-and-set: of two concurrent refreshes with one token, one wins.
        let done = sqlx::query("UPDATE refresh_tokens SET rotated_at = $1 WHERE token_hash = $2 AND rotated_at IS NULL")
            .bind(now)
            .bind(token_hash)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            revoke_family(&mut tx, &family, now).await?;
            self.commit_write(tx).await?;
            return Ok(RefreshOutcome::Reused { session_id: family });
        }
        insert_refresh(&mut tx, &family, &user_id, next, now).await?;
        sqlx::query("UPDATE auth_sessions SET last_seen_at = $1, expires_at = $2 WHERE id = $3")
            .bind(now)
            .bind(next.expires_at)
            .bind(&family)
            .execute(&mut *tx)
            .await?;
        self.commit_write(tx).await?;
        Ok(RefreshOutcome::Rotated {
            user_id,
            session_id: family,
        })
    }

    /// The user of a live session (not revoked, not expired, user enabled).
    pub async fn session_user(&self, session_id: &str, now: i64) -> Result<Option<UserRecord>> {
        let sql = const_format(
            "SELECT {USER_COLUMNS} FROM auth_sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.id = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND u.disabled = 0",
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(session_id)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    pub async fn revoke_session(&self, session_id: &str, now: i64) -> Result<()> {
        let mut tx = self.begin_write().await?;
        revoke_family(&mut tx, session_id, now).await?;
        self.commit_write(tx).await?;
        Ok(())
    }

    /// Revokes every session of a user except `keep`; returns how many.
    pub async fn revoke_user_sessions(
        &self,
        user_id: &str,
        keep: Option<&str>,
        now: i64,
    ) -> Result<u64> {
        let keep = keep.unwrap_or("");
        let mut tx = self.begin_write().await?;
        let r = sqlx::query("UPDATE auth_sessions SET revoked_at = $1 WHERE user_id = $2 AND id <> $3 AND revoked_at IS NULL")
            .bind(now)
            .bind(user_id)
            .bind(keep)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE refresh_tokens SET revoked_at = $1 WHERE user_id = $2 AND family_id <> $3 AND revoked_at IS NULL")
            .bind(now)
            .bind(user_id)
            .bind(keep)
            .execute(&mut *tx)
            .await?;
        self.commit_write(tx).await?;
        Ok(r.rows_affected())
    }

    pub async fn user_sessions(&self, user_id: &str, now: i64) -> Result<Vec<SessionRecord>> {
        Ok(sqlx::query_as(
            "SELECT id, user_id, created_at, last_seen_at, expires_at, revoked_at, user_agent, ip FROM auth_sessions \
             WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY last_seen_at DESC",
        )
        .bind(user_id)
        .bind(now)
        .fetch_all(&self.pool)
        .await?)
    }
}

async fn insert_refresh(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    family: &str,
    user_id: &str,
    r: &NewRefresh,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&r.id)
    .bind(user_id)
    .bind(family)
    .bind(&r.token_hash)
    .bind(r.expires_at)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn revoke_family(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    family: &str,
    now: i64,
) -> Result<()> {
    sqlx::query("UPDATE auth_sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(family)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL",
    )
    .bind(now)
    .bind(family)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
