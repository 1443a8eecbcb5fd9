//! Service tokens through the live API, on SQLite and PostgreSQL.
use crate::common::{TestServer, call, register};
use reqwest::Method;
use serde_json::{Value, json};

struct Fixture {
    owner: String,
}

async fn setup(srv: &TestServer) -> Fixture {
    let (owner, _, _) = register(srv, "owner@example.com").await;
    for name in ["Payments", "Other"] {
        let (s, b) = call(
            Method::POST,
            srv.url("/api/v1/projects"),
            Some(&owner),
            Some(json!({ "name": name })),
        )
        .await;
        assert_eq!(s, 201, "{b}");
    }
    for (project, env, key, value) in [
        ("payments", "development", "DB", "dev-db"),
        ("payments", "production", "DB", "prod-db"),
        ("other", "development", "DB", "other-db"),
    ] {
        let url = srv.url(&format!(
            "/api/v1/projects/{project}/environments/{env}/secrets/{key}"
        ));
        assert_eq!(
            call(
                Method::PUT,
                url,
                Some(&owner),
                Some(json!({ "value": value }))
            )
            .await
            .0,
            200
        );
    }
    Fixture { owner }
}

async fn token(srv: &TestServer, owner: &str, body: Value) -> (String, String) {
    let (s, b) = call(
        Method::POST,
        srv.url("/api/v1/projects/payments/tokens"),
        Some(owner),
        Some(body),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    (
        b["token"].as_str().unwrap().to_string(),
        b["id"].as_str().unwrap().to_string(),
    )
}

fn export(srv: &TestServer, project: &str, env: &str) -> String {
    srv.url(&format!(
        "/api/v1/projects/{project}/environments/{env}/secrets:export"
    ))
}

backend_test!(a_token_reads_exactly_its_scope, |backend| async move {
    let srv = TestServer::start(backend, |_| {}).await;
    let f = setup(&srv).await;
    let (read, _) = token(
        &srv,
        &f.owner,
        json!({ "name": "ci", "environments": ["development"], "access": "read" }),
    )
    .await;
    assert!(read.starts_with("hl_st_"));

    let (s, b) = call(
        Method::GET,
        export(&srv, "payments", "development"),
        Some(&read),
        None,
    )
    .await;
    assert_eq!((s, b.clone()), (200, json!({ "DB": "dev-db" })), "{b}");
    // dotenv through ?format= and through Accept.
    let text = crate::common::client()
        .get(export(&srv, "payments", "development"))
        .bearer_auth(&read)
        .header("accept", "text/plain")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(text, "DB=dev-db\n");
    // Outside its scope: 404, whatever exists there.
    assert_eq!(
        call(
            Method::GET,
            export(&srv, "payments", "production"),
            Some(&read),
            None
        )
        .await
        .0,
        404
    );
    assert_eq!(
        call(
            Method::GET,
            export(&srv, "other", "development"),
            Some(&read),
            None
        )
        .await
        .0,
        404
    );
    assert_eq!(
        call(
            Method::GET,
            export(&srv, "nope", "development"),
            Some(&read),
            None
        )
        .await
        .0,
        404
    );
    assert_eq!(
        call(
            Method::GET,
            srv.url("/api/v1/projects/payments/members"),
            Some(&read),
            None
        )
        .await
        .0,
        404
    );
    assert_eq!(
        call(
            Method::GET,
            srv.url("/api/v1/projects/payments/tokens"),
            Some(&read),
            None
        )
        .await
        .0,
        404
    );
    assert_eq!(
        call(
            Method::POST,
            srv.url("/api/v1/projects"),
            Some(&read),
            Some(json!({ "name": "x" }))
        )
        .await
        .0,
        403
    );
    // Writing with a read token: 403.
    let put = srv.url("/api/v1/projects/payments/environments/development/secrets/NEW");
    assert_eq!(
        call(
            Method::PUT,
            put.clone(),
            Some(&read),
            Some(json!({ "value": "v" }))
        )
        .await
        .0,
        403
    );
    let (rw, _) = token(
        &srv,
        &f.owner,
        json!({ "name": "deploy", "environments": ["development"], "access": "read_write" }),
    )
    .await;
    assert_eq!(
        call(Method::PUT, put, Some(&rw), Some(json!({ "value": "v" })))
            .await
            .0,
        200
    );
    // The token's own write is visible to the token right away (cache invalidated).
    let (_, b) = call(
        Method::GET,
        export(&srv, "payments", "development"),
        Some(&read),
        None,
    )
    .await;
    assert_eq!(b, json!({ "DB": "dev-db", "NEW": "v" }));

    // Reads are audited under the token's name.
    srv.state.flush_audit().await;
    let filter = heartlock_store::AuditFilter {
        action: Some("secret.export".into()),
        ..Default::default()
    };
    let events = srv.store.list_audit(&filter, 50, 0).await.unwrap().events;
    assert!(
        events
            .iter()
            .any(|e| e.event.actor_name.as_deref() == Some("ci")
                && e.event.actor_kind == heartlock_core::audit::ActorKind::Token)
    );
    // The token text is nowhere in the database.
    let all = srv.store.dump_all_text().await;
    assert!(!all.iter().any(|v| v.contains(&read) || v.contains(&rw)));
    assert!(
        all.iter()
            .any(|v| *v == heartlock_core::token::hash_token(&read))
    );
    srv.stop().await;
});

backend_test!(
    revoked_expired_and_foreign_address_tokens,
    |backend| async move {
        let clock = heartlock_core::FixedClock::new(heartlock_core::Clock::now_ms(
            &heartlock_core::SystemClock,
        ));
        let srv = TestServer::start_with_clock(backend, std::sync::Arc::new(clock.clone()), |s| {
            s.jwt.access_token_expire_hours = 1000
        })
        .await;
        let f = setup(&srv).await;
        let url = export(&srv, "payments", "development");
        let (t, id) = token(
            &srv,
            &f.owner,
            json!({ "name": "r", "environments": ["development"], "access": "read" }),
        )
        .await;
        assert_eq!(call(Method::GET, url.clone(), Some(&t), None).await.0, 200);
        assert_eq!(
            call(
                Method::DELETE,
                srv.url(&format!("/api/v1/projects/payments/tokens/{id}")),
                Some(&f.owner),
                None
            )
            .await
            .0,
            204
        );
        let (s, b) = call(Method::GET, url.clone(), Some(&t), None).await;
        assert_eq!(s, 401, "revoked token must stop working at once: {b}");

        let (t, _) = token(&srv, &f.owner, json!({ "name": "short", "environments": ["development"], "access": "read", "expires_in_days": 1 })).await;
        assert_eq!(call(Method::GET, url.clone(), Some(&t), None).await.0, 200);
        clock.advance(86_400_000 + 1);
        assert_eq!(call(Method::GET, url.clone(), Some(&t), None).await.0, 401);

        let (t, _) = token(&srv, &f.owner, json!({ "name": "office", "environments": ["development"], "access": "read", "allowed_cidrs": ["10.0.0.0/8"] })).await;
        assert_eq!(call(Method::GET, url.clone(), Some(&t), None).await.0, 403);
        let (t, _) = token(&srv, &f.owner, json!({ "name": "local", "environments": ["development"], "access": "read", "allowed_cidrs": ["127.0.0.1/32"] })).await;
        assert_eq!(call(Method::GET, url.clone(), Some(&t), None).await.0, 200);

        // Unknown token and bad requests for tokens.
        assert_eq!(
            call(Method::GET, url.clone(), Some("hl_st_nope"), None)
                .await
                .0,
            401
        );
        let (s, _) = call(
            Method::POST,
            srv.url("/api/v1/projects/payments/tokens"),
            Some(&f.owner),
            Some(json!({ "name": "x", "environments": ["nope"], "access": "read" })),
        )
        .await;
        assert_eq!(s, 422);
        let (s, _) = call(
            Method::POST,
            srv.url("/api/v1/projects/payments/tokens"),
            Some(&f.owner),
            Some(json!({ "name": "x", "environments": ["development"], "access": "admin" })),
        )
        .await;
        assert_eq!(s, 422);
        let (s, list) = call(
            Method::GET,
            srv.url("/api/v1/projects/payments/tokens"),
            Some(&f.owner),
            None,
        )
        .await;
        assert_eq!(s, 200);
        assert_eq!(list["total"], 4);
        assert!(
            list["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|t| t.get("token").is_none())
        );
        srv.stop().await;
    }
);

/// Two instances on one PostgreSQL: a write or a revocation on one is seen
/// by the other's cache at once (LISTEN/NOTIFY).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caches_follow_changes_across_instances() {
    let a = TestServer::start(heartlock_store::Backend::Postgres, |_| {}).await;
    let f = setup(&a).await;
    let key = a.state.settings.encryption_key.clone();
    let b = crate::common::second_instance(&a, key).await;
    let (t, id) = token(
        &a,
        &f.owner,
        json!({ "name": "r", "environments": ["development"], "access": "read" }),
    )
    .await;
    let (s, body) = call(
        Method::GET,
        export(&b, "payments", "development"),
        Some(&t),
        None,
    )
    .await;
    assert_eq!((s, body), (200, json!({ "DB": "dev-db" })));
    let put = a.url("/api/v1/projects/payments/environments/development/secrets/DB");
    assert_eq!(
        call(
            Method::PUT,
            put,
            Some(&f.owner),
            Some(json!({ "value": "changed" }))
        )
        .await
        .0,
        200
    );
    let mut seen = Value::Null;
    for _ in 0..100 {
        seen = call(
            Method::GET,
            export(&b, "payments", "development"),
            Some(&t),
            None,
        )
        .await
        .1;
        if seen == json!({ "DB": "changed" }) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(seen, json!({ "DB": "changed" }));
    assert_eq!(
        call(
            Method::DELETE,
            a.url(&format!("/api/v1/projects/payments/tokens/{id}")),
            Some(&f.owner),
            None
        )
        .await
        .0,
        204
    );
    let mut status = 0;
    for _ in 0..100 {
        status = call(
            Method::GET,
            export(&b, "payments", "development"),
            Some(&t),
            None,
        )
        .await
        .0;
        if status == 401 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(status, 401);
    b.stop_shared().await;
    a.stop().await;
}
