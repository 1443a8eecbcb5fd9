//! /invite/{token}: the page an invitation link opens (public: the link is
//! the credential). It shows the project and the inviter, then lets the
//! invitee create their account (password + confirmation), or sign in when
//! the address has one, or, signed in as that address, accept with one
//! button; and lands in the project. An expired, used or revoked link says
//! so on the same page; an unknown one is a plain "invalid link".
use super::csrf::CheckedForm;
use super::errors::WebError;
use super::session::{self, WebCtx};
use super::{Layout, redirect_with_flash, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, SET_COOKIE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use heartlock_domain::DomainError;
use heartlock_domain::invitations::{self, InvitationState, NewAccountFields, Preview};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "invite.html")]
struct InvitePage {
    l: Layout,
    /// The path forms post to and sign-in comes back to.
    action: String,
    /// What to show: `invalid`, `expired`, `used`, `revoked`, `other_account`,
    /// `sign_in`, `sso`, `accept` or `create`.
    mode: &'static str,
    intro: String,
    /// The sentence for `other_account`, `sign_in` and `sso`.
    notice: String,
    email: String,
    display_name: String,
    error: Option<String>,
}

fn mode_of(ctx: &WebCtx, p: &Preview) -> &'static str {
    match p.state {
        InvitationState::Expired => return "expired",
        InvitationState::Used => return "used",
        InvitationState::Revoked => return "revoked",
        InvitationState::Open => {}
    }
    match &ctx.user {
        Some(u) if u.email.eq_ignore_ascii_case(&p.email) => "accept",
        Some(_) => "other_account",
        None if p.account_exists => "sign_in",
        None if !p.local_accounts => "sso",
        None => "create",
    }
}

/// The page for `token`, with `error` from a refused form and the display
/// name typed (kept on a refusal).
async fn build(
    state: &AppState,
    ctx: &WebCtx,
    token: &str,
    error: Option<String>,
    display_name: String,
) -> Response {
    let action = format!("/invite/{token}");
    let (mode, intro, email, status) = match invitations::preview(state, token).await {
        Ok(p) => {
            let inviter = p
                .inviter
                .as_ref()
                .map(|(name, email)| format!("{name} ({email})"))
                .unwrap_or_else(|| ctx.tr.t("invite.someone"));
            let role = ctx.tr.t(&format!("role.{}", p.role.as_str()));
            let intro = ctx.tr.tf(
                "invite.intro",
                &[
                    ("inviter", &inviter),
                    ("project", &p.project_name),
                    ("role", &role),
                ],
            );
            let mode = mode_of(ctx, &p);
            let status = match mode {
                "expired" | "used" | "revoked" => StatusCode::GONE,
                _ if error.is_some() => StatusCode::UNPROCESSABLE_ENTITY,
                _ => StatusCode::OK,
            };
            (mode, intro, p.email, status)
        }
        Err(DomainError::NotFound(_)) => (
            "invalid",
            String::new(),
            String::new(),
            StatusCode::NOT_FOUND,
        ),
        Err(e) => return super::errors::from_domain(ctx.tr, &ctx.path, e).into_response(),
    };
    let notice = match mode {
        "other_account" | "sign_in" | "sso" => {
            ctx.tr.tf(&format!("invite.{mode}"), &[("email", &email)])
        }
        _ => String::new(),
    };
    let mut r = render(&InvitePage {
        l: Layout::new(ctx, "invite"),
        action,
        mode,
        intro,
        notice,
        email,
        display_name,
        error,
    });
    *r.status_mut() = status;
    // The address carries the link's secret: no cache keeps the page.
    r.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

pub async fn page(
    State(state): State<AppState>,
    ctx: WebCtx,
    Path(token): Path<String>,
) -> Response {
    build(&state, &ctx, &token, None, String::new()).await
}

#[derive(Deserialize)]
pub struct AcceptForm {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

/// Accepts: signed in, as that account; otherwise with a new account from
/// the form (signed in at once). Lands in the project.
pub async fn accept(
    State(state): State<AppState>,
    Path(token): Path<String>,
    f: CheckedForm<AcceptForm>,
) -> Result<Response, WebError> {
    let CheckedForm { ctx, form } = f;
    let account = if ctx.user.is_some() {
        None
    } else {
        if form.password != form.password_confirm {
            let msg = ctx.tr.t("invite.mismatch");
            return Ok(build(&state, &ctx, &token, Some(msg), form.display_name).await);
        }
        Some(NewAccountFields {
            display_name: Some(&form.display_name),
            password: &form.password,
        })
    };
    match invitations::accept(&state, &ctx.caller, &token, account).await {
        Ok(a) => {
            let to = format!("/projects/{}", a.project_slug);
            let mut resp = redirect_with_flash(&state, &to, "ok", "invite.accepted");
            if a.created {
                let cookie = session::start(&state, &a.user, &ctx)
                    .await
                    .map_err(|_| WebError::Internal)?;
                resp.headers_mut().append(SET_COOKIE, cookie);
            }
            Ok(resp)
        }
        Err(
            e @ (DomainError::Validation { .. }
            | DomainError::Conflict(_)
            | DomainError::Forbidden(_)
            | DomainError::Unauthenticated(_)),
        ) => {
            let msg = super::auth_pages::user_message(&e);
            Ok(build(&state, &ctx, &token, Some(msg), form.display_name).await)
        }
        Err(DomainError::NotFound(_)) => Ok(build(&state, &ctx, &token, None, String::new()).await),
        Err(e) => Err(super::errors::from_domain(ctx.tr, &ctx.path, e)),
    }
}
