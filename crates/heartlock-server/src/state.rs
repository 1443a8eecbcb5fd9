//! Everything a request handler may need, cheap to clone.
use crate::keys::KeySource;
use heartlock_config::Settings;
use heartlock_core::{Clock, Keyring};
use heartlock_store::Store;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub store: Store,
    pub keyring: Arc<Keyring>,
    pub key_source: KeySource,
    pub clock: Arc<dyn Clock>,
}
