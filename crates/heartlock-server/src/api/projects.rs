//! /api/v1/projects: projects, environments and members.
use super::docs::CommonErrors;
use super::error::ApiResult;
use super::extract::{Json, Path, Query};
use super::pagination::{Page, PageParams};
use super::views::*;
use crate::auth::Caller;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use heartlock_domain::projects::{self, NewProjectRequest};
use heartlock_domain::{environments, members};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_projects, create_project))
        .routes(routes!(get_project, update_project, delete_project))
        .routes(routes!(list_environments, create_environment))
        .routes(routes!(update_environment, delete_environment))
        .routes(routes!(list_members, add_member))
        .routes(routes!(update_member, remove_member))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProjectSearch {
    /// Case-insensitive match on slug or name.
    pub q: Option<String>,
}

/// Projects visible to the caller.
#[utoipa::path(get, path = "/projects", tag = "projects", security(("bearer" = [])), params(PageParams, ProjectSearch),
    responses((status = 200, description = "Projects", body = Page<ProjectView>), CommonErrors))]
async fn list_projects(
    State(state): State<AppState>,
    caller: Caller,
    Query(page): Query<PageParams>,
    Query(search): Query<ProjectSearch>,
) -> ApiResult<Json<Page<ProjectView>>> {
    let (projects, total) = projects::list_info(
        &state,
        &caller,
        search.q.as_deref(),
        page.limit(),
        page.offset(),
    )
    .await?;
    let items = projects.iter().map(ProjectView::from).collect();
    Ok(Json(Page::new(items, &page, total)))
}

/// Create a project; the caller becomes its owner.
#[utoipa::path(post, path = "/projects", tag = "projects", security(("bearer" = [])), request_body = CreateProject,
    responses((status = 201, description = "Created", body = ProjectView), CommonErrors))]
async fn create_project(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<CreateProject>,
) -> ApiResult<(StatusCode, Json<ProjectView>)> {
    let new = NewProjectRequest {
        name: req.name,
        slug: req.slug,
        environments: req.environments,
        org: req.org,
    };
    let info = projects::create_info(&state, &caller, new).await?;
    Ok((StatusCode::CREATED, Json(ProjectView::from(&info))))
}

#[utoipa::path(get, path = "/projects/{project}", tag = "projects", security(("bearer" = [])), params(("project" = String, Path, description = "Project slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$")),
    responses((status = 200, description = "The project", body = ProjectView), CommonErrors))]
async fn get_project(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
) -> ApiResult<Json<ProjectView>> {
    let info = projects::get(&state, &caller, &project).await?;
    Ok(Json(ProjectView::from(&info)))
}

#[utoipa::path(patch, path = "/projects/{project}", tag = "projects", security(("bearer" = [])), params(("project" = String, Path, description = "Project slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$")),
    request_body = UpdateProject, responses((status = 200, description = "Updated", body = ProjectView), CommonErrors))]
async fn update_project(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    Json(req): Json<UpdateProject>,
) -> ApiResult<Json<ProjectView>> {
    let info = projects::update(
        &state,
        &caller,
        &project,
        req.name.as_deref(),
        req.org.as_deref(),
    )
    .await?;
    Ok(Json(ProjectView::from(&info)))
}

/// Delete a project with all its environments and secrets (owners only).
#[utoipa::path(delete, path = "/projects/{project}", tag = "projects", security(("bearer" = [])), params(("project" = String, Path, description = "Project slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$")),
    responses((status = 204, description = "Deleted"), CommonErrors))]
async fn delete_project(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
) -> ApiResult<StatusCode> {
    projects::delete(&state, &caller, &project).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/projects/{project}/environments", tag = "environments", security(("bearer" = [])),
    params(("project" = String, Path, description = "Project slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$"), PageParams),
    responses((status = 200, description = "Environments in order", body = Page<EnvironmentView>), CommonErrors))]
async fn list_environments(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<Page<EnvironmentView>>> {
    let (_, envs) = environments::list(&state, &caller, &project).await?;
    Ok(Json(Page::slice(
        envs.iter().map(EnvironmentView::from).collect(),
        &page,
    )))
}

#[utoipa::path(post, path = "/projects/{project}/environments", tag = "environments", security(("bearer" = [])),
    params(("project" = String, Path, description = "Project slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$")), request_body = CreateEnvironment,
    responses((status = 201, description = "Created", body = EnvironmentView), CommonErrors))]
async fn create_environment(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    Json(req): Json<CreateEnvironment>,
) -> ApiResult<(StatusCode, Json<EnvironmentView>)> {
    let env =
        environments::create(&state, &caller, &project, &req.slug, req.name.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(EnvironmentView::from(&env))))
}

#[utoipa::path(patch, path = "/projects/{project}/environments/{env}", tag = "environments", security(("bearer" = [])),
    params(("project" = String, Path, description = "Project slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$"), ("env" = String, Path, description = "Environment slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$")),
    request_body = UpdateEnvironment, responses((status = 200, description = "Updated", body = EnvironmentView), CommonErrors))]
async fn update_environment(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, env)): Path<(String, String)>,
    Json(req): Json<UpdateEnvironment>,
) -> ApiResult<Json<EnvironmentView>> {
    let e = environments::update(
        &state,
        &caller,
        &project,
        &env,
        req.name.as_deref(),
        req.position,
    )
    .await?;
    Ok(Json(EnvironmentView::from(&e)))
}

/// Delete an environment and its secrets.
#[utoipa::path(delete, path = "/projects/{project}/environments/{env}", tag = "environments", security(("bearer" = [])),
    params(("project" = String, Path, description = "Project slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$"), ("env" = String, Path, description = "Environment slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$")),
    responses((status = 204, description = "Deleted"), CommonErrors))]
async fn delete_environment(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, env)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    environments::delete(&state, &caller, &project, &env).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/projects/{project}/members", tag = "members", security(("bearer" = [])),
    params(("project" = String, Path, description = "Project slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$"), PageParams),
    responses((status = 200, description = "Members", body = Page<MemberView>), CommonErrors))]
async fn list_members(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<Page<MemberView>>> {
    let list = members::list(&state, &caller, &project).await?;
    let items = list.into_iter().map(MemberView::from).collect();
    Ok(Json(Page::slice(items, &page)))
}

/// Add a user (by email) to the project, or change their role and
/// environments (`environments` limits a viewer or member to those).
#[utoipa::path(post, path = "/projects/{project}/members", tag = "members", security(("bearer" = [])),
    params(("project" = String, Path, description = "Project slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$")), request_body = AddMember,
    responses((status = 200, description = "Member added or updated", body = MemberView), CommonErrors))]
async fn add_member(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    Json(req): Json<AddMember>,
) -> ApiResult<Json<MemberView>> {
    let m = members::add(
        &state,
        &caller,
        &project,
        &req.email,
        &req.role,
        req.environments.as_deref(),
    )
    .await?;
    Ok(Json(MemberView::from(m)))
}

#[utoipa::path(patch, path = "/projects/{project}/members/{user_id}", tag = "members", security(("bearer" = [])),
    params(("project" = String, Path, description = "Project slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$"), ("user_id" = String, Path, description = "User id")),
    request_body = UpdateMember, responses((status = 200, description = "Updated", body = MemberView), CommonErrors))]
async fn update_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, user_id)): Path<(String, String)>,
    Json(req): Json<UpdateMember>,
) -> ApiResult<Json<MemberView>> {
    let m = members::change_role(
        &state,
        &caller,
        &project,
        &user_id,
        &req.role,
        req.environments.as_deref(),
    )
    .await?;
    Ok(Json(MemberView::from(m)))
}

#[utoipa::path(delete, path = "/projects/{project}/members/{user_id}", tag = "members", security(("bearer" = [])),
    params(("project" = String, Path, description = "Project slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$"), ("user_id" = String, Path, description = "User id")),
    responses((status = 204, description = "Removed"), CommonErrors))]
async fn remove_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, user_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    members::remove(&state, &caller, &project, &user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
