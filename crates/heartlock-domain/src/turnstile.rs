//! Cloudflare Turnstile: a human check in front of password sign-in,
//! registration and password change (TURNSTILE_*). The browser's widget
//! yields a one-time token; [`verify`] asks siteverify
//! (TURNSTILE_VERIFY_URL) whether it is good, sending the secret key, the
//! token and the client address the HTTP layer resolved. Anything but a
//! clear "yes" refuses the action: a missing token, a refusal, and a
//! siteverify that cannot be reached (fail closed).
use crate::Domain;
use crate::error::{DomainError, DomainResult};
use crate::principal::Principal;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;
use std::time::Duration;

/// Cloudflare's tokens are at most 2048 characters; anything longer is
/// refused before any request leaves the server.
pub const MAX_TOKEN_LEN: usize = 2048;
/// The field carrying the token in the API's JSON bodies.
pub const FIELD: &str = "turnstile_token";
/// The widget's form field in the browser.
pub const FORM_FIELD: &str = "cf-turnstile-response";
/// The widget's script, and the origin the CSP must allow for it.
pub const SCRIPT_URL: &str = "https://challenges.cloudflare.com/turnstile/v0/api.js";
pub const ORIGIN: &str = "https://challenges.cloudflare.com";

pub const MSG_MISSING: &str = "Please complete the verification";
pub const MSG_TOO_LONG: &str = "the verification token is too long";
pub const MSG_FAILED: &str = "The verification failed; please try again";
pub const MSG_UNAVAILABLE: &str = "The verification service is unavailable; try again in a moment";

/// Whole request to siteverify, connection included; then the action is
/// refused rather than left hanging.
const TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The actions that may require a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Challenge {
    Login,
    Register,
    PasswordChange,
}

impl Challenge {
    /// The widget's `data-action`; siteverify echoes it back, which ties a
    /// token to the form it was solved on.
    pub fn as_str(self) -> &'static str {
        match self {
            Challenge::Login => "login",
            Challenge::Register => "register",
            Challenge::PasswordChange => "password-change",
        }
    }
}

/// Whether `action` needs a Turnstile token on this server.
pub fn required(dom: &Domain, action: Challenge) -> bool {
    let t = &dom.settings.turnstile;
    t.enabled
        && match action {
            Challenge::Login => t.require_on_login,
            Challenge::Register => t.require_on_register,
            Challenge::PasswordChange => t.require_on_password_change,
        }
}

/// The public site key for the widget, when `action` needs one.
pub fn site_key(dom: &Domain, action: Challenge) -> Option<&str> {
    required(dom, action)
        .then(|| dom.settings.turnstile.site_key.as_deref())
        .flatten()
}

/// Whether Turnstile is on at all (the CSP then allows its origin).
pub fn enabled(dom: &Domain) -> bool {
    dom.settings.turnstile.enabled
}

fn refused(message: &str) -> DomainError {
    DomainError::validation(FIELD, message)
}

#[derive(Serialize)]
struct VerifyRequest<'a> {
    secret: &'a str,
    response: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    remoteip: Option<&'a str>,
}

#[derive(Deserialize)]
struct VerifyReply {
    success: bool,
    #[serde(default, rename = "error-codes")]
    error_codes: Vec<String>,
    #[serde(default)]
    hostname: Option<String>,
    #[serde(default)]
    action: Option<String>,
}

fn http() -> DomainResult<&'static reqwest::Client> {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    if let Some(c) = CLIENT.get() {
        return Ok(c);
    }
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT)
        // The secret goes to the configured URL and nowhere else.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| DomainError::Internal(format!("turnstile HTTP client: {e}")))?;
    Ok(CLIENT.get_or_init(|| client))
}

/// Checks the token for `action`; a no-op unless Turnstile is enabled and
/// required for it. `caller.ip` is the client address as the HTTP layer
/// resolved it (trusted proxies honoured); it is sent as `remoteip`.
pub async fn verify(
    dom: &Domain,
    caller: &Principal,
    action: Challenge,
    token: Option<&str>,
) -> DomainResult<()> {
    if !required(dom, action) {
        return Ok(());
    }
    let token = token.map(str::trim).filter(|t| !t.is_empty());
    let Some(token) = token else {
        return Err(refused(MSG_MISSING));
    };
    if token.len() > MAX_TOKEN_LEN {
        return Err(refused(MSG_TOO_LONG));
    }
    let settings = &dom.settings.turnstile;
    // Config validation refuses TURNSTILE_ENABLED without the secret; this is belt and braces.
    let Some(secret) = settings.secret_key.as_ref() else {
        tracing::error!("turnstile is enabled without TURNSTILE_SECRET_KEY");
        return Err(DomainError::Unavailable(MSG_UNAVAILABLE.into()));
    };
    let body = VerifyRequest {
        secret: secret.expose(),
        response: token,
        remoteip: caller.ip.as_deref(),
    };
    let reply = match http()?.post(&settings.verify_url).json(&body).send().await {
        Ok(r) if r.status().is_success() => r.json::<VerifyReply>().await.map_err(|e| {
            tracing::warn!(error = %without_url(e), "turnstile: unreadable siteverify answer");
        }),
        Ok(r) => {
            tracing::warn!(status = %r.status(), "turnstile: siteverify answered an error");
            Err(())
        }
        Err(e) => {
            tracing::warn!(error = %without_url(e), "turnstile: siteverify unreachable");
            Err(())
        }
    };
    let Ok(reply) = reply else {
        return Err(DomainError::Unavailable(MSG_UNAVAILABLE.into()));
    };
    if !reply.success {
        tracing::info!(action = action.as_str(), codes = ?reply.error_codes,
            ip = caller.ip.as_deref().unwrap_or("-"), "turnstile: verification refused");
        return Err(refused(MSG_FAILED));
    }
    if let Some(got) = reply.action.as_deref().filter(|a| !a.is_empty())
        && got != action.as_str()
    {
        tracing::info!(
            expected = action.as_str(),
            got,
            "turnstile: token solved for another form"
        );
        return Err(refused(MSG_FAILED));
    }
    if let Some(expected) = expected_hostname(dom)
        && let Some(got) = reply.hostname.as_deref().filter(|h| !h.is_empty())
        && !got.eq_ignore_ascii_case(&expected)
    {
        tracing::info!(expected = %expected, got, "turnstile: token solved on another hostname");
        return Err(refused(MSG_FAILED));
    }
    Ok(())
}

/// Cloudflare recommends checking where the challenge was solved: when
/// HEARTLOCK_BASE_URL says where this server lives, it is that host.
fn expected_hostname(dom: &Domain) -> Option<String> {
    let base = dom.settings.base_url.as_deref()?;
    url::Url::parse(base)
        .ok()?
        .host_str()
        .map(|h| h.to_ascii_lowercase())
}

/// reqwest's errors name the URL; the configured one may carry credentials.
fn without_url(e: reqwest::Error) -> reqwest::Error {
    e.without_url()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_have_distinct_names() {
        let names = [
            Challenge::Login,
            Challenge::Register,
            Challenge::PasswordChange,
        ]
        .map(Challenge::as_str);
        assert_eq!(names, ["login", "register", "password-change"]);
    }

    #[test]
    fn the_request_never_serialises_a_missing_address() {
        let body = VerifyRequest {
            secret: "s",
            response: "t",
            remoteip: None,
        };
        let json = serde_json::to_string(&body).unwrap_or_default();
        assert_eq!(json, r#"{"secret":"s","response":"t"}"#);
    }

    #[test]
    fn replies_parse_with_cloudflare_field_names() {
        let r: Result<VerifyReply, _> = serde_json::from_str(
            r#"{"success":false,"error-codes":["invalid-input-response"],"challenge_ts":"x","hostname":"","action":"","cdata":""}"#,
        );
        let r = r.ok();
        assert!(r.as_ref().is_some_and(|r| !r.success));
        assert_eq!(
            r.map(|r| r.error_codes).unwrap_or_default(),
            vec!["invalid-input-response".to_string()]
        );
    }
}
