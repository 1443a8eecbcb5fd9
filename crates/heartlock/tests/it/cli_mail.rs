//! `heartlock mail test`, the email settings at start, and `kill -9` with
//! mail queued: the real binary against a real SMTP relay (aiosmtpd).
use crate::common::{Server, run};
use heartlock_store::Backend;
use heartlock_store::testing::TestDb;
use std::time::{Duration, Instant};

#[path = "../../../heartlock-server/tests/it/common/smtp.rs"]
pub(crate) mod smtp;

const EMAIL: &str = "ops@example.com";
const PASSWORD: &str = "a long and unusual passphrase 42";
const OTHER: &str = "another long passphrase for ops 7";

fn smtp_env(port: u16, ca: &std::path::Path) -> Vec<(String, String)> {
    vec![
        ("EMAIL_HOST".into(), "127.0.0.1".into()),
        ("EMAIL_PORT".into(), port.to_string()),
        ("EMAIL_HOST_USER".into(), smtp::USER.into()),
        ("EMAIL_HOST_PASSWORD".into(), smtp::PASSWORD.into()),
        ("EMAIL_USE_TLS".into(), "true".into()),
        ("EMAIL_SSL_CAFILE".into(), ca.display().to_string()),
        ("EMAIL_TIMEOUT".into(), "2".into()),
        ("EMAIL_RETRY_BASE_SECONDS".into(), "1".into()),
    ]
}

fn pairs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

#[test]
fn mail_test_prints_through_the_console_backend() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        dir.path(),
        &[],
        &["mail", "test", "--to", "dev@example.com"],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("email (console backend)"), "{stdout}");
    assert!(stdout.contains("To: dev@example.com"), "{stdout}");
    assert!(
        stdout.contains("Subject: Heartlock test message"),
        "{stdout}"
    );
    assert!(
        stdout.contains("test message sent to dev@example.com"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_test_delivers_through_smtp_and_says_when_it_cannot() {
    let certs = smtp::certs();
    let dir = tempfile::tempdir().unwrap();
    let port = smtp::free_port();
    let env = smtp_env(port, &certs.ca);

    // Nothing listens yet: a readable error, exit 1, no password.
    let out = run(
        dir.path(),
        &pairs(&env),
        &["mail", "test", "--to", "ops@example.com"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("the test message was not sent"), "{stderr}");
    assert!(stderr.contains(&format!("127.0.0.1:{port}")), "{stderr}");
    assert!(!stderr.contains(smtp::PASSWORD));

    let relay_out = tempfile::tempdir().unwrap();
    let _relay = smtp::Relay::start(port, relay_out.path(), Some(&certs));
    let out = run(
        dir.path(),
        &pairs(&env),
        &["mail", "test", "--to", "ops@example.com"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = smtp::wait_for(relay_out.path(), 1, Duration::from_secs(5)).await;
    assert_eq!(got[0]["subject"], "Heartlock test message");
    assert_eq!(got[0]["tls"], true);
    assert_eq!(got[0]["auth_user"], smtp::USER);
    assert!(
        got[0]["html"]
            .as_str()
            .unwrap()
            .contains("<code>heartlock mail test</code>")
    );
}

#[test]
fn tls_and_ssl_together_are_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("EMAIL_HOST", "smtp.example.com"),
        ("EMAIL_USE_TLS", "true"),
        ("EMAIL_USE_SSL", "true"),
    ];
    for args in [
        &["serve"][..],
        &["mail", "test", "--to", "a@example.com"][..],
    ] {
        let out = run(dir.path(), &env, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} started");
        assert!(
            stderr.contains("EMAIL_USE_TLS and EMAIL_USE_SSL are both true"),
            "{stderr}"
        );
    }
}

#[test]
fn an_unreadable_ca_bundle_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("DEBUG", "true"),
        ("EMAIL_HOST", "127.0.0.1"),
        ("EMAIL_SSL_CAFILE", "/nonexistent/ca.pem"),
    ];
    let out = run(dir.path(), &env, &["serve"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("EMAIL_SSL_CAFILE"), "{stderr}");
}

async fn sign_in(http: &reqwest::Client, srv: &Server, password: &str) -> String {
    let r = http
        .post(srv.url("/api/v1/auth/login"))
        .json(&serde_json::json!({"email": EMAIL, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_string()
}

/// Messages queued behind a dead relay survive `kill -9`; after a restart
/// with the relay up, each arrives once.
async fn crash_with_mail_queued(db: TestDb) {
    const N: usize = 3;
    let certs = smtp::certs();
    let dir = tempfile::tempdir().unwrap();
    let port = smtp::free_port();
    let mut env = smtp_env(port, &certs.ca);
    env.extend([
        ("DATABASE_URL".to_string(), db.url.clone()),
        (
            "HEARTLOCK_ENCRYPTION_KEY".into(),
            heartlock_core::Keyring::generate_key(),
        ),
        (
            "HEARTLOCK_DATA_DIR".into(),
            dir.path().join("data").display().to_string(),
        ),
        (
            "JWT_SECRET_KEY".into(),
            "mail-crash-jwt-key-0123456789abcdef0123".into(),
        ),
        ("SECURE_SSL_REDIRECT".into(), "false".into()),
        ("HEARTLOCK_SUPERUSER_PASSWORD".into(), PASSWORD.into()),
    ]);
    let out = run(
        dir.path(),
        &pairs(&env),
        &["createsuperuser", "--email", EMAIL, "--no-input"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();

    let srv = Server::start(dir.path(), &pairs(&env));
    let token = sign_in(&http, &srv, PASSWORD).await;
    let mut pw = [PASSWORD, OTHER];
    for _ in 0..N {
        let r = http
            .post(srv.url("/api/v1/auth/password"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"current_password": pw[0], "new_password": pw[1]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        pw.swap(0, 1);
    }
    // Every message tried against the dead relay, then the plug is pulled.
    let store = db.store().await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let rows = store.list_outbox(None, 10).await.unwrap();
        if rows.len() == N && rows.iter().all(|m| m.last_error.is_some()) {
            break;
        }
        assert!(Instant::now() < deadline, "not tried: {rows:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::task::spawn_blocking(move || srv.kill9())
        .await
        .unwrap();

    let relay_out = tempfile::tempdir().unwrap();
    let _relay = smtp::Relay::start(port, relay_out.path(), Some(&certs));
    let srv = Server::start(dir.path(), &pairs(&env));
    let got = smtp::wait_for(relay_out.path(), N, Duration::from_secs(40)).await;
    assert!(
        got.iter()
            .all(|m| m["rcpt_tos"] == serde_json::json!([EMAIL]))
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(smtp::received(relay_out.path()).len(), N, "each once");
    let counts = store.outbox_counts().await.unwrap();
    assert_eq!((counts.pending, counts.sent), (0, N as i64));
    let (status, _) = srv.terminate();
    assert!(status.success());
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_kill9_with_mail_queued_loses_no_message() {
    crash_with_mail_queued(TestDb::new(Backend::Sqlite).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_kill9_with_mail_queued_loses_no_message() {
    crash_with_mail_queued(TestDb::new(Backend::Postgres).await).await;
}
