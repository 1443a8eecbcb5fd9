//! `/oauth/link`: the provider's verified email belongs to a local account,
//! so the person proves that account's password once before single sign-on
//! reaches it (never a silent takeover). The offer travels in a short-lived
//! cookie signed with SECRET_KEY; after the proof the browser goes through
//! the provider again, which now finds the link and signs in.
use super::errors::WebError;
use super::oidc::{decode, encode, failure};
use super::session::{self, WebCtx};
use super::{Layout, render};
use crate::state::AppState;
use axum::Form;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Redirect, Response};
use heartlock_domain::DomainError;
use heartlock_domain::oidc::{self, LINK_TTL_MS, PendingLink};
use serde::Deserialize;

/// The link offered to this browser.
pub const LINK_COOKIE: &str = "heartlock_oidc_link";

#[derive(askama::Template)]
#[template(path = "oidc_link.html")]
struct LinkPage {
    l: Layout,
    email: String,
    explain: String,
    error: Option<String>,
}

impl LinkPage {
    fn new(ctx: &WebCtx, email: String, error: Option<String>) -> Self {
        Self {
            l: Layout::new(ctx, "login"),
            explain: ctx.tr.tf("link.explain", &[("email", &email)]),
            email,
            error,
        }
    }
}

#[derive(Deserialize)]
pub struct LinkForm {
    #[serde(default)]
    password: String,
}

/// The callback's answer when a link is needed: keep the offer, show the form.
pub fn ask(state: &AppState, link: &PendingLink) -> Response {
    let Some(value) = encode(link) else {
        return WebError::Internal.into_response();
    };
    let mut resp = Redirect::to("/oauth/link").into_response();
    resp.headers_mut().append(
        SET_COOKIE,
        session::set_cookie(state, LINK_COOKIE, &value, Some(LINK_TTL_MS / 1000)),
    );
    resp
}

fn pending(state: &AppState, headers: &HeaderMap) -> Option<PendingLink> {
    session::signed_cookie(state, headers, LINK_COOKIE).and_then(|v| decode(&v))
}

pub async fn page(State(state): State<AppState>, ctx: WebCtx, headers: HeaderMap) -> Response {
    if !oidc::enabled(&state) {
        return WebError::NotFound(ctx.tr).into_response();
    }
    match pending(&state, &headers) {
        Some(link) => render(&LinkPage::new(&ctx, link.email, None)),
        None => Redirect::to("/login").into_response(),
    }
}

pub async fn confirm(
    State(state): State<AppState>,
    ctx: WebCtx,
    headers: HeaderMap,
    Form(form): Form<LinkForm>,
) -> Response {
    if !oidc::enabled(&state) {
        return WebError::NotFound(ctx.tr).into_response();
    }
    let link = pending(&state, &headers);
    match oidc::confirm_link(&state, &ctx.caller, link.as_ref(), &form.password).await {
        Ok(_) => {
            // Signed in through the provider again: it now finds the link.
            let mut resp = Redirect::to("/oauth/login").into_response();
            resp.headers_mut()
                .append(SET_COOKIE, session::clear_cookie(&state, LINK_COOKIE));
            resp
        }
        Err(DomainError::Unauthenticated(m)) if link.is_some() => {
            let email = link.map(|l| l.email).unwrap_or_default();
            let error = Some(ctx.tr.tf("form.error", &[("detail", m)]));
            let mut resp = render(&LinkPage::new(&ctx, email, error));
            *resp.status_mut() = axum::http::StatusCode::UNAUTHORIZED;
            resp
        }
        Err(e) => {
            let mut resp = failure(ctx.tr, &ctx.path, e);
            resp.headers_mut()
                .append(SET_COOKIE, session::clear_cookie(&state, LINK_COOKIE));
            resp
        }
    }
}
