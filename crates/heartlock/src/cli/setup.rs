//! `heartlock setup`: writes `.heartlock.toml` in the current folder, once
//! the server has confirmed the project and environment (when there is a
//! credential for it and it answers).
use super::args::{Output, Target};
use super::context::Context;
use super::error::{CliError, CliResult, failed, usage};
use super::output;
use super::project_file::{self, ProjectFile};
use super::session::Session;
use clap::Args;
use serde_json::json;
use std::io::{BufRead, IsTerminal, Write};

#[derive(Args)]
pub struct SetupArgs {
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    out: Output,
    /// Never prompt; fail when a value is missing.
    #[arg(long)]
    no_input: bool,
}

/// Asks for a value on the terminal, offering `current` as the default.
fn ask(label: &str, current: Option<String>) -> CliResult<Option<String>> {
    match &current {
        Some(c) => eprint!("{label} [{c}]: "),
        None => eprint!("{label}: "),
    }
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| usage(format!("cannot read standard input: {e}")))?;
    let line = line.trim();
    Ok(if line.is_empty() {
        current
    } else {
        Some(line.to_string())
    })
}

pub fn run(args: SetupArgs) -> CliResult<()> {
    let ctx = Context::resolve(&args.target)?;
    let interactive = !args.no_input && std::io::stdin().is_terminal();
    let mut values = [
        ("server", "Server URL", ctx.server.clone()),
        ("project", "Project", ctx.project.clone()),
        ("environment", "Environment", ctx.environment.clone()),
    ];
    for (name, label, value) in &mut values {
        if interactive {
            *value = ask(label, value.take())?;
        }
        if value.is_none() {
            return Err(usage(format!(
                "no {name} given: use --{name} (or run `heartlock setup` in a terminal)"
            )));
        }
    }
    let [(_, _, server), (_, _, project), (_, _, environment)] = values;
    if let (Some(server), Some(project), Some(environment)) = (&server, &project, &environment) {
        let server = super::profile::normalize_server(server);
        let target = Context {
            profile: {
                let path = super::profile::profile_path(&server)?;
                super::profile::load(&path)?.map(|p| (path, p))
            },
            server: Some(server),
            project: Some(project.clone()),
            environment: Some(environment.clone()),
            service_token: ctx.service_token.clone(),
        };
        super::block_on(check_target(&target, project, environment))?;
    }
    let file = ProjectFile {
        server: server.map(|s| super::profile::normalize_server(&s)),
        project,
        environment,
    };
    let cwd = std::env::current_dir()
        .map_err(|e| failed(format!("cannot find the current folder: {e}")))?;
    let path = project_file::write(&cwd, &file)?;
    if args.out.json {
        return output::json(&json!({
            "path": path.display().to_string(),
            "server": file.server,
            "project": file.project,
            "environment": file.environment,
        }));
    }
    output::out(&format!("wrote {}\n", path.display()))
}

/// Refuses a project or environment the server says does not exist (or the
/// caller cannot see), listing what there is. Without a credential for the
/// server, or when it cannot be reached, the file is written unchecked and
/// the reason printed.
async fn check_target(ctx: &Context, project: &str, environment: &str) -> CliResult<()> {
    let server = ctx.server()?.to_string();
    if ctx.service_token.is_none() && ctx.profile.is_none() {
        eprintln!("heartlock: not checked: not signed in to {server}");
        return Ok(());
    }
    let unchecked = |e: CliError| {
        eprintln!("heartlock: not checked: {e}");
        Ok(())
    };
    let mut s = match Session::open(ctx).await {
        Ok(s) => s,
        Err(e) => return unchecked(e),
    };
    let envs = s
        .call_all(async |c, page| c.list_environments(project, page).await)
        .await;
    match envs {
        Ok(envs) if envs.iter().any(|e| e.slug == environment) => Ok(()),
        Ok(envs) => {
            let slugs: Vec<&str> = envs.iter().map(|e| e.slug.as_str()).collect();
            Err(usage(format!(
                "project {project} has no environment {environment}; its environments: {}",
                slugs.join(", ")
            )))
        }
        Err(CliError::Client(e)) if e.status() == Some(404) => {
            let query = heartlock_client::ProjectQuery {
                q: None,
                page: Default::default(),
            };
            let mine = s
                .call(async |c| c.list_projects(&query).await)
                .await
                .map(|p| p.items.into_iter().map(|p| p.slug).collect::<Vec<_>>())
                .unwrap_or_default();
            let listed = if mine.is_empty() {
                String::new()
            } else {
                format!("; yours: {}", mine.join(", "))
            };
            Err(usage(format!(
                "no project {project} on {server} (or not one you can see){listed}"
            )))
        }
        Err(e) => unchecked(e),
    }
}
