//! The encrypted fallback cache of `heartlock run --fallback-cache`.
//!
//! One file per server + project + environment under the cache directory,
//! holding a Fernet token (key: `cache.key` in the config directory, 0600).
//! The fetch time is inside the encrypted payload so it cannot be altered
//! without the key, and each payload is bound to its file name so a cache
//! copied over another environment's fails to open.
use super::error::{CliResult, failed};
use super::paths;
use heartlock_core::Keyring;
use heartlock_core::formats::SecretMap;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

/// Test hook, deliberately left out of the help (users have no use for
/// it): seconds added to "now" by the age check only. Negative values are ignored, so it
/// can make the cache look older but never younger.
pub const NOW_OFFSET_ENV: &str = "HEARTLOCK_NOW_OFFSET_SECS";

#[derive(Serialize, Deserialize)]
struct Payload {
    /// Unix seconds of the successful fetch.
    fetched_at: i64,
    secrets: SecretMap,
}

pub struct Cached {
    pub fetched_at: i64,
    pub secrets: SecretMap,
}

pub struct Cache {
    path: PathBuf,
    /// What the payload is bound to.
    context: String,
}

impl Cache {
    pub fn new(server: &str, project: &str, env: &str) -> CliResult<Cache> {
        let mut h = Sha256::new();
        for part in [server, project, env] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        let name = hex::encode(&h.finalize()[..16]);
        Ok(Cache {
            path: paths::cache_dir()?.join(format!("{name}.json")),
            context: format!("heartlock-run-cache:{name}"),
        })
    }

    pub fn save(&self, secrets: &SecretMap) -> CliResult<()> {
        let keyring = keyring(true)?.ok_or_else(|| failed("no cache key"))?;
        let payload = Payload {
            fetched_at: paths::now_secs(),
            secrets: secrets.clone(),
        };
        let plain = zeroize::Zeroizing::new(
            serde_json::to_vec(&payload).map_err(|e| failed(format!("cannot encode: {e}")))?,
        );
        let sealed = keyring
            .seal(&self.context, &plain)
            .map_err(|e| failed(format!("cannot encrypt the cache: {e}")))?;
        if let Some(dir) = self.path.parent() {
            paths::private_dir(dir)?;
        }
        paths::write_private(&self.path, sealed.as_bytes())
    }

    /// The cached secrets, or `None` when there is no usable cache.
    pub fn load(&self) -> CliResult<Option<Cached>> {
        let Some(sealed) = paths::read_optional(&self.path)? else {
            return Ok(None);
        };
        let Some(keyring) = keyring(false)? else {
            return Ok(None);
        };
        let opened = keyring.open(&self.context, sealed.trim()).map_err(|e| {
            failed(format!(
                "the cache {} cannot be opened: {e}",
                self.path.display()
            ))
        })?;
        let payload: Payload = serde_json::from_slice(&opened.plaintext)
            .map_err(|_| failed(format!("the cache {} is corrupted", self.path.display())))?;
        Ok(Some(Cached {
            fetched_at: payload.fetched_at,
            secrets: payload.secrets,
        }))
    }

    pub fn remove(&self) -> CliResult<()> {
        paths::remove_optional(&self.path)
    }
}

/// Seconds since `fetched_at`, as seen by the age check.
pub fn age_secs(fetched_at: i64) -> u64 {
    let offset = super::context::env_var(NOW_OFFSET_ENV)
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|v| *v > 0)
        .unwrap_or(0);
    let now = paths::now_secs().saturating_add(offset);
    u64::try_from(now.saturating_sub(fetched_at)).unwrap_or(0)
}

/// The cache key, created on first use when `create` is set.
fn keyring(create: bool) -> CliResult<Option<Keyring>> {
    let dir = paths::config_dir()?;
    let path = dir.join("cache.key");
    let text = match paths::read_optional(&path)? {
        Some(t) => t,
        None if create => {
            paths::private_dir(&dir)?;
            // Another process may win the race; then its key is the one.
            paths::create_private(&path, Keyring::generate_key().as_bytes())?;
            paths::read_optional(&path)?
                .ok_or_else(|| failed(format!("cannot read {}", path.display())))?
        }
        None => return Ok(None),
    };
    Keyring::parse(text.trim())
        .map(Some)
        .map_err(|e| failed(format!("{} is not usable: {e}", path.display())))
}
