//! Authenticating a service token (`Authorization: Bearer hl_st_…`).
use crate::api::error::ApiError;
use crate::state::AppState;
use heartlock_core::{cidr, token};
use heartlock_store::TokenRecord;
use std::net::IpAddr;

pub const PREFIX: &str = "hl_st_";
/// Last-used times are written at most this often per token.
const TOUCH_EVERY_MS: i64 = 60_000;

/// Looks the token up by hash. Unknown, revoked and expired tokens are 401;
/// a client outside the token's CIDRs is 403.
pub async fn authenticate(
    state: &AppState,
    presented: &str,
    peer: Option<IpAddr>,
) -> Result<TokenRecord, ApiError> {
    let hash = token::hash_token(presented);
    let record = state
        .cache
        .token(&state.store, &hash)
        .await?
        .ok_or(ApiError::Unauthenticated("unknown service token"))?;
    let now = state.clock.now_ms();
    if record.revoked_at.is_some() {
        return Err(ApiError::Unauthenticated(
            "this service token has been revoked",
        ));
    }
    if record.expires_at.is_some_and(|e| e <= now) {
        return Err(ApiError::Unauthenticated("this service token has expired"));
    }
    if !record.allowed_cidrs.is_empty()
        && !peer.is_some_and(|ip| cidr::ip_allowed(ip, &record.allowed_cidrs))
    {
        return Err(ApiError::Forbidden(
            "this service token may not be used from your address".into(),
        ));
    }
    if state.cache.should_touch(&record.id, now, TOUCH_EVERY_MS) {
        // Off the request path: last-used is informational.
        let (store, id) = (state.store.clone(), record.id.clone());
        tokio::spawn(async move {
            if let Err(e) = store.touch_token(&id, now).await {
                tracing::warn!(error = %e, "cannot record service token use");
            }
        });
    }
    Ok((*record).clone())
}
