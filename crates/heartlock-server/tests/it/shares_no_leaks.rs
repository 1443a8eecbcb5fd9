//! Zero knowledge, checked: after a share is made, looked at, refused a
//! wrong passphrase and revealed, neither the plaintext, the link key, the
//! passphrase nor the access value is anywhere in the database (every text
//! column of every table, audit rows included) or in the server's TRACE
//! log; and fetching the recipient page as a link preview would uses no
//! view. On SQLite and PostgreSQL.
use crate::api_no_leaks::capture;
use crate::common::{TestServer, call, client, register};
use crate::shares::body;
use heartlock_core::share::{self, Content, Passphrase};
use reqwest::Method;
use serde_json::json;

const PLAIN: &str = "SHARED-pl4intext-Vb81Qz";
const PASS: &str = "PASSPHRASE-m0nday-77";

backend_test!(
    a_share_leaves_no_plaintext_or_key_behind,
    |backend| async move {
        let cap = capture();
        let srv = TestServer::start(backend, |_| {}).await;
        let (t, _, _) = register(&srv, "sender@example.com").await;
        let s = share::seal(
            &Content::Text(PLAIN.into()),
            Some(PASS),
            share::MIN_ITERATIONS,
        )
        .unwrap();
        let key = s.key.to_b64url();
        let auth = share::b64url(&s.auth);
        let (status, made) = call(
            Method::POST,
            srv.url("/api/v1/shares"),
            Some(&t),
            Some(body(&s, json!({}))),
        )
        .await;
        assert_eq!(status, 201, "{made}");
        let id = made["id"].as_str().unwrap().to_string();
        let link = format!("{}/s/{id}#{key}", srv.base);

        // The recipient page, fetched the way a link preview or a mail scanner
        // would (the fragment never leaves a client), twice.
        for _ in 0..2 {
            let page = client()
                .get(srv.url(&format!("/s/{id}")))
                .header("accept", "text/html")
                .send()
                .await
                .unwrap();
            assert_eq!(page.status().as_u16(), 200);
            let html = page.text().await.unwrap();
            assert!(!html.contains(&key) && !html.contains(PLAIN));
        }
        let (_, p) = call(
            Method::GET,
            srv.url(&format!("/api/v1/shares/{id}/public")),
            None,
            None,
        )
        .await;
        assert_eq!(p["views_left"], 1, "looking used a view: {p}");

        // A wrong passphrase, then the right one.
        let kdf = s.kdf.clone().unwrap();
        let wrong = share::access_value(
            &s.key,
            Some(Passphrase {
                passphrase: "nope",
                kdf: &kdf,
            }),
        )
        .unwrap();
        let (status, _) = call(
            Method::POST,
            srv.url(&format!("/api/v1/shares/{id}/reveal")),
            None,
            Some(json!({"auth": share::b64url(&wrong)})),
        )
        .await;
        assert_eq!(status, 403);
        let stored = srv.store.dump_all_text().await;
        assert!(
            stored.iter().any(|v| v == &share::b64url(&s.ciphertext)),
            "the sealed blob is stored"
        );
        for v in &stored {
            for (what, secret) in [
                ("plaintext", PLAIN),
                ("key", key.as_str()),
                ("passphrase", PASS),
                ("access value", auth.as_str()),
            ] {
                assert!(!v.contains(secret), "the database holds the {what}");
            }
        }
        let (status, got) = call(
            Method::POST,
            srv.url(&format!("/api/v1/shares/{id}/reveal")),
            None,
            Some(json!({"auth": auth})),
        )
        .await;
        assert_eq!(status, 200, "{got}");
        srv.state.flush_audit().await;
        let stored = srv.store.dump_all_text().await;
        assert!(
            !stored
                .iter()
                .any(|v| v.contains(&share::b64url(&s.ciphertext))),
            "used up: the blob is gone"
        );
        for v in &stored {
            for secret in [PLAIN, key.as_str(), PASS, auth.as_str()] {
                assert!(
                    !v.contains(secret),
                    "the database holds a secret after the reveal"
                );
            }
        }
        srv.stop().await;
        let log = String::from_utf8_lossy(&cap.0.lock().unwrap()).into_owned();
        assert!(log.contains(&id), "the capture holds this server's log");
        for secret in [PLAIN, key.as_str(), PASS, auth.as_str(), link.as_str()] {
            assert!(!log.contains(secret), "the log leaks a share secret");
        }
    }
);
