//! Test support: a fresh, migrated database per test, on SQLite (a temporary
//! file) or PostgreSQL (a new database on the server named by
//! `HEARTLOCK_TEST_PG_URL`, default `postgres://postgres@127.0.0.1:5432/test`),
//! dropped again when the test ends.
//!
//! On PostgreSQL the database is set up as in production with two roles
//! (`HEARTLOCK_TEST_PG_RLS=0` for one): the owner role owns it, has run the
//! migrations and installed row-level security; [`TestDb::url`] logs in as
//! the runtime role, which may only read and write rows its actor may see.
//! [`TestDb::store`] is an owner connection (tests set up and inspect data
//! with it). The roles need the server's trust authentication.
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
    /// DATABASE_OWNER_URL, in the two-role setup.
    pub owner_url: Option<String>,
    pg_name: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> Self {
        Self::with_roles(backend, two_roles()).await
    }

    /// As [`TestDb::new`], choosing the PostgreSQL role setup.
    pub async fn with_roles(backend: Backend, two_roles: bool) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let path = dir.path().join("db.sqlite3");
                Self {
                    // Four slashes: an absolute path (three would be relative).
                    url: format!("sqlite:///{}", path.display()),
                    target: DbTarget::Sqlite(path),
                    owner_url: None,
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
                let create = if two_roles {
                    ensure_test_roles(&mut conn).await;
                    format!("CREATE DATABASE {name} OWNER {TEST_OWNER_ROLE}")
                } else {
                    format!("CREATE DATABASE {name}")
                };
                sqlx::raw_sql(sqlx::AssertSqlSafe(create))
                    .execute(&mut conn)
                    .await
                    .expect("create test database");
                let _ = conn.close().await;
                let url = replace_db_name(&admin, &name);
                if !two_roles {
                    return Self {
                        target: DbTarget::Postgres(url.clone()),
                        url,
                        owner_url: None,
                        backend,
                        pg_name: Some(name),
                        _dir: None,
                    };
                }
                let owner_url = replace_user(&url, TEST_OWNER_ROLE);
                let app_url = replace_user(&url, TEST_APP_ROLE);
                let owner =
                    Store::connect(&StoreOptions::new(DbTarget::Postgres(owner_url.clone())))
                        .await
                        .expect("connect as the test owner role");
                owner.migrate().await.expect("migrate test database");
                owner
                    .install_row_security(TEST_APP_ROLE)
                    .await
                    .expect("install row-level security");
                owner.close().await;
                Self {
                    target: DbTarget::Postgres(app_url.clone()),
                    url: app_url,
                    owner_url: Some(owner_url),
                    backend,
                    pg_name: Some(name),
                    _dir: None,
                }
            }
        }
    }

    /// The environment variables a `heartlock` process needs for this
    /// database (DATABASE_URL, and DATABASE_OWNER_URL with two roles).
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let mut env = vec![("DATABASE_URL", self.url.clone())];
        if let Some(o) = &self.owner_url {
            env.push(("DATABASE_OWNER_URL", o.clone()));
        }
        env
    }

    /// A connected store with migrations applied.
    /// An owner connection in the two-role setup (it sees every row).
    pub async fn store(&self) -> Store {
        let target = match &self.owner_url {
            Some(o) => DbTarget::Postgres(o.clone()),
            None => self.target.clone(),
        };
        let store = Store::connect(&StoreOptions::new(target))
            .await
            .expect("connect test database");
        store.migrate().await.expect("migrate test database");
        store
    }
}

pub const TEST_OWNER_ROLE: &str = "heartlock_test_owner";
pub const TEST_APP_ROLE: &str = "heartlock_test_app";

/// Whether PostgreSQL test databases use the two-role setup (default).
pub fn two_roles() -> bool {
    std::env::var("HEARTLOCK_TEST_PG_RLS").map_or(true, |v| v != "0")
}

/// Creates the two test roles once per server (tests race to do it).
async fn ensure_test_roles(conn: &mut sqlx::AnyConnection) {
    for (role, attrs) in [
        (
            TEST_OWNER_ROLE,
            "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS",
        ),
        (
            TEST_APP_ROLE,
            "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS",
        ),
    ] {
        let sql = format!(
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN \
             CREATE ROLE {role} {attrs}; END IF; \
             EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
        );
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut *conn)
            .await
            .expect("create test roles");
    }
}

/// Swaps the user name of a PostgreSQL URL (trust authentication: no password).
pub fn replace_user(url: &str, user: &str) -> String {
    let scheme_end = url.find("://").map(|i| i + 3).unwrap_or(0);
    let rest = &url[scheme_end..];
    let host_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let host = match rest[..host_end].rfind('@') {
        Some(at) => &rest[at + 1..],
        None => rest,
    };
    format!("{}{user}@{host}", &url[..scheme_end])
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
        assert_eq!(
            super::replace_user("postgres://postgres:pw@h:5432/db?x=1", "app"),
            "postgres://app@h:5432/db?x=1"
        );
        assert_eq!(
            super::replace_user("postgres://h/db", "app"),
            "postgres://app@h/db"
        );
    }
}
