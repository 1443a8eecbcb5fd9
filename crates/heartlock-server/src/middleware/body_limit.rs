//! Turn plain-text 413s into problem details.
//!
//! `RequestBodyLimitLayer` (Content-Length too large) and axum's body
//! extractors (streamed body too large) both answer 413 with a text body;
//! clients expect `application/problem+json` from every error we emit.

use axum::BoxError;
use axum::body::{Body, HttpBody};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};

use crate::problem::{PROBLEM_JSON, Problem};

/// Generic over the body because `RequestBodyLimitLayer` wraps the
/// response body in its own type.
pub(crate) async fn problem_for_413<B>(
    State(max_bytes): State<usize>,
    res: http::Response<B>,
) -> Response
where
    B: HttpBody<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    if res.status() != StatusCode::PAYLOAD_TOO_LARGE || is_problem(res.headers()) {
        return res.map(Body::new);
    }
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
