//! `heartlock run -- CMD ARGS…`: fetch the environment's secrets (one
//! request to the JSON export) and exec CMD with them. Exec, not spawn: CMD
//! takes over this process, so signals reach it directly and its exit code
//! is the one the caller sees.
use super::args::Target;
use super::cache::{self, Cache};
use super::context::Context;
use super::error::{CliError, CliResult, failed};
use super::output::age;
use super::session::Session;
use clap::Args;
use heartlock_client::ClientError;
use heartlock_core::formats::SecretMap;
use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::process::ExitCode;
use std::time::Duration;

const DEFAULT_MAX_AGE: Duration = Duration::from_secs(24 * 3600);

#[derive(Args)]
#[command(
    after_long_help = "With --fallback-cache, the last successful fetch is kept \
encrypted under ~/.cache/heartlock and used only when the server cannot be reached \
(connection error, timeout or 5xx), never when it refuses the credentials."
)]
pub struct RunArgs {
    #[command(flatten)]
    target: Target,
    /// Keep variables already set in this process (default: secrets win).
    #[arg(long)]
    preserve_env: bool,
    /// Keep an encrypted copy of the secrets; use it when the server is down.
    #[arg(long)]
    fallback_cache: bool,
    /// Oldest cache to use, e.g. 30m, 1h, 2d [default: 24h].
    #[arg(long, value_parser = humantime::parse_duration, requires = "fallback_cache")]
    max_age: Option<Duration>,
    /// A shell command line, run with `sh -c` (pipes, `&&`, `$VAR`
    /// expanded after the secrets are set), instead of `-- CMD ARGS…`.
    #[arg(
        long = "command",
        short = 'c',
        value_name = "SHELL",
        conflicts_with = "command"
    )]
    shell: Option<OsString>,
    /// The command and its arguments (after `--`).
    #[arg(
        required_unless_present = "shell",
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CMD"
    )]
    command: Vec<OsString>,
}

pub fn run(args: RunArgs) -> CliResult<ExitCode> {
    let secrets = super::block_on(fetch(&args))?;
    // Only now, with the runtime gone, replace this process.
    exec(&args, secrets)
}

/// True when the failure says nothing about the credentials: the server
/// could not answer. Refusals (401/403/404…) never fall back.
fn unreachable(e: &CliError) -> bool {
    match e {
        CliError::Client(ClientError::Transport(_)) => true,
        CliError::Client(ClientError::Problem { status, .. }) => *status >= 500,
        _ => false,
    }
}

async fn fetch(args: &RunArgs) -> CliResult<SecretMap> {
    let ctx = Context::resolve(&args.target)?;
    let (project, env) = (ctx.project()?, ctx.environment()?);
    let result = fetch_remote(&ctx, project, env).await;
    if !args.fallback_cache {
        return result;
    }
    let cache = Cache::new(ctx.server()?, project, env)?;
    match result {
        Ok(secrets) => {
            if let Err(e) = cache.save(&secrets) {
                eprintln!("heartlock: warning: cannot update the fallback cache: {e}");
            }
            Ok(secrets)
        }
        Err(e) if unreachable(&e) => from_cache(&cache, e, args.max_age.unwrap_or(DEFAULT_MAX_AGE)),
        Err(e) => {
            // Refused: the credentials no longer reach these secrets, so
            // neither should a copy of them on this disk.
            if matches!(
                e,
                CliError::Client(ClientError::Problem {
                    status: 401 | 403 | 404,
                    ..
                })
            ) {
                let _ = cache.remove();
            }
            Err(e)
        }
    }
}

async fn fetch_remote(ctx: &Context, project: &str, env: &str) -> CliResult<SecretMap> {
    let mut session = Session::open(ctx).await?;
    let body = session
        .call(async |c| c.export_secrets(project, env, None).await)
        .await?;
    // Never echo the body: it is all secret values.
    serde_json::from_str(&body).map_err(|_| {
        CliError::Client(ClientError::Decode(
            "the export is not a JSON object of strings".into(),
        ))
    })
}

fn from_cache(cache: &Cache, error: CliError, max_age: Duration) -> CliResult<SecretMap> {
    let cached = match cache.load() {
        Ok(Some(c)) => c,
        Ok(None) => {
            return Err(failed(format!(
                "server unreachable ({error}), and there are no cached secrets"
            )));
        }
        Err(e) => return Err(failed(format!("server unreachable ({error}); {e}"))),
    };
    let age_secs = cache::age_secs(cached.fetched_at);
    if age_secs > max_age.as_secs() {
        return Err(failed(format!(
            "server unreachable ({error}), and the cached secrets from {} ago are older \
             than --max-age {}",
            age(age_secs),
            humantime::format_duration(max_age)
        )));
    }
    eprintln!(
        "heartlock: server unreachable, using cached secrets from {} ago",
        age(age_secs)
    );
    Ok(cached.secrets)
}

fn exec(args: &RunArgs, secrets: SecretMap) -> CliResult<ExitCode> {
    let shell;
    let argv: &[OsString] = match &args.shell {
        Some(line) => {
            shell = [OsString::from("sh"), OsString::from("-c"), line.clone()];
            &shell
        }
        None => &args.command,
    };
    let Some((program, rest)) = argv.split_first() else {
        return Err(super::error::usage("no command given"));
    };
    let mut cmd = std::process::Command::new(program);
    cmd.args(rest);
    for (key, value) in secrets {
        if value.contains('\0') {
            return Err(failed(format!(
                "secret {key} contains a NUL character, which an environment variable cannot hold"
            )));
        }
        if args.preserve_env && std::env::var_os(&key).is_some() {
            continue;
        }
        cmd.env(key, value);
    }
    // exec returns only when it failed.
    let err = cmd.exec();
    eprintln!("heartlock: cannot run {}: {err}", program.to_string_lossy());
    // The shell's conventions: 127 not found, 126 not executable.
    Ok(ExitCode::from(match err.kind() {
        std::io::ErrorKind::NotFound => 127,
        _ => 126,
    }))
}
