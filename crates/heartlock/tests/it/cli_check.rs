//! `heartlock check --deploy` as a CI gate: exit codes, `--json`,
//! `--fail-level` and the database facts.
use crate::common::run;
use std::path::Path;

const SECRET_KEY: &str = "k7Vq2pXz9LmR4tYw8NcB3hJf6GdS1aEu0iOo5Zx";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Production settings on SQLite: only the SQLite warning (W008) remains
/// once an administrator exists.
fn env(dir: &Path, key: &str) -> Vec<(&'static str, String)> {
    vec![
        ("DEBUG", "false".into()),
        ("SECRET_KEY", SECRET_KEY.into()),
        ("HEARTLOCK_ENCRYPTION_KEY", key.into()),
        (
            "DATABASE_URL",
            format!("sqlite:///{}", dir.join("db.sqlite3").display()),
        ),
        ("ALLOWED_HOSTS", "vault.example.com".into()),
        ("HEARTLOCK_BASE_URL", "https://vault.example.com".into()),
        ("ENABLE_REGISTRATION", "false".into()),
    ]
}

fn check(dir: &Path, env: &[(&'static str, String)], args: &[&str]) -> (Option<i32>, String) {
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut all = vec!["check", "--deploy"];
    all.extend_from_slice(args);
    let out = run(dir, &pairs, &all);
    (out.status.code(), text(&out.stdout))
}

fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

fn ids(doc: &serde_json::Value) -> Vec<String> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn json_and_exit_codes_follow_the_findings() {
    let dir = tempfile::tempdir().unwrap();
    let key = heartlock_core::Keyring::generate_key();
    let mut env = env(dir.path(), &key);

    // No database yet: the first visitor of /onboarding would become admin.
    let (code, out) = check(dir.path(), &env, &["--json"]);
    assert_eq!(code, Some(1));
    let doc = json(&out);
    assert_eq!(ids(&doc), ["heartlock.W040", "heartlock.W008"]);
    assert_eq!(
        (doc["errors"].as_u64(), doc["warnings"].as_u64()),
        (Some(1), Some(1))
    );
    let first = &doc["findings"][0];
    assert_eq!(first["severity"], "error");
    assert_eq!(
        first["settings"],
        serde_json::json!(["HEARTLOCK_DISABLE_ONBOARDING"])
    );
    assert!(first["fix"].as_str().unwrap().contains("createsuperuser"));
    assert!(!out.contains(SECRET_KEY) && !out.contains(&key));
    assert!(
        !dir.path().join("db.sqlite3").exists(),
        "the check created the database"
    );
    // An error fails at either level.
    let (code, _) = check(dir.path(), &env, &["--json", "--fail-level", "error"]);
    assert_eq!(code, Some(1));

    // With an administrator, only the warning is left.
    let mut with_pw: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    with_pw.push((
        "HEARTLOCK_SUPERUSER_PASSWORD",
        "correct horse battery staple",
    ));
    let out = run(
        dir.path(),
        &with_pw,
        &[
            "createsuperuser",
            "--email",
            "root@example.com",
            "--no-input",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (code, out) = check(dir.path(), &env, &["--json"]);
    assert_eq!(code, Some(1), "warnings fail by default");
    assert_eq!(ids(&json(&out)), ["heartlock.W008"]);
    let (code, out) = check(dir.path(), &env, &["--json", "--fail-level", "error"]);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(json(&out)["warnings"], 1);

    // The text form: grouped by severity, with the fix.
    env.push(("DEBUG", "true".into()));
    let (code, out) = check(dir.path(), &env, &[]);
    assert_eq!(code, Some(1));
    let errors = out.find("errors:").expect("an errors group");
    let warnings = out.find("warnings:").expect("a warnings group");
    let debug = out.find("heartlock.W003 [DEBUG]").expect("W003 listed");
    assert!(errors < debug && debug < warnings, "{out}");
    assert!(out.contains("fix: Set DEBUG=false"), "{out}");
    assert!(out.contains("error(s)"), "{out}");
}

#[test]
fn an_unreachable_database_is_a_note_not_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let key = heartlock_core::Keyring::generate_key();
    let mut env = env(dir.path(), &key);
    env.retain(|(k, _)| *k != "DATABASE_URL");
    // Port 1 on loopback: refused at once, never the network.
    env.push((
        "DATABASE_URL",
        "postgres://heartlock_app:Xq7vR2mL9pTz4Kw8@127.0.0.1:1/heartlock".into(),
    ));
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out = run(dir.path(), &pairs, &["check", "--deploy", "--json"]);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("note: cannot read the database"),
        "{stderr}"
    );
    assert!(!stderr.contains("Xq7vR2mL9pTz4Kw8"), "{stderr}");
    let doc = json(&text(&out.stdout));
    assert_eq!(
        doc,
        serde_json::json!({"findings": [], "errors": 0, "warnings": 0})
    );
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn json_needs_deploy() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &[], &["check", "--json"]);
    assert_eq!(out.status.code(), Some(2));
}
