//! Accounts: registration, sign-in, sessions, password changes.
use crate::api::error::{ApiError, ApiResult};
use crate::auth::{Actor, Caller};
use crate::services::audit_event::{EventExt, event};
use crate::state::AppState;
use heartlock_core::audit::Outcome;
use heartlock_core::{ids, password, token};
use heartlock_store::{NewRefresh, NewUser, RefreshOutcome, UserRecord};

pub const REFRESH_PREFIX: &str = "hl_rt_";

#[derive(Debug, Clone)]
pub struct TokenPair {
    pub access_token: String,
    pub access_expires_at: i64,
    pub refresh_token: String,
    pub refresh_expires_at: i64,
    pub user: UserRecord,
}

/// Trims and lowercases; checks the shape of an email address.
pub fn normalize_email(email: &str) -> ApiResult<String> {
    let e = email.trim().to_lowercase();
    let valid = e.len() <= 254
        && e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
        && !e.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(e)
    } else {
        Err(ApiError::validation(
            "email",
            "must be a valid email address",
        ))
    }
}

pub fn check_password(pw: &str, email: &str) -> ApiResult<()> {
    password::check_policy(pw, &[email])
        .map_err(|e| ApiError::validation("password", e.to_string()))
}

/// Creates a local account. Used by registration, createsuperuser and admins.
pub async fn create_user(
    state: &AppState,
    email: &str,
    display_name: Option<&str>,
    pw: &str,
    role: &str,
    superuser: bool,
) -> ApiResult<UserRecord> {
    let email = normalize_email(email)?;
    check_password(pw, &email)?;
    let local_part = email.split('@').next().unwrap_or_default().to_string();
    let display_name = display_name
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or(&local_part)
        .to_string();
    if display_name.chars().count() > 200 {
        return Err(ApiError::validation(
            "display_name",
            "must be at most 200 characters",
        ));
    }
    let hash = password::hash_password(pw).map_err(|e| ApiError::Internal(e.to_string()))?;
    let user = state
        .store
        .create_user(
            &NewUser {
                id: ids::new_id(),
                email,
                display_name,
                password_hash: Some(hash),
                role: role.to_string(),
                is_superuser: superuser,
            },
            state.clock.now_ms(),
        )
        .await?;
    Ok(user)
}

/// Starts a session: a refresh-token family and a first access token.
pub async fn start_session(
    state: &AppState,
    caller: &Caller,
    user: UserRecord,
) -> ApiResult<TokenPair> {
    let now = state.clock.now_ms();
    let session_id = ids::new_id();
    let refresh = token::random_token(REFRESH_PREFIX);
    let refresh_expires_at = now + state.jwt.refresh_ttl_secs * 1000;
    state
        .store
        .create_session(
            &session_id,
            &user.id,
            &NewRefresh {
                id: ids::new_id(),
                token_hash: token::hash_token(&refresh),
                expires_at: refresh_expires_at,
            },
            caller.user_agent.as_deref(),
            caller.ip.as_deref(),
            now,
        )
        .await?;
    let (access_token, exp) = state
        .jwt
        .issue(&user.id, &session_id, now.div_euclid(1000))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(TokenPair {
        access_token,
        access_expires_at: exp,
        refresh_token: refresh,
        refresh_expires_at,
        user,
    })
}

/// Password sign-in. Unknown email, wrong password and disabled account all
/// answer the same, after the same work, and each attempt is audited.
pub async fn login_user(
    state: &AppState,
    caller: &Caller,
    email: &str,
    pw: &str,
) -> ApiResult<UserRecord> {
    let normalized = email.trim().to_lowercase();
    let user = state.store.user_by_email(&normalized).await?;
    let hash = user.as_ref().and_then(|u| u.password_hash.clone());
    let pw_owned = pw.to_string();
    let verified = tokio::task::spawn_blocking(move || {
        password::verify_password(&pw_owned, hash.as_deref().unwrap_or(password::dummy_hash()))
    })
    .await
    .unwrap_or(false);
    let ok_user = user.filter(|u| verified && !u.disabled && u.password_hash.is_some());
    let mut ev = event(
        state,
        caller,
        "auth.login",
        if ok_user.is_some() {
            Outcome::Success
        } else {
            Outcome::Denied
        },
    );
    match &ok_user {
        Some(u) => {
            ev.actor_kind = heartlock_core::audit::ActorKind::User;
            ev.actor_id = Some(u.id.clone());
            ev.actor_name = Some(u.email.clone());
        }
        // Only a well-formed email is kept: people paste passwords into the wrong field.
        None => {
            ev = ev.detail(match normalize_email(&normalized) {
                Ok(e) => format!("failed sign-in for {e}"),
                Err(_) => "failed sign-in (malformed email)".to_string(),
            })
        }
    }
    state.audit.record(ev).await;
    ok_user.ok_or(ApiError::Unauthenticated(
        "wrong email or password, or the account is disabled",
    ))
}

/// Password sign-in for API clients: a new JWT session.
pub async fn login(
    state: &AppState,
    caller: &Caller,
    email: &str,
    pw: &str,
) -> ApiResult<TokenPair> {
    let user = login_user(state, caller, email, pw).await?;
    start_session(state, caller, user).await
}

pub async fn refresh(
    state: &AppState,
    caller: &Caller,
    refresh_token: &str,
) -> ApiResult<TokenPair> {
    let now = state.clock.now_ms();
    let next = token::random_token(REFRESH_PREFIX);
    let refresh_expires_at = now + state.jwt.refresh_ttl_secs * 1000;
    let outcome = state
        .store
        .rotate_refresh(
            &token::hash_token(refresh_token),
            &NewRefresh {
                id: ids::new_id(),
                token_hash: token::hash_token(&next),
                expires_at: refresh_expires_at,
            },
            now,
        )
        .await?;
    match outcome {
        RefreshOutcome::Rotated {
            user_id,
            session_id,
        } => {
            let user = state
                .store
                .session_user(&session_id, now)
                .await?
                .filter(|u| u.id == user_id);
            let user = user.ok_or(ApiError::Unauthenticated("the session has ended"))?;
            let (access_token, exp) = state
                .jwt
                .issue(&user.id, &session_id, now.div_euclid(1000))
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            Ok(TokenPair {
                access_token,
                access_expires_at: exp,
                refresh_token: next,
                refresh_expires_at,
                user,
            })
        }
        RefreshOutcome::Reused { session_id } => {
            let ev = event(state, caller, "auth.refresh_reuse", Outcome::Denied)
                .detail(format!("session {session_id} revoked"));
            state.audit.record(ev).await;
            Err(ApiError::Unauthenticated(
                "this refresh token was already used; the session has been revoked",
            ))
        }
        RefreshOutcome::Expired => Err(ApiError::Unauthenticated("the refresh token has expired")),
        RefreshOutcome::Unknown => Err(ApiError::Unauthenticated("unknown refresh token")),
    }
}

pub async fn logout(state: &AppState, caller: &Caller) -> ApiResult<()> {
    let Actor::User { session_id, .. } = &caller.actor else {
        return Err(ApiError::Unauthenticated("sign in first"));
    };
    state
        .store
        .revoke_session(session_id, state.clock.now_ms())
        .await?;
    state
        .audit
        .record(event(state, caller, "auth.logout", Outcome::Success))
        .await;
    Ok(())
}

/// Needs the current password; ends every other session of the user.
pub async fn change_password(
    state: &AppState,
    caller: &Caller,
    current: &str,
    new: &str,
) -> ApiResult<u64> {
    let Actor::User { user, session_id } = &caller.actor else {
        return Err(ApiError::Unauthenticated("sign in first"));
    };
    let hash = user.password_hash.clone();
    let cur = current.to_string();
    let ok = tokio::task::spawn_blocking(move || {
        hash.is_some_and(|h| password::verify_password(&cur, &h))
    })
    .await
    .unwrap_or(false);
    if !ok {
        state
            .audit
            .record(event(
                state,
                caller,
                "auth.password_change",
                Outcome::Denied,
            ))
            .await;
        return Err(ApiError::Forbidden("the current password is wrong".into()));
    }
    check_password(new, &user.email)?;
    let new_owned = new.to_string();
    let hash = tokio::task::spawn_blocking(move || password::hash_password(&new_owned))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let now = state.clock.now_ms();
    state.store.set_password_hash(&user.id, &hash, now).await?;
    // `session_id` is an API or a browser session: every OTHER one of both kinds ends.
    let ended = state
        .store
        .revoke_user_sessions(&user.id, Some(session_id), now)
        .await?
        + state
            .store
            .revoke_user_web_sessions(&user.id, Some(session_id), now)
            .await?;
    state
        .audit
        .record(event(
            state,
            caller,
            "auth.password_change",
            Outcome::Success,
        ))
        .await;
    Ok(ended)
}
