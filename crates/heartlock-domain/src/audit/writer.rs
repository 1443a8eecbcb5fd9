//! The group-commit writer: requests enqueue events and wait; one task
//! commits whatever has queued up in a single transaction and then releases
//! every request of the batch, so a response is sent only once its audit
//! event is on disk (an acknowledged request never loses its event). Nothing
//! is dropped: the queue is bounded (callers wait for room instead), a
//! failed commit is retried until it succeeds, and shutdown drains the queue.
use heartlock_core::audit::NewAuditEvent;
use heartlock_store::Store;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

/// Queue capacity: past it `record` waits (backpressure) rather than drop.
const QUEUE_CAPACITY: usize = 65_536;
/// Events per transaction at most.
const MAX_BATCH: usize = 512;
/// Longest a request waits for its event's commit before going on.
const MAX_WAIT: Duration = Duration::from_secs(10);
/// Scheduler yields spent gathering a batch before committing it.
const GATHER_YIELDS: u32 = 3;
/// Cap of the retry backoff after a failed commit.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

// Nearly every message is an event: boxing it would add an allocation to
// each request for the benefit of the rare flush and stop.
#[allow(clippy::large_enum_variant)]
enum Msg {
    /// With the ack to send once the event is committed.
    Event(NewAuditEvent, Option<oneshot::Sender<()>>),
    /// Acked once every event queued before it is committed.
    Flush(oneshot::Sender<()>),
    /// Drain everything and stop.
    Stop,
}

/// Cheap to clone; hand one to every request handler.
#[derive(Clone)]
pub struct AuditLog {
    tx: mpsc::Sender<Msg>,
    /// Used directly only if an event arrives after the writer stopped.
    store: Store,
    /// Turns true once the writer has committed everything and ended.
    stopped: watch::Receiver<bool>,
}

/// Owns the writer task; call [`AuditWriterHandle::shutdown`] at exit.
pub struct AuditWriterHandle {
    tx: mpsc::Sender<Msg>,
    task: JoinHandle<()>,
}

impl AuditLog {
    /// Spawns the writer task on the current Tokio runtime.
    pub fn start(store: Store) -> (AuditLog, AuditWriterHandle) {
        let store_for_task = store.clone();
        let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
        let (stopped_tx, stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            run(store_for_task, rx).await;
            let _ = stopped_tx.send(true);
        });
        (
            AuditLog {
                tx: tx.clone(),
                store,
                stopped,
            },
            AuditWriterHandle { tx, task },
        )
    }

    /// Records the event and returns once it is committed (with whatever
    /// else queued up meanwhile: one transaction for many requests).
    pub async fn record(&self, event: NewAuditEvent) {
        let (ack, done) = oneshot::channel();
        match self.tx.send(Msg::Event(event, Some(ack))).await {
            Ok(()) => match tokio::time::timeout(MAX_WAIT, done).await {
                Ok(Ok(())) => {}
                // The writer task ended with the event in hand (it does not
                // panic by design): never silently.
                Ok(Err(_)) => {
                    tracing::error!("the audit writer stopped before committing an event")
                }
                // The database has been failing for a while: the event stays
                // queued (retried until it lands) and the request goes on,
                // rather than every request hanging with it.
                Err(_) => tracing::error!(
                    waited_secs = MAX_WAIT.as_secs(),
                    "audit event not yet committed (database failing?); it stays queued"
                ),
            },
            // The writer has shut down: commit this one ourselves rather
            // than lose it.
            Err(mpsc::error::SendError(Msg::Event(event, _))) => {
                commit(&self.store, &[event]).await;
            }
            Err(_) => {}
        }
    }

    /// Resolves once every event recorded before the call is committed.
    pub async fn flush(&self) {
        let (ack, done) = oneshot::channel();
        if self.tx.send(Msg::Flush(ack)).await.is_ok() {
            let _ = done.await;
        } else {
            // The writer is shutting down: it resolves once it has drained
            // the queue.
            let mut stopped = self.stopped.clone();
            let _ = stopped.wait_for(|s| *s).await;
        }
    }
}

impl AuditLog {
    /// Messages queued for the writer now (for `/metrics`).
    pub(crate) fn queue_depth(&self) -> usize {
        self.tx.max_capacity().saturating_sub(self.tx.capacity())
    }
}

impl AuditWriterHandle {
    /// Drains and commits everything queued, then stops the task. Events
    /// recorded afterwards are committed directly by `record`.
    pub async fn shutdown(self) {
        let _ = self.tx.send(Msg::Stop).await;
        drop(self.tx);
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "audit writer task failed");
        }
    }
}

/// Pending work of one round.
#[derive(Default)]
struct Batch {
    events: Vec<NewAuditEvent>,
    acks: Vec<oneshot::Sender<()>>,
    stop: bool,
}

impl Batch {
    fn take(&mut self, msg: Msg) {
        match msg {
            Msg::Event(e, ack) => {
                self.events.push(e);
                self.acks.extend(ack);
            }
            Msg::Flush(ack) => self.acks.push(ack),
            Msg::Stop => self.stop = true,
        }
    }

    /// Commits the events, then acks the flushes queued among them.
    async fn finish(&mut self, store: &Store) {
        let started = std::time::Instant::now();
        commit(store, &self.events).await;
        crate::metrics::audit_batch_committed(self.events.len(), started.elapsed());
        tracing::debug!(
            events = self.events.len(),
            micros = started.elapsed().as_micros() as u64,
            "audit batch committed"
        );
        self.events.clear();
        for ack in self.acks.drain(..) {
            let _ = ack.send(());
        }
    }
}

async fn run(store: Store, mut rx: mpsc::Receiver<Msg>) {
    let mut batch = Batch::default();
    let mut stopping = false;
    while let Some(first) = rx.recv().await {
        batch.take(first);
        // Requests that are being answered right now are about to record
        // too: a few yields let them join this batch, so one commit serves
        // more of them (fewer, larger transactions under load).
        let mut yields = 0;
        while batch.events.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(msg) => batch.take(msg),
                Err(_) if yields < GATHER_YIELDS => {
                    yields += 1;
                    tokio::task::yield_now().await;
                }
                Err(_) => break,
            }
        }
        batch.finish(&store).await;
        if batch.stop && !stopping {
            // Refuse new messages but keep those already queued: the loop
            // ends once they are all committed.
            stopping = true;
            rx.close();
        }
    }
    batch.finish(&store).await;
}

/// Appends `events` in one transaction, retrying with exponential backoff
/// until it succeeds: an audit event is never dropped.
async fn commit(store: &Store, events: &[NewAuditEvent]) {
    if events.is_empty() {
        return;
    }
    let mut delay = Duration::from_millis(50);
    let mut attempt: u32 = 0;
    loop {
        attempt += 1;
        match store.append_audit(events).await {
            Ok(_) => {
                if attempt > 1 {
                    tracing::info!(events = events.len(), attempt, "audit events committed");
                }
                return;
            }
            Err(e) => {
                // StoreError messages never carry row values.
                tracing::error!(
                    error = %e,
                    events = events.len(),
                    attempt,
                    "cannot write audit events; retrying"
                );
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(MAX_BACKOFF);
            }
        }
    }
}
