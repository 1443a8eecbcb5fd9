//! Who is calling: the `Caller` extractor turns the Authorization header
//! into a domain [`Principal`] (a user with a live session, a service token,
//! or anonymous) plus the client's address for the audit log. It decides no
//! permission: the domain does.
use crate::api::error::ApiError;
use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use heartlock_domain::{Actor, Principal};
use std::net::SocketAddr;

/// The caller of an API request (derefs to its [`Principal`]).
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl std::ops::Deref for Caller {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.0
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// The TCP peer's address and the (truncated) User-Agent of a request.
pub fn origin(parts: &Parts) -> (Option<std::net::IpAddr>, Option<String>) {
    let ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let user_agent = parts
        .headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(200).collect());
    (ip, user_agent)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (peer, user_agent) = origin(parts);
        let actor = match bearer(parts) {
            None => Actor::Anonymous,
            Some(token) => heartlock_domain::auth::authenticate_bearer(state, token, peer).await?,
        };
        Ok(Caller(Principal {
            actor,
            ip: peer.map(|ip| ip.to_string()),
            user_agent,
            base_url: crate::mail_context::request_base_url(state, &parts.headers),
        }))
    }
}
