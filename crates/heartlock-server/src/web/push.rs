//! Browser push from the web UI: the service worker at `/sw.js` (scope `/`)
//! and the account's subscriptions, posted by static/push.js with the
//! session cookie and the CSRF token (the API takes bearer tokens only).
//! Removing one and sending a test are plain forms that work without
//! JavaScript.
use super::auth_pages::Empty;
use super::csrf::CheckedForm;
use super::errors::{WebError, from_domain};
use super::redirect_with_flash;
use crate::state::AppState;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use heartlock_domain::push::{self, SubscribeRequest};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sw.js", get(service_worker))
        .route("/account/push/subscribe", post(subscribe))
        .route("/account/push/unsubscribe", post(unsubscribe))
        .route("/account/push/test", post(send_test))
        .route("/account/push/{id}/delete", post(delete))
}

const SERVICE_WORKER: &str = include_str!("../../static/sw.js");

/// The service worker, served from the root so its scope can be `/`.
pub async fn service_worker() -> Response {
    let mut resp = SERVICE_WORKER.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    h.insert("service-worker-allowed", HeaderValue::from_static("/"));
    // Browsers check for a new worker on navigation; keep it fresh.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

#[derive(Deserialize)]
pub struct SubscribeForm {
    endpoint: String,
    p256dh: String,
    auth: String,
}

/// Stores this browser's subscription; answers JSON for push.js.
pub async fn subscribe(
    State(state): State<AppState>,
    f: CheckedForm<SubscribeForm>,
) -> Result<Response, WebError> {
    let CheckedForm { ctx, form } = f;
    if ctx.user.is_none() {
        return Err(WebError::Login("/account".into()));
    }
    let req = SubscribeRequest {
        endpoint: form.endpoint,
        p256dh: form.p256dh,
        auth: form.auth,
        label: None,
    };
    match push::subscriptions::subscribe(&state, &ctx.caller, &req).await {
        Ok(s) => Ok((
            StatusCode::CREATED,
            axum::Json(serde_json::json!({ "id": s.id })),
        )
            .into_response()),
        Err(
            e @ (heartlock_domain::DomainError::Validation { .. }
            | heartlock_domain::DomainError::Conflict(_)),
        ) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            axum::Json(serde_json::json!({ "error": e.to_string() })),
        )
            .into_response()),
        Err(e) => Err(from_domain(ctx.tr, &ctx.path, e)),
    }
}

#[derive(Deserialize)]
pub struct EndpointForm {
    endpoint: String,
}

/// Forgets this browser's subscription (push.js, after unsubscribing in
/// the browser). 204 even when the server had none: the end state is the
/// same.
pub async fn unsubscribe(
    State(state): State<AppState>,
    f: CheckedForm<EndpointForm>,
) -> Result<Response, WebError> {
    let CheckedForm { ctx, form } = f;
    if ctx.user.is_none() {
        return Err(WebError::Login("/account".into()));
    }
    match push::subscriptions::unsubscribe_endpoint(&state, &ctx.caller, &form.endpoint).await {
        Ok(()) | Err(heartlock_domain::DomainError::NotFound(_)) => {
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        Err(e) => Err(from_domain(ctx.tr, &ctx.path, e)),
    }
}

/// Removes one of the account's subscriptions (any of its browsers).
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    f: CheckedForm<Empty>,
) -> Result<Response, WebError> {
    let ctx = f.ctx;
    if ctx.user.is_none() {
        return Err(WebError::Login("/account".into()));
    }
    push::subscriptions::unsubscribe(&state, &ctx.caller, &id)
        .await
        .map_err(|e| from_domain(ctx.tr, &ctx.path, e))?;
    Ok(redirect_with_flash(
        &state,
        "/account#push",
        "ok",
        "push.removed",
    ))
}

/// Queues a test notification to every browser of the account.
pub async fn send_test(
    State(state): State<AppState>,
    f: CheckedForm<Empty>,
) -> Result<Response, WebError> {
    let ctx = f.ctx;
    if ctx.user.is_none() {
        return Err(WebError::Login("/account".into()));
    }
    let n = push::subscriptions::send_test(&state, &ctx.caller)
        .await
        .map_err(|e| from_domain(ctx.tr, &ctx.path, e))?;
    let key = if n == 0 {
        "push.test_none"
    } else {
        "push.test_sent"
    };
    Ok(redirect_with_flash(&state, "/account#push", "ok", key))
}
