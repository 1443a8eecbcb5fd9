//! `heartlock tokens create | ls | revoke`: a project's service tokens.
use super::args::{Output, Target};
use super::context::Context;
use super::error::{CliResult, usage};
use super::output::{self, Table, date_ms, opt_date_ms};
use super::session::Session;
use clap::{Args, Subcommand};
use heartlock_client::{NewToken, TokenInfo};
use serde_json::json;

#[derive(Args)]
pub struct TokensArgs {
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    out: Output,
    #[command(subcommand)]
    cmd: TokensCommand,
}

#[derive(Subcommand)]
enum TokensCommand {
    /// Create a token; it is printed once, on standard output.
    Create {
        name: String,
        /// Environments the token may use (default: the current one).
        #[arg(long = "env", value_name = "ENV")]
        environments: Vec<String>,
        /// Allow writes too (default: read only).
        #[arg(long)]
        read_write: bool,
        /// Days until the token stops working (default: never).
        #[arg(long, value_name = "N")]
        expires_in_days: Option<u32>,
        /// Client addresses or CIDRs allowed to use it (default: any).
        #[arg(long = "allow-cidr", value_name = "CIDR")]
        allowed_cidrs: Vec<String>,
    },
    /// The project's tokens (never the tokens themselves).
    Ls,
    /// Revoke a token, by id or by name (of exactly one active token).
    Revoke {
        #[arg(value_name = "ID_OR_NAME")]
        token: String,
    },
}

fn info_json(t: &TokenInfo) -> serde_json::Value {
    json!({
        "id": t.id, "name": t.name, "prefix": t.prefix, "environments": t.environments,
        "access": t.access, "allowed_cidrs": t.allowed_cidrs, "expires_at": output::json_time(t.expires_at),
        "last_used_at": output::json_time(t.last_used_at), "revoked_at": output::json_time(t.revoked_at),
        "created_by": t.created_by, "created_at": output::json_time(t.created_at),
    })
}

pub async fn run(args: TokensArgs) -> CliResult<()> {
    let ctx = Context::resolve(&args.target)?;
    let project = ctx.project()?;
    match args.cmd {
        TokensCommand::Create {
            name,
            environments,
            read_write,
            expires_in_days,
            allowed_cidrs,
        } => {
            let environments = if environments.is_empty() {
                vec![
                    ctx.environment()
                        .map_err(|_| {
                            usage("no environment for the token: use --env ENV (repeatable)")
                        })?
                        .to_string(),
                ]
            } else {
                environments
            };
            let new = NewToken {
                name,
                environments,
                access: if read_write { "read_write" } else { "read" }.into(),
                expires_in_days,
                allowed_cidrs,
            };
            let mut s = Session::open(&ctx).await?;
            let created = s
                .call(async |c| c.create_token(project, &new).await)
                .await?;
            eprintln!(
                "heartlock: store this token now: it will not be shown again (id {})",
                created.info.id
            );
            if args.out.json {
                let mut v = info_json(&created.info);
                v["token"] = json!(created.token);
                return output::json(&v);
            }
            output::out(&format!("{}\n", created.token))
        }
        TokensCommand::Ls => {
            let mut s = Session::open(&ctx).await?;
            let list = s
                .call_all(async |c, page| c.list_tokens(project, page).await)
                .await?;
            if args.out.json {
                return output::json(&json!(list.iter().map(info_json).collect::<Vec<_>>()));
            }
            let mut t = Table::new(&[
                "ID",
                "NAME",
                "PREFIX",
                "ACCESS",
                "ENVIRONMENTS",
                "EXPIRES",
                "LAST USED",
                "STATUS",
                "CREATED",
            ]);
            for i in list {
                let status = if i.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                t.row(vec![
                    i.id.clone(),
                    i.name.clone(),
                    i.prefix.clone(),
                    i.access.clone(),
                    i.environments.join(", "),
                    opt_date_ms(i.expires_at),
                    opt_date_ms(i.last_used_at),
                    status.into(),
                    date_ms(i.created_at),
                ]);
            }
            t.print()
        }
        TokensCommand::Revoke { token } => {
            let mut s = Session::open(&ctx).await?;
            let list = s
                .call_all(async |c, page| c.list_tokens(project, page).await)
                .await?;
            let id = pick_token(&list, &token, project)?;
            s.call(async |c| c.revoke_token(project, &id).await).await?;
            if args.out.json {
                return output::json(&json!({ "id": id, "revoked": true }));
            }
            output::out(&format!("revoked token {id}\n"))
        }
    }
}

/// The token `wanted` names: an id, else the name of exactly one token
/// that is not revoked yet.
fn pick_token(list: &[TokenInfo], wanted: &str, project: &str) -> CliResult<String> {
    if let Some(t) = list.iter().find(|t| t.id == wanted) {
        return Ok(t.id.clone());
    }
    let live: Vec<&TokenInfo> = list
        .iter()
        .filter(|t| t.name == wanted && t.revoked_at.is_none())
        .collect();
    match live.as_slice() {
        [one] => Ok(one.id.clone()),
        [] => Err(usage(format!(
            "project {project} has no active token with the id or name {wanted:?} \
             (`heartlock tokens ls` lists them)"
        ))),
        many => Err(usage(format!(
            "{} active tokens are named {wanted:?}: revoke one by id ({})",
            many.len(),
            many.iter()
                .map(|t| t.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}
