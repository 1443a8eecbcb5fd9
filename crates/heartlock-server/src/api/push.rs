//! /api/v1/push: browser push notifications. The application server key is
//! public; subscriptions are the caller's own (people only: a service token
//! gets 403), and their keys are never returned.
use super::docs::CommonErrors;
use super::error::ApiResult;
use super::extract::{Json, Path, Query};
use super::pagination::{Page, PageParams};
use crate::auth::Caller;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use heartlock_domain::push::{self, PushSubscriptionView, SubscribeRequest};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(public_key))
        .routes(routes!(list_subscriptions, create_subscription))
        .routes(routes!(delete_subscription))
        .routes(routes!(send_test))
}

/// The key browsers pass to `pushManager.subscribe` as
/// `applicationServerKey`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicKeyView {
    /// Unpadded base64url of the 65-byte uncompressed P-256 point.
    pub public_key: String,
}

/// A subscription as its owner sees it (never its keys).
#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionView {
    pub id: String,
    /// The browser's push endpoint (so a page can find its own).
    pub endpoint: String,
    /// The push service's origin.
    pub service: String,
    /// A label, e.g. the browser's User-Agent.
    pub label: String,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Unix milliseconds of the last delivered push; `null` before one.
    #[schema(nullable = true)]
    pub last_success_at: Option<i64>,
}

impl From<PushSubscriptionView> for SubscriptionView {
    fn from(s: PushSubscriptionView) -> Self {
        Self {
            id: s.id,
            endpoint: s.endpoint,
            service: s.service,
            label: s.label,
            created_at: s.created_at,
            last_success_at: s.last_success_at,
        }
    }
}

/// The browser's keys, as `PushSubscription.toJSON()` gives them.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SubscriptionKeys {
    /// Unpadded base64url of the browser's 65-byte P-256 public key.
    #[schema(max_length = 100)]
    pub p256dh: String,
    /// Unpadded base64url of the 16-byte auth secret.
    #[schema(max_length = 30)]
    pub auth: String,
}

/// A `PushSubscription` as browsers serialise it (`toJSON()`); other
/// fields it may carry (`expirationTime`) are ignored.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateSubscription {
    /// The push service URL for this browser: https to a public host on
    /// port 443 (plain http to a loopback address only with DEBUG on).
    #[schema(max_length = 2048)]
    pub endpoint: String,
    pub keys: SubscriptionKeys,
    /// A label for the list (defaults to the request's User-Agent).
    #[schema(nullable = true, max_length = 120)]
    #[serde(default)]
    pub label: Option<String>,
}

/// How many test notifications were queued.
#[derive(Debug, Serialize, ToSchema)]
pub struct TestQueued {
    /// One per subscribed browser; 0 when none is.
    pub queued: usize,
}

/// The server's application server key (VAPID public key).
#[utoipa::path(get, path = "/push/public-key", tag = "push",
    responses((status = 200, description = "The application server key", body = PublicKeyView), CommonErrors))]
async fn public_key(
    State(state): State<AppState>,
    // Public, but a presented token must be valid (as on every route).
    _caller: Caller,
) -> Json<PublicKeyView> {
    Json(PublicKeyView {
        public_key: push::public_key(&state),
    })
}

/// The caller's push subscriptions, oldest first.
#[utoipa::path(get, path = "/push/subscriptions", tag = "push", security(("bearer" = [])),
    params(PageParams),
    responses((status = 200, description = "Subscriptions", body = Page<SubscriptionView>), CommonErrors))]
async fn list_subscriptions(
    State(state): State<AppState>,
    caller: Caller,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<Page<SubscriptionView>>> {
    let list = push::subscriptions::list(&state, &caller).await?;
    let items = list.into_iter().map(SubscriptionView::from).collect();
    Ok(Json(Page::slice(items, &page)))
}

/// Subscribe a browser to the caller's notifications. The same endpoint
/// subscribed again replaces the earlier subscription.
#[utoipa::path(post, path = "/push/subscriptions", tag = "push", security(("bearer" = [])),
    request_body = CreateSubscription,
    responses((status = 201, description = "Subscribed", body = SubscriptionView), CommonErrors))]
async fn create_subscription(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<CreateSubscription>,
) -> ApiResult<(StatusCode, Json<SubscriptionView>)> {
    let req = SubscribeRequest {
        endpoint: req.endpoint,
        p256dh: req.keys.p256dh,
        auth: req.keys.auth,
        label: req.label,
    };
    let s = push::subscriptions::subscribe(&state, &caller, &req).await?;
    Ok((StatusCode::CREATED, Json(s.into())))
}

/// Remove one of the caller's subscriptions.
#[utoipa::path(delete, path = "/push/subscriptions/{id}", tag = "push", security(("bearer" = [])),
    params(("id" = String, Path, description = "Subscription id")),
    responses((status = 204, description = "Removed"), CommonErrors))]
async fn delete_subscription(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    push::subscriptions::unsubscribe(&state, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Queue a test notification to every browser the caller subscribed.
#[utoipa::path(post, path = "/push/subscriptions/test", tag = "push", security(("bearer" = [])),
    responses((status = 202, description = "Queued", body = TestQueued), CommonErrors))]
async fn send_test(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<(StatusCode, Json<TestQueued>)> {
    let queued = push::subscriptions::send_test(&state, &caller).await?;
    Ok((StatusCode::ACCEPTED, Json(TestQueued { queued })))
}
