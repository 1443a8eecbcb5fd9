//! Project roles granted to identity-provider groups: everyone whose
//! `OIDC_GROUPS_CLAIM` (stored at each sign-in) names the group gets the
//! role, possibly limited to some environments like a membership. A user's
//! role is the highest of their membership and their groups' grants, and
//! their environments the union of every source's (see `visibility::reach`).
//! Listing takes ViewMembers (like the member list); every change takes
//! ManageMembers, and owners only grant, change or revoke the owner role.
use crate::Domain;
use crate::audit_event::{EventExt, event};
use crate::error::{DomainError, DomainResult};
use crate::members::{environment_ids, slugs};
use crate::principal::Principal;
use crate::projects::{access, decide, subject};
use heartlock_core::audit::Outcome;
use heartlock_core::roles::{Action, ProjectRole, authorize};
use heartlock_store::{GroupGrantRecord, ProjectRecord};

/// The longest group name accepted (as the OIDC sign-in keeps).
pub const MAX_GROUP_LEN: usize = 200;

/// One grant as its readers see it.
#[derive(Debug, Clone)]
pub struct GroupGrant {
    pub group: String,
    pub role: ProjectRole,
    /// The slugs of the environments the grant is limited to, in project
    /// order; `None` for every environment.
    pub environments: Option<Vec<String>>,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// A group name from a request: 1 to 200 characters, no control
/// characters. Kept exactly as given, spaces included (providers compare
/// names exactly).
pub fn validate_group(name: &str) -> DomainResult<()> {
    if name.is_empty() || name.chars().count() > MAX_GROUP_LEN || name.chars().any(char::is_control)
    {
        return Err(DomainError::validation(
            "group",
            "must be 1 to 200 characters, without control characters",
        ));
    }
    Ok(())
}

fn parse_role(role: &str) -> DomainResult<ProjectRole> {
    ProjectRole::parse(role)
        .ok_or_else(|| DomainError::validation("role", "must be owner, admin, member or viewer"))
}

async fn view(
    dom: &Domain,
    project: &ProjectRecord,
    g: GroupGrantRecord,
) -> DomainResult<GroupGrant> {
    let envs = dom.store.environments(&project.id).await?;
    Ok(GroupGrant {
        environments: g.environments.as_deref().map(|ids| slugs(&envs, ids)),
        group: g.group_name,
        role: g.role,
        created_at: g.created_at,
    })
}

/// The grants of a project, by group name (ViewMembers).
pub async fn list(dom: &Domain, caller: &Principal, slug: &str) -> DomainResult<Vec<GroupGrant>> {
    let p = access(dom, caller, slug, Action::ViewMembers).await?;
    let envs = dom.store_as(caller).environments(&p.id).await?;
    Ok(dom
        .store_as(caller)
        .group_grants(&p.id)
        .await?
        .into_iter()
        .map(|g| GroupGrant {
            environments: g.environments.as_deref().map(|ids| slugs(&envs, ids)),
            group: g.group_name,
            role: g.role,
            created_at: g.created_at,
        })
        .collect())
}

/// Grants `role` to `group` on a project, or changes an existing grant
/// (ManageMembers; ManageOwners for the owner role). `environments` (slugs)
/// limits a viewer or member grant; `None` gives every environment.
pub async fn grant(
    dom: &Domain,
    caller: &Principal,
    slug: &str,
    group: &str,
    role: &str,
    environments: Option<&[String]>,
) -> DomainResult<GroupGrant> {
    let p = access(dom, caller, slug, Action::ManageMembers).await?;
    validate_group(group)?;
    let role = parse_role(role)?;
    let limit = environment_ids(dom, &p, role, environments).await?;
    set(dom, caller, &p, group, role, limit).await
}

/// Changes the role and environments of an existing grant (404 without one).
pub async fn change(
    dom: &Domain,
    caller: &Principal,
    slug: &str,
    group: &str,
    role: &str,
    environments: Option<&[String]>,
) -> DomainResult<GroupGrant> {
    let p = access(dom, caller, slug, Action::ManageMembers).await?;
    dom.store
        .group_grant(&p.id, group)
        .await?
        .ok_or(DomainError::NotFound("group grant not found"))?;
    let role = parse_role(role)?;
    let limit = environment_ids(dom, &p, role, environments).await?;
    set(dom, caller, &p, group, role, limit).await
}

/// Revokes a grant (ManageMembers; ManageOwners for an owner grant).
pub async fn revoke(dom: &Domain, caller: &Principal, slug: &str, group: &str) -> DomainResult<()> {
    let p = access(dom, caller, slug, Action::ManageMembers).await?;
    let current = dom
        .store_as(caller)
        .group_grant(&p.id, group)
        .await?
        .ok_or(DomainError::NotFound("group grant not found"))?;
    if current.role == ProjectRole::Owner {
        decide(authorize(
            subject(dom, caller, &p, None).await?,
            Action::ManageOwners,
        ))?;
    }
    let ev = event(dom, caller, "group_grant.delete", Outcome::Success)
        .project(&p.id)
        .detail(format!("group {group} no longer has a role"));
    let pid = &p.id;
    let removed = crate::audit::write(dom, caller, vec![ev], |store| async move {
        store.delete_group_grant(pid, group).await
    })
    .await?;
    // Removed meanwhile by someone else: nothing happened, nothing recorded.
    if !removed {
        return Err(DomainError::NotFound("group grant not found"));
    }
    Ok(())
}

/// Writes a grant with its audit event (`group_grant.create` or
/// `group_grant.update`). The owner role, given or taken, takes an owner.
async fn set(
    dom: &Domain,
    caller: &Principal,
    project: &ProjectRecord,
    group: &str,
    role: ProjectRole,
    limit: Option<Vec<String>>,
) -> DomainResult<GroupGrant> {
    let current = dom.store_as(caller).group_grant(&project.id, group).await?;
    if role == ProjectRole::Owner
        || current
            .as_ref()
            .is_some_and(|g| g.role == ProjectRole::Owner)
    {
        decide(authorize(
            subject(dom, caller, project, None).await?,
            Action::ManageOwners,
        ))?;
    }
    let envs = dom.store_as(caller).environments(&project.id).await?;
    let reach = match limit.as_deref() {
        Some(ids) => format!("in {}", slugs(&envs, ids).join(", ")),
        None => "in every environment".to_string(),
    };
    let action = if current.is_some() {
        "group_grant.update"
    } else {
        "group_grant.create"
    };
    let ev = event(dom, caller, action, Outcome::Success)
        .project(&project.id)
        .detail(format!("group {group} is now {} {reach}", role.as_str()));
    let (pid, now, ids) = (&project.id, dom.now_ms(), limit.as_deref());
    crate::audit::write(dom, caller, vec![ev], |store| async move {
        store.upsert_group_grant(pid, group, role, ids, now).await
    })
    .await?;
    let stored = dom
        .store_as(caller)
        .group_grant(&project.id, group)
        .await?
        .ok_or(DomainError::NotFound("group grant not found"))?;
    view(dom, project, stored).await
}

/// At a provider sign-in: when `groups` (what the provider reports now)
/// lacks a group `before` had, every live session of the user, browser and
/// API, ends (the one being signed in to is created afterwards), so access
/// that came through the lost group does not outlive the sign-in that
/// noticed it. Audited as `auth.sessions_ended_groups_lost`.
pub(crate) async fn end_sessions_if_groups_lost(
    dom: &Domain,
    caller: &Principal,
    before: &heartlock_store::UserRecord,
    groups: &[String],
) -> DomainResult<()> {
    let lost: Vec<&str> = before
        .idp_groups
        .iter()
        .filter(|g| !groups.contains(g))
        .map(String::as_str)
        .collect();
    if lost.is_empty() {
        return Ok(());
    }
    let now = dom.now_ms();
    let ended = dom
        .store_as(caller)
        .revoke_user_web_sessions(&before.id, None, now)
        .await?
        + dom
            .store_as(caller)
            .revoke_user_sessions(&before.id, None, now)
            .await?;
    let mut ev = event(
        dom,
        caller,
        "auth.sessions_ended_groups_lost",
        Outcome::Success,
    )
    .detail(format!(
        "{ended} session(s) ended: no longer in {}",
        lost.join(", ")
    ));
    ev.actor_kind = heartlock_core::audit::ActorKind::User;
    ev.actor_id = Some(before.id.clone());
    ev.actor_name = Some(before.email.clone());
    dom.audit.record(ev).await;
    Ok(())
}
