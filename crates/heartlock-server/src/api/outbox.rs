//! /api/v1/admin/outbox: what the mail outbox holds (server admins only),
//! e.g. `?status=failed` for the messages that were given up.
use super::docs::CommonErrors;
use super::error::ApiResult;
use super::extract::{Json, Query};
use crate::auth::Caller;
use crate::state::AppState;
use axum::extract::State;
use heartlock_domain::mail::{self, OutboxCounts, OutboxMessage};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_outbox))
}

#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum OutboxStatus {
    Pending,
    Sent,
    Failed,
}

impl OutboxStatus {
    fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Pending => "pending",
            OutboxStatus::Sent => "sent",
            OutboxStatus::Failed => "failed",
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutboxParams {
    /// Only messages in this state.
    #[param(inline)]
    pub status: Option<OutboxStatus>,
    /// At most this many messages, newest first (1 to 500, default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u16>,
}

/// One message; its content is never shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxMessageView {
    pub id: String,
    /// `email` (other kinds later).
    pub kind: String,
    pub recipient: String,
    /// `pending`, `sent` or `failed`.
    pub status: String,
    pub attempts: i64,
    /// Milliseconds since the epoch.
    pub next_attempt_at: i64,
    /// Why the last attempt failed (the relay's answer).
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub failed_at: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxCountsView {
    pub pending: i64,
    pub sent: i64,
    pub failed: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OutboxList {
    pub counts: OutboxCountsView,
    pub messages: Vec<OutboxMessageView>,
}

impl From<OutboxMessage> for OutboxMessageView {
    fn from(m: OutboxMessage) -> Self {
        Self {
            id: m.id,
            kind: m.kind,
            recipient: m.recipient,
            status: m.status,
            attempts: m.attempts,
            next_attempt_at: m.next_attempt_at,
            last_error: m.last_error,
            created_at: m.created_at,
            sent_at: m.sent_at,
            failed_at: m.failed_at,
        }
    }
}

impl From<OutboxCounts> for OutboxCountsView {
    fn from(c: OutboxCounts) -> Self {
        Self {
            pending: c.pending,
            sent: c.sent,
            failed: c.failed,
        }
    }
}

/// The mail outbox: counts per state and the newest messages (no content).
#[utoipa::path(get, path = "/admin/outbox", tag = "admin", security(("bearer" = [])), params(OutboxParams),
    responses((status = 200, description = "Outbox messages", body = OutboxList), CommonErrors))]
async fn list_outbox(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<OutboxParams>,
) -> ApiResult<Json<OutboxList>> {
    let limit = i64::from(q.limit.unwrap_or(100));
    if !(1..=500).contains(&limit) {
        return Err(heartlock_domain::DomainError::validation("limit", "must be 1 to 500").into());
    }
    let messages = mail::outbox(&state, &caller, q.status.map(OutboxStatus::as_str), limit).await?;
    let counts = mail::counts(&state, &caller).await?;
    Ok(Json(OutboxList {
        counts: counts.into(),
        messages: messages.into_iter().map(Into::into).collect(),
    }))
}
