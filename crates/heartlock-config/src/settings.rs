//! The typed settings and the helpers derived from them.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use crate::validate;
use crate::{ConfigError, Secret, Source};
pub use ipnet::IpNet;

pub(crate) const DEFAULT_DATA_DIR: &str = "heartlock_data";
pub(crate) const DEFAULT_BIND_PORT: u16 = 8082;
pub(crate) const DEFAULT_ALLOWED_HOSTS: &[&str] = &["localhost", "127.0.0.1"];
pub(crate) const DEFAULT_OIDC_SCOPES: &str = "openid email profile";
pub(crate) const DEFAULT_FROM_EMAIL: &str = "heartlock@localhost";
pub(crate) const DEFAULT_VAPID_SUBJECT: &str = "mailto:admin@example.com";
pub(crate) const DEFAULT_TURNSTILE_VERIFY_URL: &str =
    "https://challenges.cloudflare.com/turnstile/v0/siteverify";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoAuthPolicy {
    Deny,
    ViewOnly,
    AllowAll,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserRole {
    User,
    Admin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailBackend {
    Console,
    Smtp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::upper_case_acronyms)]
pub enum JwtAlgorithm {
    HS256,
    HS384,
    HS512,
}

impl LogFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        }
    }
}

impl NoAuthPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            NoAuthPolicy::Deny => "deny",
            NoAuthPolicy::ViewOnly => "view_only",
            NoAuthPolicy::AllowAll => "allow_all",
        }
    }
}

impl UserRole {
    pub fn as_str(self) -> &'static str {
        match self {
            UserRole::User => "user",
            UserRole::Admin => "admin",
        }
    }
}

impl EmailBackend {
    pub fn as_str(self) -> &'static str {
        match self {
            EmailBackend::Console => "console",
            EmailBackend::Smtp => "smtp",
        }
    }
}

impl JwtAlgorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            JwtAlgorithm::HS256 => "HS256",
            JwtAlgorithm::HS384 => "HS384",
            JwtAlgorithm::HS512 => "HS512",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct OidcSettings {
    /// Explicit OIDC_ENABLE; `None` means "auto" (see [`Settings::oidc_enabled`]).
    pub enable: Option<bool>,
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    pub authorization_endpoint: Option<String>,
    pub token_endpoint: Option<String>,
    pub userinfo_endpoint: Option<String>,
    pub jwks_endpoint: Option<String>,
    pub end_session_endpoint: Option<String>,
    pub redirect_uri: Option<String>,
    /// Canonical spelling, e.g. "RS256" or "EdDSA".
    pub sign_algo: String,
    pub scopes: Vec<String>,
    pub issuer: Option<String>,
    pub groups_claim: String,
}

impl OidcSettings {
    /// Explicit OIDC_ENABLE, else on when enough provider data is present.
    pub fn enabled(&self) -> bool {
        self.enable.unwrap_or(
            self.client_id.is_some()
                && self.authorization_endpoint.is_some()
                && self.token_endpoint.is_some()
                && (self.userinfo_endpoint.is_some() || self.issuer.is_some()),
        )
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct EmailSettings {
    pub host: Option<String>,
    pub port: u16,
    pub host_user: Option<String>,
    pub host_password: Option<Secret>,
    pub use_tls: bool,
    pub use_ssl: bool,
    pub default_from_email: String,
    pub timeout_secs: u64,
    pub backend: EmailBackend,
    /// EMAIL_SSL_CAFILE: a PEM bundle of extra root certificates trusted for
    /// the relay (a private CA), besides the built-in public roots.
    pub ssl_cafile: Option<String>,
    /// EMAIL_RETRY_BASE_SECONDS: the first retry delay of the outbox; it
    /// doubles per attempt, capped at one hour.
    pub retry_base_secs: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct JwtSettings {
    pub secret_key: Option<Secret>,
    pub algorithm: JwtAlgorithm,
    pub access_token_expire_hours: u64,
    pub refresh_token_expire_days: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VapidSettings {
    pub public_key: Option<String>,
    pub private_key: Option<Secret>,
    pub subject: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TurnstileSettings {
    pub enabled: bool,
    pub site_key: Option<String>,
    pub secret_key: Option<Secret>,
    pub require_on_login: bool,
    pub require_on_register: bool,
    pub require_on_password_change: bool,
    pub verify_url: String,
}

/// Share links (`/s/<id>#<key>`, see docs/shares.md).
#[derive(Debug, Clone, PartialEq)]
pub struct ShareSettings {
    /// HEARTLOCK_SHARE_ENABLED: off, nobody creates share links.
    pub enabled: bool,
    /// HEARTLOCK_SHARE_ALLOW_ANONYMOUS: visitors without an account may
    /// create them too.
    pub allow_anonymous: bool,
    /// HEARTLOCK_SHARE_MAX_DAYS: the longest expiry a sender may ask for.
    pub max_days: u32,
    /// HEARTLOCK_SHARE_MAX_BYTES: the largest content (text or file).
    pub max_bytes: usize,
    /// HEARTLOCK_SHARE_MAX_ACTIVE: live shares per person (or address).
    pub max_active: u32,
}

/// The `/metrics` endpoint (see docs/metrics.md).
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsSettings {
    /// HEARTLOCK_METRICS: serve `/metrics` without a token.
    pub enabled: bool,
    /// HEARTLOCK_METRICS_TOKEN: serve `/metrics` to `Authorization: Bearer`
    /// this token only (whether or not `enabled` is set).
    pub token: Option<Secret>,
}

impl MetricsSettings {
    /// Whether `/metrics` is served at all.
    pub fn served(&self) -> bool {
        self.enabled || self.token.is_some()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct UserSettings {
    pub default_role: UserRole,
    pub enable_registration: bool,
    /// HEARTLOCK_ALLOW_OPEN_ADMIN_REGISTRATION: the operator really wants
    /// every self-registered account to be a server administrator.
    pub allow_open_admin_registration: bool,
    pub admin_contact_email: Option<String>,
    pub admin_contact_url: Option<String>,
}

/// Every Heartlock setting, typed. Build it with [`crate::load`].
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub secret_key: Option<Secret>,
    /// SECRET_KEY_FALLBACKS: previous keys, accepted when verifying only.
    pub secret_key_fallbacks: Vec<Secret>,
    pub debug: bool,
    pub allowed_hosts: Vec<String>,
    /// A Secret because it may embed a password.
    pub database_url: Secret,
    /// One or more comma-separated Fernet keys; the first one encrypts.
    pub encryption_key: Option<Secret>,
    /// http(s) URL without a trailing slash.
    pub base_url: Option<String>,
    pub disable_onboarding: bool,
    pub invitation_expiry_days: u32,
    /// As configured, joined onto the load cwd when relative.
    pub data_dir: PathBuf,
    pub bind: SocketAddr,
    pub db_conn_max_age_secs: u64,
    /// Normalised origins (`scheme://host[:port]`) or `*`.
    pub cors_allowed_origins: Vec<String>,
    /// CSRF_TRUSTED_ORIGINS as configured; see [`Settings::csrf_trusted_origins`].
    pub csrf_trusted_origins_raw: Vec<String>,
    pub secure_ssl_redirect: bool,
    /// TRUSTED_PROXIES: peers whose X-Forwarded-* / Forwarded headers are believed.
    pub trusted_proxies: Vec<IpNet>,
    pub app_env: Option<String>,
    pub log_format: LogFormat,
    pub max_body_bytes: usize,
    pub max_secret_bytes: usize,
    pub database_owner_url: Option<Secret>,
    pub oidc: OidcSettings,
    pub email: EmailSettings,
    pub jwt: JwtSettings,
    pub vapid: VapidSettings,
    pub turnstile: TurnstileSettings,
    pub shares: ShareSettings,
    pub users: UserSettings,
    pub metrics: MetricsSettings,
    pub policy_no_auth_default: NoAuthPolicy,
    pub allow_insecure_policy: bool,
    pub project_visibility_enabled: bool,
    pub(crate) records: HashMap<&'static str, Source>,
    pub(crate) cwd: PathBuf,
    /// The OIDC group read without appconfig.json, when that file set an
    /// OIDC value (see `Settings::oidc_without_appconfig`).
    pub(crate) oidc_lower: Option<Result<Box<crate::EffectiveOidc>, ConfigError>>,
}

impl Settings {
    /// CSRF_TRUSTED_ORIGINS when set, otherwise the CORS origins (an origin
    /// allowed to call the API cross-site must also pass CSRF checks).
    pub fn csrf_trusted_origins(&self) -> &[String] {
        if self.csrf_trusted_origins_raw.is_empty() {
            &self.cors_allowed_origins
        } else {
            &self.csrf_trusted_origins_raw
        }
    }

    /// Explicit OIDC_ENABLE, else on when enough provider data is present.
    pub fn oidc_enabled(&self) -> bool {
        self.oidc.enabled()
    }

    /// OIDC_REDIRECT_URI, else `<base url or request_base>/oauth/callback`.
    pub fn oidc_redirect_uri(&self, request_base: &str) -> String {
        if let Some(uri) = &self.oidc.redirect_uri {
            return uri.clone();
        }
        let base = self.base_url.as_deref().unwrap_or(request_base);
        format!("{}/oauth/callback", base.trim_end_matches('/'))
    }

    /// Database file for a sqlite DATABASE_URL, resolved against the load
    /// cwd. `None` for PostgreSQL and for in-memory sqlite (`sqlite::memory:`).
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        let path = validate::sqlite_file(self.database_url.expose())?;
        Some(if path.is_absolute() {
            path
        } else {
            self.cwd.join(path)
        })
    }

    /// `DEFAULT_USER_ROLE=admin` with `ENABLE_REGISTRATION=true`: any
    /// visitor could make themselves a server administrator.
    pub fn open_admin_registration(&self) -> bool {
        self.users.default_role == UserRole::Admin && self.users.enable_registration
    }

    pub fn is_postgres(&self) -> bool {
        validate::is_postgres_url(self.database_url.expose())
    }

    /// Where a setting (by canonical name) got its value.
    pub fn source_of(&self, name: &str) -> Option<&Source> {
        self.records.get(name)
    }

    /// Whether the operator set this value (environment or a .env file),
    /// as opposed to a default or the wizard's appconfig.json.
    pub fn set_by_operator(&self, name: &str) -> bool {
        fn operator(s: &Source) -> bool {
            match s {
                Source::Environment | Source::DotEnv(_) | Source::AppEnvFile(_) => true,
                Source::Legacy { layer, .. } => operator(layer),
                Source::Default | Source::AppConfig(_) => false,
            }
        }
        self.records.get(name).is_some_and(operator)
    }

    /// The individual encryption keys, first (encrypting) key first.
    pub fn encryption_keys(&self) -> Vec<&str> {
        self.encryption_key
            .as_ref()
            .map(|k| validate::comma_list(k.expose()))
            .unwrap_or_default()
    }

    /// All defaults with DEBUG=true, as if loaded from an empty environment
    /// in `cwd` (no files read). Handy for tests of other crates.
    pub fn for_tests(cwd: &Path) -> Settings {
        let records = crate::report::SETTING_NAMES
            .iter()
            .map(|n| (*n, Source::Default))
            .chain([("DEBUG", Source::Environment)])
            .collect();
        Settings {
            secret_key: None,
            secret_key_fallbacks: Vec::new(),
            debug: true,
            allowed_hosts: DEFAULT_ALLOWED_HOSTS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            database_url: Secret::new(default_database_url(DEFAULT_DATA_DIR)),
            encryption_key: None,
            base_url: None,
            disable_onboarding: false,
            invitation_expiry_days: 7,
            data_dir: cwd.join(DEFAULT_DATA_DIR),
            bind: SocketAddr::from((Ipv4Addr::UNSPECIFIED, DEFAULT_BIND_PORT)),
            db_conn_max_age_secs: 60,
            cors_allowed_origins: Vec::new(),
            csrf_trusted_origins_raw: Vec::new(),
            secure_ssl_redirect: false,
            trusted_proxies: ["127.0.0.0/8", "::1/128"]
                .iter()
                .filter_map(|n| n.parse().ok())
                .collect(),
            app_env: None,
            log_format: LogFormat::Text,
            max_body_bytes: 1_048_576,
            max_secret_bytes: 65_536,
            database_owner_url: None,
            oidc: OidcSettings {
                enable: None,
                client_id: None,
                client_secret: None,
                authorization_endpoint: None,
                token_endpoint: None,
                userinfo_endpoint: None,
                jwks_endpoint: None,
                end_session_endpoint: None,
                redirect_uri: None,
                sign_algo: "RS256".to_string(),
                scopes: split_scopes(DEFAULT_OIDC_SCOPES),
                issuer: None,
                groups_claim: "groups".to_string(),
            },
            email: EmailSettings {
                host: None,
                port: 587,
                host_user: None,
                host_password: None,
                use_tls: true,
                use_ssl: false,
                default_from_email: DEFAULT_FROM_EMAIL.to_string(),
                timeout_secs: 10,
                backend: EmailBackend::Console,
                ssl_cafile: None,
                retry_base_secs: 30,
            },
            jwt: JwtSettings {
                secret_key: None,
                algorithm: JwtAlgorithm::HS256,
                access_token_expire_hours: 24,
                refresh_token_expire_days: 7,
            },
            vapid: VapidSettings {
                public_key: None,
                private_key: None,
                subject: DEFAULT_VAPID_SUBJECT.to_string(),
            },
            turnstile: TurnstileSettings {
                enabled: false,
                site_key: None,
                secret_key: None,
                require_on_login: false,
                require_on_register: true,
                require_on_password_change: true,
                verify_url: DEFAULT_TURNSTILE_VERIFY_URL.to_string(),
            },
            shares: ShareSettings {
                enabled: true,
                allow_anonymous: false,
                max_days: 7,
                max_bytes: 1_048_576,
                max_active: 50,
            },
            users: UserSettings {
                default_role: UserRole::User,
                enable_registration: true,
                allow_open_admin_registration: false,
                admin_contact_email: None,
                admin_contact_url: None,
            },
            metrics: MetricsSettings {
                enabled: false,
                token: None,
            },
            policy_no_auth_default: NoAuthPolicy::Deny,
            allow_insecure_policy: false,
            project_visibility_enabled: false,
            records,
            cwd: cwd.to_path_buf(),
            oidc_lower: None,
        }
    }
}

/// Default DATABASE_URL for a configured (not cwd-joined) data dir, in the
/// Django form `sqlite:///relative` / `sqlite:////absolute` that
/// [`Settings::sqlite_path`] reads back.
pub(crate) fn default_database_url(data_dir: &str) -> String {
    let dir = data_dir.trim_end_matches('/');
    format!("sqlite:///{dir}/db.sqlite3")
}

pub(crate) fn split_scopes(raw: &str) -> Vec<String> {
    raw.split_whitespace().map(str::to_string).collect()
}
