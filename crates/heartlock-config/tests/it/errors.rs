//! Invalid values produce errors that name the setting and never leak secrets.

use crate::common::*;
use heartlock_config::ConfigError;

#[test]
fn malformed_boolean_names_variable() {
    let dir = tempfile::tempdir().unwrap();
    let err = load_err(dir.path(), &[("DEBUG", "maybe")]);
    let msg = err.to_string();
    assert!(
        msg.starts_with(
            "invalid value for DEBUG: expected a boolean (true/false/1/0/yes/no/on/off)"
        ),
        "{msg}"
    );
    assert!(matches!(err, ConfigError::Invalid { ref name, .. } if name == "DEBUG"));
}

#[test]
fn malformed_number_names_variable_and_range() {
    let dir = tempfile::tempdir().unwrap();
    for bad in ["abc", "0", "70000", "-1"] {
        let msg = load_err(dir.path(), &[("EMAIL_PORT", bad)]).to_string();
        assert!(
            msg.contains("invalid value for EMAIL_PORT: expected an integer from 1 to 65535"),
            "{msg}"
        );
    }
    let msg = load_err(dir.path(), &[("HEARTLOCK_INVITATION_EXPIRY_DAYS", "366")]).to_string();
    assert!(msg.contains("HEARTLOCK_INVITATION_EXPIRY_DAYS"), "{msg}");
}

#[test]
fn malformed_url_names_variable() {
    let dir = tempfile::tempdir().unwrap();
    for bad in ["not a url", "ftp://example.com", "https://example.com/?q=1"] {
        let msg = load_err(dir.path(), &[("HEARTLOCK_BASE_URL", bad)]).to_string();
        assert!(
            msg.contains("invalid value for HEARTLOCK_BASE_URL: expected an http(s) URL"),
            "{msg}"
        );
    }
    let msg = load_err(dir.path(), &[("OIDC_TOKEN_ENDPOINT", "idp/token")]).to_string();
    assert!(msg.contains("OIDC_TOKEN_ENDPOINT"), "{msg}");
}

#[test]
fn error_names_the_file_the_value_came_from() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".env", "LOG_FORMAT=xml\n");
    let msg = load_err(dir.path(), &[]).to_string();
    assert!(msg.contains("LOG_FORMAT"), "{msg}");
    assert!(msg.contains("text, json"), "{msg}");
    assert!(msg.contains(".env"), "{msg}");
}

#[test]
fn invalid_encryption_key_error_hides_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let bad = "PLANTEDbadKEYvalue-not-base64!!";
    let value = format!("{FERNET_KEY},{bad}");
    let msg = load_err(dir.path(), &[("HEARTLOCK_ENCRYPTION_KEY", &value)]).to_string();
    assert!(msg.contains("HEARTLOCK_ENCRYPTION_KEY"), "{msg}");
    assert!(msg.contains("key 2"), "{msg}");
    assert!(!msg.contains(bad), "{msg}");
    assert!(!msg.contains(FERNET_KEY), "{msg}");

    // Both padded and unpadded forms of a valid key are accepted.
    let unpadded = FERNET_KEY.trim_end_matches('=');
    let both = format!("{FERNET_KEY}, {unpadded}");
    let s = load_ok(dir.path(), &[("HEARTLOCK_ENCRYPTION_KEY", &both)]).settings;
    assert_eq!(s.encryption_keys(), vec![FERNET_KEY, unpadded]);
}

#[test]
fn secret_value_errors_never_echo_the_value() {
    let dir = tempfile::tempdir().unwrap();
    let planted = "postgres-PLANTED-password";
    let url = format!("mysql://user:{planted}@db/x");
    let msg = load_err(dir.path(), &[("DATABASE_URL", &url)]).to_string();
    assert!(
        msg.contains("DATABASE_URL") && !msg.contains(planted),
        "{msg}"
    );

    let msg = load_err(
        dir.path(),
        &[
            ("VAPID_PUBLIC_KEY", VAPID_PUBLIC),
            ("VAPID_PRIVATE_KEY", planted),
        ],
    )
    .to_string();
    assert!(
        msg.contains("VAPID_PRIVATE_KEY") && !msg.contains(planted),
        "{msg}"
    );
}

#[test]
fn insecure_policy_requires_debug_or_explicit_opt_in() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let msg = load_err(d, &[("POLICY_NO_AUTH_DEFAULT", "allow_all")]).to_string();
    assert!(msg.contains("POLICY_NO_AUTH_DEFAULT"), "{msg}");
    assert!(msg.contains("HEARTLOCK_ALLOW_INSECURE_POLICY"), "{msg}");

    let s = load_ok(
        d,
        &[
            ("POLICY_NO_AUTH_DEFAULT", "allow_all"),
            ("HEARTLOCK_ALLOW_INSECURE_POLICY", "true"),
        ],
    )
    .settings;
    assert_eq!(
        s.policy_no_auth_default,
        heartlock_config::NoAuthPolicy::AllowAll
    );

    let s = load_ok(
        d,
        &[("POLICY_NO_AUTH_DEFAULT", "view_only"), ("DEBUG", "true")],
    )
    .settings;
    assert_eq!(
        s.policy_no_auth_default,
        heartlock_config::NoAuthPolicy::ViewOnly
    );
}

#[test]
fn conflicting_settings_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let msg = load_err(d, &[("EMAIL_USE_TLS", "true"), ("EMAIL_USE_SSL", "on")]).to_string();
    assert!(
        msg.contains("EMAIL_USE_TLS") && msg.contains("EMAIL_USE_SSL"),
        "{msg}"
    );

    let msg = load_err(d, &[("VAPID_PUBLIC_KEY", VAPID_PUBLIC)]).to_string();
    assert!(
        msg.contains("VAPID_PUBLIC_KEY") && msg.contains("VAPID_PRIVATE_KEY"),
        "{msg}"
    );

    let msg = load_err(
        d,
        &[("TURNSTILE_ENABLED", "1"), ("TURNSTILE_SITE_KEY", "site")],
    )
    .to_string();
    assert!(msg.contains("TURNSTILE_SECRET_KEY"), "{msg}");
    assert!(!msg.contains("TURNSTILE_SITE_KEY and"), "{msg}");

    let msg = load_err(d, &[("EMAIL_BACKEND", "smtp")]).to_string();
    assert!(msg.contains("EMAIL_HOST"), "{msg}");
}

#[test]
fn other_validations() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (name, bad) in [
        ("ALLOWED_HOSTS", "https://example.com"),
        ("CORS_ALLOWED_ORIGINS", "https://example.com/path"),
        ("CSRF_TRUSTED_ORIGINS", "example.com"),
        ("HEARTLOCK_BIND", "nope"),
        ("OIDC_SIGN_ALGO", "none"),
        ("JWT_ALGORITHM", "RS256"),
        ("VAPID_SUBJECT", "admin@example.com"),
        ("DEFAULT_FROM_EMAIL", "nobody"),
        ("DEFAULT_USER_ROLE", "root"),
        ("DATABASE_OWNER_URL", "sqlite:///x.db"),
        ("OIDC_ENABLE", "sometimes"),
    ] {
        let msg = load_err(d, &[(name, bad)]).to_string();
        assert!(
            msg.contains(&format!("invalid value for {name}")),
            "{name}: {msg}"
        );
    }
    let s = load_ok(
        d,
        &[
            ("ALLOWED_HOSTS", "Example.com, .example.com,*,[::1]:8082"),
            ("OIDC_SIGN_ALGO", "eddsa"),
            ("DEFAULT_FROM_EMAIL", "Heartlock <noreply@example.com>"),
            ("HEARTLOCK_BIND", "[::]:9000"),
        ],
    )
    .settings;
    assert_eq!(
        s.allowed_hosts,
        vec!["example.com", ".example.com", "*", "[::1]:8082"]
    );
    assert_eq!(s.oidc.sign_algo, "EdDSA");
    assert_eq!(s.bind.port(), 9000);
}

#[test]
fn vapid_pair_from_the_seed_generator_is_accepted_and_a_mismatch_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Padded as the generator prints it, and unpadded.
    for public in [VAPID_PUBLIC, VAPID_PUBLIC.trim_end_matches('=')] {
        load_ok(
            d,
            &[
                ("VAPID_PUBLIC_KEY", public),
                ("VAPID_PRIVATE_KEY", VAPID_PRIVATE),
            ],
        );
    }
    // The public key of another pair made by the same generator.
    let other =
        "BMRBgsp9Ab7VcjhnxVIEtNw9x_Y-hbWJwhQiX-KjYdyzXdr-688iIWoQJCwN1BMbeqPWXrir_FTtilJO6KZSGUU=";
    let msg = load_err(
        d,
        &[
            ("VAPID_PUBLIC_KEY", other),
            ("VAPID_PRIVATE_KEY", VAPID_PRIVATE),
        ],
    )
    .to_string();
    assert!(
        msg.contains("VAPID_PUBLIC_KEY")
            && msg.contains("VAPID_PRIVATE_KEY")
            && msg.contains("does not belong")
            && !msg.contains(VAPID_PRIVATE),
        "{msg}"
    );
}
