//! The account page: profile, password change, sessions.
use super::auth_pages::{Empty, user_message};
use super::csrf::CheckedForm;
use super::errors::{WebError, from_domain, too_many_message, with_retry_after};
use super::session::{self, WebCtx};
use super::{Layout, redirect_with_flash, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::response::Response;
use heartlock_domain::turnstile::{self, Challenge};
use heartlock_domain::{users, web_sessions};
use serde::Deserialize;

pub struct SessionRow {
    pub kind: String,
    pub client: String,
    pub ip: String,
    pub seen_iso: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    l: Layout,
    email: String,
    display_name: String,
    role: String,
    sessions: Vec<SessionRow>,
    error: Option<String>,
    /// The message language chosen ("" for the request's).
    language: String,
    notify_new_sign_in: bool,
    turnstile: Option<super::turnstile::Widget>,
    /// Environments the user watches ("notify me"), with "stop".
    watches: Vec<heartlock_domain::watches::Watch>,
    /// The browsers that get push notifications (see web::push).
    push_subscriptions: Vec<PushRow>,
}

/// One subscribed browser, for the account page.
pub struct PushRow {
    pub id: String,
    pub label: String,
    pub service: String,
    pub created_iso: String,
    pub last_success_iso: String,
}

/// RFC 3339 UTC from Unix milliseconds (no time zone database needed).
pub fn iso(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

async fn build(
    state: &AppState,
    ctx: &WebCtx,
    error: Option<String>,
) -> Result<Response, WebError> {
    let user = ctx
        .user
        .as_ref()
        .ok_or_else(|| WebError::Login(ctx.path.clone()))?;
    let current = ctx
        .session
        .as_ref()
        .map(|s| s.id.clone())
        .unwrap_or_default();
    let (web, api) = web_sessions::list(state, &ctx.caller)
        .await
        .map_err(|e| from_domain(ctx.tr, &ctx.path, e))?;
    let mut sessions: Vec<SessionRow> = web
        .into_iter()
        .map(|s| SessionRow {
            kind: ctx.tr.t("account.kind_browser"),
            client: s.user_agent.unwrap_or_default(),
            ip: s.ip.unwrap_or_default(),
            seen_iso: iso(s.last_seen_at),
            current: s.id == current,
        })
        .collect();
    for s in api {
        sessions.push(SessionRow {
            kind: ctx.tr.t("account.kind_api"),
            client: s.user_agent.unwrap_or_default(),
            ip: s.ip.unwrap_or_default(),
            seen_iso: iso(s.last_seen_at),
            current: false,
        });
    }
    let prefs = heartlock_domain::preferences::get(state, &ctx.caller)
        .await
        .map_err(|e| from_domain(ctx.tr, &ctx.path, e))?;
    let watches = heartlock_domain::watches::list_mine(state, &ctx.caller)
        .await
        .map_err(|e| from_domain(ctx.tr, &ctx.path, e))?;
    let push_subscriptions = heartlock_domain::push::subscriptions::list(state, &ctx.caller)
        .await
        .map_err(|e| from_domain(ctx.tr, &ctx.path, e))?
        .into_iter()
        .map(|p| PushRow {
            id: p.id,
            label: p.label,
            service: p.service,
            created_iso: iso(p.created_at),
            last_success_iso: p.last_success_at.map(iso).unwrap_or_default(),
        })
        .collect();
    let page = AccountPage {
        l: Layout::new(ctx, "account"),
        email: user.email.clone(),
        display_name: user.display_name.clone(),
        role: user.role.as_str().to_string(),
        sessions,
        error,
        language: prefs.language.unwrap_or_default(),
        notify_new_sign_in: prefs.notify_new_sign_in,
        turnstile: super::turnstile::widget(state, Challenge::PasswordChange),
        watches,
        push_subscriptions,
    };
    Ok(render(&page))
}

pub async fn page(State(state): State<AppState>, ctx: WebCtx) -> Result<Response, WebError> {
    build(&state, &ctx, None).await
}

#[derive(Deserialize)]
pub struct PreferencesForm {
    #[serde(default)]
    language: String,
    /// A checkbox: present ("on") when ticked.
    #[serde(default)]
    notify_new_sign_in: Option<String>,
}

/// Saves the message preferences.
pub async fn save_preferences(
    State(state): State<AppState>,
    f: CheckedForm<PreferencesForm>,
) -> Result<Response, WebError> {
    let CheckedForm { ctx, form } = f;
    if ctx.user.is_none() {
        return Err(WebError::Login("/account".into()));
    }
    let prefs = heartlock_domain::preferences::Preferences {
        language: Some(form.language).filter(|l| !l.is_empty()),
        notify_new_sign_in: form.notify_new_sign_in.is_some(),
    };
    match heartlock_domain::preferences::set(&state, &ctx.caller, prefs).await {
        Ok(_) => Ok(redirect_with_flash(
            &state,
            "/account",
            "ok",
            "account.messages_saved",
        )),
        Err(e @ heartlock_domain::DomainError::Validation { .. }) => {
            let mut r = build(&state, &ctx, Some(user_message(&e))).await?;
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(from_domain(ctx.tr, &ctx.path, e)),
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
    /// Filled in by the Turnstile widget.
    #[serde(default, rename = "cf-turnstile-response")]
    turnstile: Option<String>,
}

pub async fn change_password(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    f: CheckedForm<PasswordForm>,
) -> Result<Response, WebError> {
    let CheckedForm { ctx, form } = f;
    if ctx.user.is_none() {
        return Err(WebError::Login("/account".into()));
    }
    let token = form.turnstile.as_deref();
    if let Err(e) = turnstile::verify(&state, &ctx.caller, Challenge::PasswordChange, token).await {
        let (message, status) = super::turnstile::refusal(ctx.tr, &e);
        let mut r = build(&state, &ctx, Some(message)).await?;
        *r.status_mut() = status;
        return Ok(r);
    }
    let mail = crate::mail_context::mail_context(&state, &headers, ctx.tr.lang);
    match users::change_password(
        &state,
        &ctx.caller,
        &form.current_password,
        &form.new_password,
        &mail,
    )
    .await
    {
        Ok(_) => Ok(redirect_with_flash(
            &state,
            "/account",
            "ok",
            "account.password_changed",
        )),
        Err(heartlock_domain::DomainError::Forbidden(_)) => {
            let mut r = build(&state, &ctx, Some(ctx.tr.t("account.wrong_password"))).await?;
            *r.status_mut() = axum::http::StatusCode::FORBIDDEN;
            Ok(r)
        }
        Err(e @ heartlock_domain::DomainError::Validation { .. }) => {
            let mut r = build(&state, &ctx, Some(user_message(&e))).await?;
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(heartlock_domain::DomainError::TooManyAttempts { retry_after_secs }) => {
            let message = too_many_message(ctx.tr, retry_after_secs);
            let r = build(&state, &ctx, Some(message)).await?;
            Ok(with_retry_after(r, retry_after_secs))
        }
        Err(e) => Err(from_domain(ctx.tr, &ctx.path, e)),
    }
}

/// Ends every browser and API session of the user, this one included.
pub async fn sign_out_everywhere(
    State(state): State<AppState>,
    f: CheckedForm<Empty>,
) -> Result<Response, WebError> {
    if f.ctx.user.is_none() {
        return Err(WebError::Login("/account".into()));
    }
    web_sessions::end_all(&state, &f.ctx.caller)
        .await
        .map_err(|_| WebError::Internal)?;
    let mut resp = redirect_with_flash(&state, "/login", "ok", "account.signed_out_everywhere");
    resp.headers_mut().append(
        SET_COOKIE,
        session::clear_cookie(&state, session::SESSION_COOKIE),
    );
    Ok(resp)
}
