//! Project policy for share links: a project's admins may forbid sharing
//! its secrets. A share naming a project as its source needs the caller to
//! read that environment and the project to allow sharing; the UI and the
//! CLI offer "share" only where `may_share_from` says yes.
use super::{Source, enabled};
use crate::Domain;
use crate::audit_event::{EventExt, event};
use crate::error::{DomainError, DomainResult};
use crate::principal::Principal;
use crate::projects::{access, access_env, require_user};
use heartlock_core::audit::Outcome;
use heartlock_core::formats::validate_key;
use heartlock_core::roles::Action;

/// Checks a declared source: the caller reads that environment, the key is
/// a valid name, the project allows sharing. Returns (project id, env id).
pub(super) async fn source_access(
    dom: &Domain,
    caller: &Principal,
    src: &Source,
) -> DomainResult<(String, String)> {
    let (p, e) = access_env(
        dom,
        caller,
        &src.project,
        &src.environment,
        Action::ReadSecrets,
    )
    .await?;
    if let Some(k) = &src.key {
        validate_key(k).map_err(|e| DomainError::validation("source.key", e.reason()))?;
    }
    if !dom.store.project_sharing(&p.id).await? {
        return Err(DomainError::Forbidden(
            "this project's admins do not allow share links for its secrets".into(),
        ));
    }
    Ok((p.id, e.id))
}

/// Whether `caller` may share secrets of project `slug`: the feature is on,
/// the caller reads the project, and the project allows it.
pub async fn may_share_from(dom: &Domain, caller: &Principal, slug: &str) -> DomainResult<bool> {
    if enabled(dom).is_err() || caller.user().is_none() {
        return Ok(false);
    }
    let p = match access(dom, caller, slug, Action::ReadSecrets).await {
        Ok(p) => p,
        Err(DomainError::Forbidden(_)) => return Ok(false),
        Err(e) => return Err(e),
    };
    Ok(dom.store.project_sharing(&p.id).await?)
}

/// The project's policy (anyone who sees the project may read it).
pub async fn project_sharing(dom: &Domain, caller: &Principal, slug: &str) -> DomainResult<bool> {
    let p = access(dom, caller, slug, Action::ViewProject).await?;
    Ok(dom.store.project_sharing(&p.id).await?)
}

/// Allows or forbids share links for the project's secrets (project
/// admins). Shares already made keep working until they expire or are
/// revoked: their content has left the project already.
pub async fn set_project_sharing(
    dom: &Domain,
    caller: &Principal,
    slug: &str,
    allow: bool,
) -> DomainResult<()> {
    let p = access(dom, caller, slug, Action::ManageProject).await?;
    let by = require_user(caller).ok().map(|u| u.id.clone());
    let now = dom.now_ms();
    let ev = event(dom, caller, "project.sharing", Outcome::Success)
        .project(&p.id)
        .detail(if allow {
            "share links allowed for this project's secrets"
        } else {
            "share links forbidden for this project's secrets"
        });
    let (pid, by) = (p.id.as_str(), by.as_deref());
    crate::audit::write(dom, caller, vec![ev], |store| async move {
        store.set_project_sharing(pid, allow, by, now).await
    })
    .await?;
    Ok(())
}
