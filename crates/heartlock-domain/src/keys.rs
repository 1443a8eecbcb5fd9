//! Which encryption keys this process uses, in the seed's precedence:
//! appconfig.json → HEARTLOCK_ENCRYPTION_KEY → `<data_dir>/secret.key`
//! (DEBUG only, generated on first start) → an ephemeral in-memory key.
use crate::error::BootError;
use heartlock_config::{Settings, Source};
use heartlock_core::Keyring;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    AppConfig,
    Environment,
    DotEnv,
    DevKeyFile(PathBuf),
    Ephemeral,
}

impl KeySource {
    /// Keys that survive a restart; only stable keys may encrypt lasting data.
    pub fn is_stable(&self) -> bool {
        !matches!(self, KeySource::Ephemeral)
    }
}

impl std::fmt::Display for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::AppConfig => f.write_str("appconfig.json"),
            KeySource::Environment => f.write_str("HEARTLOCK_ENCRYPTION_KEY (environment)"),
            KeySource::DotEnv => f.write_str("HEARTLOCK_ENCRYPTION_KEY (.env file)"),
            KeySource::DevKeyFile(p) => write!(f, "{} (development key file)", p.display()),
            KeySource::Ephemeral => f.write_str("ephemeral in-memory key"),
        }
    }
}

pub const DEV_KEY_FILE: &str = "secret.key";

pub fn resolve_keyring(settings: &Settings) -> Result<(Keyring, KeySource), BootError> {
    if let Some(list) = &settings.encryption_key {
        let ring = Keyring::parse(list.expose())
            .map_err(|e| BootError::Keys(format!("HEARTLOCK_ENCRYPTION_KEY: {e}")))?;
        let source = match settings
            .source_of("HEARTLOCK_ENCRYPTION_KEY")
            .map(Source::layer)
        {
            Some(Source::AppConfig(_)) => KeySource::AppConfig,
            Some(Source::DotEnv(_)) | Some(Source::AppEnvFile(_)) => KeySource::DotEnv,
            _ => KeySource::Environment,
        };
        return Ok((ring, source));
    }
    if settings.debug {
        let path = settings.data_dir.join(DEV_KEY_FILE);
        let ring = load_or_create_dev_key(&path)?;
        return Ok((ring, KeySource::DevKeyFile(path)));
    }
    tracing::warn!(
        "NO ENCRYPTION KEY CONFIGURED: using an EPHEMERAL in-memory key. Anything encrypted \
         now becomes unreadable when this process stops. Set HEARTLOCK_ENCRYPTION_KEY (or \
         finish the onboarding wizard) before storing secrets."
    );
    let ring =
        Keyring::parse(&Keyring::generate_key()).map_err(|e| BootError::Keys(e.to_string()))?;
    Ok((ring, KeySource::Ephemeral))
}

fn load_or_create_dev_key(path: &Path) -> Result<Keyring, BootError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Keyring::parse(text.trim()).map_err(|_| {
            BootError::Keys(format!(
                "{} does not hold a valid Fernet key (URL-safe base64 of 32 bytes)",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = Keyring::generate_key();
            write_private_file(path, &key)?;
            tracing::warn!(
                path = %path.display(),
                "DEBUG: generated a development encryption key; losing this file loses every stored secret"
            );
            Keyring::parse(&key).map_err(|e| BootError::Keys(e.to_string()))
        }
        Err(e) => Err(BootError::Keys(format!(
            "cannot read {}: {e}",
            path.display()
        ))),
    }
}

/// Creates a file readable by its owner only; never overwrites (two
/// processes starting at once must not end up with different keys).
fn write_private_file(path: &Path, contents: &str) -> Result<(), BootError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        heartlock_store::create_private_dir(dir)
            .map_err(|e| BootError::Keys(format!("cannot create {}: {e}", dir.display())))?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    match opts.open(path) {
        Ok(mut f) => f
            .write_all(format!("{contents}\n").as_bytes())
            .and_then(|_| f.sync_all())
            .map_err(|e| BootError::Keys(format!("cannot write {}: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(BootError::Keys(format!(
            "cannot create {}: {e}",
            path.display()
        ))),
    }
}
