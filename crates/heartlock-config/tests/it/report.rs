//! `heartlock config` report (the `check --deploy` findings are in deploy_check.rs).

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
        (
            "HEARTLOCK_METRICS_TOKEN",
            "planted-metrics-token-0123456789",
        ),
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
