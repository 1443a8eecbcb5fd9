//! Detects a wrong encryption key at start-up. A canary value sealed with
//! the key the database was first used with is stored in `server_secrets`;
//! if no configured key opens it, start-up stops with a clear message
//! instead of serving garbage or failing on the first secret read.
use crate::error::BootError;
use crate::keys::KeySource;
use heartlock_core::{CryptoError, Keyring};
use heartlock_store::Store;

const NAME: &str = "key_check";
const PLAINTEXT: &[u8] = b"heartlock key check v1";

pub async fn verify_key(
    store: &Store,
    ring: &Keyring,
    source: &KeySource,
    now_ms: i64,
) -> Result<(), BootError> {
    let ctx = heartlock_core::binding::server_secret_context(NAME);
    match store.server_secret(NAME).await? {
        Some(ct) => check_canary(ring, source, &ct),
        None if source.is_stable() => {
            let ct = ring
                .seal(&ctx, PLAINTEXT)
                .map_err(|e| BootError::Keys(e.to_string()))?;
            store.server_secret_get_or_insert(NAME, &ct, now_ms).await?;
            Ok(())
        }
        // An ephemeral key must not claim the database.
        None => Ok(()),
    }
}

/// The `server_secrets` row holding the canary (backups look for it).
pub(crate) const CANARY_NAME: &str = NAME;

/// Whether the configured keys open the canary `ct`, with the message
/// start-up gives when they do not.
pub(crate) fn check_canary(ring: &Keyring, source: &KeySource, ct: &str) -> Result<(), BootError> {
    let ctx = heartlock_core::binding::server_secret_context(NAME);
    match ring.open(&ctx, ct) {
        Ok(_) => Ok(()),
        Err(CryptoError::WrongKey) if !source.is_stable() => Err(BootError::WrongKey(
            "this database holds values encrypted with an encryption key, but none is \
             configured: set HEARTLOCK_ENCRYPTION_KEY to the key it was created with"
                .into(),
        )),
        Err(CryptoError::WrongKey) => Err(BootError::WrongKey(format!(
            "the encryption key from {source} does not match this database: none of the \
             {} configured key(s) decrypts its data. Use the key the database was \
             created with (keys are comma-separated; old keys may follow the new one)",
            ring.len()
        ))),
        Err(e) => Err(BootError::WrongKey(format!(
            "encryption key check failed: {e}"
        ))),
    }
}
