//! Sessions through the live API, on SQLite and PostgreSQL.
use crate::common::{TestServer, call, register};
use heartlock_core::FixedClock;
use reqwest::Method;
use serde_json::json;
use std::sync::Arc;

fn now_ms() -> i64 {
    heartlock_core::Clock::now_ms(&heartlock_core::SystemClock)
}

backend_test!(
    a_rotated_refresh_token_used_twice_revokes_the_family,
    |backend| async move {
        let srv = TestServer::start(backend, |_| {}).await;
        let (_, r1, _) = register(&srv, "alice@example.com").await;
        let refresh = |t: String| {
            call(
                Method::POST,
                srv.url("/api/v1/auth/refresh"),
                None,
                Some(json!({ "refresh_token": t })),
            )
        };
        let (status, body) = refresh(r1.clone()).await;
        assert_eq!(status, 200, "{body}");
        let r2 = body["refresh_token"].as_str().unwrap().to_string();
        let a2 = body["access_token"].as_str().unwrap().to_string();
        assert_ne!(r1, r2);
        assert_eq!(
            call(Method::GET, srv.url("/api/v1/auth/me"), Some(&a2), None)
                .await
                .0,
            200
        );
        // r1 again: reuse. The family dies: r2 and the access token stop working.
        let (status, body) = refresh(r1).await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(refresh(r2).await.0, 401);
        assert_eq!(
            call(Method::GET, srv.url("/api/v1/auth/me"), Some(&a2), None)
                .await
                .0,
            401
        );
        srv.stop().await;
    }
);

backend_test!(an_access_token_past_expiry_gets_401, |backend| async move {
    let clock = FixedClock::new(now_ms());
    let srv = TestServer::start_with_clock(backend, Arc::new(clock.clone()), |s| {
        s.jwt.access_token_expire_hours = 1
    })
    .await;
    let (access, refresh, _) = register(&srv, "bob@example.com").await;
    assert_eq!(
        call(Method::GET, srv.url("/api/v1/auth/me"), Some(&access), None)
            .await
            .0,
        200
    );
    clock.advance(3_600_000 + 1_000);
    let (status, body) = call(Method::GET, srv.url("/api/v1/auth/me"), Some(&access), None).await;
    assert_eq!(status, 401);
    assert!(
        body["detail"].as_str().unwrap().contains("expired"),
        "{body}"
    );
    // The refresh token (7 days) still gets a fresh access token.
    let (status, body) = call(
        Method::POST,
        srv.url("/api/v1/auth/refresh"),
        None,
        Some(json!({ "refresh_token": refresh })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    srv.stop().await;
});

backend_test!(
    logout_and_password_change_end_sessions,
    |backend| async move {
        let srv = TestServer::start(backend, |_| {}).await;
        let (a, _, _) = register(&srv, "carol@example.com").await;
        let login = |pw: &'static str| {
            call(
                Method::POST,
                srv.url("/api/v1/auth/login"),
                None,
                Some(json!({ "email": "Carol@Example.com", "password": pw })),
            )
        };
        let (status, body) = login("correct horse battery staple").await;
        assert_eq!(status, 200, "{body}");
        let b = body["access_token"].as_str().unwrap().to_string();

        // Wrong current password: refused.
        let (status, _) = call(
        Method::POST,
        srv.url("/api/v1/auth/password"),
        Some(&a),
        Some(json!({ "current_password": "not my password at all", "new_password": "another horse battery staple" })),
    )
    .await;
        assert_eq!(status, 403);
        // A weak new password: 422.
        let (status, body) = call(Method::POST, srv.url("/api/v1/auth/password"), Some(&a), Some(json!({ "current_password": "correct horse battery staple", "new_password": "password1234" }))).await;
        assert_eq!(status, 422, "{body}");
        let (status, body) = call(
        Method::POST,
        srv.url("/api/v1/auth/password"),
        Some(&a),
        Some(json!({ "current_password": "correct horse battery staple", "new_password": "another horse battery staple" })),
    )
    .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["sessions_revoked"], 1);
        assert_eq!(
            call(Method::GET, srv.url("/api/v1/auth/me"), Some(&b), None)
                .await
                .0,
            401,
            "other session ended"
        );
        assert_eq!(
            call(Method::GET, srv.url("/api/v1/auth/me"), Some(&a), None)
                .await
                .0,
            200,
            "own session kept"
        );
        assert_eq!(login("correct horse battery staple").await.0, 401);
        assert_eq!(login("another horse battery staple").await.0, 200);

        assert_eq!(
            call(Method::POST, srv.url("/api/v1/auth/logout"), Some(&a), None)
                .await
                .0,
            204
        );
        assert_eq!(
            call(Method::GET, srv.url("/api/v1/auth/me"), Some(&a), None)
                .await
                .0,
            401
        );
        srv.stop().await;
    }
);

backend_test!(
    registration_can_be_disabled_and_disabled_users_cannot_sign_in,
    |backend| async move {
        let srv = TestServer::start(backend, |s| s.users.enable_registration = false).await;
        let (status, _) = call(
            Method::POST,
            srv.url("/api/v1/auth/register"),
            None,
            Some(json!({ "email": "x@example.com", "password": "correct horse battery staple" })),
        )
        .await;
        assert_eq!(status, 403);
        // An account made by the operator, then disabled.
        let state = srv.state.clone();
        let account = heartlock_domain::users::NewAccount {
            email: "dave@example.com",
            display_name: None,
            password: "correct horse battery staple",
        };
        let operator = heartlock_domain::Principal::system("test");
        let user =
            heartlock_domain::users::create_by_admin(&state, &operator, account, Some("user"))
                .await
                .unwrap();
        let login = || {
            call(
                Method::POST,
                srv.url("/api/v1/auth/login"),
                None,
                Some(
                    json!({ "email": "dave@example.com", "password": "correct horse battery staple" }),
                ),
            )
        };
        let (status, body) = login().await;
        assert_eq!(status, 200);
        let token = body["access_token"].as_str().unwrap().to_string();
        srv.store
            .set_user_disabled(&user.id, true, now_ms())
            .await
            .unwrap();
        assert_eq!(login().await.0, 401);
        assert_eq!(
            call(Method::GET, srv.url("/api/v1/auth/me"), Some(&token), None)
                .await
                .0,
            401
        );
        // Failed sign-ins are audited.
        state.flush_audit().await;
        let filter = heartlock_store::AuditFilter {
            action: Some("auth.login".into()),
            outcome: Some(heartlock_core::audit::Outcome::Denied),
            ..Default::default()
        };
        assert!(srv.store.list_audit(&filter, 10, 0).await.unwrap().total >= 1);
        srv.stop().await;
    }
);
