//! /api/v1/audit: the audit log. Server admins see everything; project
//! owners and admins see their projects' events.
use super::docs::{CommonErrors, OutcomeName};
use super::error::{ApiError, ApiResult};
use super::extract::{Json, Query};
use super::pagination::{Page, PageParams};
use super::views::AuditEventView;
use crate::auth::Caller;
use crate::state::AppState;
use axum::extract::State;
use heartlock_domain::audit;
use heartlock_domain::records::AuditFilter;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Project slug.
    pub project: Option<String>,
    /// Exact action, or a prefix ending in `.` or `*` (e.g. `secret.`).
    pub action: Option<String>,
    pub actor_id: Option<String>,
    /// `success`, `denied` or `failure`.
    #[param(value_type = Option<OutcomeName>, inline)]
    pub outcome: Option<String>,
    /// Unix milliseconds, inclusive.
    pub since: Option<i64>,
    /// Unix milliseconds, exclusive.
    pub until: Option<i64>,
}

/// Audit events, newest first.
#[utoipa::path(get, path = "/audit", tag = "audit", security(("bearer" = [])), params(AuditQuery, PageParams),
    responses((status = 200, description = "Events", body = Page<AuditEventView>), CommonErrors))]
async fn list_audit(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<AuditQuery>,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<Page<AuditEventView>>> {
    let outcome = q
        .outcome
        .as_deref()
        .map(|o| {
            o.parse()
                .map_err(|_| ApiError::validation("outcome", "must be success, denied or failure"))
        })
        .transpose()?;
    let filter = AuditFilter {
        action: q.action,
        actor_id: q.actor_id,
        outcome,
        since_ms: q.since,
        until_ms: q.until,
        ..Default::default()
    };
    let (events, total) = audit::search(
        &state,
        &caller,
        q.project.as_deref(),
        filter,
        page.limit(),
        page.offset(),
    )
    .await?;
    Ok(Json(Page::new(
        events.into_iter().map(AuditEventView::from).collect(),
        &page,
        total,
    )))
}
