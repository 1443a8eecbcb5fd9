//! Writes that carry their audit events: the events are appended to the
//! chain inside the write's own transaction, so a change is never committed
//! without its audit rows (nor the rows without the change), whatever kills
//! the process in between.
use crate::{Result, Store};
use heartlock_core::audit::NewAuditEvent;
use sqlx::{Any, Transaction};
use std::sync::Mutex;

/// Events waiting for the next write transaction of one store handle.
pub struct PendingAudit {
    events: Mutex<Option<Vec<NewAuditEvent>>>,
}

impl Store {
    /// This handle with `events` attached: its next write transaction
    /// appends them before committing. Use the handle for one write; check
    /// [`Store::audit_pending`] afterwards (a store call that writes without
    /// a transaction leaves them to the caller).
    pub fn with_audit(&self, events: Vec<NewAuditEvent>) -> Store {
        let mut store = self.clone();
        store.pending = Some(std::sync::Arc::new(PendingAudit {
            events: Mutex::new(Some(events)),
        }));
        store
    }

    /// Whether attached events are still waiting: neither committed with a
    /// write nor dropped because the write changed nothing.
    pub fn audit_pending(&self) -> bool {
        self.pending
            .as_ref()
            .is_some_and(|p| p.events.lock().map(|g| g.is_some()).unwrap_or(false))
    }

    /// The write changed nothing, so the attached events (which describe a
    /// change) must not be recorded by anyone.
    pub(crate) fn discard_audit(&self) {
        if let Some(p) = &self.pending
            && let Ok(mut g) = p.events.lock()
        {
            g.take();
        }
    }

    /// Commits a write transaction, with this handle's attached audit
    /// events and outbox messages (once: a second write of the same handle
    /// carries none).
    pub(crate) async fn commit_write(&self, mut tx: Transaction<'static, Any>) -> Result<()> {
        let outbox = self.take_outbox();
        if let Some(messages) = &outbox
            && let Err(e) = crate::outbox::insert_in(&mut tx, messages).await
        {
            self.restore_outbox(outbox);
            return Err(e);
        }
        let committed = self.commit_with_audit(tx).await;
        if committed.is_err() {
            // Rolled back with the change: put them back for a retry.
            self.restore_outbox(outbox);
        }
        committed
    }

    async fn commit_with_audit(&self, mut tx: Transaction<'static, Any>) -> Result<()> {
        let events = self
            .pending
            .as_ref()
            .and_then(|p| p.events.lock().ok().and_then(|mut g| g.take()));
        let Some(events) = events.filter(|e| !e.is_empty()) else {
            tx.commit().await?;
            return Ok(());
        };
        let ids: Vec<String> = events
            .iter()
            .map(|_| heartlock_core::ids::new_id())
            .collect();
        let appended = async {
            let head = self.lock_audit(&mut tx).await?;
            crate::audit::append_in(&mut tx, self.backend(), head, &events, &ids).await?;
            tx.commit().await?;
            Ok(())
        }
        .await;
        match appended {
            Ok(()) => Ok(()),
            Err(e) => {
                // Rolled back with the change: put them back for a retry.
                if let Some(p) = &self.pending
                    && let Ok(mut g) = p.events.lock()
                {
                    *g = Some(events);
                }
                Err(e)
            }
        }
    }
}
