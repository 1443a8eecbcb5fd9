//! Errors of the client commands and the exit codes they map to:
//! 1 when the server refused or could not be reached (or the command it
//! launched could not start), 2 for usage and configuration mistakes.
use heartlock_client::ClientError;
use std::process::ExitCode;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad usage or configuration (missing project, not logged in…).
    #[error("{0}")]
    Usage(String),
    /// The server refused the operation or could not be reached.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// Any other failure (local files, the cache…).
    #[error("{0}")]
    Failed(String),
}

pub type CliResult<T> = Result<T, CliError>;

pub fn usage(msg: impl Into<String>) -> CliError {
    CliError::Usage(msg.into())
}

pub fn failed(msg: impl Into<String>) -> CliError {
    CliError::Failed(msg.into())
}

impl CliError {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Usage(_) => ExitCode::from(2),
            CliError::Client(_) | CliError::Failed(_) => ExitCode::from(1),
        }
    }

    /// Prints the error on stderr, with a hint for the common auth refusals.
    pub fn report(&self) -> ExitCode {
        eprintln!("heartlock: {self}");
        if let CliError::Client(ClientError::Problem { status: 401, .. }) = self {
            // A service token replaces the login profile: signing in again
            // would change nothing while it is set.
            if super::context::env_var(super::context::TOKEN_ENV).is_some() {
                eprintln!(
                    "heartlock: hint: the service token in HEARTLOCK_TOKEN was refused \
                     (revoked, expired or mistyped?); unset it to use your login instead"
                );
            } else {
                eprintln!("heartlock: hint: sign in again with `heartlock login`");
            }
        }
        self.exit_code()
    }
}
