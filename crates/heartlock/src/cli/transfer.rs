//! `heartlock export` and `heartlock import`. Export fetches the JSON export
//! and renders locally with the same code the server uses; import sends the
//! document to the server's atomic import (a bad line writes nothing).
use super::args::{Output, Target};
use super::context::Context;
use super::error::{CliError, CliResult, failed, usage};
use super::output;
use super::paths;
use super::session::Session;
use clap::Args;
use heartlock_client::ClientError;
use heartlock_core::formats::{self, Format, SecretMap};
use serde_json::json;
use std::io::Read;
use std::path::{Path, PathBuf};

fn parse_format(s: &str) -> Result<Format, String> {
    Format::parse_name(s).ok_or_else(|| "expected dotenv, json, yaml, shell or docker".into())
}

#[derive(Args)]
pub struct ExportArgs {
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    out: Output,
    /// dotenv, json, yaml, shell or docker (an env-file for `docker run --env-file`).
    #[arg(long, short = 'f', value_parser = parse_format, default_value = "dotenv")]
    format: Format,
    /// Write to this file (mode 0600) instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Args)]
pub struct ImportArgs {
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    out: Output,
    /// The file to import, or - for standard input.
    file: PathBuf,
    /// dotenv, json, yaml, shell or docker (default: from the file name).
    #[arg(long, short = 'f', value_parser = parse_format)]
    format: Option<Format>,
}

pub async fn export(args: ExportArgs) -> CliResult<()> {
    let ctx = Context::resolve(&args.target)?;
    let (project, env) = (ctx.project()?, ctx.environment()?);
    // `--json` is a shorthand for `--format json` here.
    let format = if args.out.json {
        Format::Json
    } else {
        args.format
    };
    let mut s = Session::open(&ctx).await?;
    let body = s
        .call(async |c| c.export_secrets(project, env, None).await)
        .await?;
    let secrets: SecretMap = serde_json::from_str(&body).map_err(|_| {
        CliError::Client(ClientError::Decode(
            "the export is not a JSON object of strings".into(),
        ))
    })?;
    let text = formats::render(format, &secrets)
        .map_err(|e| failed(format!("cannot export as {format}: {e}")))?;
    match &args.output {
        Some(path) => paths::write_private(path, text.as_bytes()),
        None => output::out(&text),
    }
}

/// The format a file name implies: `.env` (and `.env.*`, `*.env`) is
/// dotenv, then `.json`, `.yaml`/`.yml`, `.sh`.
fn guess_format(path: &Path) -> Option<Format> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    if name == ".env" || name.starts_with(".env.") {
        return Some(Format::Dotenv);
    }
    let ext = path.extension()?.to_str()?;
    Format::parse_name(ext)
}

pub async fn import(args: ImportArgs) -> CliResult<()> {
    let ctx = Context::resolve(&args.target)?;
    let (project, env) = (ctx.project()?, ctx.environment()?);
    let from_stdin = args.file.as_os_str() == "-";
    let format = match args.format.or_else(|| guess_format(&args.file)) {
        Some(f) => f,
        None if from_stdin => Format::Dotenv,
        None => {
            return Err(usage(format!(
                "cannot tell the format of {} from its name: use --format",
                args.file.display()
            )));
        }
    };
    let content = read_input(&args.file, from_stdin)?;
    // The server imports dotenv, JSON and YAML; other formats are parsed
    // here (all or nothing, like the server) and sent as JSON.
    let (format, content) = match format {
        Format::Dotenv | Format::Json | Format::Yaml => (format, content),
        other => {
            let map = formats::parse(other, &content)
                .map_err(|e| usage(format!("{}: {e}", args.file.display())))?;
            let json = formats::render(Format::Json, &map)
                .map_err(|e| usage(format!("{}: {e}", args.file.display())))?;
            (Format::Json, json)
        }
    };
    let mut s = Session::open(&ctx).await?;
    let res = s
        .call(async |c| {
            c.import_secrets(project, env, format.as_str(), &content)
                .await
        })
        .await?;
    if args.out.json {
        let list: Vec<_> = res
            .written
            .iter()
            .map(|w| json!({ "key": w.key, "version": w.version }))
            .collect();
        return output::json(&json!({ "written": list }));
    }
    output::out(&format!(
        "imported {} secret(s) into {project}/{env}\n",
        res.written.len()
    ))
}

fn read_input(path: &Path, from_stdin: bool) -> CliResult<String> {
    let mut bytes = Vec::new();
    let read = if from_stdin {
        std::io::stdin().lock().read_to_end(&mut bytes).map(drop)
    } else {
        std::fs::read(path).map(|b| bytes = b)
    };
    read.map_err(|e| usage(format!("cannot read {}: {e}", path.display())))?;
    String::from_utf8(bytes)
        .map_err(|_| usage(format!("{} is not valid UTF-8 text", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_guessed_from_names() {
        let g = |n: &str| guess_format(Path::new(n));
        assert_eq!(g(".env"), Some(Format::Dotenv));
        assert_eq!(g("dir/.env.production"), Some(Format::Dotenv));
        assert_eq!(g("prod.env"), Some(Format::Dotenv));
        assert_eq!(g("a.json"), Some(Format::Json));
        assert_eq!(g("a.YML"), Some(Format::Yaml));
        assert_eq!(g("a.yaml"), Some(Format::Yaml));
        assert_eq!(g("secrets.txt"), None);
    }
}
