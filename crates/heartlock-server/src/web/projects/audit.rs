//! /projects/{project}/audit: the project's audit events, newest first
//! (project admins and owners).
use super::{Head, Pager, fail, head, signed_in, when};
use crate::state::AppState;
use crate::web::errors::WebError;
use crate::web::i18n::Tr;
use crate::web::session::WebCtx;
use crate::web::{Layout, render};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use heartlock_core::audit::AuditEvent;
use heartlock_domain::records::AuditFilter;
use heartlock_domain::{audit, environments};
use serde::Deserialize;

pub struct EventRow {
    pub when: String,
    pub actor: String,
    pub action: String,
    pub environment: String,
    pub key: String,
    pub outcome: &'static str,
    pub outcome_label: String,
    pub ip: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "project_audit.html")]
struct AuditPage {
    l: Layout,
    tr: Tr,
    head: Head,
    rows: Vec<EventRow>,
    /// Cursor links: a deep page by number would walk the whole log.
    prev_url: Option<String>,
    next_url: Option<String>,
    /// "123", or "1000+" when counting stopped early.
    total: String,
}

#[derive(Deserialize)]
pub struct AuditQuery {
    /// Old page-number links still work; the pager uses the cursors.
    page: Option<String>,
    /// Older than this seq.
    before: Option<i64>,
    /// Just newer than this seq.
    after: Option<i64>,
}

fn row(tr: Tr, e: AuditEvent, envs: &[heartlock_domain::records::EnvironmentRecord]) -> EventRow {
    let e = e.event;
    let outcome = e.outcome.as_str();
    EventRow {
        when: when(Some(e.at_ms)),
        actor: match e.actor_name {
            Some(name) => format!("{name} ({})", e.actor_kind.as_str()),
            None => e.actor_kind.as_str().to_string(),
        },
        environment: e
            .environment_id
            .map(|id| {
                envs.iter()
                    .find(|x| x.id == id)
                    .map(|x| x.slug.clone())
                    .unwrap_or(id)
            })
            .unwrap_or_default(),
        action: e.action,
        key: e.secret_key.unwrap_or_default(),
        outcome,
        outcome_label: tr.t(&format!("audit.outcome_{outcome}")),
        ip: e.ip.unwrap_or_default(),
        detail: e.detail.unwrap_or_default(),
    }
}

pub async fn page(
    State(state): State<AppState>,
    ctx: WebCtx,
    Path(project): Path<String>,
    Query(q): Query<AuditQuery>,
) -> Result<Response, WebError> {
    signed_in(&ctx)?;
    let wanted = Pager::requested(q.page.as_deref());
    let filter = AuditFilter {
        before_seq: q.before,
        after_seq: q.after,
        ..Default::default()
    };
    let found = audit::search(
        &state,
        &ctx.caller,
        Some(&project),
        filter,
        Pager::PER_PAGE,
        Pager::offset(wanted),
    )
    .await
    .map_err(|e| fail(&ctx, e))?;
    let (_, envs) = environments::list(&state, &ctx.caller, &project)
        .await
        .map_err(|e| fail(&ctx, e))?;
    let head = head(&state, &ctx, &project, "audit").await?;
    let rows = found
        .events
        .into_iter()
        .map(|e| row(ctx.tr, e, &envs))
        .collect();
    let total = if found.total_exact {
        found.total.to_string()
    } else {
        format!("{}+", found.total)
    };
    Ok(render(&AuditPage {
        l: Layout::new(&ctx, "projects"),
        tr: ctx.tr,
        head,
        rows,
        prev_url: found.newer.map(|seq| format!("?after={seq}")),
        next_url: found.older.map(|seq| format!("?before={seq}")),
        total,
    }))
}
