//! One function per feature group of settings.

use crate::reader::Reader;
use crate::settings::{
    DEFAULT_FROM_EMAIL, DEFAULT_OIDC_SCOPES, DEFAULT_TURNSTILE_VERIFY_URL, DEFAULT_VAPID_SUBJECT,
    split_scopes,
};
use crate::validate;
use crate::{
    ConfigError, EmailBackend, EmailSettings, JwtAlgorithm, JwtSettings, OidcSettings,
    ShareSettings, TurnstileSettings, UserRole, UserSettings, VapidSettings,
};

type Result<T> = std::result::Result<T, ConfigError>;

const SIGN_ALGOS: &[(&str, &str)] = &[
    ("RS256", "RS256"),
    ("RS384", "RS384"),
    ("RS512", "RS512"),
    ("ES256", "ES256"),
    ("ES384", "ES384"),
    ("PS256", "PS256"),
    ("PS384", "PS384"),
    ("PS512", "PS512"),
    ("HS256", "HS256"),
    ("HS384", "HS384"),
    ("HS512", "HS512"),
    ("EdDSA", "EdDSA"),
];

pub(super) fn oidc(r: &mut Reader<'_>) -> Result<OidcSettings> {
    Ok(OidcSettings {
        enable: r.opt_bool("OIDC_ENABLE")?,
        client_id: r.string("OIDC_CLIENT_ID"),
        client_secret: r.secret("OIDC_CLIENT_SECRET"),
        authorization_endpoint: r.http_url("OIDC_AUTHORIZATION_ENDPOINT")?,
        token_endpoint: r.http_url("OIDC_TOKEN_ENDPOINT")?,
        userinfo_endpoint: r.http_url("OIDC_USERINFO_ENDPOINT")?,
        jwks_endpoint: r.http_url("OIDC_JWKS_ENDPOINT")?,
        end_session_endpoint: r.http_url("OIDC_END_SESSION_ENDPOINT")?,
        redirect_uri: r.http_url("OIDC_REDIRECT_URI")?,
        sign_algo: r.choice("OIDC_SIGN_ALGO", SIGN_ALGOS, "RS256")?.to_string(),
        scopes: split_scopes(&r.string_or("OIDC_SCOPES", DEFAULT_OIDC_SCOPES)),
        issuer: r.http_url("OIDC_ISSUER")?,
        groups_claim: r.string_or("OIDC_GROUPS_CLAIM", "groups"),
    })
}

pub(super) fn email(r: &mut Reader<'_>) -> Result<EmailSettings> {
    let host = r.string("EMAIL_HOST");
    let port = r.int_or("EMAIL_PORT", 1, 65535, 587)?;
    let host_user = r.string("EMAIL_HOST_USER");
    let host_password = r.secret("EMAIL_HOST_PASSWORD");
    let use_ssl = r.bool_or("EMAIL_USE_SSL", false)?;
    // TLS defaults to on, but choosing SSL alone should not force users to
    // also switch TLS off explicitly.
    let use_tls = r.opt_bool("EMAIL_USE_TLS")?.unwrap_or(!use_ssl);
    if use_tls && use_ssl {
        return Err(ConfigError::conflict(
            "EMAIL_USE_TLS and EMAIL_USE_SSL are both true; enable only one \
             (EMAIL_USE_TLS for STARTTLS, usually port 587; EMAIL_USE_SSL for implicit TLS, usually port 465)",
        ));
    }
    let default_from_email = r
        .checked(
            "DEFAULT_FROM_EMAIL",
            "an email address such as heartlock@example.com or Name <heartlock@example.com>",
            |v| validate::email_ish(v).then(|| v.to_string()),
        )?
        .unwrap_or_else(|| DEFAULT_FROM_EMAIL.to_string());
    let timeout_secs = r.int_or("EMAIL_TIMEOUT", 1, u64::MAX, 10)?;
    let ssl_cafile = r.string("EMAIL_SSL_CAFILE");
    let retry_base_secs = r.int_or("EMAIL_RETRY_BASE_SECONDS", 1, 3600, 30)?;
    let default_backend = if host.is_some() {
        EmailBackend::Smtp
    } else {
        EmailBackend::Console
    };
    let backend = r.choice(
        "EMAIL_BACKEND",
        &[
            ("console", EmailBackend::Console),
            ("smtp", EmailBackend::Smtp),
        ],
        default_backend,
    )?;
    if backend == EmailBackend::Smtp && host.is_none() {
        return Err(ConfigError::conflict(
            "EMAIL_BACKEND=smtp requires EMAIL_HOST; set EMAIL_HOST or use EMAIL_BACKEND=console",
        ));
    }
    Ok(EmailSettings {
        host,
        port: u16::try_from(port).unwrap_or(u16::MAX),
        host_user,
        host_password,
        use_tls,
        use_ssl,
        default_from_email,
        timeout_secs,
        backend,
        ssl_cafile,
        retry_base_secs,
    })
}

pub(super) fn jwt(r: &mut Reader<'_>) -> Result<JwtSettings> {
    Ok(JwtSettings {
        secret_key: r.secret("JWT_SECRET_KEY"),
        algorithm: r.choice(
            "JWT_ALGORITHM",
            &[
                ("HS256", JwtAlgorithm::HS256),
                ("HS384", JwtAlgorithm::HS384),
                ("HS512", JwtAlgorithm::HS512),
            ],
            JwtAlgorithm::HS256,
        )?,
        // Upper bounds keep expiry arithmetic far from overflow.
        access_token_expire_hours: r.int_or("ACCESS_TOKEN_EXPIRE_HOURS", 1, 87_600, 24)?,
        refresh_token_expire_days: r.int_or("REFRESH_TOKEN_EXPIRE_DAYS", 1, 3_650, 7)?,
    })
}

pub(super) fn vapid(r: &mut Reader<'_>) -> Result<VapidSettings> {
    let public_key = r.checked(
        "VAPID_PUBLIC_KEY",
        "base64url (padding optional) of a 65-byte uncompressed P-256 public key starting with 0x04",
        |v| validate::vapid_public_key(v).then(|| v.to_string()),
    )?;
    let private_key = r.secret("VAPID_PRIVATE_KEY");
    if let Some(key) = &private_key
        && !validate::vapid_private_key(key.expose())
    {
        return Err(ConfigError::invalid(
            "VAPID_PRIVATE_KEY",
            "base64url (padding optional) of a PKCS#8 DER P-256 private key",
            r.source("VAPID_PRIVATE_KEY"),
        ));
    }
    if public_key.is_some() != private_key.is_some() {
        return Err(ConfigError::conflict(
            "VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY must be set together (or both left unset)",
        ));
    }
    if let (Some(public), Some(private)) = (&public_key, &private_key)
        && heartlock_core::webpush::VapidKeys::parse(public, private.expose()).is_err()
    {
        return Err(ConfigError::conflict(
            "VAPID_PUBLIC_KEY does not belong to VAPID_PRIVATE_KEY: set both from the same \
             generated pair (`heartlock gen-vapid` prints one)",
        ));
    }
    let subject = r
        .checked(
            "VAPID_SUBJECT",
            "a contact starting with mailto: or https://",
            |v| (v.starts_with("mailto:") || v.starts_with("https://")).then(|| v.to_string()),
        )?
        .unwrap_or_else(|| DEFAULT_VAPID_SUBJECT.to_string());
    Ok(VapidSettings {
        public_key,
        private_key,
        subject,
    })
}

pub(super) fn shares(r: &mut Reader<'_>) -> Result<ShareSettings> {
    let max_bytes = r.int_or("HEARTLOCK_SHARE_MAX_BYTES", 1, 16 * 1_048_576, 1_048_576)?;
    Ok(ShareSettings {
        enabled: r.bool_or("HEARTLOCK_SHARE_ENABLED", true)?,
        allow_anonymous: r.bool_or("HEARTLOCK_SHARE_ALLOW_ANONYMOUS", false)?,
        max_days: u32::try_from(r.int_or("HEARTLOCK_SHARE_MAX_DAYS", 1, 365, 7)?).unwrap_or(365),
        max_bytes: usize::try_from(max_bytes).unwrap_or(usize::MAX),
        max_active: u32::try_from(r.int_or("HEARTLOCK_SHARE_MAX_ACTIVE", 1, 10_000, 50)?)
            .unwrap_or(10_000),
    })
}

pub(super) fn turnstile(r: &mut Reader<'_>) -> Result<TurnstileSettings> {
    let settings = TurnstileSettings {
        enabled: r.bool_or("TURNSTILE_ENABLED", false)?,
        site_key: r.string("TURNSTILE_SITE_KEY"),
        secret_key: r.secret("TURNSTILE_SECRET_KEY"),
        require_on_login: r.bool_or("TURNSTILE_REQUIRE_ON_LOGIN", false)?,
        require_on_register: r.bool_or("TURNSTILE_REQUIRE_ON_REGISTER", true)?,
        require_on_password_change: r.bool_or("TURNSTILE_REQUIRE_ON_PASSWORD_CHANGE", true)?,
        verify_url: r
            .http_url("TURNSTILE_VERIFY_URL")?
            .unwrap_or_else(|| DEFAULT_TURNSTILE_VERIFY_URL.to_string()),
    };
    if settings.enabled {
        let mut missing = Vec::new();
        if settings.site_key.is_none() {
            missing.push("TURNSTILE_SITE_KEY");
        }
        if settings.secret_key.is_none() {
            missing.push("TURNSTILE_SECRET_KEY");
        }
        if !missing.is_empty() {
            return Err(ConfigError::conflict(format!(
                "TURNSTILE_ENABLED is true but {} {} not set; set {} or disable Turnstile",
                missing.join(" and "),
                if missing.len() == 1 { "is" } else { "are" },
                if missing.len() == 1 { "it" } else { "them" },
            )));
        }
    }
    Ok(settings)
}

pub(super) fn users(r: &mut Reader<'_>) -> Result<UserSettings> {
    Ok(UserSettings {
        default_role: r.choice(
            "DEFAULT_USER_ROLE",
            &[("user", UserRole::User), ("admin", UserRole::Admin)],
            UserRole::User,
        )?,
        enable_registration: r.bool_or("ENABLE_REGISTRATION", true)?,
        allow_open_admin_registration: r
            .bool_or("HEARTLOCK_ALLOW_OPEN_ADMIN_REGISTRATION", false)?,
        admin_contact_email: r.string("ADMIN_CONTACT_EMAIL"),
        admin_contact_url: r.http_url("ADMIN_CONTACT_URL")?,
    })
}
