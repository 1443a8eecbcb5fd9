//! Production hardening through a live server (DEBUG=False).
use crate::common::{TestServer, client};

fn production(s: &mut heartlock_config::Settings) {
    s.debug = false;
    s.secure_ssl_redirect = true;
    s.allowed_hosts = vec!["127.0.0.1".into(), "secrets.example.com".into()];
    s.secret_key = Some(heartlock_config::Secret::new("x".repeat(50)));
}

backend_test!(production_redirects_and_headers, |backend| async move {
    let srv = TestServer::start(backend, production).await;
    let c = client();

    let r = c.get(srv.url("/api/v1/anything?x=1")).send().await.unwrap();
    assert_eq!(r.status(), 301);
    let loc = r.headers()["location"].to_str().unwrap();
    assert!(loc.starts_with("https://127.0.0.1"), "{loc}");
    assert!(loc.ends_with("/api/v1/anything?x=1"), "{loc}");
    assert!(
        !r.headers().contains_key("strict-transport-security"),
        "HSTS only on secure responses"
    );

    let r = c
        .get(srv.url("/api/v1/anything"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.headers()["strict-transport-security"],
        "max-age=2592000; includeSubDomains; preload"
    );
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/problem+json")
    );

    // Probes work over plain http and by IP.
    let r = c.get(srv.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = c.get(srv.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    srv.stop().await;
});

backend_test!(host_outside_allowed_hosts_is_400, |backend| async move {
    let srv = TestServer::start(backend, production).await;
    let r = client()
        .get(srv.url("/api/v1/x"))
        .header("host", "evil.example.net")
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/problem+json")
    );
    srv.stop().await;
});

backend_test!(
    cross_origin_post_from_untrusted_origin_is_403,
    |backend| async move {
        let srv = TestServer::start(backend, |s| {
            production(s);
            s.csrf_trusted_origins_raw = vec!["https://ok.example.com".into()];
        })
        .await;
        let c = client();
        let post = |origin: &'static str| {
            c.post(srv.url("/api/v1/x"))
                .header("x-forwarded-proto", "https")
                .header("origin", origin)
                .body("{}")
                .send()
        };
        assert_eq!(
            post("https://evil.example.net").await.unwrap().status(),
            403
        );
        // A trusted origin passes the CSRF check (and reaches the 404 fallback).
        assert_eq!(post("https://ok.example.com").await.unwrap().status(), 404);
        srv.stop().await;
    }
);

backend_test!(
    debug_mode_has_no_hsts_and_no_redirect,
    |backend| async move {
        let srv = TestServer::start(backend, |_| {}).await;
        let r = client().get(srv.url("/healthz")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(!r.headers().contains_key("strict-transport-security"));
        assert!(r.headers().contains_key("content-security-policy"));
        let r = client().get(srv.url("/api/v1/x")).send().await.unwrap();
        assert_eq!(r.status(), 404);
        srv.stop().await;
    }
);

backend_test!(wrong_method_is_a_problem_document, |backend| async move {
    let srv = TestServer::start(backend, |_| {}).await;
    let c = client();
    for (method, path) in [
        (reqwest::Method::POST, "/healthz"),
        (reqwest::Method::DELETE, "/api/v1/projects"),
        (reqwest::Method::PUT, "/api/v1/auth/login"),
    ] {
        let r = c
            .request(method.clone(), srv.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 405, "{method} {path}");
        assert!(r.headers().contains_key("allow"), "{method} {path}");
        assert_eq!(
            r.headers()["content-type"],
            "application/problem+json",
            "{method} {path}"
        );
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["status"], 405, "{body}");
        assert!(
            body["detail"].as_str().unwrap().contains(method.as_str()),
            "{body}"
        );
    }
});
