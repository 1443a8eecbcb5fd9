//! CSRF tokens on every form and htmx request (synchronizer token for
//! signed-in users, double-submit cookie before sign-in), on top of the
//! Origin check of the hardening middleware.
use super::errors::WebError;
use super::session::WebCtx;
use crate::state::AppState;
use axum::extract::{FromRequest, Request};
use axum::http::HeaderMap;
use serde::de::DeserializeOwned;

pub const HEADER: &str = "x-csrf-token";

/// A form whose `csrf_token` field (or X-CSRF-Token header) was checked.
pub struct CheckedForm<T> {
    pub ctx: WebCtx,
    pub form: T,
}

#[derive(serde::Deserialize)]
struct TokenOnly {
    csrf_token: Option<String>,
}

fn header_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for CheckedForm<T> {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let ctx = <WebCtx as axum::extract::FromRequestParts<AppState>>::from_request_parts(
            &mut parts, state,
        )
        .await
        .map_err(|_| WebError::Internal)?;
        let header = header_token(&parts.headers);
        let bytes = axum::body::to_bytes(body, state.settings.max_body_bytes)
            .await
            .map_err(|_| WebError::TooLarge(ctx.tr))?;
        let sent = header.or_else(|| {
            serde_urlencoded::from_bytes::<TokenOnly>(&bytes)
                .ok()
                .and_then(|t| t.csrf_token)
        });
        let ok = !ctx.csrf.is_empty()
            && sent.is_some_and(|s| heartlock_core::token::ct_eq(&s, &ctx.csrf));
        if !ok {
            return Err(WebError::Csrf(ctx.tr));
        }
        let form =
            serde_urlencoded::from_bytes::<T>(&bytes).map_err(|_| WebError::BadForm(ctx.tr))?;
        Ok(Self { ctx, form })
    }
}
