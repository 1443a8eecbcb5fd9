//! Security response headers, set only when the handler has not set them.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::{HeaderName, HeaderValue, header};

/// Strict CSP: no inline script or style, so an injected `<script>` or
/// `style=` attribute is inert even if escaping fails somewhere.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
     worker-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// [`CONTENT_SECURITY_POLICY`] plus what Cloudflare Turnstile's widget
/// needs (its script and its iframe, from `origin`): used on every page
/// while TURNSTILE_ENABLED, never otherwise.
pub fn policy_with_turnstile(origin: &str) -> String {
    CONTENT_SECURITY_POLICY
        .replacen(
            "script-src 'self'",
            &format!("script-src 'self' {origin}"),
            1,
        )
        .replacen(
            "default-src 'self';",
            &format!("default-src 'self'; frame-src 'self' {origin};"),
            1,
        )
}

/// 30 days; sent on responses to secure requests only (RFC 6797 §7.2: a
/// user agent ignores it over plain HTTP, and saying it there is a lie).
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=2592000; includeSubDomains; preload";

pub const PERMISSIONS_POLICY: &str = "camera=(), microphone=(), geolocation=()";

/// The fixed headers, as prepared values (no parsing per response).
const FIXED: [(HeaderName, HeaderValue); 6] = [
    (
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    ),
    (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    (
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    ),
    (
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    ),
    (
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    ),
    (
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static(PERMISSIONS_POLICY),
    ),
];

/// Middleware, one pass over every response (errors and redirects too),
/// each header set only where the handler has not set it:
/// - the fixed security headers;
/// - HSTS on responses to secure requests (as the proxy reported them, see
///   `client`), unless DEBUG;
/// - `Cache-Control: no-store` on `/api/`, so no proxy or browser cache
///   keeps a secret.
///
/// One layer rather than one per header: each layer is a service wrapper
/// and a boxed future on every request.
pub(crate) async fn response_headers(
    State(debug): State<bool>,
    req: Request,
    next: Next,
) -> Response {
    let hsts = !debug && super::tls::request_is_secure(req.headers(), req.uri());
    let is_api = req.uri().path().starts_with("/api/");
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
    for (name, value) in FIXED {
        if !headers.contains_key(&name) {
            headers.insert(name, value);
        }
    }
    if hsts && !headers.contains_key(header::STRICT_TRANSPORT_SECURITY) {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
        );
    }
    if is_api && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}
