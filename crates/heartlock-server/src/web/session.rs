//! Browser sessions: a random token in an HttpOnly, SameSite=Lax cookie
//! (Secure unless DEBUG, and always when APP_ENV is qa or prod), its hash in
//! the database, idle and absolute expiry. The session, CSRF and flash
//! cookies are signed with SECRET_KEY; a cookie with a bad signature is
//! ignored as if absent. Every request to a page gets a `WebCtx`: the translator, the
//! signed-in user if any, and the CSRF token to embed in forms.
use super::i18n::{self, Tr};
use crate::api::error::ApiError;
use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::{ACCEPT_LANGUAGE, COOKIE, SET_COOKIE, USER_AGENT};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use heartlock_core::roles::AnonymousPolicy;
use heartlock_core::token;
use heartlock_domain::mail::MailContext;
use heartlock_domain::records::{UserRecord, WebSessionRecord};
use heartlock_domain::{Actor, Principal, web_sessions};
use std::net::SocketAddr;

pub const SESSION_COOKIE: &str = "heartlock_session";
/// Double-submit CSRF cookie for forms shown before signing in.
pub const CSRF_COOKIE: &str = "heartlock_csrf";
pub const FLASH_COOKIE: &str = "heartlock_flash";
/// A random id naming this browser (signed, long-lived): a sign-in from a
/// browser the account has not used before can email the account.
pub const BROWSER_COOKIE: &str = "heartlock_browser";
const BROWSER_MAX_AGE_SECS: i64 = 400 * 24 * 3600;
/// Idle and absolute session lifetimes.
pub use web_sessions::{ABSOLUTE_MS, IDLE_MS};

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == name).then(|| v.to_string())
        })
}

/// A cookie set by [`set_cookie`], verified; `None` when missing or forged.
pub fn signed_cookie(state: &AppState, headers: &HeaderMap, name: &str) -> Option<String> {
    let raw = cookie(headers, name)?;
    state.signer().unsign(name, &raw).map(str::to_string)
}

/// A signed Set-Cookie value with Heartlock's flags.
pub fn set_cookie(
    state: &AppState,
    name: &str,
    value: &str,
    max_age_secs: Option<i64>,
) -> HeaderValue {
    let signed = if value.is_empty() {
        String::new()
    } else {
        state.signer().sign(name, value)
    };
    set_plain_cookie(state, name, &signed, max_age_secs)
}

/// Whether cookies carry `Secure`: off only in DEBUG outside qa/prod.
pub fn secure_cookies(settings: &heartlock_config::Settings) -> bool {
    let deployed = matches!(settings.app_env.as_deref(), Some("qa" | "prod"));
    !settings.debug || deployed
}

/// An unsigned Set-Cookie value (the language choice: nothing to protect).
pub fn set_plain_cookie(
    state: &AppState,
    name: &str,
    value: &str,
    max_age_secs: Option<i64>,
) -> HeaderValue {
    let secure = if secure_cookies(&state.settings) {
        "; Secure"
    } else {
        ""
    };
    let age = max_age_secs
        .map(|s| format!("; Max-Age={s}"))
        .unwrap_or_default();
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax{secure}{age}"
    ))
    .unwrap_or(HeaderValue::from_static(""))
}

#[derive(Debug, Clone)]
pub struct Flash {
    pub kind: String,
    pub message: String,
}

/// What every page handler knows about the request.
#[derive(Debug, Clone)]
pub struct WebCtx {
    pub tr: Tr,
    pub session: Option<WebSessionRecord>,
    pub user: Option<UserRecord>,
    /// The token forms must send back (`csrf_token` field or X-CSRF-Token header).
    pub csrf: String,
    pub caller: Principal,
    pub flash: Option<Flash>,
    pub path: String,
    /// ADMIN_CONTACT_EMAIL / ADMIN_CONTACT_URL, shown where a stuck user looks.
    pub admin_email: Option<String>,
    pub admin_url: Option<String>,
    pub registration: bool,
    /// POLICY_NO_AUTH_DEFAULT as it applies now (deny while SSO is on).
    pub policy: AnonymousPolicy,
    /// This browser's id ([`BROWSER_COOKIE`]).
    pub browser: Option<String>,
    /// The language and base URL of messages this request causes.
    pub mail: MailContext,
}

impl WebCtx {
    pub fn is_admin(&self) -> bool {
        self.caller.server_role() == heartlock_core::roles::ServerRole::Admin
    }

    /// Signed in, or the no-sign-in policy lets anonymous visitors in
    /// (the domain still decides what they may do).
    pub fn may_browse(&self) -> bool {
        self.user.is_some() || self.policy != AnonymousPolicy::Deny
    }
}

/// The anonymous CSRF value placed in request extensions by [`ensure_csrf_cookie`].
#[derive(Clone)]
struct AnonCsrf(String);

/// The browser id placed in request extensions by [`ensure_csrf_cookie`].
#[derive(Clone)]
struct BrowserId(String);

tokio::task_local! {
    /// The request's context, so error pages rendered deep in a handler
    /// still show who is signed in (and carry the right CSRF token).
    pub static CURRENT: WebCtx;
}

/// For every page request: gives the browser a CSRF cookie before its first
/// form, resolves the session once (handlers reuse it from the request
/// extensions), and clears a flash message once a page has shown it.
pub async fn ensure_csrf_cookie(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: Next,
) -> Response {
    let existing = signed_cookie(&state, req.headers(), CSRF_COOKIE).filter(|v| v.len() >= 32);
    let (value, fresh) = match existing {
        Some(v) => (v, false),
        None => (token::random_token(""), true),
    };
    let browser = signed_cookie(&state, req.headers(), BROWSER_COOKIE).filter(|v| v.len() >= 32);
    let (browser, fresh_browser) = match browser {
        Some(v) => (v, false),
        None => (token::random_token(""), true),
    };
    let (mut parts, body) = req.into_parts();
    parts.extensions.insert(AnonCsrf(value.clone()));
    parts.extensions.insert(BrowserId(browser.clone()));
    let ctx = WebCtx::build(&mut parts, &state).await.ok();
    let had_flash = ctx.as_ref().is_some_and(|c| c.flash.is_some());
    if let Some(c) = &ctx {
        parts.extensions.insert(c.clone());
    }
    let req = axum::extract::Request::from_parts(parts, body);
    let mut resp = match ctx {
        Some(c) => CURRENT.scope(c, next.run(req)).await,
        None => next.run(req).await,
    };
    if fresh {
        resp.headers_mut()
            .append(SET_COOKIE, set_cookie(&state, CSRF_COOKIE, &value, None));
    }
    if fresh_browser {
        resp.headers_mut().append(
            SET_COOKIE,
            set_cookie(&state, BROWSER_COOKIE, &browser, Some(BROWSER_MAX_AGE_SECS)),
        );
    }
    if had_flash && !resp.status().is_redirection() {
        resp.headers_mut()
            .append(SET_COOKIE, clear_cookie(&state, FLASH_COOKIE));
    }
    resp
}

impl FromRequestParts<AppState> for WebCtx {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(ctx) = parts.extensions.get::<WebCtx>() {
            return Ok(ctx.clone());
        }
        Self::build(parts, state).await
    }
}

impl WebCtx {
    /// Resolves the session (one database read) and the request's context.
    pub async fn build(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let tr = i18n::negotiate(
            cookie(&parts.headers, i18n::COOKIE).as_deref(),
            parts
                .headers
                .get(ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        );
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        let user_agent = parts
            .headers
            .get(USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(200).collect());
        let base_url = crate::mail_context::request_base_url(state, &parts.headers);
        let mut found = None;
        if let Some(tok) = signed_cookie(state, &parts.headers, SESSION_COOKIE) {
            found = web_sessions::resolve(state, &tok).await?;
        }
        let anon = parts
            .extensions
            .get::<AnonCsrf>()
            .map(|a| a.0.clone())
            .or_else(|| signed_cookie(state, &parts.headers, CSRF_COOKIE))
            .unwrap_or_default();
        let flash = signed_cookie(state, &parts.headers, FLASH_COOKIE).and_then(|v| {
            let (kind, key) = v.split_once(':')?;
            Some(Flash {
                kind: kind.to_string(),
                message: tr.t(key),
            })
        });
        let path = parts.uri.path().to_string();
        let users = &state.settings.users;
        let (admin_email, admin_url, registration) = (
            users.admin_contact_email.clone(),
            users.admin_contact_url.clone(),
            heartlock_domain::users::registration_open(state),
        );
        let policy = state.anonymous_policy();
        let browser = parts
            .extensions
            .get::<BrowserId>()
            .map(|b| b.0.clone())
            .or_else(|| signed_cookie(state, &parts.headers, BROWSER_COOKIE));
        let mail = crate::mail_context::mail_context(state, &parts.headers, tr.lang);
        Ok(match found {
            Some((session, user)) => {
                let caller = Principal {
                    actor: Actor::User {
                        user: Box::new(user.clone()),
                        session_id: session.id.clone(),
                    },
                    ip,
                    user_agent,
                    base_url,
                };
                WebCtx {
                    tr,
                    csrf: session.csrf_token.clone(),
                    session: Some(session),
                    user: Some(user),
                    caller,
                    flash,
                    path,
                    admin_email,
                    admin_url,
                    registration,
                    policy,
                    browser,
                    mail,
                }
            }
            None => WebCtx {
                tr,
                csrf: anon,
                session: None,
                user: None,
                caller: Principal {
                    actor: Actor::Anonymous,
                    ip,
                    user_agent,
                    base_url,
                },
                flash,
                path,
                admin_email,
                admin_url,
                registration,
                policy,
                browser,
                mail,
            },
        })
    }
}

/// Starts a browser session; returns the Set-Cookie header value.
pub async fn start(
    state: &AppState,
    user: &UserRecord,
    ctx: &WebCtx,
) -> Result<HeaderValue, ApiError> {
    let secret =
        web_sessions::start(state, &ctx.caller, user, ctx.browser.as_deref(), &ctx.mail).await?;
    Ok(set_cookie(
        state,
        SESSION_COOKIE,
        &secret,
        Some(ABSOLUTE_MS / 1000),
    ))
}

pub fn clear_cookie(state: &AppState, name: &str) -> HeaderValue {
    set_cookie(state, name, "", Some(0))
}
