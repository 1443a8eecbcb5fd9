//! The sweep: every minute, shares that can no longer be opened (expired,
//! or used up without their delete having happened) are deleted, blob and
//! all, each with a `share.expire` audit event in the same transaction.
use crate::Domain;
use crate::audit_event::{EventExt, event};
use crate::principal::Principal;
use heartlock_core::audit::Outcome;
use std::time::Duration;
use tokio::sync::watch;

const INTERVAL: Duration = Duration::from_secs(60);
/// Shares deleted per round at most (the next round takes the rest).
const BATCH: i64 = 500;

/// Deletes the shares that are dead at the domain's clock; returns how many.
pub async fn sweep(dom: &Domain) -> Result<usize, crate::DomainError> {
    let now = dom.now_ms();
    let caller = Principal::system("share-sweep");
    let mut deleted = 0;
    for r in dom.store.dead_shares(now, BATCH).await? {
        let why = if r.views_left <= 0 {
            "used up"
        } else {
            "expired"
        };
        let mut ev = event(dom, &caller, "share.expire", Outcome::Success).detail(format!(
            "share {} {why} with {} of {} view(s) left; deleted",
            r.id, r.views_left, r.views_allowed
        ));
        if let Some(p) = &r.project_id {
            ev = ev.project(p);
        }
        let id = r.id.as_str();
        if crate::audit::write(dom, &caller, vec![ev], |store| async move {
            store.delete_dead_share(id, now).await
        })
        .await?
        {
            deleted += 1;
        }
    }
    Ok(deleted)
}

/// Runs the sweep every minute until `stop` turns true (the server's
/// shutdown signal, shared with the outbox worker).
pub(crate) fn spawn(dom: &Domain, mut stop: watch::Receiver<bool>) {
    let dom = dom.clone();
    tokio::spawn(async move {
        loop {
            if *stop.borrow() {
                return;
            }
            match sweep(&dom).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(deleted = n, "expired share links deleted"),
                Err(e) => tracing::warn!(error = %e, "cannot sweep expired share links"),
            }
            tokio::select! {
                _ = tokio::time::sleep(INTERVAL) => {}
                _ = stop.changed() => {}
            }
        }
    });
}
