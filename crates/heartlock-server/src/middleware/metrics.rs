//! Request counts and latencies for `/metrics`, installed only when it is
//! served (see `crate::metrics`).
//!
//! Two halves, because the route template is known only after routing but
//! refusals of the hardening stack (bad host, HTTPS redirect, CSRF, body
//! limit) happen before it and must be counted too: [`tag_route`] wraps
//! every route and copies axum's `MatchedPath` onto the response, and
//! [`record`], outside the whole stack, times the request and reads it back
//! (`unmatched` when no route answered).
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::Response;

use crate::metrics::{Metrics, Route, method_label};

/// Wraps the hardened router (call last).
pub fn wrap(app: Router, metrics: Arc<Metrics>) -> Router {
    app.layer(from_fn_with_state(metrics, record))
}

pub(crate) async fn record(
    State(metrics): State<Arc<Metrics>>,
    req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = method_label(req.method());
    let res = next.run(req).await;
    let route = Route(res.extensions().get::<MatchedPath>().cloned());
    metrics.observe(method, route, res.status().as_u16(), started.elapsed());
    res
}

pub(crate) async fn tag_route(req: Request, next: Next) -> Response {
    let matched = req.extensions().get::<MatchedPath>().cloned();
    let mut res = next.run(req).await;
    if let Some(path) = matched {
        res.extensions_mut().insert(path);
    }
    res
}
