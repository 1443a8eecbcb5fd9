//! The browsers an account has signed in from (hashed cookie ids), so the
//! domain can tell a sign-in from a new browser.
use crate::{Result, Store};

/// What the store knows of one browser for one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrowserSighting {
    /// This browser signed in to this account before.
    pub known: bool,
    /// How many browsers the account has signed in from.
    pub browsers: i64,
}

impl Store {
    pub async fn browser_sighting(
        &self,
        user_id: &str,
        browser_hash: &str,
    ) -> Result<BrowserSighting> {
        let (known,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM known_browsers WHERE user_id = $1 AND browser_hash = $2",
        )
        .bind(user_id)
        .bind(browser_hash)
        .fetch_one(&self.pool)
        .await?;
        let (browsers,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM known_browsers WHERE user_id = $1")
                .bind(user_id)
                .fetch_one(&self.pool)
                .await?;
        Ok(BrowserSighting {
            known: known > 0,
            browsers,
        })
    }

    /// Records a sign-in from this browser (a write transaction: messages
    /// attached with [`Store::with_outbox`] commit with it).
    pub async fn remember_browser(
        &self,
        user_id: &str,
        browser_hash: &str,
        user_agent: Option<&str>,
        ip: Option<&str>,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO known_browsers (user_id, browser_hash, user_agent, ip, first_seen_at, last_seen_at) \
             VALUES ($1, $2, $3, $4, $5, $5) \
             ON CONFLICT (user_id, browser_hash) DO UPDATE SET user_agent = $3, ip = $4, last_seen_at = $5",
        )
        .bind(user_id)
        .bind(browser_hash)
        .bind(user_agent)
        .bind(ip)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        self.commit_write(tx).await
    }
}
