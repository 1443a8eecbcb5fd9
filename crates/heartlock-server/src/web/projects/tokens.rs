//! /projects/{project}/tokens: service tokens. A new token is shown once,
//! in the response to the form that created it, never again.
use super::{Head, fail, head, problem, recoverable, signed_in, when, with_status};
use crate::state::AppState;
use crate::web::auth_pages::Empty;
use crate::web::csrf::CheckedForm;
use crate::web::errors::WebError;
use crate::web::i18n::Tr;
use crate::web::session::WebCtx;
use crate::web::{Layout, redirect_with_flash, render};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use heartlock_domain::records::{EnvironmentRecord, TokenRecord};
use heartlock_domain::tokens::{self as svc, NewToken};

pub struct TokenRow {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub environments: String,
    pub access: String,
    pub expires: String,
    pub last_used: String,
    pub revoked: String,
    pub active: bool,
    pub confirm: String,
}

/// A token just created: its only appearance, with ready-to-paste usage.
pub struct Created {
    pub title: String,
    pub token: String,
    /// `heartlock run`, curl and a GitHub Actions step, for its first
    /// environment.
    pub usage: Vec<(String, String)>,
}

/// The usage snippets of a new token: the CLI and curl with the token
/// itself (shown this once anyway), the CI step with a repository secret
/// (a token belongs in the CI's secret store, not in a workflow file).
fn usage(tr: Tr, server: &str, project: &str, env: &str, token: &str) -> Vec<(String, String)> {
    let cli = format!(
        "HEARTLOCK_TOKEN={token} HEARTLOCK_SERVER={server} \\\n  heartlock run -p {project} -e {env} -- ./your-command"
    );
    let curl = format!(
        "curl -H \"Authorization: Bearer {token}\" \\\n  {server}/api/v1/projects/{project}/environments/{env}/secrets:export"
    );
    let github = format!(
        "- name: Run with Heartlock secrets\n  env:\n    HEARTLOCK_TOKEN: ${{{{ secrets.HEARTLOCK_TOKEN }}}}\n    HEARTLOCK_SERVER: {server}\n  run: heartlock run -p {project} -e {env} -- ./deploy.sh"
    );
    vec![
        (tr.t("tokens.usage_cli"), cli),
        (tr.t("tokens.usage_curl"), curl),
        (tr.t("tokens.usage_github"), github),
    ]
}

#[derive(Template)]
#[template(path = "project_tokens.html")]
struct TokensPage {
    l: Layout,
    tr: Tr,
    csrf: String,
    head: Head,
    tokens: Vec<TokenRow>,
    envs: Vec<EnvironmentRecord>,
    created: Option<Created>,
    error: Option<String>,
}

fn row(tr: Tr, now: i64, t: TokenRecord, envs: &[EnvironmentRecord]) -> TokenRow {
    let environments = t
        .environments
        .iter()
        .filter_map(|id| envs.iter().find(|e| e.id == *id).map(|e| e.slug.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let expired = t.expires_at.is_some_and(|at| at <= now);
    TokenRow {
        access: tr.t(&format!("tokens.access_{}", t.access.as_str())),
        expires: t
            .expires_at
            .map(|at| when(Some(at)))
            .unwrap_or_else(|| tr.t("tokens.never")),
        last_used: t
            .last_used_at
            .map(|at| when(Some(at)))
            .unwrap_or_else(|| tr.t("tokens.never_used")),
        revoked: match (t.revoked_at, expired) {
            (Some(at), _) => tr.tf("tokens.revoked_at", &[("when", &when(Some(at)))]),
            (None, true) => tr.t("tokens.expired"),
            (None, false) => tr.t("tokens.active"),
        },
        active: t.revoked_at.is_none(),
        confirm: tr.tf("tokens.confirm_revoke", &[("name", &t.name)]),
        id: t.id,
        name: t.name,
        prefix: t.display_prefix,
        environments,
    }
}

async fn build(
    state: &AppState,
    ctx: &WebCtx,
    project: &str,
    created: Option<Created>,
    error: Option<String>,
) -> Result<Response, WebError> {
    signed_in(ctx)?;
    let (_, tokens, envs) = svc::list(state, &ctx.caller, project)
        .await
        .map_err(|e| fail(ctx, e))?;
    let head = head(state, ctx, project, "tokens").await?;
    let now = state.clock.now_ms();
    let tokens = tokens
        .into_iter()
        .map(|t| row(ctx.tr, now, t, &envs))
        .collect();
    Ok(render(&TokensPage {
        l: Layout::new(ctx, "projects"),
        tr: ctx.tr,
        csrf: ctx.csrf.clone(),
        head,
        tokens,
        envs,
        created,
        error,
    }))
}

pub async fn page(
    State(state): State<AppState>,
    ctx: WebCtx,
    Path(project): Path<String>,
) -> Result<Response, WebError> {
    signed_in(&ctx)?;
    build(&state, &ctx, &project, None, None).await
}

/// The creation form (`env` repeats, once per ticked environment).
#[derive(Default)]
struct TokenForm {
    name: String,
    environments: Vec<String>,
    access: String,
    expires: String,
    cidrs: String,
}

impl TokenForm {
    fn parse(pairs: Vec<(String, String)>) -> Self {
        let mut f = TokenForm::default();
        for (k, v) in pairs {
            match k.as_str() {
                "name" => f.name = v,
                "env" => f.environments.push(v),
                "access" => f.access = v,
                "expires_in_days" => f.expires = v,
                "allowed_cidrs" => f.cidrs = v,
                _ => {}
            }
        }
        f
    }
}

pub async fn create(
    State(state): State<AppState>,
    Path(project): Path<String>,
    headers: HeaderMap,
    f: CheckedForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let CheckedForm { ctx, form } = f;
    signed_in(&ctx)?;
    let form = TokenForm::parse(form);
    let expires = form.expires.trim();
    let expires_in_days = match expires.parse::<u32>() {
        Ok(d) => Some(d),
        Err(_) if expires.is_empty() => None,
        Err(_) => {
            let error = Some(ctx.tr.t("tokens.bad_expiry"));
            let r = build(&state, &ctx, &project, None, error).await?;
            return Ok(with_status(r, StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    let cidrs: Vec<String> = form
        .cidrs
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect();
    let new = NewToken {
        name: &form.name,
        environments: &form.environments,
        access: &form.access,
        expires_in_days,
        allowed_cidrs: &cidrs,
    };
    match svc::create(&state, &ctx.caller, &project, new).await {
        Ok(done) => {
            let server = state
                .settings
                .base_url
                .clone()
                .or_else(|| crate::mail_context::request_base_url(&state, &headers))
                .unwrap_or_default();
            let env = form.environments.first().map_or("", String::as_str);
            let created = Some(Created {
                title: ctx
                    .tr
                    .tf("tokens.created_title", &[("name", &done.record.name)]),
                usage: usage(ctx.tr, &server, &project, env, &done.token),
                token: done.token,
            });
            let r = build(&state, &ctx, &project, created, None).await?;
            Ok(with_status(r, StatusCode::CREATED))
        }
        Err(e) if recoverable(&e) => {
            let r = build(&state, &ctx, &project, None, Some(problem(&ctx, &e))).await?;
            Ok(with_status(r, StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(fail(&ctx, e)),
    }
}

pub async fn revoke(
    State(state): State<AppState>,
    Path((project, token_id)): Path<(String, String)>,
    f: CheckedForm<Empty>,
) -> Result<Response, WebError> {
    let ctx = f.ctx;
    signed_in(&ctx)?;
    svc::revoke(&state, &ctx.caller, &project, &token_id)
        .await
        .map_err(|e| fail(&ctx, e))?;
    let to = format!("/projects/{project}/tokens");
    Ok(redirect_with_flash(&state, &to, "ok", "tokens.revoked"))
}
