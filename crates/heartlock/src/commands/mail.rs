//! `heartlock mail test --to ADDRESS`.
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum MailCommand {
    /// Send one test message now through the configured backend (not
    /// through the outbox); exit 1 when it cannot be sent.
    Test {
        /// The address to send it to.
        #[arg(long)]
        to: String,
    },
}

pub async fn run(cmd: MailCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        MailCommand::Test { to } => test(&to).await,
    }
}

async fn test(to: &str) -> anyhow::Result<ExitCode> {
    let settings = super::load_settings()?;
    match heartlock_domain::mail::send_test(&settings, to).await {
        Ok(backend) => {
            println!("test message sent to {to} through {backend}");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("heartlock: the test message was not sent: {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}
