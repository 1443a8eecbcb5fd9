//! The command-line client: every command that talks to a Heartlock server
//! over HTTP (login, run, secrets, export/import, projects, tokens…).
//!
//! Commands run on a current-thread runtime and make as few requests as they
//! can: `heartlock run` is on the hot path of every process it launches.
mod args;
mod auth;
mod cache;
mod context;
mod error;
mod groups_cmd;
mod members_cmd;
mod output;
mod paths;
mod profile;
mod project_file;
mod projects_cmd;
mod run;
mod secrets_cmd;
mod session;
mod setup;
mod share_cmd;
mod share_open;
mod sso;
mod tokens_cmd;
mod transfer;

use clap::Subcommand;
use error::{CliResult, failed};
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum ClientCommand {
    /// Sign in to a server; the session is kept in a 0600 profile file.
    Login(auth::LoginArgs),
    /// End the session on the server and delete the local profile.
    Logout(auth::LogoutArgs),
    /// Show whose credentials are in use.
    Whoami(auth::WhoamiArgs),
    /// Write .heartlock.toml (server, project, environment) in this folder.
    Setup(setup::SetupArgs),
    /// Run a command with the environment's secrets in its environment.
    Run(run::RunArgs),
    /// List, read and change secrets.
    Secrets(secrets_cmd::SecretsArgs),
    /// Print the environment's secrets as dotenv, JSON, YAML, shell or docker.
    Export(transfer::ExportArgs),
    /// Import a dotenv, JSON or YAML file in one atomic write.
    Import(transfer::ImportArgs),
    /// List and create projects.
    Projects(projects_cmd::ProjectsArgs),
    /// List a project's environments.
    Envs(projects_cmd::EnvsArgs),
    /// Create, list and revoke service tokens.
    Tokens(tokens_cmd::TokensArgs),
    /// List, grant and revoke project roles of identity-provider groups.
    Groups(groups_cmd::GroupsArgs),
    /// List members; invite people by email, list, resend and revoke invitations.
    Members(members_cmd::MembersArgs),
    /// Share a value through a one-time link; `share open URL` opens one
    /// (no sign-in), `share list` and `share revoke ID` manage yours.
    // Boxed: its many flags would make every command this large.
    Share(Box<share_cmd::ShareArgs>),
    /// Print a shell completion script.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// Runs a client command; errors are reported here (exit 1 or 2).
pub fn run(cmd: ClientCommand) -> anyhow::Result<ExitCode> {
    let result = match cmd {
        ClientCommand::Completions { shell } => completions(shell).map(|()| ExitCode::SUCCESS),
        ClientCommand::Setup(a) => setup::run(a).map(|()| ExitCode::SUCCESS),
        // `run` drives its own runtime: it must be gone before exec.
        ClientCommand::Run(a) => run::run(a),
        other => block_on(dispatch(other)).map(|()| ExitCode::SUCCESS),
    };
    Ok(result.unwrap_or_else(|e| e.report()))
}

async fn dispatch(cmd: ClientCommand) -> CliResult<()> {
    match cmd {
        ClientCommand::Login(a) => auth::login(a).await,
        ClientCommand::Logout(a) => auth::logout(a).await,
        ClientCommand::Whoami(a) => auth::whoami(a).await,
        ClientCommand::Secrets(a) => secrets_cmd::run(a).await,
        ClientCommand::Export(a) => transfer::export(a).await,
        ClientCommand::Import(a) => transfer::import(a).await,
        ClientCommand::Projects(a) => projects_cmd::projects(a).await,
        ClientCommand::Envs(a) => projects_cmd::envs(a).await,
        ClientCommand::Tokens(a) => tokens_cmd::run(a).await,
        ClientCommand::Groups(a) => groups_cmd::run(a).await,
        ClientCommand::Members(a) => members_cmd::run(a).await,
        ClientCommand::Share(a) => share_cmd::run(*a).await,
        ClientCommand::Setup(_) | ClientCommand::Run(_) | ClientCommand::Completions { .. } => {
            Ok(())
        }
    }
}

/// A single-threaded runtime: the client makes one or two requests, so
/// worker threads would only cost startup time.
pub(crate) fn block_on<T>(fut: impl Future<Output = CliResult<T>>) -> CliResult<T> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| failed(format!("cannot start the async runtime: {e}")))?;
    rt.block_on(fut)
}

fn completions(shell: clap_complete::Shell) -> CliResult<()> {
    use clap::CommandFactory;
    let mut cmd = crate::Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "heartlock", &mut buf);
    output::out(&String::from_utf8_lossy(&buf))
}
