//! `heartlock rotate-key`: re-encrypts every stored encrypted value under the
//! first (primary) key. Online (rows are swapped with compare-and-swap, so a
//! concurrent write wins) and resumable (rows already under the primary key
//! are skipped), then it counts what still needs an old key.
use crate::Domain;
use crate::audit_event::{EventExt, event};
use crate::error::{DomainError, DomainResult};
use crate::principal::Principal;
use heartlock_core::Keyring;
use heartlock_core::audit::Outcome;
use heartlock_store::{EncryptedColumn, Store, StoreError};

const BATCH: i64 = 500;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ColumnReport {
    pub label: &'static str,
    pub scanned: u64,
    pub rotated: u64,
    /// Still decryptable only with a non-primary key.
    pub remaining_old: u64,
    /// Decryptable with no configured key, or bound to another row.
    pub unreadable: u64,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RotationReport {
    pub columns: Vec<ColumnReport>,
}

impl RotationReport {
    pub fn remaining_old(&self) -> u64 {
        self.columns.iter().map(|c| c.remaining_old).sum()
    }
    pub fn unreadable(&self) -> u64 {
        self.columns.iter().map(|c| c.unreadable).sum()
    }
    pub fn rotated(&self) -> u64 {
        self.columns.iter().map(|c| c.rotated).sum()
    }
}

/// `heartlock rotate-key` (server administrators and the system): re-encrypts
/// every value under the primary key, or with `dry_run` only counts. Audited
/// as `key.rotate`.
pub async fn run(dom: &Domain, caller: &Principal, dry_run: bool) -> DomainResult<RotationReport> {
    crate::admin::require_admin(caller)?;
    if !dom.key_source.is_stable() {
        return Err(DomainError::validation(
            "HEARTLOCK_ENCRYPTION_KEY",
            "no encryption key configured: set HEARTLOCK_ENCRYPTION_KEY to \"new-key,old-key\"",
        ));
    }
    let store = dom.store_as(caller);
    let report = if dry_run {
        usage(&store, &dom.keyring).await?
    } else {
        rotate(&store, &dom.keyring).await?
    };
    let detail = format!(
        "{}rotated {}, still under old keys {}, unreadable {}",
        if dry_run { "dry run: " } else { "" },
        report.rotated(),
        report.remaining_old(),
        report.unreadable()
    );
    let outcome = if report.unreadable() > 0 {
        Outcome::Failure
    } else {
        Outcome::Success
    };
    dom.audit
        .record(event(dom, caller, "key.rotate", outcome).detail(detail))
        .await;
    Ok(report)
}

/// Re-encrypts every value not under the primary key, then re-scans.
pub async fn rotate(store: &Store, ring: &Keyring) -> Result<RotationReport, StoreError> {
    let mut rotated = Vec::new();
    for column in EncryptedColumn::ALL {
        rotated.push(walk(store, ring, column, true).await?.rotated);
    }
    let mut report = usage(store, ring).await?;
    for (c, n) in report.columns.iter_mut().zip(rotated) {
        c.rotated = n;
    }
    Ok(report)
}

/// Counts which key each stored value needs, changing nothing.
pub async fn usage(store: &Store, ring: &Keyring) -> Result<RotationReport, StoreError> {
    let mut report = RotationReport::default();
    for column in EncryptedColumn::ALL {
        report.columns.push(walk(store, ring, column, false).await?);
    }
    Ok(report)
}

async fn walk(
    store: &Store,
    ring: &Keyring,
    column: EncryptedColumn,
    rewrite: bool,
) -> Result<ColumnReport, StoreError> {
    let mut report = ColumnReport {
        label: column.label(),
        ..Default::default()
    };
    let mut after = String::new();
    loop {
        let rows = store.encrypted_batch(column, &after, BATCH).await?;
        let Some(last) = rows.last() else { break };
        after = last.id.clone();
        for row in rows {
            report.scanned += 1;
            let ctx = row.binding.context();
            let opened = match ring.open(&ctx, &row.ciphertext) {
                Ok(o) => o,
                Err(_) => {
                    report.unreadable += 1;
                    continue;
                }
            };
            if opened.key_index == 0 {
                continue;
            }
            if !rewrite {
                report.remaining_old += 1;
                continue;
            }
            let fresh = ring
                .seal(&ctx, &opened.plaintext)
                .map_err(|e| StoreError::Database(e.to_string()))?;
            if store
                .replace_ciphertext(column, &row.id, &row.ciphertext, &fresh)
                .await?
            {
                report.rotated += 1;
            }
        }
    }
    Ok(report)
}
