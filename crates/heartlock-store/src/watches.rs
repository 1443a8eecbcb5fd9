//! Environment watches: who wants to hear (by email, by push) about secret
//! changes in an environment. The store only keeps them; whether a watcher
//! may still read the environment is decided by the domain at fan-out.
use crate::Result;
use crate::Store;

/// One watch of one user on one environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchRecord {
    pub user_id: String,
    pub environment_id: String,
    pub project_id: String,
    pub email: bool,
    pub push: bool,
    pub created_at: i64,
}

/// A watch with the names a listing shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchListing {
    pub watch: WatchRecord,
    pub project_slug: String,
    pub project_name: String,
    pub environment_slug: String,
    pub environment_name: String,
}

type Row = (String, String, String, i64, i64, i64);
/// A watch row plus project slug and name, environment slug and name.
type ListingRow = (
    String,
    String,
    String,
    i64,
    i64,
    i64,
    String,
    String,
    String,
    String,
);

const COLUMNS: &str = "w.user_id, w.environment_id, w.project_id, w.email, w.push, w.created_at";

fn record((user_id, environment_id, project_id, email, push, created_at): Row) -> WatchRecord {
    WatchRecord {
        user_id,
        environment_id,
        project_id,
        email: email != 0,
        push: push != 0,
        created_at,
    }
}

impl Store {
    /// Creates a watch or changes its channels (the creation time is kept).
    pub async fn upsert_watch(&self, w: &WatchRecord) -> Result<()> {
        // A write transaction: it carries the store's actor and audit events.
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO environment_watches (user_id, environment_id, project_id, email, push, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (user_id, environment_id) DO UPDATE SET email = excluded.email, push = excluded.push",
        )
        .bind(&w.user_id)
        .bind(&w.environment_id)
        .bind(&w.project_id)
        .bind(i64::from(w.email))
        .bind(i64::from(w.push))
        .bind(w.created_at)
        .execute(&mut *tx)
        .await?;
        self.commit_write(tx).await
    }

    /// Deletes a watch; false (and no audit event) when there was none.
    pub async fn delete_watch(&self, user_id: &str, environment_id: &str) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let r = sqlx::query(
            "DELETE FROM environment_watches WHERE user_id = $1 AND environment_id = $2",
        )
        .bind(user_id)
        .bind(environment_id)
        .execute(&mut *tx)
        .await?;
        if r.rows_affected() == 0 {
            self.discard_audit();
            tx.rollback().await?;
            return Ok(false);
        }
        self.commit_write(tx).await?;
        Ok(true)
    }

    /// One user's watch of one environment.
    pub async fn watch(&self, user_id: &str, environment_id: &str) -> Result<Option<WatchRecord>> {
        let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM environment_watches w WHERE w.user_id = $1 AND w.environment_id = $2"
        )))
        .bind(user_id)
        .bind(environment_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(record))
    }

    /// Every watch of an environment (the fan-out of a secret change: one
    /// indexed query, usually answering nothing).
    pub async fn environment_watchers(&self, environment_id: &str) -> Result<Vec<WatchRecord>> {
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM environment_watches w WHERE w.environment_id = $1 ORDER BY w.user_id"
        )))
        .bind(environment_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(record).collect())
    }

    /// Every watch of a user, with project and environment names, by
    /// project slug then environment position.
    pub async fn user_watches(&self, user_id: &str) -> Result<Vec<WatchListing>> {
        let rows: Vec<ListingRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS}, p.slug, p.name, e.slug, e.name FROM environment_watches w \
                 JOIN environments e ON e.id = w.environment_id \
                 JOIN projects p ON p.id = w.project_id \
                 WHERE w.user_id = $1 ORDER BY p.slug, e.position, e.slug"
        )))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| WatchListing {
                watch: record((r.0, r.1, r.2, r.3, r.4, r.5)),
                project_slug: r.6,
                project_name: r.7,
                environment_slug: r.8,
                environment_name: r.9,
            })
            .collect())
    }
}
