//! `heartlock secrets ls | get | set | rm | history | rollback`.
use super::args::{Output, Target};
use super::context::Context;
use super::error::{CliResult, usage};
use super::output::{self, Table, date_ms};
use super::session::Session;
use clap::{Args, Subcommand};
use heartlock_client::BatchWrite;
use serde_json::json;
use std::io::{IsTerminal, Read};

/// Shown instead of a value unless `--reveal`.
const MASK: &str = "********";

#[derive(Args)]
pub struct SecretsArgs {
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    out: Output,
    #[command(subcommand)]
    cmd: SecretsCommand,
}

#[derive(Subcommand)]
enum SecretsCommand {
    /// List the keys (values masked unless --reveal).
    Ls {
        /// Show the values too.
        #[arg(long)]
        reveal: bool,
    },
    /// Print one value (with a newline; --raw for the exact bytes).
    Get {
        key: String,
        /// Print the value exactly, without a trailing newline.
        #[arg(long)]
        raw: bool,
    },
    /// Set KEY=VALUE pairs in one atomic write; KEY=- reads the value from
    /// standard input (exact bytes, or a hidden prompt on a terminal).
    Set {
        #[arg(required = true, value_name = "KEY=VALUE")]
        pairs: Vec<String>,
        /// A note kept with the new versions.
        #[arg(long)]
        comment: Option<String>,
    },
    /// Delete keys in one atomic write (their history is kept).
    Rm {
        #[arg(required = true)]
        keys: Vec<String>,
        #[arg(long)]
        comment: Option<String>,
    },
    /// The versions of one key, newest first.
    History {
        key: String,
        /// Show the values too.
        #[arg(long)]
        reveal: bool,
    },
    /// Write a new version equal to an old one.
    Rollback { key: String, version: i64 },
}

pub async fn run(args: SecretsArgs) -> CliResult<()> {
    let ctx = Context::resolve(&args.target)?;
    let (project, env) = (ctx.project()?, ctx.environment()?);
    let json = args.out.json;
    // Check the input before any request: a bad pair must cost nothing.
    let batch = match &args.cmd {
        SecretsCommand::Set { pairs, comment } => Some(parse_pairs(pairs, comment.clone())?),
        _ => None,
    };
    let mut s = Session::open(&ctx).await?;
    match args.cmd {
        SecretsCommand::Ls { reveal } => {
            let items = s
                .call_all(async |c, p| c.list_secrets(project, env, p).await)
                .await?;
            if json {
                let list: Vec<_> = items
                    .iter()
                    .map(|i| {
                        let mut v = json!({ "key": i.key, "version": i.version, "updated_at": output::json_time(i.updated_at) });
                        if reveal {
                            v["value"] = json!(i.value);
                        }
                        v
                    })
                    .collect();
                return output::json(&json!(list));
            }
            let mut t = Table::new(&["KEY", "VALUE", "VERSION", "UPDATED"]);
            for i in items {
                let value = if reveal { i.value.clone() } else { MASK.into() };
                t.row(vec![
                    i.key,
                    value,
                    i.version.to_string(),
                    date_ms(i.updated_at),
                ]);
            }
            t.print()
        }
        SecretsCommand::Get { key, raw } => {
            let secret = s
                .call(async |c| c.get_secret(project, env, &key).await)
                .await?;
            if json {
                return output::json(&json!({
                    "key": secret.key, "value": secret.value,
                    "version": secret.version, "updated_at": output::json_time(secret.updated_at),
                }));
            }
            if raw {
                output::out(&secret.value)
            } else {
                output::out(&format!("{}\n", secret.value))
            }
        }
        SecretsCommand::Set { .. } => {
            let batch = batch.unwrap_or_default();
            let res = s
                .call(async |c| c.batch_write(project, env, &batch).await)
                .await?;
            print_written(json, "set", &res.written)
        }
        SecretsCommand::Rm { keys, comment } => {
            let batch = BatchWrite {
                set: Default::default(),
                delete: keys,
                comment,
            };
            let res = s
                .call(async |c| c.batch_write(project, env, &batch).await)
                .await?;
            print_written(json, "deleted", &res.written)
        }
        SecretsCommand::History { key, reveal } => {
            let versions = s
                .call_all(async |c, p| c.secret_versions(project, env, &key, p).await)
                .await?;
            if json {
                let list: Vec<_> = versions
                    .iter()
                    .map(|v| {
                        let mut o = json!({
                            "version": v.version, "deleted": v.deleted,
                            "author_user_id": v.author_user_id, "author_token_id": v.author_token_id,
                            "comment": v.comment, "created_at": output::json_time(v.created_at),
                        });
                        if reveal {
                            o["value"] = json!(v.value);
                        }
                        o
                    })
                    .collect();
                return output::json(&json!(list));
            }
            let mut t = Table::new(&["VERSION", "VALUE", "DATE", "AUTHOR", "COMMENT"]);
            for v in versions {
                let value = match (&v.value, v.deleted, reveal) {
                    (_, true, _) => "(deleted)".to_string(),
                    (Some(val), _, true) => val.clone(),
                    _ => MASK.into(),
                };
                let author = v
                    .author_user_id
                    .map(|u| format!("user {u}"))
                    .or(v.author_token_id.map(|t| format!("token {t}")))
                    .unwrap_or_else(|| "-".into());
                t.row(vec![
                    v.version.to_string(),
                    value,
                    date_ms(v.created_at),
                    author,
                    v.comment.unwrap_or_default(),
                ]);
            }
            t.print()
        }
        SecretsCommand::Rollback { key, version } => {
            let w = s
                .call(async |c| c.rollback_secret(project, env, &key, version).await)
                .await?;
            print_written(json, "rolled back", &[w])
        }
    }
}

fn print_written(
    json: bool,
    verb: &str,
    written: &[heartlock_client::WrittenKey],
) -> CliResult<()> {
    if json {
        let list: Vec<_> = written
            .iter()
            .map(|w| json!({ "key": w.key, "version": w.version }))
            .collect();
        return output::json(&json!({ "written": list }));
    }
    let mut text = String::new();
    for w in written {
        text.push_str(&format!("{verb} {} (version {})\n", w.key, w.version));
    }
    output::out(&text)
}

/// `KEY=VALUE` pairs into one batch; at most one `KEY=-` reads stdin.
fn parse_pairs(pairs: &[String], comment: Option<String>) -> CliResult<BatchWrite> {
    let mut batch = BatchWrite {
        comment,
        ..Default::default()
    };
    let mut stdin_used = false;
    for pair in pairs {
        // Never echo the pair: the part after `=` is a secret.
        let Some((key, value)) = pair.split_once('=') else {
            return Err(usage(
                "expected KEY=VALUE (or KEY=- to read the value from standard input)",
            ));
        };
        heartlock_core::formats::validate_key(key)
            .map_err(|e| usage(format!("invalid secret name: {}", e.reason())))?;
        let value = if value == "-" {
            if stdin_used {
                return Err(usage("only one KEY=- can read standard input"));
            }
            stdin_used = true;
            read_stdin_value(key)?
        } else {
            value.to_string()
        };
        if batch.set.insert(key.to_string(), value).is_some() {
            return Err(usage(format!("{key} is given twice")));
        }
    }
    Ok(batch)
}

/// Standard input as the value, byte for byte (a hidden prompt when it is
/// a terminal, so the value is neither echoed nor in the shell history).
fn read_stdin_value(key: &str) -> CliResult<String> {
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password(format!("Value for {key}: "))
            .map_err(|e| usage(format!("cannot read the value: {e}")));
    }
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut bytes)
        .map_err(|e| usage(format!("cannot read standard input: {e}")))?;
    String::from_utf8(bytes)
        .map_err(|_| usage(format!("the value for {key} is not valid UTF-8 text")))
}
