//! Invitations on the members page: invite an email address with a role
//! (and environments), and the pending invitations with resend and revoke.
//! The rules are the service's (`invitations`); refusals show on the page
//! as the member forms' do.
use super::members::{MemberForm, Refill, outcome, parse_role};
use super::{fail, signed_in};
use crate::state::AppState;
use crate::web::auth_pages::Empty;
use crate::web::csrf::CheckedForm;
use crate::web::errors::WebError;
use crate::web::session::WebCtx;
use axum::extract::{Path, State};
use axum::response::Response;
use heartlock_domain::DomainError;
use heartlock_domain::invitations::{self, Invitation, NewInvite};

/// One pending invitation, as the page shows it.
pub struct InviteRow {
    pub id: String,
    pub email: String,
    pub role_label: String,
    pub environments: Option<Vec<String>>,
    /// "expires …" or "expired …", in the reader's language.
    pub expiry: String,
    pub expired: bool,
    pub invited_by: String,
    pub confirm: String,
}

/// The rows of the pending list; none for those who do not manage members
/// (who are not shown the list, nor refused for it).
pub async fn rows(
    state: &AppState,
    ctx: &WebCtx,
    project: &str,
    allowed: bool,
) -> Result<Vec<InviteRow>, WebError> {
    if !allowed {
        return Ok(Vec::new());
    }
    let list = invitations::list(state, &ctx.caller, project)
        .await
        .map_err(|e| fail(ctx, e))?;
    Ok(list
        .into_iter()
        .map(|i: Invitation| {
            let key = if i.expired {
                "invitations.expired_on"
            } else {
                "invitations.expires_on"
            };
            InviteRow {
                role_label: ctx.tr.t(&format!("role.{}", i.role.as_str())),
                expiry: ctx
                    .tr
                    .tf(key, &[("when", &super::when(Some(i.expires_at)))]),
                expired: i.expired,
                invited_by: i.invited_by.unwrap_or_default(),
                confirm: ctx
                    .tr
                    .tf("invitations.confirm_revoke", &[("email", &i.email)]),
                id: i.id,
                email: i.email,
                environments: i.environments,
            }
        })
        .collect())
}

pub async fn create(
    State(state): State<AppState>,
    Path(project): Path<String>,
    f: CheckedForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let CheckedForm { ctx, form } = f;
    signed_in(&ctx)?;
    let form = MemberForm::parse(form);
    let role = parse_role(&ctx, &form.role)?;
    let new = NewInvite {
        email: &form.email,
        role: role.as_str(),
        environments: form.limit(),
        language: None,
    };
    let result = invitations::create(&state, &ctx.caller, &project, new, &ctx.mail)
        .await
        .map(|_| ());
    let refill = Refill {
        email: form.email.clone(),
        group: String::new(),
    };
    outcome(&state, &ctx, &project, result, "invitations.sent", refill).await
}

pub async fn resend(
    State(state): State<AppState>,
    Path((project, id)): Path<(String, String)>,
    f: CheckedForm<Empty>,
) -> Result<Response, WebError> {
    let ctx = f.ctx;
    signed_in(&ctx)?;
    let result = invitations::resend(&state, &ctx.caller, &project, &id, &ctx.mail)
        .await
        .map(|_| ());
    if let Err(DomainError::NotFound(_)) = result {
        return Err(WebError::NotFound(ctx.tr));
    }
    let flash = "invitations.resent";
    outcome(&state, &ctx, &project, result, flash, Refill::default()).await
}

pub async fn revoke(
    State(state): State<AppState>,
    Path((project, id)): Path<(String, String)>,
    f: CheckedForm<Empty>,
) -> Result<Response, WebError> {
    let ctx = f.ctx;
    signed_in(&ctx)?;
    let result = invitations::revoke(&state, &ctx.caller, &project, &id).await;
    if let Err(DomainError::NotFound(_)) = result {
        return Err(WebError::NotFound(ctx.tr));
    }
    let flash = "invitations.revoked";
    outcome(&state, &ctx, &project, result, flash, Refill::default()).await
}
