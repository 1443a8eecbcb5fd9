//! CORS built on tower-http's `CorsLayer`.

use std::time::Duration;

use http::{HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

use super::origin::normalize_origin;

const ALLOWED_METHODS: [Method; 6] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
    Method::OPTIONS,
];

fn allowed_headers() -> [HeaderName; 7] {
    [
        header::AUTHORIZATION,
        header::CONTENT_TYPE,
        HeaderName::from_static("x-csrf-token"),
        HeaderName::from_static("x-request-id"),
        HeaderName::from_static("hx-request"),
        HeaderName::from_static("hx-target"),
        HeaderName::from_static("hx-current-url"),
    ]
}

/// Build the CORS layer, or `None` when no origin is configured: then no
/// CORS headers are sent at all and preflights fall through to the router,
/// so browsers refuse every cross-origin read.
pub(crate) fn cors_layer(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let base = CorsLayer::new()
        .allow_methods(ALLOWED_METHODS)
        .allow_headers(allowed_headers())
        .expose_headers([HeaderName::from_static("x-request-id")])
        .max_age(Duration::from_secs(600));
    // A wildcard cannot be combined with credentials (browsers reject it and
    // tower-http refuses the configuration), so "*" means anonymous reads.
    if origins.iter().any(|o| o.trim() == "*") {
        return Some(base.allow_origin(AllowOrigin::any()));
    }
    // Normalize so "https://A.example.com/" still matches what browsers send.
    let values: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| {
            let value = normalize_origin(o).and_then(|n| HeaderValue::try_from(n).ok());
            if value.is_none() {
                tracing::warn!(origin = %o, "ignoring invalid CORS origin");
            }
            value
        })
        .collect();
    Some(
        base.allow_origin(AllowOrigin::list(values))
            .allow_credentials(true),
    )
}
