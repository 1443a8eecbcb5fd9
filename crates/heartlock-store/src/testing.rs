//! Test support: a fresh, migrated database per test, on SQLite (a temporary
//! file) or PostgreSQL (a new database on the server named by
//! `HEARTLOCK_TEST_PG_URL`, default `postgres://postgres@127.0.0.1:5432/test`),
//! dropped again when the test ends.
// Panicking on a broken test database is the right answer here.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use crate::{Backend, DbTarget, Store, StoreOptions};
use sqlx::Connection;

pub const DEFAULT_PG_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

pub fn pg_admin_url() -> String {
    std::env::var("HEARTLOCK_TEST_PG_URL").unwrap_or_else(|_| DEFAULT_PG_ADMIN_URL.to_string())
}

/// A throw-away database. Holds the temp dir (SQLite) or drops the database
/// (PostgreSQL) when dropped.
pub struct TestDb {
    pub target: DbTarget,
    pub backend: Backend,
    /// The URL a `heartlock` process would be given as DATABASE_URL.
    pub url: String,
    pg_name: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let path = dir.path().join("db.sqlite3");
                Self {
                    // Four slashes: an absolute path (three would be relative).
                    url: format!("sqlite:///{}", path.display()),
                    target: DbTarget::Sqlite(path),
                    backend,
                    pg_name: None,
                    _dir: Some(dir),
                }
            }
            Backend::Postgres => {
                sqlx::any::install_default_drivers();
                let admin = pg_admin_url();
                let name = format!("hl_test_{}", heartlock_core::ids::new_id().replace('-', ""));
                let mut conn = sqlx::AnyConnection::connect(&admin)
                    .await
                    .expect("PostgreSQL must be reachable for the tests (HEARTLOCK_TEST_PG_URL)");
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
                let _ = conn.close().await;
                let url = replace_db_name(&admin, &name);
                Self {
                    target: DbTarget::Postgres(url.clone()),
                    url,
                    backend,
                    pg_name: Some(name),
                    _dir: None,
                }
            }
        }
    }

    /// A connected store with migrations applied.
    pub async fn store(&self) -> Store {
        let store = Store::connect(&StoreOptions::new(self.target.clone()))
            .await
            .expect("connect test database");
        store.migrate().await.expect("migrate test database");
        store
    }
}

/// Swaps the database name (the URL path) of a PostgreSQL URL.
pub fn replace_db_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[scheme_end..]
        .find('/')
        .map(|i| i + scheme_end)
        .unwrap_or(base.len());
    let mut out = format!("{}/{name}", &base[..path_start]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(name) = self.pg_name.take() else {
            return;
        };
        let admin = pg_admin_url();
        // Drop runs outside async context; use a short-lived runtime on a thread.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(mut conn) = sqlx::AnyConnection::connect(&admin).await {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                        .execute(&mut conn)
                        .await;
                    let _ = conn.close().await;
                }
            });
        })
        .join();
    }
}

/// Generates one `#[tokio::test]` per backend for a test body taking a
/// `TestDb`: `store_test!(name, |db| async move { ... });`
#[macro_export]
macro_rules! store_test {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = $crate::testing::TestDb::new($crate::Backend::Sqlite).await;
                ($body)(db).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let db = $crate::testing::TestDb::new($crate::Backend::Postgres).await;
                ($body)(db).await;
            }
        }
    };
}

impl crate::Store {
    /// Rows of two text columns (tests read back what the database saw).
    pub async fn query_pairs_for_tests(&self, sql: &str) -> Vec<(String, String)> {
        sqlx::query_as(sqlx::AssertSqlSafe(sql.to_string()))
            .fetch_all(&self.pool)
            .await
            .expect("test query")
    }

    /// Every text value of every table (tests scan it for leaked secrets).
    pub async fn dump_all_text(&self) -> Vec<String> {
        use sqlx::Row;
        let tables_sql = match self.backend() {
            Backend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table'",
            Backend::Postgres => {
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'"
            }
        };
        let tables: Vec<(String,)> = sqlx::query_as(tables_sql)
            .fetch_all(&self.pool)
            .await
            .expect("list tables");
        let mut out = Vec::new();
        // sqlx's bookkeeping holds no user data (and types Any cannot read).
        for (table,) in tables
            .into_iter()
            .filter(|(t,)| !t.starts_with("_sqlx") && !t.starts_with("sqlite_"))
        {
            let sql = format!("SELECT * FROM \"{table}\"");
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_all(&self.pool)
                .await
                .expect("read table");
            for row in rows {
                for i in 0..row.len() {
                    if let Ok(Some(s)) = row.try_get::<Option<String>, _>(i) {
                        out.push(s);
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn replaces_database_names() {
        assert_eq!(
            super::replace_db_name("postgres://u@h:5432/test?sslmode=disable", "x"),
            "postgres://u@h:5432/x?sslmode=disable"
        );
        assert_eq!(
            super::replace_db_name("postgres://u@h", "x"),
            "postgres://u@h/x"
        );
    }
}
