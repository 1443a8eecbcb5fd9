//! Sign-in, registration, sign-out and language.
use super::csrf::CheckedForm;
use super::errors::{WebError, from_domain, too_many_message, with_retry_after};
use super::session::{self, WebCtx};
use super::turnstile::{refusal, widget};
use super::{Layout, redirect_with_flash, render, safe_next};
use crate::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::response::{IntoResponse, Redirect, Response};
use heartlock_domain::turnstile::{self, Challenge};
use heartlock_domain::users;
use serde::Deserialize;

pub async fn home(State(state): State<AppState>, ctx: WebCtx) -> Response {
    if ctx.user.is_some() {
        Redirect::to("/projects").into_response()
    } else if heartlock_domain::onboarding::is_open(&state).await {
        Redirect::to("/onboarding").into_response()
    } else if ctx.may_browse() {
        Redirect::to("/projects").into_response()
    } else {
        Redirect::to("/login").into_response()
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    l: Layout,
    error: Option<String>,
    email: String,
    next: String,
    /// Single sign-on is on: show "Sign in with SSO".
    sso: bool,
    turnstile: Option<super::turnstile::Widget>,
}

impl LoginPage {
    /// The form again, with what was typed (never the password) and a message.
    fn again(state: &AppState, ctx: &WebCtx, error: String, email: String, next: String) -> Self {
        LoginPage {
            l: Layout::new(ctx, "login"),
            error: Some(error),
            email,
            next,
            sso: heartlock_domain::oidc::enabled(state),
            turnstile: widget(state, Challenge::Login),
        }
    }
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

pub async fn login_page(
    State(state): State<AppState>,
    ctx: WebCtx,
    Query(q): Query<NextQuery>,
) -> Response {
    if ctx.user.is_some() {
        return Redirect::to(safe_next(q.next.as_deref().unwrap_or("/"))).into_response();
    }
    render(&LoginPage {
        l: Layout::new(&ctx, "login"),
        error: None,
        email: String::new(),
        next: q.next.unwrap_or_default(),
        sso: heartlock_domain::oidc::enabled(&state),
        turnstile: widget(&state, Challenge::Login),
    })
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    #[serde(default)]
    next: String,
    /// Filled in by the Turnstile widget.
    #[serde(default, rename = "cf-turnstile-response")]
    turnstile: Option<String>,
}

pub async fn login_submit(
    State(state): State<AppState>,
    f: CheckedForm<LoginForm>,
) -> Result<Response, WebError> {
    let CheckedForm { ctx, form } = f;
    let check = turnstile::verify(
        &state,
        &ctx.caller,
        Challenge::Login,
        form.turnstile.as_deref(),
    );
    if let Err(e) = check.await {
        let (message, status) = refusal(ctx.tr, &e);
        let page = LoginPage::again(&state, &ctx, message, form.email, form.next);
        let mut resp = render(&page);
        *resp.status_mut() = status;
        return Ok(resp);
    }
    match users::login_user(&state, &ctx.caller, &form.email, &form.password).await {
        Ok(user) => {
            let cookie = session::start(&state, &user, &ctx)
                .await
                .map_err(|_| WebError::Internal)?;
            let mut resp = Redirect::to(safe_next(&form.next)).into_response();
            resp.headers_mut().append(SET_COOKIE, cookie);
            // A password sign-in: sign-out stays here, whatever a previous
            // single sign-on in this browser left.
            resp.headers_mut().append(
                SET_COOKIE,
                session::clear_cookie(&state, super::oidc::SIGN_OUT_COOKIE),
            );
            Ok(resp)
        }
        Err(heartlock_domain::DomainError::Unauthenticated(_)) => {
            let message = ctx.tr.t("login.failed");
            let page = LoginPage::again(&state, &ctx, message, form.email, form.next);
            let mut resp = render(&page);
            *resp.status_mut() = axum::http::StatusCode::UNAUTHORIZED;
            Ok(resp)
        }
        Err(heartlock_domain::DomainError::TooManyAttempts { retry_after_secs }) => {
            let message = too_many_message(ctx.tr, retry_after_secs);
            let page = LoginPage::again(&state, &ctx, message, form.email, form.next);
            Ok(with_retry_after(render(&page), retry_after_secs))
        }
        Err(e) => Err(from_domain(ctx.tr, &ctx.path, e)),
    }
}

#[derive(Template)]
#[template(path = "register.html")]
struct RegisterPage {
    l: Layout,
    error: Option<String>,
    email: String,
    display_name: String,
    turnstile: Option<super::turnstile::Widget>,
}

pub async fn register_page(State(state): State<AppState>, ctx: WebCtx) -> Response {
    if !ctx.registration {
        return WebError::NotFound(ctx.tr).into_response();
    }
    render(&RegisterPage {
        l: Layout::new(&ctx, "register"),
        error: None,
        email: String::new(),
        display_name: String::new(),
        turnstile: widget(&state, Challenge::Register),
    })
}

#[derive(Deserialize)]
pub struct RegisterForm {
    email: String,
    password: String,
    #[serde(default)]
    display_name: String,
    /// Filled in by the Turnstile widget.
    #[serde(default, rename = "cf-turnstile-response")]
    turnstile: Option<String>,
}

pub async fn register_submit(
    State(state): State<AppState>,
    f: CheckedForm<RegisterForm>,
) -> Result<Response, WebError> {
    let CheckedForm { ctx, form } = f;
    if !users::registration_open(&state) {
        return Err(WebError::NotFound(ctx.tr));
    }
    let check = turnstile::verify(
        &state,
        &ctx.caller,
        Challenge::Register,
        form.turnstile.as_deref(),
    );
    if let Err(e) = check.await {
        let (message, status) = refusal(ctx.tr, &e);
        let page = RegisterPage {
            error: Some(message),
            email: form.email,
            display_name: form.display_name,
            turnstile: widget(&state, Challenge::Register),
            l: Layout::new(&ctx, "register"),
        };
        let mut resp = render(&page);
        *resp.status_mut() = status;
        return Ok(resp);
    }
    let new = users::NewAccount {
        email: &form.email,
        display_name: Some(&form.display_name),
        password: &form.password,
    };
    let created = users::register(&state, &ctx.caller, new).await;
    match created {
        Ok(user) => {
            let cookie = session::start(&state, &user, &ctx)
                .await
                .map_err(|_| WebError::Internal)?;
            let mut resp = Redirect::to("/projects").into_response();
            resp.headers_mut().append(SET_COOKIE, cookie);
            Ok(resp)
        }
        Err(
            e @ (heartlock_domain::DomainError::Validation { .. }
            | heartlock_domain::DomainError::Conflict(_)),
        ) => {
            let page = RegisterPage {
                error: Some(user_message(&e)),
                email: form.email,
                display_name: form.display_name,
                turnstile: widget(&state, Challenge::Register),
                l: Layout::new(&ctx, "register"),
            };
            let mut resp = render(&page);
            *resp.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(resp)
        }
        Err(heartlock_domain::DomainError::TooManyAttempts { retry_after_secs }) => {
            let page = RegisterPage {
                error: Some(too_many_message(ctx.tr, retry_after_secs)),
                email: form.email,
                display_name: form.display_name,
                turnstile: widget(&state, Challenge::Register),
                l: Layout::new(&ctx, "register"),
            };
            Ok(with_retry_after(render(&page), retry_after_secs))
        }
        Err(e) => Err(from_domain(ctx.tr, &ctx.path, e)),
    }
}

/// The part of a service error a person should read.
pub fn user_message(e: &heartlock_domain::DomainError) -> String {
    use heartlock_domain::DomainError;
    match e {
        DomainError::Validation { message, .. } => message.clone(),
        DomainError::Conflict(m) | DomainError::Forbidden(m) | DomainError::TooLarge(m) => {
            m.clone()
        }
        DomainError::NotFound(m) | DomainError::Unauthenticated(m) => m.to_string(),
        DomainError::TooManyAttempts { .. } => e.to_string(),
        DomainError::Integrity(_) | DomainError::Unavailable(_) | DomainError::Internal(_) => {
            "internal error".into()
        }
    }
}

#[derive(Deserialize)]
pub struct Empty {}

/// Ends the browser session; after a single sign-on, continues to the
/// provider's end-session address (no request to it is made here).
pub async fn logout(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    f: CheckedForm<Empty>,
) -> Response {
    if f.ctx.session.is_some() {
        let _ = heartlock_domain::web_sessions::end(&state, &f.ctx.caller).await;
    }
    let mut resp = match super::oidc::sign_out_url(&state, &headers) {
        Some(url) => {
            let mut r = Redirect::to(&url).into_response();
            r.headers_mut().append(
                SET_COOKIE,
                session::clear_cookie(&state, super::oidc::SIGN_OUT_COOKIE),
            );
            r
        }
        None => redirect_with_flash(&state, "/login", "ok", "flash.signed_out"),
    };
    resp.headers_mut().append(
        SET_COOKIE,
        session::clear_cookie(&state, session::SESSION_COOKIE),
    );
    resp
}

#[derive(Deserialize)]
pub struct LocaleForm {
    locale: String,
    #[serde(default)]
    next: String,
}

pub async fn set_locale(State(state): State<AppState>, f: CheckedForm<LocaleForm>) -> Response {
    let tr = super::i18n::Tr::new(&f.form.locale);
    let mut resp = Redirect::to(safe_next(&f.form.next)).into_response();
    resp.headers_mut().append(
        SET_COOKIE,
        session::set_plain_cookie(&state, super::i18n::COOKIE, tr.lang, Some(365 * 86_400)),
    );
    resp
}
