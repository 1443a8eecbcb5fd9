//! Linking a provider identity to an existing local account. Single sign-on
//! never takes an account over silently: when the provider's email belongs
//! to a local account, the provider must say the email is verified AND the
//! person must prove the account's password once (throttled and audited
//! like a password sign-in). Then the identity is linked and the person
//! signs in through the provider again, which now finds the link.
use super::accounts::EMAIL_TAKEN;
use crate::Domain;
use crate::audit_event::{EventExt, event};
use crate::error::{DomainError, DomainResult};
use crate::principal::Principal;
use crate::users;
use heartlock_core::audit::{ActorKind, Outcome};
use heartlock_store::UserRecord;
use serde::{Deserialize, Serialize};

/// How long the person has to type their password.
pub const LINK_TTL_MS: i64 = 10 * 60 * 1000;
const ACTION: &str = "auth.oidc_link";

/// A link offered and not confirmed yet, kept by the browser (signed).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingLink {
    pub issuer: String,
    pub subject: String,
    pub user_id: String,
    pub email: String,
    pub started_at_ms: i64,
}

/// Whether the local account `user` may be offered a link to the identity:
/// verified email at the provider, a password to prove, not disabled.
pub(super) fn offer(
    dom: &Domain,
    issuer: &str,
    subject: &str,
    email_verified: bool,
    user: &UserRecord,
) -> Option<PendingLink> {
    (email_verified && user.password_hash.is_some() && !user.disabled).then(|| PendingLink {
        issuer: issuer.to_string(),
        subject: subject.to_string(),
        user_id: user.id.clone(),
        email: user.email.clone(),
        started_at_ms: dom.clock.now_ms(),
    })
}

/// Confirms a link with the account's password. The password check is the
/// password sign-in's (same throttling, same audit); the link itself is
/// audited as `auth.oidc_link` in its own transaction.
pub async fn confirm(
    dom: &Domain,
    caller: &Principal,
    pending: Option<&PendingLink>,
    password: &str,
) -> DomainResult<UserRecord> {
    let Some(p) = pending else {
        return Err(DomainError::validation(
            "link",
            "this link request has expired or was started in another browser; sign in again",
        ));
    };
    let now = dom.clock.now_ms();
    if now - p.started_at_ms > LINK_TTL_MS || now < p.started_at_ms - 60_000 {
        return Err(DomainError::validation(
            "link",
            "this link request has expired; sign in again",
        ));
    }
    let user = users::login_user(dom, caller, &p.email, password).await?;
    if user.id != p.user_id {
        return Err(DomainError::Forbidden(EMAIL_TAKEN.into()));
    }
    let refuse = |reason: &str| {
        let ev = event(dom, caller, ACTION, Outcome::Denied).detail(format!("failed: {reason}"));
        async move {
            dom.audit.record(ev).await;
        }
    };
    if dom
        .store
        .user_by_oidc_identity(&p.issuer, &p.subject)
        .await?
        .is_some()
    {
        refuse("identity linked already").await;
        return Err(DomainError::Conflict(
            "this identity is linked to an account already; sign in again".into(),
        ));
    }
    if dom
        .store
        .oidc_subject_of(&user.id, &p.issuer)
        .await?
        .is_some()
    {
        refuse("account linked to another identity").await;
        return Err(DomainError::Forbidden(
            "this account is linked to another identity at this provider".into(),
        ));
    }
    let mut ev =
        event(dom, caller, ACTION, Outcome::Success).detail(format!("issuer {}", p.issuer));
    ev.actor_kind = ActorKind::User;
    ev.actor_id = Some(user.id.clone());
    ev.actor_name = Some(user.email.clone());
    let (issuer, subject, user_id) = (p.issuer.clone(), p.subject.clone(), user.id.clone());
    crate::audit::write(dom, caller, vec![ev], |store| async move {
        store
            .link_oidc_identity(&issuer, &subject, &user_id, now)
            .await
    })
    .await?;
    Ok(user)
}
