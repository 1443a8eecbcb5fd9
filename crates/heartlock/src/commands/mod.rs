pub mod admin;
pub mod audit;
pub mod backup;
pub mod health;
pub mod mail;
pub mod serve;
pub mod users;

use std::process::ExitCode;

/// Runs an async command on a multi-threaded runtime.
pub fn run_async(
    fut: impl std::future::Future<Output = anyhow::Result<ExitCode>>,
) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(fut)
}

/// Loads settings from the process environment and the working directory.
pub fn load_settings() -> anyhow::Result<heartlock_config::Settings> {
    let input = heartlock_config::LoadInput::from_process()?;
    let loaded = heartlock_config::load(&input)?;
    for w in &loaded.warnings {
        eprintln!("heartlock: warning: {w}");
    }
    Ok(loaded.settings)
}
