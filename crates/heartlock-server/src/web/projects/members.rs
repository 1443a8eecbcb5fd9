//! /projects/{project}/members: who has which role in which environments;
//! add by email, change a role and environments, remove; and the same for
//! identity-provider group grants (the group name travels in the form, so
//! any name fits). Owner and environment rules are the service's
//! (`members`, `group_grants`). An environment box left unticked everywhere
//! means every environment.
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
use heartlock_domain::environments;
use heartlock_domain::group_grants::{self, GroupGrant};
use heartlock_domain::members::{self, Member};

pub struct MemberRow {
    pub user_id: String,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub role_label: String,
    pub confirm: String,
    pub is_you: bool,
    /// The environment slugs the member is limited to (`None`: all).
    pub environments: Option<Vec<String>>,
}

impl MemberRow {
    /// Whether the member's environments include `slug` (ticked boxes).
    pub fn limited_to(&self, slug: &str) -> bool {
        self.environments
            .as_ref()
            .is_some_and(|l| l.iter().any(|s| s == slug))
    }
}

/// One group grant, as the page shows it.
pub struct GrantRow {
    pub group: String,
    pub role: String,
    pub role_label: String,
    pub confirm: String,
    /// The environment slugs the grant is limited to (`None`: all).
    pub environments: Option<Vec<String>>,
}

impl GrantRow {
    /// Whether the grant's environments include `slug` (ticked boxes).
    pub fn limited_to(&self, slug: &str) -> bool {
        self.environments
            .as_ref()
            .is_some_and(|l| l.iter().any(|s| s == slug))
    }
}

#[derive(Template)]
#[template(path = "project_members.html")]
struct MembersPage {
    l: Layout,
    tr: Tr,
    csrf: String,
    head: Head,
    members: Vec<MemberRow>,
    grants: Vec<GrantRow>,
    /// Pending invitations (for those who manage members).
    invitations: Vec<super::invitations::InviteRow>,
    /// (value, label) for the role selects.
    roles: Vec<(&'static str, String)>,
    /// (slug, name) of the project's environments, for the checkboxes.
    envs: Vec<(String, String)>,
    error: Option<String>,
    email: String,
    group: String,
}

async fn build(
    state: &AppState,
    ctx: &WebCtx,
    project: &str,
    form: Option<(String, Refill)>,
) -> Result<Response, WebError> {
    signed_in(ctx)?;
    let list = members::list(state, &ctx.caller, project)
        .await
        .map_err(|e| fail(ctx, e))?;
    let grants = group_grants::list(state, &ctx.caller, project)
        .await
        .map_err(|e| fail(ctx, e))?
        .into_iter()
        .map(
            |GroupGrant {
                 group,
                 role,
                 environments,
                 ..
             }| GrantRow {
                role_label: ctx.tr.t(&format!("role.{}", role.as_str())),
                confirm: ctx.tr.tf("groups.confirm_remove", &[("group", &group)]),
                group,
                role: role.as_str().to_string(),
                environments,
            },
        )
        .collect();
    let head = head(state, ctx, project, "members").await?;
    let invitations = super::invitations::rows(state, ctx, project, head.perms.members).await?;
    let (_, envs) = environments::list(state, &ctx.caller, project)
        .await
        .map_err(|e| fail(ctx, e))?;
    let me = ctx.user.as_ref().map(|u| u.id.as_str()).unwrap_or_default();
    let members = list
        .into_iter()
        .map(
            |Member {
                 user: u,
                 role,
                 environments,
             }| MemberRow {
                is_you: u.id == me,
                role_label: ctx.tr.t(&format!("role.{}", role.as_str())),
                confirm: ctx.tr.tf("members.confirm_remove", &[("email", &u.email)]),
                user_id: u.id,
                email: u.email,
                display_name: u.display_name,
                role: role.as_str().to_string(),
                environments,
            },
        )
        .collect();
    let (error, Refill { email, group }) = match form {
        Some((e, r)) => (Some(e), r),
        None => (None, Refill::default()),
    };
    Ok(render(&MembersPage {
        l: Layout::new(ctx, "projects"),
        tr: ctx.tr,
        csrf: ctx.csrf.clone(),
        head,
        members,
        grants,
        invitations,
        roles: ProjectRole::ALL
            .iter()
            .map(|r| (r.as_str(), ctx.tr.t(&format!("role.{}", r.as_str()))))
            .collect(),
        envs: envs.into_iter().map(|e| (e.slug, e.name)).collect(),
        error,
        email,
        group,
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

/// What a refused add form is shown again with.
#[derive(Default)]
pub(super) struct Refill {
    pub(super) email: String,
    pub(super) group: String,
}

/// Success goes back with a flash; a refusal a person can act on (unknown
/// email, owner rules) is shown on the page.
pub(super) async fn outcome(
    state: &AppState,
    ctx: &WebCtx,
    project: &str,
    result: Result<(), DomainError>,
    flash: &str,
    refill: Refill,
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
    let r = build(state, ctx, project, Some((problem(ctx, &e), refill))).await?;
    Ok(with_status(r, status))
}

pub(super) fn parse_role(ctx: &WebCtx, role: &str) -> Result<ProjectRole, WebError> {
    ProjectRole::parse(role).ok_or(WebError::BadForm(ctx.tr))
}

/// A member form: `env` repeats, once per ticked environment; none ticked
/// means every environment.
#[derive(Default)]
pub(super) struct MemberForm {
    pub(super) email: String,
    group: String,
    pub(super) role: String,
    environments: Vec<String>,
}

impl MemberForm {
    pub(super) fn parse(pairs: Vec<(String, String)>) -> Self {
        let mut f = MemberForm::default();
        for (k, v) in pairs {
            match k.as_str() {
                "email" => f.email = v,
                "group" => f.group = v,
                "role" => f.role = v,
                "env" => f.environments.push(v),
                _ => {}
            }
        }
        f
    }

    pub(super) fn limit(&self) -> Option<&[String]> {
        (!self.environments.is_empty()).then_some(self.environments.as_slice())
    }
}

pub async fn add(
    State(state): State<AppState>,
    Path(project): Path<String>,
    f: CheckedForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let CheckedForm { ctx, form } = f;
    signed_in(&ctx)?;
    let form = MemberForm::parse(form);
    let role = parse_role(&ctx, &form.role)?;
    let result = members::add(
        &state,
        &ctx.caller,
        &project,
        &form.email,
        role.as_str(),
        form.limit(),
    )
    .await;
    let result = result.map(|_| ());
    let refill = Refill {
        email: form.email,
        group: String::new(),
    };
    outcome(&state, &ctx, &project, result, "members.added", refill).await
}

pub async fn change_role(
    State(state): State<AppState>,
    Path((project, user_id)): Path<(String, String)>,
    f: CheckedForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let CheckedForm { ctx, form } = f;
    signed_in(&ctx)?;
    let form = MemberForm::parse(form);
    let role = parse_role(&ctx, &form.role)?;
    // Only an existing member's role changes here (as in the API).
    let result = members::change_role(
        &state,
        &ctx.caller,
        &project,
        &user_id,
        role.as_str(),
        form.limit(),
    )
    .await;
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
        Refill::default(),
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
        Refill::default(),
    )
    .await
}

/// Grants a role to an identity-provider group (or changes its grant).
pub async fn grant_add(
    State(state): State<AppState>,
    Path(project): Path<String>,
    f: CheckedForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let CheckedForm { ctx, form } = f;
    signed_in(&ctx)?;
    let form = MemberForm::parse(form);
    let role = parse_role(&ctx, &form.role)?;
    let result = group_grants::grant(
        &state,
        &ctx.caller,
        &project,
        &form.group,
        role.as_str(),
        form.limit(),
    )
    .await
    .map(|_| ());
    let refill = Refill {
        email: String::new(),
        group: form.group,
    };
    outcome(&state, &ctx, &project, result, "groups.granted", refill).await
}

/// Changes the role and environments of an existing group grant.
pub async fn grant_change(
    State(state): State<AppState>,
    Path(project): Path<String>,
    f: CheckedForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let CheckedForm { ctx, form } = f;
    signed_in(&ctx)?;
    let form = MemberForm::parse(form);
    let role = parse_role(&ctx, &form.role)?;
    let result = group_grants::change(
        &state,
        &ctx.caller,
        &project,
        &form.group,
        role.as_str(),
        form.limit(),
    )
    .await;
    if let Err(DomainError::NotFound(_)) = result {
        return Err(WebError::NotFound(ctx.tr));
    }
    let result = result.map(|_| ());
    outcome(
        &state,
        &ctx,
        &project,
        result,
        "groups.changed",
        Refill::default(),
    )
    .await
}

/// Revokes a group grant.
pub async fn grant_remove(
    State(state): State<AppState>,
    Path(project): Path<String>,
    f: CheckedForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let CheckedForm { ctx, form } = f;
    signed_in(&ctx)?;
    let form = MemberForm::parse(form);
    let result = group_grants::revoke(&state, &ctx.caller, &project, &form.group).await;
    if let Err(DomainError::NotFound(_)) = result {
        return Err(WebError::NotFound(ctx.tr));
    }
    outcome(
        &state,
        &ctx,
        &project,
        result,
        "groups.removed",
        Refill::default(),
    )
    .await
}
