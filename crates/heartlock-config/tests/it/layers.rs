//! Precedence, legacy aliases, appconfig.json rules and the data dir.

use crate::common::*;
use heartlock_config::Source;

#[test]
fn appconfig_beats_environment_beats_dotenv_beats_default() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        ".env",
        "HEARTLOCK_BASE_URL=https://dotenv.example\nOIDC_CLIENT_ID=from-dotenv\nEMAIL_PORT=2525\n",
    );
    write(
        d,
        "heartlock_data/appconfig.json",
        r#"{"HEARTLOCK_BASE_URL": "https://appconfig.example/"}"#,
    );
    let env = [
        ("HEARTLOCK_BASE_URL", "https://env.example"),
        ("OIDC_CLIENT_ID", "from-env"),
    ];
    let s = load_ok(d, &env).settings;

    assert_eq!(s.base_url.as_deref(), Some("https://appconfig.example"));
    assert_eq!(
        s.source_of("HEARTLOCK_BASE_URL"),
        Some(&Source::AppConfig(d.join("heartlock_data/appconfig.json")))
    );
    assert_eq!(s.oidc.client_id.as_deref(), Some("from-env"));
    assert_eq!(s.source_of("OIDC_CLIENT_ID"), Some(&Source::Environment));
    assert_eq!(s.email.port, 2525);
    assert_eq!(
        s.source_of("EMAIL_PORT"),
        Some(&Source::DotEnv(d.join(".env")))
    );
    assert_eq!(s.invitation_expiry_days, 7);
    assert_eq!(
        s.source_of("HEARTLOCK_INVITATION_EXPIRY_DAYS"),
        Some(&Source::Default)
    );

    // Without appconfig.json the environment wins.
    std::fs::remove_file(d.join("heartlock_data/appconfig.json")).unwrap();
    let s = load_ok(d, &env).settings;
    assert_eq!(s.base_url.as_deref(), Some("https://env.example"));
    assert_eq!(
        s.source_of("HEARTLOCK_BASE_URL"),
        Some(&Source::Environment)
    );
    assert_eq!(
        s.source_of("HEARTLOCK_BASE_URL").unwrap().to_string(),
        "environment"
    );
}

#[test]
fn app_env_file_beats_dotenv_but_loses_to_environment() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        ".env",
        "APP_ENV=prod\nEMAIL_PORT=1000\nEMAIL_TIMEOUT=11\nDB_CONN_MAX_AGE=5\n",
    );
    write(d, ".env.prod", "EMAIL_PORT=2000\nEMAIL_TIMEOUT=22\n");
    let s = load_ok(d, &[("EMAIL_TIMEOUT", "33")]).settings;

    assert_eq!(s.app_env.as_deref(), Some("prod"));
    assert_eq!(
        s.source_of("APP_ENV"),
        Some(&Source::DotEnv(d.join(".env")))
    );
    assert_eq!(s.email.port, 2000);
    assert_eq!(
        s.source_of("EMAIL_PORT"),
        Some(&Source::AppEnvFile(d.join(".env.prod")))
    );
    assert_eq!(s.source_of("EMAIL_PORT").unwrap().to_string(), ".env.prod");
    assert_eq!(s.email.timeout_secs, 33);
    assert_eq!(s.source_of("EMAIL_TIMEOUT"), Some(&Source::Environment));
    assert_eq!(s.db_conn_max_age_secs, 5);

    // APP_ENV from the process environment picks a different file.
    write(d, ".env.staging", "EMAIL_PORT=3000\n");
    let s = load_ok(d, &[("APP_ENV", "staging")]).settings;
    assert_eq!(s.email.port, 3000);
    assert_eq!(s.source_of("APP_ENV"), Some(&Source::Environment));
}

#[test]
fn app_env_with_path_separator_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let err = load_err(dir.path(), &[("APP_ENV", "../etc")]);
    assert!(err.to_string().contains("APP_ENV"), "{err}");
}

#[test]
fn legacy_alias_used_only_when_canonical_absent() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let s = load_ok(
        d,
        &[
            ("OIDC_RP_CLIENT_ID", "legacy-id"),
            ("OIDC_OP_LOGOUT_ENDPOINT", "https://idp.example/logout"),
            ("OIDC_OP_USER_ENDPOINT", "https://idp.example/userinfo"),
        ],
    )
    .settings;
    assert_eq!(s.oidc.client_id.as_deref(), Some("legacy-id"));
    let src = s.source_of("OIDC_CLIENT_ID").unwrap();
    assert_eq!(src.to_string(), "environment (legacy OIDC_RP_CLIENT_ID)");
    assert_eq!(src.layer(), &Source::Environment);
    assert_eq!(
        s.oidc.end_session_endpoint.as_deref(),
        Some("https://idp.example/logout")
    );
    assert_eq!(
        s.oidc.userinfo_endpoint.as_deref(),
        Some("https://idp.example/userinfo")
    );

    let s = load_ok(
        d,
        &[
            ("OIDC_RP_CLIENT_ID", "legacy-id"),
            ("OIDC_CLIENT_ID", "canonical-id"),
            ("OIDC_OP_END_SESSION_ENDPOINT", "https://idp.example/end"),
        ],
    )
    .settings;
    assert_eq!(s.oidc.client_id.as_deref(), Some("canonical-id"));
    assert_eq!(s.source_of("OIDC_CLIENT_ID"), Some(&Source::Environment));
    assert_eq!(
        s.oidc.end_session_endpoint.as_deref(),
        Some("https://idp.example/end")
    );
}

#[test]
fn alias_in_higher_layer_beats_canonical_in_lower_layer() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, ".env", "OIDC_CLIENT_ID=from-dotenv\n");
    let s = load_ok(d, &[("OIDC_RP_CLIENT_ID", "legacy-env")]).settings;
    assert_eq!(s.oidc.client_id.as_deref(), Some("legacy-env"));
}

#[test]
fn appconfig_ignores_keys_outside_subset_with_warning() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "heartlock_data/appconfig.json",
        r#"{"DEBUG": "true", "SECRET_KEY": "planted-secret-value", "OIDC_RP_CLIENT_ID": "x",
            "OIDC_CLIENT_ID": "ac-id", "OIDC_ENABLE": true, "DATABASE_URL": "postgres://db.example/heartlock"}"#,
    );
    let loaded = load_ok(d, &[]);
    let s = &loaded.settings;
    assert!(!s.debug);
    assert!(s.secret_key.is_none());
    assert_eq!(s.oidc.client_id.as_deref(), Some("ac-id"));
    assert_eq!(s.oidc.enable, Some(true));
    assert!(s.is_postgres());
    assert_eq!(loaded.warnings.len(), 3, "{:?}", loaded.warnings);
    let all = loaded.warnings.join("\n");
    for key in ["DEBUG", "SECRET_KEY", "OIDC_RP_CLIENT_ID"] {
        assert!(all.contains(key), "{all}");
    }
    assert!(!all.contains("planted-secret-value"));
}

#[test]
fn appconfig_numbers_become_strings_and_malformed_json_names_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "heartlock_data/appconfig.json",
        r#"{"OIDC_CLIENT_ID": 12345}"#,
    );
    let s = load_ok(d, &[]).settings;
    assert_eq!(s.oidc.client_id.as_deref(), Some("12345"));

    write(d, "heartlock_data/appconfig.json", "{not json");
    let msg = load_err(d, &[]).to_string();
    assert!(msg.contains("appconfig.json"), "{msg}");
}

#[test]
fn malformed_dotenv_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, ".env", "DEBUG=true\nSECRET_KEY='unterminated-planted\n");
    let msg = load_err(d, &[]).to_string();
    assert!(msg.contains(".env"), "{msg}");
    assert!(msg.contains("line 2"), "{msg}");
    assert!(!msg.contains("unterminated-planted"), "{msg}");
}

#[test]
fn empty_value_means_default_but_records_layer() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, ".env", "EMAIL_PORT=\nOIDC_CLIENT_ID=\n");
    let s = load_ok(d, &[("OIDC_CLIENT_ID", "")]).settings;
    assert_eq!(s.email.port, 587);
    assert_eq!(
        s.source_of("EMAIL_PORT"),
        Some(&Source::DotEnv(d.join(".env")))
    );
    assert_eq!(s.oidc.client_id, None);
    assert_eq!(s.source_of("OIDC_CLIENT_ID"), Some(&Source::Environment));
}

#[test]
fn data_dir_moves_default_database_and_appconfig() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "heartlock_data/appconfig.json",
        r#"{"OIDC_CLIENT_ID": "old"}"#,
    );
    write(d, "custom/appconfig.json", r#"{"OIDC_CLIENT_ID": "new"}"#);

    let s = load_ok(d, &[]).settings;
    assert_eq!(
        s.database_url.expose(),
        "sqlite:///heartlock_data/db.sqlite3"
    );
    assert_eq!(s.data_dir, d.join("heartlock_data"));
    assert_eq!(s.oidc.client_id.as_deref(), Some("old"));

    let s = load_ok(d, &[("HEARTLOCK_DATA_DIR", "custom")]).settings;
    assert_eq!(s.data_dir, d.join("custom"));
    assert_eq!(s.sqlite_path(), Some(d.join("custom/db.sqlite3")));
    assert_eq!(s.oidc.client_id.as_deref(), Some("new"));

    // An absolute data dir stays absolute in the derived URL.
    let abs = d.join("abs-data");
    let s = load_ok(d, &[("HEARTLOCK_DATA_DIR", abs.to_str().unwrap())]).settings;
    assert_eq!(s.data_dir, abs);
    assert_eq!(s.sqlite_path(), Some(abs.join("db.sqlite3")));
}

#[test]
fn csrf_falls_back_to_cors_and_origins_are_normalised() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let s = load_ok(
        d,
        &[(
            "CORS_ALLOWED_ORIGINS",
            "https://App.Example:443, http://localhost:5173/",
        )],
    )
    .settings;
    assert_eq!(
        s.cors_allowed_origins,
        vec!["https://app.example", "http://localhost:5173"]
    );
    assert_eq!(s.csrf_trusted_origins(), s.cors_allowed_origins.as_slice());

    let s = load_ok(
        d,
        &[
            ("CORS_ALLOWED_ORIGINS", "https://a.example"),
            ("CSRF_TRUSTED_ORIGINS", "https://b.example"),
        ],
    )
    .settings;
    assert_eq!(s.csrf_trusted_origins(), ["https://b.example".to_string()]);
}

#[test]
fn oidc_enabled_and_redirect_uri() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let s = load_ok(d, &[]).settings;
    assert!(!s.oidc_enabled());
    assert_eq!(
        s.oidc_redirect_uri("http://localhost:8082/"),
        "http://localhost:8082/oauth/callback"
    );

    let full = [
        ("OIDC_CLIENT_ID", "id"),
        ("OIDC_AUTHORIZATION_ENDPOINT", "https://idp.example/auth"),
        ("OIDC_TOKEN_ENDPOINT", "https://idp.example/token"),
        ("OIDC_ISSUER", "https://idp.example"),
        ("HEARTLOCK_BASE_URL", "https://vault.example/"),
    ];
    let s = load_ok(d, &full).settings;
    assert!(s.oidc_enabled());
    assert_eq!(
        s.oidc_redirect_uri("http://ignored"),
        "https://vault.example/oauth/callback"
    );

    let mut off = full.to_vec();
    off.push(("OIDC_ENABLE", "false"));
    off.push(("OIDC_REDIRECT_URI", "https://other.example/cb"));
    let s = load_ok(d, &off).settings;
    assert!(!s.oidc_enabled());
    assert_eq!(
        s.oidc_redirect_uri("http://ignored"),
        "https://other.example/cb"
    );
}

#[test]
fn defaults_are_as_documented() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let s = load_ok(d, &[]).settings;
    assert!(!s.debug);
    assert!(s.secure_ssl_redirect);
    assert_eq!(s.allowed_hosts, vec!["localhost", "127.0.0.1"]);
    assert_eq!(s.bind.to_string(), "0.0.0.0:8082");
    assert_eq!(s.max_body_bytes, 1_048_576);
    assert_eq!(s.max_secret_bytes, 65_536);
    assert_eq!(s.oidc.scopes, vec!["openid", "email", "profile"]);
    assert_eq!(s.oidc.sign_algo, "RS256");
    assert!(s.email.use_tls && !s.email.use_ssl);
    assert_eq!(s.email.backend, heartlock_config::EmailBackend::Console);
    assert_eq!(s.jwt.access_token_expire_hours, 24);

    let s = load_ok(d, &[("DEBUG", "yes"), ("EMAIL_HOST", "smtp.example")]).settings;
    assert!(s.debug);
    assert!(!s.secure_ssl_redirect);
    assert_eq!(s.email.backend, heartlock_config::EmailBackend::Smtp);

    // EMAIL_USE_SSL alone switches the TLS default off instead of conflicting.
    let s = load_ok(d, &[("EMAIL_USE_SSL", "true")]).settings;
    assert!(s.email.use_ssl && !s.email.use_tls);
}

#[test]
fn for_tests_matches_loading_with_debug_true() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let loaded = load_ok(d, &[("DEBUG", "true")]).settings;
    let built = heartlock_config::Settings::for_tests(d);
    assert_eq!(loaded, built);
}
