//! One secret from the grid: reveal, inline edit, delete; adding, importing
//! a pasted .env, exporting an environment as a download.
use super::grid::{self, Cell, Forms};
use super::{Head, check_key, fail, head, is_htmx, problem, recoverable, signed_in, with_status};
use crate::state::AppState;
use crate::web::csrf::CheckedForm;
use crate::web::errors::WebError;
use crate::web::i18n::Tr;
use crate::web::session::WebCtx;
use crate::web::{Layout, redirect_with_flash, render};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use heartlock_core::formats::{Format, SecretMap};
use heartlock_domain::secrets::{self, Changes, EnvRef};
use serde::Deserialize;

type KeyPath = Path<(String, String, String)>;

#[derive(Template)]
#[template(path = "_p_cell.html")]
struct CellPartial {
    tr: Tr,
    csrf: String,
    can_write: bool,
    c: Cell,
}

#[derive(Template)]
#[template(path = "_p_cell_edit.html")]
struct EditPartial {
    tr: Tr,
    csrf: String,
    slug: String,
    c: Cell,
    error: Option<String>,
}

/// The pages behind the reveal and edit links when JavaScript is off.
#[derive(Template)]
#[template(path = "project_secret.html")]
struct SecretPage {
    l: Layout,
    tr: Tr,
    csrf: String,
    head: Head,
    slug: String,
    can_write: bool,
    c: Cell,
    editing: bool,
    error: Option<String>,
}

fn secret_page(
    ctx: &WebCtx,
    head: Head,
    c: Cell,
    editing: bool,
    error: Option<String>,
) -> Response {
    render(&SecretPage {
        l: Layout::new(ctx, "projects"),
        tr: ctx.tr,
        csrf: ctx.csrf.clone(),
        slug: head.slug.clone(),
        can_write: head.perms.write,
        head,
        c,
        editing,
        error,
    })
}

pub async fn reveal(
    State(state): State<AppState>,
    ctx: WebCtx,
    headers: HeaderMap,
    Path((project, env, key)): KeyPath,
) -> Result<Response, WebError> {
    check_key(&ctx, &key)?;
    let at = EnvRef {
        project: &project,
        env: &env,
    };
    let s = secrets::get(&state, &ctx.caller, at, &key)
        .await
        .map_err(|e| fail(&ctx, e))?;
    let head = head(&state, &ctx, &project, "secrets").await?;
    let mut c = Cell::new(&project, &env, &key);
    (c.present, c.version, c.value) = (true, s.version, Some(s.value));
    c.share = crate::web::shares::offered(&state, &ctx, &project).await;
    if is_htmx(&headers) {
        return Ok(render(&CellPartial {
            tr: ctx.tr,
            csrf: ctx.csrf.clone(),
            can_write: head.perms.write,
            c,
        }));
    }
    Ok(secret_page(&ctx, head, c, false, None))
}

pub async fn edit(
    State(state): State<AppState>,
    ctx: WebCtx,
    headers: HeaderMap,
    Path((project, env, key)): KeyPath,
) -> Result<Response, WebError> {
    check_key(&ctx, &key)?;
    let at = EnvRef {
        project: &project,
        env: &env,
    };
    // A missing key is edited from empty: that sets it in this environment.
    let current = secrets::get_for_edit(&state, &ctx.caller, at, &key)
        .await
        .map_err(|e| fail(&ctx, e))?;
    let head = head(&state, &ctx, &project, "secrets").await?;
    let mut c = Cell::new(&project, &env, &key);
    if let Some(s) = current {
        (c.present, c.version, c.value) = (true, s.version, Some(s.value));
    }
    if is_htmx(&headers) {
        return Ok(render(&EditPartial {
            tr: ctx.tr,
            csrf: ctx.csrf.clone(),
            slug: project,
            c,
            error: None,
        }));
    }
    Ok(secret_page(&ctx, head, c, true, None))
}

#[derive(Deserialize)]
pub struct ValueForm {
    #[serde(default)]
    value: String,
    #[serde(default)]
    comment: String,
}

async fn set_one(
    state: &AppState,
    ctx: &WebCtx,
    (project, env, key): (&str, &str, &str),
    value: &str,
    comment: &str,
) -> Result<Result<(), (heartlock_domain::DomainError, Head)>, WebError> {
    let mut set = SecretMap::new();
    set.insert(key.to_string(), value.to_string());
    let changes = Changes {
        set: &set,
        delete: &[],
        comment: Some(comment),
        action: "secret.write",
    };
    match secrets::write(state, &ctx.caller, EnvRef { project, env }, changes).await {
        Ok(_) => Ok(Ok(())),
        Err(err) if recoverable(&err) => {
            Ok(Err((err, head(state, ctx, project, "secrets").await?)))
        }
        Err(err) => Err(fail(ctx, err)),
    }
}

pub async fn save(
    State(state): State<AppState>,
    Path((project, env, key)): KeyPath,
    f: CheckedForm<ValueForm>,
) -> Result<Response, WebError> {
    let CheckedForm { ctx, form } = f;
    check_key(&ctx, &key)?;
    let ids = (project.as_str(), env.as_str(), key.as_str());
    match set_one(&state, &ctx, ids, &form.value, &form.comment).await? {
        Ok(()) => Ok(redirect_with_flash(
            &state,
            &format!("/projects/{project}"),
            "ok",
            "grid.saved",
        )),
        Err((err, head)) => {
            let mut c = Cell::new(&head.slug, &env, &key);
            c.value = Some(form.value);
            let r = secret_page(&ctx, head, c, true, Some(problem(&ctx, &err)));
            Ok(with_status(r, StatusCode::UNPROCESSABLE_ENTITY))
        }
    }
}

pub async fn delete(
    State(state): State<AppState>,
    Path((project, env, key)): KeyPath,
    f: CheckedForm<crate::web::auth_pages::Empty>,
) -> Result<Response, WebError> {
    let ctx = f.ctx;
    check_key(&ctx, &key)?;
    let keys = [key];
    let changes = Changes {
        set: &SecretMap::new(),
        delete: &keys,
        comment: None,
        action: "secret.delete",
    };
    let at = EnvRef {
        project: &project,
        env: &env,
    };
    secrets::write(&state, &ctx.caller, at, changes)
        .await
        .map_err(|e| fail(&ctx, e))?;
    let to = format!("/projects/{project}");
    Ok(redirect_with_flash(&state, &to, "ok", "grid.deleted"))
}

#[derive(Deserialize)]
pub struct AddForm {
    key: String,
    #[serde(default)]
    value: String,
    environment: String,
    #[serde(default)]
    comment: String,
}

pub async fn add(
    State(state): State<AppState>,
    Path(project): Path<String>,
    f: CheckedForm<AddForm>,
) -> Result<Response, WebError> {
    let CheckedForm { ctx, form } = f;
    signed_in(&ctx)?;
    let key = form.key.trim();
    let ids = (project.as_str(), form.environment.as_str(), key);
    match set_one(&state, &ctx, ids, &form.value, &form.comment).await? {
        Ok(()) => Ok(redirect_with_flash(
            &state,
            &format!("/projects/{project}"),
            "ok",
            "grid.added",
        )),
        Err((err, _)) => {
            let forms = Forms {
                add_error: Some(problem(&ctx, &err)),
                add_key: key.to_string(),
                add_env: form.environment,
                ..Forms::default()
            };
            let r = grid::build(&state, &ctx, &project, forms).await?;
            Ok(with_status(r, StatusCode::UNPROCESSABLE_ENTITY))
        }
    }
}

#[derive(Deserialize)]
pub struct ImportForm {
    environment: String,
    content: String,
}

/// A pasted .env, written as one batch: a bad line writes nothing.
pub async fn import(
    State(state): State<AppState>,
    Path(project): Path<String>,
    f: CheckedForm<ImportForm>,
) -> Result<Response, WebError> {
    let CheckedForm { ctx, form } = f;
    signed_in(&ctx)?;
    let at = EnvRef {
        project: &project,
        env: &form.environment,
    };
    match secrets::import(&state, &ctx.caller, at, "dotenv", &form.content).await {
        Ok(_) => Ok(redirect_with_flash(
            &state,
            &format!("/projects/{project}"),
            "ok",
            "grid.imported",
        )),
        Err(err) if recoverable(&err) => {
            // The pasted text is not sent back: it holds secrets.
            let forms = Forms {
                import_error: Some(ctx.tr.tf(
                    "grid.import_failed",
                    &[("detail", &crate::web::auth_pages::user_message(&err))],
                )),
                import_env: form.environment.clone(),
                ..Forms::default()
            };
            let r = grid::build(&state, &ctx, &project, forms).await?;
            Ok(with_status(r, StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(err) => Err(fail(&ctx, err)),
    }
}

#[derive(Deserialize)]
pub struct ExportQuery {
    // Optional so a missing parameter is judged after the sign-in check.
    environment: Option<String>,
    format: Option<String>,
}

/// The environment as a file to download.
pub async fn export(
    State(state): State<AppState>,
    ctx: WebCtx,
    Path(project): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, WebError> {
    signed_in(&ctx)?;
    let (format, ext) = match q.format.as_deref().map(Format::parse_name) {
        None | Some(Some(Format::Dotenv)) => (Format::Dotenv, "env"),
        Some(Some(Format::Json)) => (Format::Json, "json"),
        Some(Some(Format::Yaml)) => (Format::Yaml, "yaml"),
        _ => return Err(WebError::BadForm(ctx.tr)),
    };
    let env = q.environment.as_deref().ok_or(WebError::BadForm(ctx.tr))?;
    let at = EnvRef {
        project: &project,
        env,
    };
    let body = secrets::export(&state, &ctx.caller, at, format)
        .await
        .map_err(|err| fail(&ctx, err))?;
    // Slugs are [a-z0-9-]: safe inside the quoted file name.
    let disposition = format!("attachment; filename=\"{project}-{env}.{ext}\"");
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}
