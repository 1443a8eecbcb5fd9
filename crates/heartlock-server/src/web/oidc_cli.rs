//! The browser leg of `heartlock login --sso`. `/oauth/login` with
//! `cli_redirect`, `cli_challenge` and `cli_state` starts the usual provider
//! sign-in and keeps the CLI's request in a cookie signed with SECRET_KEY and
//! bound to the pending sign-in's `state`; at `/oauth/callback` the signed-in
//! account gets a one-time code sent to the CLI's loopback address instead
//! of a browser session. The domain (`oidc::cli_login`) checks everything.
use super::errors::WebError;
use super::oidc::{decode, encode};
use super::session;
use crate::state::AppState;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use heartlock_domain::DomainError;
use heartlock_domain::Principal;
use heartlock_domain::oidc::cli_login::{self, CliRequest};
use heartlock_domain::oidc::{self, PendingLogin};
use heartlock_domain::records::UserRecord;
use serde::{Deserialize, Serialize};

/// The CLI's request, for the sign-in started with it.
pub const CLI_COOKIE: &str = "heartlock_oidc_cli";

/// The CLI's query parameters of `/oauth/login` (all absent for a browser
/// sign-in).
#[derive(Debug, Default, Deserialize)]
pub struct CliParams {
    pub cli_redirect: Option<String>,
    pub cli_challenge: Option<String>,
    pub cli_state: Option<String>,
}

/// The cookie's content: the request and the `state` of the pending
/// sign-in it belongs to.
#[derive(Serialize, Deserialize)]
struct Kept {
    pending_state: String,
    request: CliRequest,
}

/// The CLI's request, validated (a non-loopback redirect is a 400).
pub fn parse(p: &CliParams) -> Result<Option<CliRequest>, DomainError> {
    CliRequest::parse(
        p.cli_redirect.as_deref(),
        p.cli_challenge.as_deref(),
        p.cli_state.as_deref(),
    )
}

/// Set-Cookie for a new sign-in: the CLI's request bound to `pending`, or
/// none (a browser sign-in clears a stale one).
pub fn cookie(
    state: &AppState,
    request: Option<CliRequest>,
    pending: &PendingLogin,
) -> Option<HeaderValue> {
    let Some(request) = request else {
        return Some(clear(state));
    };
    let kept = Kept {
        pending_state: pending.state.clone(),
        request,
    };
    let value = encode(&kept)?;
    Some(session::set_cookie(
        state,
        CLI_COOKIE,
        &value,
        Some(oidc::PENDING_TTL_MS / 1000),
    ))
}

pub fn clear(state: &AppState) -> HeaderValue {
    session::clear_cookie(state, CLI_COOKIE)
}

/// The CLI's request of this browser's pending sign-in, if it was started
/// for the CLI.
pub fn take(
    state: &AppState,
    headers: &HeaderMap,
    pending: Option<&PendingLogin>,
) -> Option<CliRequest> {
    let kept: Kept = decode(&session::signed_cookie(state, headers, CLI_COOKIE)?)?;
    (Some(kept.pending_state.as_str()) == pending.map(|p| p.state.as_str())).then_some(kept.request)
}

/// After the provider signed `user` in for the CLI: a one-time code, sent to
/// the CLI's loopback address; no browser session is started.
pub async fn finish(
    state: &AppState,
    caller: &Principal,
    user: &UserRecord,
    request: &CliRequest,
) -> Response {
    match cli_login::issue_code(state, caller, user, request).await {
        Ok(url) => {
            let mut resp = Redirect::to(&url).into_response();
            resp.headers_mut().append(SET_COOKIE, clear(state));
            resp
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot issue a CLI sign-in code");
            WebError::Internal.into_response()
        }
    }
}
