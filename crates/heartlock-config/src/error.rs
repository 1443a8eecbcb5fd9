//! Errors produced while loading configuration.

use std::path::PathBuf;

/// A configuration problem. Messages name the setting (or file) but never
/// echo a value, so they are safe to log even for secret settings.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// One setting has a value that cannot be used.
    #[error("invalid value for {name}: expected {expected} (set in {origin})")]
    Invalid {
        name: String,
        expected: String,
        /// Where the bad value came from, e.g. ".env" or "environment".
        origin: String,
    },
    /// A configuration file could not be read or parsed.
    #[error("error in configuration file {}: {message}", path.display())]
    File { path: PathBuf, message: String },
    /// Several settings that are individually valid do not fit together.
    #[error("{message}")]
    Conflict { message: String },
}

impl ConfigError {
    pub(crate) fn invalid(name: &str, expected: impl Into<String>, origin: impl ToString) -> Self {
        ConfigError::Invalid {
            name: name.to_string(),
            expected: expected.into(),
            origin: origin.to_string(),
        }
    }

    pub(crate) fn conflict(message: impl Into<String>) -> Self {
        ConfigError::Conflict {
            message: message.into(),
        }
    }
}
