//! The web UI: server-rendered pages (askama) with htmx for partial updates,
//! assets embedded in the binary, no inline script or style (strict CSP),
//! plain forms that work without JavaScript.
pub mod account;
pub mod admin;
pub mod admin_oidc;
pub mod assets;
pub mod auth_pages;
pub mod csrf;
pub mod errors;
pub mod i18n;
pub mod invite;
pub mod oidc;
pub mod oidc_cli;
pub mod oidc_csp;
pub mod oidc_link;
pub mod onboarding;
pub mod projects;
pub mod push;
pub mod session;
pub mod shares;
pub mod shares_create;
pub mod turnstile;

use crate::state::AppState;
use axum::Router;
use axum::routing::{get, post};
use heartlock_core::roles::AnonymousPolicy;
use i18n::Tr;
use session::{Flash, WebCtx};

/// Every web route (method, path). The authorization matrix test checks
/// this list against its table, so a new page cannot skip review.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/register"),
    ("POST", "/register"),
    ("POST", "/logout"),
    // Single sign-on (web::oidc): 404 unless OIDC is enabled.
    ("GET", "/oauth/login"),
    ("GET", "/oauth/callback"),
    ("GET", "/oauth/link"),
    ("POST", "/oauth/link"),
    ("POST", "/set-locale"),
    // Invitation links (web::invite): public, the link is the credential.
    ("GET", "/invite/{token}"),
    ("POST", "/invite/{token}"),
    ("GET", "/account"),
    ("POST", "/account/password"),
    ("POST", "/account/preferences"),
    ("POST", "/account/sign-out-everywhere"),
    ("GET", "/static/{*path}"),
    // Browser push (web::push): the service worker, and the account's own
    // subscriptions (signed-in users, CSRF token).
    ("GET", "/sw.js"),
    ("POST", "/account/push/subscribe"),
    ("POST", "/account/push/unsubscribe"),
    ("POST", "/account/push/test"),
    ("POST", "/account/push/{id}/delete"),
    // First-run wizard (web::onboarding): public while open, 404 afterwards.
    ("GET", "/onboarding"),
    ("POST", "/onboarding"),
    ("POST", "/onboarding/test-database"),
    // Admin area (web::admin): server administrators only.
    ("GET", "/admin"),
    ("GET", "/admin/users"),
    ("POST", "/admin/users/{user_id}/role"),
    ("POST", "/admin/users/{user_id}/disable"),
    ("POST", "/admin/users/{user_id}/enable"),
    ("GET", "/admin/audit"),
    ("GET", "/admin/status"),
    ("GET", "/admin/oidc"),
    ("POST", "/admin/oidc"),
    ("POST", "/admin/oidc/remove"),
    // Project pages (web::projects).
    ("GET", "/projects"),
    ("POST", "/projects"),
    ("GET", "/projects/{project}"),
    ("POST", "/projects/{project}/secrets"),
    ("POST", "/projects/{project}/import"),
    ("GET", "/projects/{project}/export"),
    (
        "GET",
        "/projects/{project}/environments/{env}/secrets/{key}",
    ),
    (
        "POST",
        "/projects/{project}/environments/{env}/secrets/{key}",
    ),
    (
        "GET",
        "/projects/{project}/environments/{env}/secrets/{key}/edit",
    ),
    (
        "POST",
        "/projects/{project}/environments/{env}/secrets/{key}/delete",
    ),
    (
        "GET",
        "/projects/{project}/environments/{env}/secrets/{key}/history",
    ),
    (
        "POST",
        "/projects/{project}/environments/{env}/secrets/{key}/rollback",
    ),
    ("GET", "/projects/{project}/environments"),
    ("POST", "/projects/{project}/environments"),
    ("POST", "/projects/{project}/environments/{env}/rename"),
    ("POST", "/projects/{project}/environments/{env}/move"),
    ("POST", "/projects/{project}/environments/{env}/delete"),
    ("POST", "/projects/{project}/environments/{env}/watch"),
    ("POST", "/projects/{project}/environments/{env}/unwatch"),
    ("GET", "/projects/{project}/members"),
    ("POST", "/projects/{project}/members"),
    ("POST", "/projects/{project}/members/{user_id}/role"),
    ("POST", "/projects/{project}/members/{user_id}/remove"),
    ("POST", "/projects/{project}/invitations"),
    (
        "POST",
        "/projects/{project}/invitations/{invitation_id}/resend",
    ),
    (
        "POST",
        "/projects/{project}/invitations/{invitation_id}/revoke",
    ),
    ("POST", "/projects/{project}/group-grants"),
    ("POST", "/projects/{project}/group-grants/change"),
    ("POST", "/projects/{project}/group-grants/remove"),
    ("GET", "/projects/{project}/tokens"),
    ("POST", "/projects/{project}/tokens"),
    ("POST", "/projects/{project}/tokens/{token_id}/revoke"),
    ("GET", "/projects/{project}/audit"),
    // Share links (web::shares): the recipient page is public (the link is
    // the credential, and a GET consumes nothing); the rest is the sender's.
    ("GET", "/s/{id}"),
    ("GET", "/shares"),
    // share.js's creation request (JSON, session and CSRF header).
    ("POST", "/shares"),
    ("GET", "/shares/new"),
    ("POST", "/shares/{id}/revoke"),
    ("POST", "/projects/{project}/sharing"),
];

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(auth_pages::home))
        .route(
            "/login",
            get(auth_pages::login_page).post(auth_pages::login_submit),
        )
        .route(
            "/register",
            get(auth_pages::register_page).post(auth_pages::register_submit),
        )
        .route("/logout", post(auth_pages::logout))
        .route("/oauth/login", get(oidc::login))
        .route("/oauth/callback", get(oidc::callback))
        .route("/oauth/link", get(oidc_link::page).post(oidc_link::confirm))
        .route("/set-locale", post(auth_pages::set_locale))
        .route("/invite/{token}", get(invite::page).post(invite::accept))
        .route("/account", get(account::page))
        .route("/account/password", post(account::change_password))
        .route("/account/preferences", post(account::save_preferences))
        .route(
            "/account/sign-out-everywhere",
            post(account::sign_out_everywhere),
        )
        .route("/static/{*path}", get(assets::serve))
        .route(
            "/onboarding",
            get(onboarding::page).post(onboarding::complete),
        )
        .route("/onboarding/test-database", post(onboarding::test_database))
        .route("/admin", get(admin::index))
        .route("/admin/users", get(admin::users))
        .route("/admin/users/{user_id}/role", post(admin::set_role))
        .route("/admin/users/{user_id}/disable", post(admin::disable))
        .route("/admin/users/{user_id}/enable", post(admin::enable))
        .route("/admin/audit", get(admin::audit_log))
        .route("/admin/status", get(admin::status))
        .route("/admin/oidc", get(admin_oidc::show).post(admin_oidc::save))
        .route("/admin/oidc/remove", post(admin_oidc::remove))
        .merge(projects::router())
        .merge(push::router())
        .merge(shares::router())
        .layer(axum::middleware::from_fn_with_state(
            state,
            session::ensure_csrf_cookie,
        ))
}

/// What the base layout needs, built from the request context.
pub struct Layout {
    pub tr: Tr,
    pub user_email: Option<String>,
    pub is_admin: bool,
    pub csrf: String,
    pub flash: Option<Flash>,
    pub path: String,
    pub section: &'static str,
    pub admin_email: Option<String>,
    pub admin_url: Option<String>,
    pub registration: bool,
    pub locales: &'static [(&'static str, &'static str)],
    /// Shown on every page while POLICY_NO_AUTH_DEFAULT lets anonymous
    /// visitors in, so nobody mistakes the server for a locked one.
    pub policy_banner: Option<String>,
}

impl Layout {
    pub fn new(ctx: &WebCtx, section: &'static str) -> Self {
        Self {
            tr: ctx.tr,
            user_email: ctx.user.as_ref().map(|u| u.email.clone()),
            is_admin: ctx.is_admin(),
            csrf: ctx.csrf.clone(),
            flash: ctx.flash.clone(),
            path: ctx.path.clone(),
            section,
            admin_email: ctx.admin_email.clone(),
            admin_url: ctx.admin_url.clone(),
            registration: ctx.registration,
            locales: &i18n::LOCALES,
            policy_banner: match ctx.policy {
                AnonymousPolicy::Deny => None,
                AnonymousPolicy::ViewOnly => Some(ctx.tr.t("policy.view_only")),
                AnonymousPolicy::AllowAll => Some(ctx.tr.t("policy.allow_all")),
            },
        }
    }

    /// For pages rendered without a request context (error pages).
    pub fn bare(tr: Tr, admin_email: Option<String>, admin_url: Option<String>) -> Self {
        Self {
            tr,
            user_email: None,
            is_admin: false,
            csrf: String::new(),
            flash: None,
            path: "/".into(),
            section: "",
            admin_email,
            admin_url,
            registration: false,
            locales: &i18n::LOCALES,
            policy_banner: None,
        }
    }
}

/// Renders a template, or the generic error page when rendering fails.
pub fn render<T: askama::Template>(t: &T) -> axum::response::Response {
    use axum::response::IntoResponse;
    match t.render() {
        Ok(html) => axum::response::Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            errors::WebError::Internal.into_response()
        }
    }
}

/// A redirect after a successful form, with a flash message key.
pub fn redirect_with_flash(
    state: &AppState,
    to: &str,
    kind: &str,
    key: &str,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut resp = axum::response::Redirect::to(to).into_response();
    resp.headers_mut().append(
        axum::http::header::SET_COOKIE,
        session::set_cookie(
            state,
            session::FLASH_COOKIE,
            &format!("{kind}:{key}"),
            Some(10),
        ),
    );
    resp
}

/// Only local paths are followed after sign-in (no open redirect).
pub fn safe_next(next: &str) -> &str {
    // Browsers drop tabs/newlines and treat a backslash like `/`, so
    // `/<TAB>/evil` or `/<backslash>evil` would leave the site: refuse
    // control characters and backslashes outright.
    let b = next.as_bytes();
    let local = b.first() == Some(&b'/')
        && b.get(1).is_none_or(|c| *c != b'/')
        && !b.iter().any(|c| *c < 0x20 || *c == 0x7f || *c == b'\\');
    if local { next } else { "/" }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_local_paths_are_followed() {
        for ok in ["/", "/projects", "/projects/a?x=1"] {
            assert_eq!(super::safe_next(ok), ok);
        }
        for bad in [
            "//evil.com",
            "/\\evil.com",
            "/\t/evil.com",
            "/\n/evil.com",
            "https://evil.com",
            "evil",
            "",
        ] {
            assert_eq!(super::safe_next(bad), "/", "{bad:?}");
        }
    }
}
