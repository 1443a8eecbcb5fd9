//! Project invitations: a project admin invites an email address with a
//! role (and, for viewers and members, some environments); the address
//! receives a one-time link `/invite/<token>` (256 random bits, stored as
//! its SHA-256 hash) that expires after HEARTLOCK_INVITATION_EXPIRY_DAYS.
//! Accepting (see `accept`) joins the project, creating the account when
//! there is none: the invitation is the permission, even with registration
//! closed. Pending invitations are listed, resent (a new link; the old one
//! dies) and revoked. Every change is audited in its own transaction, and
//! its message is committed to the outbox with it.
mod accept;

pub use accept::{Acceptance, InvitationState, NewAccountFields, Preview, accept, preview};

use crate::Domain;
use crate::audit_event::{EventExt, event};
use crate::error::{DomainError, DomainResult};
use crate::mail::MailContext;
use crate::mail::templates::invitation::{self as mail_invite, Params};
use crate::members::{environment_ids, slugs};
use crate::principal::Principal;
use crate::projects::{access, decide, require_user, subject};
use heartlock_core::audit::Outcome;
use heartlock_core::roles::{Action, ProjectRole, authorize};
use heartlock_core::{ids, token};
use heartlock_store::{InvitationRecord, NewInvitation, ProjectRecord, UserRecord};

/// The prefix of invitation link tokens.
pub const TOKEN_PREFIX: &str = "hl_inv_";

/// A pending invitation as project admins see it (never its token).
#[derive(Debug, Clone)]
pub struct Invitation {
    pub id: String,
    pub email: String,
    pub role: ProjectRole,
    /// Environment slugs the membership will be limited to; `None` for all.
    pub environments: Option<Vec<String>>,
    pub language: String,
    /// Unix milliseconds.
    pub expires_at: i64,
    pub expired: bool,
    pub created_at: i64,
    pub last_sent_at: Option<i64>,
    /// The inviter's email (`None` once that account is gone).
    pub invited_by: Option<String>,
}

/// What an admin asks for.
#[derive(Debug, Clone, Copy)]
pub struct NewInvite<'a> {
    pub email: &'a str,
    pub role: &'a str,
    /// Environment slugs for a viewer or member; `None` for every one.
    pub environments: Option<&'a [String]>,
    /// `en` or `fr` for the message; `None`: the invitee's own choice if
    /// they have an account, else the language of this request.
    pub language: Option<&'a str>,
}

/// The project's pending invitations (not accepted, not revoked; expired
/// ones too, so they can be resent), newest first. ManageMembers: the
/// addresses are not members yet, so viewers do not see them.
pub async fn list(dom: &Domain, caller: &Principal, slug: &str) -> DomainResult<Vec<Invitation>> {
    let p = access(dom, caller, slug, Action::ManageMembers).await?;
    let rows = dom.store_as(caller).open_invitations(&p.id).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(view(dom, &p, r).await?);
    }
    Ok(out)
}

/// Invites `new.email` to the project (ManageMembers; an owner invitation
/// takes an owner, as granting the role does) and sends the link.
pub async fn create(
    dom: &Domain,
    caller: &Principal,
    slug: &str,
    new: NewInvite<'_>,
    mail: &MailContext,
) -> DomainResult<Invitation> {
    let p = access(dom, caller, slug, Action::ManageMembers).await?;
    let inviter = require_user(caller)?;
    let role = parse_role(new.role)?;
    role_ceiling(dom, caller, &p, role).await?;
    let limit = environment_ids(dom, &p, role, new.environments).await?;
    let email = crate::users::normalize_email(new.email)?;
    let language = match new.language {
        Some(l) if crate::preferences::LANGUAGES.contains(&l) => Some(l),
        Some(_) => return Err(DomainError::validation("language", "must be en or fr")),
        None => None,
    };
    let now = dom.now_ms();
    let existing = dom.store_as(caller).user_by_email(&email).await?;
    if let Some(u) = &existing
        && dom
            .store_as(caller)
            .membership_role(&p.id, &u.id)
            .await?
            .is_some()
    {
        return Err(DomainError::Conflict(
            "this person is already a member of the project".into(),
        ));
    }
    if dom
        .store_as(caller)
        .open_invitation_for(&p.id, &email, now)
        .await?
    {
        return Err(DomainError::Conflict(
            "this address already has a pending invitation; resend or revoke it".into(),
        ));
    }
    let lang = crate::mail::templates::language(
        existing
            .as_ref()
            .and_then(|u| u.language.as_deref())
            .or(language)
            .unwrap_or(&mail.lang),
    );
    let link = token::random_token(TOKEN_PREFIX);
    let expires_at = now + expiry_ms(dom);
    let message = mail_invite::message(
        dom,
        mail,
        &email,
        &link,
        &params(lang, inviter, &p, role, expires_at),
    )?;
    let inv = NewInvitation {
        id: ids::new_id(),
        project_id: p.id.clone(),
        email,
        role,
        environments: limit,
        language: lang.to_string(),
        token_hash: token::hash_token(&link),
        expires_at,
        created_by: Some(inviter.id.clone()),
    };
    let ev = event(dom, caller, "invitation.create", Outcome::Success)
        .project(&p.id)
        .detail(describe(dom, &p, &inv.email, role, inv.environments.as_deref()).await?);
    let stored = &inv;
    crate::audit::write(dom, caller, vec![ev], |store| async move {
        store
            .with_outbox(vec![message])
            .create_invitation(stored, now)
            .await
    })
    .await?;
    dom.mail.wake();
    let record = dom
        .store_as(caller)
        .invitation(&p.id, &inv.id)
        .await?
        .ok_or(DomainError::NotFound("invitation not found"))?;
    view(dom, &p, record).await
}

/// Sends a pending invitation again with a new link (the old one stops
/// working) and a new expiry.
pub async fn resend(
    dom: &Domain,
    caller: &Principal,
    slug: &str,
    id: &str,
    mail: &MailContext,
) -> DomainResult<Invitation> {
    let p = access(dom, caller, slug, Action::ManageMembers).await?;
    let inviter = require_user(caller)?;
    let inv = open_one(dom, &p, id).await?;
    role_ceiling(dom, caller, &p, inv.role).await?;
    let existing = dom.store_as(caller).user_by_email(&inv.email).await?;
    let lang = crate::mail::templates::language(
        existing
            .as_ref()
            .and_then(|u| u.language.as_deref())
            .unwrap_or(&inv.language),
    );
    let now = dom.now_ms();
    let link = token::random_token(TOKEN_PREFIX);
    let expires_at = now + expiry_ms(dom);
    let message = mail_invite::message(
        dom,
        mail,
        &inv.email,
        &link,
        &params(lang, inviter, &p, inv.role, expires_at),
    )?;
    let ev = event(dom, caller, "invitation.resend", Outcome::Success)
        .project(&p.id)
        .detail(format!(
            "invitation {} for {} sent again",
            inv.id, inv.email
        ));
    let hash = token::hash_token(&link);
    let (iid, hash) = (inv.id.as_str(), hash.as_str());
    let done = crate::audit::write(dom, caller, vec![ev], |store| async move {
        store
            .with_outbox(vec![message])
            .reissue_invitation(iid, hash, expires_at, now)
            .await
    })
    .await?;
    if !done {
        return Err(closed());
    }
    dom.mail.wake();
    let record = dom
        .store_as(caller)
        .invitation(&p.id, &inv.id)
        .await?
        .ok_or(DomainError::NotFound("invitation not found"))?;
    view(dom, &p, record).await
}

/// Revokes a pending invitation: its link stops working.
pub async fn revoke(dom: &Domain, caller: &Principal, slug: &str, id: &str) -> DomainResult<()> {
    let p = access(dom, caller, slug, Action::ManageMembers).await?;
    let inv = open_one(dom, &p, id).await?;
    role_ceiling(dom, caller, &p, inv.role).await?;
    let ev = event(dom, caller, "invitation.revoke", Outcome::Success)
        .project(&p.id)
        .detail(format!("invitation {} for {} revoked", inv.id, inv.email));
    let (iid, now) = (inv.id.as_str(), dom.now_ms());
    let done = crate::audit::write(dom, caller, vec![ev], |store| async move {
        store.revoke_invitation(iid, now).await
    })
    .await?;
    if done { Ok(()) } else { Err(closed()) }
}

fn closed() -> DomainError {
    DomainError::Conflict("this invitation was already accepted or revoked".into())
}

/// An invitation of the project that is still open (404 when there is
/// none with this id, 409 when it was accepted or revoked).
async fn open_one(dom: &Domain, p: &ProjectRecord, id: &str) -> DomainResult<InvitationRecord> {
    let inv = dom
        .store
        .invitation(&p.id, id)
        .await?
        .ok_or(DomainError::NotFound("invitation not found"))?;
    if inv.accepted_at.is_some() || inv.revoked_at.is_some() {
        return Err(closed());
    }
    Ok(inv)
}

/// Inviting someone as owner (or touching such an invitation) takes what
/// granting the owner role takes; every other role, ManageMembers.
async fn role_ceiling(
    dom: &Domain,
    caller: &Principal,
    p: &ProjectRecord,
    role: ProjectRole,
) -> DomainResult<()> {
    if role == ProjectRole::Owner {
        decide(authorize(
            subject(dom, caller, p, None).await?,
            Action::ManageOwners,
        ))?;
    }
    Ok(())
}

fn parse_role(role: &str) -> DomainResult<ProjectRole> {
    ProjectRole::parse(role)
        .ok_or_else(|| DomainError::validation("role", "must be owner, admin, member or viewer"))
}

fn expiry_ms(dom: &Domain) -> i64 {
    i64::from(dom.settings.invitation_expiry_days) * 86_400_000
}

fn params<'a>(
    lang: &'a str,
    inviter: &'a UserRecord,
    p: &'a ProjectRecord,
    role: ProjectRole,
    expires_at: i64,
) -> Params<'a> {
    Params {
        lang,
        inviter: &inviter.email,
        project: &p.name,
        role: role.as_str(),
        expires_at,
    }
}

/// "email as role in …" for the audit log (never the token).
async fn describe(
    dom: &Domain,
    p: &ProjectRecord,
    email: &str,
    role: ProjectRole,
    limit: Option<&[String]>,
) -> DomainResult<String> {
    let reach = match limit {
        Some(ids) => {
            let envs = dom.store.environments(&p.id).await?;
            format!("in {}", slugs(&envs, ids).join(", "))
        }
        None => "in every environment".to_string(),
    };
    Ok(format!("{email} invited as {} {reach}", role.as_str()))
}

async fn view(dom: &Domain, p: &ProjectRecord, r: InvitationRecord) -> DomainResult<Invitation> {
    let environments = match r.environments.as_deref() {
        Some(ids) => Some(slugs(&dom.store.environments(&p.id).await?, ids)),
        None => None,
    };
    let invited_by = match r.created_by.as_deref() {
        Some(id) => dom.store.user_by_id(id).await?.map(|u| u.email),
        None => None,
    };
    Ok(Invitation {
        expired: r.expires_at <= dom.now_ms(),
        id: r.id,
        email: r.email,
        role: r.role,
        environments,
        language: r.language,
        expires_at: r.expires_at,
        created_at: r.created_at,
        last_sent_at: r.last_sent_at,
        invited_by,
    })
}
