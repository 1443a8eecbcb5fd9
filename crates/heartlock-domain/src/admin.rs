//! Server administration shared by the API and the web UI: changing a
//! user's server role and disabling or re-enabling accounts.
use crate::Domain;
use crate::audit_event::{EventExt, event};
use crate::error::{DomainError, DomainResult};
use crate::principal::{Actor, Principal};
use heartlock_core::audit::Outcome;
use heartlock_core::roles::ServerRole;
use heartlock_store::UserRecord;

/// Server administrators (and the system) only: 401 when signed out, 403
/// otherwise.
pub fn require_admin(caller: &Principal) -> DomainResult<()> {
    if matches!(caller.actor, Actor::System { .. }) {
        return Ok(());
    }
    crate::projects::require_user(caller)?;
    if caller.server_role() == ServerRole::Admin {
        Ok(())
    } else {
        Err(DomainError::Forbidden("server administrators only".into()))
    }
}

/// What to change; `None` leaves it as it is.
#[derive(Debug, Clone, Default)]
pub struct UserUpdate {
    pub role: Option<String>,
    pub disabled: Option<bool>,
}

/// Changes a user's role and/or disabled flag. Disabling ends every browser
/// and API session of the account at once. Nobody may disable or demote
/// themselves (so an administrator always remains).
pub async fn update_user(
    dom: &Domain,
    caller: &Principal,
    user_id: &str,
    change: &UserUpdate,
) -> DomainResult<UserRecord> {
    require_admin(caller)?;
    let target = dom
        .store
        .user_by_id(user_id)
        .await?
        .ok_or(DomainError::NotFound("user not found"))?;
    let role = change
        .role
        .as_deref()
        .map(|r| {
            ServerRole::parse(r)
                .ok_or_else(|| DomainError::validation("role", "must be admin or user"))
        })
        .transpose()?;
    if caller.user().is_some_and(|me| me.id == target.id)
        && (change.disabled == Some(true) || role == Some(ServerRole::User))
    {
        return Err(DomainError::Conflict(
            "you cannot disable or demote yourself".into(),
        ));
    }
    let now = dom.clock.now_ms();
    if let Some(role) = role {
        dom.store_as(caller)
            .set_user_role(&target.id, role, now)
            .await?;
    }
    if let Some(disabled) = change.disabled {
        dom.store_as(caller)
            .set_user_disabled(&target.id, disabled, now)
            .await?;
        if disabled {
            dom.store_as(caller)
                .revoke_user_sessions(&target.id, None, now)
                .await?;
            dom.store_as(caller)
                .revoke_user_web_sessions(&target.id, None, now)
                .await?;
        }
    }
    let mut what = Vec::new();
    if let Some(r) = role {
        what.push(format!("role={}", r.as_str()));
    }
    if let Some(d) = change.disabled {
        what.push(format!("disabled={d}"));
    }
    dom.audit
        .record(
            event(dom, caller, "user.update", Outcome::Success).detail(format!(
                "{} ({})",
                target.email,
                what.join(", ")
            )),
        )
        .await;
    dom.store
        .user_by_id(&target.id)
        .await?
        .ok_or(DomainError::NotFound("user not found"))
}

/// Every account, paginated, with the total (server administrators).
pub async fn list_users(
    dom: &Domain,
    caller: &Principal,
    limit: i64,
    offset: i64,
) -> DomainResult<(Vec<UserRecord>, i64)> {
    require_admin(caller)?;
    Ok(dom.store.list_users(limit, offset).await?)
}
