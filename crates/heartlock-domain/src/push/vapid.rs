//! The server's VAPID key pair: VAPID_PUBLIC_KEY / VAPID_PRIVATE_KEY (the
//! pair already checked by the configuration), else one generated once and
//! stored sealed in the database, so restarts and other instances sign with
//! the same key and browser subscriptions keep working.
use crate::error::BootError;
use heartlock_config::Settings;
use heartlock_core::Keyring;
use heartlock_core::binding::server_secret_context;
use heartlock_core::webpush::VapidKeys;
use heartlock_store::Store;

/// The `server_secrets` row of the generated private key.
const GENERATED_NAME: &str = "vapid_private_key";

/// Resolves the pair at boot. Under an ephemeral encryption key nothing is
/// stored (as for the JWT key): the pair lives in memory only.
pub(crate) async fn load(
    settings: &Settings,
    store: &Store,
    ring: &Keyring,
    stable_key: bool,
    now_ms: i64,
) -> Result<VapidKeys, BootError> {
    if let (Some(public), Some(private)) = (&settings.vapid.public_key, &settings.vapid.private_key)
    {
        return VapidKeys::parse(public, private.expose()).map_err(|e| {
            BootError::Config(heartlock_config::ConfigError::Conflict {
                message: e.to_string(),
            })
        });
    }
    let fresh = VapidKeys::generate();
    if !stable_key {
        tracing::warn!(
            "no encryption key: the generated VAPID key pair is kept in memory only; browsers must subscribe again after a restart"
        );
        return Ok(fresh);
    }
    let ctx = server_secret_context(GENERATED_NAME);
    let encoded = fresh
        .private_pkcs8_b64()
        .ok_or_else(|| BootError::Keys("cannot encode a generated VAPID key".into()))?;
    let ct = ring
        .seal(&ctx, encoded.as_bytes())
        .map_err(|e| BootError::Keys(e.to_string()))?;
    // Insert-if-absent then read back: concurrent first starts converge on
    // the first writer's pair.
    let stored = store
        .server_secret_get_or_insert(GENERATED_NAME, &ct, now_ms)
        .await?;
    let opened = ring
        .open(&ctx, &stored)
        .map_err(|e| BootError::WrongKey(format!("stored VAPID key: {e}")))?;
    let text = std::str::from_utf8(&opened.plaintext)
        .map_err(|_| BootError::WrongKey("stored VAPID key: not text".into()))?;
    VapidKeys::from_private(text)
        .map_err(|_| BootError::WrongKey("stored VAPID key: not a PKCS#8 P-256 key".into()))
}
