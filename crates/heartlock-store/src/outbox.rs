//! The durable outbox: messages written in the transaction of the change
//! that causes them ([`Store::with_outbox`]), then claimed, delivered and
//! marked by a worker. The store keeps ciphertext only (the domain seals
//! each payload, bound to its row id) and decides nothing about retries:
//! the worker passes every time and status in.
use crate::{Backend, Result, Store};
use sqlx::{Any, Transaction};
use std::sync::{Arc, Mutex};

/// A message to insert with a write.
#[derive(Debug, Clone)]
pub struct NewOutboxMessage {
    /// Chosen by the caller, because the sealed payload is bound to it.
    pub id: String,
    pub kind: String,
    pub recipient: String,
    pub payload_ct: String,
    pub created_at: i64,
}

/// A stored message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    pub id: String,
    pub kind: String,
    pub recipient: String,
    /// `None` once sent, and in listings (which never carry payloads).
    pub payload_ct: Option<String>,
    /// `pending`, `sent` or `failed`.
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub failed_at: Option<i64>,
}

/// How many messages are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    pub pending: i64,
    pub sent: i64,
    pub failed: i64,
}

/// Messages waiting for the next write transaction of one store handle.
pub struct PendingOutbox {
    messages: Mutex<Option<Vec<NewOutboxMessage>>>,
}

type Row = (
    String,
    String,
    String,
    Option<String>,
    String,
    i64,
    i64,
    Option<String>,
    i64,
    Option<i64>,
    Option<i64>,
);

const COLUMNS: &str = "id, kind, recipient, payload_ct, status, attempts, next_attempt_at, \
                       last_error, created_at, sent_at, failed_at";

fn from_row(r: Row) -> OutboxMessage {
    OutboxMessage {
        id: r.0,
        kind: r.1,
        recipient: r.2,
        payload_ct: r.3,
        status: r.4,
        attempts: r.5,
        next_attempt_at: r.6,
        last_error: r.7,
        created_at: r.8,
        sent_at: r.9,
        failed_at: r.10,
    }
}

/// Inserts `messages` as pending, due at once, inside `tx`.
pub(crate) async fn insert_in(
    tx: &mut Transaction<'static, Any>,
    messages: &[NewOutboxMessage],
) -> Result<()> {
    for m in messages {
        sqlx::query(
            "INSERT INTO outbox (id, kind, recipient, payload_ct, status, attempts, next_attempt_at, created_at) \
             VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5)",
        )
        .bind(&m.id)
        .bind(&m.kind)
        .bind(&m.recipient)
        .bind(&m.payload_ct)
        .bind(m.created_at)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

impl Store {
    /// This handle with `messages` attached: its next write transaction
    /// inserts them before committing, so they exist exactly when the
    /// change does. Combines with [`Store::with_audit`].
    pub fn with_outbox(&self, messages: Vec<NewOutboxMessage>) -> Store {
        let mut store = self.clone();
        store.outbox = Some(Arc::new(PendingOutbox {
            messages: Mutex::new(Some(messages)),
        }));
        store
    }

    /// Whether attached messages still wait for a write transaction.
    pub fn outbox_pending(&self) -> bool {
        self.outbox
            .as_ref()
            .is_some_and(|p| p.messages.lock().map(|g| g.is_some()).unwrap_or(false))
    }

    pub(crate) fn take_outbox(&self) -> Option<Vec<NewOutboxMessage>> {
        self.outbox
            .as_ref()
            .and_then(|p| p.messages.lock().ok().and_then(|mut g| g.take()))
            .filter(|m| !m.is_empty())
    }

    pub(crate) fn restore_outbox(&self, messages: Option<Vec<NewOutboxMessage>>) {
        if let (Some(p), Some(m)) = (&self.outbox, messages)
            && let Ok(mut g) = p.messages.lock()
        {
            *g = Some(m);
        }
    }

    /// Enqueues messages on their own (with this handle's audit events, if
    /// any), for callers whose cause is not a store write.
    pub async fn enqueue_outbox(&self, messages: Vec<NewOutboxMessage>) -> Result<()> {
        let store = self.with_outbox(messages);
        let tx = store.begin_write().await?;
        store.commit_write(tx).await
    }

    /// Claims up to `limit` due messages for `worker` until `lease_until`,
    /// counting the attempt. A message whose lease ran out (its worker died
    /// mid-send) is due again.
    pub async fn claim_outbox(
        &self,
        worker: &str,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> Result<Vec<OutboxMessage>> {
        // The one per-dialect branch of the outbox. PostgreSQL: several
        // instances claim at once, and SKIP LOCKED makes each take rows no
        // other claim holds (instead of waiting, then claiming the same).
        // SQLite has a single writer: the IMMEDIATE transaction already
        // serialises claims, and it has no FOR UPDATE.
        let lock = match self.backend() {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE outbox SET claimed_by = $1, claimed_until = $2, attempts = attempts + 1 \
             WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $3 \
             AND (claimed_until IS NULL OR claimed_until <= $3) \
             ORDER BY next_attempt_at, id LIMIT $4{lock}) \
             RETURNING {COLUMNS}"
        );
        let mut tx = self.begin_write().await?;
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(worker)
            .bind(lease_until)
            .bind(now)
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        let mut out: Vec<OutboxMessage> = rows.into_iter().map(from_row).collect();
        out.sort_by(|a, b| (a.next_attempt_at, &a.id).cmp(&(b.next_attempt_at, &b.id)));
        Ok(out)
    }

    /// Marks a message `worker` holds as sent and drops its payload. False
    /// when the lease was lost to another worker (which then owns it).
    pub async fn outbox_sent(&self, id: &str, worker: &str, now: i64) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE outbox SET status = 'sent', sent_at = $1, payload_ct = NULL, last_error = NULL, \
             claimed_by = NULL, claimed_until = NULL \
             WHERE id = $2 AND claimed_by = $3 AND status = 'pending'",
        )
        .bind(now)
        .bind(id)
        .bind(worker)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Releases a message `worker` holds for another attempt at `next_at`.
    pub async fn outbox_retry(
        &self,
        id: &str,
        worker: &str,
        next_at: i64,
        error: &str,
    ) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE outbox SET next_attempt_at = $1, last_error = $2, claimed_by = NULL, claimed_until = NULL \
             WHERE id = $3 AND claimed_by = $4 AND status = 'pending'",
        )
        .bind(next_at)
        .bind(error)
        .bind(id)
        .bind(worker)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Gives up on a message `worker` holds; it stays listed for administrators.
    pub async fn outbox_failed(
        &self,
        id: &str,
        worker: &str,
        now: i64,
        error: &str,
    ) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE outbox SET status = 'failed', failed_at = $1, last_error = $2, claimed_by = NULL, claimed_until = NULL \
             WHERE id = $3 AND claimed_by = $4 AND status = 'pending'",
        )
        .bind(now)
        .bind(error)
        .bind(id)
        .bind(worker)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Messages, newest first, optionally of one status; payloads left out.
    pub async fn list_outbox(
        &self,
        status: Option<&str>,
        limit: i64,
    ) -> Result<Vec<OutboxMessage>> {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, kind, recipient, CAST(NULL AS TEXT), status, attempts, next_attempt_at, last_error, \
             created_at, sent_at, failed_at FROM outbox \
             WHERE ($1 = '' OR status = $1) ORDER BY created_at DESC, id DESC LIMIT $2",
        )
        .bind(status.unwrap_or(""))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(from_row).collect())
    }

    pub async fn outbox_counts(&self) -> Result<OutboxCounts> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT status, COUNT(*) FROM outbox GROUP BY status")
                .fetch_all(&self.pool)
                .await?;
        let mut c = OutboxCounts::default();
        for (status, n) in rows {
            match status.as_str() {
                "pending" => c.pending = n,
                "sent" => c.sent = n,
                "failed" => c.failed = n,
                _ => {}
            }
        }
        Ok(c)
    }

    /// Deletes sent messages older than `before`; returns how many.
    pub async fn purge_sent_outbox(&self, before: i64) -> Result<u64> {
        let r = sqlx::query("DELETE FROM outbox WHERE status = 'sent' AND sent_at < $1")
            .bind(before)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected())
    }
}
