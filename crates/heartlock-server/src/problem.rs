//! RFC 9457 problem details (`application/problem+json`).
//!
//! Every error the server emits on its own (middleware refusals, API errors)
//! uses this shape so clients can branch on the stable `type` URI instead of
//! parsing human-readable titles.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde::Serialize;

/// Media type registered by RFC 9457.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Base of every problem `type` URI; the slug is appended.
const TYPE_BASE: &str = "https://heartlock.dev/problems/";

/// One invalid input field (extension member `errors`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// A problem details object.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl Problem {
    /// `kind` is a short stable slug such as `"invalid-host"`.
    pub fn new(status: StatusCode, kind: &str, title: impl Into<String>) -> Self {
        Self {
            type_uri: format!("{TYPE_BASE}{kind}"),
            title: title.into(),
            status: status.as_u16(),
            detail: None,
            instance: None,
            errors: Vec::new(),
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn with_instance(mut self, instance: impl Into<String>) -> Self {
        self.instance = Some(instance.into());
        self
    }

    pub fn with_field_error(
        mut self,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        self.errors.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
        self
    }

    /// The status as a `StatusCode`; falls back to 500 if someone stored an
    /// out-of-range number in the public field.
    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status_code();
        // Serializing plain strings and numbers cannot fail in practice, but
        // an error response must never panic, so degrade to a fixed body.
        let body = serde_json::to_vec(&self).unwrap_or_else(|_| {
            format!(r#"{{"type":"about:blank","status":{}}}"#, status.as_u16()).into_bytes()
        });
        let mut res = (status, body).into_response();
        res.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_rfc9457_members() {
        let p = Problem::new(
            StatusCode::BAD_REQUEST,
            "invalid-host",
            "Invalid Host header",
        )
        .with_detail("host not allowed");
        let v = serde_json::to_value(&p).unwrap_or_default();
        assert_eq!(v["type"], "https://heartlock.dev/problems/invalid-host");
        assert_eq!(v["status"], 400);
        assert_eq!(v["detail"], "host not allowed");
        assert!(v.get("instance").is_none());
        assert!(v.get("errors").is_none());
    }

    #[test]
    fn response_has_problem_content_type() {
        let res = Problem::new(StatusCode::FORBIDDEN, "x", "X").into_response();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            res.headers()
                .get(header::CONTENT_TYPE)
                .map(|v| v.as_bytes()),
            Some(PROBLEM_JSON.as_bytes())
        );
    }
}
