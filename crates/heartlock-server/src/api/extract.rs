//! axum extractors whose rejections are problem+json.
use super::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};

/// A JSON request body, which must be an object: serde would also build a
/// struct from an array of its field values (`[null, null]`), which no
/// documented request body is. A body that does not fit is a validation
/// error naming the field it fails on (`set.DB_PORT`), or `body` when the
/// document itself is broken.
pub struct Json<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json_content_type(req.headers()) {
            return Err(ApiError::BadRequest(
                "expected a JSON body with Content-Type: application/json".into(),
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|_| {
            heartlock_domain::DomainError::TooLarge("the request body is too large".into())
        })?;
        let value = parse_body(&bytes)?;
        if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(ApiError::validation("body", "expected a JSON object"));
        }
        Ok(Json(value))
    }
}

/// `application/json`, or any `application/…+json`, parameters allowed.
fn is_json_content_type(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    let essence = essence.to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The body as `T`; a failure names the field it happened at.
fn parse_body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let broken = !matches!(inner.classify(), serde_json::error::Category::Data);
        let field = if broken {
            // Not a JSON document (syntax, or cut short): no field to name.
            "body".to_string()
        } else if path == "." || path.is_empty() {
            // A missing field is reported at the object that lacks it.
            missing_field(&inner.to_string()).unwrap_or_else(|| "body".to_string())
        } else {
            path
        };
        ApiError::validation(field, super::error::redact_serde(&inner.to_string()))
    })?;
    de.end()
        .map_err(|e| ApiError::validation("body", e.to_string()))?;
    Ok(value)
}

/// `name` out of serde's "missing field `name` at …".
fn missing_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    Some(rest[..rest.find('`')?].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        set: std::collections::BTreeMap<String, String>,
    }

    fn field_of(json: &str) -> (String, String) {
        match parse_body::<Body>(json.as_bytes()) {
            Err(ApiError::Domain(heartlock_domain::DomainError::Validation { field, message })) => {
                (field, message)
            }
            other => panic!("{json}: {other:?}"),
        }
    }

    #[test]
    fn errors_name_the_field() {
        let (field, message) = field_of(r#"{"name": "x", "set": {"DB_PORT": 5432}}"#);
        assert_eq!(field, "set.DB_PORT");
        assert!(!message.contains("5432"), "values stay out: {message}");
        assert_eq!(field_of(r#"{"name": 7, "set": {}}"#).0, "name");
        assert_eq!(field_of(r#"{"set": {}}"#).0, "name");
        assert_eq!(field_of(r#"{"name": "x", "set": {}"#).0, "body");
        assert_eq!(field_of(r#"{"name": "x", "set": {}} trailing"#).0, "body");
        assert!(parse_body::<Body>(br#"{"name": "x", "set": {}}"#).is_ok());
    }

    #[test]
    fn json_content_types() {
        let with = |v: &str| {
            let mut h = axum::http::HeaderMap::new();
            h.insert(axum::http::header::CONTENT_TYPE, v.parse().unwrap());
            is_json_content_type(&h)
        };
        assert!(with("application/json"));
        assert!(with("application/json; charset=utf-8"));
        assert!(with("Application/JSON"));
        assert!(with("application/merge-patch+json"));
        assert!(!with("text/plain"));
        assert!(!with("application/jsonx"));
        assert!(!is_json_content_type(&axum::http::HeaderMap::new()));
    }
}

impl<T: serde::Serialize> axum::response::IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);
