//! Probes for load balancers and orchestrators.
use crate::problem::Problem;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The process is alive and serving HTTP.
pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// The database answers and every migration is applied.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let unavailable = |detail: &str| {
        Problem::new(StatusCode::SERVICE_UNAVAILABLE, "not-ready", "Not ready")
            .with_detail(detail.to_string())
            .into_response()
    };
    let db = state.database_status().await;
    if !db.reachable {
        return unavailable("the database is not reachable");
    }
    match db.pending_migrations {
        Some(0) => Json(
            json!({ "status": "ready", "database": format!("{:?}", db.backend).to_lowercase() }),
        )
        .into_response(),
        Some(n) => unavailable(&format!("{n} database migration(s) not applied")),
        None => unavailable("cannot read the migration state"),
    }
}
