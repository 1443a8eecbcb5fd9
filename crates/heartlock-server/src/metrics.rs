//! `GET /metrics` in the Prometheus text format (version 0.0.4); the list of
//! metrics is docs/metrics.md. Off unless `HEARTLOCK_METRICS=true` or
//! `HEARTLOCK_METRICS_TOKEN` is set: then neither the route nor the request
//! middleware exists. With a token, only `Authorization: Bearer <token>` is
//! served, with or without `HEARTLOCK_METRICS`.
//!
//! Labels are fixed words or route templates, never a path as requested
//! (paths carry secret keys and share ids), a name or a value.
use crate::api::error::ApiError;
use crate::state::AppState;
use axum::Router;
use axum::extract::{MatchedPath, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use heartlock_config::Settings;
use heartlock_core::token::{ct_eq, hash_token};
use heartlock_domain::DomainError;
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

pub const PATH: &str = "/metrics";

/// A route template as axum matched it, or `unmatched` (404s, refusals of
/// the hardening layers before routing).
#[derive(Debug, Clone)]
pub(crate) struct Route(pub(crate) Option<MatchedPath>);

impl Route {
    fn as_str(&self) -> &str {
        self.0.as_ref().map_or("unmatched", MatchedPath::as_str)
    }
}

impl PartialEq for Route {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Route {}

impl Hash for Route {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl EncodeLabelValue for Route {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        EncodeLabelValue::encode(&self.as_str(), encoder)
    }
}

/// The standard methods by name, anything else as `other`: a client must
/// not be able to add label values at will.
pub(crate) fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct RequestLabels {
    pub(crate) method: &'static str,
    pub(crate) route: Route,
    pub(crate) status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct RouteLabels {
    pub(crate) method: &'static str,
    pub(crate) route: Route,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: &'static str,
}

type HistogramFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

/// 1 ms to ~16 s: cached reads answer in about a millisecond, share links
/// with a file and PBKDF2 take seconds.
fn request_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// The registry and the metrics the server itself updates.
pub struct Metrics {
    registry: Registry,
    /// SHA-256 of HEARTLOCK_METRICS_TOKEN: compared in constant time and
    /// without revealing its length.
    token_hash: Option<String>,
    requests: Family<RequestLabels, Counter>,
    durations: HistogramFamily,
    audit_queue: Gauge,
    outbox: Family<StatusLabels, Gauge>,
    pool_open: Gauge,
    pool_idle: Gauge,
    pool_max: Gauge,
    uptime: Gauge<f64, AtomicU64>,
    started_ms: i64,
}

impl Metrics {
    /// `None` when `/metrics` is off (neither setting given).
    pub fn for_settings(settings: &Settings, now_ms: i64) -> Option<Arc<Metrics>> {
        settings.metrics.served().then(|| {
            let token_hash = settings
                .metrics
                .token
                .as_ref()
                .map(|t| hash_token(t.expose()));
            Arc::new(Metrics::new(token_hash, now_ms))
        })
    }

    fn new(token_hash: Option<String>, now_ms: i64) -> Metrics {
        let mut m = Metrics {
            registry: Registry::with_prefix("heartlock"),
            token_hash,
            requests: Family::default(),
            durations: Family::new_with_constructor(request_histogram),
            audit_queue: Gauge::default(),
            outbox: Family::default(),
            pool_open: Gauge::default(),
            pool_idle: Gauge::default(),
            pool_max: Gauge::default(),
            uptime: Gauge::default(),
            started_ms: now_ms,
        };
        // Registered metrics share their values with these handles.
        let (requests, durations) = (m.requests.clone(), m.durations.clone());
        let (audit_queue, outbox) = (m.audit_queue.clone(), m.outbox.clone());
        let (open, idle, max) = (m.pool_open.clone(), m.pool_idle.clone(), m.pool_max.clone());
        let uptime = m.uptime.clone();
        let r = &mut m.registry;
        r.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status",
            requests,
        );
        r.register(
            "http_request_duration_seconds",
            "Time to the response headers, by method and route template",
            durations,
        );
        r.register(
            "audit_queue_depth",
            "Audit events waiting for the group-commit writer",
            audit_queue,
        );
        r.register(
            "outbox_messages",
            "Outbox messages by status (pending: not yet sent; failed: given up)",
            outbox,
        );
        r.register(
            "db_pool_connections",
            "Database connections open in the pool (busy and idle)",
            open,
        );
        r.register(
            "db_pool_idle_connections",
            "Open database connections not in use",
            idle,
        );
        r.register(
            "db_pool_max_connections",
            "Most connections the pool opens",
            max,
        );
        r.register(
            "uptime_seconds",
            "Seconds since this server started",
            uptime,
        );
        r.register(
            "build",
            "The running version",
            Info::new(vec![("version", env!("CARGO_PKG_VERSION"))]),
        );
        heartlock_domain::metrics::register(r);
        m
    }

    /// Records one answered request (called by the middleware).
    pub(crate) fn observe(&self, method: &'static str, route: Route, status: u16, took: Duration) {
        self.durations
            .get_or_create(&RouteLabels {
                method,
                route: route.clone(),
            })
            .observe(took.as_secs_f64());
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status,
            })
            .inc();
    }

    fn authorized(&self, headers: &HeaderMap) -> bool {
        let Some(expected) = &self.token_hash else {
            return true;
        };
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim());
        given.is_some_and(|t| ct_eq(&hash_token(t), expected))
    }

    async fn render(&self, state: &AppState) -> Result<String, std::fmt::Error> {
        let s = heartlock_domain::metrics::sample(state.domain()).await;
        self.audit_queue
            .set(i64::try_from(s.audit_queue_depth).unwrap_or(i64::MAX));
        // A failed count keeps the last values rather than report zero.
        if let Some(o) = s.outbox {
            self.outbox
                .get_or_create(&StatusLabels { status: "pending" })
                .set(o.pending);
            self.outbox
                .get_or_create(&StatusLabels { status: "failed" })
                .set(o.failed);
        }
        self.pool_open.set(i64::from(s.pool_size));
        self.pool_idle.set(i64::from(s.pool_idle));
        self.pool_max.set(i64::from(s.pool_max));
        let up_ms = s.now_ms.saturating_sub(self.started_ms).max(0);
        self.uptime.set(up_ms as f64 / 1000.0);
        let mut out = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

/// Adds `GET /metrics` and the layer that tells the request middleware
/// which route template answered. Call after every route and the fallback:
/// a layer only wraps what is already there.
pub(crate) fn mount(app: Router<AppState>, metrics: Arc<Metrics>) -> Router<AppState> {
    app.route(
        PATH,
        get(move |state: State<AppState>, headers: HeaderMap| {
            let metrics = Arc::clone(&metrics);
            async move { serve(&metrics, &state, &headers).await }
        }),
    )
    .layer(axum::middleware::from_fn(
        crate::middleware::metrics::tag_route,
    ))
}

async fn serve(metrics: &Metrics, state: &AppState, headers: &HeaderMap) -> Response {
    if !metrics.authorized(headers) {
        return ApiError::Domain(DomainError::Unauthenticated(
            "GET /metrics needs the metrics bearer token",
        ))
        .into_response();
    }
    match metrics.render(state).await {
        Ok(body) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(
                        prometheus_client::encoding::prometheus_text::CONTENT_TYPE,
                    ),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
            body,
        )
            .into_response(),
        // Writing to a String does not fail; answered all the same.
        Err(_) => crate::problem::Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
        )
        .into_response(),
    }
}
