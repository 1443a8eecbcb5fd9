//! Request ids and the per-request tracing span.

use axum::extract::Request;
use http::HeaderName;
use tower_http::trace::MakeSpan;
use tracing::Span;

pub(crate) const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest client-supplied id we keep; longer ones are replaced.
const MAX_REQUEST_ID_LEN: usize = 128;

/// A client id is reused only if it is a short plain token, so it cannot
/// inject anything into logs or downstream headers.
pub(crate) fn is_sane_request_id(id: &[u8]) -> bool {
    !id.is_empty()
        && id.len() <= MAX_REQUEST_ID_LEN
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Drops every unusable `x-request-id` so `SetRequestIdLayer` (which never
/// overwrites) generates a fresh UUID instead.
pub(crate) fn strip_insane_request_id(mut req: Request) -> Request {
    let headers = req.headers_mut();
    let mut values = headers.get_all(&X_REQUEST_ID).iter();
    let (first, second) = (values.next(), values.next());
    let drop = match (first, second) {
        (None, _) => false,
        (Some(v), None) => !is_sane_request_id(v.as_bytes()),
        (Some(_), Some(_)) => true,
    };
    if drop {
        headers.remove(&X_REQUEST_ID);
    }
    req
}

/// One span per request: method, path and request id. The query string is
/// left out on purpose because it may carry secrets or tokens.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RequestSpan;

impl<B> MakeSpan<B> for RequestSpan {
    fn make_span(&mut self, req: &http::Request<B>) -> Span {
        let request_id = req
            .headers()
            .get(&X_REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        tracing::info_span!(
            "http_request",
            method = %req.method(),
            path = %req.uri().path(),
            request_id = %request_id,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanity() {
        assert!(is_sane_request_id(b"abc-123_x.y"));
        assert!(is_sane_request_id(&[b'a'; 128]));
        assert!(!is_sane_request_id(&[b'a'; 129]));
        assert!(!is_sane_request_id(b""));
        assert!(!is_sane_request_id(b"a b"));
        assert!(!is_sane_request_id(b"a\"b"));
    }
}
