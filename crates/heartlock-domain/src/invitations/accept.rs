//! Following an invitation link: what the link is (for the page that opens
//! it) and accepting it. Accepting signs the invitee in as the invited
//! address: a signed-in caller must be that address (compared
//! case-insensitively); a caller without a session gets a new account when
//! the address has none, or is told to sign in first when it has one. With
//! single sign-on on, no local account is ever created here (accounts come
//! from the identity provider): the invitee signs in with it, then accepts.
use crate::Domain;
use crate::audit_event::{EventExt, event};
use crate::error::{DomainError, DomainResult};
use crate::principal::Principal;
use heartlock_core::audit::{ActorKind, Outcome};
use heartlock_core::roles::ProjectRole;
use heartlock_core::{ids, password, token};
use heartlock_store::{InvitationRecord, NewUser, UserRecord};

/// Where an invitation link stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvitationState {
    Open,
    Expired,
    Used,
    Revoked,
}

/// What the invitation page shows about a link.
#[derive(Debug, Clone)]
pub struct Preview {
    pub state: InvitationState,
    pub email: String,
    pub role: ProjectRole,
    pub project_slug: String,
    pub project_name: String,
    /// Who invited: display name and email, if that account still exists.
    pub inviter: Option<(String, String)>,
    /// Whether an account with the invited address exists.
    pub account_exists: bool,
    /// Whether accepting may create a local account (false under single sign-on).
    pub local_accounts: bool,
    pub expires_at: i64,
}

/// The fields of the account an invitee creates.
#[derive(Debug, Clone, Copy)]
pub struct NewAccountFields<'a> {
    pub display_name: Option<&'a str>,
    pub password: &'a str,
}

/// What accepting did.
#[derive(Debug, Clone)]
pub struct Acceptance {
    /// The invitee's account (new or existing).
    pub user: UserRecord,
    /// Whether the account was created by accepting.
    pub created: bool,
    pub project_slug: String,
    pub role: ProjectRole,
}

async fn by_token(dom: &Domain, link: &str) -> DomainResult<InvitationRecord> {
    // Only our own shape is looked up (no hashing of arbitrary input sizes).
    if !link.starts_with(super::TOKEN_PREFIX) || link.len() > 100 {
        return Err(DomainError::NotFound("invitation not found"));
    }
    dom.store
        .invitation_by_token_hash(&token::hash_token(link))
        .await?
        .ok_or(DomainError::NotFound("invitation not found"))
}

fn state_of(dom: &Domain, inv: &InvitationRecord) -> InvitationState {
    if inv.revoked_at.is_some() {
        InvitationState::Revoked
    } else if inv.accepted_at.is_some() {
        InvitationState::Used
    } else if inv.expires_at <= dom.now_ms() {
        InvitationState::Expired
    } else {
        InvitationState::Open
    }
}

/// What the link `link` is (public: the link is the credential). An
/// unknown link is NotFound; expired, used and revoked ones say so.
pub async fn preview(dom: &Domain, link: &str) -> DomainResult<Preview> {
    let inv = by_token(dom, link).await?;
    let project = dom
        .store
        .project_by_id(&inv.project_id)
        .await?
        .ok_or(DomainError::NotFound("invitation not found"))?;
    let inviter = match inv.created_by.as_deref() {
        Some(id) => dom
            .store
            .user_by_id(id)
            .await?
            .map(|u| (u.display_name, u.email)),
        None => None,
    };
    Ok(Preview {
        state: state_of(dom, &inv),
        account_exists: dom.store.user_by_email(&inv.email).await?.is_some(),
        local_accounts: !crate::oidc::enabled(dom),
        email: inv.email,
        role: inv.role,
        project_slug: project.slug,
        project_name: project.name,
        inviter,
        expires_at: inv.expires_at,
    })
}

/// Accepts the invitation of `link` (see the module comment for who may).
/// `account` is needed only when a new account is created.
pub async fn accept(
    dom: &Domain,
    caller: &Principal,
    link: &str,
    account: Option<NewAccountFields<'_>>,
) -> DomainResult<Acceptance> {
    let inv = by_token(dom, link).await?;
    match state_of(dom, &inv) {
        InvitationState::Open => {}
        InvitationState::Expired => {
            return Err(DomainError::Conflict("this invitation has expired".into()));
        }
        InvitationState::Used => {
            return Err(DomainError::Conflict(
                "this invitation was already used".into(),
            ));
        }
        InvitationState::Revoked => {
            return Err(DomainError::Conflict("this invitation was revoked".into()));
        }
    }
    let project = dom
        .store
        .project_by_id(&inv.project_id)
        .await?
        .ok_or(DomainError::NotFound("invitation not found"))?;
    let (user_id, new_user) = match caller.user() {
        Some(u) if u.email.eq_ignore_ascii_case(&inv.email) => (u.id.clone(), None),
        Some(_) => {
            return Err(DomainError::Forbidden(
                "this invitation is for another email address: sign out, then open the link again"
                    .into(),
            ));
        }
        None => {
            if dom.store.user_by_email(&inv.email).await?.is_some() {
                return Err(DomainError::Unauthenticated(
                    "an account with this email exists: sign in, then accept",
                ));
            }
            if crate::oidc::enabled(dom) {
                return Err(DomainError::Forbidden(
                    "sign in with single sign-on first, then open the link again".into(),
                ));
            }
            let fields = account.ok_or_else(|| {
                DomainError::validation("password", "choose a password for the new account")
            })?;
            let new = new_account(dom, &inv.email, fields).await?;
            (new.id.clone(), Some(new))
        }
    };
    let now = dom.now_ms();
    let mut ev = event(dom, caller, "invitation.accept", Outcome::Success)
        .project(&project.id)
        .detail(format!(
            "{} joined as {} (invitation {}{})",
            inv.email,
            inv.role.as_str(),
            inv.id,
            if new_user.is_some() {
                ", account created"
            } else {
                ""
            }
        ));
    // A new account accepts as itself, as registration records it.
    if new_user.is_some() {
        ev.actor_kind = ActorKind::User;
        ev.actor_id = Some(user_id.clone());
        ev.actor_name = Some(inv.email.clone());
    }
    let acceptance = heartlock_store::Acceptance {
        invitation_id: &inv.id,
        user_id: &user_id,
        new_user: new_user.as_ref(),
    };
    let a = &acceptance;
    // The invitation token is the authority here (the account joins a project
    // it cannot see yet): the transaction runs as the system principal.
    let system = Principal::system("invitation");
    let won = crate::audit::write(dom, &system, vec![ev], |store| async move {
        store.accept_invitation(a, now).await
    })
    .await?;
    if !won {
        // Another accept, a revoke or the expiry got there first.
        return Err(DomainError::Conflict(
            "this invitation is no longer valid".into(),
        ));
    }
    let user = dom
        .store
        .user_by_id(&user_id)
        .await?
        .ok_or(DomainError::NotFound("user not found"))?;
    Ok(Acceptance {
        user,
        created: new_user.is_some(),
        project_slug: project.slug,
        role: inv.role,
    })
}

/// A local account for `email` (already normalised when invited), checked
/// as registration checks one; the password is hashed off the runtime.
async fn new_account(
    dom: &Domain,
    email: &str,
    fields: NewAccountFields<'_>,
) -> DomainResult<NewUser> {
    crate::users::check_password(fields.password, email)?;
    let local_part = email.split('@').next().unwrap_or_default();
    let display_name = fields
        .display_name
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or(local_part)
        .to_string();
    if display_name.chars().count() > 200 {
        return Err(DomainError::validation(
            "display_name",
            "must be at most 200 characters",
        ));
    }
    let pw = fields.password.to_string();
    let hash = tokio::task::spawn_blocking(move || password::hash_password(&pw))
        .await
        .map_err(|e| DomainError::Internal(e.to_string()))?
        .map_err(|e| DomainError::Internal(e.to_string()))?;
    Ok(NewUser {
        id: ids::new_id(),
        email: email.to_string(),
        display_name,
        password_hash: Some(hash),
        role: crate::users::default_role(dom),
        is_superuser: false,
    })
}
