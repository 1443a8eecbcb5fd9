//! Origin-based CSRF defence for state-changing requests.
//!
//! Browsers always attach `Origin` to cross-site POSTs (and `Referer` over
//! HTTPS), so checking them refuses forged requests without tokens. Clients
//! that send neither (the CLI, scripts) are not browsers and are let through;
//! they authenticate with bearer tokens that a forging page cannot attach.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, Method, StatusCode, Uri, header};

use super::guard::Guard;
use super::host::request_host;
use super::origin::normalize_origin;
use super::tls::{forwarded_proto, request_is_secure};
use crate::problem::Problem;

fn is_unsafe(method: &Method) -> bool {
    matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    )
}

/// Scheme the client used: the proxy's `X-Forwarded-Proto`, else the URI
/// scheme, else `base_url`'s, else plain `http`.
fn request_scheme(headers: &HeaderMap, uri: &Uri, guard: &Guard) -> String {
    if let Some(proto) = forwarded_proto(headers).filter(|p| p == "https" || p == "http") {
        return proto;
    }
    if let Some(s) = uri.scheme_str() {
        return s.to_ascii_lowercase();
    }
    guard
        .base_scheme
        .clone()
        .unwrap_or_else(|| "http".to_owned())
}

/// The request's own origin, built from its scheme and `Host`.
fn own_origin(headers: &HeaderMap, uri: &Uri, guard: &Guard) -> Option<String> {
    let host = request_host(headers, uri)?;
    let scheme = request_scheme(headers, uri, guard);
    normalize_origin(&format!("{scheme}://{host}"))
}

/// `origin` must already be normalized.
fn origin_allowed(origin: &str, headers: &HeaderMap, uri: &Uri, guard: &Guard) -> bool {
    guard.base_origin.as_deref() == Some(origin)
        || own_origin(headers, uri, guard).as_deref() == Some(origin)
        || guard.trusted.iter().any(|t| t.matches(origin))
}

/// Decide whether an unsafe request may proceed.
fn verdict(headers: &HeaderMap, uri: &Uri, guard: &Guard) -> bool {
    if let Some(origin) = headers.get(header::ORIGIN) {
        // `Origin: null` (sandboxed frames, file://, some redirects) can
        // never be attributed to us, and an unreadable value is refused too.
        return origin
            .to_str()
            .ok()
            .and_then(normalize_origin)
            .is_some_and(|o| origin_allowed(&o, headers, uri, guard));
    }
    // Without Origin, fall back to Referer, but only over HTTPS: on plain
    // HTTP proxies strip or forge it too often for it to mean anything.
    if let Some(referer) = headers.get(header::REFERER)
        && request_is_secure(headers, uri)
    {
        return referer
            .to_str()
            .ok()
            .and_then(normalize_origin)
            .is_some_and(|o| origin_allowed(&o, headers, uri, guard));
    }
    true
}

/// Middleware: 403 unsafe requests whose `Origin`/`Referer` is foreign.
pub(crate) async fn check_origin(
    State(guard): State<Arc<Guard>>,
    req: Request,
    next: Next,
) -> Response {
    if !is_unsafe(req.method()) || verdict(req.headers(), req.uri(), &guard) {
        return next.run(req).await;
    }
    Problem::new(
        StatusCode::FORBIDDEN,
        "csrf-origin",
        "Cross-origin request refused",
    )
    .with_detail("The request's Origin or Referer is not trusted for state-changing requests.")
    .into_response()
}
