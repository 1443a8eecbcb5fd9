//! `heartlock createsuperuser`: the first administrator, interactively or
//! from flags and environment for scripts.
use crate::logging;
use heartlock_core::SystemClock;
use heartlock_domain::users::NewAccount;
use heartlock_domain::{Domain, Principal};
use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

pub struct SuperuserArgs {
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub password_stdin: bool,
    pub no_input: bool,
}

/// Where the password comes from, in order: --password-stdin,
/// HEARTLOCK_SUPERUSER_PASSWORD, an interactive hidden prompt. Never argv.
fn read_password(args: &SuperuserArgs) -> anyhow::Result<String> {
    if args.password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        return Ok(line.trim_end_matches(['\n', '\r']).to_string());
    }
    if let Ok(pw) = std::env::var("HEARTLOCK_SUPERUSER_PASSWORD") {
        return Ok(pw);
    }
    if args.no_input || !std::io::stdin().is_terminal() {
        anyhow::bail!("no password given: use --password-stdin or HEARTLOCK_SUPERUSER_PASSWORD");
    }
    let first = rpassword::prompt_password("Password: ")?;
    let second = rpassword::prompt_password("Password (again): ")?;
    if first != second {
        anyhow::bail!("the passwords do not match");
    }
    Ok(first)
}

fn read_email(args: &SuperuserArgs) -> anyhow::Result<String> {
    if let Some(e) = args
        .email
        .clone()
        .or_else(|| std::env::var("HEARTLOCK_SUPERUSER_EMAIL").ok())
    {
        return Ok(e);
    }
    if args.no_input || !std::io::stdin().is_terminal() {
        anyhow::bail!("no email given: use --email or HEARTLOCK_SUPERUSER_EMAIL");
    }
    print!("Email: ");
    std::io::stdout().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim().to_string())
}

pub async fn createsuperuser(args: SuperuserArgs) -> anyhow::Result<ExitCode> {
    let settings = super::load_settings()?;
    logging::init(settings.log_format);
    let email = read_email(&args)?;
    let password = read_password(&args)?;
    let dom = Domain::boot(settings, Arc::new(SystemClock)).await?;
    if let Some(note) = heartlock_domain::onboarding::completed_note(&dom).await {
        eprintln!("heartlock: note: {note}");
    }
    let result = heartlock_domain::users::create_superuser(
        &dom,
        &Principal::system("createsuperuser"),
        NewAccount {
            email: &email,
            display_name: args.display_name.as_deref(),
            password: &password,
        },
    )
    .await;
    let outcome = match &result {
        Ok(user) => {
            println!("superuser {} created", user.email);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("heartlock: cannot create the superuser: {e}");
            ExitCode::from(1)
        }
    };
    dom.shutdown().await;
    Ok(outcome)
}

/// `heartlock setup-code`: the code from the data folder, as the server
/// printed it. Reads the file only, so it works while the server runs.
pub fn setup_code() -> anyhow::Result<ExitCode> {
    let settings = super::load_settings()?;
    let dir = &settings.data_dir;
    match heartlock_domain::onboarding::setup_code::read(dir)? {
        Some(code) => {
            println!("{code}");
            Ok(ExitCode::SUCCESS)
        }
        None => {
            eprintln!(
                "heartlock: no setup code in {}: the server issues one when it starts in \
                 production (DEBUG off) while no administrator exists, and removes it once \
                 onboarding is done",
                dir.display()
            );
            Ok(ExitCode::from(1))
        }
    }
}
