//! /api/v1/admin/oidc/ (and /admin/oidc): the OIDC settings, managed at run
//! time by server administrators. Thin: the domain validates, stores,
//! audits and applies them on every instance.
use super::docs::CommonErrors;
use super::error::ApiResult;
use super::extract::Json;
use crate::auth::Caller;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use heartlock_domain::oidc_settings::{self as svc, OidcChanges, OidcView};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_oidc, put_oidc, patch_oidc, delete_oidc))
        .routes(routes!(
            get_oidc_bare,
            put_oidc_bare,
            patch_oidc_bare,
            delete_oidc_bare
        ))
}

/// Where a setting's effective value comes from.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OidcSource {
    /// Set by an administrator (admin API or page; kept in the database
    /// and in appconfig.json).
    Appconfig,
    /// The process environment or a `.env` file.
    Environment,
    /// The built-in default.
    Default,
}

/// One OIDC setting.
#[derive(Serialize, ToSchema)]
pub struct OidcSettingEntry {
    /// Canonical name, e.g. `OIDC_CLIENT_ID`.
    pub name: String,
    /// Effective value; the client secret is shown as `********`; null when unset
    /// (for `OIDC_ENABLE`: automatic).
    pub value: Option<String>,
    pub secret: bool,
    pub source: OidcSource,
    /// The variable that supplied the value (a legacy alias when one did).
    pub variable: Option<String>,
    /// Where exactly, as `heartlock config` shows it (e.g. `.env`, `environment (legacy OIDC_RP_CLIENT_ID)`).
    pub origin: String,
}

/// The effective OIDC settings.
#[derive(Serialize, ToSchema)]
pub struct OidcSettingsView {
    /// Whether single sign-on is on now.
    pub enabled: bool,
    pub settings: Vec<OidcSettingEntry>,
}

impl From<OidcView> for OidcSettingsView {
    fn from(v: OidcView) -> Self {
        OidcSettingsView {
            enabled: v.enabled,
            settings: v
                .settings
                .into_iter()
                .map(|s| OidcSettingEntry {
                    name: s.name.to_string(),
                    value: s.value,
                    secret: s.secret,
                    source: match s.source {
                        "appconfig" => OidcSource::Appconfig,
                        "environment" => OidcSource::Environment,
                        _ => OidcSource::Default,
                    },
                    variable: s.variable,
                    origin: s.origin,
                })
                .collect(),
        }
    }
}

/// Absent stays `None`; `null` becomes `Some(None)`.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// OIDC settings by canonical name. PUT: the whole admin-set layer (names
/// left out are removed). PATCH: only the names given change. `null` or an
/// empty string removes a value (the environment or the default applies).
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct OidcSettingsInput {
    /// `true`/`false` forces single sign-on on or off; null = automatic.
    #[serde(rename = "OIDC_ENABLE", default, deserialize_with = "present")]
    #[schema(value_type = Option<bool>)]
    pub enable: Option<Option<bool>>,
    #[serde(rename = "OIDC_CLIENT_ID", default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub client_id: Option<Option<String>>,
    /// Write-only: never returned.
    #[serde(rename = "OIDC_CLIENT_SECRET", default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub client_secret: Option<Option<String>>,
    #[serde(
        rename = "OIDC_AUTHORIZATION_ENDPOINT",
        default,
        deserialize_with = "present"
    )]
    #[schema(value_type = Option<String>)]
    pub authorization_endpoint: Option<Option<String>>,
    #[serde(rename = "OIDC_TOKEN_ENDPOINT", default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub token_endpoint: Option<Option<String>>,
    #[serde(
        rename = "OIDC_USERINFO_ENDPOINT",
        default,
        deserialize_with = "present"
    )]
    #[schema(value_type = Option<String>)]
    pub userinfo_endpoint: Option<Option<String>>,
    #[serde(rename = "OIDC_JWKS_ENDPOINT", default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub jwks_endpoint: Option<Option<String>>,
    #[serde(
        rename = "OIDC_END_SESSION_ENDPOINT",
        default,
        deserialize_with = "present"
    )]
    #[schema(value_type = Option<String>)]
    pub end_session_endpoint: Option<Option<String>>,
    #[serde(rename = "OIDC_REDIRECT_URI", default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub redirect_uri: Option<Option<String>>,
    /// One of RS256 RS384 RS512 ES256 ES384 PS256 PS384 PS512 HS256 HS384 HS512 EdDSA.
    #[serde(rename = "OIDC_SIGN_ALGO", default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub sign_algo: Option<Option<String>>,
    /// Space-separated; must include `openid`.
    #[serde(rename = "OIDC_SCOPES", default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub scopes: Option<Option<String>>,
    /// When set, its discovery document must be reachable and name this issuer.
    #[serde(rename = "OIDC_ISSUER", default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub issuer: Option<Option<String>>,
    #[serde(rename = "OIDC_GROUPS_CLAIM", default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub groups_claim: Option<Option<String>>,
}

impl OidcSettingsInput {
    /// The names given, with their value (`None`: remove).
    fn changes(self) -> OidcChanges {
        let fields = [
            ("OIDC_ENABLE", self.enable.map(|v| v.map(|b| b.to_string()))),
            ("OIDC_CLIENT_ID", self.client_id),
            ("OIDC_CLIENT_SECRET", self.client_secret),
            ("OIDC_AUTHORIZATION_ENDPOINT", self.authorization_endpoint),
            ("OIDC_TOKEN_ENDPOINT", self.token_endpoint),
            ("OIDC_USERINFO_ENDPOINT", self.userinfo_endpoint),
            ("OIDC_JWKS_ENDPOINT", self.jwks_endpoint),
            ("OIDC_END_SESSION_ENDPOINT", self.end_session_endpoint),
            ("OIDC_REDIRECT_URI", self.redirect_uri),
            ("OIDC_SIGN_ALGO", self.sign_algo),
            ("OIDC_SCOPES", self.scopes),
            ("OIDC_ISSUER", self.issuer),
            ("OIDC_GROUPS_CLAIM", self.groups_claim),
        ];
        fields
            .into_iter()
            .filter_map(|(name, v)| v.map(|v| (name.to_string(), v)))
            .collect()
    }
}

async fn get(state: &AppState, caller: &Caller) -> ApiResult<Json<OidcSettingsView>> {
    Ok(Json(svc::view(state, caller).await?.into()))
}

async fn put(
    state: &AppState,
    caller: &Caller,
    req: OidcSettingsInput,
) -> ApiResult<Json<OidcSettingsView>> {
    Ok(Json(
        svc::replace(state, caller, req.changes()).await?.into(),
    ))
}

async fn patch(
    state: &AppState,
    caller: &Caller,
    req: OidcSettingsInput,
) -> ApiResult<Json<OidcSettingsView>> {
    Ok(Json(
        svc::update(state, caller, req.changes()).await?.into(),
    ))
}

async fn delete(state: &AppState, caller: &Caller) -> ApiResult<StatusCode> {
    svc::remove(state, caller).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The effective OIDC settings, each with its source (client secret redacted).
#[utoipa::path(get, path = "/admin/oidc/", tag = "admin", security(("bearer" = [])),
    responses((status = 200, description = "OIDC settings", body = OidcSettingsView), CommonErrors))]
async fn get_oidc(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<OidcSettingsView>> {
    get(&state, &caller).await
}

/// Replaces the admin-set OIDC values (validated; applied on every instance without restart).
#[utoipa::path(put, path = "/admin/oidc/", tag = "admin", security(("bearer" = [])), request_body = OidcSettingsInput,
    responses((status = 200, description = "Saved", body = OidcSettingsView), CommonErrors))]
async fn put_oidc(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<OidcSettingsInput>,
) -> ApiResult<Json<OidcSettingsView>> {
    put(&state, &caller, req).await
}

/// Changes some admin-set OIDC values (`null` removes one).
#[utoipa::path(patch, path = "/admin/oidc/", tag = "admin", security(("bearer" = [])), request_body = OidcSettingsInput,
    responses((status = 200, description = "Saved", body = OidcSettingsView), CommonErrors))]
async fn patch_oidc(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<OidcSettingsInput>,
) -> ApiResult<Json<OidcSettingsView>> {
    patch(&state, &caller, req).await
}

/// Removes every admin-set OIDC value (the environment and defaults apply).
#[utoipa::path(delete, path = "/admin/oidc/", tag = "admin", security(("bearer" = [])),
    responses((status = 204, description = "Removed"), CommonErrors))]
async fn delete_oidc(State(state): State<AppState>, caller: Caller) -> ApiResult<StatusCode> {
    delete(&state, &caller).await
}

/// Same as `GET /admin/oidc/`.
#[utoipa::path(get, path = "/admin/oidc", tag = "admin", security(("bearer" = [])),
    responses((status = 200, description = "OIDC settings", body = OidcSettingsView), CommonErrors))]
async fn get_oidc_bare(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<OidcSettingsView>> {
    get(&state, &caller).await
}

/// Same as `PUT /admin/oidc/`.
#[utoipa::path(put, path = "/admin/oidc", tag = "admin", security(("bearer" = [])), request_body = OidcSettingsInput,
    responses((status = 200, description = "Saved", body = OidcSettingsView), CommonErrors))]
async fn put_oidc_bare(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<OidcSettingsInput>,
) -> ApiResult<Json<OidcSettingsView>> {
    put(&state, &caller, req).await
}

/// Same as `PATCH /admin/oidc/`.
#[utoipa::path(patch, path = "/admin/oidc", tag = "admin", security(("bearer" = [])), request_body = OidcSettingsInput,
    responses((status = 200, description = "Saved", body = OidcSettingsView), CommonErrors))]
async fn patch_oidc_bare(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<OidcSettingsInput>,
) -> ApiResult<Json<OidcSettingsView>> {
    patch(&state, &caller, req).await
}

/// Same as `DELETE /admin/oidc/`.
#[utoipa::path(delete, path = "/admin/oidc", tag = "admin", security(("bearer" = [])),
    responses((status = 204, description = "Removed"), CommonErrors))]
async fn delete_oidc_bare(State(state): State<AppState>, caller: Caller) -> ApiResult<StatusCode> {
    delete(&state, &caller).await
}
