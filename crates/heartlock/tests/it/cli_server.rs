//! `heartlock serve` and the operator commands, run as real processes.
use crate::common::{Server, run};
use heartlock_store::Backend;
use heartlock_store::testing::TestDb;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

macro_rules! both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                ($body)(TestDb::new(Backend::Sqlite).await).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                ($body)(TestDb::new(Backend::Postgres).await).await;
            }
        }
    };
}

both_backends!(
    serve_answers_probes_and_exits_cleanly_on_sigterm,
    |db: TestDb| async move {
        let dir = tempfile::tempdir().unwrap();
        let key = heartlock_core::Keyring::generate_key();
        let srv = Server::start(
            dir.path(),
            &[
                ("DATABASE_URL", &db.url),
                ("HEARTLOCK_ENCRYPTION_KEY", &key),
            ],
        );
        let r = reqwest::get(srv.url("/healthz")).await.unwrap();
        assert_eq!(r.status(), 200);
        let r = reqwest::get(srv.url("/readyz")).await.unwrap();
        assert_eq!(r.status(), 200);
        let (status, log) = srv.terminate();
        assert!(status.success(), "exit {status}: {log}");
        assert!(log.contains("heartlock stopped"), "{log}");
        assert!(!log.contains(&key), "the key must never be logged");
    }
);

both_backends!(
    rotate_key_then_the_new_key_alone_opens_the_database,
    |db: TestDb| async move {
        let dir = tempfile::tempdir().unwrap();
        let old = heartlock_core::Keyring::generate_key();
        let new = heartlock_core::Keyring::generate_key();
        let with = |k: &str| {
            vec![
                ("DATABASE_URL".to_string(), db.url.clone()),
                ("HEARTLOCK_ENCRYPTION_KEY".to_string(), k.to_string()),
            ]
        };
        let as_refs = |v: &Vec<(String, String)>| {
            v.iter()
                .map(|(a, b)| (a.clone(), b.clone()))
                .collect::<Vec<_>>()
        };

        // First start under the old key marks the database with it.
        let env = as_refs(&with(&old));
        let env: Vec<(&str, &str)> = env.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let (status, log) = Server::start(dir.path(), &env).terminate();
        assert!(status.success(), "{log}");

        // The new key alone is refused with a clear message.
        let env_new = with(&new);
        let env_new: Vec<(&str, &str)> = env_new
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let out = run(dir.path(), &env_new, &["migrate"]);
        assert!(
            out.status.success(),
            "migrate needs no key: {}",
            text(&out.stderr)
        );

        let both = format!("{new},{old}");
        let env_both = with(&both);
        let env_both: Vec<(&str, &str)> = env_both
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let out = run(dir.path(), &env_both, &["rotate-key"]);
        let stdout = text(&out.stdout);
        assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
        assert!(
            stdout.contains("0 value(s) still need an old key"),
            "{stdout}"
        );

        let (status, log) = Server::start(dir.path(), &env_new).terminate();
        assert!(status.success(), "{log}");
    }
);

#[test]
fn a_wrong_key_stops_startup_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let a = heartlock_core::Keyring::generate_key();
    let b = heartlock_core::Keyring::generate_key();
    let (status, _) = Server::start(dir.path(), &[("HEARTLOCK_ENCRYPTION_KEY", &a)]).terminate();
    assert!(status.success());
    let out = run(
        dir.path(),
        &[
            ("HEARTLOCK_ENCRYPTION_KEY", &b),
            ("HEARTLOCK_BIND", "127.0.0.1:0"),
            ("SECRET_KEY", "a-long-random-secret-key-for-this-test-0123"),
        ],
        &["serve"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("does not match this database"), "{err}");
    assert!(!err.contains(&a) && !err.contains(&b));
}

#[test]
fn production_without_secret_key_refuses_to_serve_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let key = heartlock_core::Keyring::generate_key();
    let out = run(
        dir.path(),
        &[
            ("HEARTLOCK_ENCRYPTION_KEY", &key),
            ("HEARTLOCK_BIND", "127.0.0.1:0"),
        ],
        &["serve"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("SECRET_KEY is not set"), "{err}");
}

#[test]
fn setup_code_is_issued_in_production_and_printed_again() {
    let dir = tempfile::tempdir().unwrap();
    let key = heartlock_core::Keyring::generate_key();
    let env = [("HEARTLOCK_ENCRYPTION_KEY", key.as_str())];
    let none = run(dir.path(), &env, &["setup-code"]);
    assert_eq!(
        none.status.code(),
        Some(1),
        "no code before the first start"
    );
    let srv = Server::start(dir.path(), &env);
    let log = srv.log_text();
    let (status, _) = srv.terminate();
    assert!(status.success());
    let out = run(dir.path(), &env, &["setup-code"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let code = text(&out.stdout).trim().to_string();
    assert_eq!(code.len(), 24, "{code}");
    assert!(
        log.contains(&code),
        "the server printed the same code at start: {log}"
    );
}

#[test]
fn debug_start_generates_then_reuses_secret_key() {
    let dir = tempfile::tempdir().unwrap();
    let env = [("DEBUG", "true")];
    let (status, log) = Server::start(dir.path(), &env).terminate();
    assert!(status.success(), "{log}");
    let key_path = dir.path().join("heartlock_data/secret.key");
    let first = std::fs::read_to_string(&key_path).unwrap();
    assert!(heartlock_core::crypto::is_valid_key(first.trim()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key_path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    assert!(dir.path().join("heartlock_data/db.sqlite3").exists());
    // The second start reuses the file (and so passes the database key check).
    let (status, log) = Server::start(dir.path(), &env).terminate();
    assert!(status.success(), "{log}");
    assert_eq!(std::fs::read_to_string(&key_path).unwrap(), first);
}

#[test]
fn production_without_a_key_warns_about_the_ephemeral_key() {
    let dir = tempfile::tempdir().unwrap();
    let srv = Server::start(dir.path(), &[("DEBUG", "false")]);
    let (status, log) = srv.terminate();
    assert!(status.success(), "{log}");
    assert!(log.contains("EPHEMERAL"), "{log}");
    assert!(!dir.path().join("heartlock_data/secret.key").exists());
}

#[test]
fn malformed_settings_stop_startup_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    for (name, value) in [
        ("DEBUG", "maybe"),
        ("EMAIL_PORT", "seventy"),
        ("HEARTLOCK_BASE_URL", "not a url"),
    ] {
        let out = run(dir.path(), &[(name, value)], &["serve"]);
        assert_eq!(out.status.code(), Some(2), "{name}");
        assert!(
            text(&out.stderr).contains(name),
            "{name}: {}",
            text(&out.stderr)
        );
    }
    let out = run(
        dir.path(),
        &[("HEARTLOCK_ENCRYPTION_KEY", "hunter2-not-a-key")],
        &["serve"],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("HEARTLOCK_ENCRYPTION_KEY") && !err.contains("hunter2"),
        "{err}"
    );
}

#[test]
fn gen_key_config_and_check_deploy() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &[], &["gen-key"]);
    let key = text(&out.stdout).trim().to_string();
    assert_eq!(key.len(), 44);

    let planted = "db-password-planted-123";
    let url = format!("postgres://heartlock:{planted}@db.internal:5432/heartlock");
    let out = run(
        dir.path(),
        &[
            ("SECRET_KEY", "secret-key-planted-0123456789abcdef0123"),
            ("HEARTLOCK_ENCRYPTION_KEY", &key),
            ("DATABASE_URL", &url),
        ],
        &["config"],
    );
    let report = text(&out.stdout);
    assert!(out.status.success());
    for name in [
        "SECRET_KEY",
        "DATABASE_URL",
        "HEARTLOCK_ENCRYPTION_KEY",
        "OIDC_CLIENT_ID",
        "VAPID_SUBJECT",
        "TURNSTILE_ENABLED",
    ] {
        assert!(report.contains(name), "{name} missing from config report");
    }
    assert!(
        !report.contains(planted)
            && !report.contains(&key)
            && !report.contains("secret-key-planted")
    );
    assert!(report.contains("environment"));

    // Defaults in production have problems; check --deploy lists them and fails.
    let out = run(dir.path(), &[("DEBUG", "false")], &["check", "--deploy"]);
    assert_eq!(out.status.code(), Some(1));
    let findings = text(&out.stdout);
    for name in ["SECRET_KEY", "HEARTLOCK_ENCRYPTION_KEY", "DATABASE_URL"] {
        assert!(findings.contains(name), "{name} not flagged: {findings}");
    }
}

#[test]
fn createsuperuser_non_interactive() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let key = heartlock_core::Keyring::generate_key();
    let env = [("HEARTLOCK_ENCRYPTION_KEY", key.as_str())];
    let mut child = crate::common::heartlock(dir.path(), &env)
        .args([
            "createsuperuser",
            "--email",
            "Root@Example.com",
            "--password-stdin",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"correct horse battery staple\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("superuser root@example.com created"));

    // A weak password from the environment is refused with the policy's reason.
    let out = run(
        dir.path(),
        &[
            ("HEARTLOCK_ENCRYPTION_KEY", key.as_str()),
            ("HEARTLOCK_SUPERUSER_PASSWORD", "password1234"),
        ],
        &[
            "createsuperuser",
            "--email",
            "second@example.com",
            "--no-input",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("password"),
        "{}",
        text(&out.stderr)
    );
    // The same email twice is a clear conflict.
    let out = run(
        dir.path(),
        &[
            ("HEARTLOCK_ENCRYPTION_KEY", key.as_str()),
            (
                "HEARTLOCK_SUPERUSER_PASSWORD",
                "correct horse battery staple",
            ),
        ],
        &[
            "createsuperuser",
            "--email",
            "root@example.com",
            "--no-input",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("already exists"),
        "{}",
        text(&out.stderr)
    );
}
