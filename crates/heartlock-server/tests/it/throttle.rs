//! Throttled sign-in, registration and password change over HTTP (API and
//! web forms), on SQLite and PostgreSQL. Every request comes from
//! 127.0.0.1, so they all share one client address.
use crate::common::{TestServer, call, register};
use heartlock_client::{Client, ClientError};
use heartlock_core::FixedClock;
use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use serde_json::json;
use std::sync::Arc;

const PASSWORD: &str = "correct horse battery staple";
const WRONG: &str = "not the password at all";

fn now_ms() -> i64 {
    heartlock_core::Clock::now_ms(&heartlock_core::SystemClock)
}

async fn start(backend: heartlock_store::Backend) -> (TestServer, FixedClock) {
    let clock = FixedClock::new(now_ms());
    let srv = TestServer::start_with_clock(backend, Arc::new(clock.clone()), |_| {}).await;
    (srv, clock)
}

/// POSTs JSON; returns the status, the Retry-After value, the content type
/// and the body.
async fn post_json(
    srv: &TestServer,
    path: &str,
    token: Option<&str>,
    body: serde_json::Value,
) -> (u16, Option<String>, String, serde_json::Value) {
    let mut req = reqwest::Client::new().post(srv.url(path)).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    let header = |name| {
        resp.headers()
            .get(name)
            .map(|v: &reqwest::header::HeaderValue| v.to_str().unwrap().to_string())
    };
    let (retry, ctype) = (
        header(RETRY_AFTER),
        header(CONTENT_TYPE).unwrap_or_default(),
    );
    let status = resp.status().as_u16();
    let body = resp.json().await.unwrap_or(serde_json::Value::Null);
    (status, retry, ctype, body)
}

async fn login(
    srv: &TestServer,
    email: &str,
    pw: &str,
) -> (u16, Option<String>, String, serde_json::Value) {
    post_json(
        srv,
        "/api/v1/auth/login",
        None,
        json!({ "email": email, "password": pw }),
    )
    .await
}

backend_test!(
    api_sign_in_gets_429_after_five_wrong_passwords,
    |backend| async move {
        let (srv, clock) = start(backend).await;
        register(&srv, "alice@example.com").await;
        for _ in 0..5 {
            assert_eq!(login(&srv, "alice@example.com", WRONG).await.0, 401);
        }
        let (status, retry, ctype, body) = login(&srv, "alice@example.com", WRONG).await;
        assert_eq!((status, retry.as_deref()), (429, Some("1")), "{body}");
        assert_eq!(ctype, "application/problem+json");
        assert_eq!(
            body["type"],
            "https://heartlock.dev/problems/too-many-attempts"
        );
        assert_eq!(body["status"], 429);
        assert!(
            body["detail"].as_str().unwrap().contains("1 seconds"),
            "{body}"
        );
        // The right password waits as well.
        let (status, retry, _, _) = login(&srv, "alice@example.com", PASSWORD).await;
        assert_eq!((status, retry.as_deref()), (429, Some("1")));
        clock.advance(1_000);
        assert_eq!(login(&srv, "alice@example.com", PASSWORD).await.0, 200);

        // The next lock doubles after each failure past the free ones; the
        // typed client reports it.
        for _ in 0..5 {
            assert_eq!(login(&srv, "alice@example.com", WRONG).await.0, 401);
        }
        clock.advance(1_000);
        assert_eq!(login(&srv, "alice@example.com", WRONG).await.0, 401);
        let err = Client::new(&srv.base)
            .unwrap()
            .login("alice@example.com", PASSWORD)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                ClientError::TooManyAttempts {
                    retry_after_secs: Some(2)
                }
            ),
            "{err:?}"
        );
        assert_eq!(err.status(), Some(429));
        assert_eq!(err.to_string(), "too many attempts; try again in 2 seconds");
        srv.stop().await;
    }
);

backend_test!(
    api_registration_is_limited_per_address,
    |backend| async move {
        let (srv, clock) = start(backend).await;
        for i in 0..10 {
            register(&srv, &format!("user{i}@example.com")).await;
        }
        let (status, retry, ctype, body) = post_json(
            &srv,
            "/api/v1/auth/register",
            None,
            json!({ "email": "eleventh@example.com", "password": PASSWORD }),
        )
        .await;
        assert_eq!((status, retry.as_deref()), (429, Some("3600")), "{body}");
        assert_eq!(ctype, "application/problem+json");
        clock.advance(3_600_000);
        register(&srv, "eleventh@example.com").await;
        srv.stop().await;
    }
);

backend_test!(
    api_password_change_counts_wrong_current_passwords,
    |backend| async move {
        let (srv, _clock) = start(backend).await;
        let (access, _, _) = register(&srv, "carol@example.com").await;
        let change = |current: &'static str| {
            post_json(
                &srv,
                "/api/v1/auth/password",
                Some(&access),
                json!({ "current_password": current, "new_password": "a brand new passphrase 42" }),
            )
        };
        for _ in 0..5 {
            assert_eq!(change(WRONG).await.0, 403);
        }
        let (status, retry, ctype, _) = change(PASSWORD).await;
        assert_eq!((status, retry.as_deref()), (429, Some("1")));
        assert_eq!(ctype, "application/problem+json");
        // Shared with the sign-in from this address.
        assert_eq!(login(&srv, "carol@example.com", PASSWORD).await.0, 429);
        srv.stop().await;
    }
);

backend_test!(
    openapi_documents_429_on_throttled_routes,
    |backend| async move {
        let srv = TestServer::start(backend, |_| {}).await;
        let (status, doc) = call(Method::GET, srv.url("/api/v1/openapi.json"), None, None).await;
        assert_eq!(status, 200);
        for path in ["/auth/login", "/auth/register", "/auth/password"] {
            let resp = &doc["paths"][path]["post"]["responses"]["429"];
            assert!(
                resp["content"]["application/problem+json"].is_object(),
                "{path}: {resp}"
            );
            assert!(resp["headers"]["Retry-After"].is_object(), "{path}: {resp}");
        }
        srv.stop().await;
    }
);

// --- web forms ---------------------------------------------------------------

use crate::common::cookie_browser as browser;

fn csrf_in(html: &str) -> String {
    let at = html.find("name=\"csrf_token\" value=\"").expect("a form") + 25;
    html[at..at + html[at..].find('"').unwrap()].to_string()
}

/// Posts a form with the CSRF token of `page`; returns status, Retry-After
/// and the page.
async fn form(
    srv: &TestServer,
    b: &reqwest::Client,
    page: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> (u16, Option<String>, String) {
    let html = b
        .get(srv.url(page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_in(&html);
    let mut all = vec![("csrf_token", csrf.as_str())];
    all.extend_from_slice(fields);
    let resp = b.post(srv.url(path)).form(&all).send().await.unwrap();
    let retry = resp
        .headers()
        .get(RETRY_AFTER)
        .map(|v| v.to_str().unwrap().to_string());
    (resp.status().as_u16(), retry, resp.text().await.unwrap())
}

const MESSAGE: &str = "Too many attempts. Try again in";

backend_test!(
    web_sign_in_form_says_how_long_to_wait,
    |backend| async move {
        let (srv, clock) = start(backend).await;
        register(&srv, "dave@example.com").await;
        let b = browser();
        async fn sign_in(
            srv: &TestServer,
            b: &reqwest::Client,
            pw: &str,
        ) -> (u16, Option<String>, String) {
            let fields = [("email", "dave@example.com"), ("password", pw)];
            form(srv, b, "/login", "/login", &fields).await
        }
        for _ in 0..5 {
            assert_eq!(sign_in(&srv, &b, WRONG).await.0, 401);
        }
        let (status, retry, html) = sign_in(&srv, &b, PASSWORD).await;
        assert_eq!((status, retry.as_deref()), (429, Some("1")));
        assert!(html.contains(&format!("{MESSAGE} 1 seconds.")), "{html}");
        clock.advance(1_000);
        assert_eq!(sign_in(&srv, &b, PASSWORD).await.0, 303);
        srv.stop().await;
    }
);

backend_test!(web_registration_form_is_limited_too, |backend| async move {
    let (srv, _clock) = start(backend).await;
    for i in 0..10 {
        register(&srv, &format!("user{i}@example.com")).await;
    }
    let (status, retry, html) = form(
        &srv,
        &browser(),
        "/register",
        "/register",
        &[("email", "web@example.com"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!((status, retry.as_deref()), (429, Some("3600")));
    assert!(html.contains(&format!("{MESSAGE} 3600 seconds.")), "{html}");
    srv.stop().await;
});

backend_test!(web_password_change_is_limited_too, |backend| async move {
    let (srv, _clock) = start(backend).await;
    register(&srv, "erin@example.com").await;
    let b = browser();
    let (status, _, _) = form(
        &srv,
        &b,
        "/login",
        "/login",
        &[("email", "erin@example.com"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(status, 303);
    async fn change(
        srv: &TestServer,
        b: &reqwest::Client,
        current: &str,
    ) -> (u16, Option<String>, String) {
        let fields = [
            ("current_password", current),
            ("new_password", "a brand new passphrase 42"),
        ];
        form(srv, b, "/account", "/account/password", &fields).await
    }
    for _ in 0..5 {
        assert_eq!(change(&srv, &b, WRONG).await.0, 403);
    }
    let (status, retry, html) = change(&srv, &b, PASSWORD).await;
    assert_eq!((status, retry.as_deref()), (429, Some("1")));
    assert!(html.contains(&format!("{MESSAGE} 1 seconds.")), "{html}");
    srv.stop().await;
});
