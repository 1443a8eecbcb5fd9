//! Share links (docs/shares.md): the public recipient page `/s/{id}`, the
//! sender's list and "New share" form, and a project's sharing switch.
//! Encryption and decryption happen in the browser (static/share.js); these
//! pages only carry the server's side of it in `data-` attributes. A GET
//! never consumes a view: the recipient page reads `shares::public` only.
use super::auth_pages::Empty;
use super::csrf::CheckedForm;
use super::errors::{WebError, from_domain};
use super::i18n::Tr;
use super::session::WebCtx;
use super::{Layout, redirect_with_flash, render};
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use heartlock_core::formats::Format;
use heartlock_domain::DomainError;
use heartlock_domain::secrets::{self, EnvRef};
use heartlock_domain::shares;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/s/{id}", get(open))
        .route("/shares", get(list).post(super::shares_create::create))
        .route("/shares/new", get(new_page))
        .route("/shares/{id}/revoke", post(revoke))
        .route("/projects/{project}/sharing", post(set_sharing))
}

fn b64url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The recipient's page: `gone` is the one neutral answer for unknown,
/// expired, used up and revoked links (and for a server with sharing off).
#[derive(Template)]
#[template(path = "share_open.html")]
struct OpenPage {
    l: Layout,
    tr: Tr,
    gone: bool,
    id: String,
    kdf_salt: String,
    kdf_iterations: u32,
    views_left: i64,
    expires_iso: String,
}

/// No cache keeps the page, no Referer carries its address (and with it
/// the path of a live link) to a link the recipient follows, no index lists it.
fn private(mut r: Response, status: StatusCode) -> Response {
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static("noindex, nofollow"),
    );
    r
}

pub async fn open(
    State(state): State<AppState>,
    ctx: WebCtx,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let mut page = OpenPage {
        l: Layout::new(&ctx, "shares"),
        tr: ctx.tr,
        gone: true,
        id: String::new(),
        kdf_salt: String::new(),
        kdf_iterations: 0,
        views_left: 0,
        expires_iso: String::new(),
    };
    if !shares::limits(&state).enabled {
        return Ok(private(render(&page), StatusCode::NOT_FOUND));
    }
    match shares::public(&state, &ctx.caller, &id).await {
        Ok(p) => {
            page.gone = false;
            page.id = p.id;
            page.views_left = p.views_left;
            page.expires_iso = super::account::iso(p.expires_at);
            if let Some(kdf) = p.kdf {
                page.kdf_salt = b64url(&kdf.salt);
                page.kdf_iterations = kdf.iterations;
            }
            Ok(private(render(&page), StatusCode::OK))
        }
        Err(DomainError::NotFound(_)) => Ok(private(render(&page), StatusCode::NOT_FOUND)),
        Err(e) => Err(from_domain(ctx.tr, &ctx.path, e)),
    }
}

/// One of my shares, as listed.
pub struct Row {
    pub id: String,
    pub label: String,
    /// "1 of 2".
    pub views_text: String,
    pub expires_iso: String,
    pub passphrase: bool,
    /// `project / environment / KEY`, or empty.
    pub source: String,
}

#[derive(Template)]
#[template(path = "shares.html")]
struct ListPage {
    l: Layout,
    tr: Tr,
    csrf: String,
    enabled: bool,
    rows: Vec<Row>,
}

fn signed_in(ctx: &WebCtx) -> Result<(), WebError> {
    match ctx.user {
        Some(_) => Ok(()),
        None => Err(WebError::Login(ctx.path.clone())),
    }
}

pub async fn list(State(state): State<AppState>, ctx: WebCtx) -> Result<Response, WebError> {
    signed_in(&ctx)?;
    let enabled = shares::limits(&state).enabled;
    let mine = if enabled {
        shares::mine(&state, &ctx.caller)
            .await
            .map_err(|e| from_domain(ctx.tr, &ctx.path, e))?
    } else {
        Vec::new()
    };
    let rows = mine
        .into_iter()
        .map(|s| Row {
            id: s.id,
            label: s.label.unwrap_or_default(),
            views_text: ctx.tr.tf(
                "shares.views_of",
                &[
                    ("left", &s.views_left.to_string()),
                    ("allowed", &s.views_allowed.to_string()),
                ],
            ),
            expires_iso: super::account::iso(s.expires_at),
            passphrase: s.passphrase,
            source: s
                .source
                .map(|src| {
                    let mut t = format!("{} / {}", src.project, src.environment);
                    if let Some(k) = src.key {
                        t.push_str(" / ");
                        t.push_str(&k);
                    }
                    t
                })
                .unwrap_or_default(),
        })
        .collect();
    let r = render(&ListPage {
        l: Layout::new(&ctx, "shares"),
        tr: ctx.tr,
        csrf: ctx.csrf.clone(),
        enabled,
        rows,
    });
    let status = if enabled {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    Ok(no_store(r, status))
}

fn no_store(mut r: Response, status: StatusCode) -> Response {
    *r.status_mut() = status;
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

pub async fn revoke(
    State(state): State<AppState>,
    Path(id): Path<String>,
    f: CheckedForm<Empty>,
) -> Result<Response, WebError> {
    let ctx = f.ctx;
    signed_in(&ctx)?;
    shares::revoke(&state, &ctx.caller, &id)
        .await
        .map_err(|e| from_domain(ctx.tr, &ctx.path, e))?;
    Ok(redirect_with_flash(
        &state,
        "/shares",
        "ok",
        "shares.revoked",
    ))
}

/// A choice of a `<select>`: value, label, selected.
pub struct Choice {
    pub value: i64,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "share_new.html")]
struct NewPage {
    l: Layout,
    tr: Tr,
    enabled: bool,
    max_bytes: usize,
    /// "Up to 1 MiB." and its refusal, in the page's language.
    size_help: String,
    too_large: String,
    expiries: Vec<Choice>,
    views: Vec<Choice>,
    /// The value to share when it comes from a project (never posted back:
    /// the field has no name, share.js encrypts it).
    prefill: String,
    source_project: String,
    source_environment: String,
    source_key: String,
    /// "DATABASE_URL of payments-api (production)", shown above the form.
    source_text: String,
}

#[derive(Deserialize)]
pub struct NewQuery {
    project: Option<String>,
    env: Option<String>,
    key: Option<String>,
}

/// "1 MiB", "512 KiB", "300 bytes".
fn human_size(n: usize) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} bytes")
    }
}

fn expiries(tr: Tr, limits: &shares::Limits) -> Vec<Choice> {
    let max = limits.max_days.max(1) * 86_400;
    let default = if limits.default_expires_secs > 0 {
        limits.default_expires_secs.min(max)
    } else {
        86_400.min(max)
    };
    let mut out: Vec<(i64, String)> = vec![
        (3_600, tr.t("share.expires_1h")),
        (86_400, tr.t("share.expires_24h")),
        (7 * 86_400, tr.t("share.expires_7d")),
    ];
    if max > 7 * 86_400 {
        let days = limits.max_days.to_string();
        out.push((max, tr.tf("share.expires_days", &[("days", &days)])));
    }
    out.retain(|(s, _)| *s <= max);
    if !out.iter().any(|(s, _)| *s == default) {
        let hours = (default / 3_600).max(1).to_string();
        out.push((default, tr.tf("share.expires_hours", &[("hours", &hours)])));
        out.sort_by_key(|(s, _)| *s);
    }
    out.into_iter()
        .map(|(value, label)| Choice {
            value,
            label,
            selected: value == default,
        })
        .collect()
}

fn view_choices(tr: Tr, max_views: i64) -> Vec<Choice> {
    [1, 2, 3, 5, 10]
        .into_iter()
        .filter(|v| *v <= max_views.max(1))
        .map(|value| Choice {
            value,
            label: if value == 1 {
                tr.t("share.views_once")
            } else {
                tr.tf("share.views_n", &[("count", &value.to_string())])
            },
            selected: value == 1,
        })
        .collect()
}

pub async fn new_page(
    State(state): State<AppState>,
    ctx: WebCtx,
    Query(q): Query<NewQuery>,
) -> Result<Response, WebError> {
    let limits = shares::limits(&state);
    if ctx.user.is_none() && !(limits.enabled && limits.allow_anonymous) {
        return Err(WebError::Login(ctx.path.clone()));
    }
    // `POST /shares` takes a body as large as the biggest sealed content
    // (see app::http_policy), so the whole HEARTLOCK_SHARE_MAX_BYTES fits.
    let max_bytes = limits.max_bytes;
    let max_size = human_size(max_bytes);
    let mut page = NewPage {
        l: Layout::new(&ctx, "shares"),
        tr: ctx.tr,
        enabled: limits.enabled,
        max_bytes,
        size_help: ctx.tr.tf("share.size_help", &[("size", &max_size)]),
        too_large: ctx.tr.tf("share.too_large", &[("size", &max_size)]),
        expiries: expiries(ctx.tr, &limits),
        views: view_choices(ctx.tr, limits.max_views),
        prefill: String::new(),
        source_project: String::new(),
        source_environment: String::new(),
        source_key: String::new(),
        source_text: String::new(),
    };
    if !limits.enabled {
        return Ok(no_store(render(&page), StatusCode::NOT_FOUND));
    }
    if let (Some(project), Some(env)) = (q.project, q.env) {
        let key = q.key.filter(|k| !k.is_empty());
        let fail = |e| from_domain(ctx.tr, &ctx.path, e);
        if !shares::may_share_from(&state, &ctx.caller, &project)
            .await
            .map_err(fail)?
        {
            return Err(WebError::Forbidden(ctx.tr));
        }
        let at = EnvRef {
            project: &project,
            env: &env,
        };
        page.prefill = match &key {
            Some(k) => {
                secrets::get(&state, &ctx.caller, at, k)
                    .await
                    .map_err(fail)?
                    .value
            }
            None => secrets::export(&state, &ctx.caller, at, Format::Dotenv)
                .await
                .map_err(fail)?,
        };
        let args = [
            ("project", project.as_str()),
            ("env", env.as_str()),
            ("key", key.as_deref().unwrap_or("")),
        ];
        page.source_text = match &key {
            Some(_) => ctx.tr.tf("share.source_key", &args),
            None => ctx.tr.tf("share.source_env", &args),
        };
        page.source_project = project;
        page.source_environment = env;
        page.source_key = key.unwrap_or_default();
    }
    Ok(no_store(render(&page), StatusCode::OK))
}

/// Whether to offer "Share" on a project's secrets; a refusal or an error
/// only hides the controls (the share itself is checked again on creation).
pub async fn offered(state: &AppState, ctx: &WebCtx, slug: &str) -> bool {
    shares::may_share_from(state, &ctx.caller, slug)
        .await
        .unwrap_or(false)
}

/// The project's sharing switch for its environments page: `Some(allowed)`
/// for those who manage the project while the feature is on.
pub async fn switch(state: &AppState, ctx: &WebCtx, slug: &str, manage: bool) -> Option<bool> {
    if !manage || !shares::limits(state).enabled {
        return None;
    }
    shares::project_sharing(state, &ctx.caller, slug).await.ok()
}

#[derive(Deserialize)]
pub struct SharingForm {
    /// A checkbox: "on" when ticked, absent otherwise.
    #[serde(default)]
    allow: Option<String>,
}

/// The project's "Allow share links" switch (project admins).
pub async fn set_sharing(
    State(state): State<AppState>,
    Path(project): Path<String>,
    f: CheckedForm<SharingForm>,
) -> Result<Response, WebError> {
    let CheckedForm { ctx, form } = f;
    super::projects::signed_in(&ctx)?;
    let allow = form.allow.is_some_and(|v| v == "on" || v == "true");
    shares::set_project_sharing(&state, &ctx.caller, &project, allow)
        .await
        .map_err(|e| from_domain(ctx.tr, &ctx.path, e))?;
    let flash = if allow {
        "shares.sharing_on"
    } else {
        "shares.sharing_off"
    };
    let to = format!("/projects/{project}/environments");
    Ok(redirect_with_flash(&state, &to, "ok", flash))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_people_write_them() {
        assert_eq!(human_size(1 << 20), "1 MiB");
        assert_eq!(human_size(512 << 10), "512 KiB");
        assert_eq!(human_size(300), "300 bytes");
    }
}
