//! The versions of one secret, newest first, each masked until revealed,
//! with "roll back to this version".
use super::{Head, Pager, check_key, fail, is_htmx, open_env, recoverable, when};
use crate::services::secrets::{self, PlainVersion};
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
use heartlock_core::roles::Action;
use heartlock_store::ProjectRecord;
use serde::Deserialize;
use std::collections::HashMap;

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

/// "alice@example.com" or the token's name, for each version's author.
async fn authors(
    state: &AppState,
    tr: Tr,
    project: &ProjectRecord,
    versions: &[PlainVersion],
) -> Result<HashMap<String, String>, WebError> {
    let mut names = HashMap::new();
    for v in versions {
        if let Some(id) = &v.author_user_id
            && !names.contains_key(id)
        {
            let user = state
                .store
                .user_by_id(id)
                .await
                .map_err(|_| WebError::Internal)?;
            names.insert(
                id.clone(),
                user.map(|u| u.email)
                    .unwrap_or_else(|| tr.t("history.unknown")),
            );
        }
    }
    if versions.iter().any(|v| v.author_token_id.is_some()) {
        let tokens = state
            .store
            .project_tokens(&project.id)
            .await
            .map_err(|_| WebError::Internal)?;
        for t in tokens {
            names.insert(t.id, tr.tf("history.token", &[("name", &t.name)]));
        }
    }
    Ok(names)
}

pub async fn page(
    State(state): State<AppState>,
    ctx: WebCtx,
    headers: HeaderMap,
    Path((project, env, key)): KeyPath,
    Query(q): Query<HistoryQuery>,
) -> Result<Response, WebError> {
    check_key(&ctx, &key)?;
    let (p, e, head) = open_env(&state, &ctx, &project, &env, Action::ReadSecrets).await?;
    let wanted = Pager::requested(q.page.as_deref());
    let (versions, total) = secrets::history(
        &state,
        &ctx.caller,
        &p,
        &e,
        &key,
        Pager::PER_PAGE,
        Pager::offset(wanted),
    )
    .await
    .map_err(|err| fail(&ctx, err))?;
    let names = authors(&state, ctx.tr, &p, &versions).await?;
    let reveal = q.reveal.as_deref().and_then(|r| r.parse::<i64>().ok());
    let base = format!(
        "/projects/{}/environments/{}/secrets/{}",
        p.slug, e.slug, key
    );
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
                .and_then(|id| names.get(id).cloned())
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
        env: e.name,
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
    let (p, e, _) = open_env(&state, &ctx, &project, &env, Action::WriteSecrets).await?;
    let to = format!(
        "/projects/{}/environments/{}/secrets/{key}/history",
        p.slug, e.slug
    );
    match secrets::rollback(&state, &ctx.caller, &p, &e, &key, version).await {
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
