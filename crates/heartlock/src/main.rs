//! `heartlock`: the server and the CLI in one binary. This file is only the
//! command tree; each command lives in `commands/`.
use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod cli;
mod commands;
mod log_buffer;
mod logging;

#[derive(Parser)]
#[command(
    name = "heartlock",
    version,
    about = "Heartlock: a self-hosted secrets manager for teams"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (applies migrations first).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Print every setting's effective value and where it came from (secrets redacted).
    Config,
    /// Check the configuration for problems.
    Check {
        /// List every production-hardening problem (errors first, each with a
        /// fix); exit 1 if there is any at or above --fail-level.
        #[arg(long)]
        deploy: bool,
        /// Print the findings as one JSON document (for CI).
        #[arg(long, requires = "deploy")]
        json: bool,
        /// Lowest severity that makes the check fail.
        #[arg(long, value_enum, default_value = "warning", requires = "deploy")]
        fail_level: commands::admin::FailLevel,
    },
    /// Create a server administrator (interactive, or --email with the
    /// password from --password-stdin or HEARTLOCK_SUPERUSER_PASSWORD).
    Createsuperuser {
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        /// Never prompt; fail when something is missing.
        #[arg(long)]
        no_input: bool,
    },
    /// Print the one-time code the onboarding wizard asks for in production.
    SetupCode,
    /// Print a new encryption key (same format as Python's Fernet.generate_key()).
    GenKey,
    /// Print a new VAPID key pair for web push, as VAPID_* lines for .env
    /// (the same three lines, in the same formats, as the documented
    /// Python generator).
    GenVapid,
    /// Re-encrypt every stored value under the first of the configured keys.
    RotateKey {
        /// Only report which values still need an old key; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Write a consistent snapshot of the whole database (values stay
    /// encrypted) to FILE, atomically, readable by its owner only.
    Backup { file: std::path::PathBuf },
    /// Load a backup FILE into the configured database, in one transaction
    /// (all or nothing), after checking its checksums and that the configured
    /// encryption key opens it. Refuses a database that has users, projects
    /// or audit events unless --force.
    Restore {
        file: std::path::PathBuf,
        /// Replace everything in a database that is not empty (in the same
        /// transaction as the restore).
        #[arg(long)]
        force: bool,
    },
    /// Copy everything from the configured database to another, empty one
    /// (SQLite to PostgreSQL or back). The copy is one transaction on the
    /// target: all or nothing. Ciphertexts are copied unchanged (the same
    /// encryption key opens them); the target's audit chain is verified.
    MigrateDb {
        /// postgres://… or sqlite:///relative/path, sqlite:////absolute/path (as DATABASE_URL).
        #[arg(long)]
        to: String,
    },
    /// Audit log maintenance.
    Audit {
        #[command(subcommand)]
        cmd: commands::audit::AuditCommand,
    },
    /// Email: `mail test --to ADDRESS` sends a test message.
    Mail {
        #[command(subcommand)]
        cmd: commands::mail::MailCommand,
    },
    /// Exit 0 when the server's /readyz answers 200, 1 otherwise (the
    /// container HEALTHCHECK; default URL: loopback at HEARTLOCK_BIND's port).
    Healthcheck {
        #[arg(long, value_name = "URL")]
        url: Option<String>,
    },
    /// The client commands (login, run, secrets, export, import…).
    #[command(flatten)]
    Client(cli::ClientCommand),
}

/// See Cargo.toml: measured against the system allocator in bench/.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::GenKey => commands::admin::gen_key(),
        Command::GenVapid => commands::admin::gen_vapid(),
        Command::SetupCode => commands::users::setup_code(),
        Command::Createsuperuser {
            email,
            display_name,
            password_stdin,
            no_input,
        } => commands::run_async(commands::users::createsuperuser(
            commands::users::SuperuserArgs {
                email,
                display_name,
                password_stdin,
                no_input,
            },
        )),
        Command::Config => commands::admin::config(),
        Command::Check {
            deploy,
            json,
            fail_level,
        } => commands::admin::check(commands::admin::CheckArgs {
            deploy,
            json,
            fail_level,
        }),
        Command::Serve => commands::run_async(commands::serve::serve()),
        Command::Migrate => commands::run_async(commands::admin::migrate()),
        Command::RotateKey { dry_run } => commands::run_async(commands::admin::rotate_key(dry_run)),
        Command::Backup { file } => commands::run_async(commands::backup::backup(file)),
        Command::Restore { file, force } => {
            commands::run_async(commands::backup::restore(file, force))
        }
        Command::MigrateDb { to } => commands::run_async(commands::backup::migrate_db(to)),
        Command::Audit { cmd } => commands::run_async(commands::audit::run(cmd)),
        Command::Mail { cmd } => commands::run_async(commands::mail::run(cmd)),
        Command::Healthcheck { url } => commands::run_async(commands::health::run(url)),
        Command::Client(cmd) => cli::run(cmd),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("heartlock: {e:#}");
            ExitCode::from(2)
        }
    }
}
