//! `heartlock config`: every setting with its effective (redacted) value
//! and where it came from.

use crate::validate::redact_url_password;
use crate::{REDACTED, Secret, Settings};

/// Every setting name, in the order the report (and the docs) list them.
pub const SETTING_NAMES: &[&str] = &[
    // Core
    "SECRET_KEY",
    "SECRET_KEY_FALLBACKS",
    "DEBUG",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "DATABASE_OWNER_URL",
    "DB_CONN_MAX_AGE",
    "HEARTLOCK_ENCRYPTION_KEY",
    "HEARTLOCK_BASE_URL",
    "HEARTLOCK_DATA_DIR",
    "HEARTLOCK_BIND",
    "HEARTLOCK_DISABLE_ONBOARDING",
    "HEARTLOCK_INVITATION_EXPIRY_DAYS",
    "HEARTLOCK_MAX_BODY_BYTES",
    "HEARTLOCK_MAX_SECRET_BYTES",
    "HEARTLOCK_SHARE_ENABLED",
    "HEARTLOCK_SHARE_ALLOW_ANONYMOUS",
    "HEARTLOCK_SHARE_MAX_DAYS",
    "HEARTLOCK_SHARE_MAX_BYTES",
    "HEARTLOCK_SHARE_MAX_ACTIVE",
    "CORS_ALLOWED_ORIGINS",
    "CSRF_TRUSTED_ORIGINS",
    "SECURE_SSL_REDIRECT",
    "TRUSTED_PROXIES",
    "APP_ENV",
    "LOG_FORMAT",
    // OIDC
    "OIDC_ENABLE",
    "OIDC_CLIENT_ID",
    "OIDC_CLIENT_SECRET",
    "OIDC_AUTHORIZATION_ENDPOINT",
    "OIDC_TOKEN_ENDPOINT",
    "OIDC_USERINFO_ENDPOINT",
    "OIDC_JWKS_ENDPOINT",
    "OIDC_END_SESSION_ENDPOINT",
    "OIDC_REDIRECT_URI",
    "OIDC_SIGN_ALGO",
    "OIDC_SCOPES",
    "OIDC_ISSUER",
    "OIDC_GROUPS_CLAIM",
    // Email
    "EMAIL_BACKEND",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_USE_TLS",
    "EMAIL_USE_SSL",
    "EMAIL_TIMEOUT",
    "EMAIL_SSL_CAFILE",
    "EMAIL_RETRY_BASE_SECONDS",
    "DEFAULT_FROM_EMAIL",
    // JWT
    "JWT_SECRET_KEY",
    "JWT_ALGORITHM",
    "ACCESS_TOKEN_EXPIRE_HOURS",
    "REFRESH_TOKEN_EXPIRE_DAYS",
    // VAPID
    "VAPID_PUBLIC_KEY",
    "VAPID_PRIVATE_KEY",
    "VAPID_SUBJECT",
    // Turnstile
    "TURNSTILE_ENABLED",
    "TURNSTILE_SITE_KEY",
    "TURNSTILE_SECRET_KEY",
    "TURNSTILE_REQUIRE_ON_LOGIN",
    "TURNSTILE_REQUIRE_ON_REGISTER",
    "TURNSTILE_REQUIRE_ON_PASSWORD_CHANGE",
    "TURNSTILE_VERIFY_URL",
    // Users
    "DEFAULT_USER_ROLE",
    "ENABLE_REGISTRATION",
    "HEARTLOCK_ALLOW_OPEN_ADMIN_REGISTRATION",
    "ADMIN_CONTACT_EMAIL",
    "ADMIN_CONTACT_URL",
    // Policy
    "POLICY_NO_AUTH_DEFAULT",
    "HEARTLOCK_ALLOW_INSECURE_POLICY",
    "PROJECT_VISIBILITY_ENABLED",
    // Metrics
    "HEARTLOCK_METRICS",
    "HEARTLOCK_METRICS_TOKEN",
];

const UNSET: &str = "(unset)";

/// One row of the configuration report. `value` is already redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportLine {
    pub name: &'static str,
    pub value: String,
    pub source: String,
    pub secret: bool,
}

fn opt(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| UNSET.to_string())
}

fn secret(v: &Option<Secret>) -> String {
    match v {
        Some(_) => REDACTED.to_string(),
        None => UNSET.to_string(),
    }
}

fn list(v: &[String]) -> String {
    if v.is_empty() {
        "(empty)".to_string()
    } else {
        v.join(",")
    }
}

/// Display value of one setting and whether it is secret; `None` for an
/// unknown name.
pub(crate) fn display_value(s: &Settings, name: &str) -> Option<(String, bool)> {
    let plain = |v: String| Some((v, false));
    let hidden = |v: String| Some((v, true));
    match name {
        "SECRET_KEY" => hidden(secret(&s.secret_key)),
        "SECRET_KEY_FALLBACKS" => hidden(if s.secret_key_fallbacks.is_empty() {
            UNSET.to_string()
        } else {
            REDACTED.to_string()
        }),
        "DEBUG" => plain(s.debug.to_string()),
        "ALLOWED_HOSTS" => plain(list(&s.allowed_hosts)),
        // Shown with only the password masked: the host is useful to see.
        "DATABASE_URL" => hidden(redact_url_password(s.database_url.expose())),
        "DATABASE_OWNER_URL" => hidden(
            s.database_owner_url
                .as_ref()
                .map_or_else(|| UNSET.to_string(), |u| redact_url_password(u.expose())),
        ),
        "DB_CONN_MAX_AGE" => plain(s.db_conn_max_age_secs.to_string()),
        "HEARTLOCK_ENCRYPTION_KEY" => hidden(secret(&s.encryption_key)),
        "HEARTLOCK_BASE_URL" => plain(opt(&s.base_url)),
        "HEARTLOCK_DATA_DIR" => plain(s.data_dir.display().to_string()),
        "HEARTLOCK_BIND" => plain(s.bind.to_string()),
        "HEARTLOCK_DISABLE_ONBOARDING" => plain(s.disable_onboarding.to_string()),
        "HEARTLOCK_INVITATION_EXPIRY_DAYS" => plain(s.invitation_expiry_days.to_string()),
        "HEARTLOCK_SHARE_ENABLED" => plain(s.shares.enabled.to_string()),
        "HEARTLOCK_SHARE_ALLOW_ANONYMOUS" => plain(s.shares.allow_anonymous.to_string()),
        "HEARTLOCK_SHARE_MAX_DAYS" => plain(s.shares.max_days.to_string()),
        "HEARTLOCK_SHARE_MAX_BYTES" => plain(s.shares.max_bytes.to_string()),
        "HEARTLOCK_SHARE_MAX_ACTIVE" => plain(s.shares.max_active.to_string()),
        "HEARTLOCK_MAX_BODY_BYTES" => plain(s.max_body_bytes.to_string()),
        "HEARTLOCK_MAX_SECRET_BYTES" => plain(s.max_secret_bytes.to_string()),
        "CORS_ALLOWED_ORIGINS" => plain(list(&s.cors_allowed_origins)),
        "CSRF_TRUSTED_ORIGINS" => plain(list(&s.csrf_trusted_origins_raw)),
        "SECURE_SSL_REDIRECT" => plain(s.secure_ssl_redirect.to_string()),
        "TRUSTED_PROXIES" => plain(list(
            &s.trusted_proxies
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
        )),
        "APP_ENV" => plain(opt(&s.app_env)),
        "LOG_FORMAT" => plain(s.log_format.as_str().to_string()),
        "OIDC_ENABLE" => plain(match s.oidc.enable {
            Some(b) => b.to_string(),
            None => format!("(auto: {})", s.oidc_enabled()),
        }),
        "OIDC_CLIENT_ID" => plain(opt(&s.oidc.client_id)),
        "OIDC_CLIENT_SECRET" => hidden(secret(&s.oidc.client_secret)),
        "OIDC_AUTHORIZATION_ENDPOINT" => plain(opt(&s.oidc.authorization_endpoint)),
        "OIDC_TOKEN_ENDPOINT" => plain(opt(&s.oidc.token_endpoint)),
        "OIDC_USERINFO_ENDPOINT" => plain(opt(&s.oidc.userinfo_endpoint)),
        "OIDC_JWKS_ENDPOINT" => plain(opt(&s.oidc.jwks_endpoint)),
        "OIDC_END_SESSION_ENDPOINT" => plain(opt(&s.oidc.end_session_endpoint)),
        "OIDC_REDIRECT_URI" => plain(opt(&s.oidc.redirect_uri)),
        "OIDC_SIGN_ALGO" => plain(s.oidc.sign_algo.clone()),
        "OIDC_SCOPES" => plain(s.oidc.scopes.join(" ")),
        "OIDC_ISSUER" => plain(opt(&s.oidc.issuer)),
        "OIDC_GROUPS_CLAIM" => plain(s.oidc.groups_claim.clone()),
        "EMAIL_BACKEND" => plain(s.email.backend.as_str().to_string()),
        "EMAIL_HOST" => plain(opt(&s.email.host)),
        "EMAIL_PORT" => plain(s.email.port.to_string()),
        "EMAIL_HOST_USER" => plain(opt(&s.email.host_user)),
        "EMAIL_HOST_PASSWORD" => hidden(secret(&s.email.host_password)),
        "EMAIL_USE_TLS" => plain(s.email.use_tls.to_string()),
        "EMAIL_USE_SSL" => plain(s.email.use_ssl.to_string()),
        "EMAIL_TIMEOUT" => plain(s.email.timeout_secs.to_string()),
        "EMAIL_SSL_CAFILE" => plain(opt(&s.email.ssl_cafile)),
        "EMAIL_RETRY_BASE_SECONDS" => plain(s.email.retry_base_secs.to_string()),
        "DEFAULT_FROM_EMAIL" => plain(s.email.default_from_email.clone()),
        "JWT_SECRET_KEY" => hidden(secret(&s.jwt.secret_key)),
        "JWT_ALGORITHM" => plain(s.jwt.algorithm.as_str().to_string()),
        "ACCESS_TOKEN_EXPIRE_HOURS" => plain(s.jwt.access_token_expire_hours.to_string()),
        "REFRESH_TOKEN_EXPIRE_DAYS" => plain(s.jwt.refresh_token_expire_days.to_string()),
        "VAPID_PUBLIC_KEY" => plain(opt(&s.vapid.public_key)),
        "VAPID_PRIVATE_KEY" => hidden(secret(&s.vapid.private_key)),
        "VAPID_SUBJECT" => plain(s.vapid.subject.clone()),
        "TURNSTILE_ENABLED" => plain(s.turnstile.enabled.to_string()),
        "TURNSTILE_SITE_KEY" => plain(opt(&s.turnstile.site_key)),
        "TURNSTILE_SECRET_KEY" => hidden(secret(&s.turnstile.secret_key)),
        "TURNSTILE_REQUIRE_ON_LOGIN" => plain(s.turnstile.require_on_login.to_string()),
        "TURNSTILE_REQUIRE_ON_REGISTER" => plain(s.turnstile.require_on_register.to_string()),
        "TURNSTILE_REQUIRE_ON_PASSWORD_CHANGE" => {
            plain(s.turnstile.require_on_password_change.to_string())
        }
        "TURNSTILE_VERIFY_URL" => plain(s.turnstile.verify_url.clone()),
        "DEFAULT_USER_ROLE" => plain(s.users.default_role.as_str().to_string()),
        "ENABLE_REGISTRATION" => plain(s.users.enable_registration.to_string()),
        "HEARTLOCK_ALLOW_OPEN_ADMIN_REGISTRATION" => {
            plain(s.users.allow_open_admin_registration.to_string())
        }
        "ADMIN_CONTACT_EMAIL" => plain(opt(&s.users.admin_contact_email)),
        "ADMIN_CONTACT_URL" => plain(opt(&s.users.admin_contact_url)),
        "POLICY_NO_AUTH_DEFAULT" => plain(s.policy_no_auth_default.as_str().to_string()),
        "HEARTLOCK_ALLOW_INSECURE_POLICY" => plain(s.allow_insecure_policy.to_string()),
        "PROJECT_VISIBILITY_ENABLED" => plain(s.project_visibility_enabled.to_string()),
        "HEARTLOCK_METRICS" => plain(s.metrics.enabled.to_string()),
        "HEARTLOCK_METRICS_TOKEN" => hidden(secret(&s.metrics.token)),
        _ => None,
    }
}

impl Settings {
    /// Every setting in [`SETTING_NAMES`] order, secrets redacted.
    pub fn report(&self) -> Vec<ReportLine> {
        SETTING_NAMES
            .iter()
            .filter_map(|name| {
                let (value, secret) = display_value(self, name)?;
                let source = self
                    .source_of(name)
                    .map_or_else(|| "default".to_string(), |s| s.to_string());
                Some(ReportLine {
                    name,
                    value,
                    source,
                    secret,
                })
            })
            .collect()
    }
}

/// Aligned table: `NAME  value  (source)`, one line per setting.
pub fn render_report(lines: &[ReportLine]) -> String {
    let name_w = lines.iter().map(|l| l.name.len()).max().unwrap_or(0);
    let value_w = lines
        .iter()
        .map(|l| l.value.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for l in lines {
        let row = format!("{:name_w$}  {:value_w$}  ({})", l.name, l.value, l.source);
        out.push_str(row.trim_end());
        out.push('\n');
    }
    out
}
