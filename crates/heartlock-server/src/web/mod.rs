//! The web UI: server-rendered pages (askama) with htmx for partial updates,
//! assets embedded in the binary, no inline script or style (strict CSP),
//! plain forms that work without JavaScript.
pub mod account;
pub mod assets;
pub mod auth_pages;
pub mod csrf;
pub mod errors;
pub mod i18n;
pub mod session;

use crate::state::AppState;
use axum::Router;
use axum::routing::{get, post};
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
    ("POST", "/set-locale"),
    ("GET", "/account"),
    ("POST", "/account/password"),
    ("POST", "/account/sign-out-everywhere"),
    ("GET", "/static/{*path}"),
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
        .route("/set-locale", post(auth_pages::set_locale))
        .route("/account", get(account::page))
        .route("/account/password", post(account::change_password))
        .route(
            "/account/sign-out-everywhere",
            post(account::sign_out_everywhere),
        )
        .route("/static/{*path}", get(assets::serve))
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
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next
    } else {
        "/"
    }
}
