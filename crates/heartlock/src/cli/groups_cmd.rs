//! `heartlock groups list | grant | revoke`: project roles granted to
//! identity-provider groups.
use super::args::{Output, Target};
use super::context::Context;
use super::error::CliResult;
use super::output::{self, Table, date_ms};
use super::session::Session;
use clap::{Args, Subcommand};
use heartlock_client::GroupGrant;
use serde_json::json;

#[derive(Args)]
pub struct GroupsArgs {
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    out: Output,
    #[command(subcommand)]
    cmd: GroupsCommand,
}

#[derive(Subcommand)]
enum GroupsCommand {
    /// The project's group grants.
    #[command(alias = "ls")]
    List,
    /// Grant a role to a group (or change its grant).
    Grant {
        /// The group name, as the identity provider's groups claim spells it.
        group: String,
        /// owner, admin, member or viewer.
        #[arg(long, value_name = "ROLE")]
        role: String,
        /// Limit a viewer or member grant to these environments
        /// (comma-separated slugs; default: every environment).
        #[arg(long, value_name = "ENV,…", value_delimiter = ',')]
        environments: Vec<String>,
    },
    /// Revoke a group's grant.
    Revoke { group: String },
}

fn grant_json(g: &GroupGrant) -> serde_json::Value {
    json!({
        "group": g.group, "role": g.role, "environments": g.environments,
        "created_at": output::json_time(g.created_at),
    })
}

fn reach(g: &GroupGrant) -> String {
    match &g.environments {
        Some(list) => list.join(", "),
        None => "all".into(),
    }
}

pub async fn run(args: GroupsArgs) -> CliResult<()> {
    let ctx = Context::resolve(&args.target)?;
    let project = ctx.project()?;
    let mut s = Session::open(&ctx).await?;
    match args.cmd {
        GroupsCommand::List => {
            let list = s
                .call_all(async |c, page| c.list_group_grants(project, page).await)
                .await?;
            if args.out.json {
                return output::json(&json!(list.iter().map(grant_json).collect::<Vec<_>>()));
            }
            let mut t = Table::new(&["GROUP", "ROLE", "ENVIRONMENTS", "CREATED"]);
            for g in &list {
                t.row(vec![
                    g.group.clone(),
                    g.role.clone(),
                    reach(g),
                    date_ms(g.created_at),
                ]);
            }
            t.print()
        }
        GroupsCommand::Grant {
            group,
            role,
            environments,
        } => {
            let envs = (!environments.is_empty()).then_some(environments.as_slice());
            let g = s
                .call(async |c| c.grant_group(project, &group, &role, envs).await)
                .await?;
            if args.out.json {
                return output::json(&grant_json(&g));
            }
            output::out(&format!(
                "group {} is now {} in {} of {project}\n",
                g.group,
                g.role,
                match &g.environments {
                    Some(list) => list.join(", "),
                    None => "every environment".into(),
                }
            ))
        }
        GroupsCommand::Revoke { group } => {
            s.call(async |c| c.revoke_group_grant(project, &group).await)
                .await?;
            if args.out.json {
                return output::json(&json!({ "group": group, "revoked": true }));
            }
            output::out(&format!(
                "revoked the grant of group {group} on {project}\n"
            ))
        }
    }
}
