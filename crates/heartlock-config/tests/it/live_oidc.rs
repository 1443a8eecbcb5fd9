//! OIDC settings recomputed at run time: admin-set values (the appconfig
//! layer) over the environment, `.env` files and defaults.
use std::collections::BTreeMap;

use heartlock_config::{ConfigError, Source};

use crate::common::{load_ok, write};

fn admin(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn admin_values_beat_the_environment_and_the_rest_stays() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, ".env", "OIDC_GROUPS_CLAIM=teams\n");
    let s = load_ok(
        d,
        &[
            ("OIDC_CLIENT_ID", "env-id"),
            ("OIDC_OP_LOGOUT_ENDPOINT", "https://idp.example/logout"),
        ],
    )
    .settings;
    let e = s
        .oidc_with_admin_values(&admin(&[
            ("OIDC_CLIENT_ID", "admin-id"),
            ("OIDC_SCOPES", "openid email"),
            ("OIDC_ENABLE", "false"),
        ]))
        .unwrap();
    assert_eq!(e.settings.client_id.as_deref(), Some("admin-id"));
    assert_eq!(e.settings.scopes, vec!["openid", "email"]);
    assert_eq!(e.settings.enable, Some(false));
    assert!(matches!(e.source("OIDC_CLIENT_ID"), Source::AppConfig(_)));
    // Untouched names keep their layer, legacy aliases included.
    assert_eq!(
        e.settings.end_session_endpoint.as_deref(),
        Some("https://idp.example/logout")
    );
    assert_eq!(
        e.source("OIDC_END_SESSION_ENDPOINT").to_string(),
        "environment (legacy OIDC_OP_LOGOUT_ENDPOINT)"
    );
    assert_eq!(e.settings.groups_claim, "teams");
    assert_eq!(e.source("OIDC_GROUPS_CLAIM").to_string(), ".env");
    assert_eq!(e.source("OIDC_SIGN_ALGO"), Source::Default);
    assert_eq!(
        e.admin_set(),
        vec!["OIDC_CLIENT_ID", "OIDC_ENABLE", "OIDC_SCOPES"]
    );

    // No admin values: the environment as at start.
    let none = s.oidc_with_admin_values(&BTreeMap::new()).unwrap();
    assert_eq!(none.settings, s.oidc);
}

#[test]
fn appconfig_file_values_are_replaced_not_merged() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "heartlock_data/appconfig.json",
        r#"{"OIDC_CLIENT_ID": "file-id", "OIDC_ISSUER": "https://file.example"}"#,
    );
    let s = load_ok(d, &[("OIDC_CLIENT_ID", "env-id")]).settings;
    assert_eq!(s.oidc.client_id.as_deref(), Some("file-id"));
    let lower = s.oidc_without_appconfig().unwrap();
    assert_eq!(lower.settings.client_id.as_deref(), Some("env-id"));
    assert_eq!(lower.settings.issuer, None);
    let e = s
        .oidc_with_admin_values(&admin(&[("OIDC_SCOPES", "openid")]))
        .unwrap();
    assert_eq!(e.settings.client_id.as_deref(), Some("env-id"));
    assert_eq!(e.settings.issuer, None, "the file's layer was replaced");
}

#[test]
fn admin_values_are_parsed_as_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let s = load_ok(dir.path(), &[]).settings;
    for (name, bad) in [
        ("OIDC_TOKEN_ENDPOINT", "ftp://idp.example/token"),
        ("OIDC_SIGN_ALGO", "none"),
        ("OIDC_ENABLE", "maybe"),
        ("OIDC_UNKNOWN", "x"),
    ] {
        match s.oidc_with_admin_values(&admin(&[(name, bad)])) {
            Err(ConfigError::Invalid { name: n, .. }) => assert_eq!(n, name),
            other => panic!("{name}: {other:?}"),
        }
    }
    let e = s
        .oidc_with_admin_values(&admin(&[("OIDC_SIGN_ALGO", "eddsa")]))
        .unwrap();
    assert_eq!(e.settings.sign_algo, "EdDSA");
}
