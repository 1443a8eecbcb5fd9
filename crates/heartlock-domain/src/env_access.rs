//! Environment limits of project memberships: a viewer or member may be
//! limited to some environments of the project. Outside them an environment
//! is answered as if it did not exist (404), and it is left out of every
//! list of environments the member sees. Owners, admins and server admins
//! are never limited (the rule is `heartlock_core::roles::authorize_environment`).
use crate::Domain;
use crate::error::{DomainError, DomainResult};
use crate::principal::{Actor, Principal};
use crate::projects::{decide, subject};
use heartlock_core::roles::{
    Action, Decision, authorize_environment, environment_limit_applies, within_environment_limit,
};
use heartlock_store::{EnvironmentRecord, ProjectRecord};

/// The environment ids the caller is limited to on `project`, or `None`
/// when every environment is reachable as far as memberships and group
/// grants go: the union of the limits of every source that gives access
/// (direct membership, each matching group grant), unlimited if any is.
pub(crate) async fn limit(
    dom: &Domain,
    caller: &Principal,
    project: &ProjectRecord,
) -> DomainResult<Option<Vec<String>>> {
    let Actor::User { user, .. } = &caller.actor else {
        return Ok(None);
    };
    if !environment_limit_applies(subject(dom, caller, project, None).await?) {
        return Ok(None);
    }
    Ok(crate::visibility::reach(dom, user, &project.id)
        .await?
        .limit)
}

/// Checks `action` on one environment against the caller's limit (the
/// project role was checked already). Outside the limit: 404, audited as a
/// denied read or write.
pub(crate) async fn check(
    dom: &Domain,
    caller: &Principal,
    project: &ProjectRecord,
    env: &EnvironmentRecord,
    action: Action,
) -> DomainResult<()> {
    let Some(ids) = limit(dom, caller, project).await? else {
        return Ok(());
    };
    let subject = subject(dom, caller, project, Some(&env.id)).await?;
    let in_limit = within_environment_limit(Some(ids.as_slice()), &env.id);
    let decision = authorize_environment(subject, action, in_limit);
    if decision == Decision::Allow {
        return Ok(());
    }
    crate::projects::record_env_denied(dom, caller, &project.id, &env.id, action).await;
    match decision {
        Decision::Hidden => Err(DomainError::NotFound("environment not found")),
        other => decide(other),
    }
}

/// The environments of `project` listed to the caller (the environments
/// list, a project's environments): a limited member's only. Service tokens
/// keep seeing every environment's name there, as before; their secrets are
/// limited by `access_env` and [`reachable`].
pub(crate) async fn listed(
    dom: &Domain,
    caller: &Principal,
    project: &ProjectRecord,
) -> DomainResult<Vec<EnvironmentRecord>> {
    let mut envs = dom.store_as(caller).environments(&project.id).await?;
    if let Some(ids) = limit(dom, caller, project).await? {
        envs.retain(|e| within_environment_limit(Some(ids.as_slice()), &e.id));
    }
    Ok(envs)
}

/// The environments of `project` the caller may reach, in order: a service
/// token its own, a limited member theirs, everyone else all of them.
pub(crate) async fn reachable(
    dom: &Domain,
    caller: &Principal,
    project: &ProjectRecord,
) -> DomainResult<Vec<EnvironmentRecord>> {
    let envs = dom.store_as(caller).environments(&project.id).await?;
    retain_reachable(dom, caller, project, envs).await
}

/// Keeps, of `envs` (environments of `project`), those the caller may reach.
async fn retain_reachable(
    dom: &Domain,
    caller: &Principal,
    project: &ProjectRecord,
    mut envs: Vec<EnvironmentRecord>,
) -> DomainResult<Vec<EnvironmentRecord>> {
    if let Actor::Token(token) = &caller.actor {
        envs.retain(|e| token.environments.contains(&e.id));
        return Ok(envs);
    }
    if let Some(ids) = limit(dom, caller, project).await? {
        envs.retain(|e| within_environment_limit(Some(ids.as_slice()), &e.id));
    }
    Ok(envs)
}
