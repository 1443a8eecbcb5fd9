//! Environments of a project: list, create, rename, move, delete. Changing
//! them needs `ManageProject`.
use crate::Domain;
use crate::audit_event::{EventExt, event};
use crate::cache::{Change, changed};
use crate::error::{DomainError, DomainResult};
use crate::principal::Principal;
use crate::projects::{access, environment, validate_name, validate_slug};
use heartlock_core::audit::{NewAuditEvent, Outcome};
use heartlock_core::ids;
use heartlock_core::roles::Action;
use heartlock_store::{EnvironmentRecord, ProjectRecord};

fn env_event(
    dom: &Domain,
    caller: &Principal,
    p: &ProjectRecord,
    env_id: &str,
    env_slug: &str,
    action: &str,
) -> NewAuditEvent {
    event(dom, caller, action, Outcome::Success)
        .project(&p.id)
        .environment(env_id)
        .detail(env_slug.to_string())
}

/// The environments of a project in order (ViewProject).
pub async fn list(
    dom: &Domain,
    caller: &Principal,
    slug: &str,
) -> DomainResult<(ProjectRecord, Vec<EnvironmentRecord>)> {
    let p = access(dom, caller, slug, Action::ViewProject).await?;
    // A member limited to some environments lists those only.
    let envs = crate::env_access::listed(dom, caller, &p).await?;
    Ok((p, envs))
}

/// Appends an environment; the name defaults to the slug.
pub async fn create(
    dom: &Domain,
    caller: &Principal,
    project: &str,
    slug: &str,
    name: Option<&str>,
) -> DomainResult<EnvironmentRecord> {
    let p = access(dom, caller, project, Action::ManageProject).await?;
    validate_slug("slug", slug)?;
    if dom.store_as(caller).environments(&p.id).await?.len() >= crate::projects::MAX_ENVIRONMENTS {
        return Err(DomainError::Conflict(format!(
            "a project has at most {} environments",
            crate::projects::MAX_ENVIRONMENTS
        )));
    }
    // No name means "same as the slug"; an explicit empty name is refused.
    let name = validate_name("name", name.unwrap_or(slug))?;
    let id = ids::new_id();
    let ev = env_event(dom, caller, &p, &id, slug, "environment.create");
    let now = dom.now_ms();
    let env = crate::audit::write(dom, caller, vec![ev], |store| async move {
        store.create_environment(&id, &p.id, slug, &name, now).await
    })
    .await?;
    Ok(env)
}

/// Renames and/or moves (0-based position; the others shift); returns the
/// environment as it is now.
pub async fn update(
    dom: &Domain,
    caller: &Principal,
    project: &str,
    env: &str,
    name: Option<&str>,
    position: Option<u32>,
) -> DomainResult<EnvironmentRecord> {
    let p = access(dom, caller, project, Action::ManageProject).await?;
    let e = environment(dom, &p, env).await?;
    if position.is_some_and(|n| n > i32::MAX as u32) {
        return Err(DomainError::validation(
            "position",
            format!("must be 0 to {}", i32::MAX),
        ));
    }
    let name = name.map(|n| validate_name("name", n)).transpose()?;
    let ev = env_event(dom, caller, &p, &e.id, &e.slug, "environment.update");
    let pid = &p.id;
    let result = crate::audit::write(dom, caller, vec![ev], |store| async move {
        store
            .update_environment(pid, &e.id, name.as_deref(), position.map(i64::from))
            .await
    })
    .await;
    changed(&dom.cache, &dom.store, Change::Project(p.id.clone())).await;
    result?;
    environment(dom, &p, env).await
}

/// Deletes an environment with its secrets.
pub async fn delete(
    dom: &Domain,
    caller: &Principal,
    project: &str,
    env: &str,
) -> DomainResult<()> {
    let p = access(dom, caller, project, Action::ManageProject).await?;
    let e = environment(dom, &p, env).await?;
    let ev = env_event(dom, caller, &p, &e.id, &e.slug, "environment.delete");
    let result = crate::audit::write(dom, caller, vec![ev], |store| async move {
        store.delete_environment(&e.id).await
    })
    .await;
    changed(&dom.cache, &dom.store, Change::Project(p.id.clone())).await;
    result?;
    Ok(())
}

/// Moves an environment one place up (towards the first) or down.
pub async fn shift(
    dom: &Domain,
    caller: &Principal,
    project: &str,
    env: &str,
    up: bool,
) -> DomainResult<EnvironmentRecord> {
    let p = access(dom, caller, project, Action::ManageProject).await?;
    let envs = dom.store_as(caller).environments(&p.id).await?;
    let at = envs
        .iter()
        .position(|x| x.slug == env)
        .ok_or(DomainError::NotFound("environment not found"))?;
    let to = if up {
        at.saturating_sub(1)
    } else {
        (at + 1).min(envs.len().saturating_sub(1))
    };
    let to = u32::try_from(to).map_err(|_| DomainError::validation("position", "too large"))?;
    update(dom, caller, project, env, None, Some(to)).await
}
