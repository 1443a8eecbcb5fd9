//! Connecting, migrating and health checks.
use crate::pool::{Current, SharedPool};
use crate::{Result, StoreError};
use sqlx::Executor;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

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

/// The repository. Clones share one [`SharedPool`], so
/// [`Store::replace_with`] moves every clone (handlers, the audit writer) to
/// another database at once.
#[derive(Clone)]
pub struct Store {
    /// The pool, and who this handle's queries run for (see [`Store::acting_as`]).
    pub(crate) pool: SharedPool,
    /// Audit events committed with this handle's next write transaction
    /// (see [`Store::with_audit`]).
    pub(crate) pending: Option<Arc<crate::audited::PendingAudit>>,
    /// Outbox messages committed with this handle's next write transaction
    /// (see [`Store::with_outbox`]).
    pub(crate) outbox: Option<Arc<crate::outbox::PendingOutbox>>,
}

/// Who a query runs for. On PostgreSQL each transaction of a store
/// [`acting_as`](Store::acting_as) an actor sets the transaction-local
/// settings `heartlock.actor_kind` and `heartlock.actor_id`, which the
/// row-level security policies read (under them, every query carries its
/// actor: see `pool.rs`); SQLite ignores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxActor {
    /// `user`, `token`, `anonymous` or `system`.
    pub kind: &'static str,
    pub id: Option<String>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend())
            .finish()
    }
}

impl Store {
    pub async fn connect(opts: &StoreOptions) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let (url, backend) = match &opts.target {
            DbTarget::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    create_private_dir(dir).map_err(|e| {
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
        let pool = pool_options(backend, opts.max_connections.max(1), max_lifetime)
            .connect_with(connect_opts.clone())
            .await
            .map_err(|e| StoreError::Unavailable(redact_connect_error(&e)))?;
        // SQLite takes one writer at a time. Writers of this process queue
        // for one dedicated connection, first come first served, instead of
        // each holding a pooled connection and polling SQLite's busy handler
        // (which sleeps with growing pauses and lets late comers in first:
        // tails of most of a second under load). The queue's turn is the
        // connection itself, so it is handed on whenever the transaction
        // ends: commit, rollback or drop.
        let writer = match backend {
            Backend::Sqlite => Some(
                pool_options(backend, 1, max_lifetime)
                    // The release already pinged it; skip a second round
                    // trip inside the writers' turn.
                    .test_before_acquire(false)
                    .connect_with(connect_opts)
                    .await
                    .map_err(|e| StoreError::Unavailable(redact_connect_error(&e)))?,
            ),
            Backend::Postgres => None,
        };
        if let DbTarget::Sqlite(path) = &opts.target {
            restrict_sqlite_files(path);
        }
        let store = Self {
            pool: SharedPool::new(Current {
                pool,
                writer,
                backend,
                target: opts.target.clone(),
                row_security: AtomicBool::new(false),
            }),
            pending: None,
            outbox: None,
        };
        store.detect_row_security().await?;
        Ok(store)
    }

    /// This store (same pool) with its queries running as `actor`.
    /// Cheap: one Arc per call, and nothing at all until a query runs.
    pub fn acting_as(&self, actor: TxActor) -> Store {
        Store {
            pool: self.pool.with_actor(actor),
            pending: self.pending.clone(),
            outbox: self.outbox.clone(),
        }
    }

    /// Who this handle's queries run for.
    pub fn actor(&self) -> Option<&TxActor> {
        self.pool.actor()
    }

    /// Reads from the catalog whether the tables enforce row-level security
    /// (see `rls.rs`), so that every query carries its actor from now on.
    pub async fn detect_row_security(&self) -> Result<bool> {
        let current = self.pool.current();
        let on = match current.backend {
            Backend::Sqlite => false,
            Backend::Postgres => {
                let (on,): (bool,) = sqlx::query_as(
                    "SELECT EXISTS (SELECT 1 FROM pg_class c \
                     JOIN pg_namespace n ON n.oid = c.relnamespace \
                     WHERE n.nspname = current_schema() AND c.relname = 'secrets' \
                     AND c.relrowsecurity AND c.relforcerowsecurity)",
                )
                .fetch_one(&current.pool)
                .await?;
                on
            }
        };
        current.row_security.store(on, Ordering::Release);
        Ok(on)
    }

    /// Whether every query must carry its actor (row-level security is on).
    pub fn row_security(&self) -> bool {
        self.pool.current().row_security.load(Ordering::Acquire)
    }

    pub fn backend(&self) -> Backend {
        self.pool.current().backend
    }

    /// Where this store's data lives.
    pub fn target(&self) -> DbTarget {
        self.pool.current().target.clone()
    }

    /// Moves this store and every clone of it onto `other`'s database (the
    /// onboarding wizard switching to PostgreSQL). Queries already running
    /// finish on the old pool, which is closed a little later.
    pub async fn replace_with(&self, other: &Store) {
        let old = self.pool.swap(other.pool.current());
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(10)).await;
            old.close().await;
        });
    }

    /// Applies every embedded migration not yet applied.
    /// Nothing is run (not even sqlx's bookkeeping DDL) when every migration
    /// is applied: the runtime role of a two-role PostgreSQL setup may
    /// create nothing.
    pub async fn migrate(&self) -> Result<()> {
        if self.pending_migrations().await? == 0 {
            return Ok(());
        }
        MIGRATOR.run(&self.pool.pool()).await?;
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
    /// instead of waiting; IMMEDIATE waits on the busy timeout instead (only
    /// for another process: this one's writers queue for the writer
    /// connection first, see `Store::connect`).
    ///
    /// On PostgreSQL the transaction carries the store's actor as
    /// transaction-local settings (gone at COMMIT or ROLLBACK).
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        match self.backend() {
            Backend::Sqlite => Ok(self.pool.begin_write("BEGIN IMMEDIATE").await?),
            Backend::Postgres => Ok(self.pool.begin().await?),
        }
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Connections of the pool in use now, for the metrics endpoint.
    pub fn pool_stats(&self) -> PoolStats {
        let pool = self.pool.pool();
        PoolStats {
            size: pool.size(),
            idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
            max: pool.options().get_max_connections(),
        }
    }
}

/// Open, idle and maximum connections of a pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    pub size: u32,
    pub idle: u32,
    pub max: u32,
}

/// The pool settings shared by the main pool and SQLite's writer connection.
fn pool_options(backend: Backend, max_connections: u32, max_lifetime: Duration) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max_connections)
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
}

/// Creates a missing folder readable by its owner only (0700). An existing
/// folder is left as the operator made it.
pub fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    if dir.exists() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// The database file and its WAL companions hold every secret (encrypted)
/// and the audit log: owner-only (0600).
fn restrict_sqlite_files(path: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for suffix in ["", "-wal", "-shm"] {
            let mut p = path.as_os_str().to_owned();
            p.push(suffix);
            let p = std::path::PathBuf::from(p);
            if p.exists()
                && let Err(e) = std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600))
            {
                tracing::warn!(path = %p.display(), error = %e, "cannot make the database file private");
            }
        }
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
