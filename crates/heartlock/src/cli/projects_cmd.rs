//! `heartlock projects ls | create` and `heartlock envs ls | create | rename | rm`.
use super::args::{Output, Target};
use super::context::Context;
use super::error::{CliResult, usage};
use super::output::{self, Table};
use super::session::Session;
use clap::{Args, Subcommand};
use heartlock_client::{Environment, EnvironmentUpdate, NewProject, Project, ProjectQuery};
use serde_json::json;
use std::io::IsTerminal;

#[derive(Args)]
pub struct ProjectsArgs {
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    out: Output,
    #[command(subcommand)]
    cmd: ProjectsCommand,
}

#[derive(Subcommand)]
enum ProjectsCommand {
    /// The projects you can see.
    Ls,
    /// Create a project (you become its owner).
    Create {
        name: String,
        /// URL name (default: derived from the name).
        #[arg(long)]
        slug: Option<String>,
        /// Environment slugs, in order (default: development, staging, production).
        #[arg(long = "env", value_name = "ENV")]
        environments: Vec<String>,
    },
}

#[derive(Args)]
pub struct EnvsArgs {
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    out: Output,
    #[command(subcommand)]
    cmd: EnvsCommand,
}

#[derive(Subcommand)]
enum EnvsCommand {
    /// The project's environments, in order.
    Ls,
    /// Add an environment (last in order).
    Create {
        /// Slug: lowercase letters, digits and dashes.
        slug: String,
        /// Display name (default: from the slug).
        #[arg(long)]
        name: Option<String>,
    },
    /// Change an environment's display name (its slug stays).
    Rename { env: String, name: String },
    /// Delete an environment and every secret in it.
    Rm {
        env: String,
        /// Do not ask (required when standard input is not a terminal).
        #[arg(long)]
        yes: bool,
    },
}

fn env_json(e: &Environment) -> serde_json::Value {
    json!({ "slug": e.slug, "name": e.name, "position": e.position })
}

fn project_json(p: &Project) -> serde_json::Value {
    json!({
        "slug": p.slug, "name": p.name, "org": p.org, "role": p.role,
        "environments": p.environments.iter().map(env_json).collect::<Vec<_>>(),
        "created_at": output::json_time(p.created_at), "updated_at": output::json_time(p.updated_at),
    })
}

pub async fn projects(args: ProjectsArgs) -> CliResult<()> {
    let ctx = Context::resolve(&args.target)?;
    let mut s = Session::open(&ctx).await?;
    match args.cmd {
        ProjectsCommand::Ls => {
            let list = s
                .call_all(async |c, page| c.list_projects(&ProjectQuery { q: None, page }).await)
                .await?;
            if args.out.json {
                return output::json(&json!(list.iter().map(project_json).collect::<Vec<_>>()));
            }
            let mut t = Table::new(&["SLUG", "NAME", "ROLE", "ENVIRONMENTS"]);
            for p in list {
                let envs: Vec<_> = p.environments.iter().map(|e| e.slug.as_str()).collect();
                t.row(vec![
                    p.slug.clone(),
                    p.name.clone(),
                    p.role.clone().unwrap_or_else(|| "-".into()),
                    envs.join(", "),
                ]);
            }
            t.print()
        }
        ProjectsCommand::Create {
            name,
            slug,
            environments,
        } => {
            let new = NewProject {
                name,
                slug,
                environments: (!environments.is_empty()).then_some(environments),
                org: None,
            };
            let p = s.call(async |c| c.create_project(&new).await).await?;
            if args.out.json {
                return output::json(&project_json(&p));
            }
            let envs: Vec<_> = p.environments.iter().map(|e| e.slug.as_str()).collect();
            output::out(&format!(
                "created project {} ({}) with environments {}\n",
                p.slug,
                p.name,
                envs.join(", ")
            ))
        }
    }
}

pub async fn envs(args: EnvsArgs) -> CliResult<()> {
    let ctx = Context::resolve(&args.target)?;
    let project = ctx.project()?;
    let mut s = Session::open(&ctx).await?;
    match args.cmd {
        EnvsCommand::Ls => {
            let list = s
                .call_all(async |c, page| c.list_environments(project, page).await)
                .await?;
            if args.out.json {
                return output::json(&json!(list.iter().map(env_json).collect::<Vec<_>>()));
            }
            let mut t = Table::new(&["SLUG", "NAME", "POSITION"]);
            for e in list {
                t.row(vec![e.slug, e.name, e.position.to_string()]);
            }
            t.print()
        }
        EnvsCommand::Create { slug, name } => {
            let e = s
                .call(async |c| c.create_environment(project, &slug, name.as_deref()).await)
                .await?;
            if args.out.json {
                return output::json(&env_json(&e));
            }
            output::out(&format!(
                "created environment {} ({}) in {project}\n",
                e.slug, e.name
            ))
        }
        EnvsCommand::Rename { env, name } => {
            let update = EnvironmentUpdate {
                name: Some(name),
                position: None,
            };
            let e = s
                .call(async |c| c.update_environment(project, &env, &update).await)
                .await?;
            if args.out.json {
                return output::json(&env_json(&e));
            }
            output::out(&format!("renamed environment {} to {}\n", e.slug, e.name))
        }
        EnvsCommand::Rm { env, yes } => {
            confirm_delete(project, &env, yes)?;
            s.call(async |c| c.delete_environment(project, &env).await)
                .await?;
            if args.out.json {
                return output::json(&json!({ "slug": env, "deleted": true }));
            }
            output::out(&format!("deleted environment {env} of {project}\n"))
        }
    }
}

/// Deleting an environment deletes its secrets: `--yes`, or the slug typed
/// again on a terminal.
fn confirm_delete(project: &str, env: &str, yes: bool) -> CliResult<()> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(usage(format!(
            "deleting environment {env} deletes every secret in it: add --yes to confirm"
        )));
    }
    let typed = super::auth::prompt_line(&format!(
        "Delete environment {env} of {project} and every secret in it? Type its slug to confirm: "
    ))?;
    if typed != env {
        return Err(usage("not confirmed: nothing deleted"));
    }
    Ok(())
}
