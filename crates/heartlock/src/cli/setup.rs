//! `heartlock setup`: writes `.heartlock.toml` in the current folder.
use super::args::{Output, Target};
use super::context::Context;
use super::error::{CliResult, failed, usage};
use super::output;
use super::project_file::{self, ProjectFile};
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
