//! Throttling counters (`auth_throttle`), keyed by a hash the domain
//! computes. The store keeps and swaps rows; core's policy (applied by the
//! domain) decides what they hold.
use crate::{Result, Store};
use heartlock_core::throttle::Counter;

impl Store {
    pub async fn throttle_get(&self, key: &str) -> Result<Option<Counter>> {
        let row: Option<(i64, i64, i64)> = sqlx::query_as(
            "SELECT hits, last_hit_at, locked_until FROM auth_throttle WHERE scope_key = $1",
        )
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|(hits, last_hit_at, locked_until)| Counter {
            hits,
            last_hit_at,
            locked_until,
        }))
    }

    /// Compare-and-set in one upsert: writes `next` if the row still holds
    /// `expected` (`None`: if there is no row yet). False when another
    /// request changed it first; the caller re-reads and decides again, so
    /// concurrent guesses cannot slip past a lock one of them started.
    pub async fn throttle_swap(
        &self,
        key: &str,
        expected: Option<&Counter>,
        next: &Counter,
        expires_at: i64,
    ) -> Result<bool> {
        // Stored hits are never negative: -1 matches no existing row.
        let old = expected.copied().unwrap_or(Counter {
            hits: -1,
            last_hit_at: 0,
            locked_until: 0,
        });
        let r = sqlx::query(
            "INSERT INTO auth_throttle (scope_key, hits, last_hit_at, locked_until, expires_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (scope_key) DO UPDATE SET hits = excluded.hits, \
             last_hit_at = excluded.last_hit_at, locked_until = excluded.locked_until, \
             expires_at = excluded.expires_at \
             WHERE auth_throttle.hits = $6 AND auth_throttle.last_hit_at = $7 \
             AND auth_throttle.locked_until = $8",
        )
        .bind(key)
        .bind(next.hits)
        .bind(next.last_hit_at)
        .bind(next.locked_until)
        .bind(expires_at)
        .bind(old.hits)
        .bind(old.last_hit_at)
        .bind(old.locked_until)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Writes `next` whatever the row held (marks that need no ordering).
    pub async fn throttle_set(&self, key: &str, next: &Counter, expires_at: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO auth_throttle (scope_key, hits, last_hit_at, locked_until, expires_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (scope_key) DO UPDATE SET hits = excluded.hits, \
             last_hit_at = excluded.last_hit_at, locked_until = excluded.locked_until, \
             expires_at = excluded.expires_at",
        )
        .bind(key)
        .bind(next.hits)
        .bind(next.last_hit_at)
        .bind(next.locked_until)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn throttle_clear(&self, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM auth_throttle WHERE scope_key = $1")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Deletes the rows whose `expires_at` has passed; returns how many.
    pub async fn throttle_purge(&self, now: i64) -> Result<u64> {
        let r = sqlx::query("DELETE FROM auth_throttle WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected())
    }
}
