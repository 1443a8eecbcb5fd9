//! `login` (password, or `--sso` through the browser: see `sso`), `logout`,
//! `whoami`.
use super::args::{Output, Target};
use super::context::Context;
use super::error::{CliError, CliResult, failed, usage};
use super::output;
use super::profile::{self, Profile};
use super::session::{Session, client_for};
use clap::Args;
use heartlock_client::{ClientError, TokenResponse};
use serde_json::json;
use std::io::{BufRead, IsTerminal, Write};

#[derive(Args)]
pub struct LoginArgs {
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    out: Output,
    /// Account email (prompted when omitted and interactive).
    #[arg(long)]
    email: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    password_stdin: bool,
    /// Sign in through the server's single sign-on, in a browser.
    #[arg(long, conflicts_with_all = ["email", "password_stdin"])]
    sso: bool,
    /// With --sso: print the address to open instead of opening a browser.
    #[arg(long, requires = "sso")]
    no_browser: bool,
}

#[derive(Args)]
pub struct LogoutArgs {
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    out: Output,
}

#[derive(Args)]
pub struct WhoamiArgs {
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    out: Output,
}

pub(super) fn prompt_line(label: &str) -> CliResult<String> {
    eprint!("{label}");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| usage(format!("cannot read standard input: {e}")))?;
    Ok(line.trim().to_string())
}

fn read_password(from_stdin: bool) -> CliResult<String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| usage(format!("cannot read the password from standard input: {e}")))?;
        return Ok(line.trim_end_matches(['\n', '\r']).to_string());
    }
    if !std::io::stdin().is_terminal() {
        return Err(usage(
            "no password: use --password-stdin when standard input is not a terminal",
        ));
    }
    rpassword::prompt_password("Password: ")
        .map_err(|e| usage(format!("cannot read the password: {e}")))
}

async fn password_login(
    server: &str,
    email: Option<String>,
    password_stdin: bool,
) -> CliResult<TokenResponse> {
    let email = match email {
        Some(e) => e,
        None if std::io::stdin().is_terminal() && !password_stdin => prompt_line("Email: ")?,
        None => return Err(usage("no email: use --email")),
    };
    if email.is_empty() {
        return Err(usage("no email given"));
    }
    let password = read_password(password_stdin)?;
    let result = client_for(server)?.login(&email, &password).await;
    drop(password);
    result.map_err(|e| {
        if turnstile_required(&e) {
            failed(TURNSTILE_HELP)
        } else {
            e.into()
        }
    })
}

/// What to do when the server asks for a Cloudflare Turnstile check (a
/// browser challenge a terminal cannot solve) on password sign-in.
const TURNSTILE_HELP: &str = "this server requires a Cloudflare Turnstile check (a browser \
     challenge) for password sign-in, which the CLI cannot complete. Sign in with \
     `heartlock login --sso` if the server has single sign-on, or, for scripts, use a service \
     token: HEARTLOCK_TOKEN=hl_st_… (created on the project's Tokens page or with \
     `heartlock tokens create`)";

/// The server's 422 names the `turnstile_token` field.
fn turnstile_required(e: &ClientError) -> bool {
    matches!(e, ClientError::Problem { status: 422, detail, .. }
        if detail.starts_with("turnstile_token:"))
}

pub async fn login(args: LoginArgs) -> CliResult<()> {
    let ctx = Context::resolve(&args.target)?;
    let server = ctx.server()?.to_string();
    let tokens = if args.sso {
        super::sso::login(&server, args.no_browser, args.out.json).await?
    } else {
        password_login(&server, args.email, args.password_stdin).await?
    };
    let path = profile::profile_path(&server)?;
    let previous = profile::load(&path).ok().flatten();
    let prof = Profile {
        server: server.clone(),
        email: tokens.user.email.clone(),
        user_id: tokens.user.id.clone(),
        access_token: tokens.access_token,
        access_expires_at: tokens.expires_at,
        refresh_token: tokens.refresh_token,
        refresh_expires_at: tokens.refresh_expires_at,
        // Defaults given now win; otherwise keep the previous profile's.
        project: args
            .target
            .project
            .or_else(|| previous.as_ref().and_then(|p| p.project.clone())),
        environment: args
            .target
            .environment
            .or_else(|| previous.as_ref().and_then(|p| p.environment.clone())),
    };
    profile::save(&path, &prof)?;
    profile::set_default_server(Some(&server), &server)?;
    if args.out.json {
        return output::json(&json!({
            "server": server,
            "email": prof.email,
            "user_id": prof.user_id,
            "profile": path.display().to_string(),
        }));
    }
    output::out(&format!("logged in to {server} as {}\n", prof.email))
}

pub async fn logout(args: LogoutArgs) -> CliResult<()> {
    let ctx = Context::resolve(&args.target)?;
    let server = ctx.server()?.to_string();
    let Some((path, _)) = &ctx.profile else {
        eprintln!("heartlock: not logged in to {server}");
        return Ok(());
    };
    // Revoke first, but delete the local profile whatever happens: the user
    // asked for these credentials to be gone from this machine.
    // The profile's session is the one to end, even if HEARTLOCK_TOKEN is set.
    let without_token = Context {
        service_token: None,
        ..ctx.clone()
    };
    let revoked = match Session::open(&without_token).await {
        Ok(mut s) => s.call(async |c| c.logout().await).await,
        Err(e) => Err(e),
    };
    profile::remove_profile(path)?;
    profile::set_default_server(None, &server)?;
    let revoked = match revoked {
        // An ended session needs no revoking.
        Err(CliError::Client(ClientError::Problem { status: 401, .. })) => Ok(()),
        Err(CliError::Usage(_)) => Ok(()),
        other => other,
    };
    if let Err(e) = revoked {
        eprintln!(
            "heartlock: the local profile was deleted, but the server session could not be revoked"
        );
        return Err(e);
    }
    if args.out.json {
        return output::json(&json!({ "server": server, "logged_out": true }));
    }
    output::out(&format!("logged out of {server}\n"))
}

/// The project and environment commands would use, for `whoami`.
fn target_line(ctx: &Context) -> String {
    let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".into());
    format!(
        "project {}, environment {}\n",
        show(&ctx.project),
        show(&ctx.environment)
    )
}

pub async fn whoami(args: WhoamiArgs) -> CliResult<()> {
    let ctx = Context::resolve(&args.target)?;
    let server = ctx.server()?.to_string();
    let target = json!({ "project": ctx.project, "environment": ctx.environment });
    // A service token cannot ask /auth/me; say so without a request.
    if ctx.service_token.is_some() {
        if args.out.json {
            return output::json(&json!({
                "server": server, "kind": "service_token",
                "project": target["project"], "environment": target["environment"],
            }));
        }
        return output::out(&format!(
            "a service token (HEARTLOCK_TOKEN) on {server}\n{}",
            target_line(&ctx)
        ));
    }
    let mut session = Session::open(&ctx).await?;
    let me = session.call(async |c| c.me().await).await?;
    if args.out.json {
        return output::json(&json!({
            "server": server,
            "kind": "user",
            "id": me.id,
            "email": me.email,
            "display_name": me.display_name,
            "role": me.role,
            "is_superuser": me.is_superuser,
            "project": target["project"],
            "environment": target["environment"],
        }));
    }
    output::out(&format!(
        "{} ({}) on {server}, server role {}\n{}",
        me.email,
        me.display_name,
        me.role,
        target_line(&ctx)
    ))
}
