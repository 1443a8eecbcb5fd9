//! `POST /shares`: share.js's creation request, with the browser's session
//! cookie and the X-CSRF-Token header (the API takes bearer tokens only,
//! like web::push). The JSON is the API's (`POST /api/v1/shares`,
//! docs/shares.md): the sealed blob and the access value, never the value.
use super::i18n::Tr;
use super::session::WebCtx;
use crate::api::shares::CreateShare;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use heartlock_domain::DomainError;
use heartlock_domain::shares;
use serde_json::json;

/// A JSON answer `{"detail": …}` (the domain's own words: no secret in them).
fn problem(status: StatusCode, detail: &str) -> Response {
    (status, axum::Json(json!({ "detail": detail }))).into_response()
}

fn from_domain(tr: Tr, e: DomainError) -> Response {
    let status = match &e {
        DomainError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        DomainError::Forbidden(_) => StatusCode::FORBIDDEN,
        DomainError::NotFound(_) => StatusCode::NOT_FOUND,
        DomainError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        DomainError::Conflict(_) => StatusCode::CONFLICT,
        DomainError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        DomainError::TooManyAttempts { retry_after_secs } => {
            let secs = *retry_after_secs;
            let mut r = problem(
                StatusCode::TOO_MANY_REQUESTS,
                &super::errors::too_many_message(tr, secs),
            );
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            return r;
        }
        DomainError::Integrity(d) | DomainError::Unavailable(d) | DomainError::Internal(d) => {
            tracing::error!(error = %d, "share creation failed");
            return problem(StatusCode::INTERNAL_SERVER_ERROR, "internal error");
        }
    };
    problem(status, &super::auth_pages::user_message(&e))
}

pub async fn create(
    State(state): State<AppState>,
    ctx: WebCtx,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // The session's token (or the double-submit cookie's before sign-in).
    let sent = headers
        .get(super::csrf::HEADER)
        .and_then(|v| v.to_str().ok());
    let csrf_ok =
        !ctx.csrf.is_empty() && sent.is_some_and(|s| heartlock_core::token::ct_eq(s, &ctx.csrf));
    if !csrf_ok {
        return problem(StatusCode::FORBIDDEN, &ctx.tr.t("error.csrf_text"));
    }
    // serde's messages may quote values: only say which part is wrong.
    let Ok(parsed) = serde_json::from_slice::<CreateShare>(&body) else {
        return problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "expected a JSON object with the share's fields",
        );
    };
    let new = match parsed.into_new_share() {
        Ok(n) => n,
        Err(e) => return from_domain(ctx.tr, e),
    };
    match shares::create(&state, &ctx.caller, new).await {
        Ok(s) => {
            let mut r = (
                StatusCode::CREATED,
                axum::Json(json!({
                    "id": s.id,
                    "label": s.label,
                    "views_allowed": s.views_allowed,
                    "views_left": s.views_left,
                    "expires_at": s.expires_at,
                    "created_at": s.created_at,
                    "passphrase": s.passphrase,
                })),
            )
                .into_response();
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(e) => from_domain(ctx.tr, e),
    }
}
