//! Errors as pages a person understands (with the admin contact), never a
//! stack trace. Domain errors map onto these in `from_domain`.
use super::i18n::Tr;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use heartlock_domain::DomainError;

#[derive(Debug)]
pub enum WebError {
    /// Not signed in: go to the login page, then come back.
    Login(String),
    NotFound(Tr),
    Forbidden(Tr),
    Csrf(Tr),
    BadForm(Tr),
    TooLarge(Tr),
    /// Throttled: wait this many seconds (429 with Retry-After).
    TooManyAttempts(Tr, u64),
    Internal,
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub l: super::Layout,
    pub status: u16,
    pub title: String,
    pub message: String,
}

pub fn page(tr: Tr, status: StatusCode, title_key: &str, message: String) -> Response {
    // Inside a page request the layout knows the user; otherwise a bare one.
    let l = super::session::CURRENT
        .try_with(|ctx| super::Layout::new(ctx, ""))
        .unwrap_or_else(|_| {
            let (email, url) = contact();
            super::Layout::bare(tr, email, url)
        });
    render_page(l, tr, status, title_key, message)
}

/// The error page with an explicit layout.
pub fn render_page(
    l: super::Layout,
    tr: Tr,
    status: StatusCode,
    title_key: &str,
    message: String,
) -> Response {
    let body = ErrorPage {
        l,
        status: status.as_u16(),
        title: tr.t(title_key),
        message,
    };
    match body.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (status, tr.t(title_key)).into_response(),
    }
}

/// The admin contact is set once at boot (error pages may lack a request context).
static CONTACT: std::sync::OnceLock<(Option<String>, Option<String>)> = std::sync::OnceLock::new();

pub fn set_contact(email: Option<String>, url: Option<String>) {
    let _ = CONTACT.set((email, url));
}

fn contact() -> (Option<String>, Option<String>) {
    CONTACT.get().cloned().unwrap_or((None, None))
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            WebError::Login(next) => {
                Redirect::to(&format!("/login?next={}", urlencode(&next))).into_response()
            }
            WebError::NotFound(tr) => page(
                tr,
                StatusCode::NOT_FOUND,
                "error.not_found",
                tr.t("error.not_found_text"),
            ),
            WebError::Forbidden(tr) => page(
                tr,
                StatusCode::FORBIDDEN,
                "error.forbidden",
                tr.t("error.forbidden_text"),
            ),
            WebError::Csrf(tr) => page(
                tr,
                StatusCode::FORBIDDEN,
                "error.csrf",
                tr.t("error.csrf_text"),
            ),
            WebError::BadForm(tr) => page(
                tr,
                StatusCode::BAD_REQUEST,
                "error.bad_form",
                tr.t("error.bad_form_text"),
            ),
            WebError::TooLarge(tr) => page(
                tr,
                StatusCode::PAYLOAD_TOO_LARGE,
                "error.too_large",
                tr.t("error.too_large_text"),
            ),
            WebError::TooManyAttempts(tr, secs) => with_retry_after(
                page(
                    tr,
                    StatusCode::TOO_MANY_REQUESTS,
                    "error.too_many",
                    too_many_message(tr, secs),
                ),
                secs,
            ),
            WebError::Internal => {
                let tr = Tr::new("en");
                page(
                    tr,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "error.internal",
                    tr.t("error.internal_text"),
                )
            }
        }
    }
}

/// "Too many attempts. Try again in N seconds." in the page's language.
pub fn too_many_message(tr: Tr, secs: u64) -> String {
    tr.tf("throttle.too_many", &[("seconds", &secs.to_string())])
}

/// A throttled answer: status 429 and how long to wait.
pub fn with_retry_after(mut resp: Response, secs: u64) -> Response {
    *resp.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    resp.headers_mut().insert(
        axum::http::header::RETRY_AFTER,
        axum::http::HeaderValue::from(secs),
    );
    resp
}

pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Maps a domain error to a page (the one place web does it): messages are the domain's own (they
/// never hold secret values), shown on the page that was submitted.
pub fn from_domain(tr: Tr, path: &str, e: DomainError) -> WebError {
    match e {
        DomainError::Unauthenticated(_) => WebError::Login(path.to_string()),
        DomainError::NotFound(_) => WebError::NotFound(tr),
        DomainError::Forbidden(_) => WebError::Forbidden(tr),
        DomainError::TooManyAttempts { retry_after_secs } => {
            WebError::TooManyAttempts(tr, retry_after_secs)
        }
        DomainError::Integrity(detail)
        | DomainError::Unavailable(detail)
        | DomainError::Internal(detail) => {
            // Logged for operators (e.g. a ciphertext that fails its integrity check).
            tracing::error!(error = %detail, "internal error on a page");
            WebError::Internal
        }
        _ => WebError::BadForm(tr),
    }
}
