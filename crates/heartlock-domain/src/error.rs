//! The domain's errors: one enum for every operation, mapped once to
//! problem+json (api) and once to pages (web). Messages never carry a
//! secret value.
use heartlock_store::StoreError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum DomainError {
    #[error("authentication required: {0}")]
    Unauthenticated(&'static str),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(&'static str),
    #[error("invalid {field}: {message}")]
    Validation { field: String, message: String },
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("too large: {0}")]
    TooLarge(String),
    /// Too many failed password checks (or registrations) from this client:
    /// locked for `retry_after_secs` more seconds.
    #[error("too many attempts; try again in {retry_after_secs} seconds")]
    TooManyAttempts { retry_after_secs: u64 },
    /// Stored data that does not decrypt, is bound elsewhere or does not
    /// parse: never served, never replaced by a default.
    #[error("integrity error: {0}")]
    Integrity(String),
    /// The service cannot do this now (database unreachable, no encryption
    /// key yet). The message is shown to clients: no internals in it.
    #[error("unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

pub type DomainResult<T> = Result<T, DomainError>;

impl DomainError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        DomainError::Validation {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<StoreError> for DomainError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => DomainError::NotFound("not found"),
            StoreError::Conflict(m) => DomainError::Conflict(m),
            StoreError::Corrupt(what) => DomainError::Integrity(format!("corrupt data in {what}")),
            StoreError::Unavailable(m) => {
                // The driver's words stay in the log; clients get a fixed sentence.
                tracing::warn!(error = %m, "database unavailable");
                DomainError::Unavailable("the database is unavailable; try again shortly".into())
            }
            other => DomainError::Internal(other.to_string()),
        }
    }
}

/// Start-up errors: each names what is wrong and what to do, never a secret.
#[derive(Debug, Error)]
pub enum BootError {
    #[error("configuration: {0}")]
    Config(#[from] heartlock_config::ConfigError),
    #[error("encryption key: {0}")]
    Keys(String),
    #[error("{0}")]
    WrongKey(String),
    #[error("database: {0}")]
    Store(#[from] StoreError),
    /// A configuration that would be dangerous to serve (production only).
    #[error("refusing to start: {0}")]
    Unsafe(String),
    /// The email settings cannot make a working backend (e.g. an unreadable
    /// EMAIL_SSL_CAFILE).
    #[error("email: {0}")]
    Mail(String),
}
