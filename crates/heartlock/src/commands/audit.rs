//! `heartlock audit verify`.
use crate::logging;
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Check the audit log's hash chain; exit 1 if it was tampered with.
    Verify,
}

pub async fn run(cmd: AuditCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        AuditCommand::Verify => verify().await,
    }
}

async fn verify() -> anyhow::Result<ExitCode> {
    let settings = super::load_settings()?;
    logging::init(settings.log_format);
    let report = heartlock_domain::audit::verify_database(&settings).await?;
    match report.first_break {
        None => {
            println!("audit log intact: {} event(s)", report.events);
            Ok(ExitCode::SUCCESS)
        }
        Some(b) => {
            println!("audit log TAMPERED: {b}");
            Ok(ExitCode::FAILURE)
        }
    }
}
