//! Flags shared by the client commands.
use clap::Args;

/// Which server, project and environment to use. Each falls back to its
/// environment variable, then `.heartlock.toml`, then the login profile.
#[derive(Args, Debug, Clone, Default)]
pub struct Target {
    /// Server URL [env: HEARTLOCK_SERVER].
    #[arg(long, global = true, value_name = "URL")]
    pub server: Option<String>,
    /// Project slug [env: HEARTLOCK_PROJECT].
    #[arg(short = 'p', long, global = true, value_name = "PROJECT")]
    pub project: Option<String>,
    /// Environment slug [env: HEARTLOCK_ENVIRONMENT].
    #[arg(short = 'e', long, global = true, value_name = "ENV")]
    pub environment: Option<String>,
}

/// `--json`: machine-readable output on stdout.
#[derive(Args, Debug, Clone, Copy, Default)]
pub struct Output {
    /// Print machine-readable JSON on stdout.
    #[arg(long, global = true)]
    pub json: bool,
}
