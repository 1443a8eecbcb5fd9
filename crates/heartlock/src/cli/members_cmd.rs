//! `heartlock members list | invite | invitations | resend | revoke`: a
//! project's members and the invitations of people to it. The link of an
//! invitation goes to the invited address by email only; it is never shown
//! here.
use super::args::{Output, Target};
use super::context::Context;
use super::error::CliResult;
use super::output::{self, Table, date_ms};
use super::session::Session;
use clap::{Args, Subcommand};
use heartlock_client::{Invitation, NewInvitation};
use serde_json::json;

#[derive(Args)]
pub struct MembersArgs {
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    out: Output,
    #[command(subcommand)]
    cmd: MembersCommand,
}

#[derive(Subcommand)]
enum MembersCommand {
    /// The project's members.
    #[command(alias = "ls")]
    List,
    /// Invite an email address to the project; the link goes by email.
    Invite {
        email: String,
        /// owner, admin, member or viewer.
        #[arg(long, value_name = "ROLE", default_value = "member")]
        role: String,
        /// Limit a viewer or member to these environments
        /// (comma-separated slugs; default: every environment).
        #[arg(long = "env", value_name = "ENV,…", value_delimiter = ',')]
        environments: Vec<String>,
        /// The language of the message: en or fr (default: the invitee's
        /// own, else the server's choice).
        #[arg(long, value_name = "LANG")]
        lang: Option<String>,
    },
    /// The project's pending invitations.
    Invitations,
    /// Send an invitation again with a new link (the old link stops working).
    Resend { id: String },
    /// Revoke an invitation: its link stops working.
    Revoke { id: String },
}

fn invitation_json(i: &Invitation) -> serde_json::Value {
    json!({
        "id": i.id, "email": i.email, "role": i.role, "environments": i.environments,
        "language": i.language, "expires_at": output::json_time(i.expires_at), "expired": i.expired,
        "created_at": output::json_time(i.created_at), "invited_by": i.invited_by,
    })
}

fn reach(envs: &Option<Vec<String>>) -> String {
    match envs {
        Some(list) => list.join(", "),
        None => "all".into(),
    }
}

pub async fn run(args: MembersArgs) -> CliResult<()> {
    let ctx = Context::resolve(&args.target)?;
    let project = ctx.project()?;
    let mut s = Session::open(&ctx).await?;
    let json_out = args.out.json;
    match args.cmd {
        MembersCommand::List => {
            let list = s
                .call_all(async |c, page| c.list_members(project, page).await)
                .await?;
            if json_out {
                let items: Vec<_> = list
                    .iter()
                    .map(|m| {
                        json!({
                            "user_id": m.user_id, "email": m.email, "display_name": m.display_name,
                            "role": m.role, "environments": m.environments,
                        })
                    })
                    .collect();
                return output::json(&json!(items));
            }
            let mut t = Table::new(&["EMAIL", "NAME", "ROLE", "ENVIRONMENTS"]);
            for m in &list {
                t.row(vec![
                    m.email.clone(),
                    m.display_name.clone(),
                    m.role.clone(),
                    reach(&m.environments),
                ]);
            }
            t.print()
        }
        MembersCommand::Invite {
            email,
            role,
            environments,
            lang,
        } => {
            let new = NewInvitation {
                email,
                role,
                environments: (!environments.is_empty()).then_some(environments),
                language: lang,
            };
            let i = s.call(async |c| c.invite(project, &new).await).await?;
            if json_out {
                return output::json(&invitation_json(&i));
            }
            output::out(&format!(
                "invited {} to {project} as {} ({}); the link was sent by email and expires {}\n\
                 invitation id: {}\n",
                i.email,
                i.role,
                match &i.environments {
                    Some(list) => format!("in {}", list.join(", ")),
                    None => "every environment".into(),
                },
                date_ms(i.expires_at),
                i.id
            ))
        }
        MembersCommand::Invitations => {
            let list = s
                .call_all(async |c, page| c.list_invitations(project, page).await)
                .await?;
            if json_out {
                return output::json(&json!(list.iter().map(invitation_json).collect::<Vec<_>>()));
            }
            let mut t = Table::new(&["ID", "EMAIL", "ROLE", "ENVIRONMENTS", "EXPIRES", "BY"]);
            for i in &list {
                let expires = if i.expired {
                    format!("expired {}", date_ms(i.expires_at))
                } else {
                    date_ms(i.expires_at)
                };
                t.row(vec![
                    i.id.clone(),
                    i.email.clone(),
                    i.role.clone(),
                    reach(&i.environments),
                    expires,
                    i.invited_by.clone().unwrap_or_default(),
                ]);
            }
            t.print()
        }
        MembersCommand::Resend { id } => {
            let i = s
                .call(async |c| c.resend_invitation(project, &id).await)
                .await?;
            if json_out {
                return output::json(&invitation_json(&i));
            }
            output::out(&format!(
                "sent the invitation of {} again; the new link expires {}\n",
                i.email,
                date_ms(i.expires_at)
            ))
        }
        MembersCommand::Revoke { id } => {
            s.call(async |c| c.revoke_invitation(project, &id).await)
                .await?;
            if json_out {
                return output::json(&json!({ "id": id, "revoked": true }));
            }
            output::out(&format!("revoked invitation {id} on {project}\n"))
        }
    }
}
