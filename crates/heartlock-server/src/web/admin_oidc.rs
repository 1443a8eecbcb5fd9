//! /admin/oidc: the OIDC settings page (server administrators). Each
//! setting with its effective value and source; the form holds only the
//! values administrators set (blank = not set here, so the environment or
//! the default applies); the client secret is write-only (blank = keep).
use super::csrf::CheckedForm;
use super::errors::{WebError, from_domain};
use super::session::WebCtx;
use super::{Layout, redirect_with_flash, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use heartlock_domain::DomainError;
use heartlock_domain::oidc_settings::{self as svc, OidcChanges, OidcView};
use std::collections::HashMap;

const SECRET: &str = "OIDC_CLIENT_SECRET";

struct SettingRow {
    name: &'static str,
    /// Effective value as shown (secret redacted); empty when unset.
    shown: String,
    /// Translated source, with the variable when there is one.
    source: String,
    /// The value in the input: what an administrator set (never the secret).
    input: String,
    secret: bool,
    is_enable: bool,
    admin_set: bool,
}

#[derive(Template)]
#[template(path = "admin_oidc.html")]
struct OidcPage {
    l: Layout,
    tab: &'static str,
    enabled: bool,
    rows: Vec<SettingRow>,
    error: Option<String>,
}

fn rows(
    ctx: &WebCtx,
    view: &OidcView,
    submitted: Option<&HashMap<String, String>>,
) -> Vec<SettingRow> {
    view.settings
        .iter()
        .map(|s| {
            let source = match (s.source, &s.variable) {
                ("appconfig", _) => ctx.tr.t("admin.oidc_source_appconfig"),
                ("default", _) => ctx.tr.t("admin.oidc_source_default"),
                (_, Some(var)) => {
                    format!("{} ({})", ctx.tr.t("admin.oidc_source_environment"), var)
                }
                _ => ctx.tr.t("admin.oidc_source_environment"),
            };
            let input = match submitted {
                Some(form) if !s.secret => form.get(s.name).cloned().unwrap_or_default(),
                _ => s.admin_value.clone().unwrap_or_default(),
            };
            SettingRow {
                name: s.name,
                shown: s.value.clone().unwrap_or_default(),
                source,
                input,
                secret: s.secret,
                is_enable: s.name == "OIDC_ENABLE",
                admin_set: s.source == "appconfig",
            }
        })
        .collect()
}

fn page(
    ctx: &WebCtx,
    view: &OidcView,
    submitted: Option<&HashMap<String, String>>,
    error: Option<String>,
) -> Response {
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let body = render(&OidcPage {
        l: Layout::new(ctx, "admin"),
        tab: "oidc",
        enabled: view.enabled,
        rows: rows(ctx, view, submitted),
        error,
    });
    (status, body).into_response()
}

/// GET /admin/oidc
pub async fn show(State(state): State<AppState>, ctx: WebCtx) -> Result<Response, WebError> {
    let view = svc::view(&state, &ctx.caller)
        .await
        .map_err(|e| from_domain(ctx.tr, &ctx.path, e))?;
    Ok(page(&ctx, &view, None, None))
}

/// The form as changes: every listed setting, blank = not set here; the
/// secret only when typed (or cleared with its checkbox).
fn changes(form: &HashMap<String, String>, names: &[&'static str]) -> OidcChanges {
    let mut out = OidcChanges::new();
    for name in names {
        if *name == SECRET {
            if form.get("clear_secret").is_some_and(|v| v == "1") {
                out.insert(SECRET.to_string(), None);
            } else if let Some(v) = form.get(SECRET).filter(|v| !v.is_empty()) {
                out.insert(SECRET.to_string(), Some(v.clone()));
            }
            continue;
        }
        let value = form.get(*name).map(|v| v.trim()).filter(|v| !v.is_empty());
        out.insert((*name).to_string(), value.map(str::to_string));
    }
    out
}

/// POST /admin/oidc: saves the form (validated like the API's PATCH).
pub async fn save(
    State(state): State<AppState>,
    f: CheckedForm<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let ctx = &f.ctx;
    let view = svc::view(&state, &ctx.caller)
        .await
        .map_err(|e| from_domain(ctx.tr, &ctx.path, e))?;
    let names: Vec<&'static str> = view.settings.iter().map(|s| s.name).collect();
    match svc::update(&state, &ctx.caller, changes(&f.form, &names)).await {
        Ok(_) => Ok(redirect_with_flash(
            &state,
            "/admin/oidc",
            "ok",
            "admin.oidc_saved",
        )),
        Err(DomainError::Validation { field, message }) => {
            let error = ctx.tr.tf(
                "admin.oidc_invalid",
                &[("field", &field), ("message", &message)],
            );
            Ok(page(ctx, &view, Some(&f.form), Some(error)))
        }
        Err(e) => Err(from_domain(ctx.tr, &ctx.path, e)),
    }
}

/// POST /admin/oidc/remove: removes every value administrators set.
pub async fn remove(
    State(state): State<AppState>,
    f: CheckedForm<super::auth_pages::Empty>,
) -> Result<Response, WebError> {
    let ctx = &f.ctx;
    svc::remove(&state, &ctx.caller)
        .await
        .map_err(|e| from_domain(ctx.tr, &ctx.path, e))?;
    Ok(redirect_with_flash(
        &state,
        "/admin/oidc",
        "ok",
        "admin.oidc_removed",
    ))
}
