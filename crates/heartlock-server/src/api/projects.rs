//! /api/v1/projects: projects, environments and members.
use super::docs::CommonErrors;
use super::error::{ApiError, ApiResult};
use super::extract::{Json, Path, Query};
use super::pagination::{Page, PageParams};
use super::views::*;
use crate::auth::Caller;
use crate::cache::{Change, changed};
use crate::services::audit_event::{EventExt, event};
use crate::services::projects::{self as svc, access, environment, validate_name};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use heartlock_core::audit::Outcome;
use heartlock_core::roles::{Action, ProjectRole};
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

async fn view(
    state: &AppState,
    caller: &Caller,
    p: &heartlock_store::ProjectRecord,
) -> ApiResult<ProjectView> {
    let envs = state.store.environments(&p.id).await?;
    let role = match caller.actor.user() {
        Some(u) => state.store.membership_role(&p.id, &u.id).await?,
        None => None,
    };
    Ok(ProjectView::new(p, role.as_deref(), &envs))
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
    let (projects, total) = svc::list(
        &state,
        &caller,
        search.q.as_deref(),
        page.limit(),
        page.offset(),
    )
    .await?;
    let mut items = Vec::with_capacity(projects.len());
    for (p, role) in projects {
        let envs = state.store.environments(&p.id).await?;
        items.push(ProjectView::new(&p, role.map(ProjectRole::as_str), &envs));
    }
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
    let p = svc::create(
        &state,
        &caller,
        &req.name,
        req.slug.as_deref(),
        req.environments,
        req.org,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(view(&state, &caller, &p).await?)))
}

#[utoipa::path(get, path = "/projects/{project}", tag = "projects", security(("bearer" = [])), params(("project" = String, Path, description = "Project slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$")),
    responses((status = 200, description = "The project", body = ProjectView), CommonErrors))]
async fn get_project(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
) -> ApiResult<Json<ProjectView>> {
    let p = access(&state, &caller, &project, Action::ViewProject).await?;
    Ok(Json(view(&state, &caller, &p).await?))
}

#[utoipa::path(patch, path = "/projects/{project}", tag = "projects", security(("bearer" = [])), params(("project" = String, Path, description = "Project slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$")),
    request_body = UpdateProject, responses((status = 200, description = "Updated", body = ProjectView), CommonErrors))]
async fn update_project(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    Json(req): Json<UpdateProject>,
) -> ApiResult<Json<ProjectView>> {
    let p = access(&state, &caller, &project, Action::ManageProject).await?;
    let name = match &req.name {
        Some(n) => validate_name("name", n)?,
        None => p.name.clone(),
    };
    let org = match req.org {
        Some(o) if o.trim().is_empty() => None,
        Some(o) => Some(validate_name("org", &o)?),
        None => p.org.clone(),
    };
    state
        .store
        .update_project(&p.id, &name, org.as_deref(), state.clock.now_ms())
        .await?;
    changed(&state.cache, &state.store, Change::Project(p.id.clone())).await;
    state
        .audit
        .record(event(&state, &caller, "project.update", Outcome::Success).project(&p.id))
        .await;
    let p = state
        .store
        .project_by_id(&p.id)
        .await?
        .ok_or(ApiError::NotFound("project not found"))?;
    Ok(Json(view(&state, &caller, &p).await?))
}

/// Delete a project with all its environments and secrets (owners only).
#[utoipa::path(delete, path = "/projects/{project}", tag = "projects", security(("bearer" = [])), params(("project" = String, Path, description = "Project slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$")),
    responses((status = 204, description = "Deleted"), CommonErrors))]
async fn delete_project(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
) -> ApiResult<StatusCode> {
    let p = access(&state, &caller, &project, Action::DeleteProject).await?;
    state.store.delete_project(&p.id).await?;
    changed(&state.cache, &state.store, Change::Project(p.id.clone())).await;
    state
        .audit
        .record(
            event(&state, &caller, "project.delete", Outcome::Success)
                .project(&p.id)
                .detail(p.slug.clone()),
        )
        .await;
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
    let p = access(&state, &caller, &project, Action::ViewProject).await?;
    let envs = state.store.environments(&p.id).await?;
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
    let p = access(&state, &caller, &project, Action::ManageProject).await?;
    let env =
        crate::services::environments::create(&state, &caller, &p, &req.slug, req.name.as_deref())
            .await?;
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
    let p = access(&state, &caller, &project, Action::ManageProject).await?;
    let e = environment(&state, &p, &env).await?;
    if req.position.is_some_and(|n| n > i32::MAX as u32) {
        return Err(ApiError::validation(
            "position",
            format!("must be 0 to {}", i32::MAX),
        ));
    }
    crate::services::environments::update(
        &state,
        &caller,
        &p,
        &e,
        req.name.as_deref(),
        req.position.map(i64::from),
    )
    .await?;
    Ok(Json(EnvironmentView::from(
        &environment(&state, &p, &env).await?,
    )))
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
    let p = access(&state, &caller, &project, Action::ManageProject).await?;
    let e = environment(&state, &p, &env).await?;
    crate::services::environments::delete(&state, &caller, &p, &e).await?;
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
    let p = access(&state, &caller, &project, Action::ViewMembers).await?;
    let members = state.store.members(&p.id).await?;
    let items = members
        .into_iter()
        .map(|(u, role)| MemberView {
            user_id: u.id,
            email: u.email,
            display_name: u.display_name,
            role,
        })
        .collect();
    Ok(Json(Page::slice(items, &page)))
}

fn parse_role(role: &str) -> ApiResult<ProjectRole> {
    ProjectRole::parse(role)
        .ok_or_else(|| ApiError::validation("role", "must be owner, admin, member or viewer"))
}

/// Add a user (by email) to the project, or change their role.
#[utoipa::path(post, path = "/projects/{project}/members", tag = "members", security(("bearer" = [])),
    params(("project" = String, Path, description = "Project slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$")), request_body = AddMember,
    responses((status = 200, description = "Member added or updated", body = MemberView), CommonErrors))]
async fn add_member(
    State(state): State<AppState>,
    caller: Caller,
    Path(project): Path<String>,
    Json(req): Json<AddMember>,
) -> ApiResult<Json<MemberView>> {
    let p = access(&state, &caller, &project, Action::ManageMembers).await?;
    let role = parse_role(&req.role)?;
    let u = svc::set_member(&state, &caller, &p, &req.email, role).await?;
    Ok(Json(MemberView {
        user_id: u.id,
        email: u.email,
        display_name: u.display_name,
        role: role.as_str().into(),
    }))
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
    let p = access(&state, &caller, &project, Action::ManageMembers).await?;
    let role = parse_role(&req.role)?;
    state
        .store
        .membership_role(&p.id, &user_id)
        .await?
        .ok_or(ApiError::NotFound("member not found"))?;
    let user = state
        .store
        .user_by_id(&user_id)
        .await?
        .ok_or(ApiError::NotFound("member not found"))?;
    let u = svc::set_member(&state, &caller, &p, &user.email, role).await?;
    Ok(Json(MemberView {
        user_id: u.id,
        email: u.email,
        display_name: u.display_name,
        role: role.as_str().into(),
    }))
}

#[utoipa::path(delete, path = "/projects/{project}/members/{user_id}", tag = "members", security(("bearer" = [])),
    params(("project" = String, Path, description = "Project slug", pattern = "^[a-z0-9][a-z0-9-]{0,62}$"), ("user_id" = String, Path, description = "User id")),
    responses((status = 204, description = "Removed"), CommonErrors))]
async fn remove_member(
    State(state): State<AppState>,
    caller: Caller,
    Path((project, user_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    let p = access(&state, &caller, &project, Action::ManageMembers).await?;
    svc::remove_member(&state, &caller, &p, &user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
