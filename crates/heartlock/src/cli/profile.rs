//! Login profiles: one TOML file per server under the config directory
//! (`profiles/<server>.toml`, mode 0600) holding the session's refresh and
//! access tokens, never the password. `config.toml` names the default server
//! (the last one logged in to).
use super::error::{CliResult, failed, usage};
use super::paths;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::path::{Path, PathBuf};

#[derive(Clone, Serialize, Deserialize)]
pub struct Profile {
    pub server: String,
    pub email: String,
    pub user_id: String,
    pub access_token: String,
    /// Unix seconds.
    pub access_expires_at: i64,
    pub refresh_token: String,
    /// Unix milliseconds.
    pub refresh_expires_at: i64,
    /// Defaults used when neither a flag, the environment nor
    /// `.heartlock.toml` names a project or environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
}

// Holds credentials: never print them.
impl std::fmt::Debug for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Profile")
            .field("server", &self.server)
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

impl Profile {
    /// True when the access token is still good for a little while (a
    /// margin so it does not expire in flight).
    pub fn access_fresh(&self, now_secs: i64) -> bool {
        !self.access_token.is_empty() && now_secs + 30 < self.access_expires_at
    }
}

/// A server URL as used for profile lookups (no trailing slash).
pub fn normalize_server(server: &str) -> String {
    server.trim().trim_end_matches('/').to_string()
}

/// `profiles/<readable part>-<hash>.toml`: readable for humans, and the
/// hash keeps two servers that sanitise alike apart.
pub fn profile_path(server: &str) -> CliResult<PathBuf> {
    let server = normalize_server(server);
    let readable: String = server
        .split_once("://")
        .map_or(server.as_str(), |(_, rest)| rest)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '_'
            }
        })
        .take(60)
        .collect();
    let hash = hex::encode(&Sha256::digest(server.as_bytes())[..4]);
    Ok(paths::config_dir()?
        .join("profiles")
        .join(format!("{readable}-{hash}.toml")))
}

pub fn load(path: &Path) -> CliResult<Option<Profile>> {
    let Some(text) = paths::read_optional(path)? else {
        return Ok(None);
    };
    toml::from_str(&text).map(Some).map_err(|e| {
        usage(format!(
            "{} is not a valid profile ({}); run `heartlock login` again",
            path.display(),
            e.message()
        ))
    })
}

pub fn save(path: &Path, profile: &Profile) -> CliResult<()> {
    if let Some(dir) = path.parent() {
        paths::private_dir(dir)?;
    }
    let text =
        toml::to_string(profile).map_err(|e| failed(format!("cannot encode the profile: {e}")))?;
    paths::write_private(path, text.as_bytes())
}

/// An exclusive lock on the profile, held while refreshing: the server
/// revokes a session whose refresh token is used twice, so two concurrent
/// commands must not both refresh with the same token.
pub fn lock(path: &Path) -> CliResult<File> {
    if let Some(dir) = path.parent() {
        paths::private_dir(dir)?;
    }
    let lock_path = path.with_extension("lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(|e| failed(format!("cannot open {}: {e}", lock_path.display())))?;
    file.lock()
        .map_err(|e| failed(format!("cannot lock {}: {e}", lock_path.display())))?;
    Ok(file)
}

#[derive(Default, Serialize, Deserialize)]
struct GlobalConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    default_server: Option<String>,
}

fn global_path() -> CliResult<PathBuf> {
    Ok(paths::config_dir()?.join("config.toml"))
}

fn load_global() -> CliResult<GlobalConfig> {
    let path = global_path()?;
    match paths::read_optional(&path)? {
        None => Ok(GlobalConfig::default()),
        Some(text) => toml::from_str(&text)
            .map_err(|e| usage(format!("{} is not valid: {}", path.display(), e.message()))),
    }
}

/// The server of the last login, if any.
pub fn default_server() -> CliResult<Option<String>> {
    Ok(load_global()?.default_server)
}

/// Makes `server` the default, or clears the default if it is `server`
/// and `Some` is not given.
pub fn set_default_server(server: Option<&str>, clearing: &str) -> CliResult<()> {
    let mut config = load_global()?;
    match server {
        Some(s) => config.default_server = Some(normalize_server(s)),
        None if config.default_server.as_deref() == Some(&normalize_server(clearing)) => {
            config.default_server = None;
        }
        None => return Ok(()),
    }
    let path = global_path()?;
    if let Some(dir) = path.parent() {
        paths::private_dir(dir)?;
    }
    let text = toml::to_string(&config)
        .map_err(|e| failed(format!("cannot encode the configuration: {e}")))?;
    paths::write_private(&path, text.as_bytes())
}

/// Deletes a profile and its lock file.
pub fn remove_profile(path: &Path) -> CliResult<()> {
    paths::remove_optional(path)?;
    paths::remove_optional(&path.with_extension("lock"))
}
