//! Single sign-on pages: `/oauth/login` sends the browser to the OpenID
//! Provider, `/oauth/callback` finishes there and starts the browser session
//! as the password sign-in does. The pending sign-in and, after it, what
//! sign-out needs (the ID token for `id_token_hint`) travel in cookies
//! signed with SECRET_KEY; the domain checks everything else.
use super::errors::{WebError, from_domain, page};
use super::i18n::Tr;
use super::oidc_cli;
use super::session::{self, WebCtx};
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::header::{HOST, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use heartlock_domain::DomainError;
use heartlock_domain::oidc::{self, Callback, Finished, PendingLogin, SignOut};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The sign-in started here and not finished yet.
pub const PENDING_COOKIE: &str = "heartlock_oidc_pending";
/// Where sign-out sends the browser (the provider's end-session address).
pub const SIGN_OUT_COOKIE: &str = "heartlock_oidc_sign_out";
/// Browsers keep cookies up to about 4 KB; a larger ID token is not kept
/// (sign-out then names the client instead).
const MAX_COOKIE_VALUE: usize = 3_500;

pub(super) fn encode<T: Serialize>(value: &T) -> Option<String> {
    serde_json::to_vec(value)
        .ok()
        .map(|b| URL_SAFE_NO_PAD.encode(b))
}

pub(super) fn decode<T: DeserializeOwned>(value: &str) -> Option<T> {
    let bytes = URL_SAFE_NO_PAD.decode(value).ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn request_base(state: &AppState, headers: &HeaderMap) -> String {
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if session::secure_cookies(&state.settings) {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

/// A failed sign-in as a page a person can read.
pub(super) fn failure(tr: Tr, path: &str, e: DomainError) -> Response {
    let (status, message) = match e {
        DomainError::Validation { message, .. } => (StatusCode::BAD_REQUEST, message),
        DomainError::Forbidden(m) => (StatusCode::FORBIDDEN, m),
        DomainError::Unavailable(m) => (StatusCode::SERVICE_UNAVAILABLE, m),
        other => return from_domain(tr, path, other).into_response(),
    };
    page(tr, status, "sso.failed", message)
}

pub async fn login(
    State(state): State<AppState>,
    ctx: WebCtx,
    headers: HeaderMap,
    Query(cli): Query<oidc_cli::CliParams>,
) -> Response {
    // `heartlock login --sso` (see oidc_cli): a bad loopback request is a 400.
    let cli = match oidc_cli::parse(&cli) {
        Ok(c) => c,
        Err(e) if oidc::enabled(&state) => return failure(ctx.tr, &ctx.path, e),
        Err(_) => None,
    };
    let base = request_base(&state, &headers);
    match oidc::begin(&state, &base).await {
        Ok((url, pending)) => {
            let Some(value) = encode(&pending) else {
                return WebError::Internal.into_response();
            };
            let mut resp = Redirect::to(&url).into_response();
            resp.headers_mut().append(
                SET_COOKIE,
                session::set_cookie(
                    &state,
                    PENDING_COOKIE,
                    &value,
                    Some(oidc::PENDING_TTL_MS / 1000),
                ),
            );
            let Some(cli_cookie) = oidc_cli::cookie(&state, cli, &pending) else {
                return WebError::Internal.into_response();
            };
            resp.headers_mut().append(SET_COOKIE, cli_cookie);
            resp
        }
        Err(e) => failure(ctx.tr, &ctx.path, e),
    }
}

pub async fn callback(
    State(state): State<AppState>,
    ctx: WebCtx,
    headers: HeaderMap,
    Query(cb): Query<Callback>,
) -> Response {
    let pending: Option<PendingLogin> =
        session::signed_cookie(&state, &headers, PENDING_COOKIE).and_then(|v| decode(&v));
    let clear_pending = session::clear_cookie(&state, PENDING_COOKIE);
    let cli = oidc_cli::take(&state, &headers, pending.as_ref());
    let signed_in = match oidc::finish_or_link(&state, &ctx.caller, pending.as_ref(), &cb).await {
        Ok(Finished::SignedIn(s)) => s,
        Ok(Finished::LinkRequired(link)) => {
            let mut resp = super::oidc_link::ask(&state, &link);
            resp.headers_mut().append(SET_COOKIE, clear_pending);
            return resp;
        }
        Err(e) => {
            let mut resp = failure(ctx.tr, &ctx.path, e);
            resp.headers_mut().append(SET_COOKIE, clear_pending);
            resp.headers_mut()
                .append(SET_COOKIE, oidc_cli::clear(&state));
            return resp;
        }
    };
    if let Some(cli) = cli {
        let mut resp = oidc_cli::finish(&state, &ctx.caller, &signed_in.user, &cli).await;
        resp.headers_mut().append(SET_COOKIE, clear_pending);
        return resp;
    }
    let Ok(session_cookie) = session::start(&state, &signed_in.user, &ctx).await else {
        return WebError::Internal.into_response();
    };
    let mut resp = Redirect::to("/projects").into_response();
    let headers = resp.headers_mut();
    headers.append(SET_COOKIE, clear_pending);
    headers.append(SET_COOKIE, session_cookie);
    let sign_out = signed_in.sign_out.and_then(|mut s| {
        let fits = |s: &SignOut| encode(s).filter(|v| v.len() <= MAX_COOKIE_VALUE);
        fits(&s).or_else(|| {
            s.id_token = None;
            fits(&s)
        })
    });
    headers.append(
        SET_COOKIE,
        match sign_out {
            Some(value) => session::set_cookie(
                &state,
                SIGN_OUT_COOKIE,
                &value,
                Some(session::ABSOLUTE_MS / 1000),
            ),
            None => session::clear_cookie(&state, SIGN_OUT_COOKIE),
        },
    );
    resp
}

/// The provider's end-session address for this browser, if it signed in
/// through the provider (no request is made: sign-out works when it is down).
pub fn sign_out_url(state: &AppState, headers: &HeaderMap) -> Option<String> {
    let value = session::signed_cookie(state, headers, SIGN_OUT_COOKIE)?;
    decode::<SignOut>(&value)?.url()
}
