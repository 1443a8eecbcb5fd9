//! Project members: who has which role. Only owners grant or take the
//! owner role, and a project always keeps one owner.
use crate::Domain;
use crate::audit_event::{EventExt, event};
use crate::error::{DomainError, DomainResult};
use crate::principal::Principal;
use crate::projects::{access, decide, subject};
use heartlock_core::audit::Outcome;
use heartlock_core::roles::{Action, ProjectRole, authorize};
use heartlock_store::{ProjectRecord, UserRecord};

/// One member of a project.
#[derive(Debug, Clone)]
pub struct Member {
    pub user: UserRecord,
    pub role: ProjectRole,
}

/// The members of a project (ViewMembers), by email.
pub async fn list(dom: &Domain, caller: &Principal, slug: &str) -> DomainResult<Vec<Member>> {
    let p = access(dom, caller, slug, Action::ViewMembers).await?;
    Ok(dom
        .store
        .members(&p.id)
        .await?
        .into_iter()
        .map(|(user, role)| Member { user, role })
        .collect())
}

/// Adds a user (by email) or changes their role (ManageMembers).
pub async fn add(
    dom: &Domain,
    caller: &Principal,
    slug: &str,
    email: &str,
    role: &str,
) -> DomainResult<Member> {
    let p = access(dom, caller, slug, Action::ManageMembers).await?;
    let role = parse_role(role)?;
    let user = set_member(dom, caller, &p, email, role).await?;
    Ok(Member { user, role })
}

/// Changes the role of an existing member (ManageMembers).
pub async fn change_role(
    dom: &Domain,
    caller: &Principal,
    slug: &str,
    user_id: &str,
    role: &str,
) -> DomainResult<Member> {
    let p = access(dom, caller, slug, Action::ManageMembers).await?;
    let role = parse_role(role)?;
    dom.store
        .membership_role(&p.id, user_id)
        .await?
        .ok_or(DomainError::NotFound("member not found"))?;
    let user = dom
        .store
        .user_by_id(user_id)
        .await?
        .ok_or(DomainError::NotFound("member not found"))?;
    let user = set_member(dom, caller, &p, &user.email, role).await?;
    Ok(Member { user, role })
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
) -> DomainResult<UserRecord> {
    let user = dom
        .store
        .user_by_email(&email.trim().to_lowercase())
        .await?
        .ok_or_else(|| DomainError::validation("email", "no user with this email"))?;
    let current = dom.store.membership_role(&project.id, &user.id).await?;
    if role == ProjectRole::Owner || current == Some(ProjectRole::Owner) {
        decide(authorize(
            subject(dom, caller, project, None).await?,
            Action::ManageOwners,
        ))?;
    }
    if current == Some(ProjectRole::Owner)
        && role != ProjectRole::Owner
        && dom.store.count_owners(&project.id).await? <= 1
    {
        return Err(DomainError::Conflict(
            "a project must keep at least one owner".into(),
        ));
    }
    let ev = event(dom, caller, "member.set", Outcome::Success)
        .project(&project.id)
        .detail(format!("{} is now {}", user.email, role.as_str()));
    let (uid, now) = (&user.id, dom.clock.now_ms());
    crate::audit::write(dom, caller, vec![ev], |store| async move {
        store.set_membership(&project.id, uid, role, now).await
    })
    .await?;
    Ok(user)
}

async fn remove_member(
    dom: &Domain,
    caller: &Principal,
    project: &ProjectRecord,
    user_id: &str,
) -> DomainResult<()> {
    let current = dom.store.membership_role(&project.id, user_id).await?;
    let Some(current) = current else {
        return Err(DomainError::NotFound("member not found"));
    };
    if current == ProjectRole::Owner {
        decide(authorize(
            subject(dom, caller, project, None).await?,
            Action::ManageOwners,
        ))?;
        if dom.store.count_owners(&project.id).await? <= 1 {
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
