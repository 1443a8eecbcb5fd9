//! Everything a request handler may need, cheap to clone.
use crate::audit::{AuditLog, AuditWriterHandle};
use crate::auth::jwt::JwtKeys;
use crate::keys::KeySource;
use heartlock_config::Settings;
use heartlock_core::{Clock, Keyring};
use heartlock_store::Store;
use std::sync::{Arc, Mutex, OnceLock};

#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub store: Store,
    pub keyring: SharedKeyring,
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

/// The encryption keyring, usable as a `&Keyring` (Deref). The onboarding
/// wizard may install the key it configured once, for every clone at once;
/// until then the key resolved at start-up is used.
#[derive(Clone)]
pub struct SharedKeyring {
    initial: Arc<Keyring>,
    onboarded: Arc<OnceLock<Keyring>>,
}

impl SharedKeyring {
    pub fn new(ring: Keyring) -> Self {
        Self {
            initial: Arc::new(ring),
            onboarded: Arc::new(OnceLock::new()),
        }
    }

    /// Installs the onboarding key; false if one was installed already.
    pub fn replace(&self, ring: Keyring) -> bool {
        self.onboarded.set(ring).is_ok()
    }

    /// Whether the onboarding key replaced the start-up key.
    pub fn replaced(&self) -> bool {
        self.onboarded.get().is_some()
    }
}

impl std::ops::Deref for SharedKeyring {
    type Target = Keyring;
    fn deref(&self) -> &Keyring {
        self.onboarded.get().unwrap_or(&self.initial)
    }
}
