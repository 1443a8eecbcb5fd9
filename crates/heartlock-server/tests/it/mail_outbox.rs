//! Email through the outbox against a real SMTP relay (aiosmtpd, STARTTLS
//! and AUTH, scripts/peers/smtp_capture.py), on SQLite and PostgreSQL.
use crate::common::smtp::{self, Relay};
use crate::common::{TestServer, call, register, second_instance_with};
use heartlock_config::{EmailBackend, Secret, Settings};
use std::path::Path;
use std::time::{Duration, Instant};

const PASSWORD: &str = "correct horse battery staple";
const OTHER: &str = "a different long passphrase 97";
const JWT: &str = "shared-jwt-key-for-both-instances-0123456789";

/// SMTP to 127.0.0.1:`port` with STARTTLS and AUTH; retries after 1 s.
pub(crate) fn smtp_to(s: &mut Settings, port: u16, ca: Option<&Path>) {
    s.email.backend = EmailBackend::Smtp;
    s.email.host = Some("127.0.0.1".into());
    s.email.port = port;
    s.email.host_user = Some(smtp::USER.into());
    s.email.host_password = Some(Secret::new(smtp::PASSWORD));
    s.email.use_tls = true;
    s.email.use_ssl = false;
    s.email.ssl_cafile = ca.map(|p| p.display().to_string());
    s.email.retry_base_secs = 1;
    s.email.timeout_secs = 3;
    s.jwt.secret_key = Some(Secret::new(JWT));
}

async fn change_password(srv: &TestServer, token: &str, from: &str, to: &str, lang: &str) {
    let r = crate::common::client()
        .post(srv.url("/api/v1/auth/password"))
        .bearer_auth(token)
        .header("accept-language", lang)
        .json(&serde_json::json!({"current_password": from, "new_password": to}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

/// Waits until every message was tried at least once.
async fn wait_tried(srv: &TestServer, n: usize) -> Vec<heartlock_store::OutboxMessage> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let all = srv.store.list_outbox(None, 100).await.unwrap();
        if all.len() >= n && all.iter().all(|m| m.last_error.is_some()) {
            return all;
        }
        assert!(Instant::now() < deadline, "not tried: {all:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

backend_test!(
    starttls_and_auth_deliver_the_password_changed_message,
    |backend| async move {
        let certs = smtp::certs();
        let out = tempfile::tempdir().unwrap();
        let port = smtp::free_port();
        let _relay = Relay::start(port, out.path(), Some(&certs));
        let srv = TestServer::start(backend, |s| smtp_to(s, port, Some(&certs.ca))).await;
        let (token, _, _) = register(&srv, "mail-fr@example.com").await;
        change_password(&srv, &token, PASSWORD, OTHER, "fr-FR,fr;q=0.9").await;

        let got = smtp::wait_for(out.path(), 1, Duration::from_secs(20)).await;
        let m = &got[0];
        assert_eq!(m["tls"], true, "sent after STARTTLS");
        assert_eq!(m["auth_user"], smtp::USER);
        assert_eq!(m["rcpt_tos"], serde_json::json!(["mail-fr@example.com"]));
        assert_eq!(m["content_type"], "multipart/alternative");
        assert_eq!(m["subject"], "Votre mot de passe Heartlock a été modifié");
        // No HEARTLOCK_BASE_URL here: links use the request's host.
        let link = format!("{}/account", srv.base);
        assert!(m["plain"].as_str().unwrap().contains(&link), "{m}");
        assert!(
            m["html"]
                .as_str()
                .unwrap()
                .contains(&format!("href=\"{link}\"")),
            "{m}"
        );
        assert!(m["html"].as_str().unwrap().contains("lang=\"fr\""));

        // Marked sent, its payload dropped; nothing sent twice.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let rows = srv.store.list_outbox(None, 10).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].status, "sent");
        let sent = srv
            .store
            .encrypted_batch(heartlock_store::EncryptedColumn::OutboxPayload, "", 10)
            .await
            .unwrap();
        assert!(sent.is_empty(), "a sent message keeps no payload");
        assert_eq!(smtp::received(out.path()).len(), 1);
    }
);

backend_test!(
    an_unknown_certificate_authority_is_refused,
    |backend| async move {
        let certs = smtp::certs();
        let out = tempfile::tempdir().unwrap();
        let port = smtp::free_port();
        let _relay = Relay::start(port, out.path(), Some(&certs));
        // No EMAIL_SSL_CAFILE: the relay's CA is unknown.
        let srv = TestServer::start(backend, |s| smtp_to(s, port, None)).await;
        let (token, _, _) = register(&srv, "mail-ca@example.com").await;
        change_password(&srv, &token, PASSWORD, OTHER, "en").await;

        let rows = wait_tried(&srv, 1).await;
        assert_eq!(rows[0].status, "pending", "kept for a retry");
        let error = rows[0].last_error.clone().unwrap();
        assert!(
            error.to_lowercase().contains("certificate") || error.to_lowercase().contains("tls"),
            "{error}"
        );
        assert!(!error.contains(smtp::PASSWORD));
        assert!(
            smtp::received(out.path()).is_empty(),
            "nothing was delivered"
        );

        // The admin API lists it (content never included).
        let (status, body) = call(
            reqwest::Method::GET,
            srv.url("/api/v1/admin/outbox?status=pending"),
            Some(&token),
            None,
        )
        .await;
        assert_eq!(status, 403, "not an administrator: {body}");
    }
);

backend_test!(
    a_relay_that_is_down_then_up_gets_everything_once,
    |backend| async move {
        let certs = smtp::certs();
        let out = tempfile::tempdir().unwrap();
        let port = smtp::free_port();
        let srv = TestServer::start(backend, |s| smtp_to(s, port, Some(&certs.ca))).await;
        let (token, _, _) = register(&srv, "mail-down@example.com").await;
        let mut pw = [PASSWORD, OTHER];
        for _ in 0..3 {
            change_password(&srv, &token, pw[0], pw[1], "en").await;
            pw.swap(0, 1);
        }
        let rows = wait_tried(&srv, 3).await;
        assert!(rows.iter().all(|m| m.status == "pending"), "{rows:?}");

        let _relay = Relay::start(port, out.path(), Some(&certs));
        let got = smtp::wait_for(out.path(), 3, Duration::from_secs(30)).await;
        assert!(
            got.iter()
                .all(|m| m["subject"] == "Your Heartlock password was changed")
        );
        // Well past another retry round: still exactly three.
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert_eq!(smtp::received(out.path()).len(), 3);
        let counts = srv.store.outbox_counts().await.unwrap();
        assert_eq!((counts.pending, counts.sent, counts.failed), (0, 3, 0));
    }
);

/// Two instances on one PostgreSQL database: every message once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_never_send_a_message_twice() {
    const N: usize = 10;
    let certs = smtp::certs();
    let out = tempfile::tempdir().unwrap();
    let port = smtp::free_port();
    let ca = certs.ca.clone();
    let a = TestServer::start(heartlock_store::Backend::Postgres, |s| {
        smtp_to(s, port, Some(&ca))
    })
    .await;
    let b = second_instance_with(&a, a.state.settings.encryption_key.clone(), |s| {
        smtp_to(s, port, Some(&ca))
    })
    .await;
    let (token, _, _) = register(&a, "mail-two@example.com").await;
    // Relay down while both enqueue: both workers keep claiming the same rows.
    let mut pw = [PASSWORD, OTHER];
    for i in 0..N {
        let srv = if i % 2 == 0 { &a } else { &b };
        change_password(srv, &token, pw[0], pw[1], "en").await;
        pw.swap(0, 1);
    }
    wait_tried(&a, N).await;
    let _relay = Relay::start(port, out.path(), Some(&certs));
    smtp::wait_for(out.path(), N, Duration::from_secs(40)).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(smtp::received(out.path()).len(), N, "no duplicate");
    let counts = a.store.outbox_counts().await.unwrap();
    assert_eq!((counts.pending, counts.sent), (0, N as i64));
    b.stop_shared().await;
    a.stop().await;
}
