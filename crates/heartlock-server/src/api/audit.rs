//! /api/v1/audit: the audit log. Server admins see everything; project
//! owners and admins see their projects' events.
use super::docs::{CommonErrors, OutcomeName};
use super::error::{ApiError, ApiResult};
use super::extract::{Json, Query};
use super::pagination::{CursorPage, PageParams};
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
    /// Cursor: only events older than this `seq` (a response's
    /// `next_before`). `page` then counts from the cursor.
    #[param(minimum = 0)]
    pub before: Option<i64>,
    /// Cursor: the page of events just newer than this `seq` (a response's
    /// `prev_after`), still newest first. Ignored with `before`.
    #[param(minimum = 0)]
    pub after: Option<i64>,
}

/// Audit events, newest first. Deep pages: follow `next_before` (cursor)
/// rather than raising `page`, which walks every event before the page.
#[utoipa::path(get, path = "/audit", tag = "audit", security(("bearer" = [])), params(AuditQuery, PageParams),
    responses((status = 200, description = "Events", body = CursorPage<AuditEventView>), CommonErrors))]
async fn list_audit(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<AuditQuery>,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<CursorPage<AuditEventView>>> {
    let outcome = q
        .outcome
        .as_deref()
        .map(|o| {
            o.parse()
                .map_err(|_| ApiError::validation("outcome", "must be success, denied or failure"))
        })
        .transpose()?;
    for (field, cursor) in [("before", q.before), ("after", q.after)] {
        if cursor.is_some_and(|c| c < 0) {
            return Err(ApiError::validation(field, "must be 0 or more"));
        }
    }
    let filter = AuditFilter {
        action: q.action,
        actor_id: q.actor_id,
        outcome,
        since_ms: q.since,
        until_ms: q.until,
        before_seq: q.before,
        after_seq: q.after,
        ..Default::default()
    };
    let found = audit::search(
        &state,
        &caller,
        q.project.as_deref(),
        filter,
        page.limit(),
        page.offset(),
    )
    .await?;
    Ok(Json(CursorPage {
        items: found.events.into_iter().map(AuditEventView::from).collect(),
        page: page.page(),
        per_page: page.limit(),
        total: found.total,
        total_exact: found.total_exact,
        next_before: found.older,
        prev_after: found.newer,
    }))
}
