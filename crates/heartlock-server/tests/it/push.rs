//! Web push end to end against a real push endpoint that decrypts like a
//! browser (scripts/peers/push_receiver.py: http_ece + VAPID checks), on
//! SQLite and PostgreSQL.
use crate::common::push::{Receiver, seed_generated_pair};
use crate::common::{TestServer, call, register, second_instance};
use heartlock_config::Secret;
use reqwest::Method;
use std::time::{Duration, Instant};

async fn subscribe(
    srv: &TestServer,
    token: &str,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    call(
        Method::POST,
        srv.url("/api/v1/push/subscriptions"),
        Some(token),
        Some(body),
    )
    .await
}

async fn public_key(srv: &TestServer) -> String {
    let (status, body) = call(Method::GET, srv.url("/api/v1/push/public-key"), None, None).await;
    assert_eq!(status, 200, "{body}");
    body["public_key"].as_str().unwrap().to_string()
}

async fn send_test(srv: &TestServer, token: &str) -> u64 {
    let (status, body) = call(
        Method::POST,
        srv.url("/api/v1/push/subscriptions/test"),
        Some(token),
        None,
    )
    .await;
    assert_eq!(status, 202, "{body}");
    body["queued"].as_u64().unwrap()
}

/// Waits until the outbox holds no pending message.
async fn settled(srv: &TestServer) -> Vec<heartlock_store::OutboxMessage> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let all = srv.store.list_outbox(None, 100).await.unwrap();
        if !all.is_empty() && all.iter().all(|m| m.status != "pending") {
            return all;
        }
        assert!(Instant::now() < deadline, "still pending: {all:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// One received push: no problem found, and its VAPID token as checked.
fn assert_clean(got: &serde_json::Value, port: u16, key: &str) {
    assert_eq!(got["status"], 201, "{got}");
    assert_eq!(got["problems"], serde_json::json!([]), "{got}");
    let claims = &got["vapid"]["claims"];
    assert_eq!(claims["aud"], format!("http://127.0.0.1:{port}"), "{got}");
    assert_eq!(claims["sub"], "mailto:admin@example.com");
    assert_eq!(got["vapid"]["k"], key, "signed with the server's key");
    // The receiver also checked Content-Encoding and TTL (no problem listed).
}

backend_test!(
    a_test_notification_decrypts_and_its_vapid_token_verifies,
    |backend| async move {
        let rx = Receiver::start();
        let srv = TestServer::start(backend, |_| {}).await;
        let (token, _, _) = register(&srv, "push-owner@example.com").await;
        let sub = rx.subscription("alice").await;
        let (status, body) = subscribe(&srv, &token, sub.json()).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["service"], format!("http://127.0.0.1:{}", rx.port));

        // The list never carries the browser's keys.
        let (status, list) = call(
            Method::GET,
            srv.url("/api/v1/push/subscriptions"),
            Some(&token),
            None,
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
        let text = list.to_string();
        assert!(
            !text.contains(&sub.p256dh) && !text.contains(&sub.auth),
            "{text}"
        );

        assert_eq!(send_test(&srv, &token).await, 1);
        let got = rx.wait_for(1, Duration::from_secs(20)).await;
        let key = public_key(&srv).await;
        assert!(!key.contains('='));
        assert_clean(&got[0], rx.port, &key);
        let notice: serde_json::Value =
            serde_json::from_str(got[0]["plaintext"].as_str().unwrap()).unwrap();
        assert_eq!(notice["title"], "Heartlock");
        assert_eq!(notice["url"], "/account");

        let outbox = settled(&srv).await;
        assert_eq!(outbox[0].kind, "push");
        assert_eq!(outbox[0].status, "sent");
        let (_, list) = call(
            Method::GET,
            srv.url("/api/v1/push/subscriptions"),
            Some(&token),
            None,
        )
        .await;
        assert!(list["items"][0]["last_success_at"].is_i64(), "{list}");
        srv.stop().await;
    }
);

backend_test!(
    a_gone_subscription_is_removed_and_the_message_fails,
    |backend| async move {
        let rx = Receiver::start();
        let srv = TestServer::start(backend, |_| {}).await;
        let (token, _, _) = register(&srv, "push-gone@example.com").await;
        let sub = rx.subscription("gone").await;
        let (status, body) = subscribe(&srv, &token, sub.json()).await;
        assert_eq!(status, 201, "{body}");
        rx.answer("gone", 410).await;
        assert_eq!(send_test(&srv, &token).await, 1);
        let got = rx.wait_for(1, Duration::from_secs(20)).await;
        assert_eq!(got[0]["status"], 410);
        let outbox = settled(&srv).await;
        assert_eq!(outbox[0].status, "failed");
        assert!(
            outbox[0]
                .last_error
                .as_deref()
                .unwrap_or("")
                .contains("410"),
            "{outbox:?}"
        );
        let (_, list) = call(
            Method::GET,
            srv.url("/api/v1/push/subscriptions"),
            Some(&token),
            None,
        )
        .await;
        assert_eq!(list["items"], serde_json::json!([]), "removed");
        // Nothing left to send to.
        assert_eq!(send_test(&srv, &token).await, 0);
        srv.stop().await;
    }
);

backend_test!(
    a_server_error_is_retried_then_delivered,
    |backend| async move {
        let rx = Receiver::start();
        let srv = TestServer::start(backend, |s| s.email.retry_base_secs = 1).await;
        let (token, _, _) = register(&srv, "push-retry@example.com").await;
        let sub = rx.subscription("flaky").await;
        assert_eq!(subscribe(&srv, &token, sub.json()).await.0, 201);
        rx.answer("flaky", 503).await;
        assert_eq!(send_test(&srv, &token).await, 1);
        rx.wait_for(1, Duration::from_secs(20)).await;
        rx.answer("flaky", 0).await;
        let got = rx.wait_for(2, Duration::from_secs(20)).await;
        assert_eq!(got[0]["status"], 503);
        assert_clean(&got[1], rx.port, &public_key(&srv).await);
        let outbox = settled(&srv).await;
        assert_eq!((outbox[0].status.as_str(), outbox[0].attempts), ("sent", 2));
        srv.stop().await;
    }
);

backend_test!(
    keys_printed_by_the_seed_generator_sign_the_pushes,
    |backend| async move {
        let (public, private) = seed_generated_pair();
        assert!(public.ends_with('=') && public.len() == 88, "{public}");
        assert_eq!(private.len(), 184);
        let rx = Receiver::start();
        let (p, k) = (public.clone(), private.clone());
        let srv = TestServer::start(backend, move |s| {
            s.vapid.public_key = Some(p);
            s.vapid.private_key = Some(Secret::new(k));
            s.vapid.subject = "mailto:ops@example.com".into();
        })
        .await;
        let key = public_key(&srv).await;
        assert_eq!(key, public.trim_end_matches('='));
        let (token, _, _) = register(&srv, "push-seed@example.com").await;
        let sub = rx.subscription("seed").await;
        assert_eq!(subscribe(&srv, &token, sub.json()).await.0, 201);
        send_test(&srv, &token).await;
        let got = rx.wait_for(1, Duration::from_secs(20)).await;
        assert_eq!(got[0]["problems"], serde_json::json!([]), "{}", got[0]);
        assert_eq!(got[0]["vapid"]["k"], key);
        assert_eq!(got[0]["vapid"]["claims"]["sub"], "mailto:ops@example.com");
        srv.stop().await;
    }
);

backend_test!(
    a_generated_pair_is_shared_by_instances_and_restarts,
    |backend| async move {
        let a = TestServer::start(backend, |_| {}).await;
        let key = a.state.settings.encryption_key.clone();
        let b = second_instance(&a, key.clone()).await;
        let first = public_key(&a).await;
        assert_eq!(first.len(), 87);
        assert_eq!(public_key(&b).await, first);
        b.stop().await;
        let c = second_instance(&a, key).await;
        assert_eq!(public_key(&c).await, first, "after a restart");
        c.stop().await;
        a.stop().await;
    }
);

backend_test!(
    subscriptions_are_validated_owned_and_capped,
    |backend| async move {
        let srv = TestServer::start(backend, |_| {}).await;
        let (alice, _, _) = register(&srv, "push-alice@example.com").await;
        let (bob, _, _) = register(&srv, "push-bob@example.com").await;
        let keys = heartlock_core::webpush::VapidKeys::generate();
        let good_auth = heartlock_core::webpush::b64url(&[1u8; 16]);
        let body = |endpoint: &str, p256dh: &str, auth: &str| serde_json::json!({"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}});
        // Endpoints a signed-in user could aim the server at.
        for endpoint in [
            "https://169.254.169.254/latest/meta-data",
            "https://10.0.0.1/push",
            "http://10.0.0.1:9500/push",
            "https://localhost/push",
            "https://intranet/push",
            "https://push.example.com:8443/push",
            "file:///etc/passwd",
        ] {
            let (status, b) =
                subscribe(&srv, &alice, body(endpoint, &keys.public_b64(), &good_auth)).await;
            assert_eq!(status, 422, "{endpoint}: {b}");
        }
        let ep = "https://push.example.com/send/abc";
        let (status, _) = subscribe(&srv, &alice, body(ep, "not-a-key", &good_auth)).await;
        assert_eq!(status, 422);
        let (status, _) = subscribe(&srv, &alice, body(ep, &keys.public_b64(), "c2hvcnQ")).await;
        assert_eq!(status, 422);
        let (status, made) =
            subscribe(&srv, &alice, body(ep, &keys.public_b64(), &good_auth)).await;
        assert_eq!(status, 201, "{made}");
        let id = made["id"].as_str().unwrap();

        // Bob neither sees nor removes Alice's.
        let (_, list) = call(
            Method::GET,
            srv.url("/api/v1/push/subscriptions"),
            Some(&bob),
            None,
        )
        .await;
        assert_eq!(list["items"], serde_json::json!([]));
        let url = srv.url(&format!("/api/v1/push/subscriptions/{id}"));
        assert_eq!(
            call(Method::DELETE, url.clone(), Some(&bob), None).await.0,
            404
        );

        // The same endpoint again replaces the row; at most 20 per user.
        for i in 0..19 {
            let e = format!("https://push.example.com/send/{i}");
            let (s, b) = subscribe(&srv, &alice, body(&e, &keys.public_b64(), &good_auth)).await;
            assert_eq!(s, 201, "{b}");
        }
        let (s, _) = subscribe(&srv, &alice, body(ep, &keys.public_b64(), &good_auth)).await;
        assert_eq!(s, 201, "renewing is not a new subscription");
        let (s, b) = subscribe(
            &srv,
            &alice,
            body(
                "https://push.example.com/send/x",
                &keys.public_b64(),
                &good_auth,
            ),
        )
        .await;
        assert_eq!(s, 409, "{b}");
        srv.stop().await;
    }
);

backend_test!(
    the_service_worker_and_the_account_section_are_served,
    |backend| async move {
        let srv = TestServer::start(backend, |_| {}).await;
        let r = crate::common::client()
            .get(srv.url("/sw.js"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let h = r.headers();
        assert!(
            h["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/javascript")
        );
        assert_eq!(h["service-worker-allowed"], "/");
        let csp = h["content-security-policy"].to_str().unwrap().to_string();
        assert!(csp.contains("worker-src 'self'"), "{csp}");
        assert!(r.text().await.unwrap().contains("showNotification"));
        let r = crate::common::client()
            .get(srv.url("/static/push.js"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().contains("window.heartlockPush"));
        srv.stop().await;
    }
);
