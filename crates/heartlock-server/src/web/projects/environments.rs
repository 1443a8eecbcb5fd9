//! /projects/{project}/environments: list, add, rename, reorder, delete.
//! The same domain operations as the API's environment handlers.
use super::{Head, fail, head, problem, recoverable, signed_in, with_status};
use crate::state::AppState;
use crate::web::auth_pages::Empty;
use crate::web::csrf::CheckedForm;
use crate::web::errors::WebError;
use crate::web::i18n::Tr;
use crate::web::session::WebCtx;
use crate::web::{Layout, redirect_with_flash, render};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use heartlock_domain::environments;
use heartlock_domain::records::EnvironmentRecord;
use serde::Deserialize;

type EnvPath = Path<(String, String)>;

#[derive(Template)]
#[template(path = "project_environments.html")]
struct EnvironmentsPage {
    l: Layout,
    tr: Tr,
    csrf: String,
    head: Head,
    envs: Vec<EnvironmentRecord>,
    error: Option<String>,
    slug: String,
    name: String,
    /// "Notify me" controls (empty for anonymous visitors).
    watch_rows: Vec<super::watches::WatchRow>,
    /// The "Allow share links" switch, for those who manage the project.
    sharing: Option<bool>,
}

async fn build(
    state: &AppState,
    ctx: &WebCtx,
    project: &str,
    form: Option<(String, String, String)>,
) -> Result<Response, WebError> {
    signed_in(ctx)?;
    let (_, envs) = environments::list(state, &ctx.caller, project)
        .await
        .map_err(|e| fail(ctx, e))?;
    let head = head(state, ctx, project, "environments").await?;
    let watch_rows = super::watches::rows(state, ctx, project, &envs).await?;
    let sharing = crate::web::shares::switch(state, ctx, &head.slug, head.perms.manage).await;
    let (error, slug, name) = match form {
        Some((e, s, n)) => (Some(e), s, n),
        None => (None, String::new(), String::new()),
    };
    Ok(render(&EnvironmentsPage {
        l: Layout::new(ctx, "projects"),
        tr: ctx.tr,
        csrf: ctx.csrf.clone(),
        head,
        envs,
        error,
        slug,
        name,
        watch_rows,
        sharing,
    }))
}

pub async fn page(
    State(state): State<AppState>,
    ctx: WebCtx,
    Path(project): Path<String>,
) -> Result<Response, WebError> {
    signed_in(&ctx)?;
    build(&state, &ctx, &project, None).await
}

/// The project and environment for a change, with `ManageProject` checked.
/// After a change (the service invalidated caches and audited it): go back.
fn done(state: &AppState, project: &str, flash: &str) -> Response {
    let to = format!("/projects/{project}/environments");
    redirect_with_flash(state, &to, "ok", flash)
}

#[derive(Deserialize)]
pub struct NewEnv {
    slug: String,
    #[serde(default)]
    name: String,
}

pub async fn create(
    State(state): State<AppState>,
    Path(project): Path<String>,
    f: CheckedForm<NewEnv>,
) -> Result<Response, WebError> {
    let CheckedForm { ctx, form } = f;
    signed_in(&ctx)?;
    let slug = form.slug.trim();
    let created = environments::create(
        &state,
        &ctx.caller,
        &project,
        slug,
        Some(form.name.trim()).filter(|n| !n.is_empty()),
    )
    .await;
    match created {
        Ok(_) => Ok(done(&state, &project, "envs.created")),
        Err(e) if recoverable(&e) => {
            let form = Some((problem(&ctx, &e), form.slug, form.name));
            let r = build(&state, &ctx, &project, form).await?;
            Ok(with_status(r, StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(fail(&ctx, e)),
    }
}

#[derive(Deserialize)]
pub struct RenameForm {
    name: String,
}

pub async fn rename(
    State(state): State<AppState>,
    Path((project, env)): EnvPath,
    f: CheckedForm<RenameForm>,
) -> Result<Response, WebError> {
    let CheckedForm { ctx, form } = f;
    signed_in(&ctx)?;
    if let Err(err) =
        environments::update(&state, &ctx.caller, &project, &env, Some(&form.name), None).await
    {
        if !recoverable(&err) {
            return Err(fail(&ctx, err));
        }
        let form = Some((problem(&ctx, &err), String::new(), String::new()));
        let r = build(&state, &ctx, &project, form).await?;
        return Ok(with_status(r, StatusCode::UNPROCESSABLE_ENTITY));
    }
    Ok(done(&state, &project, "envs.renamed"))
}

#[derive(Deserialize)]
pub struct MoveForm {
    direction: String,
}

pub async fn reorder(
    State(state): State<AppState>,
    Path((project, env)): EnvPath,
    f: CheckedForm<MoveForm>,
) -> Result<Response, WebError> {
    let CheckedForm { ctx, form } = f;
    signed_in(&ctx)?;
    let up = match form.direction.as_str() {
        "up" => true,
        "down" => false,
        _ => return Err(WebError::BadForm(ctx.tr)),
    };
    environments::shift(&state, &ctx.caller, &project, &env, up)
        .await
        .map_err(|err| fail(&ctx, err))?;
    Ok(done(&state, &project, "envs.moved"))
}

pub async fn delete(
    State(state): State<AppState>,
    Path((project, env)): EnvPath,
    f: CheckedForm<Empty>,
) -> Result<Response, WebError> {
    let ctx = f.ctx;
    signed_in(&ctx)?;
    environments::delete(&state, &ctx.caller, &project, &env)
        .await
        .map_err(|err| fail(&ctx, err))?;
    Ok(done(&state, &project, "envs.deleted"))
}
