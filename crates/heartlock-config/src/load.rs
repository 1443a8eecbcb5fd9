//! Assembling [`Settings`] from the layers: file discovery, precedence and
//! the core setting group. Feature groups live in `load_groups`.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;

use crate::reader::Reader;
use crate::settings::{
    DEFAULT_ALLOWED_HOSTS, DEFAULT_BIND_PORT, DEFAULT_DATA_DIR, default_database_url,
};
use crate::sources::{Layer, Layers, OIDC_NAMES, read_appconfig, read_dotenv};
use crate::validate;
use crate::{ConfigError, LoadInput, LogFormat, NoAuthPolicy, Secret, Settings, Source};

mod groups;

type Result<T> = std::result::Result<T, ConfigError>;

/// Result of a successful load.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub settings: Settings,
    /// Non-fatal problems (e.g. ignored appconfig.json keys). Never values.
    pub warnings: Vec<String>,
}

/// Load settings from appconfig.json, `input.env`, `.env.$APP_ENV`, `.env`
/// and defaults, highest precedence first.
pub fn load(input: &LoadInput) -> Result<Loaded> {
    let cwd = input.cwd.as_path();
    let dotenv_path = cwd.join(".env");
    let dotenv = read_dotenv(&dotenv_path)?;
    let app_env = resolve_app_env(&input.env, dotenv.as_ref(), &dotenv_path)?;

    let mut layers = vec![Layer {
        source: Source::Environment,
        values: input.env.clone(),
    }];
    if let Some((name, _)) = &app_env {
        let path = cwd.join(format!(".env.{name}"));
        if let Some(values) = read_dotenv(&path)? {
            layers.push(Layer {
                source: Source::AppEnvFile(path),
                values,
            });
        }
    }
    if let Some(values) = dotenv {
        layers.push(Layer {
            source: Source::DotEnv(dotenv_path),
            values,
        });
    }
    let mut layers = Layers(layers);

    // appconfig.json lives in the data dir, so the data dir can only come
    // from the layers below it.
    let data_dir_raw = layers
        .lookup("HEARTLOCK_DATA_DIR")
        .map(|(v, _)| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| DEFAULT_DATA_DIR.to_string());
    let appconfig_path = cwd.join(&data_dir_raw).join("appconfig.json");
    let mut warnings = Vec::new();
    let mut oidc_lower = None;
    if let Some(appconfig) = read_appconfig(&appconfig_path)? {
        warnings.extend(appconfig.warnings);
        // Kept so the admin-set (appconfig) OIDC values can be replaced at
        // run time over what the other layers give.
        if appconfig
            .values
            .keys()
            .any(|k| OIDC_NAMES.contains(&k.as_str()))
        {
            oidc_lower = Some(crate::live_oidc::from_layers(&layers).map(Box::new));
        }
        layers.0.insert(
            0,
            Layer {
                source: Source::AppConfig(appconfig_path),
                values: appconfig.values,
            },
        );
    }

    let mut settings = build(Reader::new(&layers), cwd, &data_dir_raw, app_env)?;
    settings.oidc_lower = oidc_lower;
    Ok(Loaded { settings, warnings })
}

/// APP_ENV comes from the process environment, then `.env`. It becomes part
/// of a file name, so path separators and leading dots are refused.
fn resolve_app_env(
    env: &HashMap<String, String>,
    dotenv: Option<&HashMap<String, String>>,
    dotenv_path: &Path,
) -> Result<Option<(String, Source)>> {
    let found = match env
        .get("APP_ENV")
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
    {
        Some(v) => Some((v.to_string(), Source::Environment)),
        None => dotenv
            .and_then(|d| d.get("APP_ENV"))
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .map(|v| (v.to_string(), Source::DotEnv(dotenv_path.to_path_buf()))),
    };
    if let Some((name, source)) = &found {
        let ok = !name.starts_with('.')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !ok {
            return Err(ConfigError::invalid(
                "APP_ENV",
                "a name made of letters, digits, '-', '_' or '.' (used in the file name .env.$APP_ENV)",
                source,
            ));
        }
    }
    Ok(found)
}

fn build(
    mut reader: Reader<'_>,
    cwd: &Path,
    data_dir_raw: &str,
    app_env: Option<(String, Source)>,
) -> Result<Settings> {
    let r = &mut reader;
    let debug = r.bool_or("DEBUG", false)?;
    let secret_key = r.secret("SECRET_KEY");
    // Older keys still accepted when verifying signatures (rotation, as Django does).
    let secret_key_fallbacks = r
        .secret("SECRET_KEY_FALLBACKS")
        .map(|v| {
            validate::comma_list(v.expose())
                .into_iter()
                .map(Secret::new)
                .collect()
        })
        .unwrap_or_default();
    let allowed_hosts = r
        .list(
            "ALLOWED_HOSTS",
            "a comma-separated list of host names (example.com, .example.com or *), optionally with :port",
            validate::allowed_host,
        )?
        .unwrap_or_else(|| DEFAULT_ALLOWED_HOSTS.iter().map(|s| s.to_string()).collect());

    let database_url = r
        .checked(
            "DATABASE_URL",
            "a sqlite: URL or a postgres:// / postgresql:// URL with a host",
            |v| (validate::is_sqlite_url(v) || validate::is_postgres_url(v)).then(|| v.to_string()),
        )?
        .unwrap_or_else(|| default_database_url(data_dir_raw));
    let database_owner_url = r.checked(
        "DATABASE_OWNER_URL",
        "a postgres:// or postgresql:// URL with a host",
        |v| validate::is_postgres_url(v).then(|| Secret::new(v)),
    )?;

    let encryption_key = r.secret("HEARTLOCK_ENCRYPTION_KEY");
    if let Some(key) = &encryption_key
        && let Err(position) = validate::fernet_keys(key.expose())
    {
        return Err(ConfigError::invalid(
            "HEARTLOCK_ENCRYPTION_KEY",
            format!(
                "comma-separated Fernet keys (URL-safe base64 of 32 bytes, 43 or 44 characters); key {position} is not valid"
            ),
            r.source("HEARTLOCK_ENCRYPTION_KEY"),
        ));
    }

    let base_url = r.checked(
        "HEARTLOCK_BASE_URL",
        "an http(s) URL without query string or fragment",
        validate::base_url,
    )?;
    let disable_onboarding = r.bool_or("HEARTLOCK_DISABLE_ONBOARDING", false)?;
    let invitation_expiry_days = r.int_or("HEARTLOCK_INVITATION_EXPIRY_DAYS", 1, 365, 7)?;
    r.string("HEARTLOCK_DATA_DIR"); // records the source; value resolved in `load`
    let bind = r
        .checked(
            "HEARTLOCK_BIND",
            "a socket address such as 0.0.0.0:8082 or [::]:8082",
            |v| v.parse::<SocketAddr>().ok(),
        )?
        .unwrap_or(SocketAddr::from((Ipv4Addr::UNSPECIFIED, DEFAULT_BIND_PORT)));
    let db_conn_max_age_secs = r.int_or("DB_CONN_MAX_AGE", 0, u64::MAX, 60)?;
    let origins_expected = "a comma-separated list of origins (scheme://host[:port], no path)";
    let cors_allowed_origins = r
        .list("CORS_ALLOWED_ORIGINS", origins_expected, validate::origin)?
        .unwrap_or_default();
    let csrf_trusted_origins_raw = r
        .list("CSRF_TRUSTED_ORIGINS", origins_expected, validate::origin)?
        .unwrap_or_default();
    let secure_ssl_redirect = r.bool_or("SECURE_SSL_REDIRECT", !debug)?;
    let trusted_proxies = r
        .checked(
            "TRUSTED_PROXIES",
            "a comma-separated list of IP addresses or CIDR ranges (10.0.0.0/8, ::1)",
            validate::cidr_list,
        )?
        // A proxy on the same host is the common case; anything else is named.
        .unwrap_or_else(|| {
            ["127.0.0.0/8", "::1/128"]
                .iter()
                .filter_map(|n| n.parse().ok())
                .collect()
        });
    let log_format = r.choice(
        "LOG_FORMAT",
        &[("text", LogFormat::Text), ("json", LogFormat::Json)],
        LogFormat::Text,
    )?;
    let max_body_bytes = r.int_or("HEARTLOCK_MAX_BODY_BYTES", 1, u64::MAX, 1_048_576)?;
    let max_secret_bytes = r.int_or("HEARTLOCK_MAX_SECRET_BYTES", 1, u64::MAX, 65_536)?;

    let policy_no_auth_default = r.choice(
        "POLICY_NO_AUTH_DEFAULT",
        &[
            ("deny", NoAuthPolicy::Deny),
            ("view_only", NoAuthPolicy::ViewOnly),
            ("allow_all", NoAuthPolicy::AllowAll),
        ],
        NoAuthPolicy::Deny,
    )?;
    let allow_insecure_policy = r.bool_or("HEARTLOCK_ALLOW_INSECURE_POLICY", false)?;
    if policy_no_auth_default != NoAuthPolicy::Deny && !debug && !allow_insecure_policy {
        return Err(ConfigError::conflict(format!(
            "POLICY_NO_AUTH_DEFAULT={} exposes secrets to unauthenticated requests and is refused \
             when DEBUG is off; use POLICY_NO_AUTH_DEFAULT=deny, or set \
             HEARTLOCK_ALLOW_INSECURE_POLICY=true if this is really intended",
            policy_no_auth_default.as_str()
        )));
    }
    let project_visibility_enabled = r.bool_or("PROJECT_VISIBILITY_ENABLED", false)?;
    let metrics = crate::MetricsSettings {
        enabled: r.bool_or("HEARTLOCK_METRICS", false)?,
        // A short token could be guessed; anything but visible ASCII could
        // not be sent in an Authorization header.
        token: r.checked(
            "HEARTLOCK_METRICS_TOKEN",
            "at least 24 visible ASCII characters, no spaces (e.g. `openssl rand -hex 32`)",
            |v| (v.len() >= 24 && v.bytes().all(|b| b.is_ascii_graphic())).then(|| Secret::new(v)),
        )?,
    };

    let oidc = groups::oidc(r)?;
    let email = groups::email(r)?;
    let jwt = groups::jwt(r)?;
    let vapid = groups::vapid(r)?;
    let turnstile = groups::turnstile(r)?;
    let shares = groups::shares(r)?;
    let users = groups::users(r)?;

    // APP_ENV was resolved before the layers existed; record it here.
    let mut records = reader.into_records();
    let app_env = match app_env {
        Some((name, source)) => {
            records.insert("APP_ENV", source);
            Some(name)
        }
        None => {
            records.insert("APP_ENV", Source::Default);
            None
        }
    };

    Ok(Settings {
        secret_key,
        secret_key_fallbacks,
        debug,
        allowed_hosts,
        database_url: Secret::new(database_url),
        encryption_key,
        base_url,
        disable_onboarding,
        invitation_expiry_days: u32::try_from(invitation_expiry_days).unwrap_or(365),
        data_dir: cwd.join(data_dir_raw),
        bind,
        db_conn_max_age_secs,
        cors_allowed_origins,
        csrf_trusted_origins_raw,
        secure_ssl_redirect,
        trusted_proxies,
        app_env,
        log_format,
        // Saturate rather than fail on 32-bit targets.
        max_body_bytes: usize::try_from(max_body_bytes).unwrap_or(usize::MAX),
        max_secret_bytes: usize::try_from(max_secret_bytes).unwrap_or(usize::MAX),
        database_owner_url,
        oidc,
        email,
        jwt,
        vapid,
        turnstile,
        shares,
        users,
        metrics,
        policy_no_auth_default,
        allow_insecure_policy,
        project_visibility_enabled,
        records,
        cwd: cwd.to_path_buf(),
        oidc_lower: None,
    })
}

/// The OIDC group, for re-reading it over other layers at run time.
pub(crate) fn oidc_group(r: &mut Reader<'_>) -> Result<crate::OidcSettings> {
    groups::oidc(r)
}
