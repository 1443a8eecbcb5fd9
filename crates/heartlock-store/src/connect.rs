//! Connecting, migrating and health checks.
use crate::{Result, StoreError};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where the data lives.
#[derive(Clone)]
pub enum DbTarget {
    /// A SQLite file (created, with its folder, when missing).
    Sqlite(PathBuf),
    /// A `postgres://` URL.
    Postgres(String),
}

impl std::fmt::Debug for DbTarget {
    // The URL may hold a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DbTarget::Sqlite(p) => write!(f, "Sqlite({})", p.display()),
            DbTarget::Postgres(_) => write!(f, "Postgres(..)"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub target: DbTarget,
    /// Pooled connection lifetime; 0 means a fresh connection per use.
    pub conn_max_age: Duration,
    pub max_connections: u32,
}

impl StoreOptions {
    pub fn new(target: DbTarget) -> Self {
        Self {
            target,
            conn_max_age: Duration::from_secs(60),
            max_connections: 16,
        }
    }
}

#[derive(Clone)]
pub struct Store {
    pub(crate) pool: AnyPool,
    backend: Backend,
    target: DbTarget,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish()
    }
}

impl Store {
    pub async fn connect(opts: &StoreOptions) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let (url, backend) = match &opts.target {
            DbTarget::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        StoreError::Unavailable(format!("cannot create {}: {e}", dir.display()))
                    })?;
                }
                (
                    format!("sqlite://{}?mode=rwc", path.display()),
                    Backend::Sqlite,
                )
            }
            DbTarget::Postgres(url) => (url.clone(), Backend::Postgres),
        };
        let connect_opts = AnyConnectOptions::from_str(&url)
            .map_err(|_| StoreError::Unavailable("invalid database URL".into()))?;
        let max_lifetime = if opts.conn_max_age.is_zero() {
            // DB_CONN_MAX_AGE=0: a connection is never reused.
            Duration::ZERO
        } else {
            opts.conn_max_age
        };
        let pool = AnyPoolOptions::new()
            .max_connections(opts.max_connections.max(1))
            .max_lifetime(max_lifetime)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers run beside the writer; NORMAL is durable in WAL mode.
                        conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;")
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(connect_opts)
            .await
            .map_err(|e| StoreError::Unavailable(redact_connect_error(&e)))?;
        Ok(Self {
            pool,
            backend,
            target: opts.target.clone(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Where this store's data lives.
    pub fn target(&self) -> &DbTarget {
        &self.target
    }

    /// Applies every embedded migration not yet applied.
    pub async fn migrate(&self) -> Result<()> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    /// How many embedded migrations the database has not applied yet.
    pub async fn pending_migrations(&self) -> Result<usize> {
        let applied: Vec<(i64,)> =
            match sqlx::query_as("SELECT version FROM _sqlx_migrations WHERE success = $1")
                .bind(true)
                .fetch_all(&self.pool)
                .await
            {
                Ok(rows) => rows,
                // No migrations table yet: nothing applied.
                Err(sqlx::Error::Database(_)) => Vec::new(),
                Err(e) => return Err(e.into()),
            };
        Ok(MIGRATOR
            .iter()
            .filter(|m| !applied.iter().any(|(v,)| *v == m.version))
            .count())
    }

    /// Cheap liveness probe of the database.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Begins a transaction that takes the write lock up front. On SQLite a
    /// deferred transaction that later writes can fail with SQLITE_BUSY
    /// instead of waiting; IMMEDIATE waits on the busy timeout instead.
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Connection errors can echo the URL (with its password): keep the kind only.
fn redact_connect_error(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(db) => format!("database refused the connection: {}", db.message()),
        sqlx::Error::Io(io) => format!("cannot reach the database: {io}"),
        sqlx::Error::Tls(_) => "TLS handshake with the database failed".into(),
        sqlx::Error::PoolTimedOut => "timed out connecting to the database".into(),
        sqlx::Error::Configuration(_) => "invalid database configuration".into(),
        _ => "cannot connect to the database".into(),
    }
}
