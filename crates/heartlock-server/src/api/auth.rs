//! /api/v1/auth: registration, sign-in, refresh, sign-out, password.
use super::docs::{CommonErrors, ProblemDoc, Throttled};
use super::error::ApiResult;
use super::extract::Json;
use super::views::*;
use crate::auth::Caller;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use heartlock_domain::turnstile::{self, Challenge};
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

/// Routes guarded by Cloudflare Turnstile fail closed when siteverify
/// cannot be reached.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
enum TurnstileDown {
    #[response(
        status = 503,
        description = "The Turnstile verification service is unavailable (only with TURNSTILE_ENABLED)",
        content_type = "application/problem+json"
    )]
    Unavailable(ProblemDoc),
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
    responses((status = 201, description = "Account created and signed in", body = TokenResponse), CommonErrors, Throttled, TurnstileDown))]
async fn register(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<RegisterRequest>,
) -> ApiResult<(StatusCode, Json<TokenResponse>)> {
    turnstile::verify(
        &state,
        &caller,
        Challenge::Register,
        req.turnstile_token.as_deref(),
    )
    .await?;
    let new = NewAccount {
        email: &req.email,
        display_name: req.display_name.as_deref(),
        password: &req.password,
    };
    let user = users::register(&state, &caller, new).await?;
    let pair = users::start_session(&state, &caller, user).await?;
    Ok((StatusCode::CREATED, Json(tokens(pair))))
}

/// Sign in with email and password. When the server requires Cloudflare
/// Turnstile on sign-in, `turnstile_token` is required too (422 without it,
/// 503 when the check cannot be made): scripts use a service token instead.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, description = "Signed in", body = TokenResponse), CommonErrors, Throttled, TurnstileDown))]
async fn login(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<LoginRequest>,
) -> ApiResult<Json<TokenResponse>> {
    turnstile::verify(
        &state,
        &caller,
        Challenge::Login,
        req.turnstile_token.as_deref(),
    )
    .await?;
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
    responses((status = 200, description = "Password changed", body = PasswordChanged), CommonErrors, Throttled, TurnstileDown))]
async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    Json(req): Json<PasswordChangeRequest>,
) -> ApiResult<Json<PasswordChanged>> {
    // Who is asking comes first: an anonymous caller gets the 401.
    if caller.user().is_some() {
        turnstile::verify(
            &state,
            &caller,
            Challenge::PasswordChange,
            req.turnstile_token.as_deref(),
        )
        .await?;
    }
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
