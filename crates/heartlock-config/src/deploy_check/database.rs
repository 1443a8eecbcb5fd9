//! DATABASE_URL: backend, credentials and transport security. The URL
//! embeds a password, so messages only ever describe it.

use super::{Findings, is_loopback_host};
use crate::Settings;

/// Passwords that are the first thing anyone tries.
const COMMON_PASSWORDS: &[&str] = &[
    "123456",
    "12345678",
    "admin",
    "changeme",
    "heartlock",
    "letmein",
    "pass",
    "password",
    "postgres",
    "qwerty",
    "root",
    "secret",
    "test",
];

/// Shorter than this is guessable by an online attack on an exposed port.
const MIN_DB_PASSWORD_LEN: usize = 12;

/// The role PostgreSQL creates as superuser; it bypasses row-level security.
const SUPERUSER: &str = "postgres";

fn percent_decoded(raw: &str) -> String {
    url::form_urlencoded::parse(format!("x={raw}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| raw.to_string())
}

fn weak_password(password: &str, user: &str) -> bool {
    let lower = password.to_ascii_lowercase();
    password.chars().count() < MIN_DB_PASSWORD_LEN
        || COMMON_PASSWORDS.contains(&lower.as_str())
        || lower.contains("changeme")
        || lower.contains("password")
        || (!user.is_empty() && lower == user.to_ascii_lowercase())
}

/// A host that never leaves the machine: loopback, or a Unix socket given
/// as a percent-encoded path or a `host=/path` parameter.
fn is_local(url: &url::Url) -> bool {
    let socket_param = url
        .query_pairs()
        .any(|(k, v)| k == "host" && v.starts_with('/'));
    let socket_host = url
        .host_str()
        .is_some_and(|h| h.starts_with('/') || h.to_ascii_lowercase().starts_with("%2f"));
    socket_param || socket_host || url.host().is_some_and(|h| is_loopback_host(&h))
}

pub(super) fn check(s: &Settings, out: &mut Findings) {
    if !s.is_postgres() {
        out.warning(
            "heartlock.W008",
            &["DATABASE_URL"],
            "The database is SQLite: one file on the server's disk, without PostgreSQL's \
             row-level security, replication or concurrent writers.",
            "Use PostgreSQL in production (DATABASE_URL=postgres://…).",
        );
        return;
    }
    // is_postgres() already checked that it parses with a host.
    let Ok(url) = url::Url::parse(s.database_url.expose()) else {
        return;
    };
    let user = percent_decoded(url.username());
    if let Some(password) = url.password().map(percent_decoded)
        && weak_password(&password, &user)
    {
        out.error(
            "heartlock.W033",
            &["DATABASE_URL"],
            format!(
                "The DATABASE_URL password is weak: a common word, the user name, or shorter \
                 than {MIN_DB_PASSWORD_LEN} characters."
            ),
            "Give the database role a long random password (e.g. `openssl rand -base64 24`) \
             and update DATABASE_URL.",
        );
    }
    if user == SUPERUSER {
        out.error(
            "heartlock.W034",
            &["DATABASE_URL"],
            "DATABASE_URL connects as the PostgreSQL superuser `postgres`, which bypasses \
             row-level security and can take over the whole database server.",
            "Create a dedicated role without superuser rights for DATABASE_URL; run migrations \
             with DATABASE_OWNER_URL if the app role is restricted.",
        );
    }
    let sslmode = url
        .query_pairs()
        .find(|(k, _)| k == "sslmode" || k == "ssl-mode")
        .map(|(_, v)| v.to_ascii_lowercase());
    if let Some(mode) = sslmode
        && (mode == "disable" || mode == "allow")
        && !is_local(&url)
    {
        out.error(
            "heartlock.W035",
            &["DATABASE_URL"],
            format!(
                "DATABASE_URL has sslmode={mode} for a remote host, so the database password \
                 and all data cross the network in clear text."
            ),
            "Use sslmode=verify-full (or at least require) and enable TLS on the database \
             server.",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_passwords() {
        for weak in [
            "password",
            "Postgres",
            "short",
            "heartlock",
            "MyPassword2024!",
        ] {
            assert!(weak_password(weak, "heartlock"), "{weak}");
        }
        assert!(weak_password("app_user_12345", "app_user_12345"));
        assert!(!weak_password("x9Fq2Lm7Rt4Wz8Kp", "heartlock"));
    }

    #[test]
    fn local_hosts() {
        for local in [
            "postgres://u@localhost/db?sslmode=disable",
            "postgres://u@127.0.0.1:5432/db",
            "postgres://u@[::1]/db",
            "postgres://u@%2Fvar%2Frun%2Fpostgresql/db",
            "postgres://u@x/db?host=/var/run/postgresql",
        ] {
            assert!(is_local(&url::Url::parse(local).unwrap()), "{local}");
        }
        assert!(!is_local(
            &url::Url::parse("postgres://u@db.internal/db").unwrap()
        ));
    }
}
