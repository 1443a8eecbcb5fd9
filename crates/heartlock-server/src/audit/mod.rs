//! Audit log: group-commit writer and queries.
//!
//! Handlers call [`AuditLog::record`], which only enqueues; the writer task
//! commits queued events in batches to the hash-chained `audit_events`
//! table. Events carry names and keys, never secret values.
mod writer;

pub use heartlock_store::AuditFilter;
pub use writer::{AuditLog, AuditWriterHandle};

use heartlock_core::audit::{AuditEvent, ChainBreak, ChainVerifier};
use heartlock_store::{Store, StoreError};

/// Rows read per round while verifying.
const VERIFY_BATCH: i64 = 1000;

/// Newest first, paginated, with the total matching count. Flushes first so
/// a reader sees the events its own requests just recorded.
pub async fn list(
    store: &Store,
    audit: &AuditLog,
    filter: &AuditFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<AuditEvent>, i64), StoreError> {
    audit.flush().await;
    store.list_audit(filter, limit, offset).await
}

/// The outcome of checking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Events read (all of them, also past a break).
    pub events: u64,
    /// The first place the chain is broken, if any.
    pub first_break: Option<ChainBreak>,
}

impl VerifyReport {
    pub fn is_intact(&self) -> bool {
        self.first_break.is_none()
    }
}

/// Streams the whole log, oldest first, through the chain verifier.
///
/// A deleted last row leaves a valid (shorter) chain; catching that needs the
/// head (latest seq and hash) recorded elsewhere.
pub async fn verify(store: &Store) -> Result<VerifyReport, StoreError> {
    let mut verifier = ChainVerifier::new();
    let mut first_break = None;
    let mut after = 0;
    loop {
        let batch = store.audit_batch(after, VERIFY_BATCH).await?;
        let Some(last) = batch.last() else { break };
        after = last.seq;
        for e in &batch {
            if let Err(b) = verifier.push(e)
                && first_break.is_none()
            {
                first_break = Some(b);
            }
        }
    }
    Ok(VerifyReport {
        events: verifier.count(),
        first_break,
    })
}
