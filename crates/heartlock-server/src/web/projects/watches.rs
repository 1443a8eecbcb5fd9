//! "Notify me": watch an environment from the environments page, stop from
//! there or from the account page. The same domain operations as the API's
//! watch handlers. With push chosen, the page's script subscribes the
//! browser first (static/watch.js) and falls back to email only, saying
//! so, where push cannot work.
use super::{fail, signed_in};
use crate::state::AppState;
use crate::web::csrf::CheckedForm;
use crate::web::errors::WebError;
use crate::web::redirect_with_flash;
use crate::web::session::WebCtx;
use axum::extract::{Path, State};
use axum::response::Response;
use heartlock_domain::records::EnvironmentRecord;
use heartlock_domain::watches::{self, Channels};
use serde::Deserialize;

/// One environment's "notify me" control.
pub struct WatchRow {
    pub slug: String,
    pub name: String,
    pub watching: bool,
    pub email: bool,
    pub push: bool,
}

/// The controls for `envs` of `project`: empty for a visitor who is not
/// signed in (only people watch).
pub async fn rows(
    state: &AppState,
    ctx: &WebCtx,
    project: &str,
    envs: &[EnvironmentRecord],
) -> Result<Vec<WatchRow>, WebError> {
    if ctx.user.is_none() {
        return Ok(Vec::new());
    }
    let mine = watches::list_mine(state, &ctx.caller)
        .await
        .map_err(|e| fail(ctx, e))?;
    Ok(envs
        .iter()
        .map(|e| {
            let w = mine
                .iter()
                .find(|w| w.project == project && w.environment == e.slug);
            WatchRow {
                slug: e.slug.clone(),
                name: e.name.clone(),
                watching: w.is_some(),
                email: w.is_some_and(|w| w.channels.email),
                push: w.is_some_and(|w| w.channels.push),
            }
        })
        .collect())
}

/// Where to go back to: the account page, the project's grid, else the
/// environments page (never anywhere else the form names).
fn back(project: &str, to: Option<&str>) -> String {
    let grid = format!("/projects/{project}");
    match to {
        Some("account" | "/account") => "/account".to_string(),
        Some(p) if p == grid => grid,
        _ => format!("{grid}/environments"),
    }
}

#[derive(Deserialize)]
pub struct WatchForm {
    /// Checkboxes: present ("on") when ticked.
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    push: Option<String>,
    /// Set by the page's script when push was asked for but this browser
    /// cannot (or would not) subscribe.
    #[serde(default)]
    push_unavailable: Option<String>,
    /// The page the form is on (see [`back`]).
    #[serde(default)]
    back: Option<String>,
}

/// Saves the watch; with neither channel ticked, stops watching.
pub async fn watch(
    State(state): State<AppState>,
    Path((project, env)): Path<(String, String)>,
    f: CheckedForm<WatchForm>,
) -> Result<Response, WebError> {
    let CheckedForm { ctx, form } = f;
    signed_in(&ctx)?;
    if ctx.user.is_none() {
        return Err(WebError::Login(ctx.path.clone()));
    }
    let channels = Channels {
        email: form.email.is_some(),
        push: form.push.is_some(),
    };
    let to = back(&project, form.back.as_deref());
    if !channels.email && !channels.push {
        watches::remove(&state, &ctx.caller, &project, &env)
            .await
            .map_err(|e| fail(&ctx, e))?;
        return Ok(redirect_with_flash(&state, &to, "ok", "watch.stopped"));
    }
    watches::set(&state, &ctx.caller, &project, &env, channels)
        .await
        .map_err(|e| fail(&ctx, e))?;
    let flash = if form.push_unavailable.is_some() {
        "watch.saved_email_only"
    } else {
        "watch.saved"
    };
    Ok(redirect_with_flash(&state, &to, "ok", flash))
}

#[derive(Deserialize)]
pub struct UnwatchForm {
    /// The page the form is on (see [`back`]).
    #[serde(default)]
    back: Option<String>,
}

/// Stops watching.
pub async fn unwatch(
    State(state): State<AppState>,
    Path((project, env)): Path<(String, String)>,
    f: CheckedForm<UnwatchForm>,
) -> Result<Response, WebError> {
    let CheckedForm { ctx, form } = f;
    signed_in(&ctx)?;
    if ctx.user.is_none() {
        return Err(WebError::Login(ctx.path.clone()));
    }
    watches::remove(&state, &ctx.caller, &project, &env)
        .await
        .map_err(|e| fail(&ctx, e))?;
    let to = back(&project, form.back.as_deref());
    Ok(redirect_with_flash(&state, &to, "ok", "watch.stopped"))
}
