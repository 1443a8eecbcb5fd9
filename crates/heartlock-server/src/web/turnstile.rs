//! Cloudflare Turnstile in the web UI: the widget on the sign-in,
//! registration and password-change forms (when the server requires it for
//! that form), and the readable message when the check refuses. The check
//! itself is the domain's (`heartlock_domain::turnstile`).
use super::i18n::Tr;
use crate::state::AppState;
use axum::http::StatusCode;
use heartlock_domain::DomainError;
use heartlock_domain::turnstile::{self, Challenge};

/// What the `_p_turnstile.html` partial renders.
#[derive(Debug, Clone)]
pub struct Widget {
    pub site_key: String,
    pub action: &'static str,
    pub script: &'static str,
}

/// The widget for `action`, or `None` when this server does not ask for it.
pub fn widget(state: &AppState, action: Challenge) -> Option<Widget> {
    turnstile::site_key(state, action).map(|k| Widget {
        site_key: k.to_string(),
        action: action.as_str(),
        script: turnstile::SCRIPT_URL,
    })
}

/// The message shown on the form when the check refuses, and the status of
/// the page: 503 when siteverify could not be asked, else 422.
pub fn refusal(tr: Tr, e: &DomainError) -> (String, StatusCode) {
    match e {
        DomainError::Unavailable(_) => (
            tr.t("turnstile.unavailable"),
            StatusCode::SERVICE_UNAVAILABLE,
        ),
        DomainError::Validation { message, .. } if message == turnstile::MSG_MISSING => {
            (tr.t("turnstile.required"), StatusCode::UNPROCESSABLE_ENTITY)
        }
        _ => (tr.t("turnstile.failed"), StatusCode::UNPROCESSABLE_ENTITY),
    }
}
