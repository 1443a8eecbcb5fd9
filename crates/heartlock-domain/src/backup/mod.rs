//! `heartlock backup`, `restore` and `migrate-db`: whole-database copies
//! built on the store's snapshot (one consistent read) and load (one
//! all-or-nothing write transaction). Values stay encrypted throughout; no
//! audit event is added, so a copy holds exactly the source's chain.
mod format;

pub use format::{AuditHead, FormatError, Manifest};

use crate::audit::VerifyReport;
use crate::error::BootError;
use crate::keys;
use heartlock_config::Settings;
use heartlock_store::{Backend, DbTarget, Snapshot, Store, StoreError, StoreOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error(transparent)]
    Boot(#[from] BootError),
    #[error("database: {0}")]
    Store(#[from] StoreError),
    #[error(transparent)]
    Format(#[from] FormatError),
    #[error("{0}")]
    File(String),
    /// The target holds data and replacing it was not asked for.
    #[error("{0}")]
    NotEmpty(String),
}

/// Told each table's name and row count as it is read or written.
pub type Progress<'a> = &'a mut (dyn FnMut(&str, usize) + Send);

/// Per-table row counts, in foreign-key order.
pub type Counts = Vec<(String, usize)>;

#[derive(Debug)]
pub struct BackupReport {
    pub manifest: Manifest,
    pub bytes: usize,
}

#[derive(Debug)]
pub struct RestoreReport {
    pub schema_version: i64,
    pub tables: Counts,
    /// Whether the configured key opened the copied key-check value
    /// (false: the data has none, so nothing could be checked).
    pub key_checked: bool,
    /// The chain as read back from the target after the commit.
    pub audit: VerifyReport,
    /// Whether the target's chain head is the one the source recorded.
    pub head_matches: bool,
}

fn counts(snap: &Snapshot) -> Counts {
    snap.tables
        .iter()
        .map(|t| (t.table.name.clone(), t.rows.len()))
        .collect()
}

fn backend_name(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}

/// `heartlock backup FILE`: writes a snapshot of the configured database
/// to `path` atomically (temporary file, then rename), owner-only.
pub async fn backup(
    settings: &Settings,
    path: &Path,
    now_ms: i64,
    progress: Progress<'_>,
) -> Result<BackupReport, BackupError> {
    let store = crate::domain::connect_store(settings).await?;
    let snap = store.snapshot(progress).await;
    let backend = store.backend();
    store.close().await;
    let snap = snap?;
    let bytes = format::encode(&snap, backend_name(backend), now_ms)?;
    write_atomically(path, &bytes)?;
    let manifest = format::decode(&bytes, &snap_schema(&snap))?.0;
    Ok(BackupReport {
        manifest,
        bytes: bytes.len(),
    })
}

fn snap_schema(snap: &Snapshot) -> Vec<heartlock_store::DumpTable> {
    snap.tables.iter().map(|t| t.table.clone()).collect()
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), BackupError> {
    let file_err = |what: &str, p: &Path, e: std::io::Error| {
        BackupError::File(format!("cannot {what} {}: {e}", p.display()))
    };
    let name = path
        .file_name()
        .ok_or_else(|| BackupError::File(format!("{} is not a file name", path.display())))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp: PathBuf = path.with_file_name(tmp_name);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let result = (|| {
        let mut f = opts.open(&tmp).map_err(|e| file_err("create", &tmp, e))?;
        f.write_all(bytes).map_err(|e| file_err("write", &tmp, e))?;
        f.sync_all().map_err(|e| file_err("write", &tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| file_err("write", path, e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// `heartlock restore FILE [--force]`: checks the file's checksums and that
/// the configured key opens its key-check value before touching the
/// database, then loads it into the configured database in one
/// transaction, and reads the audit chain back.
pub async fn restore(
    settings: &Settings,
    path: &Path,
    force: bool,
    progress: Progress<'_>,
) -> Result<RestoreReport, BackupError> {
    let bytes = std::fs::read(path)
        .map_err(|e| BackupError::File(format!("cannot read {}: {e}", path.display())))?;
    let schema = heartlock_store::dump_schema().await?;
    let (manifest, snap) = format::decode(&bytes, &schema)?;
    let (ring, source) = keys::resolve_keyring(settings)?;
    let canary = snap.table("server_secrets").and_then(|t| {
        t.rows
            .iter()
            .find_map(|r| match (t.value(r, "name"), t.value(r, "value_ct")) {
                (
                    Some(heartlock_store::DumpValue::Text(n)),
                    Some(heartlock_store::DumpValue::Text(ct)),
                ) if n == crate::key_check::CANARY_NAME => Some(ct.clone()),
                _ => None,
            })
    });
    if let Some(ct) = &canary {
        crate::key_check::check_canary(&ring, &source, ct)?;
    }
    // The owner when there is one: the runtime role may not delete audit rows.
    let store = match crate::domain::connect_owner_store(settings).await? {
        Some(owner) => owner,
        None => crate::domain::connect_store(settings).await?,
    };
    let result = load_into(&store, &snap, force, manifest.audit_head.as_ref(), progress).await;
    store.close().await;
    let (audit, head_matches) = result?;
    Ok(RestoreReport {
        schema_version: snap.schema_version,
        tables: counts(&snap),
        key_checked: canary.is_some(),
        audit,
        head_matches,
    })
}

/// Migrates `store`, refuses it when in use (unless `replace`), loads
/// `snap`, then verifies the chain it now holds.
async fn load_into(
    store: &Store,
    snap: &Snapshot,
    replace: bool,
    expected_head: Option<&AuditHead>,
    progress: Progress<'_>,
) -> Result<(VerifyReport, bool), BackupError> {
    store.migrate().await?;
    if !replace && store.is_in_use().await? {
        return Err(BackupError::NotEmpty(
            "the target database is not empty (it has users, projects or audit events); \
             nothing was written"
                .into(),
        ));
    }
    store
        .load_snapshot(snap, replace, progress)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(m) if m.contains("not empty") => BackupError::NotEmpty(m),
            e => BackupError::Store(e),
        })?;
    let audit = crate::audit::verify(store).await?;
    let head = store.audit_head().await?;
    let head_matches = match (expected_head, head) {
        (None, None) => true,
        (Some(e), Some((seq, hash))) => e.seq == seq && e.hash == hash,
        _ => false,
    };
    Ok((audit, head_matches))
}

/// A `postgres://` or `sqlite://path` URL for `migrate-db --to`.
pub fn parse_target(url: &str) -> Result<DbTarget, BackupError> {
    // The same rules as DATABASE_URL (`sqlite:///rel` relative to the
    // working directory, `sqlite:////abs` absolute).
    if heartlock_config::is_postgres_url(url) {
        return Ok(DbTarget::Postgres(url.to_string()));
    }
    heartlock_config::sqlite_file(url)
        .map(DbTarget::Sqlite)
        .ok_or_else(|| {
            BackupError::File(
                "--to must be postgres://… or sqlite:///relative/path or sqlite:////absolute/path"
                    .into(),
            )
        })
}

/// `heartlock migrate-db --to URL`: copies the configured database to an
/// empty target in one target transaction (all or nothing), ciphertexts
/// unchanged, then verifies the target's audit chain.
pub async fn migrate_db(
    settings: &Settings,
    to: &DbTarget,
    read_progress: Progress<'_>,
    write_progress: Progress<'_>,
) -> Result<RestoreReport, BackupError> {
    let source = crate::domain::connect_store(settings).await?;
    if same_database(&source.target(), to) {
        source.close().await;
        return Err(BackupError::File(
            "--to names the configured database itself".into(),
        ));
    }
    let snap = source.snapshot(read_progress).await;
    source.close().await;
    let snap = snap?;
    let target = Store::connect(&StoreOptions::new(to.clone()))
        .await?
        .acting_as(crate::domain::system_actor());
    let head = format::audit_head(&snap);
    let result = load_into(&target, &snap, false, head.as_ref(), write_progress).await;
    target.close().await;
    let (audit, head_matches) = result?;
    Ok(RestoreReport {
        schema_version: snap.schema_version,
        tables: counts(&snap),
        key_checked: false,
        audit,
        head_matches,
    })
}

fn same_database(a: &DbTarget, b: &DbTarget) -> bool {
    match (a, b) {
        (DbTarget::Sqlite(x), DbTarget::Sqlite(y)) => {
            x == y || matches!((x.canonicalize(), y.canonicalize()), (Ok(p), Ok(q)) if p == q)
        }
        (DbTarget::Postgres(x), DbTarget::Postgres(y)) => x == y,
        _ => false,
    }
}
