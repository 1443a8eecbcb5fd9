//! Cross-instance cache invalidation on PostgreSQL (LISTEN/NOTIFY). On
//! SQLite there is one instance, so both are no-ops.
use crate::{Backend, DbTarget, Result, Store};

pub const CHANNEL: &str = "heartlock_cache";

impl Store {
    /// Tells other instances that cached data named by `payload` changed.
    pub async fn notify_change(&self, payload: &str) -> Result<()> {
        if self.backend() == Backend::Postgres {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(payload)
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }
}

/// A listener for change notifications, or `None` on SQLite.
pub async fn listen(target: &DbTarget) -> Result<Option<sqlx::postgres::PgListener>> {
    match target {
        DbTarget::Sqlite(_) => Ok(None),
        DbTarget::Postgres(url) => {
            let mut l = sqlx::postgres::PgListener::connect(url).await?;
            l.listen(CHANNEL).await?;
            Ok(Some(l))
        }
    }
}
