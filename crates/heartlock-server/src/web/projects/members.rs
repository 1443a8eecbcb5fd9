//! /projects/{project}/members: who has which role; add by email, change
//! a role, remove. Owner rules are the service's (`projects::set_member`).
use super::{Head, fail, head, problem, signed_in, with_status};
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
use heartlock_core::roles::ProjectRole;
use heartlock_domain::DomainError;
use heartlock_domain::members::{self, Member};
use serde::Deserialize;

pub struct MemberRow {
    pub user_id: String,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub role_label: String,
    pub confirm: String,
    pub is_you: bool,
}

#[derive(Template)]
#[template(path = "project_members.html")]
struct MembersPage {
    l: Layout,
    tr: Tr,
    csrf: String,
    head: Head,
    members: Vec<MemberRow>,
    /// (value, label) for the role selects.
    roles: Vec<(&'static str, String)>,
    error: Option<String>,
    email: String,
}

async fn build(
    state: &AppState,
    ctx: &WebCtx,
    project: &str,
    form: Option<(String, String)>,
) -> Result<Response, WebError> {
    signed_in(ctx)?;
    let list = members::list(state, &ctx.caller, project)
        .await
        .map_err(|e| fail(ctx, e))?;
    let head = head(state, ctx, project, "members").await?;
    let me = ctx.user.as_ref().map(|u| u.id.as_str()).unwrap_or_default();
    let members = list
        .into_iter()
        .map(|Member { user: u, role }| MemberRow {
            is_you: u.id == me,
            role_label: ctx.tr.t(&format!("role.{}", role.as_str())),
            confirm: ctx.tr.tf("members.confirm_remove", &[("email", &u.email)]),
            user_id: u.id,
            email: u.email,
            display_name: u.display_name,
            role: role.as_str().to_string(),
        })
        .collect();
    let (error, email) = match form {
        Some((e, m)) => (Some(e), m),
        None => (None, String::new()),
    };
    Ok(render(&MembersPage {
        l: Layout::new(ctx, "projects"),
        tr: ctx.tr,
        csrf: ctx.csrf.clone(),
        head,
        members,
        roles: ProjectRole::ALL
            .iter()
            .map(|r| (r.as_str(), ctx.tr.t(&format!("role.{}", r.as_str()))))
            .collect(),
        error,
        email,
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

/// Success goes back with a flash; a refusal a person can act on (unknown
/// email, owner rules) is shown on the page.
async fn outcome(
    state: &AppState,
    ctx: &WebCtx,
    project: &str,
    result: Result<(), DomainError>,
    flash: &str,
    email: String,
) -> Result<Response, WebError> {
    let e = match result {
        Ok(()) => {
            let to = format!("/projects/{project}/members");
            return Ok(redirect_with_flash(state, &to, "ok", flash));
        }
        Err(e) => e,
    };
    let status = match &e {
        DomainError::Forbidden(_) => StatusCode::FORBIDDEN,
        DomainError::Validation { .. } | DomainError::Conflict(_) => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        _ => return Err(fail(ctx, e)),
    };
    let r = build(state, ctx, project, Some((problem(ctx, &e), email))).await?;
    Ok(with_status(r, status))
}

fn parse_role(ctx: &WebCtx, role: &str) -> Result<ProjectRole, WebError> {
    ProjectRole::parse(role).ok_or(WebError::BadForm(ctx.tr))
}

#[derive(Deserialize)]
pub struct AddForm {
    email: String,
    role: String,
}

pub async fn add(
    State(state): State<AppState>,
    Path(project): Path<String>,
    f: CheckedForm<AddForm>,
) -> Result<Response, WebError> {
    let CheckedForm { ctx, form } = f;
    signed_in(&ctx)?;
    let role = parse_role(&ctx, &form.role)?;
    let result = members::add(&state, &ctx.caller, &project, &form.email, role.as_str()).await;
    let result = result.map(|_| ());
    outcome(&state, &ctx, &project, result, "members.added", form.email).await
}

#[derive(Deserialize)]
pub struct RoleForm {
    role: String,
}

pub async fn change_role(
    State(state): State<AppState>,
    Path((project, user_id)): Path<(String, String)>,
    f: CheckedForm<RoleForm>,
) -> Result<Response, WebError> {
    let CheckedForm { ctx, form } = f;
    signed_in(&ctx)?;
    let role = parse_role(&ctx, &form.role)?;
    // Only an existing member's role changes here (as in the API).
    let result = members::change_role(&state, &ctx.caller, &project, &user_id, role.as_str()).await;
    if let Err(DomainError::NotFound(_)) = result {
        return Err(WebError::NotFound(ctx.tr));
    }
    let result = result.map(|_| ());
    outcome(
        &state,
        &ctx,
        &project,
        result,
        "members.changed",
        String::new(),
    )
    .await
}

pub async fn remove(
    State(state): State<AppState>,
    Path((project, user_id)): Path<(String, String)>,
    f: CheckedForm<Empty>,
) -> Result<Response, WebError> {
    let ctx = f.ctx;
    signed_in(&ctx)?;
    let result = members::remove(&state, &ctx.caller, &project, &user_id).await;
    if let Err(DomainError::NotFound(_)) = result {
        return Err(WebError::NotFound(ctx.tr));
    }
    outcome(
        &state,
        &ctx,
        &project,
        result,
        "members.removed",
        String::new(),
    )
    .await
}
