//! Which account a provider identity signs in to. An identity seen before
//! signs in to its linked user; a new one gets a new SSO-only account (no
//! password, DEFAULT_USER_ROLE) unless a local account already has its
//! email: that one is never taken over, only linked once its owner proves
//! the password (see `link`). Disabled accounts are refused. The
//! provider's groups are stored at every sign-in. Audited as
//! `auth.oidc_login`.
use super::link::{self, PendingLink};
use crate::Domain;
use crate::audit_event::{EventExt, event};
use crate::error::{DomainError, DomainResult};
use crate::principal::Principal;
use crate::users::{default_role, normalize_email};
use heartlock_core::audit::{ActorKind, Outcome};
use heartlock_core::ids;
use heartlock_store::{NewUser, UserRecord};
use serde_json::{Map, Value};

const ACTION: &str = "auth.oidc_login";

/// Shown when a local account already has the provider's email address.
pub const EMAIL_TAKEN: &str = "an account with this email address already exists: sign in with \
     your password instead (single sign-on cannot take over an existing account)";

/// Which account a provider identity reaches.
pub enum Account {
    User(UserRecord),
    /// A local account has the email: its owner must prove the password.
    LinkRequired(PendingLink),
}

fn text<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    claims
        .get(name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn display_name(claims: &Map<String, Value>, email: &str) -> String {
    text(claims, "name")
        .or_else(|| text(claims, "preferred_username"))
        .unwrap_or_else(|| email.split('@').next().unwrap_or_default())
        .chars()
        .take(200)
        .collect()
}

pub(super) async fn sign_in(
    dom: &Domain,
    caller: &Principal,
    issuer: &str,
    subject: &str,
    claims: &Map<String, Value>,
    groups: Option<Vec<String>>,
) -> DomainResult<Account> {
    let now = dom.clock.now_ms();
    let linked = dom.store.user_by_oidc_identity(issuer, subject).await?;
    let user = match linked {
        Some(user) => {
            if user.disabled {
                return Err(DomainError::Forbidden("this account is disabled".into()));
            }
            let groups = groups.unwrap_or_else(|| user.idp_groups.clone());
            let updated = dom
                .store_as(caller)
                .record_oidc_sign_in(issuer, subject, &user.id, &groups, now)
                .await?;
            // Access through a lost group ends now, not at session expiry.
            crate::group_grants::end_sessions_if_groups_lost(dom, caller, &user, &groups).await?;
            updated
        }
        None => match create(
            dom,
            caller,
            issuer,
            subject,
            claims,
            groups.unwrap_or_default(),
            now,
        )
        .await?
        {
            Account::User(user) => user,
            Account::LinkRequired(p) => {
                let ev = event(dom, caller, ACTION, Outcome::Denied)
                    .detail(format!("issuer {issuer}: link to a local account asked"));
                dom.audit.record(ev).await;
                return Ok(Account::LinkRequired(p));
            }
        },
    };
    let mut ev = event(dom, caller, ACTION, Outcome::Success).detail(format!("issuer {issuer}"));
    ev.actor_kind = ActorKind::User;
    ev.actor_id = Some(user.id.clone());
    ev.actor_name = Some(user.email.clone());
    dom.audit.record(ev).await;
    Ok(Account::User(user))
}

async fn create(
    dom: &Domain,
    caller: &Principal,
    issuer: &str,
    subject: &str,
    claims: &Map<String, Value>,
    groups: Vec<String>,
    now: i64,
) -> DomainResult<Account> {
    let Some(raw_email) = text(claims, "email") else {
        return Err(DomainError::Forbidden(
            "the identity provider did not share an email address".into(),
        ));
    };
    if claims.get("email_verified") == Some(&Value::Bool(false)) {
        return Err(DomainError::Forbidden(
            "the identity provider has not verified this email address".into(),
        ));
    }
    let email = normalize_email(raw_email)
        .map_err(|_| DomainError::Forbidden("the identity provider's email is not valid".into()))?;
    if let Some(local) = dom.store.user_by_email(&email).await? {
        let verified = claims.get("email_verified") == Some(&Value::Bool(true));
        return match link::offer(dom, issuer, subject, verified, &local) {
            Some(p) => Ok(Account::LinkRequired(p)),
            None => Err(DomainError::Forbidden(EMAIL_TAKEN.into())),
        };
    }
    let new = NewUser {
        id: ids::new_id(),
        display_name: display_name(claims, &email),
        email,
        password_hash: None,
        role: default_role(dom),
        is_superuser: false,
    };
    dom.store_as(caller)
        .create_oidc_user(&new, issuer, subject, &groups, now)
        .await
        .map(Account::User)
        .map_err(|e| match DomainError::from(e) {
            DomainError::Conflict(_) => DomainError::Forbidden(EMAIL_TAKEN.into()),
            other => other,
        })
}

/// A refused sign-in, with the reason the person was shown (never a token).
pub(super) async fn audit_failure(dom: &Domain, caller: &Principal, e: &DomainError) {
    let reason = match e {
        DomainError::Forbidden(m) => m.clone(),
        DomainError::Validation { message, .. } => message.clone(),
        DomainError::NotFound(m) | DomainError::Unauthenticated(m) => m.to_string(),
        other => other.to_string(),
    };
    let ev = event(dom, caller, ACTION, Outcome::Denied).detail(format!("failed: {reason}"));
    dom.audit.record(ev).await;
}
