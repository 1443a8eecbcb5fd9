//! Everything a request handler may need, cheap to clone.
use crate::audit::{AuditLog, AuditWriterHandle};
use crate::auth::jwt::JwtKeys;
use crate::keys::KeySource;
use heartlock_config::Settings;
use heartlock_core::{Clock, Keyring};
use heartlock_store::Store;
use std::sync::{Arc, Mutex};

#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub store: Store,
    pub keyring: Arc<Keyring>,
    pub key_source: KeySource,
    pub clock: Arc<dyn Clock>,
    pub jwt: Arc<JwtKeys>,
    pub cache: Arc<crate::cache::Cache>,
    pub audit: AuditLog,
    /// Taken once at shutdown to drain the audit queue.
    pub audit_writer: Arc<Mutex<Option<AuditWriterHandle>>>,
}

impl AppState {
    /// Commits every queued audit event and stops the writer (idempotent).
    pub async fn shutdown(&self) {
        let handle = self.audit_writer.lock().ok().and_then(|mut h| h.take());
        if let Some(h) = handle {
            h.shutdown().await;
        }
        self.store.close().await;
    }
}
