//! Project visibility (`PROJECT_VISIBILITY_ENABLED`) and a user's reach on
//! a project (direct membership plus IdP group grants). Visibility never
//! grants anything: it only narrows what a user's roles already reach, so
//! it is applied at one point, the permission subject (`projects::subject`)
//! and the listings, never per handler. Server admins, service tokens and
//! the system are never narrowed; anonymous callers are refused
//! altogether while it is on (see `Domain::anonymous_policy`).
use crate::Domain;
use crate::error::DomainResult;
use crate::principal::{Actor, Principal};
use heartlock_core::roles::{ProjectRole, ServerRole};
use heartlock_store::{ProjectRecord, UserRecord};

/// Sees every project the user reaches.
pub const ASSIGNED_GROUP: &str = "heartlock-visibility-assigned";
/// Sees the projects the user reaches whose org has a `heartlock-org-…` group.
pub const ORG_GROUP: &str = "heartlock-visibility-org";
/// `heartlock-org-<org>`: the org a user with [`ORG_GROUP`] may see.
pub const ORG_PREFIX: &str = "heartlock-org-";

/// What a caller may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Visibility is off, or the caller is never narrowed.
    Everything,
    /// A user under visibility: `assigned` for the assignment scope, and
    /// the orgs of their `heartlock-org-…` groups when they have the org
    /// scope (empty without it).
    Narrowed { assigned: bool, orgs: Vec<String> },
}

impl Scope {
    /// Whether a project the caller reaches is also visible to them.
    pub(crate) fn shows(&self, project: &ProjectRecord) -> bool {
        match self {
            Scope::Everything => true,
            Scope::Narrowed { assigned, orgs } => {
                *assigned || project.org.as_ref().is_some_and(|o| orgs.contains(o))
            }
        }
    }

    /// The org filter of a listing: `None` for "no org filter", `Some(orgs)`
    /// for "only these orgs" (empty: nothing).
    pub(crate) fn org_filter(&self) -> Option<&[String]> {
        match self {
            Scope::Everything | Scope::Narrowed { assigned: true, .. } => None,
            Scope::Narrowed { orgs, .. } => Some(orgs.as_slice()),
        }
    }
}

/// The scope of a user's groups under visibility.
pub(crate) fn user_scope(dom: &Domain, user: &UserRecord) -> Scope {
    let admin = user.is_superuser || user.role == ServerRole::Admin;
    if !dom.settings.project_visibility_enabled || admin {
        return Scope::Everything;
    }
    let has = |g: &str| user.idp_groups.iter().any(|x| x == g);
    let orgs = if has(ORG_GROUP) {
        user.idp_groups
            .iter()
            .filter_map(|g| g.strip_prefix(ORG_PREFIX))
            .filter(|o| !o.is_empty())
            .map(str::to_string)
            .collect()
    } else {
        Vec::new()
    };
    Scope::Narrowed {
        assigned: has(ASSIGNED_GROUP),
        orgs,
    }
}

/// A user's reach on one project, from every source of access.
#[derive(Debug, Clone, Default)]
pub(crate) struct Reach {
    /// The highest role of the direct membership and the matching grants.
    pub role: Option<ProjectRole>,
    /// Environment ids: the union of the limits of every source; `None`
    /// when any source reaches every environment.
    pub limit: Option<Vec<String>>,
}

/// Direct membership plus the grants to the user's IdP groups (visibility
/// not applied).
pub(crate) async fn reach(
    dom: &Domain,
    user: &UserRecord,
    project_id: &str,
) -> DomainResult<Reach> {
    let mut sources: Vec<(ProjectRole, Option<Vec<String>>)> = Vec::new();
    if let Some(role) = dom.store.membership_role(project_id, &user.id).await? {
        let limit = dom
            .store
            .membership_environments(project_id, &user.id)
            .await?;
        sources.push((role, limit));
    }
    for g in dom
        .store
        .group_grants_matching(project_id, &user.idp_groups)
        .await?
    {
        sources.push((g.role, g.environments));
    }
    Ok(combine(sources))
}

/// The highest role, and the union of the limits (any unlimited source
/// makes the whole reach unlimited).
fn combine(sources: Vec<(ProjectRole, Option<Vec<String>>)>) -> Reach {
    let role = sources.iter().map(|(r, _)| *r).max();
    let mut limit: Option<Vec<String>> = if sources.is_empty() {
        None
    } else {
        Some(Vec::new())
    };
    for (_, l) in sources {
        match (&mut limit, l) {
            (Some(acc), Some(ids)) => {
                for id in ids {
                    if !acc.contains(&id) {
                        acc.push(id);
                    }
                }
            }
            (_, None) => limit = None,
            (None, Some(_)) => {}
        }
    }
    Reach { role, limit }
}

/// The user's role on `project` as permissions see it: their reach, or
/// none when visibility hides the project from them.
pub(crate) async fn effective_role(
    dom: &Domain,
    user: &UserRecord,
    project: &ProjectRecord,
) -> DomainResult<Option<ProjectRole>> {
    if !user_scope(dom, user).shows(project) {
        return Ok(None);
    }
    Ok(reach(dom, user, &project.id).await?.role)
}

/// Ids of every project a user reaches, directly or through a group.
async fn reached_project_ids(dom: &Domain, user: &UserRecord) -> DomainResult<Vec<String>> {
    let mut ids = dom.store.member_project_ids(&user.id).await?;
    for g in dom.store.group_grants_of_groups(&user.idp_groups).await? {
        if !ids.contains(&g.project_id) {
            ids.push(g.project_id);
        }
    }
    Ok(ids)
}

/// Ids of the visible projects where the user's role is one of `roles`
/// (whose audit events they may read, say).
pub(crate) async fn project_ids_with_role(
    dom: &Domain,
    user: &UserRecord,
    roles: &[ProjectRole],
) -> DomainResult<Vec<String>> {
    let mut out = Vec::new();
    for id in reached_project_ids(dom, user).await? {
        let Some(project) = dom.store.project_by_id(&id).await? else {
            continue;
        };
        if let Some(role) = effective_role(dom, user, &project).await?
            && roles.contains(&role)
        {
            out.push(id);
        }
    }
    Ok(out)
}

/// Whether the caller may see `person` in people pickers and user lists:
/// always themselves; under the assignment scope people sharing a project
/// with them; under the org scope people in one of their org groups.
pub(crate) async fn shows_person(
    dom: &Domain,
    caller: &Principal,
    person: &UserRecord,
) -> DomainResult<bool> {
    let Actor::User { user, .. } = &caller.actor else {
        return Ok(true);
    };
    let Scope::Narrowed { assigned, orgs } = user_scope(dom, user) else {
        return Ok(true);
    };
    if person.id == user.id {
        return Ok(true);
    }
    let in_org = orgs.iter().any(|o| {
        person
            .idp_groups
            .iter()
            .any(|g| g.strip_prefix(ORG_PREFIX) == Some(o.as_str()))
    });
    if in_org {
        return Ok(true);
    }
    if !assigned {
        return Ok(false);
    }
    let mine = reached_project_ids(dom, user).await?;
    let theirs = reached_project_ids(dom, person).await?;
    Ok(mine.iter().any(|id| theirs.contains(id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&str]) -> Option<Vec<String>> {
        Some(list.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn highest_role_and_union_of_limits() {
        let r = combine(vec![
            (ProjectRole::Viewer, ids(&["a"])),
            (ProjectRole::Member, ids(&["b", "a"])),
        ]);
        assert_eq!(r.role, Some(ProjectRole::Member));
        assert_eq!(r.limit, ids(&["a", "b"]));
        let r = combine(vec![
            (ProjectRole::Member, ids(&["a"])),
            (ProjectRole::Viewer, None),
        ]);
        assert_eq!(r.limit, None);
        let r = combine(vec![]);
        assert_eq!((r.role, r.limit), (None, None));
    }
}
