//! Access rules, token lifetimes, limits and optional features. A feature
//! that is off (SMTP, OIDC, Turnstile, web push) is never a finding.

use super::{Findings, is_loopback_host, is_remote_http};
use crate::settings::DEFAULT_VAPID_SUBJECT;
use crate::{EmailBackend, NoAuthPolicy, Settings};

const WEEK_HOURS: u64 = 24 * 7;
const YEAR_HOURS: u64 = 24 * 365;
const MAX_REFRESH_DAYS: u64 = 90;
const MIB: usize = 1024 * 1024;
const MAX_BODY_BYTES: usize = 10 * MIB;
const MAX_SECRET_BYTES: usize = MIB;

pub(super) fn check(s: &Settings, out: &mut Findings) {
    access(s, out);
    tokens_and_limits(s, out);
    smtp(s, out);
    oidc(s, out);
    if s.shares.enabled && s.shares.allow_anonymous {
        out.warning(
            "heartlock.W044",
            &["HEARTLOCK_SHARE_ALLOW_ANONYMOUS"],
            "Anyone who reaches the server can store content in share links (up to \
             HEARTLOCK_SHARE_MAX_ACTIVE live links and 30 new ones an hour per address): the \
             server becomes a file drop for strangers.",
            "Set HEARTLOCK_SHARE_ALLOW_ANONYMOUS=false unless the server is only reachable by \
             people you trust.",
        );
    }
    if s.metrics.enabled && s.metrics.token.is_none() {
        out.warning(
            "heartlock.W045",
            &["HEARTLOCK_METRICS", "HEARTLOCK_METRICS_TOKEN"],
            "/metrics is served without a token: anyone who reaches the server can read its \
             request rates, routes and queue depths.",
            "Set HEARTLOCK_METRICS_TOKEN (24+ random characters) and give it to Prometheus as \
             a bearer token, or block /metrics at the reverse proxy.",
        );
    }
    if s.turnstile.enabled && is_remote_http(&s.turnstile.verify_url) {
        out.error(
            "heartlock.W018",
            &["TURNSTILE_VERIFY_URL"],
            "TURNSTILE_VERIFY_URL uses http://, so the Turnstile secret key and answers travel \
             in clear text and can be forged.",
            "Use the https:// Cloudflare siteverify URL (or unset TURNSTILE_VERIFY_URL).",
        );
    }
    // The push service uses the subject to reach the operator.
    if s.vapid.public_key.is_some() && s.vapid.subject == DEFAULT_VAPID_SUBJECT {
        out.warning(
            "heartlock.W039",
            &["VAPID_SUBJECT"],
            format!(
                "Web push is configured but VAPID_SUBJECT is still the placeholder \
                 {DEFAULT_VAPID_SUBJECT}, so push services cannot reach you about problems."
            ),
            "Set VAPID_SUBJECT to mailto: an address you read, or an https:// contact page.",
        );
    }
}

fn access(s: &Settings, out: &mut Findings) {
    if s.debug {
        out.error(
            "heartlock.W003",
            &["DEBUG"],
            "DEBUG is on: no HSTS header, a development key file, and unsafe settings that \
             are otherwise refused at start are accepted.",
            "Set DEBUG=false in production.",
        );
    }
    if s.policy_no_auth_default != NoAuthPolicy::Deny {
        out.error(
            "heartlock.W009",
            &["POLICY_NO_AUTH_DEFAULT"],
            format!(
                "POLICY_NO_AUTH_DEFAULT is {}, so unauthenticated requests get access to \
                 secrets.",
                s.policy_no_auth_default.as_str()
            ),
            "Set POLICY_NO_AUTH_DEFAULT=deny (and remove HEARTLOCK_ALLOW_INSECURE_POLICY).",
        );
    }
    if s.open_admin_registration() {
        out.error(
            "heartlock.W019",
            &["DEFAULT_USER_ROLE", "ENABLE_REGISTRATION"],
            "DEFAULT_USER_ROLE=admin with ENABLE_REGISTRATION=true makes anyone who registers a \
             server administrator.",
            "Set DEFAULT_USER_ROLE=user or ENABLE_REGISTRATION=false.",
        );
    }
    if s.users.enable_registration && !s.oidc_enabled() {
        out.warning(
            "heartlock.W038",
            &["ENABLE_REGISTRATION", "OIDC_ENABLE"],
            "Anyone who reaches the server can create an account with just a password \
             (ENABLE_REGISTRATION=true) and OIDC is off, so accounts are not tied to your \
             identity provider.",
            "For a multi-user server configure OIDC (OIDC_CLIENT_ID, OIDC_*_ENDPOINT); \
             otherwise set ENABLE_REGISTRATION=false and invite users.",
        );
    }
}

fn tokens_and_limits(s: &Settings, out: &mut Findings) {
    let hours = s.jwt.access_token_expire_hours;
    if hours > YEAR_HOURS {
        out.error(
            "heartlock.W031",
            &["ACCESS_TOKEN_EXPIRE_HOURS"],
            format!(
                "ACCESS_TOKEN_EXPIRE_HOURS is {hours} (more than a year): a leaked access token \
                 stays valid practically forever, even after sign-out."
            ),
            "Keep access tokens short-lived (the default is 24 hours); refresh tokens keep \
             users signed in.",
        );
    } else if hours > WEEK_HOURS {
        out.warning(
            "heartlock.W030",
            &["ACCESS_TOKEN_EXPIRE_HOURS"],
            format!(
                "ACCESS_TOKEN_EXPIRE_HOURS is {hours} (more than a week): a leaked access token \
                 stays valid that long."
            ),
            "Set ACCESS_TOKEN_EXPIRE_HOURS to 168 or less (the default is 24).",
        );
    }
    let days = s.jwt.refresh_token_expire_days;
    if days > MAX_REFRESH_DAYS {
        out.warning(
            "heartlock.W032",
            &["REFRESH_TOKEN_EXPIRE_DAYS"],
            format!(
                "REFRESH_TOKEN_EXPIRE_DAYS is {days} (more than {MAX_REFRESH_DAYS}): a lost \
                 device keeps access that long."
            ),
            format!(
                "Set REFRESH_TOKEN_EXPIRE_DAYS to {MAX_REFRESH_DAYS} or less (the default is 7)."
            ),
        );
    }
    if s.max_body_bytes > MAX_BODY_BYTES {
        out.warning(
            "heartlock.W036",
            &["HEARTLOCK_MAX_BODY_BYTES"],
            "HEARTLOCK_MAX_BODY_BYTES is above 10 MiB, so a few large requests can exhaust the \
             server's memory.",
            "Set HEARTLOCK_MAX_BODY_BYTES to 10485760 or less (the default is 1 MiB).",
        );
    }
    if s.max_secret_bytes > MAX_SECRET_BYTES {
        out.warning(
            "heartlock.W037",
            &["HEARTLOCK_MAX_SECRET_BYTES"],
            "HEARTLOCK_MAX_SECRET_BYTES is above 1 MiB; secrets that large are files, and \
             every version is kept and encrypted in the database.",
            "Set HEARTLOCK_MAX_SECRET_BYTES to 1048576 or less (the default is 64 KiB).",
        );
    }
}

fn smtp(s: &Settings, out: &mut Findings) {
    let e = &s.email;
    // Only when email is actually sent (the console backend sends nothing).
    if e.backend != EmailBackend::Smtp || e.use_tls || e.use_ssl {
        return;
    }
    // A relay on the same machine never puts the password on the network.
    let local = e.host.as_deref().is_some_and(|h| {
        url::Host::parse(h.trim_start_matches('[').trim_end_matches(']'))
            .is_ok_and(|h| is_loopback_host(&h))
    });
    if local {
        return;
    }
    if e.host_password.is_none() {
        out.warning(
            "heartlock.W043",
            &["EMAIL_USE_TLS", "EMAIL_USE_SSL"],
            "Email goes to the SMTP relay without TLS: messages (with their links) cross the \
             network in clear.",
            "Set EMAIL_USE_TLS=true (STARTTLS, usually port 587) or EMAIL_USE_SSL=true \
             (implicit TLS, usually port 465).",
        );
    } else {
        out.error(
            "heartlock.W029",
            &["EMAIL_HOST_PASSWORD", "EMAIL_USE_TLS", "EMAIL_USE_SSL"],
            "The SMTP password (EMAIL_HOST_PASSWORD) is sent without encryption: EMAIL_USE_TLS \
             and EMAIL_USE_SSL are both off.",
            "Set EMAIL_USE_TLS=true (STARTTLS, usually port 587) or EMAIL_USE_SSL=true \
             (implicit TLS, usually port 465).",
        );
    }
}

fn oidc(s: &Settings, out: &mut Findings) {
    if !s.oidc_enabled() {
        return;
    }
    let o = &s.oidc;
    let urls = [
        ("OIDC_AUTHORIZATION_ENDPOINT", &o.authorization_endpoint),
        ("OIDC_TOKEN_ENDPOINT", &o.token_endpoint),
        ("OIDC_USERINFO_ENDPOINT", &o.userinfo_endpoint),
        ("OIDC_JWKS_ENDPOINT", &o.jwks_endpoint),
        ("OIDC_END_SESSION_ENDPOINT", &o.end_session_endpoint),
        ("OIDC_ISSUER", &o.issuer),
        ("OIDC_REDIRECT_URI", &o.redirect_uri),
    ];
    let http: Vec<&'static str> = urls
        .iter()
        .filter(|(_, u)| u.as_deref().is_some_and(is_remote_http))
        .map(|(name, _)| *name)
        .collect();
    if !http.is_empty() {
        out.error(
            "heartlock.W017",
            &http,
            format!(
                "OIDC is enabled with http:// URLs ({}), so codes, tokens and the client secret \
                 travel in clear text.",
                http.join(", ")
            ),
            "Use https:// for every OIDC_* URL.",
        );
    }
}
