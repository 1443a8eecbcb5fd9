//! Cloudflare Turnstile (TURNSTILE_*): the widget on the forms that require
//! it, the CSP allowing Cloudflare only while it is enabled, and the
//! server-side check through siteverify (a local stand-in speaking
//! Cloudflare's protocol with its test keys, see common/turnstile.rs) on
//! the web forms and the API alike. Fails closed when siteverify is down.
use crate::common::turnstile::{self as ts, DUMMY_TOKEN, FAIL_SECRET, PASS_SECRET, Siteverify};
use crate::common::{TestServer, call, client};
use crate::web_authz_matrix::web::{Browser, PASSWORD};
use heartlock_server::middleware::CONTENT_SECURITY_POLICY;
use reqwest::Method;
use reqwest::header::CONTENT_SECURITY_POLICY as CSP;
use serde_json::{Value, json};

const CF: &str = "https://challenges.cloudflare.com";
const MISSING: &str = "Please complete the verification";
const FAILED: &str = "The verification failed";

async fn api_register(srv: &TestServer, email: &str, token: Option<&str>) -> (u16, Value) {
    let mut body = json!({ "email": email, "password": PASSWORD });
    if let Some(t) = token {
        body["turnstile_token"] = json!(t);
    }
    call(
        Method::POST,
        srv.url("/api/v1/auth/register"),
        None,
        Some(body),
    )
    .await
}

async fn api_login(srv: &TestServer, email: &str, token: Option<&str>) -> (u16, Value) {
    let mut body = json!({ "email": email, "password": PASSWORD });
    if let Some(t) = token {
        body["turnstile_token"] = json!(t);
    }
    call(
        Method::POST,
        srv.url("/api/v1/auth/login"),
        None,
        Some(body),
    )
    .await
}

/// GET `path` without cookies: (status, CSP, body).
async fn page(srv: &TestServer, path: &str) -> (u16, String, String) {
    let r = reqwest::Client::new()
        .get(srv.url(path))
        .send()
        .await
        .unwrap();
    let csp = r
        .headers()
        .get(CSP)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let status = r.status().as_u16();
    (status, csp, r.text().await.unwrap())
}

fn has_widget(body: &str) -> bool {
    body.contains("class=\"cf-turnstile\"")
        && body.contains(&format!("data-sitekey=\"{}\"", ts::SITE_KEY))
        && body.contains("https://challenges.cloudflare.com/turnstile/v0/api.js")
}

backend_test!(
    disabled_means_no_widget_and_the_strict_csp,
    |backend| async move {
        let srv = TestServer::start(backend, |_| {}).await;
        let (status, _) = api_register(&srv, "ann@example.com", None).await;
        assert_eq!(status, 201, "no token needed while Turnstile is off");
        let mut b = Browser::new(&srv);
        for path in ["/login", "/register"] {
            let (status, csp, body) = page(&srv, path).await;
            assert_eq!(status, 200, "{path}");
            assert!(!body.contains("cf-turnstile"), "{path} has no widget");
            assert_eq!(csp, CONTENT_SECURITY_POLICY, "{path}: the strict CSP");
            assert!(!csp.contains(CF));
        }
        b.sign_in("ann@example.com").await;
        let account = b.get("/account").await;
        assert_eq!(account.status, 200);
        assert!(!account.body.contains("cf-turnstile"));
        srv.stop().await;
    }
);

backend_test!(
    the_widget_follows_the_require_flags_and_the_csp_allows_cloudflare,
    |backend| async move {
        let fake = Siteverify::start();
        // Seed defaults: login off, registration and password change on.
        let srv = TestServer::start(backend, |s| ts::enable(s, &fake.url(), PASS_SECRET)).await;
        let (_, csp, login) = page(&srv, "/login").await;
        assert!(
            !login.contains("cf-turnstile"),
            "login is not required by default"
        );
        assert!(
            csp.contains(&format!("script-src 'self' {CF}"))
                && csp.contains(&format!("frame-src 'self' {CF}")),
            "{csp}"
        );
        let (_, csp_reg, register) = page(&srv, "/register").await;
        assert!(has_widget(&register), "{register}");
        assert!(register.contains("data-action=\"register\""));
        assert_eq!(csp_reg, csp, "one policy for every page while enabled");
        let (status, _) = api_register(&srv, "bob@example.com", Some(DUMMY_TOKEN)).await;
        assert_eq!(status, 201);
        let mut bob = Browser::new(&srv);
        bob.sign_in("bob@example.com").await;
        let account = bob.get("/account").await;
        assert!(has_widget(&account.body), "password change asks for it");
        assert!(account.body.contains("data-action=\"password-change\""));
        srv.stop().await;

        // The flags flipped: only the sign-in form shows it.
        let srv = TestServer::start(backend, |s| {
            ts::enable(s, &fake.url(), PASS_SECRET);
            s.turnstile.require_on_login = true;
            s.turnstile.require_on_register = false;
            s.turnstile.require_on_password_change = false;
        })
        .await;
        let (_, _, login) = page(&srv, "/login").await;
        assert!(has_widget(&login), "{login}");
        assert!(login.contains("data-action=\"login\""));
        let (_, _, register) = page(&srv, "/register").await;
        assert!(!register.contains("cf-turnstile"));
        let (status, body) = api_register(&srv, "cy@example.com", None).await;
        assert_eq!(status, 201, "registration needs no token now: {body}");
        srv.stop().await;
    }
);

backend_test!(
    web_forms_check_the_token_at_siteverify,
    |backend| async move {
        let fake = Siteverify::start();
        let srv = TestServer::start(backend, |s| ts::enable(s, &fake.url(), PASS_SECRET)).await;
        let b = Browser::new(&srv);

        // No token: refused before any request to siteverify; what was typed stays.
        let form = [
            ("email", "dee@example.com"),
            ("display_name", "Dee Dee"),
            ("password", PASSWORD),
        ];
        let r = b.post("/register", &form).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body.contains(MISSING), "{}", r.body);
        assert!(r.body.contains("value=\"dee@example.com\""));
        assert!(r.body.contains("value=\"Dee Dee\""));
        assert!(has_widget(&r.body), "the widget is shown again");
        assert!(fake.requests().is_empty(), "{:?}", fake.requests());

        // The widget's token: checked with the secret and the client address.
        let mut with_token = form.to_vec();
        with_token.push(("cf-turnstile-response", DUMMY_TOKEN));
        let r = b.post("/register", &with_token).await;
        assert_eq!(
            (r.status, r.location.as_str()),
            (303, "/projects"),
            "{}",
            r.body
        );
        let seen = fake.requests();
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert_eq!(seen[0]["secret"], PASS_SECRET);
        assert_eq!(seen[0]["response"], DUMMY_TOKEN);
        assert_eq!(seen[0]["remoteip"], "127.0.0.1");

        // Password change: same rule on the account page.
        let mut dee = Browser::new(&srv);
        dee.sign_in("dee@example.com").await;
        let new_pw = "amber-Lantern-violin-77-meadow";
        let fields = [("current_password", PASSWORD), ("new_password", new_pw)];
        let r = dee.post("/account/password", &fields).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body.contains(MISSING));
        let mut fields = fields.to_vec();
        fields.push(("cf-turnstile-response", DUMMY_TOKEN));
        let r = dee.post("/account/password", &fields).await;
        assert_eq!(
            (r.status, r.location.as_str()),
            (303, "/account"),
            "{}",
            r.body
        );
        assert_eq!(fake.requests().len(), 2);
        srv.stop().await;

        // A secret siteverify refuses: the form says so, nothing is created.
        let srv = TestServer::start(backend, |s| ts::enable(s, &fake.url(), FAIL_SECRET)).await;
        let b = Browser::new(&srv);
        let mut form = form.to_vec();
        form.push(("cf-turnstile-response", DUMMY_TOKEN));
        let r = b.post("/register", &form).await;
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body.contains(FAILED), "{}", r.body);
        let last = fake.requests().pop().unwrap();
        assert_eq!(last["answer"]["error-codes"][0], "invalid-input-response");
        let (status, _) = api_login(&srv, "dee@example.com", None).await;
        assert_eq!(status, 401, "the account was never created");
        srv.stop().await;
    }
);

backend_test!(
    the_api_requires_the_token_per_action,
    |backend| async move {
        let fake = Siteverify::start();
        let srv = TestServer::start(backend, |s| {
            ts::enable(s, &fake.url(), PASS_SECRET);
            s.turnstile.require_on_login = true;
        })
        .await;
        let email = "eve@example.com";

        let (status, body) = api_register(&srv, email, None).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(
            body["type"].as_str().map(|t| t.ends_with("/validation")),
            Some(true)
        );
        assert!(
            body["detail"].as_str().unwrap().contains("turnstile_token"),
            "{body}"
        );
        let (status, body) = api_register(&srv, email, Some(DUMMY_TOKEN)).await;
        assert_eq!(status, 201, "{body}");

        // Sign-in: the token is required, and the address siteverify gets is
        // the client's as the trusted proxy reported it.
        let (status, body) = api_login(&srv, email, None).await;
        assert_eq!(status, 422, "{body}");
        assert!(body["detail"].as_str().unwrap().contains(MISSING), "{body}");
        let before = fake.requests().len();
        let resp = client()
            .post(srv.url("/api/v1/auth/login"))
            .header("X-Forwarded-For", "203.0.113.9")
            .json(&json!({ "email": email, "password": PASSWORD, "turnstile_token": DUMMY_TOKEN }))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let token: Value = resp.json().await.unwrap();
        let access = token["access_token"].as_str().unwrap().to_string();
        let seen = fake.requests();
        assert_eq!(seen.len(), before + 1);
        assert_eq!(seen[before]["remoteip"], "203.0.113.9");

        // A pathological token is refused without asking siteverify.
        let huge = "x".repeat(2049);
        let (status, body) = api_login(&srv, email, Some(&huge)).await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(fake.requests().len(), before + 1, "no request for it");

        // Password change.
        let url = srv.url("/api/v1/auth/password");
        let change = json!({ "current_password": PASSWORD, "new_password": "amber-Lantern-violin-77-meadow" });
        let (status, body) = call(
            Method::POST,
            url.clone(),
            Some(&access),
            Some(change.clone()),
        )
        .await;
        assert_eq!(status, 422, "{body}");
        let mut with_token = change;
        with_token["turnstile_token"] = json!(DUMMY_TOKEN);
        let (status, body) = call(Method::POST, url, Some(&access), Some(with_token)).await;
        assert_eq!(status, 200, "{body}");
        srv.stop().await;
    }
);

backend_test!(siteverify_down_fails_closed, |backend| async move {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/turnstile/v0/siteverify");
    let srv = TestServer::start(backend, |s| {
        ts::enable(s, &url, PASS_SECRET);
        s.turnstile.require_on_login = true;
    })
    .await;
    let (status, body) = api_register(&srv, "fay@example.com", Some(DUMMY_TOKEN)).await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("unavailable"),
        "{body}"
    );
    let (status, _) = api_login(&srv, "fay@example.com", Some(DUMMY_TOKEN)).await;
    assert_eq!(status, 503);

    let b = Browser::new(&srv);
    let r = b
        .post(
            "/login",
            &[
                ("email", "fay@example.com"),
                ("password", PASSWORD),
                ("cf-turnstile-response", DUMMY_TOKEN),
            ],
        )
        .await;
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(
        r.body.contains("verification service is unavailable"),
        "{}",
        r.body
    );
    assert!(r.body.contains("value=\"fay@example.com\""));
    srv.stop().await;
});

backend_test!(
    the_hostname_siteverify_reports_must_be_ours_when_known,
    |backend| async move {
        // Solved on example.com (what Cloudflare's test secrets report).
        let fake = Siteverify::start();
        let srv = TestServer::start(backend, |s| {
            ts::enable(s, &fake.url(), PASS_SECRET);
            s.base_url = Some("http://heartlock.test".into());
        })
        .await;
        let (status, body) = api_register(&srv, "gus@example.com", Some(DUMMY_TOKEN)).await;
        assert_eq!(status, 422, "{body}");
        assert!(body["detail"].as_str().unwrap().contains(FAILED), "{body}");
        srv.stop().await;

        let srv = TestServer::start(backend, |s| {
            ts::enable(s, &fake.url(), PASS_SECRET);
            s.base_url = Some("http://example.com".into());
        })
        .await;
        let (status, body) = api_register(&srv, "gus@example.com", Some(DUMMY_TOKEN)).await;
        assert_eq!(status, 201, "{body}");
        srv.stop().await;
    }
);
