//! The delivery worker: claims due outbox rows one at a time under a lease,
//! sends them, and marks each sent, retried later (exponential backoff) or
//! failed for good. Woken after a local commit that enqueued mail; polls
//! for the rest (other instances' messages, retries, expired leases).
use super::{Email, KIND_EMAIL, MailError, Mailer};
use crate::{Domain, SharedKeyring};
use heartlock_core::Clock;
use heartlock_core::binding::Binding;
use heartlock_store::{OutboxMessage, Store};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};

/// How often the outbox is checked without a wake-up.
const POLL: Duration = Duration::from_secs(2);
/// Attempts before a message that keeps failing temporarily is given up.
pub const MAX_ATTEMPTS: i64 = 8;
/// The longest wait between two attempts.
const MAX_BACKOFF_MS: i64 = 3_600_000;
/// Sent rows (their payload already dropped) are deleted after this long.
const SENT_RETENTION_MS: i64 = 30 * 24 * 3_600_000;
const PURGE_EVERY_MS: i64 = 3_600_000;

struct Worker {
    id: String,
    store: Store,
    ring: SharedKeyring,
    clock: Arc<dyn Clock>,
    mailer: Arc<dyn Mailer>,
    /// Delivers messages of kind `push` (see `crate::push::send`).
    push: crate::push::send::PushSender,
    retry_base_ms: i64,
    lease_ms: i64,
    last_purge: i64,
}

pub(super) fn spawn(
    dom: &Domain,
    mailer: Arc<dyn Mailer>,
    wake: Arc<Notify>,
    stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let timeout_ms = i64::try_from(dom.settings.email.timeout_secs)
        .unwrap_or(i64::MAX / 16)
        .saturating_mul(1000);
    let mut w = Worker {
        id: format!("w-{}", heartlock_core::ids::new_id()),
        store: dom.store.clone(),
        ring: dom.keyring.clone(),
        clock: dom.clock.clone(),
        mailer,
        push: crate::push::send::PushSender::new(dom),
        retry_base_ms: i64::try_from(dom.settings.email.retry_base_secs)
            .unwrap_or(30)
            .saturating_mul(1000),
        // One SMTP exchange is a handful of round trips, each bounded by
        // EMAIL_TIMEOUT: the lease outlives a slow send, so no other
        // instance claims a message still being sent.
        lease_ms: timeout_ms.saturating_mul(6).saturating_add(10_000),
        last_purge: 0,
    };
    tokio::spawn(async move { w.run(wake, stop).await })
}

/// The wait before attempt `attempts + 1`: base × 2^(attempts − 1), capped.
pub fn backoff_ms(base_ms: i64, attempts: i64) -> i64 {
    let exp = u32::try_from((attempts - 1).clamp(0, 30)).unwrap_or(30);
    base_ms
        .saturating_mul(1_i64 << exp)
        .clamp(0, MAX_BACKOFF_MS)
}

impl Worker {
    async fn run(&mut self, wake: Arc<Notify>, mut stop: watch::Receiver<bool>) {
        loop {
            if *stop.borrow() {
                return;
            }
            self.drain(&stop).await;
            self.purge().await;
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep(POLL) => {}
                changed = stop.changed() => {
                    // Also when the domain is gone (the sender dropped).
                    if changed.is_err() || *stop.borrow() {
                        return;
                    }
                }
            }
        }
    }

    /// Sends every due message, one claim at a time.
    async fn drain(&self, stop: &watch::Receiver<bool>) {
        while !*stop.borrow() {
            let now = self.clock.now_ms();
            let claimed = match self
                .store
                .claim_outbox(&self.id, now, now.saturating_add(self.lease_ms), 1)
                .await
            {
                Ok(c) => c,
                Err(e) => {
                    tracing::debug!(error = %e, "cannot read the outbox");
                    return;
                }
            };
            if claimed.is_empty() {
                return;
            }
            for m in claimed {
                self.deliver(m).await;
            }
        }
    }

    async fn deliver(&self, m: OutboxMessage) {
        let outcome = if m.kind == crate::push::KIND_PUSH {
            self.push.deliver(&m).await
        } else {
            match self.open(&m) {
                Ok(email) => self.mailer.send(&email).await,
                Err(e) => Err(e),
            }
        };
        let now = self.clock.now_ms();
        let marked = match &outcome {
            Ok(()) => {
                tracing::info!(id = %m.id, kind = %m.kind, attempt = m.attempts, "outbox message sent");
                self.store.outbox_sent(&m.id, &self.id, now).await
            }
            Err(e) if e.is_permanent() || m.attempts >= MAX_ATTEMPTS => {
                tracing::warn!(id = %m.id, attempt = m.attempts, error = %e, "outbox message failed for good");
                self.store
                    .outbox_failed(&m.id, &self.id, now, &e.to_string())
                    .await
            }
            Err(e) => {
                let next = now.saturating_add(backoff_ms(self.retry_base_ms, m.attempts));
                tracing::warn!(id = %m.id, attempt = m.attempts, error = %e, "outbox message not sent; will retry");
                self.store
                    .outbox_retry(&m.id, &self.id, next, &e.to_string())
                    .await
            }
        };
        match marked {
            Ok(true) => {}
            // Our lease ran out mid-send and another worker took it over.
            Ok(false) => tracing::warn!(id = %m.id, "outbox lease lost before marking"),
            Err(e) => tracing::warn!(id = %m.id, error = %e, "cannot mark an outbox message"),
        }
    }

    /// The sealed payload, opened; what fails here fails for good.
    fn open(&self, m: &OutboxMessage) -> Result<Email, MailError> {
        if m.kind != KIND_EMAIL {
            return Err(MailError::Permanent(format!(
                "no delivery for messages of kind {}",
                m.kind
            )));
        }
        open_payload(&self.ring, m)
    }

    async fn purge(&mut self) {
        let now = self.clock.now_ms();
        if now.saturating_sub(self.last_purge) < PURGE_EVERY_MS {
            return;
        }
        self.last_purge = now;
        if let Err(e) = self
            .store
            .purge_sent_outbox(now.saturating_sub(SENT_RETENTION_MS))
            .await
        {
            tracing::debug!(error = %e, "cannot purge sent outbox messages");
        }
    }
}

/// The sealed payload of `m`, opened and parsed; what fails here fails for
/// good (shared by every kind of delivery).
pub(crate) fn open_payload<T: serde::de::DeserializeOwned>(
    ring: &SharedKeyring,
    m: &OutboxMessage,
) -> Result<T, MailError> {
    let ct = m
        .payload_ct
        .as_deref()
        .ok_or_else(|| MailError::Permanent("the message has no payload".into()))?;
    let opened = ring
        .open(&Binding::Outbox { id: m.id.clone() }.context(), ct)
        .map_err(|_| {
            MailError::Permanent(
                "the message does not decrypt with the configured encryption keys".into(),
            )
        })?;
    serde_json::from_slice(&opened.plaintext)
        .map_err(|_| MailError::Permanent("the message payload is malformed".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff_ms(30_000, 1), 30_000);
        assert_eq!(backoff_ms(30_000, 2), 60_000);
        assert_eq!(backoff_ms(30_000, 4), 240_000);
        assert_eq!(backoff_ms(30_000, 20), MAX_BACKOFF_MS);
        assert_eq!(backoff_ms(30_000, 0), 30_000);
    }
}
