//! Server administration shared by the API and the web UI: changing a
//! user's server role and disabling or re-enabling accounts.
use crate::api::error::{ApiError, ApiResult};
use crate::auth::Caller;
use crate::services::audit_event::{EventExt, event};
use crate::state::AppState;
use heartlock_core::audit::Outcome;
use heartlock_core::roles::ServerRole;
use heartlock_store::UserRecord;

/// Server administrators only (401 when signed out, 403 otherwise).
pub fn require_admin(caller: &Caller) -> ApiResult<()> {
    caller.actor.require_user()?;
    if caller.actor.server_role() == ServerRole::Admin {
        Ok(())
    } else {
        Err(ApiError::Forbidden("server administrators only".into()))
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
    state: &AppState,
    caller: &Caller,
    user_id: &str,
    change: &UserUpdate,
) -> ApiResult<UserRecord> {
    require_admin(caller)?;
    let target = state
        .store
        .user_by_id(user_id)
        .await?
        .ok_or(ApiError::NotFound("user not found"))?;
    let role = change
        .role
        .as_deref()
        .map(|r| {
            ServerRole::parse(r)
                .ok_or_else(|| ApiError::validation("role", "must be admin or user"))
        })
        .transpose()?;
    if caller.actor.user().is_some_and(|me| me.id == target.id)
        && (change.disabled == Some(true) || role == Some(ServerRole::User))
    {
        return Err(ApiError::Conflict(
            "you cannot disable or demote yourself".into(),
        ));
    }
    let now = state.clock.now_ms();
    if let Some(role) = role {
        state
            .store
            .set_user_role(&target.id, role.as_str(), now)
            .await?;
    }
    if let Some(disabled) = change.disabled {
        state
            .store
            .set_user_disabled(&target.id, disabled, now)
            .await?;
        if disabled {
            state
                .store
                .revoke_user_sessions(&target.id, None, now)
                .await?;
            state
                .store
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
    state
        .audit
        .record(
            event(state, caller, "user.update", Outcome::Success).detail(format!(
                "{} ({})",
                target.email,
                what.join(", ")
            )),
        )
        .await;
    state
        .store
        .user_by_id(&target.id)
        .await?
        .ok_or(ApiError::NotFound("user not found"))
}
