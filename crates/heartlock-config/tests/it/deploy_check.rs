//! `check --deploy` findings: one case per check, features that are off,
//! loopback exemptions, runtime facts and the JSON document.

use std::collections::HashMap;
use std::path::Path;

use crate::common::*;
use heartlock_config::{RuntimeFacts, Settings, Severity, findings_json};

const SECRET_KEY: &str = "k7Vq2pXz9LmR4tYw8NcB3hJf6GdS1aEu0iOo5Zx";
const JWT_KEY: &str = "Qm3T9vXc1Lp7Rz5Kw2Yh8Nd4Fb6Gs0JaUe";
const DB_PASSWORD: &str = "Xq7vR2mL9pTz4Kw8";
const SMTP_PASSWORD: &str = "smtp-Pw-4f9Kq2Lx";

/// A hardened production configuration: every feature on, nothing to report.
fn good_env() -> HashMap<&'static str, String> {
    let db = format!(
        "postgres://heartlock_app:{DB_PASSWORD}@db.internal:5432/heartlock?sslmode=verify-full"
    );
    [
        ("DEBUG", "false"),
        ("SECRET_KEY", SECRET_KEY),
        ("SECRET_KEY_FALLBACKS", "Lr8Wq3Zt6Yp1Nv4Kx9Mc2Bd5Gh7Fj0SaEi"),
        ("JWT_SECRET_KEY", JWT_KEY),
        ("HEARTLOCK_ENCRYPTION_KEY", FERNET_KEY),
        ("DATABASE_URL", db.as_str()),
        ("ALLOWED_HOSTS", "vault.example.com,.corp.example.co.uk"),
        ("HEARTLOCK_BASE_URL", "https://vault.example.com"),
        ("SECURE_SSL_REDIRECT", "true"),
        ("CORS_ALLOWED_ORIGINS", "https://app.example.com"),
        ("CSRF_TRUSTED_ORIGINS", "https://vault.example.com"),
        ("TRUSTED_PROXIES", "10.0.0.0/8,::1"),
        ("EMAIL_HOST", "smtp.example.com"),
        ("EMAIL_HOST_USER", "heartlock"),
        ("EMAIL_HOST_PASSWORD", SMTP_PASSWORD),
        ("OIDC_CLIENT_ID", "heartlock"),
        (
            "OIDC_AUTHORIZATION_ENDPOINT",
            "https://idp.example.com/auth",
        ),
        ("OIDC_TOKEN_ENDPOINT", "https://idp.example.com/token"),
        ("OIDC_USERINFO_ENDPOINT", "https://idp.example.com/userinfo"),
        ("VAPID_PUBLIC_KEY", VAPID_PUBLIC),
        ("VAPID_PRIVATE_KEY", VAPID_PRIVATE),
        ("VAPID_SUBJECT", "mailto:ops@example.com"),
        ("TURNSTILE_ENABLED", "true"),
        ("TURNSTILE_SITE_KEY", "site"),
        ("TURNSTILE_SECRET_KEY", "turnstile-secret"),
        ("ACCESS_TOKEN_EXPIRE_HOURS", "24"),
        ("REFRESH_TOKEN_EXPIRE_DAYS", "30"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_string()))
    .collect()
}

fn env_with(overrides: &[(&'static str, &str)]) -> HashMap<&'static str, String> {
    let mut env = good_env();
    for (k, v) in overrides {
        env.insert(*k, v.to_string());
    }
    env
}

fn load_env(dir: &Path, env: &HashMap<&'static str, String>) -> Settings {
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    load_ok(dir, &pairs).settings
}

fn load_with(dir: &Path, overrides: &[(&'static str, &str)]) -> Settings {
    load_env(dir, &env_with(overrides))
}

/// What the CLI knows about a healthy running deployment.
fn healthy_facts(s: &Settings, env: &HashMap<&'static str, String>) -> RuntimeFacts {
    let mut facts = RuntimeFacts {
        admin_exists: Some(true),
        onboarding_done: Some(true),
        ..RuntimeFacts::default()
    };
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    facts.read_config_files(s, &env);
    facts
}

fn ids(s: &Settings, facts: &RuntimeFacts) -> Vec<&'static str> {
    s.deploy_check_with(facts).iter().map(|f| f.id).collect()
}

#[test]
fn hardened_production_has_no_findings() {
    let dir = tempfile::tempdir().unwrap();
    let env = good_env();
    let s = load_env(dir.path(), &env);
    assert!(s.oidc_enabled());
    assert_eq!(s.deploy_check(), vec![]);
    assert_eq!(s.deploy_check_with(&healthy_facts(&s, &env)), vec![]);
}

#[test]
fn every_check_fires_on_its_own() {
    let weak_db = "postgres://heartlock_app:password@db.internal/heartlock?sslmode=verify-full";
    let short_db = "postgres://heartlock_app:Ab3x9@db.internal/heartlock";
    let superuser_db = format!("postgres://postgres:{DB_PASSWORD}@db.internal/heartlock");
    let nossl_db = format!("postgres://heartlock_app:{DB_PASSWORD}@db.internal/h?sslmode=disable");
    let allowssl_db = format!("postgres://heartlock_app:{DB_PASSWORD}@10.1.2.3/h?sslmode=allow");
    let cases: &[(&[(&'static str, &str)], &str)] = &[
        (&[("SECRET_KEY", "")], "heartlock.W001"),
        (&[("SECRET_KEY", "Xk2#pQ9zLm")], "heartlock.W002"),
        (&[("DEBUG", "true")], "heartlock.W003"),
        (&[("HEARTLOCK_ENCRYPTION_KEY", "")], "heartlock.W004"),
        (&[("JWT_SECRET_KEY", "Qm3T9vXc1Lp7")], "heartlock.W006"),
        (
            &[("DATABASE_URL", "sqlite:///data/db.sqlite3")],
            "heartlock.W008",
        ),
        (
            &[
                ("POLICY_NO_AUTH_DEFAULT", "view_only"),
                ("HEARTLOCK_ALLOW_INSECURE_POLICY", "true"),
            ],
            "heartlock.W009",
        ),
        (&[("ALLOWED_HOSTS", "*")], "heartlock.W010"),
        (
            &[("ALLOWED_HOSTS", "vault.example.com,.com")],
            "heartlock.W010",
        ),
        (&[("ALLOWED_HOSTS", ".co.uk")], "heartlock.W010"),
        (&[("ALLOWED_HOSTS", ".io")], "heartlock.W010"),
        (&[("SECURE_SSL_REDIRECT", "false")], "heartlock.W011"),
        (&[("HEARTLOCK_BASE_URL", "")], "heartlock.W012"),
        (
            &[("HEARTLOCK_BASE_URL", "http://vault.example.com")],
            "heartlock.W013",
        ),
        (&[("CORS_ALLOWED_ORIGINS", "*")], "heartlock.W015"),
        (
            &[("CORS_ALLOWED_ORIGINS", "https://*.example.com")],
            "heartlock.W015",
        ),
        (
            &[("CORS_ALLOWED_ORIGINS", "http://app.example.com")],
            "heartlock.W016",
        ),
        (
            &[("OIDC_TOKEN_ENDPOINT", "http://idp.example.com/token")],
            "heartlock.W017",
        ),
        (
            &[("TURNSTILE_VERIFY_URL", "http://ts.example.com/verify")],
            "heartlock.W018",
        ),
        (&[("DEFAULT_USER_ROLE", "admin")], "heartlock.W019"),
        (&[("SECRET_KEY", &"a".repeat(40))], "heartlock.W020"),
        (
            &[("SECRET_KEY", "abcabcabcabcabcabcabcabcabcabcabcabc")],
            "heartlock.W020",
        ),
        (
            &[("SECRET_KEY", "your-stable-secret-key-at-least-32-chars")],
            "heartlock.W021",
        ),
        (
            &[("SECRET_KEY", "please-changeme-0123456789abcdefghijk")],
            "heartlock.W021",
        ),
        (&[("JWT_SECRET_KEY", &"ab".repeat(20))], "heartlock.W022"),
        (
            &[("JWT_SECRET_KEY", "jwt-secret-key-for-example-only-1234")],
            "heartlock.W023",
        ),
        (&[("JWT_SECRET_KEY", SECRET_KEY)], "heartlock.W024"),
        (
            &[(
                "SECRET_KEY_FALLBACKS",
                "Lr8Wq3Zt6Yp1Nv4Kx9Mc2Bd5Gh7Fj0SaEi,short",
            )],
            "heartlock.W025",
        ),
        (
            &[("CSRF_TRUSTED_ORIGINS", "https://*.example.com")],
            "heartlock.W026",
        ),
        (
            &[("CSRF_TRUSTED_ORIGINS", "http://vault.example.com")],
            "heartlock.W027",
        ),
        (
            &[("TRUSTED_PROXIES", "10.0.0.0/8,0.0.0.0/0")],
            "heartlock.W028",
        ),
        (&[("TRUSTED_PROXIES", "::/0")], "heartlock.W028"),
        (&[("EMAIL_USE_TLS", "false")], "heartlock.W029"),
        (&[("ACCESS_TOKEN_EXPIRE_HOURS", "200")], "heartlock.W030"),
        (&[("ACCESS_TOKEN_EXPIRE_HOURS", "10000")], "heartlock.W031"),
        (&[("REFRESH_TOKEN_EXPIRE_DAYS", "120")], "heartlock.W032"),
        (&[("DATABASE_URL", weak_db)], "heartlock.W033"),
        (&[("DATABASE_URL", short_db)], "heartlock.W033"),
        (&[("DATABASE_URL", &superuser_db)], "heartlock.W034"),
        (&[("DATABASE_URL", &nossl_db)], "heartlock.W035"),
        (&[("DATABASE_URL", &allowssl_db)], "heartlock.W035"),
        (
            &[("HEARTLOCK_MAX_BODY_BYTES", "20971520")],
            "heartlock.W036",
        ),
        (
            &[("HEARTLOCK_MAX_SECRET_BYTES", "2097152")],
            "heartlock.W037",
        ),
        (&[("OIDC_ENABLE", "false")], "heartlock.W038"),
        (&[("VAPID_SUBJECT", "")], "heartlock.W039"),
        (
            &[("HEARTLOCK_SHARE_ALLOW_ANONYMOUS", "true")],
            "heartlock.W044",
        ),
        (&[("HEARTLOCK_METRICS", "true")], "heartlock.W045"),
    ];
    let secrets = [SECRET_KEY, JWT_KEY, DB_PASSWORD, SMTP_PASSWORD, "Ab3x9"];
    for (overrides, id) in cases {
        let dir = tempfile::tempdir().unwrap();
        let s = load_with(dir.path(), overrides);
        let findings = s.deploy_check();
        let got: Vec<&str> = findings.iter().map(|f| f.id).collect();
        assert_eq!(got, vec![*id], "{overrides:?}");
        let f = &findings[0];
        assert!(!f.settings.is_empty() && !f.message.is_empty() && !f.fix.is_empty());
        let text = f.to_json().to_string();
        let keys = overrides
            .iter()
            .filter(|(k, _)| matches!(*k, "SECRET_KEY" | "JWT_SECRET_KEY"))
            .map(|(_, v)| *v)
            .filter(|v| !v.is_empty());
        for secret in secrets.into_iter().chain(keys) {
            assert!(!text.contains(secret), "{id} leaks a secret: {text}");
        }
    }
}

#[test]
fn severities_follow_the_danger() {
    let dir = tempfile::tempdir().unwrap();
    let s = load_with(
        dir.path(),
        &[
            ("ACCESS_TOKEN_EXPIRE_HOURS", "200"),
            ("SECRET_KEY", ""),
            ("HEARTLOCK_BASE_URL", ""),
            ("DEFAULT_USER_ROLE", "admin"),
        ],
    );
    let findings = s.deploy_check();
    let got: Vec<(&str, Severity)> = findings.iter().map(|f| (f.id, f.severity)).collect();
    // Errors first, then warnings, each by id.
    assert_eq!(
        got,
        vec![
            ("heartlock.W001", Severity::Error),
            ("heartlock.W019", Severity::Error),
            ("heartlock.W012", Severity::Warning),
            ("heartlock.W030", Severity::Warning),
        ]
    );
    let w019 = &findings[1];
    assert_eq!(
        w019.settings,
        vec!["DEFAULT_USER_ROLE", "ENABLE_REGISTRATION"]
    );
}

#[test]
fn features_that_are_off_are_not_checked() {
    let dir = tempfile::tempdir().unwrap();
    let mut env = good_env();
    for name in [
        "EMAIL_HOST",
        "VAPID_PUBLIC_KEY",
        "VAPID_PRIVATE_KEY",
        "VAPID_SUBJECT",
    ] {
        env.remove(name);
    }
    env.insert("EMAIL_USE_TLS", "false".into());
    env.insert("OIDC_ENABLE", "false".into());
    env.insert("OIDC_TOKEN_ENDPOINT", "http://idp.example.com/token".into());
    env.insert("ENABLE_REGISTRATION", "false".into());
    env.insert("TURNSTILE_ENABLED", "false".into());
    env.insert(
        "TURNSTILE_VERIFY_URL",
        "http://ts.example.com/verify".into(),
    );
    let s = load_env(dir.path(), &env);
    assert!(!s.oidc_enabled());
    assert_eq!(s.deploy_check(), vec![]);
}

#[test]
fn loopback_is_not_plain_http_on_the_network() {
    let dir = tempfile::tempdir().unwrap();
    let s = load_with(
        dir.path(),
        &[
            ("HEARTLOCK_BASE_URL", "http://localhost:8082"),
            (
                "CORS_ALLOWED_ORIGINS",
                "http://localhost:3000,http://127.0.0.1:5173",
            ),
            ("CSRF_TRUSTED_ORIGINS", "http://[::1]:8082"),
            ("OIDC_TOKEN_ENDPOINT", "http://localhost:8080/token"),
            ("EMAIL_HOST", "localhost"),
            ("EMAIL_USE_TLS", "false"),
            (
                "DATABASE_URL",
                "postgres://heartlock_app:Xq7vR2mL9pTz4Kw8@127.0.0.1/heartlock?sslmode=disable",
            ),
        ],
    );
    assert_eq!(s.deploy_check(), vec![]);
}

#[test]
fn production_defaults_report_the_basics() {
    let dir = tempfile::tempdir().unwrap();
    let s = load_ok(dir.path(), &[("DEBUG", "false")]).settings;
    let got = ids(&s, &RuntimeFacts::default());
    assert_eq!(
        got,
        vec![
            "heartlock.W001",
            "heartlock.W004",
            "heartlock.W008",
            "heartlock.W012",
            "heartlock.W038",
        ]
    );
}

#[test]
fn onboarding_open_without_an_administrator() {
    let dir = tempfile::tempdir().unwrap();
    let env = good_env();
    let s = load_env(dir.path(), &env);
    let mut facts = healthy_facts(&s, &env);
    facts.admin_exists = Some(false);
    facts.onboarding_done = Some(false);
    assert_eq!(ids(&s, &facts), vec!["heartlock.W040"]);
    // Unknown is not reported (and not guessed).
    facts.admin_exists = None;
    assert_eq!(ids(&s, &facts), Vec::<&str>::new());
    // A finished wizard stays closed.
    facts.admin_exists = Some(false);
    facts.onboarding_done = Some(true);
    assert_eq!(ids(&s, &facts), Vec::<&str>::new());
    // So does a disabled one.
    facts.onboarding_done = None;
    let s = load_with(dir.path(), &[("HEARTLOCK_DISABLE_ONBOARDING", "true")]);
    assert_eq!(ids(&s, &facts), Vec::<&str>::new());
}

#[test]
fn encryption_key_in_appconfig_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let mut env = good_env();
    env.remove("HEARTLOCK_ENCRYPTION_KEY");
    env.insert("DATABASE_URL", "sqlite:///heartlock_data/db.sqlite3".into());
    // As the server loaded them, before the wizard ran.
    let before = load_env(dir.path(), &env);
    assert_eq!(
        ids(&before, &healthy_facts(&before, &env)),
        vec!["heartlock.W004", "heartlock.W008"]
    );
    // The wizard writes the key; the running server's settings are unchanged.
    write(
        dir.path(),
        "heartlock_data/appconfig.json",
        &format!(r#"{{"HEARTLOCK_ENCRYPTION_KEY": "{FERNET_KEY}"}}"#),
    );
    let live = before.deploy_check_with(&healthy_facts(&before, &env));
    let live_ids: Vec<&str> = live.iter().map(|f| f.id).collect();
    assert_eq!(live_ids, vec!["heartlock.W041", "heartlock.W008"]);
    assert!(live[0].message.contains("next to the SQLite database"));
    assert!(!live[0].message.contains(FERNET_KEY));
    // Settings loaded afterwards see it without any runtime facts.
    let after = load_env(dir.path(), &env);
    assert_eq!(ids(&after, &RuntimeFacts::default()), live_ids);
}

#[test]
fn appconfig_overriding_the_environment_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let env = good_env();
    write(
        dir.path(),
        "heartlock_data/appconfig.json",
        r#"{"HEARTLOCK_BASE_URL": "https://other.example.com", "OIDC_CLIENT_ID": "x"}"#,
    );
    let s = load_env(dir.path(), &env);
    // The settings alone cannot tell that the environment set them too.
    assert_eq!(s.deploy_check(), vec![]);
    let findings = s.deploy_check_with(&healthy_facts(&s, &env));
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].id, "heartlock.W042");
    assert_eq!(findings[0].severity, Severity::Warning);
    assert_eq!(
        findings[0].settings,
        vec!["HEARTLOCK_BASE_URL", "OIDC_CLIENT_ID"]
    );
    assert!(!findings[0].message.contains("other.example.com"));

    // A .env file counts as the environment too; keys only in appconfig.json do not.
    let dir = tempfile::tempdir().unwrap();
    let mut env = good_env();
    env.remove("HEARTLOCK_BASE_URL");
    write(
        dir.path(),
        ".env",
        "HEARTLOCK_BASE_URL=https://vault.example.com\n",
    );
    write(
        dir.path(),
        "heartlock_data/appconfig.json",
        r#"{"HEARTLOCK_BASE_URL": "https://vault.example.com", "OIDC_GROUPS_CLAIM": "roles"}"#,
    );
    let s = load_env(dir.path(), &env);
    let findings = s.deploy_check_with(&healthy_facts(&s, &env));
    let names: Vec<_> = findings.iter().flat_map(|f| f.settings.clone()).collect();
    assert_eq!(names, vec!["HEARTLOCK_BASE_URL"]);
}

#[test]
fn appconfig_written_after_loading_overrides_at_next_start() {
    let dir = tempfile::tempdir().unwrap();
    let env = good_env();
    let s = load_env(dir.path(), &env);
    let facts = RuntimeFacts {
        admin_exists: Some(true),
        appconfig: Some(HashMap::from([(
            "HEARTLOCK_BASE_URL".to_string(),
            "https://new.example.com".into(),
        )])),
        ..RuntimeFacts::default()
    };
    // The loaded value came from the environment; appconfig.json wins next time.
    assert_eq!(ids(&s, &facts), vec!["heartlock.W042"]);
}

#[test]
fn json_document_counts_by_severity() {
    let dir = tempfile::tempdir().unwrap();
    let s = load_with(
        dir.path(),
        &[("DEBUG", "true"), ("REFRESH_TOKEN_EXPIRE_DAYS", "365")],
    );
    let doc = findings_json(&s.deploy_check());
    assert_eq!(doc["errors"], 1);
    assert_eq!(doc["warnings"], 1);
    let findings = doc["findings"].as_array().unwrap();
    assert_eq!(findings[0]["id"], "heartlock.W003");
    assert_eq!(findings[0]["severity"], "error");
    assert_eq!(findings[0]["settings"], serde_json::json!(["DEBUG"]));
    assert_eq!(findings[1]["id"], "heartlock.W032");
    assert_eq!(findings[1]["severity"], "warning");
    assert!(
        findings[1]["fix"]
            .as_str()
            .unwrap()
            .contains("REFRESH_TOKEN_EXPIRE_DAYS")
    );
    let empty = findings_json(&[]);
    assert_eq!(
        empty,
        serde_json::json!({"findings": [], "errors": 0, "warnings": 0})
    );
}

#[test]
fn ids_are_unique_per_run() {
    let dir = tempfile::tempdir().unwrap();
    let s = load_ok(
        dir.path(),
        &[
            ("DEBUG", "true"),
            ("SECRET_KEY", "changeme"),
            ("JWT_SECRET_KEY", "changeme"),
            ("ALLOWED_HOSTS", "*"),
            ("CORS_ALLOWED_ORIGINS", "*,http://a.example.com"),
            ("CSRF_TRUSTED_ORIGINS", "*,http://a.example.com"),
            ("POLICY_NO_AUTH_DEFAULT", "allow_all"),
        ],
    )
    .settings;
    let findings = s.deploy_check();
    let mut found: Vec<&str> = findings.iter().map(|f| f.id).collect();
    found.sort();
    found.dedup();
    assert_eq!(found.len(), findings.len());
    assert!(found.len() >= 10, "{found:?}");
}

#[test]
fn metrics_behind_a_token_are_not_a_finding_and_short_tokens_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let token = "Mx7pQ2vL9rT4wZ8kN3bH6cJ1";
    let s = load_with(
        dir.path(),
        &[
            ("HEARTLOCK_METRICS", "true"),
            ("HEARTLOCK_METRICS_TOKEN", token),
        ],
    );
    assert!(s.metrics.served());
    assert_eq!(s.deploy_check(), vec![]);
    let err = load_err(
        dir.path(),
        &[("HEARTLOCK_METRICS_TOKEN", "short-token-1234")],
    );
    let text = err.to_string();
    assert!(text.contains("HEARTLOCK_METRICS_TOKEN"), "{text}");
    assert!(!text.contains("short-token-1234"), "{text}");
    let err = load_err(
        dir.path(),
        &[("HEARTLOCK_METRICS_TOKEN", "has a space in it 0123456789")],
    );
    assert!(err.to_string().contains("HEARTLOCK_METRICS_TOKEN"));
}
