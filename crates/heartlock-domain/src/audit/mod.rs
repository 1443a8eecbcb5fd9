//! Audit log: group-commit writer, audited writes and queries.
//!
//! A change's success events are written in the change's own transaction
//! ([`write`]); every other event (reads, refusals, failures) goes through
//! [`AuditLog::record`], which returns once its group commit is done. So no
//! response leaves before its audit rows are durable. Events carry names
//! and keys, never secret values.
mod writer;

pub use heartlock_store::{AuditFilter, AuditPage};
pub use writer::{AuditLog, AuditWriterHandle};

use crate::Domain;
use crate::error::{BootError, DomainResult};
use crate::principal::Principal;
use crate::projects::access;
use heartlock_config::Settings;
use heartlock_core::audit::{ChainBreak, ChainVerifier};
use heartlock_core::roles::{Action, ProjectRole, ServerRole};
use heartlock_store::{Store, StoreError};

/// Runs one store write whose `events` commit in the same transaction (a
/// store handle with the events attached is passed to `op`). Should the
/// store call not use a transaction for them, they are recorded right after
/// through the group commit, still before the caller answers.
pub(crate) async fn write<T, F, Fut>(
    dom: &Domain,
    caller: &Principal,
    events: Vec<heartlock_core::audit::NewAuditEvent>,
    op: F,
) -> Result<T, StoreError>
where
    F: FnOnce(Store) -> Fut,
    Fut: std::future::Future<Output = Result<T, StoreError>>,
{
    let store = dom.store_as(caller).with_audit(events.clone());
    let out = op(store.clone()).await?;
    if store.audit_pending() {
        for ev in events {
            dom.audit.record(ev).await;
        }
    }
    Ok(out)
}

/// Rows read per round while verifying: large pages, few round trips.
const VERIFY_BATCH: i64 = 5000;

/// Audit events, newest first: a page `offset` events past the filter's
/// seq cursor (if any), with the total matching (capped, see
/// [`heartlock_store::AuditPage`]) and the cursors of the pages around it.
/// Server admins see everything; other users the events of the projects
/// they own or administer; `project` (a slug) narrows to one project, which
/// needs `ReadAudit` there. Flushes first so a reader sees the events its
/// own requests just recorded.
pub async fn search(
    dom: &Domain,
    caller: &Principal,
    project: Option<&str>,
    mut filter: AuditFilter,
    limit: i64,
    offset: i64,
) -> DomainResult<AuditPage> {
    let user = crate::projects::require_user(caller)?;
    filter.project_id = None;
    filter.project_ids = None;
    if let Some(slug) = project {
        filter.project_id = Some(access(dom, caller, slug, Action::ReadAudit).await?.id);
    } else if caller.server_role() != ServerRole::Admin {
        // Direct memberships and group grants, as visibility shows them.
        filter.project_ids = Some(
            crate::visibility::project_ids_with_role(
                dom,
                user,
                &[ProjectRole::Owner, ProjectRole::Admin],
            )
            .await?,
        );
    }
    dom.audit.flush().await;
    Ok(dom
        .store_as(caller)
        .list_audit(&filter, limit, offset)
        .await?)
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

/// `heartlock audit verify`: checks the chain of the configured database.
/// Needs no encryption key (the chain holds no ciphertext).
pub async fn verify_database(settings: &Settings) -> Result<VerifyReport, BootError> {
    let store = crate::domain::connect_store(settings).await?;
    store.migrate().await?;
    let report = verify(&store).await;
    store.close().await;
    Ok(report?)
}

/// Streams the whole log, oldest first, through the chain verifier, then
/// checks its end against the head recorded with every append (so deleting
/// the newest rows is detected too).
pub async fn verify(store: &Store) -> Result<VerifyReport, StoreError> {
    let mut verifier = ChainVerifier::new();
    let mut first_break = None;
    let mut after = 0;
    // A live server may append while we read: when the head is ahead of what
    // was read, read on (a few rounds) before calling the log truncated.
    let mut rounds = 0;
    let head = loop {
        let mut grew = false;
        let mut batch = store.audit_batch(after, VERIFY_BATCH).await?;
        while let Some(last) = batch.last() {
            after = last.seq;
            grew = true;
            // The next page is read (and decoded) on another worker while
            // this one is hashed.
            let next = tokio::spawn({
                let store = store.clone();
                async move { store.audit_batch(after, VERIFY_BATCH).await }
            });
            for e in &batch {
                if let Err(b) = verifier.push(e)
                    && first_break.is_none()
                {
                    first_break = Some(b);
                }
            }
            batch = next
                .await
                .map_err(|e| StoreError::Database(format!("audit read task: {e}")))??;
        }
        let head = store.audit_head().await?;
        rounds += 1;
        let behind = head.as_ref().is_some_and(|(seq, _)| *seq > after);
        if !(behind && grew && rounds < 5) {
            break head;
        }
    };
    if first_break.is_none()
        && let Err(b) = verifier.check_head(head.as_ref().map(|(s, h)| (*s, h.as_str())))
    {
        first_break = Some(b);
    }
    Ok(VerifyReport {
        events: verifier.count(),
        first_break,
    })
}
