//! /api/v1/auth/sso: the CLI's single sign-on. The browser leg runs through
//! the web pages (`/oauth/login` with the CLI's parameters); here the CLI
//! redeems the one-time code it received on its loopback address.
use super::auth::tokens;
use super::docs::CommonErrors;
use super::error::ApiResult;
use super::extract::Json;
use super::views::TokenResponse;
use crate::auth::Caller;
use crate::state::AppState;
use axum::extract::State;
use heartlock_domain::oidc::cli_login;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(exchange))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SsoExchangeRequest {
    /// The one-time code Heartlock sent to the CLI's loopback address.
    #[schema(max_length = 200)]
    pub code: String,
    /// The PKCE verifier whose S256 challenge the CLI sent to /oauth/login.
    #[schema(min_length = 43, max_length = 128)]
    pub code_verifier: String,
}

/// Redeem the one-time code of `heartlock login --sso` (with the PKCE
/// verifier) for the same tokens as a password sign-in. A code works once,
/// for two minutes; unknown, used, expired or wrong-verifier codes are 401.
/// 404 when single sign-on is off.
#[utoipa::path(post, path = "/auth/sso/exchange", tag = "auth", request_body = SsoExchangeRequest,
    responses((status = 200, description = "Signed in", body = TokenResponse), CommonErrors))]
async fn exchange(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<SsoExchangeRequest>,
) -> ApiResult<Json<TokenResponse>> {
    Ok(Json(tokens(
        cli_login::exchange(&state, &caller, &req.code, &req.code_verifier).await?,
    )))
}
