//! Share links through the API (docs/shares.md), sealed with core's
//! implementation of the format exactly as the CLI does: a look never uses
//! a view, a reveal uses one and the last deletes the row, wrong access
//! values (wrong passphrases) use none and are throttled per link, limits,
//! who may create and revoke, project policy, expiry and the sweep, and the
//! audit trail. On SQLite and PostgreSQL.
use crate::common::{TestServer, call, register};
use heartlock_core::FixedClock;
use heartlock_core::share::{self, Content, LinkKey, Passphrase};
use heartlock_store::Backend;
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::Arc;

const TEXT: &str = "the-contractor-password-4f1d";

/// A sealed text (and its passphrase parameters when `pass` is set).
pub fn sealed(text: &str, pass: Option<&str>) -> share::Sealed {
    share::seal(&Content::Text(text.into()), pass, share::MIN_ITERATIONS).unwrap()
}

/// The JSON body that creates `s`, with `extra` fields merged in.
pub fn body(s: &share::Sealed, extra: Value) -> Value {
    let mut b = json!({
        "ciphertext": share::b64url(&s.ciphertext),
        "auth": share::b64url(&s.auth),
    });
    if let Some(k) = &s.kdf {
        b["kdf"] = json!({"name": "pbkdf2-sha256", "salt": share::b64url(&k.salt), "iterations": k.iterations});
    }
    if let (Value::Object(b), Value::Object(e)) = (&mut b, extra) {
        b.extend(e);
    }
    b
}

async fn create(srv: &TestServer, token: Option<&str>, b: Value) -> (u16, Value) {
    call(Method::POST, srv.url("/api/v1/shares"), token, Some(b)).await
}

async fn public(srv: &TestServer, id: &str) -> (u16, Value) {
    call(
        Method::GET,
        srv.url(&format!("/api/v1/shares/{id}/public")),
        None,
        None,
    )
    .await
}

async fn reveal(srv: &TestServer, id: &str, auth: &[u8]) -> (u16, Value) {
    call(
        Method::POST,
        srv.url(&format!("/api/v1/shares/{id}/reveal")),
        None,
        Some(json!({ "auth": share::b64url(auth) })),
    )
    .await
}

fn opened(b: &Value, key: &LinkKey, pass: Option<Passphrase<'_>>) -> Content {
    let blob = share::b64url_decode(b["ciphertext"].as_str().unwrap()).unwrap();
    share::open(&blob, key, pass).unwrap()
}

async fn actions(srv: &TestServer) -> Vec<(String, String)> {
    srv.state.flush_audit().await;
    let all = srv.store.audit_batch(0, 10_000).await.unwrap();
    all.into_iter()
        .map(|e| (e.event.action, e.event.detail.unwrap_or_default()))
        .collect()
}

backend_test!(
    a_look_is_free_a_reveal_burns_the_link,
    |backend| async move {
        let srv = TestServer::start(backend, |_| {}).await;
        let (t, _, _) = register(&srv, "sender@example.com").await;
        let s = sealed(TEXT, None);
        let (status, made) = create(&srv, Some(&t), body(&s, json!({"label": "for Bob"}))).await;
        assert_eq!(status, 201, "{made}");
        let id = made["id"].as_str().unwrap().to_string();
        assert_eq!(made["path"], format!("/s/{id}"));
        assert_eq!(
            (made["views_allowed"].clone(), made["views_left"].clone()),
            (json!(1), json!(1))
        );
        assert_eq!(made["passphrase"], false);
        assert_eq!(made["label"], "for Bob");
        let day = made["expires_at"].as_i64().unwrap() - made["created_at"].as_i64().unwrap();
        assert_eq!(day, 86_400_000, "the default expiry is a day");

        // Looking (as a link preview would) uses no view, however often.
        for _ in 0..3 {
            let (status, p) = public(&srv, &id).await;
            assert_eq!(status, 200, "{p}");
            assert_eq!(
                (p["views_left"].clone(), p["kdf"].clone()),
                (json!(1), Value::Null)
            );
        }
        // A wrong access value (an altered link) gets the neutral answer and
        // uses nothing.
        let (status, wrong) = reveal(&srv, &id, &[7u8; 32]).await;
        assert_eq!(status, 404, "{wrong}");
        let (status, _) = public(&srv, &id).await;
        assert_eq!(status, 200);

        let (status, got) = reveal(&srv, &id, &s.auth).await;
        assert_eq!(status, 200, "{got}");
        assert_eq!(got["views_left"], 0);
        assert_eq!(opened(&got, &s.key, None), Content::Text(TEXT.into()));

        // Used up: gone, from the database too, with the same answer as a link
        // that never existed.
        let (status, again) = reveal(&srv, &id, &s.auth).await;
        assert_eq!(status, 404);
        let (status, look) = public(&srv, &id).await;
        assert_eq!(status, 404);
        let (_, unknown) = public(&srv, "AAAAAAAAAAAAAAAAAAAAAA").await;
        assert_eq!(look["detail"], unknown["detail"]);
        assert_eq!(again["detail"], unknown["detail"]);
        assert_eq!(wrong["detail"], unknown["detail"]);
        assert!(srv.store.share(&id).await.unwrap().is_none());
        let (_, mine) = call(Method::GET, srv.url("/api/v1/shares"), Some(&t), None).await;
        assert_eq!(mine["total"], 0, "{mine}");

        let a = actions(&srv).await;
        assert!(
            a.iter()
                .any(|(x, d)| x == "share.create" && d.contains(&id))
        );
        assert!(
            a.iter()
                .any(|(x, d)| x == "share.view" && d.contains("wrong access value"))
        );
        assert!(
            a.iter()
                .any(|(x, d)| x == "share.view" && d.contains("view 1 of 1"))
        );
        srv.stop().await;
    }
);

backend_test!(
    a_wrong_passphrase_is_403_and_uses_no_view,
    |backend| async move {
        let srv = TestServer::start(backend, |_| {}).await;
        let (t, _, _) = register(&srv, "sender@example.com").await;
        let s = sealed(TEXT, Some("correct horse"));
        let (status, made) = create(&srv, Some(&t), body(&s, json!({"views": 2}))).await;
        assert_eq!(status, 201, "{made}");
        assert_eq!(made["passphrase"], true);
        let id = made["id"].as_str().unwrap();
        let (_, p) = public(&srv, id).await;
        let kdf = share::Kdf {
            salt: share::b64url_decode(p["kdf"]["salt"].as_str().unwrap()).unwrap(),
            iterations: u32::try_from(p["kdf"]["iterations"].as_u64().unwrap()).unwrap(),
        };
        assert_eq!(Some(&kdf), s.kdf.as_ref());
        let bad = Passphrase {
            passphrase: "wrong horse",
            kdf: &kdf,
        };
        let bad_auth = share::access_value(&s.key, Some(bad)).unwrap();
        let (status, b) = reveal(&srv, id, &bad_auth).await;
        assert_eq!(status, 403, "{b}");
        assert!(
            b["detail"].as_str().unwrap().contains("wrong passphrase"),
            "{b}"
        );
        let (_, p) = public(&srv, id).await;
        assert_eq!(p["views_left"], 2, "a wrong passphrase uses no view");

        let good = Passphrase {
            passphrase: "correct horse",
            kdf: &kdf,
        };
        let auth = share::access_value(&s.key, Some(good)).unwrap();
        for left in [1, 0] {
            let (status, got) = reveal(&srv, id, &auth).await;
            assert_eq!(status, 200, "{got}");
            assert_eq!(got["views_left"], left);
            assert_eq!(opened(&got, &s.key, Some(good)), Content::Text(TEXT.into()));
        }
        assert_eq!(reveal(&srv, id, &auth).await.0, 404);
        srv.stop().await;
    }
);

backend_test!(wrong_access_values_lock_the_link, |backend| async move {
    let clock = FixedClock::new(heartlock_core::Clock::now_ms(&heartlock_core::SystemClock));
    let srv = TestServer::start_with_clock(backend, Arc::new(clock.clone()), |_| {}).await;
    let (t, _, _) = register(&srv, "sender@example.com").await;
    let s = sealed(TEXT, None);
    let (_, made) = create(&srv, Some(&t), body(&s, json!({}))).await;
    let id = made["id"].as_str().unwrap();
    for _ in 0..5 {
        assert_eq!(reveal(&srv, id, &[1u8; 32]).await.0, 404);
    }
    // Locked: even the right value waits, and says how long.
    let resp = crate::common::client()
        .post(srv.url(&format!("/api/v1/shares/{id}/reveal")))
        .json(&json!({ "auth": share::b64url(&s.auth) }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 429);
    assert!(resp.headers().get("retry-after").is_some());
    clock.advance(20 * 60 * 1000);
    let (status, got) = reveal(&srv, id, &s.auth).await;
    assert_eq!(status, 200, "{got}");
    let a = actions(&srv).await;
    assert!(
        a.iter()
            .any(|(x, d)| x == "auth.throttled" && d.contains("share link"))
    );
    srv.stop().await;
});

backend_test!(creation_limits_and_refusals, |backend| async move {
    let srv = TestServer::start(backend, |s| {
        s.shares.max_bytes = 2000;
        s.shares.max_active = 2;
        s.shares.max_days = 2;
    })
    .await;
    let (t, _, _) = register(&srv, "sender@example.com").await;
    let s = sealed(TEXT, None);
    let refused = [
        (json!({"views": 0}), 422, "views"),
        (json!({"views": 101}), 422, "views"),
        (json!({"expires_in": 60}), 422, "expires_in"),
        (json!({"expires_in": 3 * 86_400}), 422, "expires_in"),
        (json!({"label": "x".repeat(101)}), 422, "label"),
        (json!({"auth": "c2hvcnQ"}), 422, "auth"),
        (json!({"auth": "not base64!"}), 422, "auth"),
        (json!({"ciphertext": "AAAA"}), 422, "ciphertext"),
        (json!({"ciphertext": share::b64url(&[0u8; 2100])}), 201, ""),
        (
            json!({"ciphertext": share::b64url(&[0u8; 6200])}),
            413,
            "larger",
        ),
        (
            json!({"kdf": {"name": "pbkdf2-sha256", "salt": share::b64url(&[0u8; 16]), "iterations": 1000}}),
            422,
            "iterations",
        ),
        (
            json!({"kdf": {"name": "scrypt", "salt": share::b64url(&[0u8; 16]), "iterations": 600000}}),
            422,
            "kdf.name",
        ),
        (
            json!({"source": {"project": "nope", "environment": "development"}}),
            404,
            "",
        ),
        (json!({"unknown": 1}), 422, "unknown"),
    ];
    for (extra, want, word) in refused {
        let (status, b) = create(&srv, Some(&t), body(&s, extra.clone())).await;
        assert_eq!(status, want, "{extra}: {b}");
        assert!(b.to_string().contains(word), "{extra}: {b}");
    }
    // One live share so far (the 2100-byte blob): one more, then the cap.
    assert_eq!(create(&srv, Some(&t), body(&s, json!({}))).await.0, 201);
    let (status, b) = create(&srv, Some(&t), body(&s, json!({}))).await;
    assert_eq!(status, 409, "{b}");
    assert!(
        b["detail"]
            .as_str()
            .unwrap()
            .contains("HEARTLOCK_SHARE_MAX_ACTIVE")
    );

    // Nobody without an account, and no service token.
    let (status, _) = create(&srv, None, body(&s, json!({}))).await;
    assert_eq!(status, 401);
    call(
        Method::POST,
        srv.url("/api/v1/projects"),
        Some(&t),
        Some(json!({"name": "Shop"})),
    )
    .await;
    let (status, tok) = call(
        Method::POST,
        srv.url("/api/v1/projects/shop/tokens"),
        Some(&t),
        Some(json!({"name": "ci", "environments": ["development"], "access": "read"})),
    )
    .await;
    assert_eq!(status, 201, "{tok}");
    let (status, b) = create(&srv, tok["token"].as_str(), body(&s, json!({}))).await;
    assert_eq!(status, 403, "{b}");
    srv.stop().await;
});

backend_test!(creation_rate_is_capped_per_person, |backend| async move {
    let srv = TestServer::start(backend, |s| s.shares.max_active = 1000).await;
    let (t, _, _) = register(&srv, "sender@example.com").await;
    let s = sealed(TEXT, None);
    for i in 0..30 {
        let (status, b) = create(&srv, Some(&t), body(&s, json!({}))).await;
        assert_eq!(status, 201, "share {i}: {b}");
    }
    let (status, b) = create(&srv, Some(&t), body(&s, json!({}))).await;
    assert_eq!(status, 429, "{b}");
    // Someone else is not held back.
    let (other, _, _) = register(&srv, "other@example.com").await;
    assert_eq!(create(&srv, Some(&other), body(&s, json!({}))).await.0, 201);
    srv.stop().await;
});

backend_test!(anonymous_creation_only_when_allowed, |backend| async move {
    let srv = TestServer::start(backend, |s| s.shares.allow_anonymous = true).await;
    let s = sealed(TEXT, None);
    let (status, made) = create(&srv, None, body(&s, json!({}))).await;
    assert_eq!(status, 201, "{made}");
    let (status, got) = reveal(&srv, made["id"].as_str().unwrap(), &s.auth).await;
    assert_eq!(status, 200, "{got}");
    // A project source needs a person who can read it.
    let (status, _) = create(
        &srv,
        None,
        body(
            &s,
            json!({"source": {"project": "shop", "environment": "development"}}),
        ),
    )
    .await;
    assert!(status == 401 || status == 404, "{status}");
    // No listing without an account.
    let (status, _) = call(Method::GET, srv.url("/api/v1/shares"), None, None).await;
    assert_eq!(status, 401);
    srv.stop().await;

    let off = TestServer::start(Backend::Sqlite, |s| s.shares.enabled = false).await;
    let (t, _, _) = register(&off, "sender@example.com").await;
    let (status, b) = create(&off, Some(&t), body(&s, json!({}))).await;
    assert_eq!(status, 403, "{b}");
    assert!(b["detail"].as_str().unwrap().contains("turned off"));
    off.stop().await;
});

backend_test!(revoke_expire_and_sweep, |backend| async move {
    let clock = FixedClock::new(heartlock_core::Clock::now_ms(&heartlock_core::SystemClock));
    let srv = TestServer::start_with_clock(backend, Arc::new(clock.clone()), |_| {}).await;
    let (t, _, _) = register(&srv, "sender@example.com").await;
    let (other, _, _) = register(&srv, "other@example.com").await;
    let s = sealed(TEXT, None);
    let (_, a) = create(&srv, Some(&t), body(&s, json!({}))).await;
    let (_, b) = create(&srv, Some(&t), body(&s, json!({"expires_in": 300}))).await;
    let (a, b) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());
    let (_, mine) = call(Method::GET, srv.url("/api/v1/shares"), Some(&t), None).await;
    assert_eq!(mine["total"], 2, "{mine}");

    // Only its sender revokes it.
    let url = srv.url(&format!("/api/v1/shares/{a}"));
    assert_eq!(
        call(Method::DELETE, url.clone(), Some(&other), None)
            .await
            .0,
        404
    );
    assert_eq!(
        call(Method::DELETE, url.clone(), Some(&t), None).await.0,
        204
    );
    assert_eq!(reveal(&srv, a, &s.auth).await.0, 404);
    assert!(
        srv.store.share(a).await.unwrap().is_none(),
        "revoked: deleted"
    );
    assert_eq!(call(Method::DELETE, url, Some(&t), None).await.0, 404);

    // Expired: unavailable at once, deleted by the sweep.
    clock.advance(301_000);
    assert_eq!(public(&srv, b).await.0, 404);
    assert_eq!(reveal(&srv, b, &s.auth).await.0, 404);
    assert!(srv.store.share(b).await.unwrap().is_some());
    let n = heartlock_domain::shares::sweep::sweep(&srv.state)
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert!(srv.store.share(b).await.unwrap().is_none());
    let acts = actions(&srv).await;
    assert!(
        acts.iter()
            .any(|(x, d)| x == "share.revoke" && d.contains(a))
    );
    assert!(
        acts.iter()
            .any(|(x, d)| x == "share.expire" && d.contains(b))
    );
    srv.stop().await;
});

backend_test!(project_policy_and_sources, |backend| async move {
    let srv = TestServer::start(backend, |_| {}).await;
    let (owner, _, _) = register(&srv, "owner@example.com").await;
    let (viewer, _, _) = register(&srv, "viewer@example.com").await;
    let (outsider, _, _) = register(&srv, "outsider@example.com").await;
    call(
        Method::POST,
        srv.url("/api/v1/projects"),
        Some(&owner),
        Some(json!({"name": "Shop"})),
    )
    .await;
    let (status, m) = call(
        Method::POST,
        srv.url("/api/v1/projects/shop/members"),
        Some(&owner),
        Some(json!({"email": "viewer@example.com", "role": "viewer"})),
    )
    .await;
    assert_eq!(status, 200, "{m}");
    let s = sealed(TEXT, None);
    let src =
        json!({"source": {"project": "shop", "environment": "production", "key": "STRIPE_KEY"}});

    let (status, made) = create(&srv, Some(&viewer), body(&s, src.clone())).await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["source"]["key"], "STRIPE_KEY");
    let (status, _) = create(&srv, Some(&outsider), body(&s, src.clone())).await;
    assert_eq!(status, 404, "the outsider cannot see the project");

    let sharing = srv.url("/api/v1/projects/shop/sharing");
    let (status, b) = call(Method::GET, sharing.clone(), Some(&viewer), None).await;
    assert_eq!((status, b["allow_sharing"].clone()), (200, json!(true)));
    let off = Some(json!({"allow_sharing": false}));
    assert_eq!(
        call(Method::PUT, sharing.clone(), Some(&viewer), off.clone())
            .await
            .0,
        403
    );
    assert_eq!(
        call(Method::PUT, sharing.clone(), Some(&owner), off)
            .await
            .0,
        200
    );
    let (status, b) = create(&srv, Some(&viewer), body(&s, src.clone())).await;
    assert_eq!(status, 403, "{b}");
    assert!(b["detail"].as_str().unwrap().contains("do not allow"));
    // A share without a source is the sender's own business.
    assert_eq!(
        create(&srv, Some(&viewer), body(&s, json!({}))).await.0,
        201
    );
    // The one made before keeps working.
    let (status, _) = reveal(&srv, made["id"].as_str().unwrap(), &s.auth).await;
    assert_eq!(status, 200);
    let acts = actions(&srv).await;
    assert!(acts.iter().any(|(x, _)| x == "project.sharing"));
    srv.stop().await;
});

backend_test!(admins_see_counts_only, |backend| async move {
    let srv = TestServer::start(backend, |_| {}).await;
    let (t, _, uid) = register(&srv, "sender@example.com").await;
    let s = sealed(TEXT, None);
    create(&srv, Some(&t), body(&s, json!({"views": 3}))).await;
    let counts = srv.url("/api/v1/admin/shares");
    assert_eq!(
        call(Method::GET, counts.clone(), Some(&t), None).await.0,
        403
    );
    let now = heartlock_core::Clock::now_ms(&heartlock_core::SystemClock);
    srv.store
        .set_user_role(&uid, heartlock_core::roles::ServerRole::Admin, now)
        .await
        .unwrap();
    let admin = heartlock_client::Client::new(&srv.base)
        .unwrap()
        .login("sender@example.com", "correct horse battery staple")
        .await
        .unwrap();
    let (status, c) = call(Method::GET, counts, Some(&admin.access_token), None).await;
    assert_eq!(status, 200, "{c}");
    assert_eq!(
        c,
        json!({"active": 1, "active_anonymous": 0, "views_left": 3, "created_last_24h": 1})
    );
    srv.stop().await;
});

backend_test!(
    a_sealed_file_may_exceed_the_general_body_limit,
    |backend| async move {
        let srv = TestServer::start(backend, |s| {
            s.max_body_bytes = 64 * 1024;
            s.shares.max_bytes = 512 * 1024;
        })
        .await;
        let (t, _, _) = register(&srv, "sender@example.com").await;
        let data: Vec<u8> = (0..400 * 1024).map(|i| (i % 251) as u8).collect();
        let file = Content::File {
            name: "dump.bin".into(),
            mime: None,
            bytes: data,
        };
        let s = share::seal(&file, None, share::MIN_ITERATIONS).unwrap();
        let (status, made) = create(&srv, Some(&t), body(&s, json!({}))).await;
        assert_eq!(status, 201, "{made}");
        let (status, got) = reveal(&srv, made["id"].as_str().unwrap(), &s.auth).await;
        assert_eq!(status, 200);
        assert_eq!(opened(&got, &s.key, None), file);
        // Everywhere else the general limit holds.
        call(
            Method::POST,
            srv.url("/api/v1/projects"),
            Some(&t),
            Some(json!({"name": "Shop"})),
        )
        .await;
        let (status, b) = call(
            Method::PUT,
            srv.url("/api/v1/projects/shop/environments/development/secrets/BIG"),
            Some(&t),
            Some(json!({"value": "x".repeat(100 * 1024)})),
        )
        .await;
        assert_eq!(status, 413, "{b}");
        srv.stop().await;
    }
);
