//! `heartlock projects ls | create` and `heartlock envs ls`.
use super::args::{Output, Target};
use super::context::Context;
use super::error::CliResult;
use super::output::{self, Table};
use super::session::Session;
use clap::{Args, Subcommand};
use heartlock_client::{Environment, NewProject, Project, ProjectQuery};
use serde_json::json;

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
}

fn env_json(e: &Environment) -> serde_json::Value {
    json!({ "slug": e.slug, "name": e.name, "position": e.position })
}

fn project_json(p: &Project) -> serde_json::Value {
    json!({
        "slug": p.slug, "name": p.name, "org": p.org, "role": p.role,
        "environments": p.environments.iter().map(env_json).collect::<Vec<_>>(),
        "created_at": p.created_at, "updated_at": p.updated_at,
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
    }
}
