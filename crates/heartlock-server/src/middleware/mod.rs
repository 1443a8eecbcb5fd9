//! HTTP hardening layers.
//!
//! [`harden`] is the single entry point: it wraps the application router in
//! every cross-cutting protection (request ids, access log, security headers,
//! host check, HTTPS redirect, CORS, CSRF origin check, body limit).

mod body_limit;
mod client;
mod cors;
mod csrf;
mod guard;
mod headers;
mod host;
pub(crate) mod metrics;
mod origin;
mod request_id;
mod tls;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, from_fn_with_state};
use tower::ServiceBuilder;
use tower_http::LatencyUnit;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

pub use client::PeerAddr;
pub use headers::{
    CONTENT_SECURITY_POLICY, PERMISSIONS_POLICY, STRICT_TRANSPORT_SECURITY, policy_with_turnstile,
};
pub use host::host_allowed;
pub use tls::request_is_secure;

/// Everything [`harden`] needs to know about the deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpPolicy {
    /// Development mode: no HSTS.
    pub debug: bool,
    /// Peers whose forwarding headers are believed (TRUSTED_PROXIES).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Django semantics: `"example.com"` exact, `".example.com"` domain and
    /// subdomains, `"*"` anything. Empty refuses every host.
    pub allowed_hosts: Vec<String>,
    /// Redirect plain-HTTP requests to HTTPS (SECURE_SSL_REDIRECT, which
    /// defaults to off in DEBUG and is honoured when set explicitly).
    pub secure_ssl_redirect: bool,
    /// Exact origins allowed to read responses cross-origin; `"*"` allows
    /// anonymous reads from anywhere (never with credentials).
    pub cors_allowed_origins: Vec<String>,
    /// Origins allowed to send state-changing requests, in addition to the
    /// request's own origin and `base_url`. Also accepts `https://*.domain`.
    pub csrf_trusted_origins: Vec<String>,
    /// Public base URL, e.g. `https://secrets.example.com`.
    pub base_url: Option<String>,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// Exact paths allowed a larger body than `max_body_bytes` (share link
    /// creation carries a whole sealed file).
    pub larger_bodies: Vec<(String, usize)>,
}

impl Default for HttpPolicy {
    /// Production-safe defaults: HTTPS enforced, no host allowed until
    /// configured, no cross-origin access, 1 MiB bodies.
    fn default() -> Self {
        Self {
            debug: false,
            trusted_proxies: Vec::new(),
            allowed_hosts: Vec::new(),
            secure_ssl_redirect: true,
            cors_allowed_origins: Vec::new(),
            csrf_trusted_origins: Vec::new(),
            base_url: None,
            max_body_bytes: 1024 * 1024,
            larger_bodies: Vec::new(),
        }
    }
}

/// Wrap `router` in the hardening stack. Call it last: routes added to the
/// returned router afterwards would bypass the stack.
///
/// Layers, outermost first, and why they sit where they do:
/// 1. request id (sanitize, set, propagate) — first, so every response,
///    even an early refusal, carries the id and the span can log it; then
///    the client resolution (TRUSTED_PROXIES), so every layer below sees the
///    real client address and scheme, and forged forwarding headers are gone;
/// 2. trace — sees the final status of everything below, including
///    refusals, and already knows the request id;
/// 3. security headers, HSTS on secure requests, then `Cache-Control:
///    no-store` on `/api/` — outside every refusal so 400/403/413/301/404
///    responses get them too;
/// 4. the body limit of the path (Content-Length checked up front, then the
///    whole body read, 413s as problem documents; only share link creation
///    is allowed more than HEARTLOCK_MAX_BODY_BYTES): before every layer
///    that may answer early, as answering while a body is still arriving
///    makes hyper close the connection (a 502 behind a reverse proxy);
///    axum's extractor limit is the largest of them;
/// 5. host check — reject forged hosts before they reach any URL building
///    (the redirect below reuses the host);
/// 6. HTTPS redirect — before CORS/CSRF so nothing is processed over HTTP;
/// 7. CORS — answers preflights (which are not unsafe) and decorates
///    responses, including CSRF refusals, so allowed origins can read them;
/// 8. CSRF origin check — only for requests that will reach the app.
///
/// The stack wraps the whole router (not each route), so it also covers
/// 404s and 405s and runs before routing.
pub fn harden(router: Router, policy: Arc<HttpPolicy>) -> Router {
    let guard = Arc::new(guard::Guard::new(Arc::clone(&policy)));
    let redirect = policy.secure_ssl_redirect;
    let proxies = Arc::new(policy.trusted_proxies.clone());
    let limits = Arc::new(body_limit::PathLimits {
        default: policy.max_body_bytes,
        larger: policy.larger_bodies.clone(),
    });
    let max = limits.overall();

    let stack = ServiceBuilder::new()
        .map_request(request_id::strip_insane_request_id)
        .layer(SetRequestIdLayer::new(
            request_id::X_REQUEST_ID,
            MakeRequestUuid,
        ))
        .layer(PropagateRequestIdLayer::new(request_id::X_REQUEST_ID))
        .layer(from_fn_with_state(proxies, client::resolve_client))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_id::RequestSpan)
                .on_request(())
                .on_response(
                    DefaultOnResponse::new()
                        .level(Level::INFO)
                        .latency_unit(LatencyUnit::Millis),
                ),
        )
        .layer(from_fn_with_state(policy.debug, headers::response_headers))
        // Before anything that may answer early (see body_limit).
        .layer(from_fn_with_state(limits, body_limit::per_path))
        .layer(from_fn_with_state(Arc::clone(&guard), host::check_host))
        .option_layer(redirect.then(|| from_fn(tls::redirect_to_https)))
        .option_layer(cors::cors_layer(&policy.cors_allowed_origins))
        .layer(from_fn_with_state(guard, csrf::check_origin))
        .layer(DefaultBodyLimit::max(max));

    Router::new().fallback_service(stack.service(router))
}
