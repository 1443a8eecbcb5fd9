//! OpenAPI pieces shared by every handler: the problem schema, the common
//! error responses, and the bearer security scheme.
use serde::Serialize;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoResponses, Modify, ToSchema};

/// RFC 9457 problem details.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Problem)]
pub struct ProblemDoc {
    /// Stable URI naming the kind of error.
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: String,
    pub status: u16,
    #[schema(nullable = false)]
    pub detail: Option<String>,
    #[schema(nullable = false)]
    pub instance: Option<String>,
    #[schema(nullable = false)]
    pub errors: Option<Vec<FieldErrorDoc>>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = FieldError)]
pub struct FieldErrorDoc {
    pub field: String,
    pub message: String,
}

/// Errors any endpoint may answer with (from validation, authentication
/// and the hardening middleware).
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum CommonErrors {
    #[response(
        status = 400,
        description = "Malformed request or Host header",
        content_type = "application/problem+json"
    )]
    BadRequest(ProblemDoc),
    #[response(
        status = 401,
        description = "Authentication required or invalid",
        content_type = "application/problem+json"
    )]
    Unauthorized(ProblemDoc),
    #[response(
        status = 403,
        description = "Not allowed (role or cross-origin)",
        content_type = "application/problem+json"
    )]
    Forbidden(ProblemDoc),
    #[response(
        status = 404,
        description = "Not found, or not visible to the caller",
        content_type = "application/problem+json"
    )]
    NotFound(ProblemDoc),
    #[response(
        status = 409,
        description = "Conflict with the current state",
        content_type = "application/problem+json"
    )]
    Conflict(ProblemDoc),
    #[response(
        status = 413,
        description = "Body or value too large",
        content_type = "application/problem+json"
    )]
    TooLarge(ProblemDoc),
    #[response(
        status = 415,
        description = "Unsupported media type",
        content_type = "application/problem+json"
    )]
    UnsupportedMediaType(ProblemDoc),
    #[response(
        status = 422,
        description = "Invalid input",
        content_type = "application/problem+json"
    )]
    Invalid(ProblemDoc),
}

/// The answer of the throttled routes (sign-in, registration, password
/// change) once a client has made too many attempts.
#[derive(IntoResponses)]
#[allow(dead_code)]
pub enum Throttled {
    #[response(
        status = 429,
        description = "Too many attempts: wait the number of seconds in Retry-After",
        content_type = "application/problem+json",
        headers(("Retry-After" = u64, description = "Seconds until the next attempt is accepted"))
    )]
    TooManyAttempts(ProblemDoc),
}

pub struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

// Documentation-only shapes: the handlers take these values as strings and
// validate them (with field-level problem details); the schemas tell clients
// and fuzzers which strings are accepted.

/// A project role.
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(rename_all = "lowercase")]
pub enum ProjectRoleName {
    Owner,
    Admin,
    Member,
    Viewer,
}

/// A server role.
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(rename_all = "lowercase")]
pub enum ServerRoleName {
    Admin,
    User,
}

/// An audit outcome.
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(rename_all = "lowercase")]
pub enum OutcomeName {
    Success,
    Denied,
    Failure,
}

/// An export format (`env`, `yml` and `sh` are aliases).
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(rename_all = "lowercase")]
pub enum ExportFormatName {
    Json,
    Dotenv,
    Env,
    Yaml,
    Yml,
    Shell,
    Sh,
    Docker,
}

/// An import format (`env` and `yml` are aliases).
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(rename_all = "lowercase")]
pub enum ImportFormatName {
    Dotenv,
    Env,
    Json,
    Yaml,
    Yml,
}

/// What a service token may do.
#[derive(ToSchema)]
#[allow(dead_code)]
#[schema(rename_all = "snake_case")]
pub enum TokenAccessName {
    Read,
    ReadWrite,
}
