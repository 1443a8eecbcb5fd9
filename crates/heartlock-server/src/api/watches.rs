//! /api/v1/projects/{project}/environments/{env}/watch and /api/v1/watches:
//! "notify me" about secret changes in an environment, by email and/or
//! push. People only (service tokens get 403); watching needs read access
//! to the environment.
use super::docs::CommonErrors;
use super::error::ApiResult;
use super::extract::{Json, Path, Query};
use super::pagination::{Page, PageParams};
use crate::auth::Caller;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use heartlock_domain::watches::{self, Channels, Watch};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_watch, put_watch, delete_watch))
        .routes(routes!(list_watches))
}

type EnvPath = Path<(String, String)>;

/// A watch of one environment.
#[derive(Debug, Serialize, ToSchema)]
pub struct WatchView {
    /// Project slug.
    pub project: String,
    pub project_name: String,
    /// Environment slug.
    pub environment: String,
    pub environment_name: String,
    /// An email to the account's address on every change.
    pub email: bool,
    /// A push notification to every browser the user subscribed.
    pub push: bool,
    /// Unix milliseconds.
    pub created_at: i64,
}

impl From<Watch> for WatchView {
    fn from(w: Watch) -> Self {
        Self {
            project: w.project,
            project_name: w.project_name,
            environment: w.environment,
            environment_name: w.environment_name,
            email: w.channels.email,
            push: w.channels.push,
            created_at: w.created_at,
        }
    }
}

/// Whether the caller watches an environment, and how.
#[derive(Debug, Serialize, ToSchema)]
pub struct WatchStatus {
    pub watching: bool,
    pub email: bool,
    pub push: bool,
    /// Unix milliseconds; `null` when not watching.
    #[schema(nullable = true)]
    pub created_at: Option<i64>,
}

/// The channels to be told through; at least one must be true.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WatchRequest {
    pub email: bool,
    pub push: bool,
}

/// Whether the caller watches this environment.
#[utoipa::path(get, path = "/projects/{project}/environments/{env}/watch", tag = "environments", security(("bearer" = [])),
    params(("project" = String, Path, description = "Project slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$"), ("env" = String, Path, description = "Environment slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$")),
    responses((status = 200, description = "The caller's watch", body = WatchStatus), CommonErrors))]
async fn get_watch(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, env)): EnvPath,
) -> ApiResult<Json<WatchStatus>> {
    let w = watches::get(&state, &caller, &project, &env).await?;
    Ok(Json(match w {
        Some(w) => WatchStatus {
            watching: true,
            email: w.channels.email,
            push: w.channels.push,
            created_at: Some(w.created_at),
        },
        None => WatchStatus {
            watching: false,
            email: false,
            push: false,
            created_at: None,
        },
    }))
}

/// Watch this environment (or change how): a message on every secret
/// change by someone else, naming who changed which keys, never a value.
#[utoipa::path(put, path = "/projects/{project}/environments/{env}/watch", tag = "environments", security(("bearer" = [])),
    params(("project" = String, Path, description = "Project slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$"), ("env" = String, Path, description = "Environment slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$")),
    request_body = WatchRequest,
    responses((status = 200, description = "Watching", body = WatchView), CommonErrors))]
async fn put_watch(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, env)): EnvPath,
    Json(req): Json<WatchRequest>,
) -> ApiResult<Json<WatchView>> {
    let channels = Channels {
        email: req.email,
        push: req.push,
    };
    let w = watches::set(&state, &caller, &project, &env, channels).await?;
    Ok(Json(w.into()))
}

/// Stop watching this environment (also when not watching).
#[utoipa::path(delete, path = "/projects/{project}/environments/{env}/watch", tag = "environments", security(("bearer" = [])),
    params(("project" = String, Path, description = "Project slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$"), ("env" = String, Path, description = "Environment slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$")),
    responses((status = 204, description = "Not watching"), CommonErrors))]
async fn delete_watch(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, env)): EnvPath,
) -> ApiResult<StatusCode> {
    watches::remove(&state, &caller, &project, &env).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's watches (of environments they may still read).
#[utoipa::path(get, path = "/watches", tag = "environments", security(("bearer" = [])),
    params(PageParams),
    responses((status = 200, description = "Watches by project and environment", body = Page<WatchView>), CommonErrors))]
async fn list_watches(
    State(state): State<AppState>,
    caller: Caller,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<Page<WatchView>>> {
    let all = watches::list_mine(&state, &caller).await?;
    let items = all.into_iter().map(WatchView::from).collect();
    Ok(Json(Page::slice(items, &page)))
}
