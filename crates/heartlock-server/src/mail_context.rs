//! What the domain needs from a request to write an email: the reader's
//! language and, when HEARTLOCK_BASE_URL is unset, this request's base URL
//! for links (its Host header, already checked against ALLOWED_HOSTS).
use crate::state::AppState;
use axum::http::HeaderMap;
use axum::http::header::HOST;
use heartlock_domain::mail::MailContext;

pub fn mail_context(state: &AppState, headers: &HeaderMap, lang: &str) -> MailContext {
    MailContext::new(lang, request_base_url(state, headers))
}

/// `scheme://host` of this request (for `Principal::base_url`); `None` when
/// HEARTLOCK_BASE_URL is set, since links use it then (and every request
/// is spared the allocation).
pub fn request_base_url(state: &AppState, headers: &HeaderMap) -> Option<String> {
    if state.settings.base_url.is_some() {
        return None;
    }
    headers.get(HOST).and_then(|h| h.to_str().ok()).map(|host| {
        let scheme = if crate::web::session::secure_cookies(&state.settings) {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{host}")
    })
}

/// The language of an API request (Accept-Language, else English).
pub fn api_lang(headers: &HeaderMap) -> &'static str {
    let accept = headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|h| h.to_str().ok());
    crate::web::i18n::negotiate(None, accept).lang
}
