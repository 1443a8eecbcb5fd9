//! `heartlock config` report and `check --deploy` findings.

use crate::common::*;
use heartlock_config::{SETTING_NAMES, Settings, render_report};

#[test]
fn report_lists_every_setting_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let s = Settings::for_tests(dir.path());
    let lines = s.report();
    let names: Vec<&str> = lines.iter().map(|l| l.name).collect();
    assert_eq!(names, SETTING_NAMES);
    let secret = lines.iter().find(|l| l.name == "SECRET_KEY").unwrap();
    assert_eq!(secret.value, "(unset)");
    assert!(secret.secret);
}

#[test]
fn report_redacts_secrets_and_database_password() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let planted = [
        ("SECRET_KEY", "planted-secret-key-0123456789abcdef"),
        ("HEARTLOCK_ENCRYPTION_KEY", FERNET_KEY),
        (
            "DATABASE_URL",
            "postgres://heartlock:planted-db-pass@db.example:5432/heartlock",
        ),
        (
            "DATABASE_OWNER_URL",
            "postgresql://owner:planted-owner-pass@db.example/heartlock",
        ),
        ("OIDC_CLIENT_SECRET", "planted-oidc-secret"),
        ("EMAIL_HOST", "smtp.example"),
        ("EMAIL_HOST_PASSWORD", "planted-mail-pass"),
        ("JWT_SECRET_KEY", "planted-jwt-secret"),
        ("VAPID_PUBLIC_KEY", VAPID_PUBLIC),
        ("VAPID_PRIVATE_KEY", VAPID_PRIVATE),
        ("TURNSTILE_SECRET_KEY", "planted-turnstile-secret"),
    ];
    let s = load_ok(d, &planted).settings;
    let out = render_report(&s.report());
    for (name, value) in planted {
        assert!(out.contains(name), "{name} missing");
        if name != "VAPID_PUBLIC_KEY" && name != "EMAIL_HOST" {
            assert!(!out.contains(value), "{name} leaked:\n{out}");
        }
    }
    for fragment in ["planted-db-pass", "planted-owner-pass"] {
        assert!(!out.contains(fragment), "{out}");
    }
    assert!(
        out.contains("postgres://heartlock:********@db.example:5432/heartlock"),
        "{out}"
    );
    assert!(out.contains("(environment)"), "{out}");
    // Debug output of Settings must not leak either.
    let debug = format!("{s:?}");
    assert!(!debug.contains("planted"), "{debug}");
}

#[test]
fn render_report_aligns_columns() {
    let dir = tempfile::tempdir().unwrap();
    let s = Settings::for_tests(dir.path());
    let out = render_report(&s.report());
    let width = SETTING_NAMES.iter().map(|n| n.len()).max().unwrap();
    for line in out.lines() {
        let (name_part, rest) = line.split_at(width + 2);
        assert!(SETTING_NAMES.contains(&name_part.trim_end()), "{line}");
        assert!(!rest.starts_with(' '), "value column misaligned: {line}");
        assert!(line.ends_with(')'), "{line}");
    }
    assert!(
        out.lines().any(|l| l.starts_with("DEBUG ")
            && l.contains(" true ")
            && l.ends_with("(environment)")),
        "{out}"
    );
}

#[test]
fn sqlite_path_forms() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut s = Settings::for_tests(d);
    let cases: [(&str, Option<std::path::PathBuf>); 7] = [
        (
            "sqlite:///heartlock_data/db.sqlite3",
            Some(d.join("heartlock_data/db.sqlite3")),
        ),
        (
            "sqlite:////abs/path/db.sqlite3",
            Some("/abs/path/db.sqlite3".into()),
        ),
        ("sqlite://relative.db", Some(d.join("relative.db"))),
        ("sqlite:relative.db", Some(d.join("relative.db"))),
        ("sqlite:///data/x.db?mode=rwc", Some(d.join("data/x.db"))),
        ("sqlite::memory:", None),
        ("postgres://u:p@h/db", None),
    ];
    for (url, expected) in cases {
        s.database_url = url.into();
        assert_eq!(s.sqlite_path(), expected, "{url}");
    }
    assert!(s.is_postgres());
}

fn ids(s: &Settings) -> Vec<&'static str> {
    s.deploy_check().iter().map(|f| f.setting).collect()
}

#[test]
fn deploy_check_on_defaults_flags_key_problems() {
    let dir = tempfile::tempdir().unwrap();
    let s = load_ok(dir.path(), &[("DEBUG", "false")]).settings;
    let settings = ids(&s);
    for expected in ["SECRET_KEY", "HEARTLOCK_ENCRYPTION_KEY", "DATABASE_URL"] {
        assert!(
            settings.contains(&expected),
            "{expected} missing: {settings:?}"
        );
    }
    assert!(!settings.contains(&"DEBUG"));
    let findings = s.deploy_check();
    let mut found_ids: Vec<&str> = findings.iter().map(|f| f.id).collect();
    found_ids.sort();
    found_ids.dedup();
    assert_eq!(found_ids.len(), findings.len(), "ids must be unique");
}

#[test]
fn deploy_check_flags_debug_and_weak_web_settings() {
    let dir = tempfile::tempdir().unwrap();
    let s = load_ok(
        dir.path(),
        &[
            ("DEBUG", "true"),
            ("SECRET_KEY", "short-planted"),
            ("JWT_SECRET_KEY", "short-jwt-planted"),
            ("ALLOWED_HOSTS", "*"),
            ("HEARTLOCK_BASE_URL", "http://vault.example"),
            ("CORS_ALLOWED_ORIGINS", "*,http://app.example"),
            ("POLICY_NO_AUTH_DEFAULT", "view_only"),
            ("OIDC_CLIENT_ID", "id"),
            ("OIDC_AUTHORIZATION_ENDPOINT", "http://idp.example/auth"),
            ("OIDC_TOKEN_ENDPOINT", "https://idp.example/token"),
            ("OIDC_USERINFO_ENDPOINT", "https://idp.example/userinfo"),
            ("TURNSTILE_VERIFY_URL", "http://turnstile.example/verify"),
        ],
    )
    .settings;
    let findings = s.deploy_check();
    let got: Vec<&str> = findings.iter().map(|f| f.id).collect();
    for id in [
        "heartlock.W002",
        "heartlock.W003",
        "heartlock.W006",
        "heartlock.W009",
        "heartlock.W010",
        "heartlock.W011",
        "heartlock.W013",
        "heartlock.W015",
        "heartlock.W016",
        "heartlock.W017",
        "heartlock.W018",
    ] {
        assert!(got.contains(&id), "{id} missing: {got:?}");
    }
    for f in &findings {
        assert!(!f.message.contains("planted"), "{f:?}");
    }
}

#[test]
fn hardened_config_has_no_findings() {
    let dir = tempfile::tempdir().unwrap();
    let s = load_ok(
        dir.path(),
        &[
            ("DEBUG", "false"),
            ("SECRET_KEY", "0123456789abcdef0123456789abcdef-hardened"),
            ("HEARTLOCK_ENCRYPTION_KEY", FERNET_KEY),
            ("JWT_SECRET_KEY", "fedcba9876543210fedcba9876543210-jwt"),
            ("VAPID_PUBLIC_KEY", VAPID_PUBLIC),
            ("VAPID_PRIVATE_KEY", VAPID_PRIVATE),
            ("VAPID_SUBJECT", "mailto:ops@vault.example"),
            (
                "DATABASE_URL",
                "postgres://heartlock:pw@db.internal:5432/heartlock",
            ),
            ("ALLOWED_HOSTS", "vault.example"),
            ("HEARTLOCK_BASE_URL", "https://vault.example"),
            ("CORS_ALLOWED_ORIGINS", "https://app.vault.example"),
            ("EMAIL_HOST", "smtp.vault.example"),
            ("OIDC_CLIENT_ID", "heartlock"),
            ("OIDC_AUTHORIZATION_ENDPOINT", "https://idp.example/auth"),
            ("OIDC_TOKEN_ENDPOINT", "https://idp.example/token"),
            ("OIDC_USERINFO_ENDPOINT", "https://idp.example/userinfo"),
        ],
    )
    .settings;
    assert!(s.oidc_enabled());
    assert_eq!(s.deploy_check(), vec![]);
}
