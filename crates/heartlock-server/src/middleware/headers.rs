//! Security response headers, set only when the handler has not set them.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::{HeaderName, HeaderValue, header};
use tower::Layer;
use tower_http::set_header::{SetResponseHeader, SetResponseHeaderLayer};

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

type Header<S> = SetResponseHeader<S, HeaderValue>;

/// Adds the fixed security headers to every response that passes through,
/// including errors and redirects.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SecurityHeadersLayer;

impl<S> Layer<S> for SecurityHeadersLayer {
    type Service = Header<Header<Header<Header<Header<Header<S>>>>>>;

    fn layer(&self, inner: S) -> Self::Service {
        let fixed = |name: HeaderName, value: &'static str| {
            SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
        };
        let s = fixed(header::X_CONTENT_TYPE_OPTIONS, "nosniff").layer(inner);
        let s = fixed(header::X_FRAME_OPTIONS, "DENY").layer(s);
        let s = fixed(header::REFERRER_POLICY, "same-origin").layer(s);
        let s = fixed(
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        )
        .layer(s);
        let s = fixed(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY).layer(s);
        fixed(
            HeaderName::from_static("permissions-policy"),
            PERMISSIONS_POLICY,
        )
        .layer(s)
    }
}

/// Middleware: HSTS on responses to secure requests (as the proxy reported
/// them, see `client`), unless DEBUG.
pub(crate) async fn hsts(State(debug): State<bool>, req: Request, next: Next) -> Response {
    let secure = super::tls::request_is_secure(req.headers(), req.uri());
    let mut res = next.run(req).await;
    if secure
        && !debug
        && !res
            .headers()
            .contains_key(header::STRICT_TRANSPORT_SECURITY)
    {
        res.headers_mut().insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
        );
    }
    res
}

/// Middleware: `Cache-Control: no-store` on `/api/` responses unless the
/// handler chose otherwise, so no proxy or browser cache keeps a secret.
/// A tower-http header layer cannot see the request path, hence `from_fn`.
pub(crate) async fn api_no_store(req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let mut res = next.run(req).await;
    if is_api && !res.headers().contains_key(header::CACHE_CONTROL) {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}
