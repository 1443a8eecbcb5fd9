//! /api/v1/admin: server administration (server admins only).
use super::docs::CommonErrors;
use super::error::ApiResult;
use super::extract::{Json, Path, Query};
use super::pagination::{Page, PageParams};
use super::views::{CreateUser, UpdateUser, UserView};
use crate::auth::Caller;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use heartlock_domain::admin;
use heartlock_domain::users::{self, NewAccount};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(update_user))
}

#[utoipa::path(get, path = "/admin/users", tag = "admin", security(("bearer" = [])), params(PageParams),
    responses((status = 200, description = "Users", body = Page<UserView>), CommonErrors))]
async fn list_users(
    State(state): State<AppState>,
    caller: Caller,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<Page<UserView>>> {
    let (list, total) = admin::list_users(&state, &caller, page.limit(), page.offset()).await?;
    Ok(Json(Page::new(
        list.iter().map(UserView::from).collect(),
        &page,
        total,
    )))
}

#[utoipa::path(post, path = "/admin/users", tag = "admin", security(("bearer" = [])), request_body = CreateUser,
    responses((status = 201, description = "Created", body = UserView), CommonErrors))]
async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<CreateUser>,
) -> ApiResult<(StatusCode, Json<UserView>)> {
    let new = NewAccount {
        email: &req.email,
        display_name: req.display_name.as_deref(),
        password: &req.password,
    };
    let user = users::create_by_admin(&state, &caller, new, req.role.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(UserView::from(&user))))
}

/// Change a user's server role or disable the account (which ends their sessions).
#[utoipa::path(patch, path = "/admin/users/{user_id}", tag = "admin", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "User id")), request_body = UpdateUser,
    responses((status = 200, description = "Updated", body = UserView), CommonErrors))]
async fn update_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(user_id): Path<String>,
    Json(req): Json<UpdateUser>,
) -> ApiResult<Json<UserView>> {
    let change = admin::UserUpdate {
        role: req.role,
        disabled: req.disabled,
    };
    let updated = admin::update_user(&state, &caller, &user_id, &change).await?;
    Ok(Json(UserView::from(&updated)))
}
