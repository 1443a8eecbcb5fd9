//! The API's error type, mapped to RFC 9457 problem details in ONE place.
//! Each kind has a stable `type` URI; no message ever carries a secret value.
use crate::problem::Problem;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use heartlock_domain::DomainError;

/// What an API handler can fail with: a domain error, or a request that
/// could not even be read.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("bad request: {0}")]
    BadRequest(String),
}

impl ApiError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        DomainError::validation(field, message).into()
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::MissingJsonContentType(_) => ApiError::BadRequest(
                "expected a JSON body with Content-Type: application/json".into(),
            ),
            JsonRejection::BytesRejection(_) => {
                DomainError::TooLarge("the request body is too large".into()).into()
            }
            // serde's message names the field and the expected type, never the value.
            // serde's type errors quote numbers and booleans (`invalid type:
            // integer `5432``), which may be secret values: keep only the rest.
            other => ApiError::validation("body", redact_serde(&other.body_text())),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(_: PathRejection) -> Self {
        DomainError::NotFound("not found").into()
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError::validation("query", r.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = match self {
            ApiError::BadRequest(detail) => {
                return Problem::new(StatusCode::BAD_REQUEST, "bad-request", "Bad request")
                    .with_detail(detail)
                    .into_response();
            }
            ApiError::Domain(e) => e,
        };
        // The one mapping from domain errors to HTTP problems.
        let problem = match e {
            DomainError::Unauthenticated(detail) => {
                let mut resp = Problem::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    "Authentication required",
                )
                .with_detail(detail)
                .into_response();
                resp.headers_mut().insert(
                    axum::http::header::WWW_AUTHENTICATE,
                    axum::http::HeaderValue::from_static("Bearer realm=\"heartlock\""),
                );
                return resp;
            }
            DomainError::Forbidden(detail) => {
                Problem::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden").with_detail(detail)
            }
            DomainError::NotFound(what) => {
                Problem::new(StatusCode::NOT_FOUND, "not-found", "Not found").with_detail(what)
            }
            DomainError::Validation { field, message } => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation",
                "Invalid input",
            )
            .with_detail(format!("{field}: {message}"))
            .with_field_error(field, message),
            DomainError::Conflict(detail) => {
                Problem::new(StatusCode::CONFLICT, "conflict", "Conflict").with_detail(detail)
            }
            DomainError::TooLarge(detail) => Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Payload too large",
            )
            .with_detail(detail),
            DomainError::TooManyAttempts { retry_after_secs } => {
                let mut resp = Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too-many-attempts",
                    "Too many attempts",
                )
                .with_detail(format!(
                    "too many attempts; try again in {retry_after_secs} seconds"
                ))
                .into_response();
                resp.headers_mut().insert(
                    axum::http::header::RETRY_AFTER,
                    axum::http::HeaderValue::from(retry_after_secs),
                );
                return resp;
            }
            DomainError::Unavailable(detail) => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
            )
            .with_detail(detail),
            DomainError::Integrity(detail) | DomainError::Internal(detail) => {
                // Logged for operators; the client sees no internals.
                tracing::error!(error = %detail, "internal error");
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Internal server error",
                )
            }
        };
        problem.into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// serde names the offending VALUE in "invalid type: string \"…\", expected …"
/// and "invalid value: integer `…`, expected …": keep only its kind (field
/// names elsewhere in the message are kept, they are not secret).
pub(super) fn redact_serde(msg: &str) -> String {
    let mut out = msg.to_string();
    for marker in ["invalid type: ", "invalid value: "] {
        if let Some(start) = out.find(marker).map(|i| i + marker.len())
            && let Some(len) = out[start..].find(", expected")
        {
            let kind = out[start..start + len]
                .split_whitespace()
                .next()
                .unwrap_or("value")
                .to_string();
            out.replace_range(start..start + len, &kind);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn serde_messages_lose_values_but_keep_fields() {
        let m = super::redact_serde(
            "set.DB_PORT: invalid type: integer `5432`, expected a string at line 1 column 20",
        );
        assert_eq!(
            m,
            "set.DB_PORT: invalid type: integer, expected a string at line 1 column 20"
        );
        let m = super::redact_serde("invalid type: string \"hunter2\", expected i64");
        assert!(!m.contains("hunter2"));
        let m = super::redact_serde("unknown field `foo`, expected `value`");
        assert!(m.contains("`foo`"));
    }
}
