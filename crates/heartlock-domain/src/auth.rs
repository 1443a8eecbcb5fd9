//! Turning a presented credential into an [`Actor`]: a service token
//! (`hl_st_…`) or an access token (JWT) naming a live session.
use crate::Domain;
use crate::error::DomainError;
use crate::jwt::JwtError;
use crate::principal::Actor;
use heartlock_core::{cidr, token};
use heartlock_store::TokenRecord;
use std::net::IpAddr;

pub const PREFIX: &str = "hl_st_";
/// Last-used times are written at most this often per token.
const TOUCH_EVERY_MS: i64 = 60_000;

/// Looks the token up by hash. Unknown, revoked and expired tokens are 401;
/// a client outside the token's CIDRs is 403.
pub async fn authenticate(
    dom: &Domain,
    presented: &str,
    peer: Option<IpAddr>,
) -> Result<TokenRecord, DomainError> {
    let hash = token::hash_token(presented);
    let record = dom
        .cache
        .token(&dom.store, &hash)
        .await?
        .ok_or(DomainError::Unauthenticated("unknown service token"))?;
    let now = dom.clock.now_ms();
    if record.revoked_at.is_some() {
        return Err(DomainError::Unauthenticated(
            "this service token has been revoked",
        ));
    }
    if record.expires_at.is_some_and(|e| e <= now) {
        return Err(DomainError::Unauthenticated(
            "this service token has expired",
        ));
    }
    if !record.allowed_cidrs.is_empty()
        && !peer.is_some_and(|ip| cidr::ip_allowed(ip, &record.allowed_cidrs))
    {
        return Err(DomainError::Forbidden(
            "this service token may not be used from your address".into(),
        ));
    }
    if dom.cache.should_touch(&record.id, now, TOUCH_EVERY_MS) {
        // Off the request path: last-used is informational.
        let (store, id) = (dom.store.clone(), record.id.clone());
        tokio::spawn(async move {
            if let Err(e) = store.touch_token(&id, now).await {
                tracing::warn!(error = %e, "cannot record service token use");
            }
        });
    }
    Ok((*record).clone())
}

/// Authenticates an `Authorization: Bearer …` value: a service token, or an
/// access token whose session is still live and whose user is enabled.
pub async fn authenticate_bearer(
    dom: &Domain,
    bearer: &str,
    peer: Option<IpAddr>,
) -> Result<Actor, DomainError> {
    if bearer.starts_with(PREFIX) {
        return Ok(Actor::Token(Box::new(
            authenticate(dom, bearer, peer).await?,
        )));
    }
    let now_ms = dom.now_ms();
    let claims = dom
        .jwt
        .verify(bearer, now_ms.div_euclid(1000))
        .map_err(|e| match e {
            JwtError::Expired => DomainError::Unauthenticated("the access token has expired"),
            JwtError::Invalid => DomainError::Unauthenticated("the access token is invalid"),
        })?;
    let user = dom
        .store
        .session_user(&claims.sid, now_ms)
        .await?
        .filter(|u| u.id == claims.sub)
        .ok_or(DomainError::Unauthenticated("the session has ended"))?;
    Ok(Actor::User {
        user: Box::new(user),
        session_id: claims.sid,
    })
}
