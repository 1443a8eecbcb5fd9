//! /api/v1/auth: registration, sign-in, refresh, sign-out, password.
use super::docs::{CommonErrors, Throttled};
use super::error::ApiResult;
use super::extract::Json;
use super::views::*;
use crate::auth::Caller;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use heartlock_domain::users::{self, NewAccount, TokenPair};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(change_password))
        .routes(routes!(me))
}

pub(super) fn tokens(t: TokenPair) -> TokenResponse {
    TokenResponse {
        access_token: t.access_token,
        token_type: "Bearer".into(),
        expires_at: t.access_expires_at,
        refresh_token: t.refresh_token,
        refresh_expires_at: t.refresh_expires_at,
        user: UserView::from(&t.user),
    }
}

/// Create an account (when ENABLE_REGISTRATION is on) and sign in.
#[utoipa::path(post, path = "/auth/register", tag = "auth", request_body = RegisterRequest,
    responses((status = 201, description = "Account created and signed in", body = TokenResponse), CommonErrors, Throttled))]
async fn register(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<RegisterRequest>,
) -> ApiResult<(StatusCode, Json<TokenResponse>)> {
    let new = NewAccount {
        email: &req.email,
        display_name: req.display_name.as_deref(),
        password: &req.password,
    };
    let user = users::register(&state, &caller, new).await?;
    let pair = users::start_session(&state, &caller, user).await?;
    Ok((StatusCode::CREATED, Json(tokens(pair))))
}

/// Sign in with email and password.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, description = "Signed in", body = TokenResponse), CommonErrors, Throttled))]
async fn login(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<LoginRequest>,
) -> ApiResult<Json<TokenResponse>> {
    Ok(Json(tokens(
        users::login(&state, &caller, &req.email, &req.password).await?,
    )))
}

/// Exchange a refresh token for new tokens. The old refresh token stops
/// working; presenting it again revokes the whole session.
#[utoipa::path(post, path = "/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, description = "New tokens", body = TokenResponse), CommonErrors))]
async fn refresh(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<RefreshRequest>,
) -> ApiResult<Json<TokenResponse>> {
    Ok(Json(tokens(
        users::refresh(&state, &caller, &req.refresh_token).await?,
    )))
}

/// End the current session (its access and refresh tokens stop working).
#[utoipa::path(post, path = "/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204, description = "Signed out"), CommonErrors))]
async fn logout(State(state): State<AppState>, caller: Caller) -> ApiResult<StatusCode> {
    users::logout(&state, &caller).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Change the password; every other session is signed out.
#[utoipa::path(post, path = "/auth/password", tag = "auth", security(("bearer" = [])), request_body = PasswordChangeRequest,
    responses((status = 200, description = "Password changed", body = PasswordChanged), CommonErrors, Throttled))]
async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    Json(req): Json<PasswordChangeRequest>,
) -> ApiResult<Json<PasswordChanged>> {
    let mail = crate::mail_context::mail_context(
        &state,
        &headers,
        crate::mail_context::api_lang(&headers),
    );
    let sessions_revoked = users::change_password(
        &state,
        &caller,
        &req.current_password,
        &req.new_password,
        &mail,
    )
    .await?;
    Ok(Json(PasswordChanged { sessions_revoked }))
}

/// The signed-in user.
#[utoipa::path(get, path = "/auth/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, description = "The current user", body = UserView), CommonErrors))]
async fn me(caller: Caller) -> ApiResult<Json<UserView>> {
    let user = caller
        .user()
        .ok_or(heartlock_domain::DomainError::Unauthenticated(
            "sign in first",
        ))?;
    Ok(Json(UserView::from(user)))
}
