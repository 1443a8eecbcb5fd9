//! The versions of one secret, newest first, each masked until revealed,
//! with "roll back to this version".
use super::{Head, Pager, check_key, fail, head, is_htmx, recoverable, when};
use crate::state::AppState;
use crate::web::csrf::CheckedForm;
use crate::web::errors::WebError;
use crate::web::i18n::Tr;
use crate::web::session::WebCtx;
use crate::web::{Layout, redirect_with_flash, render};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use heartlock_domain::history::{self, Author};
use heartlock_domain::secrets::{self, EnvRef};
use serde::Deserialize;

type KeyPath = Path<(String, String, String)>;

pub struct VersionRow {
    pub version: i64,
    pub deleted: bool,
    /// Only for the revealed version.
    pub value: Option<String>,
    pub author: String,
    pub when: String,
    pub comment: String,
    pub current: bool,
    pub reveal_url: String,
    pub dom_id: String,
}

#[derive(Template)]
#[template(path = "project_history.html")]
struct HistoryPage {
    l: Layout,
    tr: Tr,
    csrf: String,
    head: Head,
    env: String,
    key: String,
    base: String,
    rows: Vec<VersionRow>,
    pager: Pager,
}

#[derive(Template)]
#[template(path = "_p_version_value.html")]
struct ValuePartial {
    tr: Tr,
    v: VersionRow,
}

#[derive(Deserialize)]
pub struct HistoryQuery {
    page: Option<String>,
    reveal: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    ctx: WebCtx,
    headers: HeaderMap,
    Path((project, env, key)): KeyPath,
    Query(q): Query<HistoryQuery>,
) -> Result<Response, WebError> {
    check_key(&ctx, &key)?;
    let wanted = Pager::requested(q.page.as_deref());
    let at = EnvRef {
        project: &project,
        env: &env,
    };
    let h = history::page(
        &state,
        &ctx.caller,
        at,
        &key,
        Pager::PER_PAGE,
        Pager::offset(wanted),
    )
    .await
    .map_err(|err| fail(&ctx, err))?;
    let head = head(&state, &ctx, &project, "secrets").await?;
    let (versions, total, names) = (h.versions, h.total, h.authors);
    let reveal = q.reveal.as_deref().and_then(|r| r.parse::<i64>().ok());
    let base = format!("/projects/{project}/environments/{env}/secrets/{key}");
    let newest = versions
        .iter()
        .map(|v| v.version)
        .max()
        .filter(|_| wanted == 1);
    let rows: Vec<VersionRow> = versions
        .into_iter()
        .map(|v| {
            let author = v
                .author_user_id
                .as_ref()
                .or(v.author_token_id.as_ref())
                .and_then(|id| names.get(id))
                .map(|a| match a {
                    Author::User(email) => email.clone(),
                    Author::Token(name) => ctx.tr.tf("history.token", &[("name", name)]),
                })
                .unwrap_or_else(|| ctx.tr.t("history.unknown"));
            VersionRow {
                version: v.version,
                deleted: v.value.is_none(),
                current: Some(v.version) == newest,
                value: v.value.filter(|_| reveal == Some(v.version)),
                author,
                when: when(Some(v.created_at)),
                comment: v.comment.unwrap_or_default(),
                reveal_url: format!("{base}/history?page={wanted}&reveal={}", v.version),
                dom_id: format!("version-{}", v.version),
            }
        })
        .collect();
    if is_htmx(&headers) && reveal.is_some() {
        let v = rows
            .into_iter()
            .find(|r| Some(r.version) == reveal)
            .ok_or(WebError::NotFound(ctx.tr))?;
        return Ok(render(&ValuePartial { tr: ctx.tr, v }));
    }
    Ok(render(&HistoryPage {
        l: Layout::new(&ctx, "projects"),
        tr: ctx.tr,
        csrf: ctx.csrf.clone(),
        head,
        env: h.environment.name,
        key,
        pager: Pager::new(q.page.as_deref(), total, String::new()),
        base,
        rows,
    }))
}

#[derive(Deserialize)]
pub struct RollbackForm {
    version: String,
}

pub async fn rollback(
    State(state): State<AppState>,
    Path((project, env, key)): KeyPath,
    f: CheckedForm<RollbackForm>,
) -> Result<Response, WebError> {
    let CheckedForm { ctx, form } = f;
    check_key(&ctx, &key)?;
    let version: i64 = form
        .version
        .parse()
        .map_err(|_| WebError::BadForm(ctx.tr))?;
    let to = format!("/projects/{project}/environments/{env}/secrets/{key}/history");
    let at = EnvRef {
        project: &project,
        env: &env,
    };
    match secrets::rollback(&state, &ctx.caller, at, &key, version).await {
        Ok(_) => Ok(redirect_with_flash(
            &state,
            &to,
            "ok",
            "history.rolled_back",
        )),
        Err(err) if recoverable(&err) => Ok(redirect_with_flash(
            &state,
            &to,
            "error",
            "history.cannot_roll_back",
        )),
        Err(err) => Err(fail(&ctx, err)),
    }
}
