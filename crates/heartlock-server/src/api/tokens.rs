//! /api/v1/projects/{project}/tokens: service tokens (project owners/admins).
use super::docs::{CommonErrors, TokenAccessName};
use super::error::ApiResult;
use super::extract::{Json, Path, Query};
use super::pagination::{Page, PageParams};
use crate::auth::Caller;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use heartlock_domain::records::{EnvironmentRecord, TokenRecord};
use heartlock_domain::tokens::{self as svc, NewToken};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tokens, create_token))
        .routes(routes!(revoke_token))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    #[schema(
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$",
        max_length = 100
    )]
    pub name: String,
    /// Environment slugs the token may read (and write).
    #[schema(min_items = 1)]
    pub environments: Vec<String>,
    /// `read` or `read_write`.
    #[schema(value_type = TokenAccessName)]
    pub access: String,
    /// Days until the token stops working (absent or null: never).
    #[serde(default, deserialize_with = "super::views::opt_integer")]
    #[schema(minimum = 1, maximum = 3650)]
    pub expires_in_days: Option<u32>,
    /// Client addresses or CIDRs allowed to use the token (none: any).
    #[serde(default)]
    pub allowed_cidrs: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    pub id: String,
    pub name: String,
    /// The first characters of the token, to recognise it.
    pub prefix: String,
    pub environments: Vec<String>,
    pub access: String,
    pub allowed_cidrs: Vec<String>,
    #[schema(nullable = true)]
    pub expires_at: Option<i64>,
    #[schema(nullable = true)]
    pub last_used_at: Option<i64>,
    #[schema(nullable = true)]
    pub revoked_at: Option<i64>,
    #[schema(nullable = true)]
    pub created_by: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedToken {
    /// The token itself. It is shown only now: store it safely.
    pub token: String,
    #[serde(flatten)]
    pub info: TokenView,
}

fn view(t: &TokenRecord, envs: &[EnvironmentRecord]) -> TokenView {
    TokenView {
        id: t.id.clone(),
        name: t.name.clone(),
        prefix: t.display_prefix.clone(),
        environments: t
            .environments
            .iter()
            .filter_map(|id| envs.iter().find(|e| e.id == *id).map(|e| e.slug.clone()))
            .collect(),
        access: t.access.as_str().to_string(),
        allowed_cidrs: t.allowed_cidrs.iter().map(ToString::to_string).collect(),
        expires_at: t.expires_at,
        last_used_at: t.last_used_at,
        revoked_at: t.revoked_at,
        created_by: t.created_by.clone(),
        created_at: t.created_at,
    }
}

#[utoipa::path(get, path = "/projects/{project}/tokens", tag = "tokens", security(("bearer" = [])),
    params(("project" = String, Path, description = "Project slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$"), PageParams),
    responses((status = 200, description = "Service tokens, newest first", body = Page<TokenView>), CommonErrors))]
async fn list_tokens(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<Page<TokenView>>> {
    let (_, tokens, envs) = svc::list(&state, &caller, &project).await?;
    Ok(Json(Page::slice(
        tokens.iter().map(|t| view(t, &envs)).collect(),
        &page,
    )))
}

/// Create a service token. The response holds the token once; only its hash is kept.
#[utoipa::path(post, path = "/projects/{project}/tokens", tag = "tokens", security(("bearer" = [])),
    params(("project" = String, Path, description = "Project slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$")), request_body = CreateToken,
    responses((status = 201, description = "Created", body = CreatedToken), CommonErrors))]
async fn create_token(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    Json(req): Json<CreateToken>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    let new = NewToken {
        name: &req.name,
        environments: &req.environments,
        access: &req.access,
        expires_in_days: req.expires_in_days,
        allowed_cidrs: &req.allowed_cidrs,
    };
    let created = svc::create(&state, &caller, &project, new).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            info: view(&created.record, &created.environments),
            token: created.token,
        }),
    ))
}

#[utoipa::path(delete, path = "/projects/{project}/tokens/{token_id}", tag = "tokens", security(("bearer" = [])),
    params(("project" = String, Path, description = "Project slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$"), ("token_id" = String, Path, description = "Token id")),
    responses((status = 204, description = "Revoked"), CommonErrors))]
async fn revoke_token(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, token_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    svc::revoke(&state, &caller, &project, &token_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
