//! Browser push subscriptions. The store keeps the auth secret sealed (the
//! domain seals it, bound to the row id) and decides nothing: validation,
//! ownership and caps are the domain's.
use crate::{Result, Store};

/// A stored subscription.
#[derive(Clone, PartialEq, Eq)]
pub struct PushSubscriptionRecord {
    pub id: String,
    pub user_id: String,
    pub endpoint: String,
    /// The browser's public key, base64url (unpadded) of the 65-byte point.
    pub p256dh: String,
    /// The 16-byte auth secret, sealed.
    pub auth_ct: String,
    pub user_agent: String,
    pub created_at: i64,
    pub last_success_at: Option<i64>,
}

impl std::fmt::Debug for PushSubscriptionRecord {
    // The endpoint is a capability URL: anyone holding it can push to the
    // browser. Keep it (and the sealed secret) out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushSubscriptionRecord")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

type Row = (
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    Option<i64>,
);

const COLUMNS: &str =
    "id, user_id, endpoint, p256dh, auth_ct, user_agent, created_at, last_success_at";

fn from_row(r: Row) -> PushSubscriptionRecord {
    PushSubscriptionRecord {
        id: r.0,
        user_id: r.1,
        endpoint: r.2,
        p256dh: r.3,
        auth_ct: r.4,
        user_agent: r.5,
        created_at: r.6,
        last_success_at: r.7,
    }
}

impl Store {
    /// Stores `sub`. A subscription with the same endpoint (the same browser
    /// subscribing again, possibly signed in as someone else now) is
    /// replaced in the same transaction: the browser holding the endpoint
    /// decides who it gets notifications for.
    pub async fn put_push_subscription(&self, sub: &PushSubscriptionRecord) -> Result<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM push_subscriptions WHERE endpoint = $1")
            .bind(&sub.endpoint)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO push_subscriptions (id, user_id, endpoint, p256dh, auth_ct, user_agent, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&sub.id)
        .bind(&sub.user_id)
        .bind(&sub.endpoint)
        .bind(&sub.p256dh)
        .bind(&sub.auth_ct)
        .bind(&sub.user_agent)
        .bind(sub.created_at)
        .execute(&mut *tx)
        .await?;
        self.commit_write(tx).await
    }

    /// The subscriptions of `user_id`, oldest first.
    pub async fn push_subscriptions_of(
        &self,
        user_id: &str,
    ) -> Result<Vec<PushSubscriptionRecord>> {
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM push_subscriptions WHERE user_id = $1 ORDER BY created_at, id"
        )))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(from_row).collect())
    }

    pub async fn push_subscription(&self, id: &str) -> Result<Option<PushSubscriptionRecord>> {
        let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM push_subscriptions WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(from_row))
    }

    pub async fn count_push_subscriptions(&self, user_id: &str) -> Result<i64> {
        let (n,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM push_subscriptions WHERE user_id = $1")
                .bind(user_id)
                .fetch_one(&self.pool)
                .await?;
        Ok(n)
    }

    /// Deletes subscription `id` if it belongs to `user_id` (`None`: whoever
    /// owns it, for the delivery worker after a 404/410). True when deleted.
    pub async fn delete_push_subscription(&self, id: &str, user_id: Option<&str>) -> Result<bool> {
        let r = sqlx::query(
            "DELETE FROM push_subscriptions WHERE id = $1 AND ($2 = '' OR user_id = $2)",
        )
        .bind(id)
        .bind(user_id.unwrap_or(""))
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    pub async fn push_delivered(&self, id: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE push_subscriptions SET last_success_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
