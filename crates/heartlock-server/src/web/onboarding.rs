//! The first-run onboarding wizard: one page, four steps, plain forms (no
//! JavaScript needed). Public while open; every route answers 404 once an
//! administrator exists or HEARTLOCK_DISABLE_ONBOARDING is set. The domain
//! logic lives in `heartlock_domain::onboarding`.
use super::csrf::CheckedForm;
use super::errors::WebError;
use super::session::{self, WebCtx};
use super::{Layout, redirect_with_flash, render};
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, HOST, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use heartlock_core::Keyring;
use heartlock_domain::onboarding::{self as svc, DatabaseChoice, OnboardingError, Plan};
use heartlock_domain::records::DbTarget;
use heartlock_domain::users;
use serde::Deserialize;

/// Every field of the wizard; the two buttons post the same form.
#[derive(Deserialize, Default)]
pub struct WizardForm {
    /// The one-time code from the server log (production).
    #[serde(default)]
    setup_code: String,
    #[serde(default)]
    base_url: String,
    /// "keep" or "postgres".
    #[serde(default)]
    db_mode: String,
    #[serde(default)]
    database_url: String,
    /// "generate", "paste" or "keep".
    #[serde(default)]
    key_mode: String,
    #[serde(default)]
    generated_key: String,
    #[serde(default)]
    key_stored: Option<String>,
    #[serde(default)]
    pasted_key: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

/// Messages shown next to each step.
#[derive(Default)]
struct Errors {
    general: Option<String>,
    setup_code: Option<String>,
    base_url: Option<String>,
    database: Option<String>,
    encryption_key: Option<String>,
    admin: Option<String>,
}

impl Errors {
    fn any(&self) -> bool {
        self.general.is_some()
            || self.setup_code.is_some()
            || self.base_url.is_some()
            || self.database.is_some()
            || self.encryption_key.is_some()
            || self.admin.is_some()
    }

    fn set(&mut self, field: &str, message: String) {
        let slot = match field {
            "setup_code" => &mut self.setup_code,
            "base_url" => &mut self.base_url,
            "database" => &mut self.database,
            "encryption_key" => &mut self.encryption_key,
            "admin" => &mut self.admin,
            _ => &mut self.general,
        };
        slot.get_or_insert(message);
    }
}

#[derive(Template)]
#[template(path = "onboarding.html")]
struct WizardPage {
    l: Layout,
    f: WizardForm,
    e: Errors,
    /// The connection test's result: (succeeded, message).
    db_test: Option<(bool, String)>,
    /// The label of "keep the current database".
    current_db: String,
    /// The label of "keep the configured key", when one is configured.
    keep_key: Option<String>,
    /// Production: the setup code field is shown and required.
    code_required: bool,
    /// Set by the operator's environment: shown, not changeable.
    db_fixed: bool,
    key_fixed: bool,
    base_url_fixed: bool,
}

fn message(ctx: &WebCtx, key: &str, detail: Option<String>) -> String {
    match detail {
        Some(d) => format!("{} ({d})", ctx.tr.t(key)),
        None => ctx.tr.t(key),
    }
}

fn show(
    state: &AppState,
    ctx: &WebCtx,
    mut f: WizardForm,
    e: Errors,
    db_test: Option<(bool, String)>,
) -> Response {
    // Secrets typed by the person are never echoed back into the page
    // (the setup code is, so a correction elsewhere needs no retyping).
    f.password.clear();
    f.password_confirm.clear();
    f.pasted_key.clear();
    if !svc::validate_generated(&f.generated_key) {
        f.generated_key = Keyring::generate_key();
    }
    // The file path is for the operator, who has the code; not for anyone
    // who opens the page of a fresh production server.
    let current_db = match state.database_target() {
        DbTarget::Sqlite(_) if svc::code_required(state) => "SQLite".to_string(),
        DbTarget::Sqlite(p) => format!("SQLite, {}", p.display()),
        DbTarget::Postgres(_) => "PostgreSQL".to_string(),
    };
    let keep_key = state.settings.encryption_key.as_ref().map(|_| {
        let source = state.key_source.to_string();
        ctx.tr.tf("onboarding.key_keep", &[("source", &source)])
    });
    let current_db = ctx.tr.tf("onboarding.db_keep", &[("current", &current_db)]);
    let status = if e.setup_code.is_some() {
        StatusCode::FORBIDDEN
    } else if e.any() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let mut resp = render(&WizardPage {
        l: Layout::new(ctx, "onboarding"),
        f,
        e,
        db_test,
        current_db,
        keep_key,
        code_required: svc::code_required(state),
        db_fixed: svc::fixed_by_operator(state, "DATABASE_URL"),
        key_fixed: svc::fixed_by_operator(state, "HEARTLOCK_ENCRYPTION_KEY"),
        base_url_fixed: svc::fixed_by_operator(state, "HEARTLOCK_BASE_URL"),
    });
    if resp.status() == StatusCode::OK {
        *resp.status_mut() = status;
    }
    // The page holds a freshly generated encryption key: keep it out of caches.
    resp.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

async fn require_open(state: &AppState, ctx: &WebCtx) -> Result<(), WebError> {
    if svc::is_open(state).await {
        Ok(())
    } else {
        Err(WebError::NotFound(ctx.tr))
    }
}

/// The wizard again with only the setup code refused (403): nothing else
/// is looked at, let alone tried, without it.
fn code_refused(state: &AppState, ctx: &WebCtx, form: WizardForm) -> Response {
    let e = Errors {
        setup_code: Some(ctx.tr.t("onboarding.setup_code_invalid")),
        ..Default::default()
    };
    show(state, ctx, form, e, None)
}

/// GET /onboarding: the wizard, prefilled.
pub async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    ctx: WebCtx,
) -> Result<Response, WebError> {
    require_open(&state, &ctx).await?;
    let base_url = state.settings.base_url.clone().unwrap_or_else(|| {
        let host = headers
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        let scheme = if state.settings.debug {
            "http"
        } else {
            "https"
        };
        format!("{scheme}://{host}")
    });
    let keep = state.settings.encryption_key.is_some();
    let form = WizardForm {
        base_url,
        db_mode: "keep".into(),
        key_mode: if keep { "keep" } else { "generate" }.into(),
        ..Default::default()
    };
    Ok(show(&state, &ctx, form, Errors::default(), None))
}

/// POST /onboarding/test-database: tries the PostgreSQL URL, shows the result.
pub async fn test_database(
    State(state): State<AppState>,
    f: CheckedForm<WizardForm>,
) -> Result<Response, WebError> {
    let CheckedForm { ctx, mut form } = f;
    require_open(&state, &ctx).await?;
    if svc::check_code(&state, &ctx.caller, &form.setup_code).is_err() {
        return Ok(code_refused(&state, &ctx, form));
    }
    form.db_mode = "postgres".into();
    let result = match svc::test_database(&state, &form.database_url).await {
        Ok(n) => (
            true,
            ctx.tr.tf("onboarding.db_ok", &[("count", &n.to_string())]),
        ),
        Err(OnboardingError::Invalid { key, detail, .. }) => (false, message(&ctx, key, detail)),
        Err(_) => (false, ctx.tr.t("onboarding.db_unreachable")),
    };
    Ok(show(&state, &ctx, form, Errors::default(), Some(result)))
}

/// Validates every step; all problems are reported at once.
// The error is every message of the page at once, built once per request.
#[allow(clippy::result_large_err)]
fn plan(state: &AppState, ctx: &WebCtx, form: &WizardForm) -> Result<Plan, Errors> {
    let mut e = Errors::default();
    let mut fail = |err: OnboardingError| {
        if let OnboardingError::Invalid { field, key, detail } = err {
            e.set(field, message(ctx, key, detail));
        }
    };
    let base_url = svc::validate_base_url(&form.base_url)
        .map_err(&mut fail)
        .ok();
    let database = match form.db_mode.as_str() {
        "postgres" => svc::validate_postgres_url(&form.database_url)
            .map(DatabaseChoice::Postgres)
            .map_err(&mut fail)
            .ok(),
        _ => Some(DatabaseChoice::Keep),
    };
    let key_text = match form.key_mode.as_str() {
        "keep" => state
            .settings
            .encryption_key
            .as_ref()
            .map(|k| k.expose().to_string())
            .ok_or("onboarding.key_keep_unavailable"),
        "paste" => Ok(form.pasted_key.trim().to_string()),
        _ if form.key_stored.is_none() => Err("onboarding.key_not_stored"),
        _ => Ok(form.generated_key.trim().to_string()),
    };
    let ring = match key_text.as_deref().map(Keyring::parse) {
        Ok(Ok(ring)) => Some(ring),
        Ok(Err(_)) => {
            fail(svc::invalid(
                "encryption_key",
                "onboarding.key_invalid",
                None,
            ));
            None
        }
        Err(key) => {
            fail(svc::invalid("encryption_key", key, None));
            None
        }
    };
    let email = users::normalize_email(&form.email)
        .and_then(|email| users::check_password(&form.password, &email).map(|_| email));
    let email = match email {
        Err(err) => {
            let detail = super::auth_pages::user_message(&err);
            fail(svc::invalid(
                "admin",
                "onboarding.admin_invalid",
                Some(detail),
            ));
            None
        }
        Ok(_) if form.password != form.password_confirm => {
            fail(svc::invalid("admin", "onboarding.password_mismatch", None));
            None
        }
        Ok(email) => Some(email),
    };
    match (base_url, database, key_text, ring, email) {
        (Some(base_url), Some(database), Ok(key_text), Some(ring), Some(email)) if !e.any() => {
            Ok(Plan {
                key_changed: ring.fingerprints() != state.keyring.fingerprints(),
                base_url,
                database,
                key_text,
                ring,
                email,
                display_name: form.display_name.trim().to_string(),
                password: form.password.clone(),
            })
        }
        _ => Err(e),
    }
}

/// POST /onboarding: applies everything, signs the administrator in.
pub async fn complete(
    State(state): State<AppState>,
    f: CheckedForm<WizardForm>,
) -> Result<Response, WebError> {
    let CheckedForm { ctx, form } = f;
    require_open(&state, &ctx).await?;
    if svc::check_code(&state, &ctx.caller, &form.setup_code).is_err() {
        return Ok(code_refused(&state, &ctx, form));
    }
    let plan = match plan(&state, &ctx, &form) {
        Ok(p) => p,
        Err(mut e) => {
            e.general = Some(ctx.tr.t("onboarding.fix_errors"));
            return Ok(show(&state, &ctx, form, e, None));
        }
    };
    match svc::complete(&state, &ctx.caller, plan).await {
        Ok(user) => {
            let cookie = session::start(&state, &user, &ctx)
                .await
                .map_err(|_| WebError::Internal)?;
            let mut resp = redirect_with_flash(&state, "/projects", "ok", "onboarding.done");
            resp.headers_mut().append(SET_COOKIE, cookie);
            Ok(resp)
        }
        Err(OnboardingError::Closed) => Err(WebError::NotFound(ctx.tr)),
        Err(OnboardingError::SetupCode) => Ok(code_refused(&state, &ctx, form)),
        Err(OnboardingError::Invalid { field, key, detail }) => {
            let mut e = Errors::default();
            e.set(field, message(&ctx, key, detail));
            e.general.get_or_insert(ctx.tr.t("onboarding.fix_errors"));
            Ok(show(&state, &ctx, form, e, None))
        }
        Err(OnboardingError::Internal(m)) => {
            tracing::error!(error = %m, "onboarding failed");
            Err(WebError::Internal)
        }
    }
}
