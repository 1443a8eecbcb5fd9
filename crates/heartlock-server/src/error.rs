//! Start-up errors: each names what is wrong and what to do, never a secret.
use thiserror::Error;

#[derive(Debug, Error)]
pub enum BootError {
    #[error("configuration: {0}")]
    Config(#[from] heartlock_config::ConfigError),
    #[error("encryption key: {0}")]
    Keys(String),
    #[error("{0}")]
    WrongKey(String),
    #[error("database: {0}")]
    Store(#[from] heartlock_store::StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
}
