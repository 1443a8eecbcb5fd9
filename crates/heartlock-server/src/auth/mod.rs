//! Who is calling: the `Caller` extractor resolves the Authorization header
//! into an actor (a user with a live session, or anonymous) plus the
//! client's IP for the audit log.
pub mod jwt;
pub mod service_token;

use crate::api::error::ApiError;
use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use heartlock_core::roles::{AnonymousPolicy, ServerRole};
use heartlock_store::{TokenRecord, UserRecord};
use std::net::SocketAddr;

#[derive(Debug, Clone)]
pub enum Actor {
    User {
        user: Box<UserRecord>,
        session_id: String,
    },
    /// A service token (already checked: live, not expired, allowed address).
    Token(Box<TokenRecord>),
    Anonymous,
}

impl Actor {
    pub fn user(&self) -> Option<&UserRecord> {
        match self {
            Actor::User { user, .. } => Some(user),
            Actor::Token(_) | Actor::Anonymous => None,
        }
    }

    pub fn server_role(&self) -> ServerRole {
        match self {
            Actor::User { user, .. } if user.is_superuser || user.role == "admin" => {
                ServerRole::Admin
            }
            _ => ServerRole::User,
        }
    }

    /// The signed-in user or a 401.
    pub fn require_user(&self) -> Result<&UserRecord, ApiError> {
        self.user()
            .ok_or(ApiError::Unauthenticated("sign in first"))
    }
}

/// The caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub actor: Actor,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

pub fn anonymous_policy(state: &AppState) -> AnonymousPolicy {
    match state.settings.policy_no_auth_default {
        heartlock_config::NoAuthPolicy::Deny => AnonymousPolicy::Deny,
        heartlock_config::NoAuthPolicy::ViewOnly => AnonymousPolicy::ViewOnly,
        heartlock_config::NoAuthPolicy::AllowAll => AnonymousPolicy::AllowAll,
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

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        let user_agent = parts
            .headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(200).collect());
        let actor = match bearer(parts) {
            None => Actor::Anonymous,
            Some(token) if token.starts_with(service_token::PREFIX) => {
                let peer = parts
                    .extensions
                    .get::<ConnectInfo<SocketAddr>>()
                    .map(|c| c.0.ip());
                Actor::Token(Box::new(
                    service_token::authenticate(state, token, peer).await?,
                ))
            }
            Some(token) => {
                let now_ms = state.clock.now_ms();
                let claims =
                    state
                        .jwt
                        .verify(token, now_ms.div_euclid(1000))
                        .map_err(|e| match e {
                            jwt::JwtError::Expired => {
                                ApiError::Unauthenticated("the access token has expired")
                            }
                            jwt::JwtError::Invalid => {
                                ApiError::Unauthenticated("the access token is invalid")
                            }
                        })?;
                let user = state
                    .store
                    .session_user(&claims.sid, now_ms)
                    .await?
                    .filter(|u| u.id == claims.sub)
                    .ok_or(ApiError::Unauthenticated("the session has ended"))?;
                Actor::User {
                    user: Box::new(user),
                    session_id: claims.sid,
                }
            }
        };
        Ok(Caller {
            actor,
            ip,
            user_agent,
        })
    }
}
