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
use heartlock_store::{EncryptedColumn, EncryptedRow, Store, StoreError};
use std::sync::Arc;

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

/// Rows read per page: each page is opened (and sealed) in parallel while
/// the next one is read, then swapped in one transaction.
const BATCH: i64 = 1000;
/// Rows below which a page is not worth splitting across threads.
const MIN_SPLIT: usize = 64;

/// One (id, old ciphertext, new ciphertext) compare-and-swap.
type Swap = (String, String, String);

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
    // Shared with the blocking tasks that do the crypto.
    let ring = Arc::new(ring.clone());
    let mut page = store.encrypted_batch(column, "", BATCH).await?;
    while let Some(last) = page.last() {
        let after = last.id.clone();
        // Keyset pages: the next one does not depend on this one's writes,
        // so it is read while this one is processed.
        let (next, done) = tokio::join!(
            store.encrypted_batch(column, &after, BATCH),
            process(store, &ring, column, page, rewrite),
        );
        let done = done?;
        report.scanned += done.scanned;
        report.rotated += done.rotated;
        report.remaining_old += done.remaining_old;
        report.unreadable += done.unreadable;
        page = next?;
    }
    Ok(report)
}

/// Classifies one page and, when rewriting, swaps what is under an old key.
async fn process(
    store: &Store,
    ring: &Arc<Keyring>,
    column: EncryptedColumn,
    rows: Vec<EncryptedRow>,
    rewrite: bool,
) -> Result<ColumnReport, StoreError> {
    let (mut counts, swaps) = classify(ring, rows, rewrite).await?;
    if !swaps.is_empty() {
        counts.rotated = store.replace_ciphertexts(column, &swaps).await?;
    }
    Ok(counts)
}

/// Opens every row (and seals anew what is under an old key, when
/// rewriting) on the blocking pool, the page split across the cores.
async fn classify(
    ring: &Arc<Keyring>,
    mut rows: Vec<EncryptedRow>,
    rewrite: bool,
) -> Result<(ColumnReport, Vec<Swap>), StoreError> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per_task = rows.len().div_ceil(threads).max(MIN_SPLIT);
    let mut tasks = Vec::new();
    while !rows.is_empty() {
        let part = rows.split_off(rows.len().saturating_sub(per_task));
        let ring = ring.clone();
        tasks.push(tokio::task::spawn_blocking(move || {
            classify_part(&ring, part, rewrite)
        }));
    }
    let mut counts = ColumnReport::default();
    let mut swaps = Vec::new();
    // Parts were split off the end: join them back in id order.
    for task in tasks.into_iter().rev() {
        let (c, s) = task
            .await
            .map_err(|e| StoreError::Database(format!("key rotation task: {e}")))??;
        counts.scanned += c.scanned;
        counts.remaining_old += c.remaining_old;
        counts.unreadable += c.unreadable;
        swaps.extend(s);
    }
    Ok((counts, swaps))
}

fn classify_part(
    ring: &Keyring,
    rows: Vec<EncryptedRow>,
    rewrite: bool,
) -> Result<(ColumnReport, Vec<Swap>), StoreError> {
    let mut report = ColumnReport::default();
    let mut swaps = Vec::new();
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
        swaps.push((row.id, row.ciphertext, fresh));
    }
    Ok((report, swaps))
}
