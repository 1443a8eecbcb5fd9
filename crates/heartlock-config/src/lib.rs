//! Typed, layered configuration for Heartlock.
//!
//! [`load`] merges `<data_dir>/appconfig.json`, the process environment,
//! `.env.$APP_ENV`, `.env` and built-in defaults (highest precedence first)
//! into one [`Settings`] value and records where every value came from.
//! The library never reads `std::env` itself except in
//! [`LoadInput::from_process`], which keeps loading hermetic in tests.

mod deploy_check;
mod error;
mod live_oidc;
mod load;
mod reader;
mod report;
mod settings;
mod sources;
mod validate;

use std::fmt;
use std::path::PathBuf;

pub use deploy_check::{Finding, RuntimeFacts, Severity, findings_json};
pub use error::ConfigError;
pub use live_oidc::{EffectiveOidc, oidc_insecure_urls, oidc_setting_names};
pub use load::{Loaded, load};
pub use report::{ReportLine, SETTING_NAMES, render_report};
pub use settings::{
    EmailBackend, EmailSettings, JwtAlgorithm, JwtSettings, LogFormat, MetricsSettings,
    NoAuthPolicy, OidcSettings, Settings, ShareSettings, TurnstileSettings, UserRole, UserSettings,
    VapidSettings,
};
pub use sources::LoadInput;
/// How DATABASE_URL values are read (also for `heartlock migrate-db --to`).
pub use validate::{is_postgres_url, sqlite_file};

/// Shown instead of any secret value.
pub const REDACTED: &str = "********";

/// A secret string. `Debug` and `Display` never show the contents, so a
/// `Settings` can be logged or printed without leaking credentials.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The real value; call only where the secret is actually used.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_string())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Built-in default (possibly derived from other settings).
    Default,
    /// The `.env` file in the working directory.
    DotEnv(PathBuf),
    /// The `.env.$APP_ENV` file in the working directory.
    AppEnvFile(PathBuf),
    /// The process environment.
    Environment,
    /// `<data_dir>/appconfig.json`.
    AppConfig(PathBuf),
    /// Read from `layer` under a legacy alias instead of the canonical name.
    Legacy {
        layer: Box<Source>,
        alias: &'static str,
    },
}

impl Source {
    /// The layer itself, looking through a legacy alias.
    pub fn layer(&self) -> &Source {
        match self {
            Source::Legacy { layer, .. } => layer.layer(),
            other => other,
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::Environment => f.write_str("environment"),
            Source::DotEnv(path) | Source::AppEnvFile(path) | Source::AppConfig(path) => {
                // File names only: the files always live in cwd or data_dir.
                match path.file_name() {
                    Some(name) => write!(f, "{}", name.to_string_lossy()),
                    None => write!(f, "{}", path.display()),
                }
            }
            Source::Legacy { layer, alias } => write!(f, "{layer} (legacy {alias})"),
        }
    }
}
