//! Environment watches ("notify me"): watch and unwatch through the API,
//! who may watch, and the fan-out of secret changes through the outbox to a
//! real SMTP relay (scripts/peers/smtp_capture.py), on SQLite and
//! PostgreSQL. Messages name who changed which keys, never a value.
use crate::common::smtp::{self, Relay};
use crate::common::{TestServer, call, register};
use heartlock_client::{BatchWrite, Client, NewProject, NewToken};
use heartlock_config::{EmailBackend, Secret, Settings};
use reqwest::Method;
use serde_json::json;
use std::path::Path;
use std::time::Duration;

const PROJECT: &str = "shop";
const ENV: &str = "production";
const VALUE: &str = "s3cr3t-value-never-mailed-9f2c";

/// SMTP to the capture relay on `port` (STARTTLS, AUTH), quick retries.
fn smtp_to(s: &mut Settings, port: u16, ca: &Path) {
    s.email.backend = EmailBackend::Smtp;
    s.email.host = Some("127.0.0.1".into());
    s.email.port = port;
    s.email.host_user = Some(smtp::USER.into());
    s.email.host_password = Some(Secret::new(smtp::PASSWORD));
    s.email.use_tls = true;
    s.email.use_ssl = false;
    s.email.ssl_cafile = Some(ca.display().to_string());
    s.email.retry_base_secs = 1;
    s.email.timeout_secs = 3;
}

/// An owner with a project, and a second user added with `role`.
struct Fx {
    srv: TestServer,
    owner: Client,
    owner_token: String,
    watcher_token: String,
    watcher_email: String,
}

async fn fixture(srv: TestServer, role: &str) -> Fx {
    let (owner_token, _, _) = register(&srv, "owner@example.com").await;
    let watcher_email = "watcher@example.com".to_string();
    let (watcher_token, _, _) = register(&srv, &watcher_email).await;
    let owner = Client::new(&srv.base)
        .unwrap()
        .with_token(owner_token.clone());
    owner
        .create_project(&NewProject {
            name: "Shop".into(),
            slug: Some(PROJECT.into()),
            ..Default::default()
        })
        .await
        .unwrap();
    owner
        .add_member(PROJECT, &watcher_email, role)
        .await
        .unwrap();
    Fx {
        srv,
        owner,
        owner_token,
        watcher_token,
        watcher_email,
    }
}

fn watch_url(srv: &TestServer, env: &str) -> String {
    srv.url(&format!(
        "/api/v1/projects/{PROJECT}/environments/{env}/watch"
    ))
}

async fn set_watch(srv: &TestServer, token: &str, env: &str, email: bool, push: bool) -> u16 {
    let body = json!({ "email": email, "push": push });
    let (status, b) = call(Method::PUT, watch_url(srv, env), Some(token), Some(body)).await;
    assert!(status != 500, "{b}");
    status
}

/// Outbox rows of kind `email` addressed to `to`.
async fn emails_to(srv: &TestServer, to: &str) -> usize {
    let rows = srv.store.list_outbox(None, 500).await.unwrap();
    rows.iter()
        .filter(|m| m.kind == "email" && m.recipient == to)
        .count()
}

backend_test!(watch_list_and_unwatch, |backend| async move {
    let fx = fixture(TestServer::start(backend, |_| {}).await, "viewer").await;
    let (srv, t) = (&fx.srv, fx.watcher_token.as_str());

    let (status, body) = call(Method::GET, watch_url(srv, ENV), Some(t), None).await;
    assert_eq!(
        (status, body["watching"].clone()),
        (200, json!(false)),
        "{body}"
    );

    assert_eq!(set_watch(srv, t, ENV, true, false).await, 200);
    let (_, body) = call(Method::GET, watch_url(srv, ENV), Some(t), None).await;
    assert_eq!(body["watching"], true);
    assert_eq!(
        (body["email"].clone(), body["push"].clone()),
        (json!(true), json!(false))
    );

    // Changing the channels keeps one watch.
    assert_eq!(set_watch(srv, t, ENV, true, true).await, 200);
    let (status, list) = call(Method::GET, srv.url("/api/v1/watches"), Some(t), None).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["total"], 1, "{list}");
    assert_eq!(list["items"][0]["project"], PROJECT);
    assert_eq!(list["items"][0]["environment"], ENV);
    assert_eq!(list["items"][0]["push"], true);

    // Neither channel: refused with a problem document.
    let (status, body) = call(
        Method::PUT,
        watch_url(srv, ENV),
        Some(t),
        Some(json!({"email": false, "push": false})),
    )
    .await;
    assert_eq!(status, 422, "{body}");

    let (status, _) = call(Method::DELETE, watch_url(srv, ENV), Some(t), None).await;
    assert_eq!(status, 204);
    let (status, _) = call(Method::DELETE, watch_url(srv, ENV), Some(t), None).await;
    assert_eq!(status, 204, "stopping twice is fine");
    let (_, list) = call(Method::GET, srv.url("/api/v1/watches"), Some(t), None).await;
    assert_eq!(list["total"], 0, "{list}");

    // Someone else's project: as if it did not exist.
    let (outsider, _, _) = register(srv, "outsider@example.com").await;
    assert_eq!(set_watch(srv, &outsider, ENV, true, false).await, 404);
});

backend_test!(tokens_and_anonymous_cannot_watch, |backend| async move {
    let fx = fixture(TestServer::start(backend, |_| {}).await, "member").await;
    let srv = &fx.srv;
    let token = fx
        .owner
        .create_token(
            PROJECT,
            &NewToken {
                name: "ci".into(),
                environments: vec![ENV.into()],
                access: "read_write".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .token;
    assert_eq!(set_watch(srv, &token, ENV, true, false).await, 403);
    let (status, _) = call(Method::GET, srv.url("/api/v1/watches"), Some(&token), None).await;
    assert_eq!(status, 403);
    let (status, body) = call(
        Method::PUT,
        watch_url(srv, ENV),
        None,
        Some(json!({"email": true, "push": false})),
    )
    .await;
    assert_eq!(status, 401, "{body}");
    let (status, _) = call(Method::GET, srv.url("/api/v1/watches"), None, None).await;
    assert_eq!(status, 401);

    // A member limited to another environment cannot watch this one.
    fx.owner
        .add_member_in(
            PROJECT,
            &fx.watcher_email,
            "member",
            Some(&["staging".to_string()]),
        )
        .await
        .unwrap();
    assert_eq!(
        set_watch(srv, &fx.watcher_token, ENV, true, false).await,
        404
    );
    assert_eq!(
        set_watch(srv, &fx.watcher_token, "staging", true, false).await,
        200
    );
});

backend_test!(
    a_change_by_someone_else_is_mailed_with_key_names_only,
    |backend| async move {
        let certs = smtp::certs();
        let out = tempfile::tempdir().unwrap();
        let port = smtp::free_port();
        let _relay = Relay::start(port, out.path(), Some(&certs));
        let ca = certs.ca.clone();
        let srv = TestServer::start(backend, |s| smtp_to(s, port, &ca)).await;
        let fx = fixture(srv, "viewer").await;
        let srv = &fx.srv;
        assert_eq!(
            set_watch(srv, &fx.watcher_token, ENV, true, false).await,
            200
        );
        // The author watches too: their own changes tell them nothing.
        assert_eq!(set_watch(srv, &fx.owner_token, ENV, true, false).await, 200);

        fx.owner
            .put_secret(PROJECT, ENV, "API_KEY", VALUE, None)
            .await
            .unwrap();
        // An import of many keys: one message, some names, the rest counted.
        let doc: String = (0..60)
            .map(|i| format!("KEY_{i:03}={VALUE}{i}\n"))
            .collect();
        fx.owner
            .import_secrets(PROJECT, ENV, "dotenv", &doc)
            .await
            .unwrap();

        let got = smtp::wait_for(out.path(), 2, Duration::from_secs(20)).await;
        assert_eq!(
            emails_to(srv, "owner@example.com").await,
            0,
            "not the author"
        );
        for m in &got {
            assert_eq!(m["rcpt_tos"], json!([fx.watcher_email]));
            let all = m.to_string();
            assert!(!all.contains(VALUE), "a value was mailed: {all}");
            assert!(all.contains("owner@example.com"), "who: {all}");
            assert!(
                all.contains(&format!("{}/projects/{PROJECT}", srv.base)),
                "{all}"
            );
        }
        let single = got
            .iter()
            .find(|m| m["plain"].as_str().unwrap().contains("API_KEY"))
            .expect("the write's message");
        assert_eq!(single["subject"], "1 secret changed in Shop / Production");
        let import = got
            .iter()
            .find(|m| m["plain"].as_str().unwrap().contains("imported"))
            .expect("the import's message");
        assert_eq!(import["subject"], "60 secrets changed in Shop / Production");
        let plain = import["plain"].as_str().unwrap();
        assert!(
            plain.contains("KEY_000") && plain.contains("and 40 more"),
            "{plain}"
        );
        assert!(
            !plain.contains("KEY_059"),
            "only the first names are listed"
        );

        // Removed from the project: nothing more, though the watch remains.
        let members = fx
            .owner
            .list_members(PROJECT, Default::default())
            .await
            .unwrap();
        let id = members
            .items
            .iter()
            .find(|m| m.email == fx.watcher_email)
            .unwrap()
            .user_id
            .clone();
        fx.owner.remove_member(PROJECT, &id).await.unwrap();
        let before = emails_to(srv, &fx.watcher_email).await;
        fx.owner
            .batch_write(
                PROJECT,
                ENV,
                &BatchWrite {
                    set: [("AFTER".to_string(), VALUE.to_string())].into(),
                    delete: vec!["API_KEY".into()],
                    comment: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(
            emails_to(srv, &fx.watcher_email).await,
            before,
            "lost access"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(smtp::received(out.path()).len(), 2);
    }
);

backend_test!(
    a_push_watcher_gets_a_notification_that_decrypts_without_the_value,
    |backend| async move {
        let rx = crate::common::push::Receiver::start();
        let srv = TestServer::start(backend, |_| {}).await;
        let fx = fixture(srv, "member").await;
        let srv = &fx.srv;
        let sub = rx.subscription("watcher").await;
        let (status, body) = call(
            Method::POST,
            srv.url("/api/v1/push/subscriptions"),
            Some(&fx.watcher_token),
            Some(sub.json()),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(
            set_watch(srv, &fx.watcher_token, ENV, false, true).await,
            200
        );

        fx.owner
            .put_secret(PROJECT, ENV, "PUSHED_KEY", VALUE, None)
            .await
            .unwrap();
        let got = rx.wait_for(1, Duration::from_secs(20)).await;
        assert_eq!(got[0]["status"], 201, "{}", got[0]);
        assert_eq!(got[0]["problems"], json!([]), "{}", got[0]);
        let plain = got[0]["plaintext"].as_str().unwrap();
        assert!(plain.contains("PUSHED_KEY"), "{plain}");
        assert!(plain.to_lowercase().contains(ENV), "{plain}");
        assert!(!plain.contains(VALUE), "a value was pushed: {plain}");
        // Push only: no email was queued for the watcher.
        assert_eq!(emails_to(srv, &fx.watcher_email).await, 0);
        let rows = srv.store.list_outbox(None, 50).await.unwrap();
        assert_eq!(rows.iter().filter(|m| m.kind == "push").count(), 1);
    }
);
