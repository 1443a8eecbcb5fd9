//! Request body limits, per path, answered as problem details.
//!
//! A declared Content-Length over the limit is refused here; a streamed
//! body is cut by `Limited`, and axum's extractors answer 413 with a text
//! body, which becomes `application/problem+json` like every error we emit.

use axum::body::Body;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};
use http_body_util::BodyExt;

use crate::problem::{PROBLEM_JSON, Problem};

/// The body limit of each path: the general one, and larger ones for the
/// few routes that carry big payloads by design (share link creation).
#[derive(Debug, Clone)]
pub(crate) struct PathLimits {
    pub(crate) default: usize,
    pub(crate) larger: Vec<(String, usize)>,
}

impl PathLimits {
    /// The largest limit of any path (what axum's extractors are told).
    pub(crate) fn overall(&self) -> usize {
        self.larger
            .iter()
            .map(|(_, l)| *l)
            .fold(self.default, usize::max)
    }

    fn for_path(&self, path: &str) -> usize {
        self.larger
            .iter()
            .find(|(p, _)| p == path)
            .map_or(self.default, |(_, l)| *l)
    }
}

/// Applies the path's limit: a declared length over it is refused up
/// front, a streamed body is refused once it passes it, and a plain-text
/// 413 becomes a problem document naming the limit.
pub(crate) async fn per_path(
    State(limits): State<std::sync::Arc<PathLimits>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let limit = limits.for_path(req.uri().path());
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > u64::try_from(limit).unwrap_or(u64::MAX)) {
        if declared.is_some_and(|n| n <= DRAIN_MAX) {
            drain(req.into_body()).await;
        }
        return too_large(limit);
    }
    // Most requests (every GET) carry no body: nothing to read.
    if axum::body::HttpBody::is_end_stream(req.body()) {
        return next.run(req).await;
    }
    // The whole body is read before anything answers: hyper closes a
    // connection whose body is still arriving when the response goes out,
    // and a proxy reusing it (Caddy) then answers 502 to its next request.
    // The limits keep this small; the JSON extractors buffered it anyway.
    let (parts, body) = req.into_parts();
    let bytes = match http_body_util::Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => return too_large(limit),
        Err(_) => {
            return Problem::new(StatusCode::BAD_REQUEST, "bad-request", "Bad request")
                .with_detail("The request body could not be read.")
                .into_response();
        }
    };
    let res = next
        .run(axum::extract::Request::from_parts(parts, Body::from(bytes)))
        .await;
    if res.status() == StatusCode::PAYLOAD_TOO_LARGE && !is_problem(res.headers()) {
        return too_large(limit);
    }
    res
}

/// The largest refused body still read (and dropped) before the 413: a
/// connection closed with unread data is reset, and a reverse proxy still
/// sending the body then loses the 413 and answers 502.
const DRAIN_MAX: u64 = 32 * 1024 * 1024;

async fn drain(mut body: Body) {
    // Each frame is dropped as it comes: nothing accumulates.
    while let Some(Ok(_)) = body.frame().await {}
}

fn too_large(max_bytes: usize) -> Response {
    Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload-too-large",
        "Request body too large",
    )
    .with_detail(format!(
        "The request body exceeds the limit of {max_bytes} bytes."
    ))
    .into_response()
}

fn is_problem(headers: &http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with(PROBLEM_JSON))
}
