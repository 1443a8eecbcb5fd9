//! HTTPS detection and the HTTP -> HTTPS redirect.
//!
//! TLS is terminated at a reverse proxy which reports the original scheme
//! in `X-Forwarded-Proto`; only the first hop's value counts.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, Uri, header};

use super::guard::is_probe_path;
use super::host::{invalid_host, request_host, split_host_port};

pub(crate) const X_FORWARDED_PROTO: &str = "x-forwarded-proto";

/// The first value of `X-Forwarded-Proto`, trimmed and lowercased.
pub(crate) fn forwarded_proto(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(X_FORWARDED_PROTO)?.to_str().ok()?;
    let first = value.split(',').next()?.trim();
    (!first.is_empty()).then(|| first.to_ascii_lowercase())
}

/// Whether the client reached us over HTTPS: a trusted proxy says so via
/// `X-Forwarded-Proto: https` (the `client` middleware has removed the
/// header from anyone else). The server never terminates TLS itself, so an
/// absolute-form `https://` request URI, which any client can send over
/// plain HTTP, proves nothing.
pub fn request_is_secure(headers: &HeaderMap, _uri: &Uri) -> bool {
    forwarded_proto(headers).as_deref() == Some("https")
}

/// Middleware: 301 insecure requests to the same host (as sent, port
/// included: it was checked against ALLOWED_HOSTS) and path on `https://`.
/// Installed when SECURE_SSL_REDIRECT is on.
pub(crate) async fn redirect_to_https(req: Request, next: Next) -> Response {
    if is_probe_path(req.uri().path()) || request_is_secure(req.headers(), req.uri()) {
        return next.run(req).await;
    }
    let raw_host = request_host(req.headers(), req.uri());
    let authority = match raw_host.filter(|h| split_host_port(h).is_some()) {
        Some(h) => h.to_string(),
        None => return invalid_host(raw_host),
    };
    let path_and_query = req.uri().path_and_query().map_or("/", |pq| pq.as_str());
    match HeaderValue::try_from(format!("https://{authority}{path_and_query}")) {
        Ok(location) => (
            StatusCode::MOVED_PERMANENTLY,
            [(header::LOCATION, location)],
        )
            .into_response(),
        Err(_) => invalid_host(raw_host),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xfp: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(xfp) {
            h.insert(X_FORWARDED_PROTO, v);
        }
        h
    }

    #[test]
    fn forwarded_proto_first_value_wins() {
        let uri = Uri::from_static("/x");
        assert!(request_is_secure(&headers("https"), &uri));
        assert!(request_is_secure(&headers(" HTTPS , http"), &uri));
        assert!(!request_is_secure(&headers("http, https"), &uri));
        assert!(!request_is_secure(&headers(""), &uri));
        assert!(!request_is_secure(&HeaderMap::new(), &uri));
    }

    #[test]
    fn the_uri_scheme_proves_nothing() {
        let uri = Uri::from_static("https://example.com/x");
        assert!(!request_is_secure(&HeaderMap::new(), &uri));
        let uri = Uri::from_static("http://example.com/x");
        assert!(!request_is_secure(&HeaderMap::new(), &uri));
    }
}
