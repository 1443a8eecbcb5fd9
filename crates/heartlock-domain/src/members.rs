//! Project members: who has which role, and in which environments. Only
//! owners grant or take the owner role, and a project always keeps one
//! owner. A viewer or member may be limited to some environments (see
//! `env_access`); owners and admins always reach all of them, so setting a
//! limit on one is refused.
use crate::Domain;
use crate::audit_event::{EventExt, event};
use crate::error::{DomainError, DomainResult};
use crate::principal::Principal;
use crate::projects::{access, decide, subject};
use heartlock_core::audit::Outcome;
use heartlock_core::roles::{Action, ProjectRole, authorize};
use heartlock_store::{EnvironmentRecord, ProjectRecord, UserRecord};

/// One member of a project.
#[derive(Debug, Clone)]
pub struct Member {
    pub user: UserRecord,
    pub role: ProjectRole,
    /// The slugs of the environments the member is limited to, in project
    /// order; `None` for every environment.
    pub environments: Option<Vec<String>>,
}

/// The members of a project (ViewMembers), by email.
pub async fn list(dom: &Domain, caller: &Principal, slug: &str) -> DomainResult<Vec<Member>> {
    let p = access(dom, caller, slug, Action::ViewMembers).await?;
    let envs = dom.store_as(caller).environments(&p.id).await?;
    let limits = dom.store_as(caller).member_environments(&p.id).await?;
    Ok(dom
        .store_as(caller)
        .members(&p.id)
        .await?
        .into_iter()
        .map(|(user, role)| {
            let limit = limits
                .iter()
                .find(|(id, _)| *id == user.id)
                .and_then(|(_, l)| l.as_deref());
            Member {
                environments: limit.map(|ids| slugs(&envs, ids)),
                user,
                role,
            }
        })
        .collect())
}

/// The slugs of the environments in `ids`, in project order (an environment
/// deleted since is gone from the list).
pub(crate) fn slugs(envs: &[EnvironmentRecord], ids: &[String]) -> Vec<String> {
    envs.iter()
        .filter(|e| ids.contains(&e.id))
        .map(|e| e.slug.clone())
        .collect()
}

/// Environment slugs from a request, as ids of `project`'s environments:
/// unknown slugs are a validation error on `environments`, and a limit only
/// fits viewers and members.
pub(crate) async fn environment_ids(
    dom: &Domain,
    project: &ProjectRecord,
    role: ProjectRole,
    environments: Option<&[String]>,
) -> DomainResult<Option<Vec<String>>> {
    let Some(wanted) = environments else {
        return Ok(None);
    };
    if role >= ProjectRole::Admin {
        return Err(DomainError::validation(
            "environments",
            "owners and admins reach every environment; leave the list out",
        ));
    }
    if wanted.len() > crate::projects::MAX_ENVIRONMENTS {
        return Err(DomainError::validation(
            "environments",
            format!("at most {} environments", crate::projects::MAX_ENVIRONMENTS),
        ));
    }
    if wanted.is_empty() {
        return Err(DomainError::validation(
            "environments",
            "name at least one environment, or leave the list out for all",
        ));
    }
    let envs = dom.store.environments(&project.id).await?;
    let mut ids = Vec::with_capacity(wanted.len());
    for slug in wanted {
        let env = envs.iter().find(|e| e.slug == *slug).ok_or_else(|| {
            DomainError::validation("environments", format!("no environment {slug}"))
        })?;
        if !ids.contains(&env.id) {
            ids.push(env.id.clone());
        }
    }
    Ok(Some(ids))
}

/// Adds a user (by email) or changes their role and environments
/// (ManageMembers). `environments` (slugs) limits a viewer or member to
/// those; `None` gives every environment.
pub async fn add(
    dom: &Domain,
    caller: &Principal,
    slug: &str,
    email: &str,
    role: &str,
    environments: Option<&[String]>,
) -> DomainResult<Member> {
    let p = access(dom, caller, slug, Action::ManageMembers).await?;
    let role = parse_role(role)?;
    let limit = environment_ids(dom, &p, role, environments).await?;
    set_member(dom, caller, &p, email, role, limit).await
}

/// Changes the role and environments of an existing member (ManageMembers).
pub async fn change_role(
    dom: &Domain,
    caller: &Principal,
    slug: &str,
    user_id: &str,
    role: &str,
    environments: Option<&[String]>,
) -> DomainResult<Member> {
    let p = access(dom, caller, slug, Action::ManageMembers).await?;
    let role = parse_role(role)?;
    dom.store
        .membership_role(&p.id, user_id)
        .await?
        .ok_or(DomainError::NotFound("member not found"))?;
    let user = dom
        .store_as(caller)
        .user_by_id(user_id)
        .await?
        .ok_or(DomainError::NotFound("member not found"))?;
    let limit = environment_ids(dom, &p, role, environments).await?;
    set_member(dom, caller, &p, &user.email, role, limit).await
}

/// Removes a member (ManageMembers; owners only for an owner).
pub async fn remove(
    dom: &Domain,
    caller: &Principal,
    slug: &str,
    user_id: &str,
) -> DomainResult<()> {
    let p = access(dom, caller, slug, Action::ManageMembers).await?;
    remove_member(dom, caller, &p, user_id).await
}

/// A role name from a form or a request body.
fn parse_role(role: &str) -> DomainResult<ProjectRole> {
    ProjectRole::parse(role)
        .ok_or_else(|| DomainError::validation("role", "must be owner, admin, member or viewer"))
}

/// Adds or changes a member. Only owners grant or take the owner role, and
/// the last owner cannot be demoted.
async fn set_member(
    dom: &Domain,
    caller: &Principal,
    project: &ProjectRecord,
    email: &str,
    role: ProjectRole,
    limit: Option<Vec<String>>,
) -> DomainResult<Member> {
    let user = dom
        .store_as(caller)
        .user_by_email(&email.trim().to_lowercase())
        .await?
        .ok_or_else(|| DomainError::validation("email", "no user with this email"))?;
    // Under project visibility a person the caller may not see is answered
    // as unknown, so the form is no way to probe for accounts.
    if !crate::visibility::shows_person(dom, caller, &user).await? {
        return Err(DomainError::validation("email", "no user with this email"));
    }
    let current = dom
        .store_as(caller)
        .membership_role(&project.id, &user.id)
        .await?;
    if role == ProjectRole::Owner || current == Some(ProjectRole::Owner) {
        decide(authorize(
            subject(dom, caller, project, None).await?,
            Action::ManageOwners,
        ))?;
    }
    if current == Some(ProjectRole::Owner)
        && role != ProjectRole::Owner
        && dom.store_as(caller).count_owners(&project.id).await? <= 1
    {
        return Err(DomainError::Conflict(
            "a project must keep at least one owner".into(),
        ));
    }
    let envs = dom.store_as(caller).environments(&project.id).await?;
    let environments = limit.as_deref().map(|ids| slugs(&envs, ids));
    let reach = match &environments {
        Some(list) => format!("in {}", list.join(", ")),
        None => "in every environment".to_string(),
    };
    let ev = event(dom, caller, "member.set", Outcome::Success)
        .project(&project.id)
        .detail(format!("{} is now {} {reach}", user.email, role.as_str()));
    let (uid, now, limit) = (&user.id, dom.clock.now_ms(), limit.as_deref());
    crate::audit::write(dom, caller, vec![ev], |store| async move {
        store
            .set_membership_with_environments(&project.id, uid, role, limit, now)
            .await
    })
    .await?;
    Ok(Member {
        user,
        role,
        environments,
    })
}

async fn remove_member(
    dom: &Domain,
    caller: &Principal,
    project: &ProjectRecord,
    user_id: &str,
) -> DomainResult<()> {
    let current = dom
        .store_as(caller)
        .membership_role(&project.id, user_id)
        .await?;
    let Some(current) = current else {
        return Err(DomainError::NotFound("member not found"));
    };
    if current == ProjectRole::Owner {
        decide(authorize(
            subject(dom, caller, project, None).await?,
            Action::ManageOwners,
        ))?;
        if dom.store_as(caller).count_owners(&project.id).await? <= 1 {
            return Err(DomainError::Conflict(
                "a project must keep at least one owner".into(),
            ));
        }
    }
    let ev = event(dom, caller, "member.remove", Outcome::Success)
        .project(&project.id)
        .detail(format!("user {user_id} removed"));
    let removed = crate::audit::write(dom, caller, vec![ev], |store| async move {
        store.remove_membership(&project.id, user_id).await
    })
    .await?;
    // Removed meanwhile by someone else: nothing happened, nothing recorded.
    if !removed {
        return Err(DomainError::NotFound("member not found"));
    }
    Ok(())
}
