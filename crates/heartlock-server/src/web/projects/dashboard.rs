//! /projects: the projects the user can see, a search, a "new project" form.
use super::{Pager, fail, is_htmx, problem, recoverable, signed_in, with_status};
use crate::state::AppState;
use crate::web::csrf::CheckedForm;
use crate::web::errors::{WebError, urlencode};
use crate::web::i18n::Tr;
use crate::web::session::WebCtx;
use crate::web::{Layout, redirect_with_flash, render};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use heartlock_domain::projects;
use serde::Deserialize;

pub struct ProjectRow {
    pub slug: String,
    pub name: String,
    pub role: String,
}

#[derive(Template)]
#[template(path = "projects.html")]
struct DashboardPage {
    l: Layout,
    tr: Tr,
    q: String,
    rows: Vec<ProjectRow>,
    pager: Pager,
    error: Option<String>,
    name: String,
    slug: String,
}

#[derive(Template)]
#[template(path = "_p_project_list.html")]
struct ListPartial {
    tr: Tr,
    q: String,
    rows: Vec<ProjectRow>,
    pager: Pager,
}

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    page: Option<String>,
}

async fn rows(
    state: &AppState,
    ctx: &WebCtx,
    q: &str,
    page: Option<&str>,
) -> Result<(Vec<ProjectRow>, Pager), WebError> {
    let wanted = Pager::requested(page);
    let search = Some(q.trim()).filter(|s| !s.is_empty());
    let (found, total) = projects::list(
        state,
        &ctx.caller,
        search,
        Pager::PER_PAGE,
        Pager::offset(wanted),
    )
    .await
    .map_err(|e| fail(ctx, e))?;
    let rows = found
        .into_iter()
        .map(|(p, role)| ProjectRow {
            slug: p.slug,
            name: p.name,
            role: match role {
                Some(r) => ctx.tr.t(&format!("role.{}", r.as_str())),
                None => ctx.tr.t("projects.server_admin"),
            },
        })
        .collect();
    let keep = if q.is_empty() {
        String::new()
    } else {
        format!("q={}&", urlencode(q))
    };
    Ok((rows, Pager::new(page, total, keep)))
}

async fn build(
    state: &AppState,
    ctx: &WebCtx,
    q: String,
    page: Option<&str>,
    form: Option<(String, String, String)>,
) -> Result<Response, WebError> {
    let (rows, pager) = rows(state, ctx, &q, page).await?;
    let (error, name, slug) = match form {
        Some((e, n, s)) => (Some(e), n, s),
        None => (None, String::new(), String::new()),
    };
    Ok(render(&DashboardPage {
        l: Layout::new(ctx, "projects"),
        tr: ctx.tr,
        q,
        rows,
        pager,
        error,
        name,
        slug,
    }))
}

pub async fn page(
    State(state): State<AppState>,
    ctx: WebCtx,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Result<Response, WebError> {
    signed_in(&ctx)?;
    let q = query.q.unwrap_or_default();
    if is_htmx(&headers) {
        let (rows, pager) = rows(&state, &ctx, &q, query.page.as_deref()).await?;
        return Ok(render(&ListPartial {
            tr: ctx.tr,
            q,
            rows,
            pager,
        }));
    }
    build(&state, &ctx, q, query.page.as_deref(), None).await
}

#[derive(Deserialize)]
pub struct NewProject {
    name: String,
    #[serde(default)]
    slug: String,
}

pub async fn create(
    State(state): State<AppState>,
    f: CheckedForm<NewProject>,
) -> Result<Response, WebError> {
    let CheckedForm { ctx, form } = f;
    signed_in(&ctx)?;
    let slug = Some(form.slug.trim()).filter(|s| !s.is_empty());
    match projects::create(&state, &ctx.caller, &form.name, slug, None, None).await {
        Ok(p) => Ok(redirect_with_flash(
            &state,
            &format!("/projects/{}", p.slug),
            "ok",
            "projects.created",
        )),
        Err(e) if recoverable(&e) => {
            let detail = (problem(&ctx, &e), form.name, form.slug);
            let r = build(&state, &ctx, String::new(), None, Some(detail)).await?;
            Ok(with_status(r, StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(fail(&ctx, e)),
    }
}
