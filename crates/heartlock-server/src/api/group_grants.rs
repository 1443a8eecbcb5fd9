//! /api/v1/projects/{project}/group-grants: project roles granted to
//! identity-provider groups, optionally limited to some environments.
use super::docs::{CommonErrors, ProjectRoleName};
use super::error::ApiResult;
use super::extract::{Json, Path, Query};
use super::pagination::{Page, PageParams};
use crate::auth::Caller;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use heartlock_domain::group_grants::{self, GroupGrant};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_grants, create_grant))
        .routes(routes!(update_grant, delete_grant))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupGrantView {
    /// The group name, as the identity provider's groups claim spells it.
    pub group: String,
    #[schema(value_type = ProjectRoleName)]
    pub role: String,
    /// Slugs of the environments the grant is limited to, in project order;
    /// `null` for every environment.
    #[schema(nullable = true)]
    pub environments: Option<Vec<String>>,
    /// Unix milliseconds.
    pub created_at: i64,
}

impl From<GroupGrant> for GroupGrantView {
    fn from(g: GroupGrant) -> Self {
        Self {
            group: g.group,
            role: g.role.as_str().into(),
            environments: g.environments,
            created_at: g.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGroupGrant {
    /// 1 to 200 characters, no control characters.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]+$"
    )]
    pub group: String,
    #[schema(value_type = ProjectRoleName)]
    pub role: String,
    /// Slugs of the environments a viewer or member grant is limited to;
    /// absent or `null` for every environment.
    #[schema(nullable = true, max_items = 100)]
    #[serde(default)]
    pub environments: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateGroupGrant {
    #[schema(value_type = ProjectRoleName)]
    pub role: String,
    /// Slugs of the environments a viewer or member grant is limited to;
    /// absent or `null` for every environment (the previous limit is
    /// replaced).
    #[schema(nullable = true, max_items = 100)]
    #[serde(default)]
    pub environments: Option<Vec<String>>,
}

/// The project's group grants, by group name.
#[utoipa::path(get, path = "/projects/{project}/group-grants", tag = "members", security(("bearer" = [])),
    params(("project" = String, Path, description = "Project slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$"), PageParams),
    responses((status = 200, description = "Group grants", body = Page<GroupGrantView>), CommonErrors))]
async fn list_grants(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<Page<GroupGrantView>>> {
    let list = group_grants::list(&state, &caller, &project).await?;
    let items = list.into_iter().map(GroupGrantView::from).collect();
    Ok(Json(Page::slice(items, &page)))
}

/// Grant a role to an identity-provider group, or change an existing grant.
#[utoipa::path(post, path = "/projects/{project}/group-grants", tag = "members", security(("bearer" = [])),
    params(("project" = String, Path, description = "Project slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$")),
    request_body = CreateGroupGrant,
    responses((status = 200, description = "Granted (created or updated)", body = GroupGrantView), CommonErrors))]
async fn create_grant(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    Json(req): Json<CreateGroupGrant>,
) -> ApiResult<Json<GroupGrantView>> {
    let g = group_grants::grant(
        &state,
        &caller,
        &project,
        &req.group,
        &req.role,
        req.environments.as_deref(),
    )
    .await?;
    Ok(Json(g.into()))
}

#[utoipa::path(patch, path = "/projects/{project}/group-grants/{group}", tag = "members", security(("bearer" = [])),
    params(("project" = String, Path, description = "Project slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$"), ("group" = String, Path, description = "Group name")),
    request_body = UpdateGroupGrant,
    responses((status = 200, description = "Updated", body = GroupGrantView), CommonErrors))]
async fn update_grant(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, group)): Path<(String, String)>,
    Json(req): Json<UpdateGroupGrant>,
) -> ApiResult<Json<GroupGrantView>> {
    let g = group_grants::change(
        &state,
        &caller,
        &project,
        &group,
        &req.role,
        req.environments.as_deref(),
    )
    .await?;
    Ok(Json(g.into()))
}

#[utoipa::path(delete, path = "/projects/{project}/group-grants/{group}", tag = "members", security(("bearer" = [])),
    params(("project" = String, Path, description = "Project slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$"), ("group" = String, Path, description = "Group name")),
    responses((status = 204, description = "Revoked"), CommonErrors))]
async fn delete_grant(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, group)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    group_grants::revoke(&state, &caller, &project, &group).await?;
    Ok(StatusCode::NO_CONTENT)
}
