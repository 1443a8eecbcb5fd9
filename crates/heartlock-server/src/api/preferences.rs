//! /api/v1/account/preferences: the signed-in person's message preferences
//! (language of emails, the "new sign-in from a new browser" email).
use super::docs::CommonErrors;
use super::error::ApiResult;
use super::extract::Json;
use crate::auth::Caller;
use crate::state::AppState;
use axum::extract::State;
use heartlock_domain::preferences::{self, Preferences};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_preferences, put_preferences))
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    En,
    Fr,
}

/// Message preferences.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferencesView {
    /// The language of emails to you; null: the language of the request
    /// that causes each message.
    #[serde(default)]
    pub language: Option<Language>,
    /// Email me when my account signs in from a browser it never used.
    pub notify_new_sign_in: bool,
}

impl From<Preferences> for PreferencesView {
    fn from(p: Preferences) -> Self {
        Self {
            language: match p.language.as_deref() {
                Some("fr") => Some(Language::Fr),
                Some(_) => Some(Language::En),
                None => None,
            },
            notify_new_sign_in: p.notify_new_sign_in,
        }
    }
}

/// Your message preferences.
#[utoipa::path(get, path = "/account/preferences", tag = "auth", security(("bearer" = [])),
    responses((status = 200, description = "The preferences", body = PreferencesView), CommonErrors))]
async fn get_preferences(
    State(state): State<AppState>,
    caller: Caller,
) -> ApiResult<Json<PreferencesView>> {
    Ok(Json(preferences::get(&state, &caller).await?.into()))
}

/// Replace your message preferences.
#[utoipa::path(put, path = "/account/preferences", tag = "auth", security(("bearer" = [])),
    request_body = PreferencesView,
    responses((status = 200, description = "The new preferences", body = PreferencesView), CommonErrors))]
async fn put_preferences(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<PreferencesView>,
) -> ApiResult<Json<PreferencesView>> {
    let prefs = Preferences {
        language: req.language.map(|l| match l {
            Language::En => "en".to_string(),
            Language::Fr => "fr".to_string(),
        }),
        notify_new_sign_in: req.notify_new_sign_in,
    };
    Ok(Json(preferences::set(&state, &caller, prefs).await?.into()))
}
