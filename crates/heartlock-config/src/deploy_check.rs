//! `heartlock check --deploy`: production-readiness findings. Messages name
//! settings and say what to do; they never include secret values.

use crate::{EmailBackend, NoAuthPolicy, Settings};

/// Minimum length for signing keys (SECRET_KEY, JWT_SECRET_KEY).
const MIN_KEY_LEN: usize = 32;

/// One deployment problem. `id` is stable so it can be referenced or
/// silenced by tooling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub id: &'static str,
    pub setting: &'static str,
    pub message: String,
}

fn finding(id: &'static str, setting: &'static str, message: impl Into<String>) -> Finding {
    Finding {
        id,
        setting,
        message: message.into(),
    }
}

fn is_http(url: &str) -> bool {
    url.get(..7)
        .is_some_and(|p| p.eq_ignore_ascii_case("http://"))
}

fn is_https(url: &str) -> bool {
    url.get(..8)
        .is_some_and(|p| p.eq_ignore_ascii_case("https://"))
}

impl Settings {
    /// Findings for a production deployment, in a stable order.
    pub fn deploy_check(&self) -> Vec<Finding> {
        let mut out = Vec::new();
        self.check_core(&mut out);
        self.check_web(&mut out);
        self.check_features(&mut out);
        out
    }

    fn check_core(&self, out: &mut Vec<Finding>) {
        match &self.secret_key {
            None => out.push(finding(
                "heartlock.W001",
                "SECRET_KEY",
                "SECRET_KEY is not set; the server refuses to start without it when DEBUG is off. \
                 Set it to a random string of at least 32 characters.",
            )),
            Some(k) if k.expose().chars().count() < MIN_KEY_LEN => out.push(finding(
                "heartlock.W002",
                "SECRET_KEY",
                "SECRET_KEY is shorter than 32 characters; use a longer random value.",
            )),
            Some(_) => {}
        }
        if self.debug {
            out.push(finding(
                "heartlock.W003",
                "DEBUG",
                "DEBUG is on; set DEBUG=false in production.",
            ));
        }
        if self.encryption_key.is_none() {
            out.push(finding(
                "heartlock.W004",
                "HEARTLOCK_ENCRYPTION_KEY",
                "HEARTLOCK_ENCRYPTION_KEY is not set, so secrets are encrypted with a key from the \
                 secret.key file in the data dir, which is meant for development only. Set a stable \
                 Fernet key and keep a backup of it.",
            ));
        }
        match &self.jwt.secret_key {
            None => out.push(finding(
                "heartlock.W005",
                "JWT_SECRET_KEY",
                "JWT_SECRET_KEY is not set, so a key is generated automatically; set a stable random \
                 value of at least 32 bytes so tokens survive restarts and work across instances.",
            )),
            Some(k) if k.expose().len() < MIN_KEY_LEN => out.push(finding(
                "heartlock.W006",
                "JWT_SECRET_KEY",
                "JWT_SECRET_KEY is shorter than 32 bytes; use a longer random value.",
            )),
            Some(_) => {}
        }
        if !self.is_postgres() {
            out.push(finding(
                "heartlock.W008",
                "DATABASE_URL",
                "The database is SQLite; use PostgreSQL (DATABASE_URL=postgres://...) in production.",
            ));
        }
        if self.policy_no_auth_default != NoAuthPolicy::Deny {
            out.push(finding(
                "heartlock.W009",
                "POLICY_NO_AUTH_DEFAULT",
                format!(
                    "POLICY_NO_AUTH_DEFAULT is {}, so unauthenticated requests get access; set it to deny.",
                    self.policy_no_auth_default.as_str()
                ),
            ));
        }
    }

    fn check_web(&self, out: &mut Vec<Finding>) {
        if self.allowed_hosts.is_empty() || self.allowed_hosts.iter().any(|h| h == "*") {
            out.push(finding(
                "heartlock.W010",
                "ALLOWED_HOSTS",
                "ALLOWED_HOSTS is empty or contains '*'; list the exact host names the server is reached under.",
            ));
        }
        if !self.secure_ssl_redirect {
            out.push(finding(
                "heartlock.W011",
                "SECURE_SSL_REDIRECT",
                "SECURE_SSL_REDIRECT is off; turn it on so plain HTTP requests are redirected to HTTPS.",
            ));
        }
        match &self.base_url {
            None => out.push(finding(
                "heartlock.W012",
                "HEARTLOCK_BASE_URL",
                "HEARTLOCK_BASE_URL is not set; set it to the public https:// URL so links in emails \
                 and OIDC redirects are correct.",
            )),
            Some(url) if !is_https(url) => out.push(finding(
                "heartlock.W013",
                "HEARTLOCK_BASE_URL",
                "HEARTLOCK_BASE_URL does not use https; serve Heartlock over HTTPS and use an https:// URL.",
            )),
            Some(_) => {}
        }
        if self.cors_allowed_origins.iter().any(|o| o == "*") {
            out.push(finding(
                "heartlock.W015",
                "CORS_ALLOWED_ORIGINS",
                "CORS_ALLOWED_ORIGINS contains '*'; list the exact origins that may call the API.",
            ));
        }
        if self.cors_allowed_origins.iter().any(|o| is_http(o)) {
            out.push(finding(
                "heartlock.W016",
                "CORS_ALLOWED_ORIGINS",
                "CORS_ALLOWED_ORIGINS contains http:// origins; allow only https:// origins in production.",
            ));
        }
    }

    fn check_features(&self, out: &mut Vec<Finding>) {
        if self.vapid.public_key.is_none() || self.vapid.private_key.is_none() {
            out.push(finding(
                "heartlock.W007",
                "VAPID_PUBLIC_KEY",
                "VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY are not set, so web push notifications are \
                 disabled; generate a VAPID key pair and set both.",
            ));
        }
        if self.email.backend == EmailBackend::Console {
            out.push(finding(
                "heartlock.W014",
                "EMAIL_BACKEND",
                "EMAIL_BACKEND is console, so invitations and notifications are only logged, not \
                 delivered; configure EMAIL_HOST (SMTP).",
            ));
        }
        if self.oidc_enabled() {
            let o = &self.oidc;
            let urls = [
                &o.authorization_endpoint,
                &o.token_endpoint,
                &o.userinfo_endpoint,
                &o.jwks_endpoint,
                &o.end_session_endpoint,
                &o.issuer,
                &o.redirect_uri,
            ];
            if urls.iter().any(|u| u.as_deref().is_some_and(is_http)) {
                out.push(finding(
                    "heartlock.W017",
                    "OIDC_AUTHORIZATION_ENDPOINT",
                    "OIDC is enabled with http:// endpoints; use https:// for every OIDC_* URL so \
                     tokens and client secrets are not sent in clear text.",
                ));
            }
        }
        if !is_https(&self.turnstile.verify_url) {
            out.push(finding(
                "heartlock.W018",
                "TURNSTILE_VERIFY_URL",
                "TURNSTILE_VERIFY_URL does not use https; use the https:// Cloudflare siteverify URL.",
            ));
        }
        if self.open_admin_registration() {
            out.push(finding(
                "heartlock.W019",
                "DEFAULT_USER_ROLE",
                "DEFAULT_USER_ROLE=admin with ENABLE_REGISTRATION=true makes anyone who registers a \
                 server administrator; set DEFAULT_USER_ROLE=user or ENABLE_REGISTRATION=false.",
            ));
        }
    }
}
