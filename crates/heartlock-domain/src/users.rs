//! Accounts: registration, sign-in, sessions, password changes.
use crate::Domain;
use crate::audit_event::{EventExt, event};
use crate::error::{DomainError, DomainResult};
use crate::principal::{Actor, Principal};
use crate::throttle;
use heartlock_core::audit::Outcome;
use heartlock_core::roles::ServerRole;
use heartlock_core::throttle::Scope;
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
pub fn normalize_email(email: &str) -> DomainResult<String> {
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
        Err(DomainError::validation(
            "email",
            "must be a valid email address",
        ))
    }
}

pub fn check_password(pw: &str, email: &str) -> DomainResult<()> {
    password::check_policy(pw, &[email])
        .map_err(|e| DomainError::validation("password", e.to_string()))
}

/// Creates a local account (registration, createsuperuser, admins); the
/// caller records what it was for.
pub(crate) async fn create_user(
    dom: &Domain,
    email: &str,
    display_name: Option<&str>,
    pw: &str,
    role: ServerRole,
    superuser: bool,
) -> DomainResult<UserRecord> {
    let email = normalize_email(email)?;
    check_password(pw, &email)?;
    let local_part = email.split('@').next().unwrap_or_default().to_string();
    let display_name = display_name
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or(&local_part)
        .to_string();
    if display_name.chars().count() > 200 {
        return Err(DomainError::validation(
            "display_name",
            "must be at most 200 characters",
        ));
    }
    let hash = password::hash_password(pw).map_err(|e| DomainError::Internal(e.to_string()))?;
    let user = dom
        .store
        .create_user(
            &NewUser {
                id: ids::new_id(),
                email,
                display_name,
                password_hash: Some(hash),
                role,
                is_superuser: superuser,
            },
            dom.clock.now_ms(),
        )
        .await?;
    Ok(user)
}

/// What a new account is made of.
#[derive(Debug, Clone, Copy)]
pub struct NewAccount<'a> {
    pub email: &'a str,
    pub display_name: Option<&'a str>,
    pub password: &'a str,
}

/// The role new accounts get (DEFAULT_USER_ROLE).
pub(crate) fn default_role(dom: &Domain) -> ServerRole {
    ServerRole::parse(dom.settings.users.default_role.as_str()).unwrap_or(ServerRole::User)
}

/// Whether anyone may create an account (ENABLE_REGISTRATION). Never while
/// single sign-on is on: accounts then come from the identity provider (or
/// an administrator), and /register is not a public path.
pub fn registration_open(dom: &Domain) -> bool {
    dom.settings.users.enable_registration && !crate::oidc::enabled(dom)
}

/// Self-service registration (when enabled); audited as `auth.register`
/// under the new user. Throttled per client address: accounts created and
/// emails found taken both count (the latter would enumerate accounts).
pub async fn register(
    dom: &Domain,
    caller: &Principal,
    new: NewAccount<'_>,
) -> DomainResult<UserRecord> {
    if !registration_open(dom) {
        return Err(DomainError::Forbidden(
            "registration is disabled on this server".into(),
        ));
    }
    let ip = throttle::address(caller);
    let attempt = throttle::begin(dom, &[Scope::Registration { ip }]).await?;
    let created = create_user(
        dom,
        new.email,
        new.display_name,
        new.password,
        default_role(dom),
        false,
    )
    .await;
    let user = match created {
        Ok(user) => {
            attempt.counts(dom, caller, "registration").await;
            user
        }
        Err(e @ DomainError::Conflict(_)) => {
            attempt.counts(dom, caller, "registration").await;
            return Err(e);
        }
        Err(e) => {
            attempt.discard(dom).await;
            return Err(e);
        }
    };
    let ev = event(dom, caller, "auth.register", Outcome::Success);
    dom.audit
        .record(heartlock_core::audit::NewAuditEvent {
            actor_kind: heartlock_core::audit::ActorKind::User,
            actor_id: Some(user.id.clone()),
            actor_name: Some(user.email.clone()),
            ..ev
        })
        .await;
    Ok(user)
}

/// An account created by a server administrator (`role` defaults to
/// DEFAULT_USER_ROLE); audited as `user.create`.
pub async fn create_by_admin(
    dom: &Domain,
    caller: &Principal,
    new: NewAccount<'_>,
    role: Option<&str>,
) -> DomainResult<UserRecord> {
    crate::admin::require_admin(caller)?;
    let role = match role {
        Some(r) => ServerRole::parse(r)
            .ok_or_else(|| DomainError::validation("role", "must be admin or user"))?,
        None => default_role(dom),
    };
    let user = create_user(dom, new.email, new.display_name, new.password, role, false).await?;
    dom.audit
        .record(event(dom, caller, "user.create", Outcome::Success).detail(user.email.clone()))
        .await;
    Ok(user)
}

/// `heartlock createsuperuser`: a server administrator with the superuser
/// flag, created by the system principal; audited as `user.create_superuser`.
pub async fn create_superuser(
    dom: &Domain,
    caller: &Principal,
    new: NewAccount<'_>,
) -> DomainResult<UserRecord> {
    crate::admin::require_admin(caller)?;
    let user = create_user(
        dom,
        new.email,
        new.display_name,
        new.password,
        ServerRole::Admin,
        true,
    )
    .await?;
    dom.audit
        .record(
            event(dom, caller, "user.create_superuser", Outcome::Success)
                .detail(user.email.clone()),
        )
        .await;
    Ok(user)
}

/// Starts a session: a refresh-token family and a first access token.
pub async fn start_session(
    dom: &Domain,
    caller: &Principal,
    user: UserRecord,
) -> DomainResult<TokenPair> {
    let now = dom.clock.now_ms();
    let session_id = ids::new_id();
    let refresh = token::random_token(REFRESH_PREFIX);
    let refresh_expires_at = now + dom.jwt.refresh_ttl_secs * 1000;
    dom.store
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
    let (access_token, exp) = dom
        .jwt
        .issue(&user.id, &session_id, now.div_euclid(1000))
        .map_err(|e| DomainError::Internal(e.to_string()))?;
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
/// Throttled (see `throttle`): a locked attempt is refused before any
/// password is checked, even the right one.
pub async fn login_user(
    dom: &Domain,
    caller: &Principal,
    email: &str,
    pw: &str,
) -> DomainResult<UserRecord> {
    let normalized = email.trim().to_lowercase();
    let scopes = throttle::sign_in_scopes(dom, caller, &normalized).await?;
    let attempt = throttle::begin(dom, &scopes).await?;
    let user = dom.store.user_by_email(&normalized).await?;
    let hash = user.as_ref().and_then(|u| u.password_hash.clone());
    let pw_owned = pw.to_string();
    let verified = tokio::task::spawn_blocking(move || {
        password::verify_password(&pw_owned, hash.as_deref().unwrap_or(password::dummy_hash()))
    })
    .await
    .unwrap_or(false);
    let ok_user = user.filter(|u| verified && !u.disabled && u.password_hash.is_some());
    let mut ev = event(
        dom,
        caller,
        "auth.login",
        if ok_user.is_some() {
            Outcome::Success
        } else {
            Outcome::Denied
        },
    );
    // Only a well-formed email is kept: people paste passwords into the wrong field.
    let subject = match normalize_email(&normalized) {
        Ok(e) => format!("sign-in for {e}"),
        Err(_) => "sign-in (malformed email)".to_string(),
    };
    match &ok_user {
        Some(u) => {
            ev.actor_kind = heartlock_core::audit::ActorKind::User;
            ev.actor_id = Some(u.id.clone());
            ev.actor_name = Some(u.email.clone());
        }
        None => ev = ev.detail(format!("failed {subject}")),
    }
    dom.audit.record(ev).await;
    if ok_user.is_some() {
        attempt.succeeded(dom).await;
        throttle::signed_in(dom, caller, &normalized).await;
    } else {
        attempt.counts(dom, caller, &subject).await;
    }
    ok_user.ok_or(DomainError::Unauthenticated(
        "wrong email or password, or the account is disabled",
    ))
}

/// Password sign-in for API clients: a new JWT session.
pub async fn login(
    dom: &Domain,
    caller: &Principal,
    email: &str,
    pw: &str,
) -> DomainResult<TokenPair> {
    let user = login_user(dom, caller, email, pw).await?;
    start_session(dom, caller, user).await
}

pub async fn refresh(
    dom: &Domain,
    caller: &Principal,
    refresh_token: &str,
) -> DomainResult<TokenPair> {
    let now = dom.clock.now_ms();
    let next = token::random_token(REFRESH_PREFIX);
    let refresh_expires_at = now + dom.jwt.refresh_ttl_secs * 1000;
    let outcome = dom
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
            let user = dom
                .store
                .session_user(&session_id, now)
                .await?
                .filter(|u| u.id == user_id);
            let user = user.ok_or(DomainError::Unauthenticated("the session has ended"))?;
            let (access_token, exp) = dom
                .jwt
                .issue(&user.id, &session_id, now.div_euclid(1000))
                .map_err(|e| DomainError::Internal(e.to_string()))?;
            Ok(TokenPair {
                access_token,
                access_expires_at: exp,
                refresh_token: next,
                refresh_expires_at,
                user,
            })
        }
        RefreshOutcome::Reused { session_id } => {
            let ev = event(dom, caller, "auth.refresh_reuse", Outcome::Denied)
                .detail(format!("session {session_id} revoked"));
            dom.audit.record(ev).await;
            Err(DomainError::Unauthenticated(
                "this refresh token was already used; the session has been revoked",
            ))
        }
        RefreshOutcome::Expired => Err(DomainError::Unauthenticated(
            "the refresh token has expired",
        )),
        RefreshOutcome::Unknown => Err(DomainError::Unauthenticated("unknown refresh token")),
    }
}

pub async fn logout(dom: &Domain, caller: &Principal) -> DomainResult<()> {
    let Actor::User { session_id, .. } = &caller.actor else {
        return Err(DomainError::Unauthenticated("sign in first"));
    };
    dom.store_as(caller)
        .revoke_session(session_id, dom.clock.now_ms())
        .await?;
    dom.audit
        .record(event(dom, caller, "auth.logout", Outcome::Success))
        .await;
    Ok(())
}

/// Needs the current password; ends every other session of the user. The
/// "password changed" email is enqueued in the same transaction as the new
/// hash, in `mail`'s language.
pub async fn change_password(
    dom: &Domain,
    caller: &Principal,
    current: &str,
    new: &str,
    mail: &crate::mail::MailContext,
) -> DomainResult<u64> {
    let Actor::User { user, session_id } = &caller.actor else {
        return Err(DomainError::Unauthenticated("sign in first"));
    };
    // Shares the sign-in counter: a stolen session cannot guess the password here.
    let scope = Scope::AccountAddress {
        email: &user.email,
        ip: throttle::address(caller),
    };
    let attempt = throttle::begin(dom, &[scope]).await?;
    let hash = user.password_hash.clone();
    let cur = current.to_string();
    let ok = tokio::task::spawn_blocking(move || {
        hash.is_some_and(|h| password::verify_password(&cur, &h))
    })
    .await
    .unwrap_or(false);
    if !ok {
        dom.audit
            .record(event(dom, caller, "auth.password_change", Outcome::Denied))
            .await;
        attempt.counts(dom, caller, "password change").await;
        return Err(DomainError::Forbidden(
            "the current password is wrong".into(),
        ));
    }
    attempt.succeeded(dom).await;
    check_password(new, &user.email)?;
    let new_owned = new.to_string();
    let hash = tokio::task::spawn_blocking(move || password::hash_password(&new_owned))
        .await
        .map_err(|e| DomainError::Internal(e.to_string()))?
        .map_err(|e| DomainError::Internal(e.to_string()))?;
    let now = dom.clock.now_ms();
    let notice = crate::mail::password_changed(dom, user, mail, now)?;
    crate::audit::write(
        dom,
        caller,
        vec![event(dom, caller, "auth.password_change", Outcome::Success)],
        |store| async move {
            store
                .with_outbox(notice)
                .set_password_hash(&user.id, &hash, now)
                .await
        },
    )
    .await?;
    dom.mail.wake();
    // `session_id` is an API or a browser session: every OTHER one of both kinds ends.
    let ended = dom
        .store_as(caller)
        .revoke_user_sessions(&user.id, Some(session_id), now)
        .await?
        + dom
            .store_as(caller)
            .revoke_user_web_sessions(&user.id, Some(session_id), now)
            .await?;
    Ok(ended)
}
