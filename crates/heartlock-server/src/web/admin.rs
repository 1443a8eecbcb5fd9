//! The admin area: users (role, disable/enable), the server audit log and
//! the server status. Server administrators only: others get the 403 page,
//! anonymous visitors the login page.
use super::account::iso;
use super::auth_pages::Empty;
use super::csrf::CheckedForm;
use super::errors::{WebError, from_domain, urlencode};
use super::session::WebCtx;
use super::{Layout, redirect_with_flash, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use heartlock_core::audit::Outcome;
use heartlock_domain::DomainError;
use heartlock_domain::admin::{self as svc, UserUpdate};
use heartlock_domain::audit;
use heartlock_domain::keys::KeySource;
use heartlock_domain::records::{AuditFilter, Backend};
use serde::Deserialize;

const USERS_PER_PAGE: i64 = 50;
const EVENTS_PER_PAGE: i64 = 50;

fn require_admin(ctx: &WebCtx) -> Result<(), WebError> {
    // The domain decides; the page only chooses how a refusal looks.
    svc::require_admin(&ctx.caller).map_err(|e| from_domain(ctx.tr, &ctx.path, e))
}

/// Page numbers: (current page clamped to 1.., page count, row offset).
fn paging(page: Option<i64>, total: i64, per: i64) -> (i64, i64, i64) {
    let pages = ((total + per - 1) / per).max(1);
    let page = page.unwrap_or(1).clamp(1, pages);
    (page, pages, (page - 1) * per)
}

#[derive(Deserialize, Default)]
pub struct PageQuery {
    page: Option<i64>,
}

/// GET /admin
pub async fn index(ctx: WebCtx) -> Result<Response, WebError> {
    require_admin(&ctx)?;
    Ok(Redirect::to("/admin/users").into_response())
}

struct UserRow {
    id: String,
    email: String,
    name: String,
    role: String,
    superuser: bool,
    disabled: bool,
    created_iso: String,
    is_me: bool,
    confirm_role: String,
    confirm_disable: String,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    l: Layout,
    tab: &'static str,
    users: Vec<UserRow>,
    total: i64,
    page: i64,
    pages: i64,
}

/// GET /admin/users
pub async fn users(
    State(state): State<AppState>,
    ctx: WebCtx,
    Query(q): Query<PageQuery>,
) -> Result<Response, WebError> {
    require_admin(&ctx)?;
    let fail = |e| from_domain(ctx.tr, &ctx.path, e);
    let (_, total) = svc::list_users(&state, &ctx.caller, 0, 0)
        .await
        .map_err(fail)?;
    let (page, pages, offset) = paging(q.page, total, USERS_PER_PAGE);
    let (list, total) = svc::list_users(&state, &ctx.caller, USERS_PER_PAGE, offset)
        .await
        .map_err(fail)?;
    let me = ctx.user.as_ref().map(|u| u.id.clone()).unwrap_or_default();
    let users = list
        .into_iter()
        .map(|u| UserRow {
            is_me: u.id == me,
            confirm_role: ctx.tr.tf("admin.confirm_role", &[("email", &u.email)]),
            confirm_disable: ctx.tr.tf("admin.confirm_disable", &[("email", &u.email)]),
            id: u.id,
            email: u.email,
            name: u.display_name,
            role: u.role.as_str().to_string(),
            superuser: u.is_superuser,
            disabled: u.disabled,
            created_iso: iso(u.created_at),
        })
        .collect();
    Ok(render(&UsersPage {
        l: Layout::new(&ctx, "admin"),
        tab: "users",
        users,
        total,
        page,
        pages,
    }))
}

#[derive(Deserialize)]
pub struct RoleForm {
    role: String,
}

async fn apply(
    state: &AppState,
    ctx: &WebCtx,
    user_id: &str,
    change: UserUpdate,
    done_key: &str,
) -> Result<Response, WebError> {
    require_admin(ctx)?;
    match svc::update_user(state, &ctx.caller, user_id, &change).await {
        Ok(_) => Ok(redirect_with_flash(state, "/admin/users", "ok", done_key)),
        Err(DomainError::Conflict(_)) => Ok(redirect_with_flash(
            state,
            "/admin/users",
            "error",
            "admin.cannot_change_self",
        )),
        Err(DomainError::Validation { .. }) => Ok(redirect_with_flash(
            state,
            "/admin/users",
            "error",
            "admin.bad_role",
        )),
        Err(e) => Err(from_domain(ctx.tr, &ctx.path, e)),
    }
}

/// POST /admin/users/{id}/role
pub async fn set_role(
    State(state): State<AppState>,
    Path(id): Path<String>,
    f: CheckedForm<RoleForm>,
) -> Result<Response, WebError> {
    let change = UserUpdate {
        role: Some(f.form.role.clone()),
        disabled: None,
    };
    apply(&state, &f.ctx, &id, change, "admin.role_changed").await
}

/// POST /admin/users/{id}/disable
pub async fn disable(
    State(state): State<AppState>,
    Path(id): Path<String>,
    f: CheckedForm<Empty>,
) -> Result<Response, WebError> {
    let change = UserUpdate {
        role: None,
        disabled: Some(true),
    };
    apply(&state, &f.ctx, &id, change, "admin.user_disabled").await
}

/// POST /admin/users/{id}/enable
pub async fn enable(
    State(state): State<AppState>,
    Path(id): Path<String>,
    f: CheckedForm<Empty>,
) -> Result<Response, WebError> {
    let change = UserUpdate {
        role: None,
        disabled: Some(false),
    };
    apply(&state, &f.ctx, &id, change, "admin.user_enabled").await
}

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    #[serde(default)]
    action: String,
    #[serde(default)]
    outcome: String,
    /// Old page-number links still work; the pager itself uses the cursors.
    page: Option<i64>,
    /// Older than this seq (the "Next" link).
    before: Option<i64>,
    /// Just newer than this seq (the "Previous" link).
    after: Option<i64>,
}

struct EventRow {
    seq: i64,
    at_iso: String,
    actor: String,
    action: String,
    target: String,
    ip: String,
    outcome: &'static str,
    outcome_label: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
struct AuditPage {
    l: Layout,
    tab: &'static str,
    rows: Vec<EventRow>,
    action: String,
    outcome: String,
    /// (value, label) of each outcome filter.
    outcomes: Vec<(&'static str, String)>,
    /// "123", or "1000+" when counting stopped early.
    total: String,
    prev_url: Option<String>,
    next_url: Option<String>,
}

/// GET /admin/audit: every event, newest first, filtered by action prefix and outcome.
pub async fn audit_log(
    State(state): State<AppState>,
    ctx: WebCtx,
    Query(q): Query<AuditQuery>,
) -> Result<Response, WebError> {
    require_admin(&ctx)?;
    let action = q.action.trim().to_string();
    let outcome = q.outcome.parse::<Outcome>().ok();
    let filter = AuditFilter {
        action: (!action.is_empty()).then(|| {
            if action.ends_with('.') || action.ends_with('*') {
                action.clone()
            } else {
                format!("{action}*")
            }
        }),
        outcome,
        before_seq: q.before,
        after_seq: q.after,
        ..Default::default()
    };
    let fail = |e| from_domain(ctx.tr, &ctx.path, e);
    let offset = (q.page.unwrap_or(1).clamp(1, i64::from(i32::MAX)) - 1) * EVENTS_PER_PAGE;
    let found = audit::search(&state, &ctx.caller, None, filter, EVENTS_PER_PAGE, offset)
        .await
        .map_err(fail)?;
    let total = if found.total_exact {
        found.total.to_string()
    } else {
        format!("{}+", found.total)
    };
    let rows = found
        .events
        .into_iter()
        .map(|e| {
            let ev = e.event;
            let target = [ev.project_id, ev.environment_id, ev.secret_key]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" / ");
            EventRow {
                seq: e.seq,
                at_iso: iso(ev.at_ms),
                actor: ev
                    .actor_name
                    .unwrap_or_else(|| ev.actor_kind.as_str().to_string()),
                action: ev.action,
                target,
                ip: ev.ip.unwrap_or_default(),
                outcome: ev.outcome.as_str(),
                outcome_label: ctx.tr.t(&format!("admin.outcome_{}", ev.outcome.as_str())),
                detail: ev.detail.unwrap_or_default(),
            }
        })
        .collect();
    let outcome = outcome.map(|o| o.as_str().to_string()).unwrap_or_default();
    let link = |cursor: &str, seq: i64| {
        format!(
            "/admin/audit?action={}&outcome={}&{cursor}={seq}",
            urlencode(&action),
            urlencode(&outcome)
        )
    };
    Ok(render(&AuditPage {
        l: Layout::new(&ctx, "admin"),
        tab: "audit",
        rows,
        prev_url: found.newer.map(|seq| link("after", seq)),
        next_url: found.older.map(|seq| link("before", seq)),
        action,
        outcome,
        outcomes: ["success", "denied", "failure"]
            .into_iter()
            .map(|o| (o, ctx.tr.t(&format!("admin.outcome_{o}"))))
            .collect(),
        total,
    }))
}

struct FindingRow {
    id: &'static str,
    /// `error` or `warning`, shown as is (like the id, a stable token).
    severity: &'static str,
    settings: String,
    message: String,
    fix: String,
}

#[derive(Template)]
#[template(path = "admin_status.html")]
struct StatusPage {
    l: Layout,
    tab: &'static str,
    version: &'static str,
    backend: &'static str,
    reachable: bool,
    pending: Option<usize>,
    key_source: String,
    key_count: usize,
    findings: Vec<FindingRow>,
    mail_backend: String,
    outbox_counts: String,
    failed_mail: Vec<FailedMailRow>,
    /// Share link counts (never contents).
    share_counts: String,
}

/// A message the outbox gave up on (content never shown).
struct FailedMailRow {
    recipient: String,
    attempts: i64,
    error: String,
    failed_at: String,
}

/// GET /admin/status
pub async fn status(State(state): State<AppState>, ctx: WebCtx) -> Result<Response, WebError> {
    require_admin(&ctx)?;
    let db = state.database_status().await;
    let backend = match db.backend {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    };
    let (reachable, pending) = (db.reachable, db.pending_migrations);
    let key_source = if state.keyring.replaced() {
        KeySource::AppConfig.to_string()
    } else {
        state.key_source.to_string()
    };
    // Computed on each load: an administrator created or appconfig.json
    // written since start-up shows at once.
    let findings = heartlock_domain::deploy::deploy_findings(state.domain())
        .await
        .into_iter()
        .map(|f| FindingRow {
            id: f.id,
            severity: f.severity.as_str(),
            settings: f.settings.join(", "),
            message: f.message,
            fix: f.fix,
        })
        .collect();
    let (mail_backend, outbox_counts, failed_mail) = mail_status(&state, &ctx).await?;
    let shares = heartlock_domain::shares::counts(state.domain(), &ctx.caller)
        .await
        .map_err(|e| from_domain(ctx.tr, &ctx.path, e))?;
    let share_counts = ctx.tr.tf(
        "admin.share_counts",
        &[
            ("active", &shares.active.to_string()),
            ("anonymous", &shares.active_anonymous.to_string()),
            ("views", &shares.views_left.to_string()),
            ("created", &shares.created_last_24h.to_string()),
        ],
    );
    Ok(render(&StatusPage {
        l: Layout::new(&ctx, "admin"),
        tab: "status",
        version: env!("CARGO_PKG_VERSION"),
        backend,
        reachable,
        pending,
        key_source,
        key_count: state.keyring.len(),
        findings,
        mail_backend,
        outbox_counts,
        failed_mail,
        share_counts,
    }))
}

/// The email backend, the outbox counts and the messages given up.
async fn mail_status(
    state: &AppState,
    ctx: &WebCtx,
) -> Result<(String, String, Vec<FailedMailRow>), WebError> {
    use heartlock_domain::mail;
    let dom = state.domain();
    let err = |e| from_domain(ctx.tr, &ctx.path, e);
    let counts = mail::counts(dom, &ctx.caller).await.map_err(err)?;
    let failed = mail::outbox(dom, &ctx.caller, Some("failed"), 50)
        .await
        .map_err(err)?;
    let summary = ctx.tr.tf(
        "admin.outbox_counts",
        &[
            ("pending", &counts.pending.to_string()),
            ("sent", &counts.sent.to_string()),
            ("failed", &counts.failed.to_string()),
        ],
    );
    let rows = failed
        .into_iter()
        .map(|m| FailedMailRow {
            recipient: m.recipient,
            attempts: m.attempts,
            error: m.last_error.unwrap_or_default(),
            failed_at: m.failed_at.map(iso).unwrap_or_default(),
        })
        .collect();
    Ok((mail::backend_description(dom), summary, rows))
}
